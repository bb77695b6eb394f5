"""The committed results/REPORT.md and docs/results.md are what ``hare report --refresh`` makes
of the shipped store: a run added to results/hare.duckdb without refreshing them fails here."""

from __future__ import annotations

from pathlib import Path

from hare.bench import results_doc
from hare.bench.report import render
from hare.bench.store import ResultStore

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "results" / "hare.duckdb"
REFRESH = "run `python -m hare report --refresh` from the project root"


SOURCE = "results/hare.duckdb"  # as the command names it, run from the root


def test_the_committed_report_is_the_report_of_the_shipped_store():
    made = render(ResultStore(SHIPPED), SOURCE, cells=False) + "\n"
    committed = (ROOT / "results" / "REPORT.md").read_text()
    assert committed == made, f"results/REPORT.md is out of date: {REFRESH}"
    assert "## Verdict" in committed and "## Summary" in committed
    assert "## Table 1 (preset" not in committed  # the cells are in docs/results.md


def test_the_committed_results_page_is_every_cell_of_the_shipped_store():
    made = results_doc.render(ResultStore(SHIPPED), SOURCE) + "\n"
    committed = (ROOT / "docs" / "results.md").read_text()
    assert committed == made, f"docs/results.md is out of date: {REFRESH}"
    assert "## Table 1 (preset `table1`): ours" in committed


def test_refresh_writes_both_files_from_the_store_it_reads(tmp_path, monkeypatch, capsys):
    from hare.cli import main
    store = ResultStore(tmp_path / "mine.duckdb")
    store.init()
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--db", "mine.duckdb", "--refresh", "--out", "x.md"]) == 2
    assert "--refresh writes both files itself" in capsys.readouterr().err
    assert main(["report", "--db", "mine.duckdb", "--refresh"]) == 0
    assert "The store holds no runs." in (tmp_path / "results" / "REPORT.md").read_text()
    assert (tmp_path / "docs" / "results.md").read_text().startswith("# Results: every cell")
