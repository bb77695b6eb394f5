"""Map raw rows (original units, category names) to the encoded [0, 1] space and back.

Continuous columns are min-max scaled with the minimum and maximum of the whole dataset
(train + test, SPEC §1); each categorical becomes one column holding its value's place among
its sorted values, i / (k - 1) for k values: a binary one is 0/1, 1 meaning the second value.
One column per categorical means a point can never hold two of its values at once.
``decode(encode(df))`` gives back the original values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hare.data.specs import DatasetSpec
from hare.errors import InputError


@dataclass(frozen=True)
class Encoder:
    """Fitted scaling and category names of one dataset."""

    spec: DatasetSpec
    minimum: tuple[float, ...]  # per continuous column, original units
    maximum: tuple[float, ...]
    integer: tuple[bool, ...]  # continuous columns holding whole numbers only (shown rounded)
    # per categorical column: its values in encoded order (0, then 1 for a binary one)
    categories: tuple[tuple[str, ...], ...]

    @classmethod
    def fit(cls, spec: DatasetSpec, frame: pd.DataFrame, multi: bool = False,
            integer: tuple[bool, ...] | None = None) -> "Encoder":
        """Fit on the whole dataset (train + test). ``multi``: categoricals may have more than
        two values (a person's own data); ``integer``: which continuous columns hold whole
        numbers, where a spec declares it (else read from the data)."""
        cont = frame[list(spec.continuous)].astype(float)
        cats = []
        for column in spec.categorical:
            values = (_sorted_values(frame[column]) if multi
                      else sorted(frame[column].astype(str).unique()))
            if len(values) != 2 and not multi:
                raise ValueError(f"{spec.name}: column {column!r} has {len(values)} values, expected 2")
            cats.append(tuple(values))
        whole = tuple(bool(np.all(np.mod(cont[c].to_numpy(), 1) == 0)) for c in spec.continuous)
        return cls(
            spec=spec,
            minimum=tuple(float(v) for v in cont.min()),
            maximum=tuple(float(v) for v in cont.max()),
            integer=integer if integer is not None else whole,
            categories=tuple(cats),
        )

    @property
    def steps(self) -> tuple[int, ...]:
        """Per categorical column, the encoded steps between its values (1 for a binary one)."""
        return tuple(max(len(values) - 1, 1) for values in self.categories)

    def level(self, j: int, encoded: np.ndarray) -> np.ndarray:
        """Index of the value that encoded values of categorical column ``j`` stand for (the
        nearest; halfway goes up, so a binary column reads 1 from 0.5)."""
        steps = self.steps[j]
        index = np.floor(np.asarray(encoded, dtype=float) * steps + 0.5).astype(int)
        return np.clip(index, 0, len(self.categories[j]) - 1)

    @property
    def n_features(self) -> int:
        return len(self.spec.continuous) + len(self.spec.categorical)

    def _span(self) -> np.ndarray:
        span = np.asarray(self.maximum) - np.asarray(self.minimum)
        return np.where(span > 0, span, 1.0)

    def validate(self, frame: pd.DataFrame) -> None:
        """Raise InputError naming every bad field: missing column, unknown category, value out of range."""
        problems = []
        for column in self.spec.features:
            if column not in frame.columns:
                problems.append(f"missing column {column!r}")
        for i, column in enumerate(self.spec.continuous):
            if column not in frame.columns:
                continue
            values = pd.to_numeric(frame[column], errors="coerce")
            lo, hi = self.minimum[i], self.maximum[i]
            if values.isna().any():
                problems.append(f"{column} must be a number")
            elif ((values < lo) | (values > hi)).any():
                problems.append(f"{column} must be between {_fmt(lo)} and {_fmt(hi)}")
        for column, allowed in zip(self.spec.categorical, self.categories):
            if column in frame.columns:
                bad = sorted(set(frame[column].astype(str)) - set(allowed))
                if bad:
                    problems.append(f"{column} must be one of {', '.join(allowed)} (got {', '.join(bad)})")
        if problems:
            raise InputError("; ".join(problems))

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Raw rows -> (N, d) float64 array in the encoded space."""
        self.validate(frame)
        cont = (frame[list(self.spec.continuous)].astype(float).to_numpy() - np.asarray(self.minimum))
        cont = cont / self._span()
        cats = [
            (frame[column].astype(str).to_numpy() == allowed[1]).astype(float)
            if len(allowed) == 2 else
            pd.Index(allowed).get_indexer(frame[column].astype(str)).astype(float) / steps
            for column, allowed, steps in zip(self.spec.categorical, self.categories, self.steps)
        ]
        parts = [cont] + [c[:, None] for c in cats]
        return np.concatenate(parts, axis=1).astype(np.float64)

    def decode(self, encoded: np.ndarray) -> pd.DataFrame:
        """(N, d) encoded rows -> raw rows in original units (floats) and category names."""
        encoded = np.asarray(encoded, dtype=float)
        if encoded.ndim == 1:
            encoded = encoded[None, :]
        n_cont = len(self.spec.continuous)
        cont = encoded[:, :n_cont] * self._span() + np.asarray(self.minimum)
        out = pd.DataFrame(cont, columns=list(self.spec.continuous))
        for j, (column, allowed) in enumerate(zip(self.spec.categorical, self.categories)):
            if len(allowed) == 2:
                out[column] = np.where(encoded[:, n_cont + j] >= 0.5, allowed[1], allowed[0])
            else:
                out[column] = np.asarray(allowed, dtype=object)[self.level(j, encoded[:, n_cont + j])]
        return out[list(self.spec.features)]

    def snap_whole(self, x: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Recourses ``r`` (N, d) for factuals ``x`` (N, d), both encoded, with every column that
        holds whole numbers (years of education, number of loans) moved to a whole number, away
        from the factual: up if the recourse raised it, down if it lowered it, so the change a
        person makes is at least the one the engine found. Other columns are returned as is."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        r = np.atleast_2d(np.asarray(r, dtype=float)).copy()
        span, low = self._span(), np.asarray(self.minimum)
        for j, whole in enumerate(self.integer):
            if not whole:
                continue
            before = x[:, j] * span[j] + low[j]
            after = r[:, j] * span[j] + low[j]
            near = np.round(after)
            # float noise around a whole number (5.0000001) is that number, not the next one
            snapped = np.where(np.abs(after - near) < 1e-6, near,
                               np.where(after > before, np.ceil(after), np.floor(after)))
            snapped = np.clip(snapped, self.minimum[j], self.maximum[j])
            r[:, j] = (snapped - low[j]) / span[j]
        return r

    def format_value(self, column: str, value) -> str:
        """A value as a person reads it: whole numbers without decimals, thousands separated."""
        if column in self.spec.categorical:
            return str(value)
        i = self.spec.continuous.index(column)
        return _fmt(float(value), whole=self.integer[i])


def _sorted_values(column: pd.Series) -> list[str]:
    """A column's distinct values as text, in order: numerically where every value is a
    number (integer codes 2 < 10), else as text."""
    values = column.dropna().unique()
    numbers = pd.to_numeric(pd.Series(values), errors="coerce")
    if len(values) and not numbers.isna().any() and not pd.api.types.is_bool_dtype(column):
        order = np.argsort(numbers.to_numpy(), kind="stable")
        return [str(values[i]) for i in order]
    return sorted(str(v) for v in values)


def _fmt(value: float, whole: bool | None = None) -> str:
    if whole or (whole is None and float(value).is_integer()):
        return f"{round(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"
