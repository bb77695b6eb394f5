"""A dataset spec written in TOML by a person for their own data: parsing it into the same
:class:`DatasetSpec` the paper's datasets use, and drafting one from a data file.

The full reference is docs/own-data.md. A spec names the outcome column and its desired value,
and declares every other column of the file as a feature: its kind (continuous, integer or
categorical), whether it can change, its direction for people, realistic limits and the words a
person reads.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from hare.data.specs import Cost, DatasetSpec, Feature, Outcome
from hare.errors import InputError

KINDS = ("continuous", "integer", "categorical")
DIRECTIONS = {"any": "free", "up": "up", "down": "down"}
TOP_KEYS = ("name", "outcome", "positive", "description", "yes", "no", "features")
FEATURE_KEYS = ("kind", "mutable", "direction", "label", "unit", "description", "money", "ask",
                "min", "max", "reason", "cost")
COST_KEYS = tuple(f.name for f in fields(Cost))
# Whole-number columns with at most this many values are drafted as categories (yes/no flags,
# codes); a person re-declares any other coded column as categorical.
DRAFT_CATEGORY_VALUES = 2


@dataclass(frozen=True)
class OwnSpec:
    """A person's spec: the engine's DatasetSpec plus what only their data needs (the desired
    value of the outcome, and each feature's declared kind)."""

    dataset: DatasetSpec  # named ``own`` until loaded with its data (hare.data.own)
    positive: str  # the outcome's desired value, as text
    kinds: tuple[tuple[str, str], ...]  # (column, kind) in the file's order

    def kind(self, column: str) -> str:
        return dict(self.kinds)[column]

    @property
    def declared(self) -> tuple[str, ...]:
        return tuple(column for column, _ in self.kinds)


def parse_spec(text: str, where: str = "spec") -> OwnSpec:
    """The spec in ``text`` (TOML), or an InputError naming the first problem in one line."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where} is not valid TOML ({exc})") from None
    _known(raw, TOP_KEYS, where)
    for key in ("outcome", "positive"):
        if key not in raw:
            raise InputError(f"{where} lacks '{key} = ...' (the outcome column and its desired value)")
    outcome = _text(raw["outcome"], f"{where}: outcome")
    positive = raw["positive"]
    if not isinstance(positive, (str, int, bool)) or isinstance(positive, float):
        raise InputError(f"{where}: positive must be a text or whole-number value of {outcome}")
    positive = str(positive).lower() if isinstance(positive, bool) else str(positive)
    table = raw.get("features")
    if not isinstance(table, dict) or not table:
        raise InputError(f"{where} declares no features: add a [features.COLUMN] table per column")
    if outcome in table:
        raise InputError(f"{where}: {outcome!r} is the outcome and cannot also be a feature")
    kinds, facts, immutable = [], [], []
    for column, entry in table.items():
        kind, fact, mutable = _feature(column, entry, f"{where}: [features.{column}]")
        kinds.append((column, kind))
        facts.append(fact)
        if not mutable:
            immutable.append(column)
    title = _text(raw.get("name", "My data"), f"{where}: name")
    yes = _text(raw.get("yes", f"{outcome}: {positive}"), f"{where}: yes")
    no = _text(raw.get("no", f"{outcome}: not {positive}"), f"{where}: no")
    spec = DatasetSpec(
        name="own", file_stem="", target=outcome,
        continuous=tuple(c for c, k in kinds if k != "categorical"),
        categorical=tuple(c for c, k in kinds if k == "categorical"),
        immutable=tuple(immutable),
        description=_text(raw.get("description", ""), f"{where}: description"),
        title=title, data_source=title,
        outcome=Outcome(yes, no, f"chance of {positive} {outcome}".replace("  ", " "),
                        f"The model predicts whether {outcome} is {positive}."),
        facts=tuple(facts))
    return OwnSpec(spec, positive, tuple(kinds))


def _known(raw: dict, keys: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r} (valid: {', '.join(keys)})")


def _text(value, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{where} must be text in quotes")
    return value


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where} must be a number")
    return float(value)


def _flag(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{where} must be true or false")
    return value


def _feature(column: str, entry, where: str) -> tuple[str, Feature, bool]:
    """(kind, reading facts and rule for people, mutable) of one [features.COLUMN] table."""
    if not isinstance(entry, dict):
        raise InputError(f"{where} must be a table (kind = ...)")
    _known(entry, FEATURE_KEYS, where)
    kind = entry.get("kind")
    if kind not in KINDS:
        raise InputError(f"{where}: kind must be one of {', '.join(KINDS)} (got {kind!r})")
    direction = entry.get("direction", "any")
    if direction not in DIRECTIONS:
        raise InputError(f"{where}: direction must be one of {', '.join(DIRECTIONS)} "
                         f"(got {direction!r})")
    if kind == "categorical" and direction != "any":
        raise InputError(f"{where}: a categorical feature has no direction (use any)")
    span = None
    if "min" in entry or "max" in entry:
        if kind == "categorical":
            raise InputError(f"{where}: min and max are for numbers, not categories")
        if "min" not in entry or "max" not in entry:
            raise InputError(f"{where}: give both min and max, or neither")
        span = (_number(entry["min"], f"{where}: min"), _number(entry["max"], f"{where}: max"))
        if span[0] > span[1]:
            raise InputError(f"{where}: min {span[0]:g} is above max {span[1]:g}")
    cost = None
    if "cost" in entry:
        if not isinstance(entry["cost"], dict):
            raise InputError(f"{where}: cost must be a table ([features.{column}.cost])")
        _known(entry["cost"], COST_KEYS, f"{where}.cost")
        if "effort" not in entry["cost"]:
            raise InputError(f"{where}.cost lacks effort (weeks of work per unit of change)")
        cost = Cost(**{key: (_flag(v, f"{where}.cost: {key}") if key == "money"
                             else _text(v, f"{where}.cost: {key}") if key in ("up", "down", "reason", "source")
                             else _number(v, f"{where}.cost: {key}"))
                       for key, v in entry["cost"].items()})
    mutable = _flag(entry.get("mutable", True), f"{where}: mutable")
    fact = Feature(
        column=column,
        label=_text(entry.get("label", column), f"{where}: label"),
        description=_text(entry.get("description", ""), f"{where}: description"),
        unit=_text(entry.get("unit", ""), f"{where}: unit"),
        money=_flag(entry.get("money", False), f"{where}: money"),
        ask=_flag(entry.get("ask", True), f"{where}: ask"),
        people=DIRECTIONS[direction],
        reason=_text(entry.get("reason", ""), f"{where}: reason"),
        span=span, cost=cost)
    return kind, fact, mutable


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


def _toml_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def draft_spec(frame: pd.DataFrame, outcome: str, positive: str, title: str) -> str:
    """A spec for ``frame`` to edit: each column's kind read from the data, its range, every
    feature changeable in either direction. The frame is checked first (hare.data.own)."""
    lines = [f"name = {json.dumps(title)}",
             f"outcome = {json.dumps(outcome)}  # the column the model predicts",
             f"positive = {json.dumps(str(positive))}  # the value a person wants", ""]
    for column in frame.columns:
        if column == outcome:
            continue
        values = frame[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        whole = numeric and bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
        distinct = values.nunique()
        lines.append(f"[features.{_key(column)}]")
        if not numeric or (whole and distinct <= DRAFT_CATEGORY_VALUES):
            shown = ", ".join(sorted(map(str, values.unique()))[:12])
            lines.append(f'kind = "categorical"  # {distinct} values: {shown}')
        else:
            kind = "integer" if whole else "continuous"
            note = ("  # whole numbers: say \"categorical\" if these are codes" if whole else "")
            lines.append(f'kind = "{kind}"{note}')
            lines.append(f"min = {_toml_number(values.min())}  # realistic limits for people")
            lines.append(f"max = {_toml_number(values.max())}")
        lines += ["mutable = true  # false: nobody can change it (age, origin)"]
        if numeric and not (whole and distinct <= DRAFT_CATEGORY_VALUES):
            lines.append('direction = "any"  # up | down | any')
        lines.append("")
    return "\n".join(lines)
