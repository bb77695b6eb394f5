"""Declared settings: a frozen dataclass whose every field carries an :class:`Axis` (its label,
help, choices or bounds, and what it changes), and what the faces derive from it.

A run of the benchmark (``hare.bench.config.RunConfig``) and a person's live session
(``hare.live.setup.SessionConfig``) are declared this way. From the one declaration come the
command line's options, the app's form, typed parsing of what people type, the store's columns
and the runner's cache keys, so a new field is one line in its dataclass.
"""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import MISSING, Field, dataclass, field, fields
from functools import lru_cache
from typing import Callable

from hare.errors import ConfigError

# What a benchmark run computes, stage by stage; a field names the stages whose result it
# changes, and each stage's cache key is the fields that name it (``Schema.stage_key``).
STAGES = ("classifier", "users", "base", "truth", "session")


@dataclass(frozen=True)
class Axis:
    """What the faces need to know about one field.

    ``choices`` (names) or ``minimum``/``maximum`` (numbers) say what is valid; an ``optional``
    field may be None (not applicable, e.g. the base variant has no budget); ``flag`` is the
    command-line option when it is not ``--<name>``. ``sweep`` is what a grid runs when the
    option is not given, ``start`` what the app's form starts from when it is not the default
    (e.g. 20 users rather than the paper's 150). ``stages`` are the engine results the field
    changes (``STAGES``); ``view`` maps a value to what a stage depends on (``view(value,
    stage)``), when that is less than the value itself.
    """

    label: str
    help: str
    choices: Callable[[], tuple[str, ...]] | None = None
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False
    flag: str | None = None
    sweep: tuple | None = None
    start: tuple | None = None
    stages: tuple[str, ...] = ()
    view: Callable[[object, str], object] | None = None
    unit: str = ""  # shown after a number in forms, e.g. "%"

    def __post_init__(self):
        unknown = set(self.stages) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stages {sorted(unknown)} (valid: {', '.join(STAGES)})")


def setting(default, **axis) -> Field:
    """A dataclass field with its default and its :class:`Axis` (keyword arguments)."""
    return field(default=default, metadata={"axis": Axis(**axis)})


def _field_type(f) -> type:
    text = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    found = [t for t in (int, float, str, bool) if re.search(rf"\b{t.__name__}\b", text)]
    if len(found) != 1:
        raise TypeError(f"field {f.name} must be one of int, float, str or bool, optionally "
                        f"with None (got {f.type})")
    return found[0]


@dataclass(frozen=True, eq=False)
class Schema:
    """The declared fields of one settings dataclass, with what the faces need of them."""

    cls: type
    names: tuple[str, ...]
    axes: dict[str, Axis]
    types: dict[str, type]
    defaults: dict[str, object]

    @staticmethod
    @lru_cache(maxsize=None)
    def of(cls: type) -> "Schema":
        declared = [f for f in fields(cls) if "axis" in f.metadata]
        return Schema(cls, tuple(f.name for f in declared),
                      {f.name: f.metadata["axis"] for f in declared},
                      {f.name: _field_type(f) for f in declared},
                      {f.name: (None if f.default is MISSING else f.default) for f in declared})

    # -- values --------------------------------------------------------------------------------
    def check_value(self, name: str, value) -> None:
        """ConfigError unless ``value`` is valid for the field ``name`` (type, choices, bounds)."""
        axis, kind = self.axes[name], self.types[name]
        if value is None:
            if not axis.optional:
                raise ConfigError(f"{name} needs a value")
            return
        if kind is str:
            valid = axis.choices()
            if value not in valid:
                raise ConfigError(f"unknown {name} {value!r} (valid: {', '.join(valid)})")
            return
        if kind is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{name} must be true or false (got {value!r})")
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name} must be a number (got {value!r})")
        if kind is int and not float(value).is_integer():
            raise ConfigError(f"{name} must be a whole number (got {value!r})")
        if not math.isfinite(value) or not axis.minimum <= value <= axis.maximum:
            raise ConfigError(f"{name} must be from {self.number(name, axis.minimum)} to "
                              f"{self.number(name, axis.maximum)} (got {value!r})")

    def typed(self, name: str, value):
        """``value`` in the field's own type (a JSON 0 and a typed 0.0 are one value)."""
        kind = self.types[name]
        if value is None or kind in (str, bool) or type(value) is kind:
            return value
        return kind(value)

    def parse(self, name: str, text: str):
        """One typed value from text a person wrote (a form field, an option), checked; a
        ValueError whose message says what was wrong."""
        axis, kind = self.axes[name], self.types[name]
        text = str(text).strip()
        if axis.unit:
            text = text.removesuffix(axis.unit).strip()
        if axis.optional and text.lower() == "none":
            return None
        if kind is str:
            value = text
        elif kind is bool:
            if text.lower() not in ("true", "false", "yes", "no", "1", "0"):
                raise ValueError(f"{text!r} is not yes or no")
            value = text.lower() in ("true", "yes", "1")
        else:
            try:
                value = float(text) if kind is float else _whole(text)
            except ValueError:
                whole = "whole " if kind is int else ""
                raise ValueError(f"{text!r} is not a {whole}number") from None
        try:
            self.check_value(name, value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    def number(self, name: str, value: float) -> str:
        return f"{int(value):,}" if self.types[name] is int else f"{value:g}"

    def range_text(self, name: str) -> str:
        """"2–40" for a bounded number, for labels and help."""
        axis = self.axes[name]
        scale = 100 if axis.unit == "%" else 1
        return (f"{self.number(name, axis.minimum * scale)}–"
                f"{self.number(name, axis.maximum * scale)}{axis.unit}")

    # -- faces ---------------------------------------------------------------------------------
    def add_options(self, parser: argparse.ArgumentParser, grid: bool,
                    action: type[argparse.Action] | None = None) -> None:
        """One option per field: several values each (``grid``: a sweep runs every
        combination) or one value each (a person's session); ``action``: an argparse action
        that stores the values (e.g. one that also notes which options were given)."""
        for name in self.names:
            axis, kind = self.axes[name], self.types[name]
            default = self.grid_default(name) if grid else self.defaults[name]
            shown = (" ".join(_shown(v) for v in default) if grid else _shown(default))
            options = dict(default=default, help=f"{axis.help} (default: {shown})")
            if grid:
                options["nargs"] = "+"
            if action is not None:
                options["action"] = action
            if kind is str:
                options["choices"] = list(axis.choices())
            else:
                options["type"] = _argument_type(self, name)
                options["metavar"] = name.upper()
            parser.add_argument(axis.flag or "--" + name.replace("_", "-"), dest=name, **options)

    def grid_default(self, name: str) -> list:
        """What a grid runs of the field when it is not given: its sweep, else its default."""
        axis = self.axes[name]
        return list(axis.sweep or [self.defaults[name]])

    def form_start(self) -> dict[str, object]:
        """What a form shows before a person types: a tuple of choices per named field, text
        per number (``Axis.start``, else the grid's sweep, else the default)."""
        start = {}
        for name in self.names:
            axis = self.axes[name]
            values = axis.start or axis.sweep or (self.defaults[name],)
            if self.types[name] is str:
                start[name] = tuple(values)
            else:
                scale = 100 if axis.unit == "%" else 1
                start[name] = " ".join(_shown(v if v is None else v * scale) for v in values)
        return start

    def stage_key(self, config, stage: str) -> tuple:
        """What ``stage``'s result depends on: the values (or their ``view``) of the fields
        that name it, in declaration order."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r} (valid: {', '.join(STAGES)})")
        key = []
        for name in self.names:
            axis = self.axes[name]
            if stage in axis.stages:
                value = getattr(config, name)
                key.append(axis.view(value, stage) if axis.view else value)
        return tuple(key)


def _whole(text: str) -> int:
    value = float(text)
    if not value.is_integer():
        raise ValueError(text)
    return int(value)


def _shown(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _argument_type(schema: Schema, name: str):
    def parse(text: str):
        try:
            return schema.parse(name, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = name  # argparse names the type in its error message
    return parse
