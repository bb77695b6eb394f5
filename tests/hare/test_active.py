"""Active HARE: budget, valid and actionable results, concentration on a known ideal point,
distinct options in every comparison, robustness to wrong answers."""

import pytest
import torch
from torch import nn

from hare.actions import ActionSpace
from hare.active import _EXPLORE, ActiveHareSession, ActiveSettings, _stream
from hare.active_model import LapseMixture
from hare.errors import ConfigError
from hare.generators import make_generator
from hare.models import Classifier
from hare.rng import user_keys
from hare.session import HareSession, HareSettings, run_to_end
from hare.users import SimulatedUser, simulate_ground_truth

from conftest import refused

SMALL = dict(particles=64, candidates=12)


@pytest.fixture(scope="module")
def compas_setup(compas, compas_ann):
    x, keys = refused(compas_ann, compas, 20)
    space = ActionSpace.for_dataset(compas)
    r0 = make_generator("gs").fit(compas, compas_ann, space).generate(x, keys)
    truth = simulate_ground_truth(compas_ann, x, space, "far", keys)
    return x, keys, space, r0, truth


class Recorder:
    """Wraps an oracle and keeps every question it answered."""

    def __init__(self, oracle):
        self.oracle, self.questions = oracle, []

    def answer(self, question):
        self.questions.append(question)
        return self.oracle.answer(question)


class Linear3(Classifier):
    """g(x) = σ(20·(x₁ + x₂ + x₃ − 1.2)): positive beyond the plane x₁+x₂+x₃ = 1.2."""

    kind = "lr"

    def __init__(self):
        super().__init__()
        self.net = nn.Linear(3, 1).double()
        with torch.no_grad():
            self.net.weight.fill_(20.0)
            self.net.bias.fill_(-24.0)


def _toy():
    """Six users at x = (0.1, 0.1, 0.1) with different ideal points on the boundary plane."""
    model = Linear3()
    d = 3
    space = ActionSpace(mutable=torch.ones(d, dtype=torch.bool),
                        binary=torch.zeros(d, dtype=torch.bool),
                        lower=torch.zeros(d, dtype=torch.float64),
                        upper=torch.ones(d, dtype=torch.float64),
                        direction=torch.zeros(d, dtype=torch.int8))
    ideal = torch.tensor([[0.4, 0.4, 0.4], [0.8, 0.2, 0.2], [0.2, 0.2, 0.8], [0.1, 0.5, 0.6],
                          [0.6, 0.6, 0.0], [0.3, 0.7, 0.2]], dtype=torch.float64)
    n = len(ideal)
    x = torch.full((n, d), 0.1, dtype=torch.float64)
    r0 = torch.tensor([0.45, 0.45, 0.45], dtype=torch.float64).expand(n, d).clone()
    return model, space, x, r0, ideal, user_keys(0, torch.arange(n))


@pytest.mark.parametrize("budget,rounds", [(30, 3), (10, 3), (12, 1), (8, 4)])
def test_spends_at_most_the_budget(compas_setup, compas_ann, budget, rounds):
    x, keys, space, r0, truth = compas_setup
    settings = ActiveSettings(budget=budget, rounds=rounds, **SMALL)
    user = Recorder(SimulatedUser(truth.recourse, keys))
    result = run_to_end(ActiveHareSession(compas_ann, x, r0, space, settings, keys), user)
    assert bool((result.queries <= budget).all()) and bool((result.queries >= rounds).all())
    # asked = charged: every question a user saw counts once
    seen = torch.zeros(len(x), dtype=torch.long)
    accepts = torch.zeros(len(x), dtype=torch.long)
    for q in user.questions:
        seen[q.users] += 1
        if q.kind == "accept":
            accepts[q.users] += 1
    assert torch.equal(seen, result.queries)
    assert accepts.tolist() == [rounds] * len(x)  # one "good enough?" per round, never accepted
    assert user.questions[-1].kind == "accept"
    # each round's size is B split as evenly as possible, ending with "good enough?"
    sizes = [settings.round_size(r) for r in range(1, rounds + 1)]
    assert sum(sizes) == budget and max(sizes) - min(sizes) <= 1


def test_recourses_are_valid_and_actionable(compas_setup, compas, compas_ann):
    x, keys, space, r0, truth = compas_setup
    r0 = r0.clone()
    r0[:2] = float("nan")  # the base generator failed for two users
    user = Recorder(SimulatedUser(truth.recourse, keys))
    result = run_to_end(ActiveHareSession(compas_ann, x, r0, space,
                                          ActiveSettings(budget=12, **SMALL), keys), user)
    assert torch.isnan(result.recourse[:2]).all() and result.queries[:2].tolist() == [0, 0]
    r = result.recourse[2:]
    assert bool((compas_ann(r) >= 0.5).all())
    assert bool(space.is_actionable(x[2:], r).all())
    assert torch.equal(r[:, compas.immutable_mask], x[2:, compas.immutable_mask])
    # every option shown was itself a valid, actionable recourse
    for q in user.questions:
        shown = [q.current] + ([q.challenger] if q.challenger is not None else [])
        for option in shown:
            assert bool((compas_ann(option) >= 0.5).all())
            assert bool(space.is_actionable(x[q.users], option).all())


def test_recourse_is_the_base_or_calibrated_to_the_boundary(compas_setup, compas_ann):
    """What is returned is the base recourse itself (the person kept it) or a BPS-calibrated
    particle: a step of 1e-4 back toward the factual leaves the positive region."""
    x, keys, space, r0, truth = compas_setup
    result = run_to_end(ActiveHareSession(compas_ann, x, r0, space,
                                          ActiveSettings(budget=10, **SMALL), keys),
                        SimulatedUser(truth.recourse, keys))
    r = result.recourse
    assert bool((compas_ann(r) >= 0.5).all())
    moved = ~(r == r0).all(-1)
    assert int(moved.sum()) >= len(r) // 2  # most people chose something else
    r, x = r[moved], x[moved]
    back = r + 1e-4 * (x - r) / (x - r).norm(dim=-1, keepdim=True)
    assert float((compas_ann(back) < 0.5).float().mean()) > 0.9


@pytest.mark.parametrize("noise,param", [("none", 0.0), ("bernoulli", 0.2), ("logistic", 10.0)])
def test_no_identical_pair_is_ever_asked(compas_setup, compas_ann, noise, param):
    x, keys, space, r0, truth = compas_setup
    settings = ActiveSettings(budget=30, rounds=1, **SMALL)
    user = Recorder(SimulatedUser(truth.recourse, keys, noise, param))
    run_to_end(ActiveHareSession(compas_ann, x, r0, space, settings, keys), user)
    compares = [q for q in user.questions if q.kind == "compare"]
    assert len(compares) >= 20
    for q in compares:
        # options closer than min_separation are never put as a pair, but for the base
        # recourse against its calibrated particle (settled even as a near copy)
        gap = (q.current - q.challenger).norm(dim=-1)
        base = r0[q.users]
        is_base = (q.current == base).all(-1) | (q.challenger == base).all(-1)
        assert bool((gap > 0).all())
        assert bool(((gap > settings.min_separation) | is_base).all())
    # nor is the same pair put to a user twice
    for i in range(len(x)):
        pairs = [tuple(sorted((tuple(q.current[r].tolist()), tuple(q.challenger[r].tolist()))))
                 for q in compares for r in torch.nonzero(q.users == i).flatten().tolist()]
        assert len(pairs) == len(set(pairs))


def _mean_error(session):
    theta, w = session.posterior()
    mean = (w.unsqueeze(-1) * theta).sum(1)
    return mean, theta


def _spread(session, ideal):
    """(N,) posterior expected distance from the particles to the ideal point."""
    theta, w = session.posterior()
    return (w * (theta - ideal.unsqueeze(1)).norm(dim=-1)).sum(-1)


def test_posterior_concentrates_near_a_known_ideal_point():
    model, space, x, r0, ideal, keys = _toy()
    session = ActiveHareSession(model, x, r0, space, ActiveSettings(budget=30, rounds=1), keys)
    prior_spread = _spread(session, ideal)
    result = run_to_end(session, SimulatedUser(ideal, keys))
    mean, _ = _mean_error(session)
    assert bool(((mean - ideal).norm(dim=-1) < 0.06).all()), mean
    spread = _spread(session, ideal)
    assert bool((spread < 0.1).all()) and bool((spread < 0.25 * prior_spread).all()), spread
    assert bool(((result.recourse - ideal).norm(dim=-1) < 0.06).all())
    assert bool((model(result.recourse) >= 0.5).all())


@pytest.mark.parametrize("flip,near,share,most", [(0.1, 0.1, 0.75, 0.1), (0.2, 0.2, 0.55, 0.25)])
def test_wrong_answers_are_not_fatal(flip, near, share, most):
    """Flipped answers: most users still end near their ideal point (a tournament that loses
    its best candidate to one wrong answer cannot get it back). Which users an early run of
    wrong answers misleads depends on the float path of the machine, so this is a statement
    about many users (the toy's six ideal points, 20 users each), not about six of them."""
    model, space, x, r0, ideal, _ = _toy()
    ideal, x, r0 = ideal.repeat(20, 1), x.repeat(20, 1), r0.repeat(20, 1)
    keys = user_keys(0, torch.arange(len(ideal)))
    session = ActiveHareSession(model, x, r0, space, ActiveSettings(budget=30, rounds=1), keys)
    result = run_to_end(session, SimulatedUser(ideal, keys, "bernoulli", flip))
    error = (result.recourse - ideal).norm(dim=-1)
    assert float((error < near).double().mean()) >= share, error
    assert float(error.mean()) < most
    # and it beats Multi-HARE's tournament under the same flipped answers, by far
    tournament = run_to_end(HareSession(model, x, r0, space, HareSettings(30, 5), keys),
                            SimulatedUser(ideal, keys, "bernoulli", flip))
    assert float(error.mean()) < 0.75 * float((tournament.recourse - ideal).norm(dim=-1).mean())
    assert bool((model(result.recourse) >= 0.5).all())


def test_a_person_is_a_batch_of_one(compas_setup, compas_ann):
    x, keys, space, r0, truth = compas_setup
    session = ActiveHareSession(compas_ann, x[:1], r0[:1], space,
                                ActiveSettings(budget=6, rounds=2, **SMALL), keys[:1])
    asked = 0
    while (q := session.next_question()) is not None:
        assert q.users.tolist() == [0] and q.current.shape == (1, x.shape[1])
        assert session.next_question() is q  # asking again repeats the pending question
        session.answer(True if q.kind == "compare" else False)
        asked += 1
    assert asked == 6 and session.done
    with pytest.raises(RuntimeError):
        session.answer(True)


def test_accepting_stops_early(compas_setup, compas_ann):
    x, keys, space, r0, truth = compas_setup
    user = Recorder(SimulatedUser(truth.recourse, keys, tolerance=0.3))
    result = run_to_end(ActiveHareSession(compas_ann, x, r0, space,
                                          ActiveSettings(budget=30, rounds=3, **SMALL), keys), user)
    assert result.accepted.any()
    said_yes_in = torch.zeros(len(x), dtype=torch.long)
    for q in user.questions:
        if q.kind == "accept":
            said_yes_in[q.users[user.oracle.answer(q)]] = q.iteration
    # a "yes" ends the session at the end of its round: at most 10 questions per round so far
    accepted = result.accepted
    assert torch.equal(said_yes_in > 0, accepted)
    assert bool((result.queries[accepted] <= 10 * said_yes_in[accepted]).all())
    assert bool((result.queries[accepted] < 30).any())
    distance = (result.recourse - truth.recourse).norm(dim=-1)
    assert bool((distance[accepted] <= 0.3).all())


def test_one_good_enough_question_per_ten_by_default():
    assert [ActiveSettings(budget=b).rounds for b in (2, 10, 19, 20, 30)] == [1, 1, 1, 2, 3]
    assert ActiveSettings(budget=10, rounds=2).round_size(1) == 5


@pytest.mark.parametrize("kwargs,message", [
    (dict(budget=1), "at least 2"), (dict(budget=5, rounds=3), "2 × rounds"),
    (dict(rounds=0), "at least 1"), (dict(particles=4), "particles"),
    (dict(candidates=1), "candidates"), (dict(beta=0), "beta"), (dict(lapse=0.5), "lapse"),
    (dict(refresh_every=0), "refresh_every"), (dict(min_separation=0), "min_separation"),
    (dict(ig_particles=1), "ig_particles"), (dict(champion_weight=0), "champion_weight"),
    (dict(settle_weight=-0.1), "settle_weight"), (dict(kind_favourites=-1), "kind_favourites"),
    (dict(near_champion=1.5), "near_champion"), (dict(near_step=0), "near_step"),
    (dict(cuts=-1), "cuts"), (dict(cut_to=1.0), "cut_to"),
    (dict(kind_prior=(0.4, 0.2, 0.2, 0.2)), "kind_prior"),
    (dict(kind_prior=(0.5, 0.2, 0.2, 0.1, 0.1)), "kind_prior"),
    (dict(kind_prior=(0.0, 0.4, 0.2, 0.2, 0.2)), "kind_prior")])
def test_invalid_settings_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ActiveSettings(**kwargs)


def _pairs_asked(champion_weight: float, kind_prior: tuple) -> list[torch.Tensor]:
    model, space, x, r0, ideal, keys = _toy()
    settings = ActiveSettings(budget=12, rounds=1, champion_weight=champion_weight,
                              kind_prior=kind_prior)
    user = Recorder(SimulatedUser(ideal, keys))
    run_to_end(ActiveHareSession(model, x, r0, space, settings, keys), user)
    return [torch.cat([q.current, q.challenger]) for q in user.questions if q.kind == "compare"]


def _same_questions(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(p.shape == q.shape and torch.equal(p, q) for p, q in zip(a, b))


def test_the_champion_weight_acts_only_where_the_person_may_be_of_a_cost_kind():
    """A pair with the champion counts up to ``champion_weight`` times, by the posterior's odds
    of a cost kind: with only ideal points in the prior the weight changes no question, with
    the cost kinds in it, it does."""
    ideal_only = (1.0, 0.0, 0.0, 0.0, 0.0)
    assert _same_questions(_pairs_asked(1.0, ideal_only), _pairs_asked(5.0, ideal_only))
    mixed = ActiveSettings().kind_prior
    assert not _same_questions(_pairs_asked(1.0, mixed), _pairs_asked(5.0, mixed))


def test_cost_hypotheses_the_prior_rules_out_offer_no_option():
    """The favourites of drawn cost hypotheses are candidates only where the prior gives the
    cost kinds mass: with ideal points alone, their number changes no question; with a few
    candidates there is room for fewer of them, and the session still runs."""
    model, space, x, r0, ideal, keys = _toy()

    def asked(**kwargs):
        settings = ActiveSettings(budget=12, rounds=1, **kwargs)
        user = Recorder(SimulatedUser(ideal, keys))
        run_to_end(ActiveHareSession(model, x, r0, space, settings, keys), user)
        return [torch.cat([q.current, q.challenger]) for q in user.questions
                if q.kind == "compare"]

    ideal_only = (1.0, 0.0, 0.0, 0.0, 0.0)
    assert _same_questions(asked(kind_prior=ideal_only, kind_favourites=0),
                           asked(kind_prior=ideal_only, kind_favourites=4))
    assert not _same_questions(asked(kind_favourites=0), asked(kind_favourites=4))
    assert len(asked(candidates=4, kind_favourites=4)) > 0


def test_each_user_gets_what_they_would_get_alone(compas_setup, compas_ann):
    """A user's questions and result depend on their own key and answers only, never on who
    else shares the batch: a person alone in the app meets the benchmark's session. Up to
    floating point: BPS bisects as many times as the batch's longest segment needs, so points
    agree to ~1e-6 and a near-tie between two particles downstream can drift by a little."""
    x, keys, space, r0, truth = compas_setup
    settings = ActiveSettings(budget=12, rounds=2, **SMALL)
    batch = run_to_end(ActiveHareSession(compas_ann, x, r0, space, settings, keys),
                       SimulatedUser(truth.recourse, keys))
    for i in (0, 7):
        one = slice(i, i + 1)
        alone = run_to_end(
            ActiveHareSession(compas_ann, x[one], r0[one], space, settings, keys[one]),
            SimulatedUser(truth.recourse[one], keys[one]))
        torch.testing.assert_close(alone.recourse, batch.recourse[one], atol=1e-2, rtol=0)
        assert alone.queries.tolist() == batch.queries[one].tolist()


def test_nothing_to_compare_asks_only_good_enough(compas_setup, compas_ann):
    """With one free column every valid recourse is the same boundary point: no pair is
    distinguishable, so no comparison is asked or charged, only "good enough?"; users with no
    actionable valid point at all keep their base recourse, as HARE keeps its incumbent."""
    x, keys, space, r0, truth = compas_setup
    free = torch.nonzero(space.continuous_mutable).flatten()[0]
    frozen = space.continuous_mutable.clone()
    frozen[free] = False
    narrow = space.restrict(frozen=frozen)
    user = Recorder(SimulatedUser(truth.recourse, keys))
    session = ActiveHareSession(compas_ann, x, r0, narrow, ActiveSettings(budget=10, **SMALL), keys)
    result = run_to_end(session, user)
    assert [q.kind for q in user.questions] == ["accept"]
    assert result.queries.tolist() == [1] * len(x)
    assert result.skipped.tolist() == [9] * len(x)
    assert result.invalid_candidates.tolist() == [0] * len(x)  # no option shown is invalid
    has_particle = session.alive.any(-1)
    assert has_particle.any() and (~has_particle).any()
    assert bool((compas_ann(result.recourse[has_particle]) >= 0.5).all())
    assert bool(narrow.is_actionable(x[has_particle], result.recourse[has_particle]).all())
    assert torch.equal(result.recourse[~has_particle], r0[~has_particle])


def test_active_hare_is_a_variant_of_a_benchmark_run():
    """The runner builds it from a RunConfig (iterations = its rounds) and scores it like HARE."""
    from hare.bench.config import RunConfig
    from hare.bench.runner import execute_run

    cfg = RunConfig("compas", "ann", "gs", "active_hare", budget=10, iterations=1, users=8)
    assert cfg.normalised().bps is None and cfg.run_id != RunConfig(
        "compas", "ann", "gs", "multi_hare", budget=10, iterations=1, users=8).run_id
    record = execute_run(cfg)
    users = record.users
    assert record.summary["variant"] == "active_hare"
    assert (users["queries"] <= 10).all() and (users["queries"] >= 1).all()
    base = execute_run(RunConfig("compas", "ann", "gs", "base", users=8)).summary
    assert record.summary["success_rate"] == base["success_rate"]
    assert record.summary["gtp"] < base["gtp"]


def test_a_session_started_from_another_sessions_first_particles_is_the_same(compas_setup,
                                                                             compas_ann):
    """The first particles do not depend on the budget, rounds or answers, so a session handed
    another session's (the sweep runner shares them) runs exactly as if it built its own, and
    neither session changes the shared copy."""
    x, keys, space, r0, truth = compas_setup
    donor = ActiveHareSession(compas_ann, x, r0, space, ActiveSettings(budget=30, **SMALL), keys)
    shared = (donor.first.theta.clone(), donor.first.alive.clone())
    run_to_end(donor, SimulatedUser(truth.recourse, keys))
    settings = ActiveSettings(budget=10, rounds=2, **SMALL)
    assert settings.first_particles_key() == donor.settings.first_particles_key()
    own = run_to_end(ActiveHareSession(compas_ann, x, r0, space, settings, keys),
                     SimulatedUser(truth.recourse, keys, "bernoulli", 0.2))
    handed = run_to_end(ActiveHareSession(compas_ann, x, r0, space, settings, keys,
                                          first=donor.first),
                        SimulatedUser(truth.recourse, keys, "bernoulli", 0.2))
    assert torch.equal(torch.nan_to_num(own.recourse), torch.nan_to_num(handed.recourse))
    assert torch.equal(own.queries, handed.queries)
    assert torch.equal(donor.first.theta, shared[0]) and torch.equal(donor.first.alive, shared[1])
    assert ActiveSettings(particles=32).first_particles_key() != settings.first_particles_key()


def test_invalid_particles_come_back_unchanged_and_valid_ones_on_the_boundary(compas_setup,
                                                                               compas_ann):
    """_calibrate bisects only the candidates the model accepts; the others are returned as
    projected, marked invalid, as BoundaryPointSearch on all of them would."""
    from hare.candidates import boundary_point_search

    x, keys, space, r0, _ = compas_setup
    session = ActiveHareSession(compas_ann, x, r0, space, ActiveSettings(budget=10, **SMALL), keys)
    raw = session._prior_rays(torch.arange(len(x)), 40, _stream(_EXPLORE, 9_990))
    points, valid = session._calibrate(x, raw)
    projected = space.project(x.unsqueeze(1), raw)
    every, every_valid = boundary_point_search(compas_ann, x, projected, space)
    assert valid.any() and (~valid).any()
    assert torch.equal(valid, every_valid)
    assert torch.equal(points[~valid], projected[~valid])
    torch.testing.assert_close(points[valid], every[valid], atol=2e-6, rtol=0)
    assert bool((compas_ann(points[valid]) >= 0.5).all())


def test_information_gain_is_the_expected_entropy_reduction():
    """The pass-saving formula equals the textbook one, H(E_θ[p]) − E_θ[H(p)], computed the
    plain way (float32 rounding apart), for the allowed pairs alone (the others −inf, and the
    allowed ones bit for bit as when every pair is allowed); a pair of one option with itself
    gains nothing."""
    from hare.active_gain import information_gain as _information_gain

    s = ActiveSettings()
    g = torch.Generator().manual_seed(3)
    dist = torch.rand(5, 6, 40, generator=g)
    wt = torch.rand(5, 1, 40, generator=g)
    wt = wt / wt.sum(-1, keepdim=True)
    iu, ju = torch.triu_indices(6, 6, 1)
    every = torch.ones(5, len(iu), dtype=torch.bool)

    def h(p):
        return -(p * p.log() + (1 - p) * (1 - p).log())

    lik = s.lapse + (1 - 2 * s.lapse) * torch.sigmoid(s.beta * (dist[:, ju] - dist[:, iu]))
    plain = h((lik * wt).sum(-1)) - (h(lik) * wt).sum(-1)
    gains = _information_gain(dist, wt, iu, ju, every, s)
    torch.testing.assert_close(gains, plain, atol=1e-6, rtol=0)
    some = torch.rand(5, len(iu), generator=g) < 0.4
    partial = _information_gain(dist, wt, iu, ju, some, s)
    assert torch.equal(partial[some], gains[some])
    assert bool((partial[~some] == -torch.inf).all())
    same = torch.zeros(1, dtype=torch.long)
    one = torch.ones(5, 1, dtype=torch.bool)
    assert float(_information_gain(dist, wt, same, same, one, s).abs().max()) < 1e-6
    # without a lapse the likelihoods reach 0 and 1 (σ saturates): the gains stay finite
    far = torch.cat([dist, dist + 50.0], dim=1)
    iu2, ju2 = torch.triu_indices(12, 12, 1)
    gains = _information_gain(far, wt, iu2, ju2, torch.ones(5, len(iu2), dtype=torch.bool),
                              ActiveSettings(lapse=0.0))
    assert bool(torch.isfinite(gains).all())


def test_a_group_of_active_runs_shares_work_and_gets_what_each_gets_alone():
    """In one context, a generator's active runs build one set of first particles, and B 10 in
    1 round and B 20 in 2 are read from B 30 in 3 (its first one and two rounds, with the same
    answers, noisy ones included); B 20 in 1 round (rounds of 20) and another noise are not.
    Every run's metrics are those of the run executed on its own."""
    from hare.bench.config import RunConfig
    from hare.bench.runner import RunContext, execute_run, run_one

    def cfg(budget, rounds, noise="bernoulli"):
        return RunConfig("compas", "ann", "gs", "active_hare", budget=budget, iterations=rounds,
                         users=8, noise=noise, noise_param=0.2 if noise != "none" else 0.0)

    configs = [cfg(30, 3), cfg(10, 1), cfg(20, 2), cfg(20, 1), cfg(30, 3, "none")]
    context = RunContext()
    together = [run_one(c, context).summary for c in configs]
    assert len(context.first_particles) == 1
    # one entry per round of each session that ran: B 30 (3 rounds, twice) and B 20 in 1
    assert len(context.active_rounds) == 3 + 1 + 3
    for c, summary in zip(configs, together):
        alone = execute_run(c).summary
        for metric in ("gtp", "gtd", "success_rate", "queries_mean", "accepted_rate",
                       "invalid_candidates_mean"):
            assert summary[metric] == alone[metric], (c.budget, c.iterations, metric)
    # (a comparison a person has no distinguishable pair for is skipped, uncharged: at most B)
    assert 9 <= together[1]["queries_mean"] <= 10 < together[2]["queries_mean"] <= 20


def test_answer_noise_is_marginalised_over_every_lapse_and_sharpness():
    """The noise levels are every (lapse, sharpness) pair: a history's marginal likelihood is
    Σ π(ℓ)·π(s)·Π_t P(answer_t | ℓ, s), each P = ℓ + (1 − 2ℓ)·σ(s·β·Δ_t)."""
    noise = LapseMixture(values=(0.05, 0.2), prior=(0.25, 0.75), sharpness=(1.0, 4.0),
                         sharpness_prior=(0.6, 0.4))
    gaps, beta = torch.tensor([[0.3, -0.1, 0.05]], dtype=torch.float64), 2.0
    loglik = noise.log_likelihood(gaps, beta).sum(1)  # (1, L): one history
    assert noise.size == 4 and loglik.shape == (1, 4)
    expected = sum(pl * ps * torch.prod(lapse + (1 - 2 * lapse) * torch.sigmoid(s * beta * gaps))
                   for lapse, pl in zip(noise.values, noise.prior)
                   for s, ps in zip(noise.sharpness, noise.sharpness_prior))
    # (computed in float32, as the refreshes need it fast)
    assert torch.allclose(noise.marginal(loglik).exp().double(), expected.reshape(1), rtol=1e-5)


def test_consistent_answers_raise_the_sharper_likelihood():
    """Answers that agree with a hypothesis by a clear margin move the posterior's mass over
    the noise levels to the sharper one: P(s = 3 | answers) above its prior of a half."""
    noise = LapseMixture()
    gaps = torch.full((1, 10), 0.2, dtype=torch.float64)
    loglik = noise.log_likelihood(gaps, 10.0).sum(1).reshape(len(noise.values), -1)
    prior = torch.outer(torch.tensor(noise.prior), torch.tensor(noise.sharpness_prior))
    posterior = torch.softmax((loglik + prior.double().log()).flatten(), 0).reshape(prior.shape)
    sharp = noise.sharpness.index(3.0)
    assert noise.sharpness_prior[sharp] == 0.5 and posterior[:, sharp].sum() > 0.5
