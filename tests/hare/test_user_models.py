"""Kinds of simulated people: drawn per user, valid where they hold a point, answered by their
own cost, and scored by the one log-probability interface that fits them to answers."""

import pytest
import torch

from hare.actions import ActionSpace
from hare.errors import ConfigError
from hare.live.costs import search_weights
from hare.questions import Question
from hare.user_models import (KINDS, Population, choice_log_prob, draw_parameters,
                              fittable_parameters)
from hare.users import SimulatedUser, simulate_ground_truth

from conftest import refused


@pytest.fixture(scope="module")
def population(compas, compas_ann):
    x, keys = refused(compas_ann, compas, 12)
    space = ActionSpace.for_dataset(compas)
    truth = simulate_ground_truth(compas_ann, x, space, "far", keys)
    return Population(compas_ann, x, space, truth.recourse, keys, search_weights(compas, {}))


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_draws_its_parameters_per_user(population, kind):
    params = draw_parameters(kind, population)
    assert {p.name for p in fittable_parameters(kind)} == set(params)
    for name, value in params.items():
        assert value.shape == population.x.shape and not torch.isnan(value).any(), name
    if "ideal" in params:  # a hidden recourse the classifier accepts, on the actionable columns
        ideal = params["ideal"]
        assert bool((population.model(ideal) >= 0.5).all())
        frozen = ~population.space.mutable
        assert torch.equal(ideal[:, frozen], population.x[:, frozen])
    # the same users drawn again, alone or in a smaller batch: the same parameters
    again = draw_parameters(kind, Population(
        population.model, population.x[3:7], population.space,
        population.ground_truth[3:7], population.keys[3:7], population.cost_model))
    for name in params:
        assert torch.allclose(again[name], params[name][3:7]), name


def test_sparse_ideal_users_change_at_most_two_features(population):
    ideal = draw_parameters("sparse_ideal", population)["ideal"]
    changed = ((ideal - population.x).abs() > 1e-9).sum(-1)
    assert bool((changed <= 2).all()) and bool((changed >= 1).all())


@pytest.mark.parametrize("kind", list(KINDS))
def test_answers_follow_the_log_probability_interface(population, kind):
    params = draw_parameters(kind, population)
    x = population.x
    n, d = x.shape
    gen = torch.Generator().manual_seed(1)
    a = x + 0.3 * torch.rand(n, d, generator=gen, dtype=x.dtype)
    b = x + 0.3 * torch.rand(n, d, generator=gen, dtype=x.dtype)
    user = SimulatedUser(population.ground_truth, population.keys, factual=x, kind=kind,
                         params=params)
    prefers_b = user.answer(Question("compare", torch.arange(n), 1, 1, a, b))
    log_a = choice_log_prob(kind, x, a.unsqueeze(1), b.unsqueeze(1), params, "none")[:, 0]
    assert torch.equal(log_a == 0, ~prefers_b)  # noise-free: certain, and what the user says
    smooth = choice_log_prob(kind, x, a.unsqueeze(1), b.unsqueeze(1), params, "logistic", 10.0)
    swapped = choice_log_prob(kind, x, b.unsqueeze(1), a.unsqueeze(1), params, "logistic", 10.0)
    assert torch.allclose(smooth.exp() + swapped.exp(), torch.ones_like(smooth))
    flips = choice_log_prob(kind, x, a.unsqueeze(1), b.unsqueeze(1), params, "bernoulli",
                            torch.full((n,), 0.2))
    assert torch.allclose(flips.exp()[:, 0], torch.where(prefers_b, 0.2, 0.8).to(x.dtype))


def test_the_shipped_users_score_as_before(population):
    """ground_truth and weighted_cost through the interface: the shipped users' own costs."""
    x, truth = population.x, population.ground_truth
    r = x + 0.25
    shipped = SimulatedUser(truth, population.keys)
    kind = SimulatedUser(truth, population.keys, factual=x, kind="ground_truth",
                         params={"ideal": truth})
    users = torch.arange(len(x))
    assert torch.equal(shipped.score(r, users), kind.score(r, users))
    weights = draw_parameters("weighted_cost", population)["weights"]
    shipped = SimulatedUser(truth, population.keys, factual=x, weights=weights)
    kind = SimulatedUser(truth, population.keys, factual=x, kind="weighted_cost",
                         params={"weights": weights})
    assert torch.equal(shipped.score(r, users), kind.score(r, users))


def test_fewer_changes_win_before_a_smaller_change():
    x = torch.zeros(1, 3, dtype=torch.float64)
    one_big = torch.tensor([[[0.9, 0.0, 0.0]]], dtype=torch.float64)
    two_small = torch.tensor([[[0.1, 0.1, 0.0]]], dtype=torch.float64)
    log_a = choice_log_prob("fewest_changes", x, one_big, two_small, {}, "none")
    assert log_a.item() == 0.0


def test_unknown_kinds_and_noise_are_config_errors(population):
    with pytest.raises(ConfigError, match="user model"):
        fittable_parameters("nobody")
    x = population.x
    with pytest.raises(ConfigError, match="noise"):
        choice_log_prob("ground_truth", x, x.unsqueeze(1), x.unsqueeze(1),
                        {"ideal": x}, "shouting")
