"""The question/answer interface every recourse session shares: the questions it puts and the
result it returns. HARE (hare.session) and active HARE (hare.active) both use it, and simulated
users (hare.users) answer its questions without knowing which session asked.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """Per user: the final recourse r* (NaN where the base generator failed) and the cost."""

    recourse: torch.Tensor  # (N, d)
    queries: torch.Tensor  # (N,) long: questions answered
    accepted: torch.Tensor  # (N,) bool: said "good enough" before the budget ran out
    invalid_candidates: torch.Tensor  # (N,) long: samples with g < τ, replaced by the incumbent
    iterations: torch.Tensor  # (N,) long: iterations started
    # (N,) long: comparisons skipped because no new option was found ("people" counting; these
    # cost nothing). Under "paper" counting they are asked, with two identical options.
    skipped: torch.Tensor | None = None


def checked_answers(question: Question | None, answers: torch.Tensor | bool) -> torch.Tensor:
    """(M,) bool answers to the pending ``question``; an error for no question or a wrong count
    (shared by every session)."""
    if question is None:
        raise RuntimeError("no question is waiting for an answer; call next_question() first")
    answers = torch.as_tensor(answers, dtype=torch.bool).reshape(-1)
    if answers.shape[0] != question.users.shape[0]:
        raise ValueError(f"expected {question.users.shape[0]} answers, got {answers.shape[0]}")
    return answers
