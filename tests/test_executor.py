"""Executors: local worker processes and a Dask cluster give the same runs as in-process, and
only the coordinator writes the store."""

import pandas as pd
import pytest

from hare.bench.config import expand_grid
from hare.bench.executor import run_grid
from hare.bench.store import ResultStore

GRID = dict(dataset=["compas"], model=["ann"], generator=["gs"], variant=["base", "multi_hare"],
            users=[6], seed=[0, 1])


def _frame(store):
    cols = ["run_id", "gtp", "gtd", "success_rate", "queries_mean"]
    return store.runs()[cols].sort_values("run_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    store = ResultStore(tmp_path_factory.mktemp("ref") / "ref.duckdb")
    run_grid(expand_grid(**GRID), store, progress=False)
    return _frame(store)


def test_local_processes_match_in_process(tmp_path, reference):
    store = ResultStore(tmp_path / "p.duckdb")
    written = run_grid(expand_grid(**GRID), store, progress=False, workers=2)
    assert len(written) == 4
    pd.testing.assert_frame_equal(_frame(store), reference, atol=1e-6, rtol=0)


def test_dask_cluster_runs_cells_and_coordinator_writes(tmp_path, reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        store = ResultStore(tmp_path / "d.duckdb")
        seen = []
        written = run_grid(expand_grid(**GRID), store, progress=False,
                           scheduler=cluster.scheduler_address,
                           on_stored=lambda record, done, total: seen.append((done, total)))
        assert len(written) == 4 and seen[-1] == (4, 4)
        pd.testing.assert_frame_equal(_frame(store), reference, atol=1e-6, rtol=0)
        # a second launch of the same grid finds everything stored and computes nothing
        assert run_grid(expand_grid(**GRID), store, progress=False,
                        scheduler=cluster.scheduler_address) == []


def test_workers_exit_when_the_coordinator_is_killed(tmp_path):
    """A coordinator killed outright (no pool shutdown) leaves no orphaned worker behind."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from benchmarks.peak_memory import children

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hare", "run", "--dataset", "compas", "adult", "--model", "ann",
         "--generator", "gs", "--users", "20", "--seeds", "0", "1", "--workers", "2", "--quiet",
         "--db", str(tmp_path / "w.duckdb")],
        cwd=root, env=dict(os.environ, PYTHONPATH=str(root)), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)

    deadline = time.monotonic() + 60
    workers = []
    while time.monotonic() < deadline and len(workers) < 2 and proc.poll() is None:
        workers = children(proc.pid)  # the pool's resource tracker and its two workers
        time.sleep(0.2)
    assert len(workers) >= 2, "the worker pool did not start"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 20
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.3)
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists()
                 and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]
    assert not alive, f"workers {alive} outlived their coordinator"
