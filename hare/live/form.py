"""The live page's forms as plain values: what a person typed and chose in, a SessionConfig or
Preferences and a message per bad field out. The page only maps its widgets to these values and
draws them, so what it accepts is tested here, without Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping

from hare.data import Dataset
from hare.errors import ConfigError
from hare.live.costs import DIFFICULTY
from hare.live.profile import (HELD, PEOPLE_MAX_CHANGES, FieldSpec, PreferenceCheck,
                               Preferences, check_preferences, field_specs)
from hare.live.setup import SessionConfig

# The session fields a person sets in the sidebar, in its order. The seed is drawn fresh for
# every session (tests pin it), and a person's questions are always counted as real choices.
PAGE_FIELDS = ("dataset", "model", "generator", "method", "budget", "rounds", "target")
# What a person may say of a feature they could change: its rule, and how the page words it.
RULES = {"free": "can change", "up": "only up", "down": "only down", "history": "won't change"}
# How hard a change is for a person, as the page offers it (hare.live.costs scales the effort).
DIFFICULTIES = tuple(DIFFICULTY)
# The fields that the engine's rules join (a budget must split into the rounds): when those
# rules refuse the typed values, these are where the person is told and what falls back.
_TOGETHER = ("budget", "rounds")


def session_start() -> dict[str, str]:
    """The sidebar before a person types: each page field's default, as it is shown (a choice's
    name, a number's text: "60" for a 60% target)."""
    schema = SessionConfig.schema()
    return {name: schema.text(name, schema.defaults[name]) for name in PAGE_FIELDS}


def read_session(values: Mapping[str, object]) -> tuple[SessionConfig, dict[str, str]]:
    """The session from plain values (text or choices by field name; a missing one is its
    default), and a message per bad field. Nothing is silently changed: where there are
    messages the session must not start, and the config returned is the nearest valid one
    (each bad field at its default; budget and rounds both at theirs when they do not fit
    together), for what the page draws meanwhile (the model, the target)."""
    schema = SessionConfig.schema()
    typed: dict[str, object] = {}
    errors: dict[str, str] = {}
    for name in schema.names:
        if values.get(name) is None:
            continue
        try:
            value = schema.read(name, values[name])
            schema.check_value(name, value)
        except ConfigError as exc:
            errors[name] = _out_of_bounds(name) if schema.types[name] in (int, float) else str(exc)
            continue
        except ValueError as exc:
            errors[name] = str(exc)
            continue
        typed[name] = value
    try:
        return SessionConfig(**typed), errors
    except ConfigError as exc:  # the engine's rules across fields
        if not set(errors) & set(_TOGETHER):  # else it speaks of a default the person replaced
            errors["rounds"] = str(exc)
        return SessionConfig(**{n: v for n, v in typed.items() if n not in _TOGETHER}), errors


def _out_of_bounds(name: str) -> str:
    """A number read from text can only be wrong by its bounds (``read`` made it a number of
    the field's kind): "choose from 2 to 40 questions"."""
    schema = SessionConfig.schema()
    noun = schema.axes[name].noun
    return f"choose {schema.bounds_text(name)}" + (f" {noun}" if noun else "")


# --- the person's rules -------------------------------------------------------------------------

def rule_options(spec: FieldSpec) -> list[str]:
    """The rules a feature may take (keys of RULES): a category is free or held fixed."""
    return list(RULES) if spec.numeric else ["free", "history"]


def rule_start(dataset: Dataset, spec: FieldSpec) -> str:
    """The rule a person starts from: the spec's suggestion for people."""
    people = dataset.spec.fact(spec.name).people
    if people in HELD:  # the past, what needs means a person rarely has, the outcome label
        return "history"
    return people if people in rule_options(spec) else "free"


def default_range(dataset: Dataset, spec: FieldSpec,
                  profile: Mapping[str, object]) -> tuple[str, str]:
    """The range a person starts from: the spec's realistic one (around their value) or the
    data's, as text in original units."""
    people = {n: (lo, hi) for n, lo, hi in Preferences.for_people(dataset, profile).ranges}
    lo, hi = people.get(spec.name, (spec.minimum, spec.maximum))
    return f"{lo:g}", f"{hi:g}"


def read_rules(dataset: Dataset, profile: Mapping[str, object],
               values: Mapping[str, object]) -> PreferenceCheck:
    """The person's rules from plain values: ``rule:COLUMN`` (a key of RULES), ``lo:COLUMN``
    and ``hi:COLUMN`` (text in original units), ``difficulty:COLUMN`` (a key of DIFFICULTY)
    and ``max_changes`` (text, blank: no limit); a missing value is where the person starts
    (``rule_start``, ``default_range``, normal difficulty, at most PEOPLE_MAX_CHANGES). Checked by
    ``check_preferences``: a message per feature."""
    frozen, ranges, directions, difficulty = [], {}, {}, {}
    for spec in field_specs(dataset):
        if spec.immutable:
            continue
        level = values.get(f"difficulty:{spec.name}", "normal")
        if level != "normal":
            difficulty[spec.name] = level
        rule = values.get(f"rule:{spec.name}", rule_start(dataset, spec))
        if rule == "history":
            frozen.append(spec.name)
        elif spec.numeric:
            directions[spec.name] = {"up": "only up", "down": "only down"}.get(rule, "either way")
            lo, hi = default_range(dataset, spec, profile)
            ranges[spec.name] = (values.get(f"lo:{spec.name}", lo),
                                 values.get(f"hi:{spec.name}", hi))
    return check_preferences(dataset, profile, frozen, ranges, directions,
                             values.get("max_changes", str(PEOPLE_MAX_CHANGES)), difficulty)
