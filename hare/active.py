"""Active HARE: learn where the person's preferred recourse lies, and ask what tells most.

HARE's king-of-the-hill tournament keeps one of two points per answer and learns nothing else.
:class:`ActiveHareSession` instead keeps, per user, a posterior over the person's *ideal*
recourse θ under the ideal-point model (a person prefers the option nearer to θ), represented by
P particles that are themselves valid, BPS-calibrated recourses on the actionable columns. Each
"which of these two?" answer is a half-space constraint on θ (Jamieson & Nowak, NeurIPS 2011,
active ranking from pairwise comparisons), folded in with a logistic (Bradley–Terry) likelihood
with a lapse rate, so a wrong answer lowers a particle's weight but never kills it. The posterior
also ranges over other kinds of person (a weighted cost, limits, fewest changes, the hardest
change: hare.active_model), and the lapse is marginalised per person over a few values. Each
question is the pair of options with the largest expected information gain (Canal et al., ICML
2019, "Active embedding search via noisy paired comparisons", the pairsearch idea) among
candidate particles, the champion (the best option the person has chosen) and their rivals
(below), a pair with the champion counting up to three times (by the odds that the person is of
a cost kind), so a question can teach and improve what is returned at once; the estimate is the
posterior's Bayes choice for the person's own cost (De Toni et al., TMLR 2024, PEAR, for asking
recourse questions by expected utility).

A *rival* is an option the person picked in a pair without the champion and never turned down
since. Within each round every rival is settled against the champion or another rival before
"good enough?": a pair of two options that are neither adds at most one rival, so once the
rivals are as many as the round's free comparisons left, only pairs among the champion and
rivals are asked (the one that teaches most), each settling one. A consistent person's best
option so far never loses, so the champion shown at "good enough?" and returned is never
costlier than any option they picked (``ActiveSettings.playoff``).

The particles start as the base recourse r0, ActionableSampling around r0 and random rays from
the factual, all through BoundaryPointSearch; after each answer the least likely half (outside a
reservoir of prior particles kept for recovery from wrong answers) is replaced by jittered copies
of likely ones, calibrated again and weighted by the whole answer history. Everything shown or
returned is a particle (valid, g ≥ τ, 0.5 by default, actionable and on the boundary) or the base
recourse itself. The champion starts as the base recourse, or as its calibrated particle where
that is as near the factual on every feature (the base then stands as an option the person was
offered, settled against the champion in the first round), and changes only to an option the
person picked over it, so a consistent person never ends with more than the base costs them.

Budget accounting, as HARE: at most B questions in all, "is this good enough?" included. The B
questions form ``rounds`` rounds (B split as evenly as possible, e.g. B 10 in 3 rounds: 4, 3, 3);
each round asks its comparisons, the last of them the estimate against the champion (the base
recourse to start with, then the winner of each such comparison), and then "good enough?" about
the champion (one accept question per round, like Multi-HARE's T iterations); the champion is
returned, so a consistent person never ends with more than the base or any option they picked. By
default a person is asked "good enough?" once per 10 questions: rounds = max(1, B // 10), so B 30
asks 27 comparisons and 3 accept questions, B 10 asks 9 and 1.
A comparison a user has no distinguishable pair for is skipped without charging the budget, so
B is an upper bound. The session is a hare.questions.RecourseSession, as HareSession is
(``next_question`` / ``answer`` / ``result`` / ``done``): ``run_to_end`` and the simulated users
drive it unchanged, and a person is a batch of one.
"""

from __future__ import annotations

import math

import torch

from hare.actions import ActionSpace
from hare.active_gain import expected_distance, ideal_gap, information_gain
from hare.active_model import CostHypotheses
from hare.active_settings import ActiveSettings, FirstParticles
from hare.candidates import (actionable_sampling, boundary_point_search, reach_target,
                             secant_search)
from hare.models import Classifier
from hare.questions import Question, SessionResult, checked_answers
from hare.rng import STREAMS, keyed_normal, keyed_uniform, stream, user_keys

# Keyed random streams of this module: hare.rng's "active" range, 10,000 per purpose.
_STREAM = STREAMS["active"][0]
_INIT, _RAYS, _PICK, _PARENT, _JITTER, _EXPLORE = range(6)
_WEIGHTS, _SPARSE, _NEAR, _CUT = 0, 1, 2, 3  # purposes of the "active_kinds" streams
_RISK_GRAIN = 1e4  # expected costs are compared to 1e-4
_RIVAL_OPTIONS = 4  # rivals (ActiveHareSession._playoff) offered beside the particles
_RANKING_PARTICLES = 64  # likeliest ideal points a question's candidates are ranked over
# which pairs a slot may ask a user (ActiveHareSession._playoff): any; only pairs with the
# champion (no new rival may appear); only pairs of the champion and rivals (one must be settled)
_ANY, _KEEP, _SETTLE = range(3)

__all__ = ["ActiveHareSession", "ActiveSettings", "FirstParticles"]


def _stream(purpose: int, counter: int = 0) -> int:
    return stream("active", 10_000 * purpose + counter)


def _kinds_stream(purpose: int, counter: int = 0) -> int:
    return stream("active_kinds", 1_000 * purpose + counter)


def _pairs_asked(same_a: torch.Tensor, same_b: torch.Tensor, used: torch.Tensor) -> torch.Tensor:
    """(M, K, K) bool: options i and j were put as a pair, in either order, given whether each
    of K options is each question's first (same_a, (M, K, T)) or second option (same_b) and
    which questions were asked (used, (M, 1, T))."""
    is_a = (same_a & used).float()
    is_b = (same_b & used).float()
    both = is_a @ is_b.transpose(1, 2)  # (M, K, K): i was a and j was b in some question
    return (both + both.transpose(1, 2)) > 0


def _counted(keys: torch.Tensor, counter: torch.Tensor) -> torch.Tensor:
    """(M,) keys for each user's ``counter``-th draw of a purpose: per-user counters, so a
    user's draws never depend on which other users share the batch (hare.rng)."""
    return user_keys(_STREAM, (keys + counter * 0x9E3779B1) & 0xFFFFFFFF)


class ActiveHareSession:
    """Active elicitation for a batch of users, a RecourseSession like HareSession (see module
    docstring).

    x, r0: (N, d) factuals and base recourses (NaN rows: the base generator failed, so the user
    is asked nothing and gets no recourse). keys: (N,) per-user random keys (hare.rng).
    ``shown``: as in HareSession, maps points (..., d) to what a person sees, so two options
    that would look the same are never put as a pair; by default options closer than
    ``min_separation`` count as the same. With τ > 0.5 the base recourse is first pushed past
    τ (``reach_target``); one that cannot be is a failure for that user. ``first``: the
    ``FirstParticles`` of an earlier session of the same users, base recourses, keys and
    ``first_particles_key()`` (what it would compute itself, bit for bit); ``self.first`` is
    this session's, to hand on.
    """

    def __init__(self, model: Classifier, x: torch.Tensor, r0: torch.Tensor, space: ActionSpace,
                 settings: ActiveSettings, keys: torch.Tensor, shown=None,
                 first: FirstParticles | None = None, cost_prior: torch.Tensor | None = None):
        self.model, self.space, self.settings = model, space, settings
        self.x, self.keys, self.shown = x, keys, shown
        n, d = x.shape
        if settings.target > 0.5:
            r0 = reach_target(model, x, r0, space, settings.target, settings.eps)
        self.failed = torch.isnan(r0).any(dim=-1)
        self.r0 = torch.where(self.failed.unsqueeze(-1), x, r0)
        lapses = settings.lapses.size
        # per particle and noise level (LapseMixture), of all answers so far
        self.loglik = torch.zeros(n, settings.particles, lapses, dtype=x.dtype)
        if cost_prior is None and space.cost is not None:
            cost_prior = space.cost  # the people path's cost model
        self.costs = CostHypotheses.draw(x, self.r0, space.mutable, settings.weight_particles,
                                         keys, _kinds_stream(_WEIGHTS), cost_prior)
        self.cost_ll = torch.zeros(n, self.costs.count, lapses, dtype=x.dtype)
        if first is None:
            self.theta, alive = self._initial_particles()
            estimate = torch.where(self.failed.unsqueeze(-1), torch.nan, self.r0)
            first = FirstParticles(self.theta, alive, estimate)
        self.first = first
        self.theta = first.theta.clone()  # (N, P, d), changed as answers come in
        self.alive = first.alive & ~self.failed.unsqueeze(-1)  # (N, P)
        self.estimate = first.estimate.clone()
        self._fingerprint = 0.5 + torch.rand(d, generator=torch.Generator().manual_seed(0),
                                             dtype=x.dtype)
        # The best option the person has chosen so far (the base recourse to start with):
        # each round ends by putting the posterior's choice against it, and what is returned
        # is the winner, so a consistent person never ends with more than they already chose.
        # (the base recourse itself where it is valid and actionable here, or its calibrated
        # particle (below); else that particle; else the prior's choice; r0 where nothing is
        # valid)
        self.champion = self.r0.clone()
        some = torch.nonzero(self.alive.any(-1)).squeeze(-1)
        self.champion[some] = self._estimate(some)
        with torch.no_grad():
            usable = (model(self.r0) >= settings.target) & space.is_actionable(x, self.r0)
        self.champion = torch.where(usable.unsqueeze(-1), self.r0,
                                    torch.where(self.alive[:, :1], self.theta[:, 0],
                                                self.champion))
        # Where the base recourse's calibrated particle is as near the factual on every feature
        # (BPS moved it toward x), no person whose cost grows with each change prefers the base,
        # so the champion starts there. The base stands as an option the person was offered
        # (_playoff), settled against the champion within the first round even where the two
        # are closer than min_separation, so a consistent person who wants more than the base
        # (an ideal point beyond it) still never ends above it. The pair rarely teaches
        # anything (every kind but the ideal point's agrees), so the information gain alone
        # would almost never ask it. (Without settling the near pairs, up to 2.1 % of a
        # nearest-point kind's people ended above the base, 150 people in 12 cells; settling
        # costs a question where the person's cost grows with each change.)
        calibrated = self.theta[:, 0]
        nearer = ((calibrated - x).abs() <= (self.r0 - x).abs() + settings.eps).all(-1)
        # (a first round of one comparison has no slot to settle it in: the base itself then)
        start = (settings.playoff and settings.round_size(1) > 2) & usable & self.alive[:, 0] \
            & nearer
        # (where the two read the same once shown, they are one option to the person: the base)
        self._base_stands = start & (self._key(calibrated) != self._key(self.r0))
        self.champion = torch.where(self._base_stands.unsqueeze(-1), calibrated, self.champion)
        # (M,) per user asked the pending comparison: its first option is the champion
        self._against_champion: torch.Tensor | None = None
        # per user in this slot (_playoff): the likeliest best rivals (NaN rows: none), and
        # which pairs may be asked
        self._rivals = torch.full((n, _RIVAL_OPTIONS, d), torch.nan, dtype=x.dtype)
        self._pairs = torch.full((n,), _ANY, dtype=torch.long)
        self._slot_users: torch.Tensor | None = None  # users yet to be asked in this slot
        t = settings.budget
        self.hist_a = torch.zeros(n, t, d, dtype=x.dtype)
        self.hist_b = torch.zeros(n, t, d, dtype=x.dtype)
        self.hist_ans = torch.zeros(n, t, dtype=torch.bool)
        self.hist_used = torch.zeros(n, t, dtype=torch.bool)
        # per-user counters: comparisons answered (the next column of the history), answers
        # since the last particle refresh, refreshes done
        self.compares = torch.zeros(n, dtype=torch.long)
        self.since_refresh = torch.zeros(n, dtype=torch.long)
        self.refreshes = torch.zeros(n, dtype=torch.long)
        self.active = ~self.failed
        self.queries = torch.zeros(n, dtype=torch.long)
        self.accepted = torch.zeros(n, dtype=torch.bool)
        self.skipped = torch.zeros(n, dtype=torch.long)  # comparisons skipped: no distinct pair
        self.new_options = torch.zeros(n, dtype=torch.long)  # comparisons asked this round
        self.rounds_run = torch.zeros(n, dtype=torch.long)
        self.round = 0
        self.step = 0  # question slots used in the current round
        self._pending: Question | None = None

    # -- particles -----------------------------------------------------------------------------

    def _calibrate(self, x: torch.Tensor, raw: torch.Tensor):
        """BPS-calibrated points and validity for raw (M, C, d) candidates of factuals x (M, d).

        Only the valid candidates are bisected: most are not (on Credit, 77 % of a user's 833
        first candidates and 44 % of a refresh's), and BPS returns those unchanged anyway."""
        raw = self.space.project(x.unsqueeze(1), raw)
        with torch.no_grad():
            valid = self.model(raw) >= self.settings.target
        rows, cols = valid.nonzero(as_tuple=True)
        found, ok = boundary_point_search(self.model, x[rows], raw[rows, cols].unsqueeze(1),
                                          self.space, self.settings.eps,
                                          target=self.settings.target, narrow=secant_search)
        points = raw.clone()
        points[rows, cols] = found[:, 0]
        valid[rows, cols] = ok[:, 0]  # the same test, on the valid rows alone
        return points, valid

    def _prior_rays(self, users: torch.Tensor, count: int, stream: int,
                    keys: torch.Tensor | None = None) -> torch.Tensor:
        """(M, count, d) raw points x + L·u: u uniform on the sphere over the sampled columns,
        L uniform in (0, max_ray], categories from the base recourse."""
        x = self.x[users]
        keys = self.keys[users] if keys is None else keys
        mask = self.space.sample_mask.to(x.dtype)
        u = keyed_normal(keys, stream, (count, x.shape[-1]),
                         columns=self.space.sample_mask).to(x.dtype) * mask
        # a share of the rays moves one or two features only: people who change little
        sparse = keyed_uniform(keys, stream + 2, (count,)) < self.settings.sparse_share
        two = keyed_uniform(keys, stream + 3, (count,)) < 0.5
        size = torch.where(mask.bool(), u.abs(), -1.0)
        top = size.topk(min(2, x.shape[-1]), dim=-1).values
        floor = torch.where(two, top[..., -1], top[..., 0]).unsqueeze(-1)
        u = torch.where(sparse.unsqueeze(-1) & (size < floor), 0.0, u)
        u = u / u.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        length = self.settings.max_ray * keyed_uniform(keys, stream + 1, (count, 1)).to(x.dtype)
        start = torch.where(self.space.binary, self.r0[users], x).unsqueeze(1)
        return start + length * u

    def _initial_particles(self):
        """r0 (calibrated), ActionableSampling around r0 and prior rays from x, all through BPS;
        P of the valid ones kept (r0 first)."""
        s, n = self.settings, self.x.shape[0]
        users = torch.arange(n)
        n_as = max(1, s.particles // 4)
        sampled = actionable_sampling(self.model, self.x, self.r0, self.space, n_as, self.keys,
                                      stream=_stream(_INIT), settings=s.sampling)
        rays = self._prior_rays(users, 3 * s.particles, _stream(_RAYS))
        raw = torch.cat([self.r0.unsqueeze(1), sampled, rays], dim=1)
        points, valid = self._calibrate(self.x, raw)
        # the base recourse's particle (the champion to start with where it is as near the
        # factual on every feature as the base) within a thousandth of eps of the boundary, so
        # it is never above HARE's incumbent, the same point bisected to eps
        base = self.space.project(self.x.unsqueeze(1), raw[:, :1])
        tight, _ = boundary_point_search(self.model, self.x, base, self.space,
                                         s.eps / 1000, target=s.target)
        points[:, 0] = torch.where(valid[:, :1], tight[:, 0], points[:, 0])
        # keep r0, then the sampled and ray points in a random order, valid ones first
        priority = valid.to(self.x.dtype) + keyed_uniform(self.keys, _stream(_INIT, 1),
                                                          (raw.shape[1],)).to(self.x.dtype)
        priority[:, 0] = 3.0
        keep = priority.topk(s.particles, dim=1).indices
        return points.gather(1, keep.unsqueeze(-1).expand(-1, -1, points.shape[-1])), \
            valid.gather(1, keep)

    def _log_posterior(self, users: torch.Tensor) -> torch.Tensor:
        """(M, P + H) unnormalised log posterior of every hypothesis: the ideal-point particles
        (dead ones −inf), then the cost hypotheses (hare.active_model). A kind's prior mass
        is spread evenly over its hypotheses; each hypothesis's lapse is marginalised."""
        s = self.settings
        ideal = s.lapses.marginal(self.loglik[users]) + math.log(s.kind_prior[0] / s.particles)
        ideal = torch.where(self.alive[users], ideal, -torch.inf)
        cost_prior = self.costs.log_prior(*s.kind_prior[1:])
        return torch.cat([ideal, s.lapses.marginal(self.cost_ll[users]) + cost_prior], dim=-1)

    def _weights(self, users: torch.Tensor) -> torch.Tensor:
        """(M, P + H) posterior weights of every hypothesis (see _log_posterior)."""
        return torch.softmax(self._log_posterior(users), dim=-1)

    def _ideal_weights(self, users: torch.Tensor) -> torch.Tensor:
        """(M, P) posterior weights of the ideal-point particles given that kind (dead ones
        zero; NaN rows for users with no valid particle)."""
        logw = torch.where(self.alive[users], self.settings.lapses.marginal(self.loglik[users]),
                           -torch.inf)
        return torch.softmax(logw, dim=-1)

    def _option_costs(self, users: torch.Tensor, options: torch.Tensor) -> torch.Tensor:
        """(M, K, P + H) each hypothesis's cost of options (M, K, d), on one scale, in float32
        (what the information gain runs in)."""
        return torch.cat([torch.cdist(options.float(), self.theta[users].float()),
                          self.costs.costs(users, options).float()], dim=-1)

    def _risk(self, users: torch.Tensor, options: torch.Tensor, w: torch.Tensor,
              likeliest: int | None = None) -> torch.Tensor:
        """(M, K) posterior expected cost of options (M, K, d) under weights w (M, P + H);
        ``likeliest``: the ideal-point kind's part over that many likeliest particles alone,
        their weights scaled to the kind's whole mass (a question ranks every particle this
        way, P × P distances otherwise, a third of its time)."""
        w = w.nan_to_num(0.0)
        p = self.settings.particles
        theta, ideal_w = self.theta[users], w[:, :p]
        if likeliest is not None and likeliest < p:
            top_w, top = ideal_w.topk(likeliest, dim=1)
            theta = theta.gather(1, top.unsqueeze(-1).expand(-1, -1, theta.shape[-1]))
            mass = ideal_w.sum(-1, keepdim=True)
            ideal_w = top_w * mass / top_w.sum(-1, keepdim=True).clamp_min(1e-300)
        ideal = expected_distance(options, theta, ideal_w).to(w.dtype)
        risk = ideal + self.costs.expected(users, options, w[:, p:])
        # rounded, so that particles a BPS bisection apart (a batch bisects as long as its
        # longest segment needs) rank the same and a user's choices never depend on the batch
        return torch.round(risk * _RISK_GRAIN) / _RISK_GRAIN

    def _estimate(self, users: torch.Tensor) -> torch.Tensor:
        """(M, d): the particle with the least posterior expected cost to the person over every
        kind of person — a valid, calibrated recourse, the Bayes choice for their own cost."""
        theta, w = self.theta[users], self._weights(users)
        risk = torch.where(self.alive[users], self._risk(users, theta, w), torch.inf)
        best = risk.argmin(dim=-1)
        chosen = theta[torch.arange(len(users)), best]
        # no valid particle at all (nothing actionable reaches the positive class): keep the
        # best option so far, as HARE keeps its incumbent
        return torch.where(self.alive[users].any(-1, keepdim=True), chosen, self.champion[users])

    def _history_loglik(self, users: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        """(M, C, L) log-likelihood of each user's answers so far at the ideal points theta
        (M, C, d), per noise level (LapseMixture)."""
        t = int(self.compares[users].max()) if len(users) else 0
        lapses = self.settings.lapses.size
        if t == 0:
            return torch.zeros(*theta.shape[:2], lapses, dtype=theta.dtype)
        gap = ideal_gap(self.hist_ans[users, :t], self.hist_a[users, :t],
                        self.hist_b[users, :t], theta)  # (M, C, T)
        used = self.hist_used[users, :t].unsqueeze(1)
        ll = self.settings.lapses.log_likelihood(gap, self.settings.beta)
        return (ll * used.unsqueeze(-1)).sum(2).to(theta.dtype)

    def _refresh(self, users: torch.Tensor) -> None:
        """Replace the least likely particles by jittered copies of likely ones (and a few fresh
        prior rays), all BPS-calibrated, weighted by the whole answer history."""
        s = self.settings
        self.refreshes[users] += 1
        counter = self.refreshes[users]
        m, p, d = len(users), s.particles, self.x.shape[-1]
        c = max(1, int(p * s.refresh_fraction))
        kept = int(p * s.reservoir)  # slots [0, kept): prior particles, never replaced
        c = min(c, p - kept)
        n_explore = int(c * s.explore_fraction)
        n_local = c - n_explore
        x, keys, theta = self.x[users], self.keys[users], self.theta[users]
        w = self._ideal_weights(users)
        cols = self.space.sample_mask
        mean = (w.unsqueeze(-1) * theta).sum(1, keepdim=True)
        spread = ((w.unsqueeze(-1) * (theta - mean) ** 2).sum(1)[:, cols].mean(-1)).sqrt()
        sigma = spread.clamp(0.01, 0.3).unsqueeze(-1).unsqueeze(-1)  # (M, 1, 1)
        u = keyed_uniform(_counted(keys, counter), _stream(_PARENT), (n_local,)).to(w.dtype)
        parents = torch.searchsorted(w.cumsum(-1), u.contiguous()).clamp_max(p - 1)
        base = theta.gather(1, parents.unsqueeze(-1).expand(-1, -1, d))
        # a share of the proposals, P(a cost kind) times ``near_champion`` per person, is a step
        # of ``near_step`` from the champion in a random direction, as HARE samples around its
        # incumbent: the ideal-point particles' posterior says nothing of what a person whose
        # cost is not a distance to a point would take instead of the best option so far
        cost_kind = 1 - self._weights(users)[:, :p].sum(-1, keepdim=True)
        near = keyed_uniform(_counted(keys, counter), _kinds_stream(_NEAR),
                             (n_local,)).to(w.dtype) < s.near_champion * cost_kind
        noise = keyed_normal(_counted(keys, counter), _stream(_JITTER), (n_local, d),
                             columns=cols).to(x.dtype)  # the same numbers in cols
        noise = noise * cols.to(x.dtype)
        direction = noise / noise.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        moved = torch.where(near.unsqueeze(-1),
                            self.champion[users].unsqueeze(1) + s.near_step * direction,
                            base + sigma * noise)
        # a jittered boundary point is invalid about half the time: try it, then further out
        # along its ray from x, and keep the first valid version
        tries = torch.stack([moved, x.unsqueeze(1) + 1.3 * (moved - x.unsqueeze(1)),
                             x.unsqueeze(1) + 2.0 * (moved - x.unsqueeze(1))], dim=2)
        tries = self.space.project(x.unsqueeze(1).unsqueeze(1), tries)
        with torch.no_grad():
            ok = self.model(tries) >= s.target  # (M, n_local, 3)
        first = torch.where(ok.any(-1), ok.float().argmax(-1), 0)
        local = tries.gather(2, first[..., None, None].expand(-1, -1, 1, d)).squeeze(2)
        raw = torch.cat([local, self._prior_rays(users, n_explore, _stream(_EXPLORE),
                                                 _counted(keys, counter))], dim=1)
        new, valid = self._calibrate(x, raw)
        new_ll = self._history_loglik(users, new)  # (M, c, L)
        # replace the c least likely slots (dead ones first) where the new point is valid
        old = torch.where(self.alive[users], s.lapses.marginal(self.loglik[users]),
                          -torch.inf)[:, kept:]
        # (rounded and in a stable order: answers that most particles explain alike leave
        # near-ties that floating point would otherwise break differently per batch)
        old = torch.round(old * _RISK_GRAIN) / _RISK_GRAIN
        slots = kept + old.sort(dim=1, stable=True).indices[:, :c]  # (M, c)
        # (a step from the champion that BPS brings next to a particle already held or just
        # proposed is not taken: where the factual lies next to the boundary, every step comes
        # back within min_separation of it, and such copies crowded out every other option)
        # (in float32: a third of float64's time, its error far below min_separation)
        close, local = s.min_separation, new[:, :n_local].float()
        copy = ((torch.cdist(local, theta.float()) <= close) & self.alive[users].unsqueeze(1))
        copy = copy.any(-1) | ((torch.cdist(local, local) <= close)
                               & valid[:, :n_local].unsqueeze(1)).tril(-1).any(-1)
        take = valid & ~torch.cat([near & copy, torch.zeros(m, n_explore, dtype=torch.bool)],
                                  dim=1)
        rows = torch.arange(m).unsqueeze(-1)
        theta[rows, slots] = torch.where(take.unsqueeze(-1), new, theta[rows, slots])
        self.theta[users] = theta
        loglik, alive = self.loglik[users], self.alive[users]
        loglik[rows, slots] = torch.where(take.unsqueeze(-1), new_ll, loglik[rows, slots])
        alive[rows, slots] = alive[rows, slots] | take
        self.loglik[users], self.alive[users] = loglik, alive

    def posterior(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(particles (N, P, d), weights (N, P)): each user's posterior over the ideal recourse,
        given that the person is of the ideal-point kind (weights are zero for dead particles
        and NaN rows for users whose base recourse failed)."""
        weights = self._ideal_weights(torch.arange(self.x.shape[0]))
        return self.theta.clone(), weights

    # -- questions -----------------------------------------------------------------------------

    def _key(self, points: torch.Tensor) -> torch.Tensor:
        """(...) the fingerprint of options (..., d), a fixed projection of the point, or of
        what a person reads where options are shown. The one test of "the same option" that
        settling (_playoff), known answers (_known_answer) and pairs of the champion and rivals
        (_asked_before) share, so they never disagree on what a pair settled: where they did,
        a rival could stand while its pair with the champion counted as asked, and the round
        ran out of pairs with the rival unsettled."""
        seen = points if self.shown is None else self.shown(points)
        return (seen * self._fingerprint).sum(-1)

    def _asked_before(self, users: torch.Tensor, options: torch.Tensor,
                      exact: int = 0) -> torch.Tensor:
        """(M, K, K) bool: options i and j (M, K, d) were already put to the user as a pair.
        Two options count as one where they look the same once shown or, without that, lie
        within a tenth of ``min_separation`` (two particles at one point are one option); but
        among the first ``exact`` options (the champion and rivals) only the very same option
        (``_key``) counts, as in settling: a near copy's answer settles no rival."""
        t = int(self.compares[users].max()) if len(users) else 0
        k = options.shape[1]
        if t == 0:
            return torch.zeros(len(users), k, k, dtype=torch.bool)
        used = self.hist_used[users, :t].unsqueeze(1)
        a, b = self.hist_a[users, :t], self.hist_b[users, :t]
        if self.shown is not None:  # the same pair as a person reads it (whole units, rounding)
            seen, a_seen, b_seen = (self.shown(p) for p in (options, a, b))
            same_a = (seen.unsqueeze(2) == a_seen.unsqueeze(1)).all(-1)  # (M, K, T)
            same_b = (seen.unsqueeze(2) == b_seen.unsqueeze(1)).all(-1)
        else:
            tol = self.settings.min_separation / 10
            same_a = torch.cdist(options, a) < tol
            same_b = torch.cdist(options, b) < tol
        asked = _pairs_asked(same_a, same_b, used)
        if exact:  # a pair of standing options: only the very same pair counts
            key = self._key(options[:, :exact]).unsqueeze(2)
            asked[:, :exact, :exact] = _pairs_asked(key == self._key(a).unsqueeze(1),
                                                    key == self._key(b).unsqueeze(1), used)
        return asked

    def _pick_pair(self, users: torch.Tensor):
        """((M, 2, d) the pair to put, (M,) has a pair, (M,) the pair's first option is the
        champion): the distinguishable, not yet asked pair, of those the slot allows
        (_playoff), with the largest expected information gain among the champion, up to four
        rivals and K candidate particles. A pair with the champion or a rival first counts up
        to ``champion_weight`` times, so that a question that teaches the posterior can also be
        one whose answer improves what is returned; and 1 + ``settle_weight`` times more per
        option in it that is the champion or a rival, since a pair of two others adds a rival
        that a later question must settle."""
        s = self.settings
        theta, logpost = self.theta[users], self._log_posterior(users)
        w = torch.softmax(logpost, dim=-1)
        m = len(users)
        # K candidates, dead ones last: half a posterior sample of ideal points without
        # replacement (Gumbel top-K); the particles that ``kind_favourites`` cost hypotheses,
        # drawn from the posterior the same way, each find cheapest; and the particles of least
        # posterior expected cost (with the ideal points' Gumbel noise), so every kind of person
        # is offered its likely best, and a cost hypothesis other than the likeliest can be
        # tested (where the person accepts each change only up to a limit, the option within
        # their limits is rarely the cheapest on average); and ``cuts`` particles that each
        # change one of the champion's features less (_cuts)
        keys = _counted(self.keys[users], self.compares[users])
        g = -torch.log(-torch.log(keyed_uniform(keys, _stream(_PICK), (s.particles,)).double()))
        alive = self.alive[users]
        score = torch.where(alive, logpost[:, :s.particles] + g, -torch.inf)
        sampled = score.topk(s.candidates // 2, dim=1).indices
        cheap = torch.where(alive, -s.beta * self._risk(users, theta, w, _RANKING_PARTICLES) + g,
                            -torch.inf)
        cheap.scatter_(1, sampled, -torch.inf)
        # (as many as the candidates beside the ideal half and the hypotheses allow)
        hypotheses = logpost.shape[-1] - s.particles
        count = min(s.kind_favourites, s.candidates - sampled.shape[1], hypotheses)
        cuts = min(s.cuts, s.candidates - sampled.shape[1] - count)
        rest = s.candidates - sampled.shape[1] - count - cuts
        favourites = torch.zeros(m, count, dtype=torch.long)
        ruled_out = torch.ones(m, count, dtype=torch.bool)
        if count:
            g_cost = -torch.log(-torch.log(keyed_uniform(keys, _stream(_PICK, 1),
                                                         (hypotheses,)).double()))
            drawn = (logpost[:, s.particles:] + g_cost).topk(count, dim=1)
            own = self.costs.chosen(users, theta, drawn.indices)  # (M, P, count)
            favourites = torch.where(alive.unsqueeze(-1), own, torch.inf).argmin(dim=1)
            # (a hypothesis the prior rules out, of a kind of prior mass 0, offers nothing: its
            # slot goes to the next cheapest particle)
            ruled_out = ~torch.isfinite(drawn.values)
            cheap.scatter_(1, torch.where(ruled_out, sampled[:, :1], favourites), -torch.inf)
        cut, has_cut = self._cuts(users, theta, cheap, keys, cuts)
        cheapest = cheap.topk(rest + count + cuts, dim=1).indices
        favourites = torch.where(ruled_out, cheapest[:, rest:rest + count], favourites)
        cut = torch.where(has_cut, cut, cheapest[:, rest + count:])
        cand = torch.cat([sampled, favourites, cheapest[:, :rest], cut], dim=1)
        rows = torch.arange(m).unsqueeze(-1)
        # the champion is option 0, the rivals (_playoff) and the K particles follow
        champ = self.champion[users].unsqueeze(1)
        rivals = self._rivals[users]
        has_rival = ~torch.isnan(rivals).any(-1)
        kr = rivals.shape[1]
        options = torch.cat([champ, torch.where(has_rival.unsqueeze(-1), rivals, champ),
                             theta[rows, cand]], dim=1)
        k = options.shape[1]
        # the expectation runs over the R most likely hypotheses of any kind (renormalised)
        wt, top = w.topk(min(s.ig_particles, w.shape[-1]), dim=1)  # (M, R)
        wt = (wt / wt.sum(-1, keepdim=True)).float().unsqueeze(1)
        dist = self._option_costs(users, options).gather(
            2, top.unsqueeze(1).expand(-1, k, -1))  # (M, K + 1, R)
        iu, ju = torch.triu_indices(k, k, 1)  # the (K + 1)·K/2 pairs
        apart = (torch.cdist(options, options) > s.min_separation)[:, iu, ju]
        # the base recourse as a rival (_playoff) is put against the champion only (whoever
        # prefers another option to it may still prefer the champion, so such a pick settles
        # nothing), and whenever the two differ at all (it is settled even as a near copy)
        base = torch.zeros(m, k, dtype=torch.bool)
        base[:, 1:1 + kr] = has_rival & (self._key(options[:, 1:1 + kr])
                                         == self._key(self.r0[users]).unsqueeze(-1))
        apart = torch.where(iu == 0, apart | base[:, ju], apart & ~base[:, iu] & ~base[:, ju])
        if self.shown is not None:  # and different once shown (whole units, display rounding)
            seen = self.shown(options)
            apart &= (seen[:, iu] != seen[:, ju]).any(-1)
        alive = torch.cat([torch.ones(m, 1, dtype=torch.bool), has_rival, alive[rows, cand]],
                          dim=1)
        fresh = ~self._asked_before(users, options, exact=1 + kr)[:, iu, ju]
        allowed = apart & fresh & alive[:, iu] & alive[:, ju]
        mode = self._pairs[users].unsqueeze(-1)
        allowed &= ((mode == _ANY) | ((mode == _KEEP) & (iu == 0))
                    | ((mode == _SETTLE) & (ju <= kr)))
        # (M, pairs), −inf where not allowed
        gain = information_gain(dist, wt, iu, ju, allowed, s)
        # a pair with the champion or a rival first counts more for a person likely of a cost
        # kind: their pick then settles what is returned at once, where a better option picked
        # in another pair waits to be settled later in the round (_playoff), at the cost of a
        # question. For a person likely of the ideal-point kind the weight goes
        # to 1: weighting their champion pairs raised their cost (Credit LR, B 30, 150 people
        # × 5 seeds: 0.48 → 0.51 of Multi-HARE's at weight 1 → 2)
        ideal = w[:, :s.particles].sum(-1, keepdim=True).float()  # P(ideal-point kind)
        weight = 1 + (s.champion_weight - 1) * (1 - ideal)
        gain = torch.where(iu <= kr, weight * gain, gain)
        standing = (iu <= kr).to(gain.dtype) + (ju <= kr).to(gain.dtype)
        gain = gain * (1 + s.settle_weight * standing)
        best = gain.argmax(dim=-1)
        every = torch.arange(m)
        has = torch.isfinite(gain[every, best])
        i, j = iu[best], ju[best]
        pair = torch.stack([options[every, i], options[every, j]], dim=1)
        # "current" is the champion or a rival, or else the more likely of the two particles
        index = torch.cat([torch.zeros(m, 1 + kr, dtype=torch.long), cand], dim=1)
        post = logpost[rows, index]  # (M, 1 + 4 + K); the champion's and rivals' never read
        champion = i == 0
        swap = (i > kr) & (post[every, j] > post[every, i])
        pair = torch.where(swap[:, None, None], pair.flip(1), pair)
        return pair, has, champion

    def _cuts(self, users: torch.Tensor, theta: torch.Tensor, score: torch.Tensor,
              keys: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        """((M, count) particles, (M, count) found): for each of ``count`` features drawn per
        question among those the champion changes, the particle of highest ``score`` (M, P)
        among those that change it by at most ``cut_to`` of the champion's change; each one
        found is taken out of ``score`` (in place), so that no other candidate repeats it.

        A person who accepts each change only up to a limit, and whom the champion takes past
        one, may take such an option where it keeps within their other limits; the limit
        hypotheses, a few dozen random limits per person, rarely make it the cheapest where the
        limit is tight (traced, COMPAS ANN with Growing Spheres: an option within every limit
        held through a whole session and never shown)."""
        if not count:
            return torch.zeros(len(users), 0, dtype=torch.long), \
                torch.zeros(len(users), 0, dtype=torch.bool)
        x = self.x[users]
        champion = (self.champion[users] - x).abs()  # (M, d)
        changed = self.space.mutable & (champion > self.settings.min_separation)
        draw = keyed_uniform(keys, _kinds_stream(_CUT), (count, x.shape[-1])).to(x.dtype)
        feature = (draw * changed.unsqueeze(1)).argmax(-1)  # (M, count)
        # (only the drawn features' changes: the rest are never read)
        moved = (theta.gather(2, feature.unsqueeze(1).expand(-1, theta.shape[1], -1))
                 - x.gather(1, feature).unsqueeze(1)).abs()  # (M, P, count)
        below = (moved <= (self.settings.cut_to * champion.gather(1, feature)).unsqueeze(1)) \
            & changed.gather(1, feature).unsqueeze(1)
        picks, found = [], []
        for q in range(count):  # one after another: two cuts never offer the same particle
            allowed = torch.where(below[..., q], score, -torch.inf)
            best = allowed.argmax(-1, keepdim=True)
            ok = torch.isfinite(allowed.gather(1, best))
            score.scatter_(1, best, torch.where(ok, -torch.inf, score.gather(1, best)))
            picks.append(best)
            found.append(ok)
        return torch.cat(picks, dim=1), torch.cat(found, dim=1)

    def prefetch(self) -> None:
        """HareSession's hook for work ahead of a "no" (the live page calls it while "good
        enough?" waits). Nothing to do here: the next comparison takes milliseconds."""

    @property
    def done(self) -> bool:
        return not bool(self.active.any()) and self._pending is None

    def next_question(self) -> Question | None:
        """The question to answer next, or None when every user is finished."""
        if self._pending is not None:
            return self._pending
        while bool(self.active.any()):
            if self.round == 0 or self.step == self.settings.round_size(self.round):
                self.round += 1
                self.step = 0
                self.rounds_run[self.active] += 1
                self.new_options[self.active] = 0
            size = self.settings.round_size(self.round)
            if self._slot_users is None:  # a new slot
                users = torch.nonzero(self.active).squeeze(-1)
                if self.step == size - 1:
                    self.estimate[users] = self.champion[users]
                    self._pending = Question("accept", users, self.round, self.step + 1,
                                             self.estimate[users].clone(), None)
                    return self._pending
                self.step += 1  # a slot: skipped users are not charged for it
                self._slot_users = users
                self._playoff(users)
                if self.step == size - 1:
                    # the round's last comparison: the posterior's choice against the champion,
                    # for the users where that is a new question; the others go on below
                    if (question := self._champion_question_for(users)) is not None:
                        return question
            users, self._slot_users = self._slot_users, None
            if not len(users):
                continue
            due = users[self.since_refresh[users] >= self.settings.refresh_every]
            if len(due):
                self._refresh(due)
                self.since_refresh[due] = 0
            pair, has, champion = self._pick_pair(users)
            self.skipped[users[~has]] += 1
            self.new_options[users[has]] += 1
            if not bool(has.any()):
                continue
            users, pair = users[has], pair[has]
            self._against_champion = champion[has]
            self._pending = Question("compare", users, self.round, self.step,
                                     pair[:, 0].clone(), pair[:, 1].clone())
            return self._pending
        return None

    def _free_slots_after(self) -> int:
        """Comparison slots left in the round after the current one, its last (the estimate
        against the champion) not counted. Per round, not per session, so that the champion
        asked "good enough?" at a round's end is already the best the person picked, and a
        session's first rounds are those of a session with a smaller budget."""
        return max(0, self.settings.round_size(self.round) - 2 - self.step)

    def _playoff(self, users: torch.Tensor) -> None:
        """Set, for this slot, each user's rivals offered as options and which pairs they may
        be asked, so that a consistent person never ends a round (and so the session) above
        the best option they picked.

        A *rival* is an option the person picked and never turned down that the champion has
        not met. A consistent person's best option so far never loses, so once no rival is
        left the champion is it. A pair of two options that are neither the champion nor a
        rival adds at most one rival, a pair with one of them adds none, and a pair of two of
        them settles one. So each slot first promotes, for free, a rival that already beat the
        champion; then, with as many rivals as free comparisons left in the round after this
        one, it asks a pair of the champion and rivals (the pair that teaches most); with none
        left and no rival, a pair with the champion; and otherwise any pair. The round's last
        comparison, the estimate against the champion, adds no rival.
        """
        m = len(users)
        self._rivals[users] = torch.nan
        self._pairs[users] = _ANY
        if not self.settings.playoff or not m:
            return
        # Options by fingerprint (_key): a shown option is a copy of a particle or the
        # champion, so the same option has the same fingerprint. The whole history's width,
        # whatever the batch, so that a user's questions never depend on the batch.
        # The base recourse, where the champion started at its calibrated particle
        # (__init__), comes first: an option the person was offered before any question.
        key = self._key
        said, used = self.hist_ans[users], self.hist_used[users]
        a, b, base = self.hist_a[users], self.hist_b[users], self.r0[users].unsqueeze(1)
        ka, kb = key(a), key(b)  # (M, B)
        winner, loser = torch.where(said, kb, ka), torch.where(said, ka, kb)
        shown = torch.cat([base, a, b], dim=1)  # (M, 1 + 2B)
        keys = torch.cat([key(base), ka, kb], dim=1)
        seen = torch.cat([self._base_stands[users].unsqueeze(1), used, used], dim=1)
        lost = ((keys.unsqueeze(2) == loser.unsqueeze(1)) & used.unsqueeze(1)).any(-1)
        again = ((keys.unsqueeze(2) == keys.unsqueeze(1)) & seen.unsqueeze(1)).tril(-1).any(-1)
        standing = seen & ~lost & ~again  # (M, 1 + 2B), each option once
        # a standing option that beat the champion in an earlier pair is the champion now
        champion = self.champion[users]
        beaten = (key(champion).unsqueeze(-1) == loser) & used  # (M, B)
        beat = ((keys.unsqueeze(2) == winner.unsqueeze(1)) & beaten.unsqueeze(1)).any(-1) & standing
        promoted = beat.any(-1)
        if bool(promoted.any()):
            rows = torch.nonzero(promoted).squeeze(-1)
            champion[rows] = shown[rows, beat[rows].float().argmax(-1)]
            self.champion[users[rows]] = champion[rows]
        # (the base is settled even as a near copy of the champion: what is returned is never
        # above it)
        distinct = self._distinct(shown, champion.unsqueeze(1))
        distinct[:, 0] = keys[:, 0] != key(champion)
        rivals = standing & distinct
        count = rivals.sum(-1)
        left = self._free_slots_after()
        self._pairs[users] = torch.where(count > 0, torch.where(count >= left, _SETTLE, _ANY),
                                         _KEEP if left == 0 else _ANY)
        if not bool(rivals.any()):
            return
        # offered: every rival, or where there are more, the likeliest best (a stable order,
        # so ties go to the earlier shown)
        rank = torch.where(rivals, 0.0, torch.inf).to(self.x.dtype)
        many = torch.nonzero(count > _RIVAL_OPTIONS).squeeze(-1)
        if len(many):
            risk = self._risk(users[many], shown[many], self._weights(users[many]))
            rank[many] = torch.where(rivals[many], risk, torch.inf)
        values, order = torch.sort(rank, dim=1, stable=True)
        values, order = values[:, :_RIVAL_OPTIONS], order[:, :_RIVAL_OPTIONS]
        rows = torch.arange(m).unsqueeze(-1)
        self._rivals[users] = torch.where(torch.isfinite(values).unsqueeze(-1),
                                          shown[rows, order], torch.nan)

    def _distinct(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """(...) bool: options a and b (..., d) are told apart (and look different once shown)."""
        apart = (a - b).norm(dim=-1) > self.settings.min_separation
        if self.shown is not None:
            apart &= (self.shown(a) != self.shown(b)).any(-1)
        return apart

    def _known_answer(self, users: torch.Tensor, champion: torch.Tensor, estimate: torch.Tensor):
        """((M,) asked before, (M,) preferred the estimate then): the pair (champion, estimate)
        in the user's history, in either order, so it is never put twice."""
        t = int(self.compares[users].max()) if len(users) else 0
        m = len(users)
        if t == 0:
            return torch.zeros(m, dtype=torch.bool), torch.zeros(m, dtype=torch.bool)
        a, b = self._key(self.hist_a[users, :t]), self._key(self.hist_b[users, :t])
        said, used = self.hist_ans[users, :t], self.hist_used[users, :t]
        # the very same options (_key: a near pair can differ in what a person weighs, a
        # feature changed or not), so a known answer is the person's own
        champion, estimate = self._key(champion).unsqueeze(1), self._key(estimate).unsqueeze(1)
        forward = (champion == a) & (estimate == b) & used  # answer True: the estimate
        backward = (estimate == a) & (champion == b) & used  # answer True: the champion
        known = (forward | backward).any(-1)
        return known, ((forward & said) | (backward & ~said)).any(-1)

    def _champion_question_for(self, users: torch.Tensor) -> Question | None:
        """The posterior's choice against the best option chosen so far, for the users where
        they differ and the pair is new; a known answer updates the champion for free."""
        estimate, champion = self._estimate(users), self.champion[users]
        differ = self._distinct(estimate, champion)
        known, prefers = self._known_answer(users, champion, estimate)
        won = differ & known & prefers
        self.champion[users[won]] = estimate[won]
        ask = differ & ~known
        self._slot_users = users[~ask]  # asked something else in this slot instead
        if not bool(ask.any()):
            return None
        self.new_options[users[ask]] += 1
        self._against_champion = torch.ones(int(ask.sum()), dtype=torch.bool)
        self._pending = Question("compare", users[ask], self.round, self.step,
                                 champion[ask], estimate[ask])
        return self._pending

    def answer(self, answers: torch.Tensor | bool) -> None:
        """Record the answers to the pending question (True = challenger / satisfied)."""
        question = self._pending
        answers = checked_answers(question, answers)
        users = question.users
        self.queries[users] += 1
        if question.kind == "compare":
            t = self.compares[users]
            self.hist_a[users, t] = question.current
            self.hist_b[users, t] = question.challenger
            self.hist_ans[users, t] = answers
            self.hist_used[users, t] = True
            self.compares[users] += 1
            self.since_refresh[users] += 1
            s = self.settings
            gap = ideal_gap(answers.unsqueeze(-1), question.current.unsqueeze(1),
                            question.challenger.unsqueeze(1), self.theta[users])[..., 0]
            self.loglik[users] += s.lapses.log_likelihood(gap, s.beta)
            cost_a = self.costs.costs(users, question.current.unsqueeze(1))[:, 0]
            cost_b = self.costs.costs(users, question.challenger.unsqueeze(1))[:, 0]
            sign = torch.where(answers, 1.0, -1.0).to(cost_a.dtype).unsqueeze(-1)
            cost_gap = sign * (cost_a - cost_b)
            self.cost_ll[users] += s.lapses.log_likelihood(cost_gap, s.beta)
            # The champion against the estimate, or against a particle in a pair chosen for
            # what it teaches: the person's pick is the best option so far. (Never the
            # posterior's over the person's: a consistent person must not end with more than
            # they chose, and with 30 % of answers flipped overruling gained little.)
            won = self._against_champion & answers
            self.champion[users[won]] = question.challenger[won]
        else:
            # what a person accepted is theirs (the champion, or a round's estimate)
            self.champion[users[answers]] = question.current[answers]
            self.accepted[users] |= answers
            self.active[users[answers]] = False
            if self.round >= self.settings.rounds:
                self.active[users] = False
            self.step += 1
        self._pending = None
        self._against_champion = None

    def result(self) -> SessionResult:
        """Per user: the best option they chose (NaN where the base generator failed); skipped
        comparisons (no distinguishable or new pair) in ``skipped``. ``invalid_candidates`` is
        0: every option shown is a valid particle or the base recourse (see SessionResult)."""
        recourse = torch.where(self.failed.unsqueeze(-1), torch.nan, self.champion)
        return SessionResult(recourse, self.queries.clone(), self.accepted.clone(),
                             torch.zeros_like(self.queries), self.rounds_run.clone(),
                             self.skipped.clone())
