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

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


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
    assert "3 cells" in sidebar_text(at)
    at.text_input(key="bench_budgets").set_value("30, lots")
    at.text_input(key="bench_seeds").set_value("")
    at.multiselect(key="bench_models").set_value([])
    at.number_input(key="bench_users").set_value(0).run()
    errors = [e.value for e in at.sidebar.error]
    assert any("'lots' is not a whole number" in e for e in errors)
    assert any("at least one seed" in e for e in errors)
    assert any("choose at least one" in e for e in errors)
    assert any("users" in e or "refused people" in e for e in errors)
    assert launch_button(at).disabled
    at.text_input(key="bench_budgets").set_value("30")
    at.text_input(key="bench_seeds").set_value("0-1")
    at.multiselect(key="bench_models").set_value(["ann"])
    at.number_input(key="bench_users").set_value(5)
    at.text_input(key="bench_iterations").set_value("4").run()
    assert any("not divisible" in e.value for e in at.sidebar.error)
    at.text_input(key="bench_iterations").set_value("5").run()
    assert not at.sidebar.error
    assert "6 cells" in sidebar_text(at) and "6 to run" in sidebar_text(at)


def test_sweep_runs_in_the_background_and_relaunch_skips_finished_cells(db):
    at = open_page("pages/benchmark.py")
    at.multiselect(key="bench_variants").set_value(["base", "hare"])
    at.number_input(key="bench_users").set_value(10).run()
    assert "2 cells" in sidebar_text(at)
    launch_button(at).click().run()
    assert not at.exception
    assert any("cells finished" in p.proto.text for p in at.get("progress"))
    wait_for_sweep(at)
    assert at.success, [e.value for e in at.error]
    assert len(ResultStore(db).stored_run_ids()) == 2
    assert "2 already stored, 0 to run" in sidebar_text(at)
    assert launch_button(at).disabled  # nothing left to run
    assert len(at.main.dataframe[-1].value) == 2  # the finished cells

    results = open_page("pages/results.py")
    results.session_state["res_store"] = "your runs"
    results.run()
    assert any("2 runs stored in 2 cells" in c.value for c in results.caption)
    table1 = chart_data(results)[0]
    ours = table1[table1["source"] == "ours"]
    assert set(ours["variant"]) == {"base", "hare"} and set(ours["generator"]) == {"gs"}
    assert (table1["source"] == "paper").any()  # drawn beside the paper's numbers


def test_cancel_keeps_finished_cells(db):
    at = open_page("pages/benchmark.py")
    at.text_input(key="bench_seeds").set_value("0-3")
    at.multiselect(key="bench_variants").set_value(["base"])
    at.number_input(key="bench_users").set_value(10).run()
    launch_button(at).click().run()
    # Let at least one cell finish, then cancel.
    deadline = time.time() + 120
    while not ResultStore(db).stored_run_ids() and time.time() < deadline:
        time.sleep(0.3)
    cancel = next(b for b in at.button if b.label == "Cancel the sweep")
    cancel.click().run()
    assert not at.exception
    kept = ResultStore(db).stored_run_ids()
    assert 1 <= len(kept) <= 4
    at.run()
    if len(kept) < 4:
        assert any("Cancelled" in w.value for w in at.warning)
        assert f"{len(kept)} already stored, {4 - len(kept)} to run" in sidebar_text(at)


def test_an_unreadable_database_is_reported_not_a_crash(db):
    db.write_bytes(b"this is not a DuckDB file" * 100)
    results = open_page("pages/results.py")
    results.session_state["res_store"] = "your runs"
    results.run()
    assert any("Could not read" in e.value for e in results.error)
    assert results.get("vega_lite_chart")  # the paper's numbers still show
    bench = open_page("pages/benchmark.py")
    assert any("Could not read" in e.value for e in bench.sidebar.error)
