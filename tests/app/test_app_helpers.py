"""The app's helper logic without a server: formatting, profile and grid checks, the live
session wrapper and the answer store (the results views: test_app_results.py)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from hare.live.answers import AnswerStore
from hare_app.charts import changes_chart
from hare.live.card import change_costs
from hare.live.costs import costs_frame
from hare.live.formatting import changes, format_value
from hare.live.run import LiveRun
from hare.live.setup import SessionConfig
from hare.live.profile import (Preferences, check_preferences, check_profile, encode_profile,
                              profile_from_row, typical_profile)
from hare.bench.config import expand_grid
from hare_app.sweep import FORM_DEFAULTS, check_grid, parse_numbers
from hare.generators import make_generator
from hare.rng import user_keys


def test_values_read_in_original_units(adult):
    x = adult.x_test[0].clone()
    r = x.clone()
    names = list(adult.feature_names)
    r[names.index("capital-gain")] = 5200 / 99999
    r[names.index("hours-per-week")] = (46 - 1) / 98
    r[names.index("workclass")] = 1 - x[names.index("workclass")]
    texts = [c.text for c in changes(adult, x.numpy(), r.numpy())]
    # readable names from the dataset's spec, values in original units
    assert "Capital gains $0 → $5,200" in texts
    assert "Hours worked a week 35 → 46" in texts
    assert any(t.startswith("Employer Private → Non-Private") for t in texts)
    assert len(texts) == 3  # only what changed
    assert format_value(adult, "capital-loss", 1234.0) == "$1,234"
    assert format_value(adult, "age", 40.0) == "40"
    prefs = Preferences.for_people(adult, profile_from_row(adult, 0))
    frame = costs_frame({"A": change_costs(adult, x.numpy(), r.numpy(), prefs)})
    assert set(frame["feature"]) == {"Capital gains", "Hours worked a week", "Employer"}
    hours = frame[frame["feature"] == "Hours worked a week"].iloc[0]
    assert hours["change"].startswith("work ") and hours["months"] > 0  # what it takes, in time
    changes_chart(frame).to_dict()  # builds a valid Vega-Lite spec


def test_invisible_changes_are_left_out(adult):
    x = adult.x_test[0].clone()
    r = x.clone()
    r[list(adult.feature_names).index("hours-per-week")] += 0.001  # 0.1 hours: shows as 35 → 35
    assert changes(adult, x.numpy(), r.numpy()) == []


def test_profile_errors_name_each_bad_field(adult):
    raw = profile_from_row(adult, 0)
    raw.update({"age": 200, "hours-per-week": None, "education-num": 9.5, "sex": "Robot"})
    check = check_profile(adult, raw)
    assert not check.ok
    assert set(check.errors) == {"age", "hours-per-week", "education-num", "sex"}
    assert "17 to 90" in check.errors["age"]
    assert "number" in check.errors["hours-per-week"]
    assert "whole number" in check.errors["education-num"]
    assert "Female" in check.errors["sex"] and "Male" in check.errors["sex"]
    good = check_profile(adult, profile_from_row(adult, 0))
    assert good.ok
    assert torch.allclose(encode_profile(adult, good.values)[0], adult.x_test[0])
    assert check_profile(adult, typical_profile(adult)).ok


def test_preferences_become_an_action_space(adult):
    profile = profile_from_row(adult, 0)  # hours-per-week 35
    check = check_preferences(adult, profile, ["capital-gain"], {"hours-per-week": (35, 50)},
                              {"hours-per-week": "only up", "capital-loss": "only down"})
    assert check.ok
    space = check.preferences.action_space(adult)
    names = list(adult.feature_names)
    assert not space.mutable[names.index("capital-gain")]
    assert not space.mutable[names.index("age")]  # immutables stay locked
    j = names.index("hours-per-week")
    assert space.lower[j] == pytest.approx((35 - 1) / 98)
    assert space.upper[j] == pytest.approx((50 - 1) / 98)
    assert space.direction[j] == 1 and space.direction[names.index("capital-loss")] == -1


def test_preference_errors(adult):
    profile = profile_from_row(adult, 0)
    check = check_preferences(adult, profile, [], {"hours-per-week": (60, 40), "capital-gain": (0, 10**6),
                                                   "education-num": (1, 4)},
                              {"education-num": "only up"})
    assert "above the highest" in check.errors["hours-per-week"]
    assert "within" in check.errors["capital-gain"]
    assert "only up" in check.errors["education-num"]  # current 6 is above the highest 4


def test_grid_form_checks():
    assert parse_numbers("0-2, 5", "seed") == [0, 1, 2, 5]
    assert parse_numbers("none, 0.5", "tolerance") == [None, 0.5]
    with pytest.raises(ValueError, match="not a whole number"):
        parse_numbers("10, ten", "budget")
    with pytest.raises(ValueError, match="budget must be from 2 to 1,000"):
        parse_numbers("30, 1000000000", "budget")
    form = dict(FORM_DEFAULTS)
    check = check_grid(dict(form, budget="30", iterations="7"))
    assert "divisible" in check.errors["iterations"]
    check = check_grid(dict(form, dataset=(), seed="x", users="0"))
    assert set(check.errors) == {"dataset", "seed", "users"}
    check = check_grid(dict(form, users="100000"))
    assert "users must be from 1 to 10,000" in check.errors["users"]
    check = check_grid(dict(form, users="600"))
    assert "at most 500 users per run from the app" in check.errors["users"]
    check = check_grid(dict(form, seed="0, 1", users="10"))
    assert check.ok and len(check.configs) == 6
    assert {c.users for c in check.configs} == {10}
    # noise parameters only matter with noise, and are checked per noise model
    assert check_grid(dict(form, noise_param="junk")).ok
    noisy = dict(form, variant=("hare",), noise=("bernoulli",))
    assert "noise_param" in check_grid(dict(noisy, noise_param="junk")).errors
    assert "flip probability" in check_grid(dict(noisy, noise_param="1.5")).errors["noise_param"]


def test_the_pages_grid_downloads_as_a_sweep_file_that_runs_the_same_grid():
    from hare.bench import sweep_file
    check = check_grid(dict(FORM_DEFAULTS, seed="0-2", users="10", tolerance="none, 0.5",
                            variant=("base", "hare")))
    text = check.sweep_file()
    assert text.startswith(f"# A HARE sweep: {len(check.configs)} runs, from the benchmark page.")
    assert "seeds = [0, 1, 2]" in text and "users = 10" in text
    again = expand_grid(**sweep_file.parse(text))
    assert [c.run_id for c in again] == [c.run_id for c in check.configs]


def _live_run(adult, adult_ann, budget=4, rounds=2, row=4, method="hare"):
    """A live run for test row ``row`` (4: refused, with a recourse within the people
    defaults; row 0 has none once capital gains are locked)."""
    from hare.live.profile import Preferences
    prefs = Preferences.for_people(adult, profile_from_row(adult, row))  # the spec's rules
    space = prefs.action_space(adult)
    x = adult.x_test[row:row + 1]
    gen = make_generator("gs").fit(adult, adult_ann, space, 0)
    r0 = gen.generate(x, user_keys(7, torch.arange(1)))
    config = SessionConfig("adult", "ann", "gs", method=method, budget=budget, rounds=rounds,
                           seed=7)
    return LiveRun(config, adult, adult_ann, x, r0, space, prefs, "test_row", row)


def test_live_run_records_answers_and_a_card_of_numbers(adult, adult_ann):
    run = _live_run(adult, adult_ann)
    kinds = []
    while (q := run.question()) is not None:
        kinds.append(q.kind)
        assert q.number == run.used + 1
        assert run.is_pending(q.number) and not run.is_pending(q.number - 1)  # a stale button
        assert q.current.probability >= run.config.target
        run.answer(q.kind == "compare")  # prefer the challenger, never satisfied
    # each round ends with "good enough?"; a comparison with nothing new is skipped, free
    assert kinds.count("accept") == 2 and kinds[-1] == "accept" and len(kinds) <= 4
    assert run.used == len(kinds) and not run.accepted
    assert [e.seq for e in run.events] == list(range(1, len(kinds) + 1))
    assert all(e.seconds >= 0 for e in run.events)
    run.answer(True)  # a stale click after the end changes nothing
    assert run.used == len(kinds) and not run.is_pending(run.used + 1)
    card = json.loads(run.card_json())
    assert card["approved"] and card["probability_after"] >= card["target_probability"] == 0.6
    assert card["probability_before"] < 0.5 and card["no_recourse_reason"] is None
    assert card["profile"]["age"] == card["recourse"]["age"]  # immutable
    assert isinstance(card["recourse"]["capital-gain"], float)  # numbers, not "$5,200"
    assert card["changes"] and all(isinstance(v["after"], (float, str)) for v in card["changes"].values())
    assert [t["kind"] for t in card["transcript"]] == kinds
    for t in card["transcript"]:
        if t["kind"] == "compare":
            assert t["options"][0] != t["options"][1] and t["answer"] in ("A", "B")
    assert {"version", "time", "seed", "row", "settings"} <= set(card)
    assert set(card) == {  # the card's keys, as documented: a download keeps its shape
        "version", "time", "dataset", "model", "generator", "seed", "row", "source", "settings",
        "approved", "target_probability", "probability_before", "probability_after", "profile",
        "recourse", "changes", "units", "no_recourse_reason", "questions_answered",
        "said_good_enough", "transcript", "plan", "model_hash", "engine_revision", "ending",
        "plans", "what_to_loosen"}
    assert card["settings"].keys() == {"method", "budget", "iterations", "bps", "counting",
                                       "target_probability", "will_not_change", "ranges",
                                       "directions", "max_changes", "limits"}
    assert (card["seed"], card["settings"]["iterations"], card["settings"]["counting"]) == (
        7, 2, "people")


def test_live_run_without_recourse(adult, adult_ann):
    run = _live_run(adult, adult_ann)
    failed = LiveRun(replace(run.config, seed=1), adult, adult_ann, run.x,
                     torch.full_like(run.x, torch.nan), run.space, run.preferences, "entered", None)
    assert failed.failed and failed.done and failed.question() is None
    card = json.loads(failed.card_json())
    assert card["approved"] is False and card["recourse"] is None
    assert "No change within your limits" in card["no_recourse_reason"]


# A COMPAS person: 400 days in jail on a felony, 5 priors. (With 180 days, refused person 14 of
# the ANN's list, every generator finds a recourse once the stay may change, since CCHVAE's
# COMPAS VAE stops training early; with 400, CCHVAE still finds none where GS does.)
COMPAS_PERSON = {"age": 30.0, "two_year_recid": 1.0, "priors_count": 5.0, "length_of_stay": 400.0,
                 "c_charge_degree": "F", "race": "African-American", "sex": "Male"}


def test_no_recourse_says_which_locked_feature_stands_in_the_way(compas, compas_ann):
    from hare.live.profile import Preferences, encode_profile
    from hare.live.run import make_live_generator, start_live_run
    from hare.live.unlock import ways_out

    def run_for(preferences, generator="gs"):
        gen = make_live_generator(generator).fit(compas, compas_ann,
                                                 preferences.action_space(compas), 0)
        return start_live_run(SessionConfig("compas", "ann", generator), compas, compas_ann, gen,
                              encode_profile(compas, COMPAS_PERSON), preferences)

    prefs = Preferences.for_people(compas, COMPAS_PERSON)  # the past and the label held fixed
    run = run_for(prefs)
    assert run.failed
    ways = ways_out(run)
    # of the facts held fixed, only the jail stay's length would let the model say yes
    assert [w.feature for w in ways] == ["length_of_stay"]
    assert [c.feature for c in ways[0].example] == ["Days in jail"]
    assert ways[0].probability >= run.config.target
    # the jail stay unlocked, and prior offences allowed to grow (a record cannot shrink)
    unlocked = Preferences(
        tuple(f for f in prefs.frozen if f not in ("length_of_stay", "priors_count")),
        prefs.ranges, tuple(sorted(prefs.directions + (("priors_count", 1),))))
    again = run_for(unlocked)
    assert not again.failed and ways_out(again) == []
    while (q := again.question()) is not None:
        again.answer(q.kind == "compare")
    assert again.approved and again.probability_after() >= again.config.target
    # a generator that finds nothing where Growing Spheres does: the way out is to switch
    other = run_for(unlocked, "cchvae")
    assert other.failed and [(w.feature, w.generator) for w in ways_out(other)] == [(None, "gs")]


def test_answer_store_keeps_sessions_and_answers(adult, adult_ann, tmp_path):
    run = _live_run(adult, adult_ann)
    while (q := run.question()) is not None:
        run.answer(q.kind == "accept")  # satisfied at the first "good enough?"
    store = AnswerStore(tmp_path / "answers.duckdb")
    store.save(run)
    store.save(run)  # idempotent per session
    sessions, answers = store.sessions(), store.answers()
    assert len(sessions) == 1 and bool(sessions["accepted"].iloc[0])
    assert list(answers["kind"])[-1] == "accept"
    assert len(answers["current_change"].iloc[0]) == adult.n_features
    assert not bool(sessions["profile_stored"].iloc[0])
    assert "text" not in " ".join(answers.columns)  # no free text is stored


def test_answer_store_records_the_method_and_upgrades_an_older_file(adult, adult_ann, tmp_path):
    import duckdb

    from hare.live.answers import SESSIONS_SCHEMA
    path = tmp_path / "answers.duckdb"
    older = SESSIONS_SCHEMA.replace(",\n    method VARCHAR", "")  # the table before ``method``
    assert "method" not in older.split("probability_after DOUBLE")[1]
    with duckdb.connect(str(path)) as con:
        con.execute(older)
    run = _live_run(adult, adult_ann, budget=6, rounds=2, method="active")
    while (q := run.question()) is not None:
        run.answer(q.kind == "compare")
    AnswerStore(path).save(run)
    sessions = AnswerStore(path).sessions()
    assert list(sessions["method"]) == ["active"]
    assert run.card()["settings"]["method"] == "active" and run.used <= 6


def test_session_config_checks_rounds_per_method():
    from hare.live.form import read_session
    assert read_session(dict(budget="10", rounds="3", method="active"))[1] == {}
    assert "rounds" in read_session(dict(budget="10", rounds="3"))[1]  # 10 / 3 rounds
    assert "rounds" in read_session(dict(budget="5", rounds="3", method="active"))[1]
    assert "method" in read_session(dict(budget="10", rounds="2", method="guess"))[1]


def test_a_runner_error_reaches_the_page(tmp_path):
    from hare_app.sweep import SweepJob

    check = check_grid(dict(FORM_DEFAULTS, users="5"))
    (tmp_path / "hare.duckdb").write_text("not a store")
    job = SweepJob(check.configs, tmp_path / "hare.duckdb")
    job.process.wait(120)
    status = job.status()
    assert not status.running and status.returncode == 2
    assert "cannot open" in status.message and "as a results store" in status.message
    assert status.done == 0 and status.counts["queued"] == len(check.configs)


def test_database_paths_follow_the_environment(monkeypatch, tmp_path):
    from hare_app.paths import APP_ROOT, answers_db_path, results_db_path, shipped_db_path

    monkeypatch.delenv("HARE_DB", raising=False)
    monkeypatch.delenv("HARE_SHIPPED_DB", raising=False)
    # sweeps go to an ignored store; the shipped reproduction is only read
    assert results_db_path() == APP_ROOT / "results" / "runs.duckdb"
    assert shipped_db_path() == APP_ROOT / "results" / "hare.duckdb"
    monkeypatch.setenv("HARE_DB", "elsewhere/x.duckdb")  # relative to the project, not the cwd
    monkeypatch.chdir(tmp_path)
    assert results_db_path() == APP_ROOT / "elsewhere" / "x.duckdb"
    monkeypatch.setenv("HARE_ANSWERS_DB", str(tmp_path / "a.duckdb"))
    assert answers_db_path() == tmp_path / "a.duckdb"


def test_live_options_and_card_are_in_whole_units(adult, adult_ann):
    """Whole-number features are shown (and scored) as whole numbers a person can act on."""
    run = _live_run(adult, adult_ann, budget=6, rounds=1)
    whole = [c for c, flag in zip(adult.spec.continuous, adult.encoder.integer) if flag]
    while (q := run.question()) is not None:
        for option in (q.current, q.challenger):
            if option is not None:
                assert option.probability >= run.config.target
        run.answer(q.kind == "compare")
    after = adult.encoder.decode(run.recourse[None].numpy()).iloc[0]
    assert all(abs(float(after[c]) - round(float(after[c]))) < 1e-6 for c in whole)
    assert run.probability_after() >= run.config.target


def test_none_work_and_no_in_the_last_round_are_endings_not_plans(adult, adult_ann):
    run = _live_run(adult, adult_ann, budget=6, rounds=2)
    while (q := run.question()) is not None and q.kind == "compare":
        run.answer(True)
    run.reject()
    card = run.card()
    assert run.done and card["ending"] == "none work" and not card["said_good_enough"]
    assert card["what_to_loosen"] and card["what_to_loosen"][-1] == "the target (60%)"
    assert card["plans"] and all(p["time"] and p["sentence"] for p in card["plans"])
    said_no = _live_run(adult, adult_ann, budget=4, rounds=2)
    while (q := said_no.question()) is not None:
        said_no.answer(q.kind == "compare")
    assert said_no.card()["ending"] == "not accepted" and said_no.card()["what_to_loosen"]
