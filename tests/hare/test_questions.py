"""HARE and active HARE are one kind of session (hare.questions.RecourseSession): the same verbs,
the same result, and one meaning per result field."""

from __future__ import annotations

from dataclasses import fields

import pytest
import torch

from hare.actions import ActionSpace
from hare.active import ActiveHareSession, ActiveSettings
from hare.generators import make_generator
from hare.live.setup import SessionConfig
from hare.questions import RecourseSession, SessionResult
from hare.session import HareSession, HareSettings, run_to_end
from hare.users import SimulatedUser, simulate_ground_truth

from conftest import refused


@pytest.fixture(scope="module")
def setup(compas, compas_ann):
    x, keys = refused(compas_ann, compas, 6)
    space = ActionSpace.for_dataset(compas)
    r0 = make_generator("gs").fit(compas, compas_ann, space).generate(x, keys)
    truth = simulate_ground_truth(compas_ann, x, space, "far", keys)
    return x, keys, space, r0, SimulatedUser(truth.recourse, keys)


def _sessions(model, x, keys, space, r0):
    return {
        "hare": HareSession(model, x, r0, space, HareSettings(budget=10, iterations=2), keys),
        "people": HareSession(model, x, r0, space, SessionConfig().settings(), keys),
        "active": ActiveHareSession(model, x, r0, space,
                                    ActiveSettings(budget=10, particles=32, candidates=8), keys),
    }


def test_the_interface_names_the_result_fields():
    assert not isinstance(object(), RecourseSession)
    assert [f.name for f in fields(SessionResult)] == [
        "recourse", "queries", "accepted", "invalid_candidates", "iterations", "skipped"]


def test_hare_and_active_hare_are_recourse_sessions(setup, compas_ann):
    x, keys, space, r0, user = setup
    n, d = x.shape
    for name, session in _sessions(compas_ann, x, keys, space, r0).items():
        assert isinstance(session, RecourseSession), name
        assert not session.done
        session.prefetch()  # nothing waits yet: a no-op for both
        result = run_to_end(session, user)
        assert session.done and session.next_question() is None
        assert isinstance(result, SessionResult)
        assert result.recourse.shape == (n, d)
        for field in ("queries", "accepted", "invalid_candidates", "iterations", "skipped"):
            value = getattr(result, field)
            assert isinstance(value, torch.Tensor) and value.shape == (n,), (name, field)
        assert result.accepted.dtype == torch.bool
        assert bool((result.queries <= 10).all()), name


def test_invalid_candidates_count_samples_and_skipped_counts_comparisons(setup, compas_ann):
    """HARE counts samples that failed the target; active HARE shows valid particles only, so
    it counts none; a comparison that is not asked is in ``skipped`` for both."""
    x, keys, space, r0, user = setup
    results = {name: run_to_end(s, user)
               for name, s in _sessions(compas_ann, x, keys, space, r0).items()}
    assert results["hare"].invalid_candidates.sum() > 0  # our sampler misses now and then
    assert results["hare"].skipped.sum() == 0  # "paper" counting asks every comparison
    assert results["active"].invalid_candidates.sum() == 0
    for name, result in results.items():
        ok = ~torch.isnan(result.recourse).any(-1)
        # every question slot of a full budget is asked or skipped (no one said "good enough")
        assert bool((result.queries[ok] + result.skipped[ok] == 10).all()), name
