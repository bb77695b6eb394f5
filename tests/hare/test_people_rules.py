"""The engine rules for people (SPEC §4–5): every question a real choice, skipped comparisons
free, BPS towards τ, default directions for people never broken, at most k features changed."""

import pytest
import torch

from hare.actions import ActionSpace
from hare.active import ActiveHareSession, ActiveSettings
from hare.candidates import boundary_point_search, reach_target
from hare.generators import make_generator
from hare.live.profile import Preferences
from hare.live.setup import SessionConfig
from hare.session import HareSession, HareSettings
from hare.users import SimulatedUser, simulate_ground_truth

from conftest import refused


def drive(session, truth, keys):
    """Run a session to the end; return its compare questions as (users, current, challenger)."""
    pairs = []
    user = SimulatedUser(truth, keys)
    while (q := session.next_question()) is not None:
        if q.kind == "compare":
            pairs.append((q.users, q.current, q.challenger))
        session.answer(user.answer(q))
    return pairs


@pytest.fixture(scope="module")
def compas_people(compas, compas_ann):
    x, keys = refused(compas_ann, compas, 40)
    space = ActionSpace.for_dataset(compas)
    r0 = make_generator("gs").fit(compas, compas_ann, space).generate(x, keys)
    truth = simulate_ground_truth(compas_ann, x, space, "far", keys)
    return x, keys, space, r0, truth


def identical(pairs) -> int:
    return sum(int(torch.isclose(a, b, rtol=0, atol=1e-9).all(-1).sum()) for _, a, b in pairs)


def test_paper_counting_asks_identical_pairs_and_people_counting_never(compas_people, compas_ann):
    x, keys, space, r0, truth = compas_people
    paper = drive(HareSession(compas_ann, x, r0, space, HareSettings(30, 5), keys),
                  truth.recourse, keys)
    assert identical(paper) > 0  # the reason for the people rule (COMPAS: ~40 %)
    session = HareSession(compas_ann, x, r0, space,
                          HareSettings(30, 5, counting="people", target=0.5), keys)
    people = drive(session, truth.recourse, keys)
    assert identical(people) == 0 and len(people) > 0


def test_skipped_comparisons_do_not_charge_the_budget(compas_people, compas_ann):
    x, keys, space, r0, truth = compas_people
    session = HareSession(compas_ann, x, r0, space,
                          HareSettings(30, 5, counting="people", redraws=0), keys)
    asked = torch.zeros(len(x), dtype=torch.long)
    user = SimulatedUser(truth.recourse, keys)
    while (q := session.next_question()) is not None:
        asked[q.users] += 1
        session.answer(user.answer(q))
    result = session.result()
    ok = ~torch.isnan(result.recourse).any(-1)
    assert torch.equal(result.queries, asked)  # only questions actually put are charged
    assert (result.queries[ok] + result.skipped[ok] == 30).all()
    assert result.skipped[ok].sum() > 0 and (result.queries[ok] <= 30).all()


@pytest.mark.parametrize("target", [0.6, 0.75])
def test_bps_towards_the_target_lands_at_or_above_it(compas_people, compas_ann, target):
    x, keys, space, r0, _ = compas_people
    lifted = reach_target(compas_ann, x, r0, space, target)
    found = ~torch.isnan(lifted).any(-1)
    assert found.sum() > len(x) // 2
    points, valid = boundary_point_search(compas_ann, x[found], lifted[found].unsqueeze(1), space,
                                          target=target)
    assert valid.all()
    p = compas_ann(points[:, 0])
    assert (p >= target).all() and (p < target + 0.05).all()  # at the margin, not far past it


def people_session(method, model, x, r0, space, keys, target=0.6):
    """The live page's two ways of asking, with the rules for people (SessionConfig's: B 10 in
    2 rounds)."""
    if method == "active":
        return ActiveHareSession(model, x, r0, space,
                                 ActiveSettings(10, rounds=2, particles=64, candidates=12,
                                                target=target), keys)
    return HareSession(model, x, r0, space, SessionConfig(target=target).settings(), keys)


@pytest.mark.parametrize("method", ["hare", "active"])
def test_people_session_ends_at_or_above_the_target(compas_people, compas_ann, method):
    x, keys, space, r0, truth = compas_people
    session = people_session(method, compas_ann, x, r0, space, keys)
    pairs = drive(session, truth.recourse, keys)
    r = session.result().recourse
    found = ~torch.isnan(r).any(-1)
    assert found.any() and (compas_ann(r[found]) >= 0.6).all()
    # every option put to a person clears the target too, and none is shown twice in a pair
    assert pairs and all((compas_ann(o) >= 0.6 - 1e-9).all() for _, a, b in pairs for o in (a, b))
    assert identical(pairs) == 0


@pytest.mark.parametrize("method", ["hare", "active"])
def test_default_directions_for_people_are_never_broken(adult, adult_ann, method):
    prefs = Preferences.for_people(adult)
    space = prefs.action_space(adult)
    names = list(adult.feature_names)
    assert space.direction[names.index("education-num")] == 1  # only up, from the spec
    x, keys = refused(adult_ann, adult, 30)
    r0 = make_generator("gs").fit(adult, adult_ann, space).generate(x, keys)
    truth = simulate_ground_truth(adult_ann, x, space, "far", keys)
    session = people_session(method, adult_ann, x, r0, space, keys)
    pairs = drive(session, truth.recourse, keys)
    r = session.result().recourse
    found = ~torch.isnan(r).any(-1)
    # every option shown and the final recourse, each with its person's profile
    shown = torch.cat([torch.cat([a, b]) for _, a, b in pairs] + [r[found]])
    factual = torch.cat([torch.cat([x[u], x[u]]) for u, _, _ in pairs] + [x[found]])
    assert len(pairs) > 0 and space.is_actionable(factual, shown).all()
    for j, name in enumerate(names):
        sign = int(space.direction[j])
        if sign:
            assert (sign * (shown[:, j] - factual[:, j]) >= -1e-9).all(), name


@pytest.mark.parametrize("method", ["hare", "active"])
def test_at_most_k_features_changed(adult, adult_ann, method):
    space = ActionSpace.for_dataset(adult).restrict(max_changes=2)
    x, keys = refused(adult_ann, adult, 30)
    r0 = make_generator("gs").fit(adult, adult_ann, space).generate(x, keys)
    found = ~torch.isnan(r0).any(-1)
    assert found.any()
    assert (((r0[found] - x[found]).abs() > 1e-6).sum(-1) <= 2).all()
    truth = simulate_ground_truth(adult_ann, x, space, "far", keys)
    session = people_session(method, adult_ann, x, r0, space, keys)
    pairs = drive(session, truth.recourse, keys)
    assert pairs
    for users, current, challenger in pairs:
        for option in (current, challenger):
            assert (((option - x[users]).abs() > 1e-6).sum(-1) <= 2).all()
    r = session.result().recourse
    ok = ~torch.isnan(r).any(-1)
    assert (((r[ok] - x[ok]).abs() > 1e-6).sum(-1) <= 2).all()
