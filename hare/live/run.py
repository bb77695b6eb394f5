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
from dataclasses import dataclass

import numpy as np
import torch

import hare
from hare.actions import ActionSpace
from hare.active import ActiveHareSession
from hare.data import Dataset
from hare.generators import make_generator
from hare.live.card import (change_costs, changes_entry, engine_revision, limits_entry,
                            model_hash, plan_entry)
from hare.live.costs import ChangeCost, plan_sentence
from hare.live.endings import best_plans, what_to_loosen
from hare.live.formatting import Change, changes, decode_row, generator_label, shown_values
from hare.live.profile import Preferences
from hare.live.setup import SessionConfig
from hare.models import Classifier
from hare.rng import user_keys
from hare.session import HareSession, Question

# Seconds between showing "good enough?" and sampling the next round in the background. Sampling
# at once competed with the server's own threads while the page was still being sent (the
# comparison → "good enough?" answers were the slowest in the browser); a person reads the
# question for longer than this before a "no".
PREFETCH_DELAY = 0.4

# The base generators' settings on the live path, where they differ from the paper's (the
# benchmarks keep the paper's). Wachter: 4 rounds of 500 steps, not 2,500: every refused person
# it helps in the demo's data is found within the first few hundred steps, and for a person it
# cannot help (most of COMPAS under the default rules) the paper's 10,000 steps took ~2.7 s of
# CPU before "no recourse" could be said; 2,000 take ~0.5 s.
LIVE_GENERATOR_PARAMS: dict[str, dict] = {"wachter": {"steps": 500}}


def make_live_generator(name: str):
    """A new, unfitted generator ``name`` with the live path's settings."""
    return make_generator(name, **LIVE_GENERATOR_PARAMS.get(name, {}))


@dataclass(frozen=True)
class Option:
    """A candidate recourse as shown: its changes and the model's probability for it."""

    changes: tuple[Change, ...]
    probability: float
    costs: tuple[ChangeCost, ...] = ()  # each change with its words, time and effort

    @property
    def plan(self) -> str:
        """The option as one plain sentence, with its time."""
        return plan_sentence(list(self.costs))


@dataclass(frozen=True)
class QuestionView:
    """The pending question, ready to draw."""

    kind: str  # "compare" or "accept"
    iteration: int
    step: int
    number: int  # 1-based over the whole session
    current: Option
    challenger: Option | None
    last_round: bool
    new_options: int  # new options found this round (0: the search ran out, said plainly)


@dataclass(frozen=True)
class AnswerEvent:
    """One answered question (no free text): what was shown, the choice, and the timing."""

    seq: int
    kind: str
    iteration: int
    step: int
    options: list[dict[str, float]]  # as shown: {column: value in original units}
    changes: list[list[float]]  # per option, r − x in encoded units (no profile in it)
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
    when it found none: then ``failed`` is True and nothing is asked). The candidates are drawn
    from ``config.seed``.
    """

    def __init__(self, config: SessionConfig, dataset: Dataset, model: Classifier,
                 x: torch.Tensor, r0: torch.Tensor, space: ActionSpace, preferences: Preferences,
                 source: str, test_row: int | None):
        self.id = uuid.uuid4().hex
        self.config, self.dataset, self.model = config, dataset, model
        self.x, self.r0, self.space, self.preferences = x, r0, space, preferences
        self.source, self.test_row, self.seed = source, test_row, config.seed
        self.started_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        self.failed = bool(torch.isnan(r0).any())
        self.events: list[AnswerEvent] = []
        keys = user_keys(self.seed, torch.arange(1))
        session = ActiveHareSession if config.method == "active" else HareSession
        self.session = session(model, x, r0, space, config.settings(), keys, shown=self._shown_key)
        # the base recourse may not reach the target: then the session has none either
        self.failed = self.failed or bool(self.session.failed[0])
        self._question: Question | None = None
        self._shown = 0.0
        self._shown_at = self.started_at
        self.saved = False  # written to the answer store
        self.rejected = False  # the person said none of the options works for them
        self._prefetch: threading.Timer | None = None
        self._advance()

    def _shown_key(self, r: torch.Tensor) -> torch.Tensor:
        """Points (..., d) as a person sees them: the point shown (``as_displayed``) at display
        precision. The session treats two points that look the same as one option, so this
        must be exactly what the page draws, or two options can differ here and read alike."""
        return torch.from_numpy(shown_values(self.dataset, self.as_displayed(r).reshape(
            -1, r.shape[-1]).numpy())).reshape(r.shape)

    def _advance(self) -> None:
        self._question = None if self.failed else self.session.next_question()
        self._shown = time.perf_counter()
        self._shown_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        if self._question is not None and self._question.kind == "accept":
            # Sample the next round while the person reads "good enough?": a "no" then shows
            # the next pair without the ~50 ms of ActionableSampling.
            self._prefetch = threading.Timer(PREFETCH_DELAY, self.session.prefetch)
            self._prefetch.daemon = True
            self._prefetch.start()

    @property
    def done(self) -> bool:
        return self._question is None

    @property
    def pending(self) -> Question | None:
        """The engine's pending question (for a simulated person answering it)."""
        return self._question

    @property
    def budget(self) -> int:
        return self.config.budget

    @property
    def used(self) -> int:
        return int(self.session.queries[0])

    @property
    def left(self) -> int:
        return self.budget - self.used

    def as_displayed(self, r: torch.Tensor) -> torch.Tensor:
        """Points (..., d) as the page shows them: whole-number features (education years,
        counts) moved to whole numbers away from the profile, where that version of a point
        still clears the target and respects the person's limits; otherwise the point itself
        (shown with its decimals). A person cannot study 14.45 years, and the probability
        shown must be that of what they are told. NaN rows stay NaN."""
        flat = r.reshape(-1, r.shape[-1])
        x = self.x.expand_as(flat)
        snapped = torch.from_numpy(self.dataset.encoder.snap_whole(
            x.numpy(), flat.numpy())).to(flat.dtype)
        ok = ((probability(self.model, snapped) >= self.config.target)
              & self.space.is_actionable(x, snapped))
        return torch.where(ok[:, None], snapped, flat).reshape(r.shape)

    def in_whole_units(self, r: torch.Tensor) -> torch.Tensor:
        """(d,) ``r`` as shown (see ``as_displayed``)."""
        return self.as_displayed(r[None])[0]

    def _option(self, r: torch.Tensor) -> Option:
        r = self.in_whole_units(r)
        return Option(tuple(changes(self.dataset, self.x[0].numpy(), r.numpy())),
                      float(probability(self.model, r)), tuple(self.change_costs(r)))

    def is_pending(self, number: int) -> bool:
        """Whether question ``number`` (QuestionView.number) is the one waiting for an answer:
        a stale button (a double click, a page restored from history) names an earlier one and
        must not answer the next."""
        return not self.done and self.used + 1 == number

    def question(self) -> QuestionView | None:
        q = self._question
        if q is None:
            return None
        current = q.current[0]
        challenger = q.challenger[0] if q.challenger is not None else None
        return QuestionView(
            kind=q.kind, iteration=q.iteration, step=q.step, number=self.used + 1,
            current=self._option(current),
            challenger=self._option(challenger) if challenger is not None else None,
            last_round=q.iteration >= self.config.rounds,
            new_options=int(self.session.new_options[0]),
        )

    def shown_row(self, r: torch.Tensor) -> dict[str, float]:
        """(d,) a point as the person is shown it: {column: number in original units}."""
        point = self.in_whole_units(r).numpy()
        row = decode_row(self.dataset, point)
        values = shown_values(self.dataset, point[None])[0]  # the numbers as displayed
        return {c: (row[c] if c in self.dataset.spec.categorical else float(values[j]))
                for j, c in enumerate(self.dataset.feature_names)}

    def answer(self, choice: bool) -> None:
        """Record the person's answer and move to the next question (no-op when done, so a
        double click or a stale button after a reload cannot break the session)."""
        q = self._question
        if q is None:
            return
        if self._prefetch is not None:  # the session is not to be touched while it samples
            self._prefetch.cancel()  # not started yet: the next round is sampled when needed
            self._prefetch.join()
            self._prefetch = None
        points = [q.current[0]] + ([q.challenger[0]] if q.challenger is not None else [])
        points = [self.in_whole_units(p) for p in points]
        self.events.append(AnswerEvent(
            seq=len(self.events) + 1, kind=q.kind, iteration=q.iteration, step=q.step,
            options=[self.shown_row(p) for p in points],
            changes=[(p - self.x[0]).tolist() for p in points], choice=bool(choice),
            shown_at=self._shown_at, seconds=time.perf_counter() - self._shown))
        self.session.answer(torch.tensor([bool(choice)]))
        self._advance()

    def reject(self) -> None:
        """The person says none of these works for them: the session ends without a recourse
        they accepted (the card says what to loosen)."""
        if self._prefetch is not None:
            self._prefetch.cancel()
            self._prefetch.join()
            self._prefetch = None
        self.rejected = True
        self._question = None

    @property
    def ending(self) -> str:
        """How the session ended, in a word a card and a page can test: "no recourse",
        "none work" (the person said so), "accepted" or "not accepted" (the questions ran out,
        or "no" in the last round)."""
        if self.failed:
            return "no recourse"
        if self.rejected:
            return "none work"
        return "accepted" if self.accepted else "not accepted"

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

    @property
    def approved(self) -> bool:
        """The model would say yes to the final option (whether the person can do it is
        ``ending``)."""
        after = self.probability_after()
        return after is not None and after >= self.config.target

    def no_recourse_reason(self) -> str | None:
        """Why there is no recourse, in plain words (None when there is one)."""
        if not self.failed:
            return None
        spec = self.dataset.spec
        held = [spec.fact(c).label for c in self.dataset.feature_names
                if not bool(self.space.mutable[self.dataset.feature_names.index(c)])]
        one_way = [f"{spec.fact(c).label} only {'up' if s > 0 else 'down'}"
                   for c, s in self.preferences.directions]
        limits = "; ".join(filter(None, [("held fixed: " + ", ".join(held)) if held else "",
                                         ", ".join(one_way)]))
        return (f"No change within your limits gets the model to {self.config.target:.0%} "
                f"({generator_label(self.config.generator)} found none; {limits}). Allowing more "
                "features to change, wider ranges, a lower target or another search method "
                "may find one.")

    def card(self) -> dict:
        """The recourse card as plain data (the JSON download and ``hare recourse --json``):
        numbers in original units with the dataset's own column names, the units apart."""
        ds, p = self.dataset, self.preferences
        found = not self.failed
        profile = self.shown_row(self.x[0])
        r = self.recourse
        items = self.change_costs(r) if found else []
        return {
            "version": hare.__version__,
            "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "dataset": self.config.dataset, "model": self.config.model,
            "generator": self.config.generator, "seed": self.seed,
            "row": self.test_row, "source": self.source,
            "model_hash": model_hash(self.model),
            "engine_revision": engine_revision(),
            "settings": {"method": self.config.method,
                         "budget": self.config.budget, "iterations": self.config.rounds,
                         "bps": self.config.bps, "counting": self.config.counting,
                         "target_probability": self.config.target,
                         "will_not_change": list(p.frozen),
                         "ranges": [{"feature": f, "lowest": lo, "highest": hi}
                                    for f, lo, hi in p.ranges],
                         "directions": {f: ("only up" if s > 0 else "only down")
                                        for f, s in p.directions},
                         "max_changes": p.max_changes,
                         "limits": limits_entry(ds, p)},
            "approved": self.approved,
            "target_probability": self.config.target,
            "probability_before": self.probability_before(),
            "probability_after": self.probability_after(),
            "profile": profile,
            "recourse": self.shown_row(r) if found else None,
            "changes": (changes_entry(items, {"before": profile, "after": self.shown_row(r)})
                        if found else {}),
            "plan": plan_entry(items) if found else None,
            "units": {c: ds.spec.fact(c).unit or ("$" if ds.spec.fact(c).money else "")
                      for c in ds.feature_names},
            "no_recourse_reason": self.no_recourse_reason(),
            "questions_answered": self.used,
            "said_good_enough": self.accepted,
            "ending": self.ending,
            "plans": [{"sentence": plan.sentence, "time": plan.time,
                       "months": round(plan.months, 1), "effort_weeks": round(plan.effort_weeks, 1),
                       "probability": plan.probability} for plan in best_plans(self)],
            "what_to_loosen": what_to_loosen(self) if self.ending != "accepted" and found else [],
            "transcript": [{"kind": e.kind, "round": e.iteration, "options": e.options,
                            "answer": (("B" if e.choice else "A") if e.kind == "compare"
                                       else ("yes" if e.choice else "no"))}
                           for e in self.events],
        }

    def change_costs(self, r: torch.Tensor) -> list[ChangeCost]:
        """The changes of ``r`` (as shown) with their words, time and effort."""
        return change_costs(self.dataset, self.x[0].numpy(), self.in_whole_units(r).numpy(),
                            self.preferences)

    def card_json(self) -> str:
        return json.dumps(self.card(), indent=2, default=_json_default)

    def shown_changes(self) -> list[Change]:
        """The final recourse's changes as shown (empty when there is none)."""
        if self.failed:
            return []
        return changes(self.dataset, self.x[0].numpy(), self.recourse.numpy())


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def start_live_run(config: SessionConfig, dataset: Dataset, model: Classifier, generator,
                   x: torch.Tensor, preferences: Preferences,
                   test_row: int | None = None) -> LiveRun:
    """One person's session, the same for the page and ``hare recourse``: the base recourse
    from ``generator`` (fitted to the person's space), then the people's session over it."""
    r0 = generator.generate(x, user_keys(config.seed, torch.arange(1)))
    return LiveRun(config, dataset, model, x, r0, generator.space, preferences,
                   "test_row" if test_row is not None else "entered", test_row)
