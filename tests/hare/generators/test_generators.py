"""Wachter and Growing Spheres: valid, actionable recourses or a marked failure; the registry
and every generator's typed settings."""

import dataclasses

import pytest
import torch

from hare.actions import ActionSpace
from hare.errors import ConfigError
from hare.generators import generator_names, make_generator, settings_class
from hare.generators.autoencoders import (CSVAESettings, VAESettings, cchvae_settings,
                                          clue_settings)

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


@pytest.mark.parametrize("name", ["wachter", "gs", "face", "cchvae", "clue", "cruds"])
def test_unknown_parameter_is_refused_naming_the_valid_ones(name):
    valid = [f.name for f in dataclasses.fields(settings_class(name))]
    assert valid, f"{name} has no parameters"
    with pytest.raises(ConfigError) as err:
        make_generator(name, no_such_parameter=1)
    assert "no_such_parameter" in str(err.value)
    for field in valid:
        assert field in str(err.value)


@pytest.mark.parametrize("name,params", [
    ("wachter", {"steps": 0}), ("wachter", {"lr": "fast"}), ("gs", {"samples": 2.5}),
    ("gs", {"step": -0.1}), ("face", {"fraction": 1.5}), ("face", {"immutables": "ignore"}),
    ("cchvae", {"samples": 0}), ("cchvae", {"epochs": 0}), ("cchvae", {"hidden": ()}),
    ("clue", {"patience": True}), ("cruds", {"w_prior_var": 0.0}), ("cruds", {"lr": 0})])
def test_invalid_parameter_value_is_refused_when_built(name, params):
    (field,) = params
    with pytest.raises(ConfigError, match=field):
        make_generator(name, **params)


def test_settings_are_frozen_dataclasses_and_can_be_passed_whole():
    for name in generator_names():
        cls = settings_class(name)
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    settings = settings_class("gs")(samples=10)
    assert make_generator("gs", settings=settings).settings == make_generator("gs", samples=10).settings
    with pytest.raises(ConfigError):
        make_generator("gs", settings=settings, step=0.1)
    with pytest.raises(ConfigError):
        make_generator("gs", settings=settings_class("wachter")())


def test_generative_generators_take_their_models_fields():
    """Every autoencoder setting is a parameter (but lr where the search has its own), and a
    given one replaces only that field of the dataset's defaults."""
    vae = {f.name for f in dataclasses.fields(VAESettings)}
    csvae = {f.name for f in dataclasses.fields(CSVAESettings)}
    fields = {name: {f.name for f in dataclasses.fields(settings_class(name))}
              for name in ("cchvae", "clue", "cruds")}
    assert vae <= fields["cchvae"] and vae - {"lr"} <= fields["clue"]
    assert csvae - {"lr"} <= fields["cruds"]
    base = cchvae_settings("compas")
    changed = make_generator("cchvae", epochs=2, samples=7).settings.model_settings(base)
    assert changed == dataclasses.replace(base, epochs=2)
    clue = make_generator("clue", lr=0.1).settings.model_settings(clue_settings("compas"))
    assert clue == clue_settings("compas")  # the search's lr is not the VAE's


def test_growing_spheres_shells_built_in_blocks_of_users_are_the_same(compas, compas_ann,
                                                                       monkeypatch):
    """Shells are built in cache-sized blocks of users: one user a block gives the recourses
    of one block for all (each user's samples depend on that user's key alone)."""
    from hare import rng
    from hare.generators import growing_spheres
    x, keys = refused(compas_ann, compas, 12)
    space = ActionSpace.for_dataset(compas)

    def search():
        return growing_spheres.growing_spheres_search(compas_ann, x, x, space, keys,
                                                      stream=rng.stream("gs"), samples=200)

    whole = search()  # 12 users × 200 samples × 7 features: one block
    monkeypatch.setattr(growing_spheres, "_SHELL_BLOCK_VALUES", 1)
    assert torch.equal(torch.nan_to_num(search(), 7.0), torch.nan_to_num(whole, 7.0))


def test_nearest_hits_is_the_nearest_acceptable_sample_of_each_row_that_has_one():
    from hare.generators.growing_spheres import nearest_hits
    g = torch.Generator().manual_seed(0)
    points = torch.rand(6, 40, 3, generator=g, dtype=torch.float64)
    ok = torch.rand(6, 40, generator=g) < 0.2
    ok[2] = False
    reference = torch.rand(6, 1, 3, generator=g, dtype=torch.float64)
    hit, chosen = nearest_hits(points, ok, reference)
    assert hit.tolist() == ok.any(dim=1).tolist() and not bool(hit[2])
    for row in torch.nonzero(hit).squeeze(-1).tolist():
        distance = (points[row] - reference[row]).abs().sum(-1)
        distance[~ok[row]] = torch.inf
        assert torch.equal(chosen[row], points[row, distance.argmin()])
