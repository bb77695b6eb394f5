"""A person's session declared once (hare.live.setup): the config, the page's forms read from
plain values (hare.live.form), and ``hare recourse``'s options, all from the one declaration."""

import argparse

import pytest

from hare.active import ActiveSettings
from hare.cli import main
from hare.errors import ConfigError
from hare.live.form import (PAGE_FIELDS, default_range, read_rules, read_session, rule_start,
                            session_start)
from hare.live.profile import Preferences, field_specs, profile_from_row
from hare.live.setup import SessionConfig
from hare.live.terminal import add_recourse_command
from hare.schema import Schema
from hare.session import HareSettings

SCHEMA = SessionConfig.schema()


def recourse_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_recourse_command(parser.add_subparsers())
    return parser.parse_args(["recourse", "--row", "0", *argv])


# --- the config -----------------------------------------------------------------------------

def test_the_people_defaults_are_one_declaration():
    """The page's start, the command line's defaults and the config's own agree, and the
    engine keeps no people's defaults of its own."""
    config = SessionConfig()
    assert read_session(session_start()) == (config, {})
    args = recourse_args()
    assert {name: getattr(args, name) for name in SCHEMA.names} == {
        name: getattr(config, name) for name in SCHEMA.names}
    assert set(PAGE_FIELDS) <= set(SCHEMA.names)
    assert not hasattr(HareSettings, "for_people")
    # what a person's session runs: the tournament counted as real choices, at the target
    settings = config.settings()
    assert isinstance(settings, HareSettings) and settings.counting == "people"
    assert (settings.budget, settings.iterations, settings.target) == (
        config.budget, config.rounds, config.target)
    assert HareSettings().counting == "paper"  # the engine's own defaults stay the paper's
    active = SessionConfig(method="active").settings()
    assert isinstance(active, ActiveSettings)
    assert (active.budget, active.rounds, active.target) == (config.budget, config.rounds,
                                                             config.target)


def test_budget_and_rounds_are_checked_by_the_engine_and_said_in_a_persons_words():
    """Every budget and rounds the axes allow: the config refuses exactly what the engine's
    settings refuse, and says so in the words of the method's rule."""
    schema = SCHEMA
    lo_b, hi_b = int(schema.axes["budget"].minimum), int(schema.axes["budget"].maximum)
    lo_r, hi_r = int(schema.axes["rounds"].minimum), int(schema.axes["rounds"].maximum)
    for method in ("hare", "active"):
        for budget in range(lo_b, hi_b + 1):
            for rounds in range(lo_r, hi_r + 1):
                try:
                    SessionConfig(method=method, budget=budget, rounds=rounds)
                except ConfigError as exc:
                    assert isinstance(exc.__cause__, ConfigError)  # the engine's refusal
                    fits = False
                    message = str(exc)
                else:
                    fits, message = True, ""
                if method == "hare":
                    assert fits == (budget % rounds == 0 and budget // rounds >= 2)
                    assert fits or "equal rounds of at least 2" in message
                else:
                    assert fits == (budget >= 2 * rounds)
                    assert fits or "rounds of at least 2 questions each" in message


def test_each_field_is_checked_against_its_axis():
    with pytest.raises(ConfigError, match="budget must be from 2 to 40"):
        SessionConfig(budget=41)
    with pytest.raises(ConfigError, match=r"target must be from 50% to 95% \(got 30%\)"):
        SessionConfig(target=0.3)
    with pytest.raises(ConfigError, match="unknown method 'guess'"):
        SessionConfig(method="guess")
    with pytest.raises(ConfigError, match="unknown counting"):
        SessionConfig(counting="some")
    assert type(SessionConfig(budget=12.0, rounds=3).budget) is int  # one type per field


# --- percentages ----------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["60", "60%", " 60 % ", "0.6", "60.0"])
def test_a_target_is_typed_as_a_percentage_or_a_probability(typed):
    assert SCHEMA.parse("target", typed) == pytest.approx(0.6)


def test_a_percentage_is_shown_as_typed():
    assert SCHEMA.text("target", 0.6) == "60"
    assert SCHEMA.parse("target", SCHEMA.text("target", 0.85)) == pytest.approx(0.85)
    assert SCHEMA.range_text("target") == "50–95%"
    assert SCHEMA.bounds_text("target") == "from 50% to 95%"
    assert SCHEMA.range_text("budget") == "2–40"
    with pytest.raises(ValueError, match=r"from 50% to 95% \(got 1%\)"):
        SCHEMA.parse("target", "1%")  # the sign makes it a percentage, however small
    with pytest.raises(ValueError, match=r"got 100%"):
        SCHEMA.parse("target", "1")  # a bare number up to 1 is the probability itself


def test_the_run_schema_reads_as_before():
    from hare.bench.config import RunConfig
    run = Schema.of(RunConfig)
    assert run.parse("noise_param", "0.5") == 0.5 and run.parse("users", "1e3") == 1000
    assert run.range_text("users") == "1–10,000"
    with pytest.raises(ValueError, match=r"users must be from 1 to 10,000 \(got 0\)"):
        run.parse("users", "0")


# --- the sidebar from plain values ----------------------------------------------------------

@pytest.mark.parametrize("values,config", [
    ({}, SessionConfig()),
    ({"target": "75%"}, SessionConfig(target=0.75)),
    ({"target": "0.75"}, SessionConfig(target=0.75)),
    ({"budget": "12", "rounds": "3", "method": "hare"}, SessionConfig(budget=12, rounds=3)),
    ({"budget": "7", "rounds": "3", "method": "active"},
     SessionConfig(budget=7, rounds=3, method="active")),
    ({"dataset": "compas", "generator": "wachter", "seed": 7},
     SessionConfig(dataset="compas", generator="wachter", seed=7)),
])
def test_the_sidebar_reads_a_session(values, config):
    assert read_session(values) == (config, {})


@pytest.mark.parametrize("values,field,message", [
    ({"budget": "ten"}, "budget", "'ten' is not a whole number"),
    ({"budget": "2.5"}, "budget", "'2.5' is not a whole number"),
    ({"budget": ""}, "budget", "'' is not a whole number"),
    ({"budget": "1e5"}, "budget", "choose from 2 to 40 questions"),
    ({"rounds": "11"}, "rounds", "choose from 1 to 10 rounds"),
    ({"target": "abc"}, "target", "'abc' is not a number"),
    ({"target": "96"}, "target", "choose from 50% to 95%"),
    ({"target": "nan"}, "target", "choose from 50% to 95%"),
    ({"budget": "9"}, "rounds", "9 questions do not split into 2 equal rounds of at least 2"),
    ({"budget": "5", "rounds": "3", "method": "active"}, "rounds",
     "5 questions do not split into 3 rounds of at least 2 questions each"),
    ({"method": "guess"}, "method", "unknown method 'guess'"),
])
def test_bad_sidebar_values_get_one_message_and_a_valid_stand_in(values, field, message):
    config, errors = read_session(values)
    assert list(errors) == [field] and message in errors[field]
    # what was wrong stands at its default meanwhile (budget and rounds together), the rest kept
    kept = {"method": "active"} if values.get("method") == "active" else {}
    assert config == SessionConfig(**kept)


def test_a_bad_budget_is_not_blamed_on_the_rounds():
    config, errors = read_session({"budget": "ten", "rounds": "3", "target": "70"})
    assert list(errors) == ["budget"]  # not "10 questions do not split into 3 rounds"
    assert config == SessionConfig(target=0.7)


# --- the rules from plain values ------------------------------------------------------------

def test_the_rules_start_from_the_specs_suggestions(adult):
    profile = profile_from_row(adult, 0)
    check = read_rules(adult, profile, {})
    people = Preferences.for_people(adult, profile)
    assert check.ok
    assert check.preferences.frozen == people.frozen
    assert check.preferences.directions == people.directions
    assert [f for f, _, _ in check.preferences.ranges] == [f for f, _, _ in people.ranges]
    spec = next(s for s in field_specs(adult) if s.name == "education-num")
    assert rule_start(adult, spec) == "up"
    lo, hi = default_range(adult, spec, profile)
    assert float(lo) <= profile["education-num"] <= float(hi)


def test_the_rules_as_typed(adult):
    profile = profile_from_row(adult, 0)
    check = read_rules(adult, profile, {"rule:education-num": "history",
                                        "rule:hours-per-week": "free",
                                        "lo:hours-per-week": "20", "hi:hours-per-week": "50",
                                        "max_changes": "2"})
    assert check.ok, check.errors
    assert "education-num" in check.preferences.frozen
    assert ("hours-per-week", 20.0, 50.0) in check.preferences.ranges
    assert check.preferences.max_changes == 2
    bad = read_rules(adult, profile, {"lo:hours-per-week": "60", "hi:hours-per-week": "40",
                                      "max_changes": "0"})
    assert "above the highest" in bad.errors["hours-per-week"]
    assert "_max_changes" in bad.errors


# --- hare recourse --------------------------------------------------------------------------

def test_recourse_help_lists_every_session_field_from_its_declaration(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["recourse", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for name in SCHEMA.names:
        axis = SCHEMA.axes[name]
        assert f"--{name}" in text
        assert " ".join(axis.help.split()) in text, name
        if SCHEMA.types[name] is str:
            assert "{" + ",".join(axis.choices()) + "}" in text
            assert f"default: {SCHEMA.defaults[name]})" in text
        else:
            assert SCHEMA.range_text(name) in text
    assert "default: 60%" in text and "60, 60% and 0.6 are one value" in text
    for flag in ("--row", "--rows", "--profile", "--answers", "--json"):
        assert flag in text


@pytest.mark.parametrize("typed", ["60", "60%", "0.6"])
def test_recourse_target_takes_a_percentage_or_a_probability(typed):
    assert recourse_args("--target", typed).target == pytest.approx(0.6)


def test_recourse_refuses_bad_settings_in_one_line(capsys):
    with pytest.raises(SystemExit):
        main(["recourse", "--row", "0", "--target", "30"])
    err = capsys.readouterr().err.strip()
    assert "from 50% to 95% (got 30%)" in err and len(err.splitlines()) == 1
    assert main(["recourse", "--row", "0", "--budget", "9"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("hare: error: --rounds: 9 questions do not split into 2 equal rounds of at "
                   "least 2 questions: change one of them")
