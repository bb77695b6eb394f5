"""Simulated users: ground truth per user, and the oracles' answers."""

import pytest
import torch

from hare.actions import ActionSpace
from hare.errors import ConfigError
from hare.rng import user_keys
from hare.session import Question
from hare.users import SimulatedUser, simulate_ground_truth

from conftest import refused


def test_ground_truth_is_valid_actionable_and_per_user(adult, adult_ann):
    x, keys = refused(adult_ann, adult, 30)
    space = ActionSpace.for_dataset(adult)
    truth = simulate_ground_truth(adult_ann, x, space, "far", keys)
    assert bool((adult_ann(truth.recourse) >= 0.5).all())
    assert bool(space.is_actionable(x, truth.recourse).all())
    assert torch.equal(truth.recourse[:, adult.binary_mask], x[:, adult.binary_mask])
    # a user's ground truth depends on (seed, user index) only, not on the rest of the batch
    alone = simulate_ground_truth(adult_ann, x[7:8], space, "far", keys[7:8])
    torch.testing.assert_close(alone.recourse[0], truth.recourse[7], atol=1e-4, rtol=0)
    other_seed = simulate_ground_truth(adult_ann, x, space, "far", user_keys(1, torch.arange(30)))
    assert not torch.allclose(other_seed.recourse, truth.recourse)


def test_scales_order_distance_from_factual(compas, compas_ann):
    x, keys = refused(compas_ann, compas, 40)
    space = ActionSpace.for_dataset(compas)
    distance = {scale: (simulate_ground_truth(compas_ann, x, space, scale, keys).recourse - x)
                .norm(dim=-1).mean().item() for scale in ("near", "intermediate", "far")}
    assert distance["near"] < distance["intermediate"] <= distance["far"]


def test_unknown_scale_is_refused(compas, compas_ann):
    x, keys = refused(compas_ann, compas, 2)
    with pytest.raises(ConfigError, match="near, intermediate, far"):
        simulate_ground_truth(compas_ann, x, ActionSpace.for_dataset(compas), "huge", keys)


def _question(n, current, challenger, step=1):
    return Question("compare", torch.arange(n), 1, step, current, challenger)


def test_noiseless_user_prefers_the_nearer_candidate_ties_to_challenger():
    truth = torch.zeros(3, 2, dtype=torch.float64)
    user = SimulatedUser(truth, user_keys(0, torch.arange(3)))
    current = torch.tensor([[1.0, 0], [0.2, 0], [0.5, 0]], dtype=torch.float64)
    challenger = torch.tensor([[0.5, 0], [0.4, 0], [0, 0.5]], dtype=torch.float64)
    assert user.answer(_question(3, current, challenger)).tolist() == [True, False, True]


def test_absolute_feedback_uses_tolerance():
    truth = torch.zeros(2, 2, dtype=torch.float64)
    r = torch.tensor([[0.1, 0], [1.0, 0]], dtype=torch.float64)
    q = Question("accept", torch.arange(2), 1, 3, r, None)
    keys = user_keys(0, torch.arange(2))
    assert SimulatedUser(truth, keys).answer(q).tolist() == [False, False]
    assert SimulatedUser(truth, keys, tolerance=0.5).answer(q).tolist() == [True, False]


def test_bernoulli_user_flips_at_its_rate():
    n = 4000
    truth = torch.zeros(n, 2, dtype=torch.float64)
    current = torch.ones(n, 2, dtype=torch.float64)
    challenger = torch.zeros(n, 2, dtype=torch.float64)  # always the better one
    user = SimulatedUser(truth, user_keys(0, torch.arange(n)), noise="bernoulli", noise_param=0.2)
    rate = 1 - user.answer(_question(n, current, challenger)).float().mean().item()
    assert rate == pytest.approx(0.2, abs=0.03)


def test_logistic_user_follows_bradley_terry():
    n = 4000
    truth = torch.zeros(n, 1, dtype=torch.float64)
    current = torch.full((n, 1), 1.0, dtype=torch.float64)
    challenger = torch.full((n, 1), 0.5, dtype=torch.float64)
    user = SimulatedUser(truth, user_keys(0, torch.arange(n)), noise="logistic", noise_param=4.0)
    rate = user.answer(_question(n, current, challenger)).float().mean().item()
    assert rate == pytest.approx(torch.sigmoid(torch.tensor(2.0)).item(), abs=0.03)


def test_weighted_cost_user_prefers_the_cheaper_change():
    x = torch.zeros(1, 2, dtype=torch.float64)
    user = SimulatedUser(torch.zeros(1, 2), user_keys(0, torch.arange(1)), factual=x,
                         weights=torch.tensor([1.0, 10.0], dtype=torch.float64))
    cheap = torch.tensor([[0.9, 0.0]], dtype=torch.float64)
    dear = torch.tensor([[0.0, 0.2]], dtype=torch.float64)
    assert user.answer(_question(1, dear, cheap)).tolist() == [True]
    assert user.answer(_question(1, cheap, dear)).tolist() == [False]


def test_bad_noise_settings_are_refused():
    with pytest.raises(ConfigError, match="none, bernoulli, logistic"):
        SimulatedUser(torch.zeros(1, 2), torch.zeros(1, dtype=torch.long), noise="chaos")
    with pytest.raises(ConfigError, match="flip probability"):
        SimulatedUser(torch.zeros(1, 2), torch.zeros(1, dtype=torch.long), noise="bernoulli",
                      noise_param=0.9)


def test_weighted_cost_users_in_a_session_with_failed_users(compas, compas_ann):
    """Per-user weights follow the users a question is put to (some users may have no base
    recourse and are never asked)."""
    from hare.generators import make_generator
    from hare.session import HareSession, HareSettings, run_to_end
    x, keys = refused(compas_ann, compas, 12)
    space = ActionSpace.for_dataset(compas)
    r0 = make_generator("gs").fit(compas, compas_ann, space).generate(x, keys)
    r0[:2] = float("nan")
    weights = torch.rand(len(x), x.shape[1], dtype=torch.float64,
                         generator=torch.Generator().manual_seed(0))
    user = SimulatedUser(torch.zeros_like(x), keys, factual=x, weights=weights)
    result = run_to_end(HareSession(compas_ann, x, r0, space, HareSettings(6, 2), keys), user)
    def cost(r):
        return ((r - x).abs() * weights).sum(-1)

    assert (result.queries[2:] == 6).all() and (result.queries[:2] == 0).all()
    # BPS only shortens the base recourse's changes, and a noiseless user only swaps the
    # incumbent for a cheaper candidate, so no user ends up paying more than the base recourse
    assert bool((cost(result.recourse)[2:] <= cost(r0)[2:] + 1e-9).all())
