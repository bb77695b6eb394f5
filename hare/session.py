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
from hare.candidates import SamplingSettings, actionable_sampling, boundary_point_search
from hare.errors import ConfigError
from hare.models import Classifier
from hare.rng import stream

BPS_MODES = ("every", "best")


@dataclass(frozen=True)
class HareSettings:
    """Budget B, iterations T (HARE: T = 1; Multi-HARE: T > 1) and the BPS mode."""

    budget: int = 30
    iterations: int = 1
    bps: str = "every"  # calibrate every candidate, or only the chosen one (Table 5)
    eps: float = 1e-6
    sampling: SamplingSettings = field(default_factory=SamplingSettings)

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

    @property
    def k(self) -> int:
        """Candidates shown (and queries spent) per iteration."""
        return self.budget // self.iterations


@dataclass(frozen=True)
class Question:
    """One question put to the users listed in ``users`` (indices into the session's batch).

    ``compare``: prefer ``challenger`` over ``current``? ``accept``: is ``current`` good enough?
    Answers are a (M,) bool tensor: True = prefers the challenger / is satisfied.
    """

    kind: str
    users: torch.Tensor  # (M,) long
    iteration: int  # 1-based
    step: int  # 1-based query number within the iteration
    current: torch.Tensor  # (M, d) the winner so far
    challenger: torch.Tensor | None  # (M, d), compare questions only


@dataclass(frozen=True)
class SessionResult:
    """Per user: the final recourse r* (NaN where the base generator failed) and the cost."""

    recourse: torch.Tensor  # (N, d)
    queries: torch.Tensor  # (N,) long: questions answered
    accepted: torch.Tensor  # (N,) bool: said "good enough" before the budget ran out
    invalid_candidates: torch.Tensor  # (N,) long: samples with g < 0.5, replaced by the incumbent
    iterations: torch.Tensor  # (N,) long: iterations started


class HareSession:
    """Algorithm 4 for a batch of users. See the module docstring for the protocol.

    x, r0: (N, d) factuals and base recourses (NaN rows: the base generator failed, so HARE
    fails too and asks that user nothing). keys: (N,) per-user random keys (hare.rng).
    """

    def __init__(self, model: Classifier, x: torch.Tensor, r0: torch.Tensor, space: ActionSpace,
                 settings: HareSettings, keys: torch.Tensor):
        self.model, self.space, self.settings = model, space, settings
        self.x = x
        self.keys = keys
        n = x.shape[0]
        self.failed = torch.isnan(r0).any(dim=-1)
        self.winner = torch.where(self.failed.unsqueeze(-1), torch.nan, r0).clone()
        self.active = ~self.failed
        self.queries = torch.zeros(n, dtype=torch.long)
        self.accepted = torch.zeros(n, dtype=torch.bool)
        self.invalid = torch.zeros(n, dtype=torch.long)
        self.iterations_run = torch.zeros(n, dtype=torch.long)
        self.iteration = 0  # 1-based once started
        self.step = 0  # queries asked in the current iteration
        self._users = torch.zeros(0, dtype=torch.long)  # users in the current iteration
        self._candidates: torch.Tensor | None = None  # (M, k, d)
        self._prefetched: tuple | None = None  # (users, pool, valid) for the next iteration
        self._pending: Question | None = None

    @property
    def done(self) -> bool:
        return not bool(self.active.any()) and self._pending is None

    def _candidate_pool(self, users: torch.Tensor, iteration: int):
        """(pool (M, k, d), valid (M, k)) for ``users``' iteration: the incumbent and k − 1
        samples around it, calibrated by BPS in "every" mode. Depends only on each user's
        incumbent, factual and key, so it can be computed ahead (``prefetch``)."""
        s = self.settings
        x, incumbent = self.x[users], self.winner[users]
        samples = actionable_sampling(self.model, x, incumbent, self.space, s.k - 1,
                                      self.keys[users], stream=stream("sampling", iteration - 1),
                                      settings=s.sampling)
        pool = torch.cat([incumbent.unsqueeze(1), samples], dim=1)  # (M, k, d)
        if s.bps == "every":
            return boundary_point_search(self.model, x, pool, self.space, s.eps)
        with torch.no_grad():
            return pool, self.model(pool) >= 0.5

    def prefetch(self) -> None:
        """While the "good enough?" question waits, compute the next iteration's candidates for
        the users it is put to, so a "no" is answered without the sampling delay (the app runs
        this in a thread while the person reads). A no-op in any other state."""
        q = self._pending
        if (q is None or q.kind != "accept" or self.iteration >= self.settings.iterations
                or self._prefetched is not None):
            return
        self._prefetched = (q.users.clone(), *self._candidate_pool(q.users, self.iteration + 1))

    def _start_iteration(self) -> None:
        s = self.settings
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
        # so every iteration still asks exactly k questions (SPEC §4), and count it.
        valid[:, 0] = True
        pool = torch.where(valid.unsqueeze(-1), pool, pool[:, :1])
        self.invalid[users] += (~valid).sum(dim=1)
        self._candidates = pool
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
        users = self._users
        current = self.winner[users]
        if self.step < k - 1:
            question = Question("compare", users, self.iteration, self.step + 1, current,
                                self._candidates[:, self.step + 1])
        else:
            if self.settings.bps == "best":
                calibrated, _ = boundary_point_search(self.model, self.x[users],
                                                      current.unsqueeze(1), self.space,
                                                      self.settings.eps)
                self.winner[users] = calibrated[:, 0]
                current = calibrated[:, 0]
            question = Question("accept", users, self.iteration, self.step + 1, current, None)
        self._pending = question
        return question

    def answer(self, answers: torch.Tensor | bool) -> None:
        """Record the answers to the pending question (True = challenger / satisfied)."""
        question = self._pending
        if question is None:
            raise RuntimeError("no question is waiting for an answer; call next_question() first")
        answers = torch.as_tensor(answers, dtype=torch.bool).reshape(-1)
        if answers.shape[0] != question.users.shape[0]:
            raise ValueError(f"expected {question.users.shape[0]} answers, got {answers.shape[0]}")
        users = question.users
        self.queries[users] += 1
        self.step += 1
        if question.kind == "compare":
            self.winner[users] = torch.where(answers.unsqueeze(-1), question.challenger,
                                             question.current)
        else:
            self.accepted[users] |= answers
            self.active[users[answers]] = False
            if self.iteration >= self.settings.iterations:
                self.active[users] = False
            self._candidates = None
        self._pending = None

    def result(self) -> SessionResult:
        return SessionResult(self.winner.clone(), self.queries.clone(), self.accepted.clone(),
                             self.invalid.clone(), self.iterations_run.clone())


def run_to_end(session: HareSession, oracle) -> SessionResult:
    """Drive a session with an oracle whose ``answer(question)`` returns (M,) bools.

    Loops over questions (B of them), never over users.
    """
    while (question := session.next_question()) is not None:
        session.answer(oracle.answer(question))
    return session.result()
