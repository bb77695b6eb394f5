"""Recourses as a person reads them: only the changed features, in original units.

"hours-per-week 40 → 46", "capital-gain $0 → $5,200", "workclass Private → Non-Private".
The engine works in encoded [0, 1] units; everything here decodes first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hare.data import Dataset

# Columns holding amounts of money, shown with a dollar sign.
MONEY_COLUMNS = frozenset({"capital-gain", "capital-loss", "MonthlyIncome"})


def format_value(dataset: Dataset, column: str, value) -> str:
    """One value in original units, with the encoder's rounding and a $ for money columns."""
    text = dataset.encoder.format_value(column, value)
    if column in MONEY_COLUMNS:
        return f"-${text[1:]}" if text.startswith("-") else f"${text}"
    return text


@dataclass(frozen=True)
class Change:
    """One feature that a recourse changes."""

    feature: str
    before: str  # original units, formatted
    after: str
    delta: float  # signed change in encoded units = share of the feature's range (for charts)

    @property
    def text(self) -> str:
        return f"{self.feature} {self.before} → {self.after}"


def decode_row(dataset: Dataset, encoded) -> dict[str, object]:
    """(d,) encoded row -> {feature: value in original units}."""
    return dataset.encoder.decode(np.asarray(encoded, dtype=float)[None, :]).iloc[0].to_dict()


def changes(dataset: Dataset, x, r) -> list[Change]:
    """The features a recourse ``r`` changes relative to the profile ``x`` (both (d,) encoded).

    A change too small to show in original units (it formats to the same text) is left out:
    a person cannot act on "hours-per-week 40 → 40".
    """
    x = np.asarray(x, dtype=float)
    r = np.asarray(r, dtype=float)
    before, after = decode_row(dataset, x), decode_row(dataset, r)
    out = []
    for j, column in enumerate(dataset.feature_names):
        b, a = format_value(dataset, column, before[column]), format_value(dataset, column, after[column])
        if b != a:
            out.append(Change(column, b, a, float(r[j] - x[j])))
    return out


def changes_frame(options: dict[str, list[Change]]) -> pd.DataFrame:
    """Long table for a chart: one row per (option, changed feature)."""
    rows = [
        {"option": name, "feature": c.feature, "change (% of range)": round(100 * c.delta, 1),
         "from": c.before, "to": c.after}
        for name, items in options.items() for c in items
    ]
    return pd.DataFrame(rows, columns=["option", "feature", "change (% of range)", "from", "to"])


def profile_table(dataset: Dataset, x, r) -> pd.DataFrame:
    """Before → after for every feature, changed ones first (the recourse card)."""
    before, after = decode_row(dataset, x), decode_row(dataset, r)
    rows = []
    for column in dataset.feature_names:
        b, a = format_value(dataset, column, before[column]), format_value(dataset, column, after[column])
        rows.append({"feature": column, "before": b, "after": a, "changed": b != a})
    frame = pd.DataFrame(rows)
    return frame.sort_values("changed", ascending=False, kind="stable").reset_index(drop=True)
