"""Wachter and Growing Spheres: valid, actionable recourses or a marked failure; the registry."""

import pytest
import torch

from hare.actions import ActionSpace
from hare.errors import ConfigError
from hare.generators import generator_names, make_generator

from conftest import refused


@pytest.mark.parametrize("name", ["wachter", "gs"])
@pytest.mark.parametrize("which", ["adult", "compas"])
def test_generator_returns_valid_recourse_keeping_immutables(name, which, request):
    dataset = request.getfixturevalue(which)
    model = request.getfixturevalue(f"{which}_ann")
    x, keys = refused(model, dataset, 20)
    space = ActionSpace.for_dataset(dataset)
    r = make_generator(name).fit(dataset, model, space).generate(x, keys)
    found = ~torch.isnan(r).any(dim=-1)
    assert found.float().mean() >= 0.9
    assert bool((model(r[found]) >= 0.5).all())
    assert torch.equal(r[found][:, dataset.immutable_mask], x[found][:, dataset.immutable_mask])
    assert torch.equal(r[found][:, dataset.binary_mask], x[found][:, dataset.binary_mask])


@pytest.mark.parametrize("name", ["wachter", "gs"])
def test_generator_that_finds_nothing_marks_failure(name, compas, compas_ann):
    x, keys = refused(compas_ann, compas, 5)
    frozen = ActionSpace.for_dataset(compas).restrict(
        frozen=torch.ones(compas.n_features, dtype=torch.bool))
    params = {"steps": 50, "rounds": 1} if name == "wachter" else {"max_shells": 3}
    r = make_generator(name, **params).fit(compas, compas_ann, frozen).generate(x, keys)
    assert torch.isnan(r).all()


def test_unknown_generator_lists_valid_names():
    with pytest.raises(ConfigError) as err:
        make_generator("nope")
    for name in generator_names():
        assert name in str(err.value)
    assert {"wachter", "gs"} <= set(generator_names())
