"""Active HARE with every kind of simulated person (hare.user_models): at most B questions,
never a repeated pair, and never costlier than the base recourse or any option the person
picked."""

import pytest
import torch
from torch import nn

from hare.actions import ActionSpace
from hare.active import ActiveHareSession, ActiveSettings
from hare.active_model import LIMIT_TOP
from hare.models import Classifier
from hare.rng import user_keys
from hare.session import run_to_end
from hare.user_models import KINDS, Population, draw_parameters
from hare.users import SimulatedUser


class Plane(Classifier):
    """g(x) = σ(20·(x₁ + x₂ + x₃ + x₄ − 1.4)): positive beyond a plane."""

    kind = "lr"

    def __init__(self):
        super().__init__()
        self.net = nn.Linear(4, 1).double()
        with torch.no_grad():
            self.net.weight.fill_(20.0)
            self.net.bias.fill_(-28.0)


class Recorder:
    """Wraps an oracle and keeps every question and answer."""

    def __init__(self, oracle):
        self.oracle, self.log = oracle, []

    def answer(self, question):
        said = self.oracle.answer(question)
        self.log.append((question, said))
        return said


def _toy(n=24):
    model, d = Plane(), 4
    space = ActionSpace(mutable=torch.ones(d, dtype=torch.bool),
                        binary=torch.zeros(d, dtype=torch.bool),
                        lower=torch.zeros(d, dtype=torch.float64),
                        upper=torch.ones(d, dtype=torch.float64),
                        direction=torch.zeros(d, dtype=torch.int8))
    keys = user_keys(3, torch.arange(n))
    x = 0.3 * torch.rand(n, d, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    # a base recourse off the boundary (0.45 per feature: the sum 1.8 is past 1.4), an ideal
    # point on it in a per-user direction
    r0 = torch.full((n, d), 0.45, dtype=torch.float64)
    u = torch.rand(n, d, generator=torch.Generator().manual_seed(1), dtype=torch.float64) + 0.1
    ideal = x + u * ((1.45 - x.sum(-1, keepdim=True)) / u.sum(-1, keepdim=True))
    return model, space, x, r0, ideal.clamp(0, 1), keys


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("budget,rounds", [(10, 1), (12, 2), (2, 1)])
def test_never_costlier_than_the_base_or_any_option_the_person_picked(kind, budget, rounds):
    model, space, x, r0, ideal, keys = _toy()
    params = draw_parameters(kind, Population(model, x, space, ideal, keys,
                                              torch.ones(x.shape[-1], dtype=x.dtype)))
    user = Recorder(SimulatedUser(ideal, keys, factual=x, kind=kind, params=params))
    settings = ActiveSettings(budget=budget, rounds=rounds, particles=64, candidates=12)
    result = run_to_end(ActiveHareSession(model, x, r0, space, settings, keys), user)
    everyone = torch.arange(len(x))
    cost = user.oracle.score(result.recourse, everyone)
    assert bool((cost <= user.oracle.score(r0, everyone) + 1e-12).all())
    # at most B questions, and never the same pair twice to one person
    assert bool((result.queries <= budget).all())
    asked = [set() for _ in range(len(x))]
    for question, said in user.log:
        if question.kind != "compare":
            continue
        for row, person in enumerate(question.users.tolist()):
            pair = frozenset((tuple(question.current[row].tolist()),
                              tuple(question.challenger[row].tolist())))
            assert pair not in asked[person]
            asked[person].add(pair)
    # what is returned is the base or an option the person picked in a comparison, and costs
    # them no more than any option they picked; so does each "good enough?" question's option,
    # against what they had picked before it
    picked = [[r0[i]] for i in range(len(x))]
    for question, said in user.log:
        users = question.users
        if question.kind == "compare":
            chosen = torch.where(said.unsqueeze(-1), question.challenger, question.current)
            for row, person in enumerate(users.tolist()):
                picked[person].append(chosen[row])
        else:
            best = torch.stack([user.oracle.score(torch.stack(picked[p]), torch.full(
                (len(picked[p]),), p)).min() for p in users.tolist()])
            assert bool((user.oracle.score(question.current, users) <= best + 1e-12).all())
    for person in range(len(x)):
        gap = (torch.stack(picked[person]) - result.recourse[person]).norm(dim=-1).min()
        assert float(gap) < 1e-9
        mine = user.oracle.score(torch.stack(picked[person]), torch.full(
            (len(picked[person]),), person))
        assert float(cost[person]) <= float(mine.min()) + 1e-12
    assert bool((model(result.recourse) >= 0.5).all())


def test_a_rival_asked_only_as_a_near_copy_is_still_settled_against_the_champion():
    # Settling and the filter of pairs already asked share one test of "the same option": a
    # pair of near copies of the champion and a rival (apart by less than a tenth of
    # min_separation) settles neither, so the round must still put the rival itself
    model, space, x, r0, ideal, keys = _toy(n=1)
    session = ActiveHareSession(model, x, r0, space, ActiveSettings(budget=10, rounds=1,
                                                                     particles=64), keys)
    champion, rival, other = session.champion[0], session.theta[0, 5], session.theta[0, 6]
    nudge = torch.tensor([1e-4, 0.0, 0.0, 0.0], dtype=torch.float64)
    # the base settled (the person kept the champion, its calibrated particle), then the near
    # copies (the person kept the champion's), then the rival picked over another
    for t, (a, b, said) in enumerate([(champion, session.r0[0], False),
                                      (champion + nudge, rival + nudge, False),
                                      (other, rival, True)]):
        session.hist_a[0, t], session.hist_b[0, t] = a, b
        session.hist_ans[0, t], session.hist_used[0, t] = said, True
    session.compares[0] = 3
    session.round, session.step = 1, 8  # no free comparison left after this one: settle
    users = torch.arange(1)
    session._playoff(users)
    assert torch.equal(session._rivals[0, 0], rival)
    pair, has, _ = session._pick_pair(users)
    assert bool(has[0])
    asked = {tuple(p.tolist()) for p in pair[0]}
    assert asked == {tuple(champion.tolist()), tuple(rival.tolist())}


def test_ranking_over_the_likeliest_ideal_points_is_exact_where_the_others_weigh_nothing():
    # a question ranks its candidates by expected cost over the likeliest ideal points alone,
    # their weights scaled to the ideal-point kind's whole mass: where every other particle
    # weighs nothing that is the whole posterior's expected cost
    model, space, x, r0, ideal, keys = _toy(n=3)
    session = ActiveHareSession(model, x, r0, space, ActiveSettings(particles=64), keys)
    users = torch.arange(3)
    w = session._weights(users).clone()
    w[:, 10:64] = 0.0  # only ten ideal points and the cost hypotheses keep weight
    w = w / w.sum(-1, keepdim=True)
    options = session.theta[users]
    exact = session._risk(users, options, w)
    # (to the grain risks are rounded to, 1e-4: the sums run in another order)
    for likeliest in (10, 32):  # both below the 64 particles: the ranking path itself
        torch.testing.assert_close(session._risk(users, options, w, likeliest=likeliest), exact,
                                   atol=1.5e-4, rtol=0)


@pytest.mark.parametrize("past", [1.405, 1.6])  # the base just past the plane (a near copy of
# its calibrated particle), and far past it
def test_the_calibrated_base_is_returned_only_where_the_person_prefers_it_to_the_base(past):
    # The champion starts at the base's calibrated particle (as near the factual on every
    # feature), and the base is settled against it in the first round even where the two are
    # closer than min_separation: a nearest-point person whose ideal lies beyond the base (so
    # who prefers the base) never ends above it, and one who changes as little as possible
    # never ends above the calibrated particle
    model, space, x, _, _, keys = _toy(n=8)
    far = torch.full_like(x, 0.45)  # every feature's sum 1.8, past the plane at 1.4

    def along(total):  # the point on the ray from x toward `far` whose features sum to total
        return x + ((total - x.sum(-1, keepdim=True)) / (far - x).sum(-1, keepdim=True)) \
            * (far - x)

    r0 = along(torch.tensor(past, dtype=x.dtype))
    settings = ActiveSettings(budget=10, rounds=1, particles=64, candidates=12)
    session = ActiveHareSession(model, x, r0, space, settings, keys)
    calibrated = session.theta[:, 0]
    assert torch.equal(session.champion, calibrated)
    near = (calibrated - r0).norm(dim=-1) < settings.min_separation
    assert bool(near.all()) if past < 1.41 else not bool(near.any())
    everyone = torch.arange(len(x))
    wants_more = Recorder(SimulatedUser(along(torch.tensor(past + 0.2, dtype=x.dtype)), keys))
    result = run_to_end(session, wants_more)
    cost = wants_more.oracle.score(result.recourse, everyone)
    base_cost = wants_more.oracle.score(r0, everyone)
    assert bool((cost <= base_cost + 1e-12).all())
    assert bool((base_cost < wants_more.oracle.score(calibrated, everyone)).all())
    # the pair was put to everyone (the base against the champion)
    for person in range(len(x)):
        assert any(q.kind == "compare" and person in q.users.tolist()
                   and bool((q.challenger[q.users.tolist().index(person)] == r0[person]).all())
                   for q, _ in wants_more.log)
    params = draw_parameters("weighted_cost", Population(model, x, space, r0, keys,
                                                        torch.ones(x.shape[-1], dtype=x.dtype)))
    frugal = SimulatedUser(r0, keys, factual=x, kind="weighted_cost", params=params)
    found = run_to_end(ActiveHareSession(model, x, r0, space, settings, keys), frugal).recourse
    assert bool((frugal.score(found, everyone) <= frugal.score(calibrated, everyone)
                 + 1e-12).all())


def test_where_the_base_and_its_calibrated_particle_read_the_same_the_base_is_kept():
    # on the live page options are compared as a person reads them: a base that reads like its
    # calibrated particle is that option to the person, so the champion stays the base itself
    model, space, x, _, _, keys = _toy(n=4)
    far = torch.full_like(x, 0.45)
    r0 = x + ((1.4001 - x.sum(-1, keepdim=True)) / (far - x).sum(-1, keepdim=True)) * (far - x)

    def shown(points):  # two decimals, as a display would round them
        return torch.round(points * 100) / 100

    settings = ActiveSettings(budget=10, rounds=1, particles=64, candidates=12)
    session = ActiveHareSession(model, x, r0, space, settings, keys, shown=shown)
    calibrated = session.theta[:, 0]
    assert not torch.equal(calibrated, r0)
    assert torch.equal(shown(calibrated), shown(r0))
    assert torch.equal(session.champion, r0)


def test_a_few_cost_hypotheses_price_options_as_they_do_among_all():
    """``CostHypotheses.chosen`` (the hypotheses whose favourite particles a question offers)
    gives each chosen hypothesis's cost, weighted, limit, fewest changes or hardest change, as
    ``costs`` does."""
    model, space, x, r0, ideal, keys = _toy()
    session = ActiveHareSession(model, x, r0, space, ActiveSettings(particles=64), keys)
    users = torch.arange(len(x))
    options = session.theta[:, :10]
    count = session.costs.count
    index = torch.stack([torch.tensor([0, count // 2 - 1, count // 2, count - 2, count - 1])]
                        * len(x))
    index[1::2, 1] = 7  # per user, not one set for all
    every = session.costs.costs(users, options)
    wanted = every.gather(2, index.unsqueeze(1).expand(-1, options.shape[1], -1))
    assert torch.allclose(session.costs.chosen(users, options, index), wanted, rtol=1e-12)


def test_the_posterior_expected_cost_mixes_every_kinds_cost():
    """``CostHypotheses.expected`` (what the estimate and the cheapest candidates rank by) is
    Σ_h w_h·cost_h over the weighted, limit, fewest-changes and hardest-change hypotheses,
    where the limit hypotheses' mass lies on at most LIMIT_TOP of them."""
    model, space, x, r0, ideal, keys = _toy()
    session = ActiveHareSession(model, x, r0, space, ActiveSettings(particles=64), keys)
    users, costs = torch.arange(len(x)), session.costs
    options = session.theta[:, :10]
    n_w = costs.weights.shape[1]
    w = torch.rand(len(x), costs.count, generator=torch.Generator().manual_seed(2),
                   dtype=torch.float64)
    w[:, n_w + LIMIT_TOP:2 * n_w] = 0.0  # the limit hypotheses beyond the likeliest weigh nothing
    every = costs.costs(users, options)  # (N, K, H)
    assert torch.allclose(costs.expected(users, options, w), (every * w.unsqueeze(1)).sum(-1),
                          rtol=1e-10)


def test_each_kinds_prior_mass_goes_to_its_own_hypotheses():
    """``kind_prior``'s masses (after the ideal point's) reach the weighted, limit, fewest-changes
    and hardest-change hypotheses, in that order, each kind's spread evenly over its own."""
    model, space, x, r0, ideal, keys = _toy(n=2)
    costs = ActiveHareSession(model, x, r0, space, ActiveSettings(particles=64), keys).costs
    n_w = costs.weights.shape[1]
    prior = costs.log_prior(0.1, 0.2, 0.3, 0.4).exp()
    assert torch.allclose(prior[:n_w], torch.full((n_w,), 0.1 / n_w, dtype=prior.dtype))
    assert torch.allclose(prior[n_w:2 * n_w], torch.full((n_w,), 0.2 / n_w, dtype=prior.dtype))
    assert torch.allclose(prior[-2:], torch.tensor([0.3, 0.4], dtype=prior.dtype))


def test_the_hardest_change_kind_prefers_a_change_spread_over_features():
    """Of one change of 0.3 and two of 0.2, the fewest-changes hypothesis is cheaper with the
    one, the hardest-change hypothesis with the two."""
    model, space, x, r0, ideal, keys = _toy(n=2)
    session = ActiveHareSession(model, x, r0, space, ActiveSettings(particles=64), keys)
    one = x + torch.tensor([0.3, 0.0, 0.0, 0.0], dtype=x.dtype)
    two = x + torch.tensor([0.2, 0.2, 0.0, 0.0], dtype=x.dtype)
    raw = session.costs.raw(torch.arange(2), torch.stack([one, two], dim=1))  # (N, 2, H)
    fewest, hardest = raw[..., -2], raw[..., -1]
    assert bool((fewest[:, 0] < fewest[:, 1]).all()) and bool((hardest[:, 1] < hardest[:, 0]).all())


def test_a_cut_offers_a_particle_that_changes_one_of_the_champions_features_less():
    """``_cuts``: each found cut is a valid particle changing some feature that the champion
    changes by at most ``cut_to`` of the champion's change, two cuts are never the same, and
    each is taken out of the scores; where every particle changes every feature more than the
    champion, nothing is found and the scores stand."""
    model, space, x, r0, ideal, keys = _toy()
    settings = ActiveSettings(particles=64, cuts=2, cut_to=0.7)
    session = ActiveHareSession(model, x, r0, space, settings, keys)
    users = torch.arange(len(x))
    theta, alive = session.theta, session.alive
    score = torch.where(alive, torch.rand(alive.shape, generator=torch.Generator().manual_seed(2),
                                          dtype=torch.float64), -torch.inf)
    left = score.clone()
    picks, found = session._cuts(users, theta, left, keys, 2)
    assert found.all()  # the toy's particles spread over the whole boundary plane
    champion = (session.champion - x).abs()
    moved = (theta.gather(1, picks.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
             - x.unsqueeze(1)).abs()  # (N, 2, d)
    cut = (moved <= 0.7 * champion.unsqueeze(1)) & (champion > settings.min_separation).unsqueeze(1)
    assert cut.any(-1).all()
    assert alive.gather(1, picks).all() and (picks[:, 0] != picks[:, 1]).all()
    assert torch.isinf(left.gather(1, picks)).all()
    assert torch.equal(torch.isinf(left).sum(-1), torch.isinf(score).sum(-1) + 2)
    far = x.unsqueeze(1) + 2 * (session.champion - x).unsqueeze(1).expand_as(theta)
    untouched = score.clone()
    _, none = session._cuts(users, far, untouched, keys, 2)
    assert not none.any() and torch.equal(untouched, score)
