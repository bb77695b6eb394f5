"""The HARE loop (Algorithm 4) as a question/answer session, written once.

A :class:`HareSession` holds N users at once (N = 1 for a person in the app, N = 150 for a
benchmark run) and walks them in lockstep: each iteration shows k = B/T candidates (the incumbent
plus k − 1 ActionableSampling candidates, calibrated by BoundaryPointSearch), asks k − 1
"which of these two?" questions king-of-the-hill style, then one "is this good enough?". A person
and a simulated user drive the very same object through ``next_question`` / ``answer``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from hare.actions import ActionSpace
from hare.candidates import SamplingSettings, reach_target
from hare.errors import ConfigError
from hare.models import Classifier
from hare.protocol import HARE, Rounds, Sampler
from hare.questions import Question, RecourseSession, SessionResult, checked_answers
from hare.rng import stream

BPS_MODES = ("every", "best")
# "paper": an invalid sample is replaced by the incumbent and still asked about (the
# reproduction); "people": it is redrawn, and a comparison with nothing new is skipped without
# charging the budget, so every question is a real choice (SPEC §5).
COUNTING = ("paper", "people")
MAX_REDRAWS = 10


def _sampling_stream(iteration: int, attempt: int) -> int:
    """The first draw of an iteration uses the paper's stream; redraws get their own."""
    if attempt == 0:
        return stream("sampling", iteration - 1)
    return stream("redraw", 1000 * (attempt - 1) + iteration - 1)


@dataclass(frozen=True)
class HareSettings:
    """Budget B, iterations T (HARE: T = 1; Multi-HARE: T > 1), the BPS mode, the counting
    rule and the target probability τ. The defaults are the paper's."""

    budget: int = 30
    iterations: int = 1
    bps: str = "every"  # calibrate every candidate, or only the chosen one (Table 5)
    eps: float = 1e-6
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    counting: str = "paper"  # see COUNTING
    target: float = 0.5  # τ: BPS calibrates to g = τ (people: above 0.5, a safety margin)
    redraws: int = 3  # "people" only: rounds of fresh samples for invalid or repeated ones
    # The protocol's sampler and round schedule (hare.protocol): ours, or the authors' code's
    # (their ActionableSampling, invalid samples dropped; T new candidates a round and B // T
    # rounds, no "good enough?" charged, plain bisection).
    sampler: Sampler = HARE.sampler
    rounds: Rounds = HARE.rounds

    def __post_init__(self):
        if self.budget < 2:
            raise ConfigError(f"budget must be at least 2 (got {self.budget})")
        if self.iterations < 1:
            raise ConfigError(f"iterations must be at least 1 (got {self.iterations})")
        if self.budget % self.iterations:
            raise ConfigError(
                f"budget {self.budget} is not divisible by iterations {self.iterations}: each "
                "iteration spends budget/iterations queries")
        if self.budget // self.iterations < 2:
            raise ConfigError(
                f"budget/iterations must be at least 2 (got {self.budget}/{self.iterations}): an "
                "iteration needs the incumbent and one new candidate")
        if self.bps not in BPS_MODES:
            raise ConfigError(f"unknown bps mode {self.bps!r} (valid: {', '.join(BPS_MODES)})")
        if self.counting not in COUNTING:
            raise ConfigError(f"unknown counting {self.counting!r} (valid: {', '.join(COUNTING)})")
        if not 0.5 <= self.target < 1.0:
            raise ConfigError(f"target probability must be in [0.5, 1) (got {self.target})")
        if not 0 <= self.redraws <= MAX_REDRAWS:
            raise ConfigError(f"redraws must be from 0 to {MAX_REDRAWS} (got {self.redraws})")
        for name, kind in (("sampler", Sampler), ("rounds", Rounds)):
            if not isinstance(getattr(self, name), kind):
                raise ConfigError(f"{name} must be a protocol's (e.g. hare.protocol.get_protocol"
                                  f"('authors').{name}), got {getattr(self, name)!r}")

    @property
    def k(self) -> int:
        """Candidates shown per iteration, the incumbent included (queries spent: k − 1
        comparisons, plus the "good enough?" under our rounds)."""
        return self.rounds.candidates(self.budget, self.iterations)

    @property
    def n_rounds(self) -> int:
        """Iterations run: T for ours; B // T for the authors' (T = 1, HARE: one round)."""
        return self.rounds.count(self.budget, self.iterations)

    @property
    def drops_invalid(self) -> bool:
        """A slot without a real option is skipped, free (people, or the authors' sampler)."""
        return self.counting == "people" or self.sampler.drops_invalid


class HareSession:
    """Algorithm 4 for a batch of users. See the module docstring for the protocol.

    x, r0: (N, d) factuals and base recourses (NaN rows: the base generator failed, so HARE
    fails too and asks that user nothing). keys: (N,) per-user random keys (hare.rng).
    ``shown``: for "people" counting, maps points (..., d) to what a person sees (e.g. whole
    units, display rounding), so two options that would look the same count as one; by default
    points are compared to 1e-6. With τ > 0.5, a base recourse below τ is first pushed past it
    (``reach_target``); one that cannot be is a failure for that user.
    """

    def __init__(self, model: Classifier, x: torch.Tensor, r0: torch.Tensor, space: ActionSpace,
                 settings: HareSettings, keys: torch.Tensor, shown=None):
        self.model, self.space, self.settings = model, space, settings
        self.x = x
        self.keys = keys
        self.shown = shown if shown is not None else (lambda r: torch.round(r * 1e6))
        n = x.shape[0]
        if settings.target > 0.5:
            r0 = reach_target(model, x, r0, space, settings.target, settings.eps)
        self.failed = torch.isnan(r0).any(dim=-1)
        self.winner = torch.where(self.failed.unsqueeze(-1), torch.nan, r0).clone()
        self.active = ~self.failed
        self.queries = torch.zeros(n, dtype=torch.long)
        self.accepted = torch.zeros(n, dtype=torch.bool)
        self.invalid = torch.zeros(n, dtype=torch.long)
        self.iterations_run = torch.zeros(n, dtype=torch.long)
        self.skipped = torch.zeros(n, dtype=torch.long)
        self.new_options = torch.zeros(n, dtype=torch.long)  # real new options this iteration
        self.iteration = 0  # 1-based once started
        self.step = 0  # queries asked in the current iteration
        self._users = torch.zeros(0, dtype=torch.long)  # users in the current iteration
        self._candidates: torch.Tensor | None = None  # (M, k, d)
        self._real: torch.Tensor | None = None  # (M, k) bool: slot holds a real new option
        self._prefetched: tuple | None = None  # (users, pool, valid) for the next iteration
        self._pending: Question | None = None
        # "people" counting: per user, every option shown so far as a person reads it (k, d)
        self._seen: dict[int, torch.Tensor] = {}

    @property
    def done(self) -> bool:
        return not bool(self.active.any()) and self._pending is None

    def _candidate_pool(self, users: torch.Tensor, iteration: int):
        """(pool (M, k, d), valid (M, k)) for ``users``' iteration: the incumbent and k − 1
        samples around it, calibrated by BPS in "every" mode. Depends only on each user's
        incumbent, factual and key, so it can be computed ahead (``prefetch``)."""
        s = self.settings
        pool, valid = self._draw(users, iteration, 0)
        if s.counting == "people":
            pool, valid = self._real_options(users, iteration, pool, valid)
        return pool, valid

    def _draw(self, users: torch.Tensor, iteration: int, attempt: int):
        """One draw of (pool (M, k, d), valid (M, k)): the incumbent and k − 1 samples."""
        s = self.settings
        x, incumbent = self.x[users], self.winner[users]
        samples = s.sampler.sample(self.model, x, incumbent, self.space, s.k - 1,
                                   self.keys[users], stream=_sampling_stream(iteration, attempt),
                                   settings=s.sampling)
        pool = torch.cat([incumbent.unsqueeze(1), samples], dim=1)  # (M, k, d)
        if s.bps == "every":
            return self._calibrate(x, pool)
        with torch.no_grad():
            return pool, self.model(pool) >= s.target

    def _calibrate(self, x: torch.Tensor, pool: torch.Tensor):
        """(points, valid) of BoundaryPointSearch on pool (M, k, d): ours, or the authors'
        plain bisection over every column."""
        s = self.settings
        return s.rounds.calibrate(self.model, x, pool, self.space, s.eps, target=s.target)

    def _distinct(self, pool: torch.Tensor, valid: torch.Tensor,
                  users: torch.Tensor | None = None) -> torch.Tensor:
        """(M, k) bool: slot j is valid and shows differently from the incumbent, from every
        valid slot before it (so any two real options, whichever wins, differ) and, given the
        rows' ``users``, from every option they were shown in earlier rounds (so no pair is
        asked twice, in either order)."""
        seen = self.shown(pool)  # (M, k, d)
        equal = (seen.unsqueeze(2) == seen.unsqueeze(1)).all(-1)  # (M, k, k)
        keep = valid.clone()
        keep[:, 0] = True
        earlier = torch.ones_like(equal).tril(-1)  # [j, i]: i < j
        repeats = (equal & earlier & keep.unsqueeze(1)).any(-1)
        # a repeat of an invalid-but-kept slot cannot happen: only valid slots are compared
        keep &= ~repeats
        if users is not None:
            for row, user in enumerate(users.tolist()):
                earlier_shown = self._seen.get(user)
                if earlier_shown is not None:
                    old = (seen[row].unsqueeze(1) == earlier_shown.unsqueeze(0)).all(-1).any(-1)
                    keep[row, 1:] &= ~old[1:]
        return keep

    def _real_options(self, users: torch.Tensor, iteration: int, pool: torch.Tensor,
                      valid: torch.Tensor):
        """"people" counting: redraw invalid or repeated samples (at most ``redraws`` rounds,
        all users at once), then move the real options to the front of each row. Returns
        (pool, real) where real[:, j] says slot j is a new option (slot 0: the incumbent)."""
        real = self._distinct(pool, valid, users)
        for attempt in range(1, self.settings.redraws + 1):
            missing = (~real[:, 1:]).any(dim=1)
            if not bool(missing.any()):
                break
            rows = torch.nonzero(missing).squeeze(-1)
            fresh, fresh_valid = self._draw(users[rows], iteration, attempt)
            # candidates for the rows: kept real slots first, then the fresh draw (minus its
            # incumbent copy); dedupe again and keep the first k
            both = torch.cat([pool[rows], fresh[:, 1:]], dim=1)
            ok = torch.cat([real[rows], fresh_valid[:, 1:]], dim=1)
            ok[:, 0] = True
            order = torch.sort((~ok).to(torch.int8), dim=1, stable=True).indices
            both = torch.gather(both, 1, order.unsqueeze(-1).expand_as(both))
            ok = torch.gather(ok, 1, order)
            k = pool.shape[1]
            distinct = self._distinct(both, ok, users[rows])
            order = torch.sort((~distinct).to(torch.int8), dim=1, stable=True).indices[:, :k]
            pool = pool.clone()
            real = real.clone()
            pool[rows] = torch.gather(both, 1, order.unsqueeze(-1).expand(-1, -1, both.shape[-1]))
            real[rows] = torch.gather(distinct, 1, order)
        order = torch.sort((~real).to(torch.int8), dim=1, stable=True).indices
        pool = torch.gather(pool, 1, order.unsqueeze(-1).expand_as(pool))
        return pool, torch.gather(real, 1, order)

    def prefetch(self) -> None:
        """While the "good enough?" question waits, compute the next iteration's candidates for
        the users it is put to, so a "no" is answered without the sampling delay (the app runs
        this in a thread while the person reads). A no-op in any other state."""
        q = self._pending
        if (q is None or q.kind != "accept" or self.iteration >= self.settings.n_rounds
                or self._prefetched is not None):
            return
        self._prefetched = (q.users.clone(), *self._candidate_pool(q.users, self.iteration + 1))

    def _start_iteration(self) -> None:
        self.iteration += 1
        self.step = 0
        users = torch.nonzero(self.active).squeeze(-1)
        self._users = users
        self.iterations_run[users] += 1
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is not None and bool(torch.isin(users, prefetched[0]).all()):
            # the users still active said "no"; take their rows of the prefetched pool
            rows = torch.searchsorted(prefetched[0], users)
            pool, valid = prefetched[1][rows], prefetched[2][rows]
        else:
            pool, valid = self._candidate_pool(users, self.iteration)
        # An invalid sample would be a recourse that does not work: show the incumbent instead,
        # so every iteration still asks exactly k questions (SPEC §4), and count it. Under
        # "people" counting ``valid`` marks real new options, and slots without one are skipped.
        valid[:, 0] = True
        pool = torch.where(valid.unsqueeze(-1), pool, pool[:, :1])
        self.invalid[users] += (~valid).sum(dim=1)
        self._candidates = pool
        self._real = valid
        self.new_options[users] = valid[:, 1:].sum(dim=1)
        self.winner[users] = pool[:, 0]

    def next_question(self) -> Question | None:
        """The question to answer next, or None when every user is finished."""
        if self._pending is not None:
            return self._pending
        if not bool(self.active.any()):
            return None
        k = self.settings.k
        if self.iteration == 0 or self.step == k:
            self._start_iteration()
        if self.settings.drops_invalid:
            # a comparison with nothing new is skipped, and costs no one a question
            while self.step < k - 1 and not bool(self._real[:, self.step + 1].any()):
                self.skipped[self._users] += 1
                self.step += 1
        users = self._users
        current = self.winner[users]
        if self.step < k - 1:
            challenger = self._candidates[:, self.step + 1]
            if self.settings.drops_invalid:
                asked = self._real[:, self.step + 1]
                self.skipped[users[~asked]] += 1
                users, current, challenger = users[asked], current[asked], challenger[asked]
            question = Question("compare", users, self.iteration, self.step + 1, current,
                                challenger)
        else:
            if self.settings.bps == "best":
                calibrated, _ = self._calibrate(self.x[users], current.unsqueeze(1))
                self.winner[users] = calibrated[:, 0]
                current = calibrated[:, 0]
            question = Question("accept", users, self.iteration, self.step + 1, current, None)
        self._pending = question
        return question

    def answer(self, answers: torch.Tensor | bool) -> None:
        """Record the answers to the pending question (True = challenger / satisfied)."""
        question = self._pending
        answers = checked_answers(question, answers)
        users = question.users
        if question.kind == "compare" or self.settings.rounds.charges_accept:
            self.queries[users] += 1  # the authors' code asks no "good enough?"
        self.step += 1
        if question.kind == "compare":
            if self.settings.counting == "people":
                shown = self.shown(torch.stack([question.current, question.challenger], 1))
                for row, user in enumerate(users.tolist()):
                    known = self._seen.get(user)
                    self._seen[user] = shown[row] if known is None else torch.cat([known, shown[row]])
            self.winner[users] = torch.where(answers.unsqueeze(-1), question.challenger,
                                             question.current)
        else:
            self.accepted[users] |= answers
            self.active[users[answers]] = False
            if self.iteration >= self.settings.n_rounds:
                self.active[users] = False
            self._candidates = None
        self._pending = None

    def result(self) -> SessionResult:
        return SessionResult(self.winner.clone(), self.queries.clone(), self.accepted.clone(),
                             self.invalid.clone(), self.iterations_run.clone(),
                             self.skipped.clone())


def run_to_end(session: RecourseSession, oracle) -> SessionResult:
    """Drive a session (HARE's or active HARE's) with an oracle whose ``answer(question)``
    returns (M,) bools.

    Loops over questions (B of them), never over users.
    """
    while (question := session.next_question()) is not None:
        session.answer(oracle.answer(question))
    return session.result()
