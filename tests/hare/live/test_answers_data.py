"""The answers store as research data: a file in the first layout migrates and exports in
original units; a person's delete removes their sessions; simulated people of a known kind (and
a mixture) are stored as the page stores people, exported, and fitted: the true kind ranks
first and its noise level comes back; fitted people run in a sweep."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

from hare.bench.config import RunConfig
from hare.cli import main
from hare.live.answers import SCHEMA_VERSION, AnswerStore, change_in_units
from hare.live.answers_export import build, read, write
from hare.live.answers_simulate import assign, parse_mixture

# The store's tables as the first files were written (before the method, status, sides, units,
# versions and hashes were recorded): kept here verbatim so the migration is tested against it.
FIRST_LAYOUT = """
CREATE TABLE human_sessions (
    session_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP,
    dataset VARCHAR, model VARCHAR, generator VARCHAR, budget INTEGER, iterations INTEGER,
    bps VARCHAR, seed BIGINT, target DOUBLE, source VARCHAR, test_row INTEGER,
    profile_stored BOOLEAN, factual DOUBLE[], recourse_change DOUBLE[], constraints VARCHAR,
    queries INTEGER, accepted BOOLEAN, probability_before DOUBLE, probability_after DOUBLE);
CREATE TABLE human_answers (
    session_id VARCHAR, seq INTEGER, kind VARCHAR, iteration INTEGER, step INTEGER,
    current_change DOUBLE[], challenger_change DOUBLE[], choice BOOLEAN,
    shown_at TIMESTAMP, seconds DOUBLE, PRIMARY KEY (session_id, seq));
"""


def old_file(path, adult):
    """A first-layout file with one finished session: two answers, hours and sex changed."""
    d = len(adult.feature_names)
    hours = [0.0] * d
    hours[adult.feature_names.index("hours-per-week")] = 0.1
    sex = [0.0] * d
    sex[adult.feature_names.index("sex")] = 1.0
    t0 = dt.datetime(2025, 3, 1, 12, 0, 0)
    with duckdb.connect(str(path)) as con:
        con.execute(FIRST_LAYOUT)
        con.execute("INSERT INTO human_sessions VALUES ('old', ?, ?, 'adult', 'ann', 'gs', 4, "
                    "2, 'every', 0, 0.6, 'test_row', NULL, false, NULL, ?, '{}', 2, true, "
                    "NULL, 0.7)", [t0, t0 + dt.timedelta(seconds=9), hours])
        con.executemany("INSERT INTO human_answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            ["old", 1, "compare", 1, 1, hours, sex, True, t0, 2.5],
            ["old", 2, "accept", 1, 2, sex, None, True, t0 + dt.timedelta(seconds=3), 1.5]])


def test_a_first_layout_file_migrates_and_exports_in_original_units(tmp_path, adult):
    path = tmp_path / "old.duckdb"
    old_file(path, adult)
    store = AnswerStore(path)
    assert store.version() == 1
    export = build(store)
    assert store.version() == SCHEMA_VERSION
    session = export.sessions.iloc[0]
    assert session["status"] == "completed" and session["respondent"] == "person"
    assert pd.isna(session["consent_version"]), "never recorded, not invented"
    first, second = export.answers.iloc[0], export.answers.iloc[1]
    span = adult.encoder.maximum[adult.spec.continuous.index("hours-per-week")] - \
        adult.encoder.minimum[adult.spec.continuous.index("hours-per-week")]
    assert first["a.hours-per-week"] == pytest.approx(round(0.1 * span))
    assert first["b.sex"] == adult.encoder.categories[adult.spec.categorical.index("sex")][1]
    assert (first["a_side"], first["b_side"], first["answer"]) == ("left", "right", "B")
    assert first["timestamp_utc"] == "2025-03-01T12:00:02.500000Z"
    assert (second["a_side"], second["answer"]) == ("alone", "yes") and pd.isna(second["b.sex"])
    write(export, tmp_path / "out", "parquet")
    back = read(tmp_path / "out")
    assert list(back.answers.columns) == list(export.answers.columns)
    assert back.answers["a.hours-per-week"].iloc[0] == first["a.hours-per-week"]


def test_a_delete_removes_the_sessions_and_their_answers(tmp_path, adult):
    path = tmp_path / "old.duckdb"
    old_file(path, adult)
    store = AnswerStore(path)
    assert store.delete(["old", "not-there"]) == 1
    assert store.sessions().empty and store.answers().empty


def test_a_change_in_original_units_holds_no_profile_value(adult):
    change = [0.0] * len(adult.feature_names)
    change[adult.feature_names.index("sex")] = -1.0
    assert change_in_units(adult, change) == {
        "sex": adult.encoder.categories[adult.spec.categorical.index("sex")][0]}


def test_a_mixture_keeps_its_shares():
    shares = parse_mixture("ground_truth:1,weighted_cost:3")
    assert [round(s.share, 2) for s in shares] == [0.25, 0.75]
    kinds = assign(shares, 40)
    assert kinds.count("ground_truth") == 10


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """Two stores through the live path: one kind (fewest changes, β = 3) and a mixture."""
    folder = tmp_path_factory.mktemp("simulated")
    common = ["--dataset", "adult", "--sessions", "8", "--budget", "10",
              "--unlock", "capital-gain"]
    assert main(["answers", "simulate", "--user-model", "fewest_changes", "--beta", "3",
                 "--db", str(folder / "known.duckdb"), *common]) == 0
    assert main(["answers", "simulate", "--user-model", "fewest_changes:0.5,weighted_cost:0.5",
                 "--beta", "20", "--seed", "1", "--db", str(folder / "mix.duckdb"), *common]) == 0
    for name in ("known", "mix"):
        assert main(["answers", "export", "--db", str(folder / f"{name}.duckdb"),
                     "--out", str(folder / name)]) == 0
    return folder


KINDS = ["fewest_changes", "weighted_cost", "ground_truth"]
BETA_TOLERANCE = 0.35  # relative: β = 3 fitted on ~100 comparisons


def fit(folder, capsys, *extra) -> list[dict]:
    capsys.readouterr()
    assert main(["answers", "fit", "--export", str(folder), "--bootstrap", "0", "--json",
                 "--user-models", *KINDS, *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_known_kind_ranks_first_and_its_noise_comes_back(simulated, capsys):
    export = read(simulated / "known")
    assert set(export.sessions["respondent"]) == {"simulated:fewest_changes"}
    assert {"a.capital-gain", "b.hours-per-week"} <= set(export.answers.columns)
    ranked = fit(simulated / "known", capsys, "--write-model", str(simulated / "people.json"))
    assert [r["user_model"] for r in ranked][0] == "fewest_changes"
    assert ranked[0]["log_likelihood"] > ranked[-1]["log_likelihood"]
    assert abs(ranked[0]["noise_level"] - 3.0) / 3.0 < BETA_TOLERANCE
    assert ranked[0]["accuracy"] > 0.6
    people = json.loads((simulated / "people.json").read_text())
    assert people["user_model"] == "fewest_changes" and people["dataset"] == "adult"


def test_a_mixture_ranks_one_of_its_kinds_first(simulated, capsys):
    ranked = fit(simulated / "mix", capsys)
    assert ranked[0]["user_model"] in ("fewest_changes", "weighted_cost")
    scores = {r["user_model"]: r["log_likelihood"] for r in ranked}
    assert min(scores["fewest_changes"], scores["weighted_cost"]) > -0.693, "both beat chance"
    assert sum(r["share"] for r in ranked) == pytest.approx(1.0)
    assert all({"user_model", "log_likelihood", "accuracy"} <= set(r) for r in ranked)


def test_a_sweep_runs_fitted_people_and_records_the_file(simulated, capsys, tmp_path):
    people = simulated / "people.json"
    if not people.is_file():  # written by the ranking test; run alone, fit here
        fit(simulated / "known", capsys, "--write-model", str(people))
    db = tmp_path / "runs.duckdb"
    assert main(["run", "--dataset", "adult", "--model", "ann", "--generator", "gs",
                 "--variant", "hare", "--budget", "6", "--iterations", "1", "--users", "4", "--seeds", "0",
                 "--user-model", "fitted", "--answers", str(people), "--quiet",
                 "--workers", "1", "--db", str(db)]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT user_model, fitted_users, run_id FROM runs").fetchall()
    from hare.fitted_users import digest
    assert [r[:2] for r in rows] == [("fitted", digest(people.read_text()))]
    assert RunConfig().run_id == "26a0a6cdef068736", "a default run's id is unchanged"


def test_the_results_page_fit_ranks_every_kind(tmp_path, adult):
    from hare_app.answers_view import fit_table
    from hare.user_models import KINDS as ALL_KINDS
    path = tmp_path / "old.duckdb"
    old_file(path, adult)
    table = fit_table(str(path), (0.0, 0), "adult")
    assert sorted(table["simulated person"]) == sorted(ALL_KINDS)
    assert list(table["rank"]) == list(range(1, len(ALL_KINDS) + 1))
    scores = list(table["held-out log-likelihood"])
    assert scores == sorted(scores, reverse=True)
