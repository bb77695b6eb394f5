"""Executors: local worker processes and a Dask cluster give the same runs as in-process, and
only the coordinator writes the store."""

import json

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

    root = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hare", "run", "--dataset", "compas", "adult", "--model", "ann",
         "--generator", "gs", "--users", "20", "--seeds", "0", "1", "--workers", "2", "--quiet",
         "--db", str(tmp_path / "w.duckdb")],
        # its own model cache: every seed's classifier is trained, however warm the caller's is
        cwd=root, env=dict(os.environ, PYTHONPATH=str(root),
                           HARE_CACHE_DIR=str(tmp_path / "cache")),
        stdout=subprocess.DEVNULL,
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


def _start_sweep(tmp_path, *extra):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    return subprocess.Popen(
        [sys.executable, "-m", "hare", "run", "--dataset", "compas", "--model", "ann",
         "--generator", "gs", "--variant", "base", "--users", "10", "--seeds", *map(str, range(12)),
         "--workers", "2", "--quiet", "--db", str(tmp_path / "i.duckdb"), *extra],
        # its own model cache: every seed's classifier is trained, however warm the caller's is
        cwd=root, env=dict(os.environ, PYTHONPATH=str(root),
                           HARE_CACHE_DIR=str(tmp_path / "cache")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)


def test_ctrl_c_stops_within_seconds_keeps_finished_runs_and_says_how_to_resume(tmp_path):
    """Twelve seeds, each with a classifier to train: an interrupt after the first stored run
    always finds work queued and running, which must not be waited for."""
    import signal
    import time

    proc = _start_sweep(tmp_path, "--status", str(tmp_path / "status.jsonl"))
    store = ResultStore(tmp_path / "i.duckdb")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not store.stored_run_ids():
        time.sleep(0.2)
    assert store.stored_run_ids(), "no run finished"
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 5
    assert proc.returncode == 130
    assert "interrupted; finished runs are stored, re-run the same command to resume" in err
    assert "Traceback" not in err
    runs = store.query("SELECT run_id, count(*) AS n FROM runs GROUP BY run_id")
    assert 1 <= len(runs) < 12 and (runs["n"] == 1).all()
    # the resumed sweep runs only what is missing, and every run is stored once
    done = len(runs)
    resumed = _start_sweep(tmp_path)
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert f"{done} already stored in" in err and f"{12 - done} to run" in err
    assert len(store.query("SELECT DISTINCT run_id FROM runs")) == 12
    assert len(store.query("SELECT run_id FROM runs")) == 12


def test_a_busy_store_never_loses_computed_runs(tmp_path, reference):
    """Another process holds the store for longer than the writer waits: the runs are kept in
    the side folder and written by the next sweep on that store."""
    import subprocess
    import sys

    from hare.bench.status import StatusLog

    grid = expand_grid(**GRID)
    store = ResultStore(tmp_path / "busy.duckdb")
    holder = []

    class LockWhenQueued(StatusLog):
        """Once the sweep has read the store and queued its runs, another process takes it."""

        def emit(self, run_ids, state, detail=""):
            if state == "queued" and not holder:
                holder.append(subprocess.Popen(
                    [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
                     " print('locked', flush=True); time.sleep(60)", str(store.path)],
                    stdout=subprocess.PIPE, text=True))
                assert holder[0].stdout.readline().strip() == "locked"

    try:
        written = run_grid(grid, store, progress=False, busy_wait_seconds=1.0,
                           status=LockWhenQueued(None))
        assert len(written) == 4  # computed
        assert len(list(store.spill_folder.glob("*.json"))) == 4  # kept, not lost
    finally:
        holder[0].kill()
        holder[0].wait()
    assert store.stored_run_ids() == set()
    assert run_grid(grid, store, progress=False) == []  # the next sweep writes them first
    assert store.stored_run_ids() == {c.run_id for c in grid}
    assert not store.spill_folder.exists()
    pd.testing.assert_frame_equal(_frame(store), reference, atol=1e-6, rtol=0)  # the same runs


def test_groups_with_most_runs_go_to_the_workers_first():
    """Largest groups first (so the last to start are small); each group shares a key."""
    from hare.bench.executor import task_groups
    from hare.bench.runner import group_key

    configs = (expand_grid(dataset=["compas"], model=["ann"], generator=["gs"],
                           variant=["base"], users=[6], seed=[0])
               + expand_grid(dataset=["adult"], model=["lr"], generator=["gs", "wachter"],
                             variant=["base", "hare", "multi_hare"], users=[6], seed=[0]))
    groups = task_groups(configs)
    assert [len(g) for g in groups] == [6, 1]
    assert all(len({group_key(c) for c in g}) == 1 for g in groups)


def test_progress_says_what_each_run_waits_on_and_an_interrupt_cancels_the_rest(tmp_path,
                                                                                monkeypatch):
    """Every run of a group is "preparing" while its classifier is trained or loaded (not
    "queued"), and a sweep stopped half way marks what it did not finish as cancelled."""
    from hare.bench import runner
    from hare.bench.status import StatusLog
    configs = expand_grid(**GRID)
    log = StatusLog(tmp_path / "status.jsonl")
    monkeypatch.setattr(runner, "classifier_cached", lambda *args: False)  # say "training"

    def stop_after_first(record, done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_grid(configs, ResultStore(tmp_path / "s.duckdb"), progress=False, status=log,
                 on_stored=stop_after_first)
    events = [json.loads(line) for line in log.path.read_text().splitlines()]
    seed0 = {c.run_id for c in configs if c.seed == 0}
    first_running = next(i for i, e in enumerate(events) if e["state"] == "running")
    preparing = {e["run_id"] for e in events[:first_running] if e["state"] == "preparing"
                 and e["detail"] == "training the COMPAS neural network classifier (seed 0)"}
    assert preparing == seed0  # both runs of the group, before either runs
    latest = log.latest()
    assert sum(s.state == "stored" for s in latest.values()) == 1
    assert sum(s.state == "cancelled" for s in latest.values()) == 3
    assert not any(s.state in ("queued", "preparing", "running") for s in latest.values())


def test_a_lost_dask_scheduler_ends_in_one_error_and_keeps_finished_runs(tmp_path):
    """A real scheduler and worker on 127.0.0.1; the scheduler is killed once a run is stored."""
    import socket
    import subprocess
    import sys
    import time

    pytest.importorskip("distributed")
    from hare.errors import SchedulerLost

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                  "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                               "--nworkers", "1", "--nthreads", "1", "--no-dashboard"], **quiet)
    try:
        from distributed import Client
        deadline = time.time() + 60
        while True:  # the worker has joined
            try:
                with Client(address, timeout=5) as client:
                    if client.scheduler_info()["workers"]:
                        break
            except OSError:
                pass
            assert time.time() < deadline, "the local Dask cluster did not start"
            time.sleep(0.5)
        store = ResultStore(tmp_path / "lost.duckdb")
        configs = expand_grid(**(GRID | {"variant": ["base"], "seed": list(range(6))}))
        with pytest.raises(SchedulerLost) as lost:
            run_grid(configs, store, progress=False, scheduler=address,
                     on_stored=lambda record, done, total: done == 1 and scheduler.kill())
        message = str(lost.value)
        assert message.startswith(f"lost the Dask scheduler at {address}") and "\n" not in message
        kept = len(store.runs())
        assert kept >= 1 and f"runs stored by this sweep: {kept} of 6" in message
    finally:
        for process in (worker, scheduler):
            process.kill()
            process.wait(10)
