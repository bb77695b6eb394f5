"""A sweep as a file: a TOML file of grid values that a researcher keeps beside a paper, read by
``hare run --config FILE`` and written by the benchmark page's download.

Its keys are the run schema's (``RunConfig.schema()``): a field's name, or for a field with its
own command-line flag that flag's name (``seeds`` for the seed axis). Each value is one value or
a list; the grid is every combination, as ``hare run``'s options give it. Everything is checked
where it enters, and a bad key or value is reported with its line.

    # sweep.toml
    dataset = ["adult", "compas"]
    generator = "gs"
    variant = ["base", "hare", "multi_hare"]
    seeds = [0, 1, 2]
    users = 50
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from pathlib import Path

from hare.bench.config import RunConfig
from hare.errors import ConfigError


def keys(config_cls: type[RunConfig] = RunConfig) -> dict[str, str]:
    """File key -> field name, from the schema: the field's flag without its dashes where it
    has one (``--seeds`` -> ``seeds``), else its name."""
    schema = config_cls.schema()
    return {(schema.axes[name].flag.removeprefix("--").replace("-", "_")
             if schema.axes[name].flag else name): name for name in schema.names}


def _line_of(text: str, key: str) -> int | None:
    """The line (1-based) where ``key = …`` (bare or quoted) or a ``[key]`` table is written,
    or None."""
    name = rf"""(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')"""
    pattern = re.compile(rf"^\s*(?:{name}\s*=|\[\[?\s*{name}\s*\]\]?)")
    return next((n for n, line in enumerate(text.splitlines(), 1) if pattern.match(line)), None)


def _where(path: str, line: int | None) -> str:
    return f"{path} line {line}" if line else path


def _value(schema, name: str, value):
    """One value of a field, typed and checked; ValueError with what was wrong."""
    kind = schema.types[name]
    if isinstance(value, (list, dict)) or not isinstance(value, (str, int, float, bool)):
        raise ValueError(f"{value!r} is not a single value (a name in quotes, a number, "
                         "true or false)")
    if isinstance(value, str):
        return schema.parse(name, value)  # "none", "0.1", a name: as a person would type it
    if kind is str:
        raise ValueError(f"{value!r} is not a name: write it in quotes, e.g. "
                         f"{name} = \"{schema.axes[name].choices()[0]}\"")
    try:
        schema.check_value(name, value)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    return schema.typed(name, value)


def parse(text: str, path: str = "sweep file",
          config_cls: type[RunConfig] = RunConfig) -> dict[str, list]:
    """Field name -> its values (a list each) from a sweep file's text; ConfigError naming the
    file and the line of the first bad key or value."""
    try:
        found = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message carries the line and column
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    schema = config_cls.schema()
    valid = keys(config_cls)
    options: dict[str, list] = {}
    for key, raw in found.items():
        line = _line_of(text, key)
        if isinstance(raw, dict):
            raise ConfigError(f"{_where(path, line)}: [{key}] is a table; a sweep file holds "
                              f"only `key = value` lines (keys: {', '.join(valid)})")
        if key not in valid:
            close = difflib.get_close_matches(key, list(valid), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"{_where(path, line)}: unknown key {key!r}{hint}; valid keys: "
                              f"{', '.join(valid)}")
        name = valid[key]
        values = raw if isinstance(raw, list) else [raw]
        if not values:
            raise ConfigError(f"{_where(path, line)}: {key} needs at least one value")
        try:
            typed = [_value(schema, name, value) for value in values]
        except ValueError as exc:
            raise ConfigError(f"{_where(path, line)}: {key}: {exc}") from None
        options[name] = list(dict.fromkeys(typed))  # in the file's order, each once
    if not options:
        raise ConfigError(f"{path} sets no grid values (keys: {', '.join(valid)})")
    return options


def read(path: str | Path, config_cls: type[RunConfig] = RunConfig) -> dict[str, list]:
    """``parse`` of a file; a ConfigError when it cannot be read."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read --config {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"--config {path} is not a text file") from None
    return parse(text, str(path), config_cls)


def _toml(value) -> str:
    """A flat value as TOML: a quoted name, a number, true/false; None as "none"."""
    if value is None:
        return '"none"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def write(options: dict[str, list], header: str = "",
          config_cls: type[RunConfig] = RunConfig) -> str:
    """A sweep file's text for these grid values (field name -> values), keys in the schema's
    order, each with its help as a comment; ``parse`` of it gives the same values."""
    schema = config_cls.schema()
    by_field = {name: key for key, name in keys(config_cls).items()}
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for name in schema.names:
        if name not in options:
            continue
        values = list(options[name])
        shown = _toml(values[0]) if len(values) == 1 else "[" + ", ".join(map(_toml, values)) + "]"
        lines.append(f"{by_field[name]} = {shown}  # {schema.axes[name].help}")
    return "\n".join(lines) + "\n"
