"""One person's live HARE session, wrapped for the page: the engine's HareSession (N = 1) plus
what the page shows (options as changes in original units) and what the person did (answers and
their timing, for the opt-in answer store and the downloadable card).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from hare.actions import ActionSpace
from hare.live.formatting import Change, changes, decode_row, format_value
from hare.live.profile import Preferences
from hare.data import Dataset
from hare.models import Classifier
from hare.rng import user_keys
from hare.session import HareSession, HareSettings, Question


@dataclass(frozen=True)
class LiveSetup:
    """The choices that define a live session (all validated before a session starts)."""

    dataset: str
    model: str
    generator: str
    budget: int = 10
    iterations: int = 2
    bps: str = "every"
    model_seed: int = 0  # which cached classifier (the benchmark's seed-0 model)

    def settings(self) -> HareSettings:
        return HareSettings(budget=self.budget, iterations=self.iterations, bps=self.bps)


@dataclass(frozen=True)
class Option:
    """A candidate recourse as shown: its changes and the model's probability for it."""

    changes: tuple[Change, ...]
    probability: float


@dataclass(frozen=True)
class QuestionView:
    """The pending question, ready to draw."""

    kind: str  # "compare" or "accept"
    iteration: int
    step: int
    number: int  # 1-based over the whole session
    current: Option
    challenger: Option | None
    same: bool  # the challenger equals the current recourse (sampling found no alternative)
    last_round: bool


@dataclass(frozen=True)
class AnswerEvent:
    """One answered question (no free text): what was shown, the choice, and the timing."""

    seq: int
    kind: str
    iteration: int
    step: int
    current: list[float]
    challenger: list[float] | None
    same: bool
    choice: bool  # True = preferred the challenger / said "good enough"
    shown_at: dt.datetime
    seconds: float  # from showing the question to the answer


def probability(model: Classifier, x: torch.Tensor) -> torch.Tensor:
    """P(desired outcome) for encoded rows (..., d)."""
    with torch.no_grad():
        return model(x)


class LiveRun:
    """A person's session from the base recourse to the final card.

    x: (1, d) the person's encoded profile; r0: (1, d) the base generator's recourse (a NaN row
    when it found none: then ``failed`` is True and nothing is asked).
    """

    def __init__(self, setup: LiveSetup, dataset: Dataset, model: Classifier, x: torch.Tensor,
                 r0: torch.Tensor, space: ActionSpace, preferences: Preferences,
                 source: str, test_row: int | None, seed: int):
        self.id = uuid.uuid4().hex
        self.setup, self.dataset, self.model = setup, dataset, model
        self.x, self.r0, self.space, self.preferences = x, r0, space, preferences
        self.source, self.test_row, self.seed = source, test_row, seed
        self.started_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        self.failed = bool(torch.isnan(r0).any())
        self.events: list[AnswerEvent] = []
        self.session = HareSession(model, x, r0, space, setup.settings(),
                                   user_keys(seed, torch.arange(1)))
        self._question: Question | None = None
        self._shown = 0.0
        self._shown_at = self.started_at
        self.saved = False  # written to the answer store
        self._prefetch: threading.Thread | None = None
        self._advance()

    def _advance(self) -> None:
        self._question = None if self.failed else self.session.next_question()
        self._shown = time.perf_counter()
        self._shown_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        if self._question is not None and self._question.kind == "accept":
            # Sample the next round while the person reads "good enough?": a "no" then shows
            # the next pair without the ~50 ms of ActionableSampling.
            self._prefetch = threading.Thread(target=self.session.prefetch, daemon=True)
            self._prefetch.start()

    @property
    def done(self) -> bool:
        return self._question is None

    @property
    def budget(self) -> int:
        return self.setup.budget

    @property
    def used(self) -> int:
        return int(self.session.queries[0])

    @property
    def left(self) -> int:
        return self.budget - self.used

    def in_whole_units(self, r: torch.Tensor) -> torch.Tensor:
        """``r`` (d,) with whole-number features (education years, counts) moved to whole
        numbers away from the profile, when that version still gets a yes and respects the
        person's limits; otherwise ``r`` itself (shown then with its decimals). A person cannot
        study 14.45 years, and the probability shown must be that of what they are told."""
        if bool(torch.isnan(r).any()):
            return r
        snapped = torch.from_numpy(
            self.dataset.encoder.snap_whole(self.x.numpy(), r[None].numpy())[0]).to(r.dtype)
        ok = (float(probability(self.model, snapped)) >= 0.5
              and bool(self.space.is_actionable(self.x[0], snapped)))
        return snapped if ok else r

    def _option(self, r: torch.Tensor) -> Option:
        r = self.in_whole_units(r)
        return Option(tuple(changes(self.dataset, self.x[0].numpy(), r.numpy())),
                      float(probability(self.model, r)))

    def question(self) -> QuestionView | None:
        q = self._question
        if q is None:
            return None
        current = q.current[0]
        challenger = q.challenger[0] if q.challenger is not None else None
        same = challenger is not None and bool(torch.allclose(current, challenger, atol=1e-9))
        return QuestionView(
            kind=q.kind, iteration=q.iteration, step=q.step, number=self.used + 1,
            current=self._option(current),
            challenger=self._option(challenger) if challenger is not None else None,
            same=same, last_round=q.iteration >= self.setup.iterations,
        )

    def answer(self, choice: bool) -> None:
        """Record the person's answer and move to the next question (no-op when done, so a
        double click or a stale button after a reload cannot break the session)."""
        q = self._question
        if q is None:
            return
        if self._prefetch is not None:  # the session is not to be touched while it samples
            self._prefetch.join()
            self._prefetch = None
        challenger = q.challenger[0].tolist() if q.challenger is not None else None
        same = challenger is not None and bool(torch.allclose(q.current[0], q.challenger[0], atol=1e-9))
        self.events.append(AnswerEvent(
            seq=len(self.events) + 1, kind=q.kind, iteration=q.iteration, step=q.step,
            current=q.current[0].tolist(), challenger=challenger, same=same, choice=bool(choice),
            shown_at=self._shown_at, seconds=time.perf_counter() - self._shown))
        self.session.answer(torch.tensor([bool(choice)]))
        self._advance()

    @property
    def recourse(self) -> torch.Tensor:
        """(d,) the final (or current best) recourse, in whole units where the feature has
        them (see ``in_whole_units``); NaN when none was found."""
        return self.in_whole_units(self.session.result().recourse[0])

    @property
    def accepted(self) -> bool:
        return bool(self.session.result().accepted[0])

    def probability_before(self) -> float:
        return float(probability(self.model, self.x[0]))

    def probability_after(self) -> float | None:
        r = self.recourse
        return None if bool(torch.isnan(r).any()) else float(probability(self.model, r))

    def card(self) -> dict:
        """The final recourse card as plain data (the JSON download)."""
        r = self.recourse
        ds = self.dataset
        before = decode_row(ds, self.x[0].numpy())
        found = not bool(torch.isnan(r).any())
        after = decode_row(ds, r.numpy()) if found else None
        p = self.preferences
        return {
            "dataset": self.setup.dataset, "model": self.setup.model,
            "generator": self.setup.generator,
            "settings": {"budget": self.setup.budget, "iterations": self.setup.iterations,
                         "bps": self.setup.bps},
            "recourse_found": found,
            "profile": {c: format_value(ds, c, before[c]) for c in ds.feature_names},
            "recourse": ({c: format_value(ds, c, after[c]) for c in ds.feature_names}
                         if found else None),
            "changes": ([asdict(c) | {"text": c.text} for c in changes(ds, self.x[0].numpy(), r.numpy())]
                        if found else []),
            "probability_before": self.probability_before(),
            "probability_after": self.probability_after(),
            "questions_answered": self.used,
            "said_good_enough": self.accepted,
            "will_not_change": list(p.frozen),
            "ranges": [{"feature": f, "lowest": lo, "highest": hi} for f, lo, hi in p.ranges],
            "directions": [{"feature": f, "direction": "only up" if s > 0 else "only down"}
                           for f, s in p.directions],
        }

    def card_json(self) -> str:
        return json.dumps(self.card(), indent=2, default=_json_default)


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


@dataclass
class LiveState:
    """Everything the live page keeps in st.session_state between reruns."""

    run: LiveRun | None = None
    profile: dict[str, object] | None = None  # the last valid profile (original units)
    profile_key: str = ""  # which source the profile came from (test row / entered)
    profile_errors: dict[str, str] = field(default_factory=dict)
    store_error: str = ""  # why saving the answers failed, shown to the person
