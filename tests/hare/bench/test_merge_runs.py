"""`hare merge`: a scratch store's run summaries added to an older store (the shipped one),
nothing recomputed, nothing already there duplicated, one protocol's runs only when asked."""

from __future__ import annotations

import shutil
from pathlib import Path

from hare.bench.store import ResultStore
from hare.cli import main

ROOT = Path(__file__).resolve().parents[3]


def test_runs_are_added_once_to_an_older_store(tmp_path):
    scratch, target = tmp_path / "scratch.duckdb", tmp_path / "hare.duckdb"
    shutil.copy(ROOT / "results" / "hare.duckdb", target)
    before = ResultStore(target).runs()
    assert main(["run", "--dataset", "compas", "--generator", "gs", "--variant", "base", "hare",
                 "--protocol", "authors", "--users", "3", "--seeds", "1", "--workers", "1",
                 "--quiet", "--db", str(scratch)]) == 0
    assert main(["run", "--dataset", "compas", "--generator", "gs", "--variant", "base",
                 "--users", "3", "--seeds", "1", "--workers", "1", "--quiet",
                 "--db", str(scratch)]) == 0  # ours: left out below
    merge = ["merge", str(scratch), "--into", str(target), "--runs-only",
             "--protocol", "authors"]
    assert main(merge) == 0
    assert main(merge) == 0  # again: nothing new
    after = ResultStore(target).runs()
    assert len(after) == len(before) + 2
    added = after[~after["run_id"].isin(before["run_id"])]
    assert set(added["protocol"]) == {"authors"} and set(added["users"]) == {3}
    assert set(before["run_id"]) <= set(after["run_id"])
