"""scripts/merge_runs.py: a scratch store's run summaries added to an older store, nothing
recomputed, nothing already there duplicated."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from hare.bench.store import ResultStore
from hare.cli import main

ROOT = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("merge_runs", ROOT / "scripts" / "merge_runs.py")
merge_runs = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(merge_runs)


def test_runs_are_added_once_to_an_older_store(tmp_path):
    scratch, target = tmp_path / "scratch.duckdb", tmp_path / "hare.duckdb"
    shutil.copy(ROOT / "results" / "hare.duckdb", target)
    before = ResultStore(target).runs()
    assert main(["run", "--dataset", "compas", "--generator", "gs", "--variant", "base", "hare",
                 "--protocol", "authors", "--users", "3", "--seeds", "1", "--workers", "1",
                 "--quiet", "--db", str(scratch)]) == 0
    assert merge_runs.main([str(scratch), str(target)]) == 0
    assert merge_runs.main([str(scratch), str(target)]) == 0  # again: nothing new
    after = ResultStore(target).runs()
    assert len(after) == len(before) + 2
    added = after[~after["run_id"].isin(before["run_id"])]
    assert set(added["protocol"]) == {"authors"} and set(added["users"]) == {3}
    assert set(before["run_id"]) <= set(after["run_id"])
