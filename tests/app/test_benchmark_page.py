"""The benchmark and results pages through AppTest: grid errors beside their fields, the cell
count, a tiny sweep in a background process (cancel keeps what finished, a relaunch skips it),
and the results page with an empty and a filled database."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from hare.bench.store import ResultStore

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HARE_DB", str(tmp_path / "hare.duckdb"))
    monkeypatch.setenv("HARE_ANSWERS_DB", str(tmp_path / "answers.duckdb"))
    return tmp_path / "hare.duckdb"


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def chart_data(at: AppTest) -> list[pd.DataFrame]:
    """The data each Altair chart on the page was drawn from (sent as Arrow next to the spec)."""
    return [pd.concat([pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in c.proto.datasets])
            for c in at.get("vega_lite_chart")]


def sidebar_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


def launch_button(at: AppTest):
    return next(b for b in at.sidebar.button if b.label == "Launch")


def wait_for_sweep(at: AppTest, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        assert not at.exception, at.exception
        if at.success or at.warning or [e for e in at.main.error]:
            return
        time.sleep(0.5)
    raise AssertionError("the sweep did not finish")


def test_grid_errors_sit_beside_their_fields(db):
    at = open_page("pages/benchmark.py")
    assert "3 runs" in sidebar_text(at)
    at.text_input(key="bench_budget").set_value("30, lots")
    at.text_input(key="bench_seed").set_value("")
    at.multiselect(key="bench_model").set_value([])
    at.text_input(key="bench_users").set_value("0").run()
    errors = [e.value for e in at.sidebar.error]
    assert any("'lots' is not a whole number" in e for e in errors)
    assert any("enter at least one value" in e for e in errors)
    assert any("choose at least one" in e for e in errors)
    assert any("users must be from 1 to 10,000 (got 0)" in e for e in errors)
    assert launch_button(at).disabled
    at.text_input(key="bench_budget").set_value("30")
    at.text_input(key="bench_seed").set_value("0-99999")
    at.multiselect(key="bench_model").set_value(["ann"])
    at.text_input(key="bench_users").set_value("5").run()
    assert any("holds 100,000 values; at most 5,000" in e.value for e in at.sidebar.error)
    at.text_input(key="bench_seed").set_value("0-1")
    at.text_input(key="bench_iterations").set_value("4").run()
    assert any("not divisible" in e.value for e in at.sidebar.error)
    at.text_input(key="bench_iterations").set_value("5").run()
    assert not at.sidebar.error
    assert "6 runs" in sidebar_text(at) and "6 to run" in sidebar_text(at)


def test_every_axis_of_a_run_is_on_the_form(db):
    from hare.bench.config import CONFIG_FIELDS
    at = open_page("pages/benchmark.py")
    keys = {w.key for w in [*at.sidebar.multiselect, *at.sidebar.text_input]}
    assert keys == {f"bench_{name}" for name in CONFIG_FIELDS}
    # the weighted-cost users study can be launched from the page
    at.multiselect(key="bench_user_model").set_value(["weighted_cost"]).run()
    assert "3 runs" in sidebar_text(at) and not at.sidebar.error


def test_sweep_runs_in_the_background_and_relaunch_skips_finished_cells(db):
    at = open_page("pages/benchmark.py")
    at.multiselect(key="bench_variant").set_value(["base", "hare"])
    at.text_input(key="bench_users").set_value("10").run()
    assert "2 runs" in sidebar_text(at)
    launch_button(at).click().run()
    assert not at.exception
    assert "Your sweep is running" in sidebar_text(at)
    assert any("runs stored" in p.proto.text for p in at.get("progress"))
    wait_for_sweep(at)
    assert at.success, [e.value for e in at.error]
    assert len(ResultStore(db).stored_run_ids()) == 2
    assert "2 already stored, 0 to run" in sidebar_text(at)
    assert launch_button(at).disabled  # nothing left to run
    states = at.main.dataframe[-2].value
    assert list(states["state"]) == ["stored", "stored"]
    finished = at.main.dataframe[-1].value
    assert len(finished) == 2 and "paper gtp" in finished.columns
    downloads = [d.proto.label for d in at.get("download_button")]
    assert "Download this grid as a sweep file" in downloads  # the grid, kept as a file
    assert "Download the finished cells (CSV)" in downloads

    results = open_page("pages/results.py")
    results.session_state["res_store"] = "your runs"
    results.run()
    assert any("2 runs stored in 2 cells" in c.value for c in results.caption)
    table1 = chart_data(results)[0]
    ours = table1[table1["source"] == "ours"]
    from hare_app.sweep import FORM_DEFAULTS  # the generator the form starts with
    assert set(ours["variant"]) == {"base", "hare"}
    assert set(ours["generator"]) == set(FORM_DEFAULTS["generator"])
    assert (table1["source"] == "paper").any()  # drawn beside the paper's numbers


def test_cancel_keeps_finished_cells(db):
    at = open_page("pages/benchmark.py")
    # Twelve seeds, each with its own classifier to train: a cancel after the first stored
    # run always lands with runs left to do.
    at.text_input(key="bench_seed").set_value("0-11")
    at.multiselect(key="bench_variant").set_value(["base"])
    at.text_input(key="bench_users").set_value("10").run()
    launch_button(at).click().run()
    deadline = time.time() + 180
    while not ResultStore(db).stored_run_ids() and time.time() < deadline:
        time.sleep(0.3)
    cancel = next(b for b in at.button if b.label == "Cancel the sweep")
    cancel.click().run()
    assert not at.exception
    # finished runs are kept in the store, or beside it where the store was busy (this test's
    # reads above can hold it as the sweep writes) for the next sweep on it to write
    store = ResultStore(db)
    stored = store.stored_run_ids()
    kept = stored | {p.stem for p in store.spill_folder.glob("*.json")}
    assert 1 <= len(kept) < 12
    at.run()
    assert any(f"Cancelled: {len(kept)} finished runs are stored" in w.value for w in at.warning)
    # no run is left queued, preparing or running once the sweep is cancelled
    states = next(d.value for d in at.main.dataframe if "state" in d.value.columns)
    assert set(states["state"]) <= {"stored", "cancelled"}
    assert (states["state"] == "cancelled").sum() == 12 - len(kept)
    assert f"{len(stored)} already stored, {12 - len(stored)} to run" in sidebar_text(at)


def test_a_second_visitor_neither_sees_nor_cancels_the_first_visitors_sweep(db):
    first = open_page("pages/benchmark.py")
    first.text_input(key="bench_seed").set_value("0-3")
    first.multiselect(key="bench_variant").set_value(["base"])
    first.text_input(key="bench_users").set_value("10").run()
    launch_button(first).click().run()
    try:
        second = open_page("pages/benchmark.py")
        assert any("not launched a sweep yet" in i.value for i in second.info)
        assert not [b for b in second.button if b.label == "Cancel the sweep"]
    finally:
        cancel = [b for b in first.button if b.label == "Cancel the sweep"]
        if cancel:
            cancel[0].click().run()


def test_an_unreadable_database_is_reported_not_a_crash(db):
    db.write_bytes(b"this is not a DuckDB file" * 100)
    results = open_page("pages/results.py")
    results.session_state["res_store"] = "your runs"
    results.run()
    assert any("Could not read" in e.value for e in results.error)
    assert results.get("vega_lite_chart")  # the paper's numbers still show
    bench = open_page("pages/benchmark.py")
    assert any("Could not read" in e.value for e in bench.sidebar.error)


def test_a_hosted_server_refuses_a_grid_over_its_cap_with_a_message(db, monkeypatch):
    from hare_app.hosting import HOSTED
    monkeypatch.setenv("HARE_HOSTED", "1")
    at = open_page("pages/benchmark.py")
    assert any("shared server" in i.value for i in at.main.info)
    assert "3 runs" in sidebar_text(at)
    assert not launch_button(at).disabled
    at.text_input(key="bench_seed").set_value("0-9").run()  # 3 runs a seed: 30
    errors = [e.value for e in at.sidebar.error]
    assert any(f"This grid has 30 runs; a shared server launches at most {HOSTED.max_runs}" in e
               for e in errors), errors
    assert launch_button(at).disabled
    at.text_input(key="bench_users").set_value(str(HOSTED.max_users + 1))
    at.text_input(key="bench_seed").set_value("0").run()
    assert any(f"at most {HOSTED.max_users} users per run" in e.value for e in at.sidebar.error)
    assert launch_button(at).disabled


def test_a_workstation_takes_the_same_grid(db, monkeypatch):
    monkeypatch.setenv("HARE_HOSTED", "0")
    at = open_page("pages/benchmark.py")
    at.text_input(key="bench_seed").set_value("0-9").run()
    assert not at.sidebar.error
    assert "30 runs" in sidebar_text(at)
    assert not launch_button(at).disabled
