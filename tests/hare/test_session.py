"""The HARE session: query accounting, early acceptance, failures, and that feedback helps."""

import pytest
import torch

from hare.actions import ActionSpace
from hare.errors import ConfigError
from hare.generators import make_generator
from hare.metrics import compute_metrics
from hare.session import HareSession, HareSettings, run_to_end
from hare.users import SimulatedUser, simulate_ground_truth

from conftest import refused


@pytest.fixture(scope="module")
def compas_setup(compas, compas_ann):
    x, keys = refused(compas_ann, compas, 40)
    space = ActionSpace.for_dataset(compas)
    r0 = make_generator("gs").fit(compas, compas_ann, space).generate(x, keys)
    truth = simulate_ground_truth(compas_ann, x, space, "far", keys)
    return x, keys, space, r0, truth


@pytest.mark.parametrize("budget,iterations", [(30, 1), (30, 5), (12, 3), (30, 10)])
def test_each_session_spends_exactly_the_budget(compas_setup, compas_ann, budget, iterations):
    x, keys, space, r0, truth = compas_setup
    session = HareSession(compas_ann, x, r0, space, HareSettings(budget, iterations), keys)
    kinds = []
    while (q := session.next_question()) is not None:
        kinds.append(q.kind)
        session.answer(SimulatedUser(truth.recourse, keys).answer(q))
    result = session.result()
    assert result.queries.tolist() == [budget] * len(x)
    k = budget // iterations
    assert kinds == (["compare"] * (k - 1) + ["accept"]) * iterations
    assert not result.accepted.any()
    assert result.iterations.tolist() == [iterations] * len(x)


def test_accepting_stops_early_with_fewer_queries(compas_setup, compas_ann):
    x, keys, space, r0, truth = compas_setup
    # tolerance: users whose first winner is near their truth say yes after iteration 1
    user = SimulatedUser(truth.recourse, keys, tolerance=0.3)
    result = run_to_end(HareSession(compas_ann, x, r0, space, HareSettings(30, 5), keys), user)
    assert result.accepted.any() and (~result.accepted).any()
    assert set(result.queries[result.accepted].tolist()) <= {6, 12, 18, 24, 30}
    assert (result.queries[result.accepted] < 30).any()
    assert (result.queries[~result.accepted] == 30).all()
    distance = (result.recourse - truth.recourse).norm(dim=-1)
    assert bool((distance[result.accepted] <= 0.3).all())


def test_users_without_base_recourse_are_asked_nothing(compas_setup, compas_ann):
    x, keys, space, r0, truth = compas_setup
    r0 = r0.clone()
    r0[:3] = float("nan")
    result = run_to_end(HareSession(compas_ann, x, r0, space, HareSettings(30, 5), keys),
                        SimulatedUser(truth.recourse, keys))
    assert torch.isnan(result.recourse[:3]).all()
    assert result.queries[:3].tolist() == [0, 0, 0]
    assert (result.queries[3:] == 30).all()


def test_results_are_valid_and_keep_immutables(compas_setup, compas, compas_ann):
    x, keys, space, r0, truth = compas_setup
    result = run_to_end(HareSession(compas_ann, x, r0, space, HareSettings(30, 5), keys),
                        SimulatedUser(truth.recourse, keys))
    assert bool((compas_ann(result.recourse) >= 0.5).all())
    assert torch.equal(result.recourse[:, compas.immutable_mask], x[:, compas.immutable_mask])
    assert bool(space.is_actionable(x, result.recourse).all())


@pytest.mark.parametrize("iterations", [1, 5])
def test_noiseless_user_lowers_gtp_versus_base(compas_setup, compas, compas_ann, iterations):
    x, keys, space, r0, truth = compas_setup
    result = run_to_end(HareSession(compas_ann, x, r0, space, HareSettings(30, iterations), keys),
                        SimulatedUser(truth.recourse, keys))
    base = compute_metrics(compas_ann, x, r0, truth.recourse, compas.immutable_mask)
    hare = compute_metrics(compas_ann, x, result.recourse, truth.recourse, compas.immutable_mask)
    assert hare.gtp.nanmean() < 0.8 * base.gtp.nanmean()
    assert hare.gtd.nanmean() < 0.5 * base.gtd.nanmean()


def _challenger_margins(compas_setup, model, bps):
    """g − 0.5 of every challenger shown, and of the final recourses, under one BPS mode."""
    x, keys, space, r0, truth = compas_setup
    session = HareSession(model, x, r0, space, HareSettings(30, 5, bps=bps), keys)
    user, shown = SimulatedUser(truth.recourse, keys), []
    while (q := session.next_question()) is not None:
        if q.kind == "compare":
            with torch.no_grad():
                shown.append(model(q.challenger) - 0.5)
        session.answer(user.answer(q))
    result = session.result()
    with torch.no_grad():
        final = model(result.recourse) - 0.5
    return torch.cat(shown), final, result


def test_bps_at_best_calibrates_only_the_winner(compas_setup, compas_ann):
    every, every_final, _ = _challenger_margins(compas_setup, compas_ann, "every")
    best, best_final, result = _challenger_margins(compas_setup, compas_ann, "best")
    assert (result.queries == 30).all()
    # every: each candidate shown sits on the boundary; best: the shown ones are raw samples
    # (mostly well inside the accepted region), and only the chosen one is calibrated.
    assert bool((every >= 0).all()) and float(every.max()) < 1e-3
    assert float((best > 1e-3).float().mean()) > 0.5
    assert bool((best_final >= 0).all()) and float(best_final.max()) < 1e-3
    assert bool((every_final >= 0).all()) and float(every_final.max()) < 1e-3


def test_a_person_is_a_batch_of_one(compas_setup, compas_ann):
    """The app drives the same object with single answers; the protocol holds."""
    x, keys, space, r0, truth = compas_setup
    session = HareSession(compas_ann, x[:1], r0[:1], space, HareSettings(6, 2), keys[:1])
    asked = 0
    while (q := session.next_question()) is not None:
        assert q.users.tolist() == [0] and q.current.shape == (1, x.shape[1])
        assert session.next_question() is q  # asking again repeats the pending question
        session.answer(True if q.kind == "compare" else False)
        asked += 1
    assert asked == 6 and session.done
    with pytest.raises(RuntimeError):
        session.answer(True)


@pytest.mark.parametrize("budget,iterations,message", [
    (30, 4, "not divisible"), (10, 10, "at least 2"), (1, 1, "at least 2"), (30, 0, "at least 1")])
def test_invalid_settings_are_refused(budget, iterations, message):
    with pytest.raises(ConfigError, match=message):
        HareSettings(budget, iterations)


def test_unknown_bps_mode_is_refused():
    with pytest.raises(ConfigError, match="every, best"):
        HareSettings(30, 5, bps="sometimes")


def test_prefetching_the_next_round_changes_nothing(compas_setup, compas_ann):
    """Candidates computed ahead while "good enough?" waits are those computed on the answer."""
    x, keys, space, r0, truth = compas_setup
    user = SimulatedUser(truth.recourse, keys, tolerance=0.25)  # some say yes, the rest go on
    plain = run_to_end(HareSession(compas_ann, x, r0, space, HareSettings(30, 5), keys), user)
    session = HareSession(compas_ann, x, r0, space, HareSettings(30, 5), keys)
    prefetched = 0
    while (q := session.next_question()) is not None:
        if q.kind == "accept":
            session.prefetch()
            prefetched += session._prefetched is not None
        session.answer(user.answer(q))
    ahead = session.result()
    assert prefetched == 4  # every "good enough?" but the last iteration's
    assert torch.equal(ahead.queries, plain.queries) and torch.equal(ahead.accepted, plain.accepted)
    torch.testing.assert_close(ahead.recourse, plain.recourse, atol=1e-6, rtol=0)
