"""Map raw rows (original units, category names) to the encoded [0, 1] space and back.

Continuous columns are min-max scaled with the minimum and maximum of the whole dataset
(train + test, SPEC §1); each binary categorical becomes one 0/1 column, 1 meaning the second of
its two values in sorted order. ``decode(encode(df))`` gives back the original values.
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
    categories: tuple[tuple[str, str], ...]  # per categorical column: (value for 0, value for 1)

    @classmethod
    def fit(cls, spec: DatasetSpec, frame: pd.DataFrame) -> "Encoder":
        """Fit on the whole dataset (train + test)."""
        cont = frame[list(spec.continuous)].astype(float)
        cats = []
        for column in spec.categorical:
            values = sorted(frame[column].astype(str).unique())
            if len(values) != 2:
                raise ValueError(f"{spec.name}: column {column!r} has {len(values)} values, expected 2")
            cats.append((values[0], values[1]))
        return cls(
            spec=spec,
            minimum=tuple(float(v) for v in cont.min()),
            maximum=tuple(float(v) for v in cont.max()),
            integer=tuple(bool(np.all(np.mod(cont[c].to_numpy(), 1) == 0)) for c in spec.continuous),
            categories=tuple(cats),
        )

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
            for column, allowed in zip(self.spec.categorical, self.categories)
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
            out[column] = np.where(encoded[:, n_cont + j] >= 0.5, allowed[1], allowed[0])
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


def _fmt(value: float, whole: bool | None = None) -> str:
    if whole or (whole is None and float(value).is_integer()):
        return f"{round(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"
