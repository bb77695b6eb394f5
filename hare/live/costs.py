"""The people path's cost model in use: how far one person can go, what the search minimises,
and each change in words with its time and effort.

The facts are declared per feature in the dataset specs (``Feature.cost``); a person scales
them with a difficulty per feature (easy / normal / hard / impossible). The search weight of a
feature is its cost of one encoded unit, so the generators' L1 distance becomes "weeks of
effort, time counted too" instead of "share of the data's range". The paper's space carries no
weights and keeps its L1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
import torch

from hare.data import Dataset
from hare.data.specs import Cost

# How a person's difficulty scales a feature's effort ("impossible" holds it fixed).
DIFFICULTY = {"easy": 0.5, "normal": 1.0, "hard": 3.0, "impossible": math.inf}
# Weeks of effort that a month of waiting counts as in the search: waiting costs a person less
# than working, but a plan of years should lose to one of months at equal effort.
MONTH_WEIGHT = 0.25


def cost_of(dataset: Dataset, column: str) -> Cost | None:
    """The spec's cost of changing ``column`` for a person (None: not theirs to change)."""
    if column in dataset.spec.immutable:
        return None
    return dataset.spec.fact(column).cost


def data_range(dataset: Dataset, column: str) -> tuple[float, float]:
    """The data's (lowest, highest) of a continuous column in original units."""
    enc, cont = dataset.encoder, dataset.spec.continuous
    i = cont.index(column)
    return float(enc.minimum[i]), float(enc.maximum[i])


def limit_range(cost: Cost, value: float, low: float, high: float) -> tuple[float, float]:
    """The (lowest, highest) one person can reach from ``value`` under ``cost``'s limits,
    within [low, high] and always including ``value`` itself."""
    lo, hi = low, high
    if cost.most_up is not None:
        hi = min(hi, value + cost.most_up)
    if cost.most_down is not None:
        lo = max(lo, value - cost.most_down)
    if cost.times is not None:
        hi = min(hi, value * cost.times) if value > 0 else hi
    if cost.ceiling is not None:
        hi = min(hi, cost.ceiling)
    if cost.floor is not None:
        lo = max(lo, cost.floor)
    return min(lo, value), max(hi, value)


def unit_weight(cost: Cost, difficulty: str = "normal", count: bool = False) -> float:
    """Search cost of one unit of change in original units: effort plus waiting. For a count
    (late payments, hours) each unit waits out the lead time on its own clock; for an amount
    (dollars) the lead time is paid once, so it does not weigh per unit."""
    months = cost.months + (cost.lead_months if count else 0.0)
    return (cost.effort + MONTH_WEIGHT * months) * DIFFICULTY[difficulty]


def search_weights(dataset: Dataset, difficulty: Mapping[str, str]) -> torch.Tensor:
    """(d,) the cost of one encoded unit per feature, scaled so the median over the costed
    features is 1 (the generators' step sizes were chosen for unit weights). Features without
    a cost (frozen for people) weigh the median: they never move, so it only keeps L1 sane."""
    raw = []
    for column in dataset.feature_names:
        cost = cost_of(dataset, column)
        level = difficulty.get(column, "normal")
        if cost is None or level == "impossible":
            raw.append(math.nan)
            continue
        continuous = column in dataset.spec.continuous
        span = (data_range(dataset, column)[1] - data_range(dataset, column)[0]
                if continuous else 1.0) or 1.0
        count = continuous and bool(
            dataset.encoder.integer[dataset.spec.continuous.index(column)]) and not \
            dataset.spec.fact(column).money
        raw.append(unit_weight(cost, level, count) * span)
    weights = torch.tensor(raw, dtype=torch.float64)
    known = weights[~torch.isnan(weights)]
    middle = float(known.median()) if known.numel() else 1.0
    return torch.nan_to_num(weights / middle, nan=1.0)


@dataclass(frozen=True)
class ChangeCost:
    """One change as a person reads it: the numbers, the words, and what it takes."""

    column: str
    label: str
    unit: str
    before: object  # original units (a category by name)
    after: object
    months: float
    effort_weeks: float
    money: bool
    words: str  # "work 5 more hours a week"
    reason: str
    source: str

    @property
    def time(self) -> str:
        return duration(self.months)

    @property
    def effort(self) -> str:
        return effort_words(self.effort_weeks)


def duration(months: float) -> str:
    """"about 6 months", "about 2 years", "a few weeks"."""
    if months < 1:
        return "a few weeks"
    if months < 18:
        return f"about {round(months)} month{'s' if round(months) != 1 else ''}"
    return f"about {round(months / 12)} years"


def effort_words(weeks: float) -> str:
    """Effort in weeks of steady work, as a person reads it."""
    if weeks < 2:
        return "little effort"
    if weeks < 8:
        return f"some effort (about {round(weeks)} weeks of steady work)"
    if weeks < 30:
        return f"hard (about {round(weeks)} weeks of steady work)"
    return f"very hard (about {round(weeks / 4.3)} months of steady work)"


def change_cost(dataset: Dataset, column: str, before, after, shown_before: str,
                shown_after: str, shown_delta: str, difficulty: str = "normal") -> ChangeCost:
    """The cost of moving ``column`` from ``before`` to ``after`` (original units); the shown_*
    texts are the values as the page formats them."""
    fact = dataset.spec.fact(column)
    cost = fact.cost
    unit = fact.unit or ("$" if fact.money else "")
    if column in dataset.spec.categorical:
        size = 1.0
        up = True
    else:
        size = abs(float(after) - float(before))
        up = float(after) > float(before)
    if cost is None:  # a change the person's rules allowed without a declared cost
        return ChangeCost(column, fact.label, unit, before, after, 0.0, 0.0, False,
                          f"change {fact.label.lower()} from {shown_before} to {shown_after}",
                          "", "")
    scale = DIFFICULTY.get(difficulty, 1.0)
    template = (cost.up if up else cost.down) or (
        f"change {fact.label.lower()} from {{before}} to {{after}}")
    words = template.format(delta=shown_delta, before=shown_before, after=shown_after)
    return ChangeCost(column, fact.label, unit, before, after,
                      cost.lead_months + cost.months * size,
                      cost.effort * size * (scale if math.isfinite(scale) else 1.0),
                      cost.money, words, cost.reason, cost.source)


def plan_sentence(items: list[ChangeCost]) -> str:
    """The plan as one plain sentence: "Work 5 more hours a week and pay your card balances
    down to 30 % of their limits: about 6 months" (changes run side by side, so the time is the
    longest one's)."""
    if not items:
        return "No change needed."
    words = [c.words for c in items]
    text = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    months = max(c.months for c in items)
    money = " (needs money)" if any(c.money for c in items) else ""
    return f"{text[0].upper()}{text[1:]}: {duration(months)}{money}."


def plan_months(items: list[ChangeCost]) -> float:
    return max((c.months for c in items), default=0.0)


def plan_effort(items: list[ChangeCost]) -> float:
    return float(np.sum([c.effort_weeks for c in items])) if items else 0.0


# A change that takes weeks, not months, still gets a bar a person can see.
SHORTEST_BAR_MONTHS = 0.5


def costs_frame(options: Mapping[str, list[ChangeCost]]) -> pd.DataFrame:
    """Long table for a chart: one row per (option, changed feature), measured in what the
    person pays (months it takes, weeks of effort), so a bar compares across features; a
    share of the data's range made $14,000 of capital gains look like +9 hours of work."""
    rows = [{"option": name, "feature": c.label, "change": c.words, "time": c.time,
             "effort": c.effort, "months": max(c.months, SHORTEST_BAR_MONTHS),
             "from": str(c.before), "to": str(c.after)}
            for name, items in options.items() for c in items]
    return pd.DataFrame(rows, columns=["option", "feature", "change", "time", "effort", "months",
                                       "from", "to"])

