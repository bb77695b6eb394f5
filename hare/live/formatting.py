"""Recourses as a person reads them: only the changed features, in original units.

"hours-per-week 40 → 46", "capital-gain $0 → $5,200", "workclass Private → Non-Private".
The engine works in encoded [0, 1] units; everything here decodes first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hare.data import Dataset
from hare.generators import REGISTRY

def format_value(dataset: Dataset, column: str, value) -> str:
    """One value in original units, with the encoder's rounding and a $ for money columns
    (the spec says which)."""
    text = dataset.encoder.format_value(column, value)
    if dataset.spec.fact(column).money:
        return f"-${text[1:]}" if text.startswith("-") else f"${text}"
    return text


def label(dataset: Dataset, column: str) -> str:
    """The column as a person reads it: "Years of education", not ``education-num``."""
    return dataset.spec.fact(column).label


def shown_values(dataset: Dataset, encoded: np.ndarray) -> np.ndarray:
    """(N, d) encoded rows -> (N, d) values as shown (original units at display precision,
    categories by the index of their value), so rows that a person would read the same compare
    equal."""
    decoded = dataset.encoder.decode(np.atleast_2d(encoded))
    out = np.empty(decoded.shape, dtype=float)
    for j, column in enumerate(dataset.feature_names):
        if column in dataset.spec.categorical:
            out[:, j] = dataset.encoder.level(dataset.spec.categorical.index(column),
                                              np.atleast_2d(encoded)[:, j])
        else:
            values = decoded[column].to_numpy(dtype=float)
            # the value's displayed text decides: 3 significant digits below 1, else 2 decimals
            out[:, j] = [float(dataset.encoder.format_value(column, v).replace(",", "")) for v in values]
    return out


@dataclass(frozen=True)
class Change:
    """One feature that a recourse changes."""

    feature: str  # the readable label
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
            out.append(Change(label(dataset, column), b, a, float(r[j] - x[j])))
    return out


def profile_table(dataset: Dataset, x, r) -> pd.DataFrame:
    """Before → after for every feature, changed ones first (the recourse card)."""
    before, after = decode_row(dataset, x), decode_row(dataset, r)
    rows = []
    for column in dataset.feature_names:
        b, a = format_value(dataset, column, before[column]), format_value(dataset, column, after[column])
        rows.append({"feature": label(dataset, column), "before": b, "after": a, "changed": b != a})
    frame = pd.DataFrame(rows)
    return frame.sort_values("changed", ascending=False, kind="stable").reset_index(drop=True)


def generator_label(name: str) -> str:
    """A base generator as a visitor reads it: how the first option is found (its class's
    ``people_label``; an unknown name passes through)."""
    found = REGISTRY.get(name)
    return found.people_label if found else name


def generator_help(name: str) -> str:
    """One line on what the generator does (its class's ``people_help``; an unknown name passes
    through)."""
    found = REGISTRY.get(name)
    return found.people_help if found else name


def people_frame(dataset: Dataset, rows: list[int], limit: int = 6) -> pd.DataFrame:
    """The refused people as a picker reads them: number, then the main features a person
    would recognise (asked ones, readable names, formatted values)."""
    columns = [c for c in dataset.feature_names if dataset.spec.fact(c).ask][:limit]
    test = dataset.test.iloc[rows]
    frame = pd.DataFrame({"#": range(len(rows))})
    for column in columns:
        frame[label(dataset, column)] = [format_value(dataset, column, v) for v in test[column]]
    return frame
