"""The question/answer interface every recourse session shares: the questions it puts, the
result it returns, and ``RecourseSession``, what a simulated user, the benchmark runner and the
live wing rely on. HARE (hare.session) and active HARE (hare.active) both satisfy it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch


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
    """Per user: the final recourse r* (NaN where the base generator failed) and the cost.

    ``invalid_candidates`` and ``skipped`` mean the same for every session (the benchmark stores
    ``invalid_candidates`` per user and its mean per run; ``skipped`` is not stored):

    - ``invalid_candidates``: sampled candidates that failed the target (g < τ) and were
      replaced by the incumbent or dropped. HARE counts the candidate slots of its rounds
      left without a valid sample (under "people" counting: without a new option once the
      redraws are spent). Active HARE never offers a sample: every option it shows is a
      particle, valid by construction (proposals that fail are discarded inside its
      posterior), so its count is 0. Active HARE runs stored by engines up to 2026.12.2
      (hare.ENGINE_REVISION) hold their skipped comparisons in this column instead.
    - ``skipped``: comparisons not asked, and not charged, because the user had no new
      option (HARE under "people" counting, or with a sampler that drops invalid samples) or
      no distinguishable pair (active HARE). HARE under "paper" counting with our sampler
      skips none: a comparison with nothing new is asked, with two identical options.
    """

    recourse: torch.Tensor  # (N, d)
    queries: torch.Tensor  # (N,) long: questions answered
    accepted: torch.Tensor  # (N,) bool: said "good enough" before the budget ran out
    invalid_candidates: torch.Tensor  # (N,) long: see above
    iterations: torch.Tensor  # (N,) long: iterations (rounds) started
    skipped: torch.Tensor  # (N,) long: see above


@runtime_checkable
class RecourseSession(Protocol):
    """A session for N users: questions out (``next_question``), answers in (``answer``), until
    ``done``; then ``result``. A person is a batch of one. ``prefetch`` may do work ahead while
    a "good enough?" question waits (or nothing); ``failed`` (users whose base recourse failed,
    asked nothing), ``queries`` (questions answered so far) and ``new_options`` (options new in
    the current round) are what the live wing reads while a person answers."""

    failed: torch.Tensor  # (N,) bool
    queries: torch.Tensor  # (N,) long
    new_options: torch.Tensor  # (N,) long

    @property
    def done(self) -> bool: ...

    def next_question(self) -> Question | None: ...

    def answer(self, answers: torch.Tensor | bool) -> None: ...

    def result(self) -> SessionResult: ...

    def prefetch(self) -> None: ...


def checked_answers(question: Question | None, answers: torch.Tensor | bool) -> torch.Tensor:
    """(M,) bool answers to the pending ``question``; an error for no question or a wrong count
    (shared by every session)."""
    if question is None:
        raise RuntimeError("no question is waiting for an answer; call next_question() first")
    answers = torch.as_tensor(answers, dtype=torch.bool).reshape(-1)
    if answers.shape[0] != question.users.shape[0]:
        raise ValueError(f"expected {question.users.shape[0]} answers, got {answers.shape[0]}")
    return answers
