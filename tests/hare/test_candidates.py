"""ActionableSampling and BoundaryPointSearch on real data slices."""

import pytest
import torch

from hare.actions import ActionSpace
from hare.candidates import actionable_sampling, bisect, boundary_point_search, secant_search
from hare.generators import make_generator

from conftest import refused


def _base(dataset, model, n=25, name="gs"):
    x, keys = refused(model, dataset, n)
    space = ActionSpace.for_dataset(dataset)
    r0 = make_generator(name).fit(dataset, model, space).generate(x, keys)
    return x, keys, space, r0


def test_sampling_keeps_immutables_and_bounds(adult, adult_ann):
    x, keys, space, r0 = _base(adult, adult_ann)
    c = actionable_sampling(adult_ann, x, r0, space, k=8, keys=keys, stream=1)
    assert c.shape == (len(x), 8, x.shape[1])
    frozen = ~space.mutable
    assert torch.equal(c[:, :, frozen], x.unsqueeze(1).expand_as(c)[:, :, frozen])
    assert torch.equal(c[:, :, space.binary], x.unsqueeze(1).expand_as(c)[:, :, space.binary])
    assert bool(space.is_actionable(x.unsqueeze(1), c).all())


def test_sampling_spreads_directions(compas, compas_ann):
    x, keys, space, r0 = _base(compas, compas_ann)
    c = actionable_sampling(compas_ann, x, r0, space, k=6, keys=keys, stream=1)
    directions = c - r0.unsqueeze(1)
    unit = directions / directions.norm(dim=-1, keepdim=True)
    cosine = unit @ unit.transpose(1, 2) - 2 * torch.eye(6)
    # 6 directions in COMPAS' 2 mutable continuous columns cannot all be orthogonal, but the
    # diversity loss keeps the nearest pair far from identical.
    assert float(cosine.max(dim=-1).values.mean()) < 0.95
    # the validity loss pulls candidates into the positive region: more are valid than with
    # the random initial directions alone
    from hare.candidates import SamplingSettings
    unoptimised = actionable_sampling(compas_ann, x, r0, space, k=6, keys=keys, stream=1,
                                      settings=SamplingSettings(steps=0))
    valid_rate = float((compas_ann(c) >= 0.5).float().mean())
    assert valid_rate > float((compas_ann(unoptimised) >= 0.5).float().mean())


@pytest.mark.parametrize("narrow", [bisect, secant_search])
def test_every_bps_result_is_valid_and_within_eps_of_the_boundary(adult, adult_ann, narrow):
    x, keys, space, r0 = _base(adult, adult_ann, name="wachter")
    c = actionable_sampling(adult_ann, x, r0, space, k=10, keys=keys, stream=1)
    points, valid, inside = boundary_point_search(adult_ann, x, c, space, eps=1e-6,
                                                  with_bracket=True, narrow=narrow)
    assert valid.any()
    assert bool((adult_ann(points[valid]) >= 0.5).all())
    assert bool((adult_ann(inside[valid]) < 0.5).all())
    assert float((points - inside)[valid].norm(dim=-1).max()) < 1e-6
    # calibrated points lie on the segment from x and never further out than the candidate
    assert bool(((points - x.unsqueeze(1)).norm(dim=-1) <= (c - x.unsqueeze(1)).norm(dim=-1) + 1e-9).all())
    assert bool(space.is_actionable(x.unsqueeze(1), points).all())
    # invalid candidates come back unchanged, for the caller to replace
    assert torch.equal(points[~valid], c[~valid])


def _linear(w0, w1, bias):
    from torch import nn
    from hare.models import Classifier

    class Linear(Classifier):
        def __init__(self):
            super().__init__()
            self.net = nn.Linear(2, 1).double()
            with torch.no_grad():
                self.net.weight.copy_(torch.tensor([[w0, w1]]))
                self.net.bias.fill_(bias)
    return Linear()


def _two_column_space():
    """Column 0 continuous, column 1 a 0/1 category; both may move."""
    return ActionSpace(mutable=torch.tensor([True, True]), binary=torch.tensor([False, True]),
                       lower=torch.zeros(2, dtype=torch.float64),
                       upper=torch.ones(2, dtype=torch.float64),
                       direction=torch.zeros(2, dtype=torch.int8))


def test_bps_drops_a_category_change_the_model_does_not_need():
    model = _linear(8.0, 4.0, -5.0)  # accepted iff 8·x0 + 4·x1 ≥ 5
    x = torch.zeros(1, 2, dtype=torch.float64)
    c = torch.tensor([[[1.0, 1.0]]], dtype=torch.float64)  # (1, 0) is accepted too
    points, valid = boundary_point_search(model, x, c, _two_column_space(), eps=1e-9)
    assert valid.item()
    assert points[0, 0, 1].item() == 0.0  # the category is left as it was
    assert points[0, 0, 0].item() == pytest.approx(5 / 8, abs=1e-8)


def test_bps_keeps_a_category_change_the_model_needs():
    model = _linear(4.0, 4.0, -5.0)  # (1, 0) is refused: the category change is needed
    x = torch.zeros(1, 2, dtype=torch.float64)
    c = torch.tensor([[[1.0, 1.0]]], dtype=torch.float64)
    points, valid, inside = boundary_point_search(model, x, c, _two_column_space(), eps=1e-9,
                                                  with_bracket=True)
    assert points[0, 0, 1].item() == 1.0 and inside[0, 0, 1].item() == 1.0
    assert points[0, 0, 0].item() == pytest.approx(1 / 4, abs=1e-8)
    assert model(points).item() >= 0.5 > model(inside).item()


@pytest.mark.parametrize("narrow", [bisect, secant_search])
def test_bisection_leaves_the_segments_it_is_given_as_they_were(narrow):
    """bisect (and the secant search) works in its own buffers: the caller's start and end
    (often views of the factuals or candidates it still uses) come back untouched, and the
    final segments bracket the boundary of 8·x0 + 4·x1 = 5 within eps."""
    model = _linear(8.0, 4.0, -5.0)
    start = torch.zeros(3, 1, 2, dtype=torch.float64)
    end = torch.tensor([[[1.0, 0.0]], [[1.0, 1.0]], [[0.0, 2.0]]], dtype=torch.float64)
    kept_start, kept_end = start.clone(), end.clone()
    low, high = narrow(model, start, end, 1e-9, 0.5)
    assert torch.equal(start, kept_start) and torch.equal(end, kept_end)
    assert bool(((high - low).norm(dim=-1) < 1e-9).all())
    assert bool((model(high) >= 0.5).all()) and bool((model(low) < 0.5).all())


def test_the_secant_search_finds_bisections_boundary_on_a_relu_network(adult, adult_ann):
    """On the ANN's kinked logit, the secant search's segments bracket the boundary within eps
    and end within eps of where bisection's end, including the rows it hands to bisection."""
    x, keys, space, r0 = _base(adult, adult_ann, name="wachter")
    c = actionable_sampling(adult_ann, x, r0, space, k=10, keys=keys, stream=1)
    valid = adult_ann(c) >= 0.5
    start, end = x.unsqueeze(1).expand_as(c)[valid], c[valid]
    low, high = secant_search(adult_ann, start, end, 1e-6, 0.5)
    assert bool(((high - low).norm(dim=-1) < 1e-6).all())
    assert bool((adult_ann(high) >= 0.5).all()) and bool((adult_ann(low) < 0.5).all())
    _, bisected = bisect(adult_ann, start, end, 1e-6, 0.5)
    assert float((high - bisected).norm(dim=-1).max()) < 2e-6


def test_a_secant_segment_that_starts_positive_shrinks_to_its_start():
    """As bisection would take it there: the end comes back at the (already accepted) start,
    and a row that needs no search is left exactly as given."""
    model = _linear(8.0, 4.0, -5.0)
    start = torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=torch.float64)  # accepted, refused
    end = torch.tensor([[1.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    low, high = secant_search(model, start, end, 1e-9, 0.5)
    assert torch.equal(high[0], start[0]) and torch.equal(low[0], start[0])
    assert high[1, 0].item() == pytest.approx(5 / 8, abs=1e-9)
    assert model(high[1]).item() >= 0.5 > model(low[1]).item()
