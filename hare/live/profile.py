"""A person's profile and preferences, checked field by field where they enter the app.

Profiles are entered in original units (numbers in their real ranges, categories by name);
preferences say what the person will not change, and optional ranges and "only up / only down"
per feature. Both come back with one message per bad field, so the page can show each message
beside its widget, and turn into encoded tensors / an ActionSpace only once they are valid.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import torch

from hare.actions import ActionSpace
from hare.live.costs import DIFFICULTY, data_range, limit_range, search_weights
from hare.live.formatting import format_value
from hare.data import Dataset
from hare.errors import InputError
from hare.models import negative_factuals

DIRECTIONS = {"either way": 0, "only up": 1, "only down": -1}
# The spec's rules for people that hold a feature fixed by default (hare.data.specs).
HELD = ("history", "locked", "label")
# At most this many features changed, unless the person raises it: two or three changes are a
# plan a person can follow; seven are not.
PEOPLE_MAX_CHANGES = 3


@dataclass(frozen=True)
class FieldSpec:
    """How one feature is entered: a number in [minimum, maximum] or one of two categories."""

    name: str
    numeric: bool
    immutable: bool
    minimum: float = 0.0
    maximum: float = 0.0
    whole: bool = False
    options: tuple[str, ...] = ()

    def range_text(self, dataset: Dataset) -> str:
        return (f"{format_value(dataset, self.name, self.minimum)} to "
                f"{format_value(dataset, self.name, self.maximum)}")


def field_specs(dataset: Dataset) -> list[FieldSpec]:
    """One FieldSpec per feature, in the dataset's feature order."""
    enc, spec = dataset.encoder, dataset.spec
    out = []
    for column in spec.features:
        immutable = column in spec.immutable
        if column in spec.continuous:
            i = spec.continuous.index(column)
            out.append(FieldSpec(column, True, immutable, enc.minimum[i], enc.maximum[i], enc.integer[i]))
        else:
            options = enc.categories[spec.categorical.index(column)]
            out.append(FieldSpec(column, False, immutable, options=tuple(options)))
    return out


@dataclass(frozen=True)
class ProfileCheck:
    """Parsed profile values and the message for each bad field (empty when valid)."""

    values: dict[str, object]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


# A typed number: digits with an optional sign, decimals and exponent, or a whole part grouped
# in thousands ("5,200", "$52,000.50"); anything else ("5,2,0,0") is not read as a number.
_GROUPED = re.compile(r"^[+-]?\$?(\d{1,3}(,\d{3})+|\d+)(\.\d*)?$")


def _number(value) -> float | None:
    """``value`` as a finite number, strictly: None for text that is not one number, for a
    boolean (JSON ``true`` is not 1) and for NaN or infinity."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, str):
        text = value.strip()
        if "," in text or "$" in text:
            if not _GROUPED.match(text):
                return None
            text = text.replace(",", "").replace("$", "")
        value = text
    elif not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def check_profile(dataset: Dataset, raw: Mapping[str, object]) -> ProfileCheck:
    """Check every field of a profile in original units; messages name the allowed values."""
    values, errors = {}, {}
    for spec in field_specs(dataset):
        value = raw.get(spec.name)
        if spec.numeric:
            number = _number(value)
            if number is None:
                errors[spec.name] = f"enter a number from {spec.range_text(dataset)}"
            elif not spec.minimum <= number <= spec.maximum:
                errors[spec.name] = (f"{format_value(dataset, spec.name, number)} is outside this "
                                     f"dataset's range: enter {spec.range_text(dataset)}")
            elif spec.whole and not float(number).is_integer():
                errors[spec.name] = f"enter a whole number from {spec.range_text(dataset)}"
            else:
                values[spec.name] = number
        else:
            if value is None or str(value) not in spec.options:
                errors[spec.name] = f"choose one of {', '.join(spec.options)}"
            else:
                values[spec.name] = str(value)
    if not errors:
        # The encoder's own check is the last word on what the engine accepts.
        try:
            dataset.encoder.validate(pd.DataFrame([values]))
        except InputError as exc:
            errors["_form"] = str(exc)
    return ProfileCheck(values, errors)


def profile_from_row(dataset: Dataset, row: int) -> dict[str, object]:
    """A test-set row as entry values (numbers as floats, categories by name)."""
    record = dataset.test.iloc[row]
    return {s.name: (float(record[s.name]) if s.numeric else str(record[s.name]))
            for s in field_specs(dataset)}


def profile_from_file(dataset: Dataset, path: str | Path) -> dict[str, object]:
    """A profile from a JSON file {column: value in original units}, checked as the page checks
    a typed one: an object of the dataset's columns with every asked field present (fields a
    person cannot know, e.g. a census weight, are filled from the data). InputError otherwise,
    naming the file and what is wrong."""
    path = Path(path)
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the profile {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text (byte {exc.start}): a profile is a JSON "
                         "object") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise InputError(f"{path} is nested too deeply: a profile is a flat JSON object "
                         "{column: value}") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path} holds a JSON {_json_kind(raw)}: a profile is a JSON object "
                         "{column: value in original units}")
    unknown = sorted(set(raw) - set(dataset.feature_names))
    if unknown:
        raise InputError(f"{path}: not columns of {dataset.name}: {', '.join(unknown)}")
    asked = [c for c in dataset.feature_names if dataset.spec.fact(c).ask]
    missing = [c for c in asked if c not in raw]
    if missing:
        raise InputError(f"{path}: every asked field must be given; missing: {', '.join(missing)}")
    check = check_profile(dataset, typical_profile(dataset) | raw)
    if not check.ok:
        raise InputError(f"{path}: " + "; ".join(f"{k}: {v}" for k, v in check.errors.items()))
    return check.values


def _json_kind(value) -> str:
    return {list: "list", str: "string", bool: "boolean", int: "number", float: "number",
            type(None): "null"}.get(type(value), type(value).__name__)


def refused_people(dataset: Dataset, model, n: int = 300) -> list[int]:
    """Test rows the classifier refuses, in test-set order: the page's picker and
    ``hare recourse --row N`` both count people in this list."""
    return [int(i) for i in negative_factuals(model, dataset, n)]


def typical_profile(dataset: Dataset) -> dict[str, object]:
    """A starting point for a new profile: medians and the most common categories."""
    test = dataset.test
    return {s.name: (float(np.round(test[s.name].median(), 0 if s.whole else 2)) if s.numeric
                     else str(test[s.name].astype(str).mode().iloc[0]))
            for s in field_specs(dataset)}


def encode_profile(dataset: Dataset, values: Mapping[str, object]) -> torch.Tensor:
    """A checked profile -> (1, d) float64 tensor in the encoded space."""
    return torch.from_numpy(dataset.encoder.encode(pd.DataFrame([dict(values)])))


@dataclass(frozen=True)
class Preferences:
    """What the person will not change, and per-feature ranges / directions (original units).

    Hashable (sorted tuples), so it can key a cache of fitted generators.
    """

    frozen: tuple[str, ...] = ()
    ranges: tuple[tuple[str, float, float], ...] = ()  # (feature, lowest, highest)
    directions: tuple[tuple[str, int], ...] = ()  # (feature, +1 only up / -1 only down)
    notes: tuple[str, ...] = field(default=(), compare=False)
    max_changes: int | None = None  # at most this many features changed
    # (feature, "easy" / "hard"): how hard a change is for this person, scaling the spec's
    # effort (hare.live.costs.DIFFICULTY); "impossible" features are in ``frozen``
    difficulty: tuple[tuple[str, str], ...] = ()

    @classmethod
    def for_people(cls, dataset: Dataset, profile: Mapping[str, object] | None = None,
                   max_changes: int | None = PEOPLE_MAX_CHANGES) -> "Preferences":
        """The spec's default rules for people: history, locked features and the outcome label
        held fixed, one-way features, realistic ranges and the cost model's limits for one
        person (widened to include the profile's own values), at most ``max_changes``
        features changed."""
        facts = [dataset.spec.fact(c) for c in dataset.feature_names
                 if c not in dataset.spec.immutable]
        frozen = tuple(sorted(f.column for f in facts if f.people in HELD))
        directions = tuple(sorted((f.column, 1 if f.people == "up" else -1) for f in facts
                                  if f.people in ("up", "down")))
        ranges = []
        for f in facts:
            if f.column in frozen or f.column not in dataset.spec.continuous:
                continue
            lo, hi = f.span if f.span is not None else data_range(dataset, f.column)
            if profile is not None and profile.get(f.column) is not None:
                value = float(profile[f.column])
                lo, hi = min(lo, value), max(hi, value)
                if f.cost is not None:
                    lo, hi = limit_range(f.cost, value, lo, hi)
            if (lo, hi) != data_range(dataset, f.column):
                ranges.append((f.column, lo, hi))
        return cls(frozen, tuple(sorted(ranges)), directions, max_changes=max_changes)

    def action_space(self, dataset: Dataset) -> ActionSpace:
        """The dataset's space narrowed by these preferences, in encoded units."""
        base = ActionSpace.for_dataset(dataset)
        names = list(dataset.feature_names)
        d = len(names)
        frozen = torch.zeros(d, dtype=torch.bool)
        for name in self.frozen:
            frozen[names.index(name)] = True
        lower = torch.zeros(d, dtype=torch.float64)
        upper = torch.ones(d, dtype=torch.float64)
        enc, cont = dataset.encoder, dataset.spec.continuous
        for name, lo, hi in self.ranges:
            i = cont.index(name)
            span = (enc.maximum[i] - enc.minimum[i]) or 1.0
            lower[names.index(name)] = (lo - enc.minimum[i]) / span
            upper[names.index(name)] = (hi - enc.minimum[i]) / span
        direction = torch.zeros(d, dtype=torch.int8)
        for name, sign in self.directions:
            direction[names.index(name)] = sign
        return base.restrict(frozen=frozen, lower=lower, upper=upper, direction=direction,
                             max_changes=self.max_changes,
                             cost=search_weights(dataset, dict(self.difficulty)))


@dataclass(frozen=True)
class PreferenceCheck:
    preferences: Preferences
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_preferences(dataset: Dataset, profile: Mapping[str, object], frozen: list[str],
                      ranges: Mapping[str, tuple[object, object]],
                      directions: Mapping[str, str], max_changes: object = None,
                      difficulty: Mapping[str, str] | None = None) -> PreferenceCheck:
    """Check the person's constraints. ``ranges``: feature -> (lowest, highest) as entered;
    ``directions``: feature -> a key of DIRECTIONS; ``max_changes``: at most this many features
    changed (None or blank: no limit); ``difficulty``: feature -> a key of DIFFICULTY
    ("impossible" holds it fixed). The outcome label is held fixed whatever is asked. Errors
    are keyed by feature ("_max_changes")."""
    specs = {s.name: s for s in field_specs(dataset)}
    errors: dict[str, str] = {}
    limit = None
    if max_changes not in (None, ""):
        number = _number(max_changes)
        movable = sum(not s.immutable for s in specs.values())
        if number is None or not float(number).is_integer() or not 1 <= number <= movable:
            errors["_max_changes"] = f"enter a whole number from 1 to {movable}, or leave it blank"
        else:
            limit = int(number)
    levels = []
    for name, level in (difficulty or {}).items():
        if name not in specs:
            errors[name] = "not a feature of this dataset"
        elif level not in DIFFICULTY:
            errors[name] = f"choose one of {', '.join(DIFFICULTY)}"
        elif level == "impossible":
            frozen = [*frozen, name]
        elif level != "normal":
            levels.append((name, level))
    labels = [c for c in specs if dataset.spec.fact(c).people == "label"]
    frozen = sorted(set(frozen) | set(labels))
    for name in frozen:
        if name not in specs:
            errors[name] = "not a feature of this dataset"
    kept_ranges, kept_directions = [], []
    for name, (lo_raw, hi_raw) in ranges.items():
        spec = specs.get(name)
        if spec is None or not spec.numeric or name in frozen or spec.immutable:
            continue
        lo, hi = _number(lo_raw), _number(hi_raw)
        if lo is None or hi is None:
            errors[name] = f"enter both a lowest and a highest value ({spec.range_text(dataset)})"
        elif lo > hi:
            errors[name] = (f"the lowest value {format_value(dataset, name, lo)} is above the highest "
                            f"{format_value(dataset, name, hi)}")
        elif lo < spec.minimum or hi > spec.maximum:
            errors[name] = f"the range must lie within {spec.range_text(dataset)}"
        elif (lo, hi) != (spec.minimum, spec.maximum):
            kept_ranges.append((name, lo, hi))
    for name, label in directions.items():
        spec = specs.get(name)
        if spec is None or name in frozen or spec.immutable or label not in DIRECTIONS:
            continue
        sign = DIRECTIONS[label]
        if sign == 0:
            continue
        current = profile.get(name)
        bounds = dict((n, (lo, hi)) for n, lo, hi in kept_ranges).get(name)
        if bounds is not None and current is not None and name not in errors:
            lo, hi = bounds
            if sign > 0 and hi < float(current):
                errors[name] = (f"only up needs a highest value at or above your current "
                                f"{format_value(dataset, name, current)}")
            elif sign < 0 and lo > float(current):
                errors[name] = (f"only down needs a lowest value at or below your current "
                                f"{format_value(dataset, name, current)}")
        kept_directions.append((name, sign))
    prefs = Preferences(tuple(sorted(frozen)), tuple(sorted(kept_ranges)),
                        tuple(sorted(kept_directions)), max_changes=limit,
                        difficulty=tuple(sorted((n, v) for n, v in levels if n not in frozen)))
    return PreferenceCheck(prefs, errors)
