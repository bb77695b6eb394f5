"""Each metric is declared once (hare.bench.measures); what is derived from the declarations is
what the shipped store, the paper's numbers and the printed tables already hold."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from hare.bench import measures
from hare.bench.cells import METRICS as CELL_METRICS
from hare.bench.names import SHORT_METRIC, VALUE_NAMES, readable
from hare.bench.paper import PAPER_METRIC, paper_results
from hare.bench.presets import preset_grid
from hare.bench.store import METRICS as STORE_METRICS, RECORD_COLUMNS, RUNS_SCHEMA, USERS_SCHEMA
from hare.bench.store import ResultStore
from hare.bench.summary import SHORT, TABLE4, summary_table

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "results" / "hare.duckdb"
needs_shipped = pytest.mark.skipif(not SHIPPED.is_file(), reason="the shipped store is missing")
COLUMNS_SQL = ("SELECT column_name, data_type FROM information_schema.columns "
               "WHERE table_name = ? ORDER BY ordinal_position")
KEY_SQL = ("SELECT constraint_text FROM duckdb_constraints() "
           "WHERE constraint_type = 'PRIMARY KEY' AND table_name = ?")


def _shipped(sql: str, table: str) -> list[tuple]:
    with duckdb.connect(str(SHIPPED), read_only=True) as con:
        return con.execute(sql, [table]).fetchall()


def _created(sql: str, table: str) -> list[tuple]:
    with duckdb.connect(":memory:") as con:
        con.execute(RUNS_SCHEMA)
        con.execute(USERS_SCHEMA)
        return con.execute(sql, [table]).fetchall()


@needs_shipped
def test_derived_users_table_is_the_shipped_stores():
    """The same columns, in order, with the same types and key: the shipped store opens as is."""
    assert _created(COLUMNS_SQL, "user_results") == _shipped(COLUMNS_SQL, "user_results")
    assert _created(KEY_SQL, "user_results") == _shipped(KEY_SQL, "user_results")


@needs_shipped
def test_metric_columns_of_runs_are_the_shipped_stores_in_order():
    names = {m.name for m in measures.MEASURES}
    shipped = [(n, t) for n, t in _shipped(COLUMNS_SQL, "runs") if n in names]
    assert [(n, t) for n, t in _created(COLUMNS_SQL, "runs") if n in names] == shipped
    assert [(n, t) for n, t in RECORD_COLUMNS if n in names] == shipped


def test_per_user_metrics_are_the_users_tables_metric_columns():
    created = [name for name, _ in _created(COLUMNS_SQL, "user_results")]
    assert [m for m in created if m in {m.name for m in measures.MEASURES}] == list(STORE_METRICS)
    assert "success_rate" not in STORE_METRICS  # a share of users: the run's value only


def test_paper_names_are_the_metrics_of_the_papers_table():
    """Every metric of the paper's CSV has one of ours, under its own name but for proximity
    (CARLA's squared L2, our proximity_sq)."""
    assert set(PAPER_METRIC.values()) == set(paper_results()["metric"])
    assert {ours: paper for ours, paper in PAPER_METRIC.items() if ours != paper} == {
        "proximity_sq": "proximity"}
    assert set(PAPER_METRIC) <= set(CELL_METRICS)


def test_reported_metrics_have_their_names_and_headers():
    assert tuple(SHORT_METRIC) == tuple(VALUE_NAMES["metric"]) == CELL_METRICS
    assert readable("metric", "proximity_sq") == "proximity (squared L2)"
    assert "proximity_l2" not in CELL_METRICS  # stored, never shown
    assert readable("metric", "proximity_l2") == "proximity_l2"


def _results_headers(after: str) -> list[str]:
    """The header row of the first table in docs/results.md after the line starting with
    ``after``."""
    text = (ROOT / "docs" / "results.md").read_text()
    table = re.search(r"^(\|.*\|)$", text[text.index(after):], re.M).group(1)
    return [cell.strip() for cell in table.strip("|").split("|")]


@needs_shipped
def test_tables_printed_after_a_run_have_the_documented_headers():
    """``--all-metrics`` (the paper's metrics, one "ours (paper)" column each: the headers of
    docs/results.md's Table 1) and the default (the summary's metrics, mean ± std beside the
    paper's, and the metrics outside its tolerance)."""
    store = ResultStore(SHIPPED)
    configs = [c for c in preset_grid("table1", seeds=[0], users=150)
               if c.dataset == "adult" and c.model == "ann" and c.generator == "gs"]
    compact = summary_table(configs, store, TABLE4, compact=True)
    assert list(compact.columns) == _results_headers("## Table 1 (preset `table1`): ours")
    default = summary_table(configs, store, SHORT)
    assert list(default.columns) == ["cell", "seeds", "users", "gtp", "paper gtp", "gtd",
                                     "paper gtd", "success_rate", "paper success_rate",
                                     "outside the paper's tolerance"]


@needs_shipped
def test_report_study_headers_are_the_full_reports():
    """A study beyond the paper heads its table with these metrics' headers."""
    from hare.bench.cells import preset_rows, store_cells
    from hare.bench.report import _study
    headers = ["cell", "seeds", "users", *(SHORT_METRIC[m] for m in ("gtp", "gtd", "user_cost"))]
    lines = _study("prefs", preset_rows(store_cells(ResultStore(SHIPPED)), "prefs"))
    assert "| " + " | ".join(headers) + " |" in lines


def test_every_measure_declares_where_it_lives():
    for m in measures.MEASURES:
        assert m.short and m.long and m.sql_type in ("DOUBLE", "INTEGER")
        assert m.paper is None or m.reported, f"{m.name}: the paper reports it, so do we"
    assert [m.name for m in measures.MEASURES if not m.lower_is_better] == ["success_rate"]
