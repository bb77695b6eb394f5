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


class GivenAction(argparse.Action):
    """Stores an option's values and notes that the command line gave it (``given``), so a
    command can tell an option given from its default (a sweep file's value stands unless the
    command line names the option; ``--data`` refuses a ``--dataset`` given beside it)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.given = frozenset(getattr(namespace, "given", frozenset()) | {self.dest})


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

    ``unit`` is shown after a number. A ``"%"`` field holds a fraction (0.6) that people see
    and type as a percentage: "60" and "60%" are 0.6, and so is a bare "0.6", since a number
    without the sign that is at most 1 is read as the fraction itself. ``noun`` is what a number
    counts ("questions"), for messages to people.
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
    unit: str = ""
    noun: str = ""
    # a text field also takes any value matching this (a person's own dataset or model, named
    # by the hash of its content), so a stored run of one reads back in any process
    pattern: str = ""

    def __post_init__(self):
        unknown = set(self.stages) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stages {sorted(unknown)} (valid: {', '.join(STAGES)})")


class _OrFile(tuple):
    """Choices that also take a file name (anything with a dot or a slash): argparse still
    refuses a bare unknown name, listing the choices, and the file is checked where it is read."""

    def __contains__(self, value) -> bool:
        return super().__contains__(value) or (isinstance(value, str) and any(
            mark in value for mark in "./\\"))


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
            if axis.pattern and isinstance(value, str) and re.fullmatch(axis.pattern, value):
                return
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
            percent = axis.unit == "%" and math.isfinite(value)
            got = self.number(name, value) if percent else repr(value)
            raise ConfigError(f"{name} must be {self.bounds_text(name)} (got {got})")

    def settle(self, instance) -> None:
        """Check every declared field of a frozen ``instance`` (its constructor's values) and
        keep each in the field's own type: a JSON 0 and a typed 0.0 are then one value."""
        for name in self.names:
            value = getattr(instance, name)
            self.check_value(name, value)
            object.__setattr__(instance, name, self.typed(name, value))

    def typed(self, name: str, value):
        """``value`` in the field's own type (a JSON 0 and a typed 0.0 are one value)."""
        kind = self.types[name]
        if value is None or kind in (str, bool) or type(value) is kind:
            return value
        return kind(value)

    def read(self, name: str, text: str):
        """One typed value from text a person wrote (a form field, an option), not yet checked
        against the field's choices or bounds; a ValueError whose message says what was wrong.
        A ``"%"`` field's percentage becomes its fraction (see :class:`Axis`)."""
        axis, kind = self.axes[name], self.types[name]
        text = str(text).strip()
        percent = axis.unit == "%" and text.endswith("%")
        if axis.unit:
            text = text.removesuffix(axis.unit).strip()
        if axis.optional and text.lower() == "none":
            return None
        if kind is str:
            return text
        if kind is bool:
            if text.lower() not in ("true", "false", "yes", "no", "1", "0"):
                raise ValueError(f"{text!r} is not yes or no")
            return text.lower() in ("true", "yes", "1")
        try:
            value = float(text) if kind is float else _whole(text)
        except ValueError:
            whole = "whole " if kind is int else ""
            raise ValueError(f"{text!r} is not a {whole}number") from None
        if axis.unit == "%" and (percent or value > 1):
            value = value / 100
        return value

    def parse(self, name: str, text: str):
        """``read``, then checked: one valid value, or a ValueError whose message says what was
        wrong."""
        value = self.read(name, text)
        try:
            self.check_value(name, value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    def _scale(self, name: str) -> int:
        return 100 if self.axes[name].unit == "%" else 1

    def text(self, name: str, value) -> str:
        """``value`` as a person would type it ("60" for a "%" field's 0.6): ``read`` gives
        the value back."""
        return _shown(value if value is None or self.types[name] in (str, bool)
                      else value * self._scale(name))

    def _plain(self, name: str, value: float) -> str:
        value = value * self._scale(name)
        return f"{int(value):,}" if self.types[name] is int else f"{value:g}"

    def number(self, name: str, value: float) -> str:
        """A number for a message, with its unit ("1,000", "60%")."""
        return self._plain(name, value) + self.axes[name].unit

    def range_text(self, name: str) -> str:
        """"2–40" for a bounded number ("50–95%" for a percentage), for labels and help."""
        axis = self.axes[name]
        return (f"{self._plain(name, axis.minimum)}–{self._plain(name, axis.maximum)}"
                f"{axis.unit}")

    def bounds_text(self, name: str) -> str:
        """"from 2 to 40" ("from 50% to 95%"), for messages."""
        axis = self.axes[name]
        return f"from {self.number(name, axis.minimum)} to {self.number(name, axis.maximum)}"

    # -- faces ---------------------------------------------------------------------------------
    def add_options(self, parser: argparse.ArgumentParser, grid: bool,
                    action: type[argparse.Action] | None = None,
                    free: tuple[str, ...] = ()) -> None:
        """One option per field: several values each (``grid``: a sweep runs every
        combination) or one value each (a person's session); ``action``: an argparse action
        that stores the values (e.g. one that also notes which options were given); ``free``:
        text fields that take any value here (a file name), checked when the config is built."""
        for name in self.names:
            axis, kind = self.axes[name], self.types[name]
            default = self.grid_default(name) if grid else self.defaults[name]
            shown = " ".join(self.text(name, v) + (axis.unit if v is not None else "")
                             for v in (default if grid else [default]))
            about = [f"default: {shown}"]
            if kind in (int, float):
                about.insert(0, self.range_text(name))
            if axis.unit == "%" and self.defaults[name] is not None:
                typed = self.text(name, self.defaults[name])
                about.insert(1, f"{typed}, {typed}% and {_shown(self.defaults[name])} are one "
                                "value: a number up to 1 is the fraction itself")
            # argparse formats help with %: a literal one is written %%
            help_text = f"{axis.help} ({'; '.join(about)})".replace("%", "%%")
            options = dict(default=default, help=help_text)
            if grid:
                options["nargs"] = "+"
            if action is not None:
                options["action"] = action
            if kind is str and name in free:
                options["choices"] = _OrFile(axis.choices())
                options["metavar"] = "{" + ",".join(axis.choices()) + "}|FILE"
            elif kind is str:
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
                start[name] = " ".join(self.text(name, v) for v in values)
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
