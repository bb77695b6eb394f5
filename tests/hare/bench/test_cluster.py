"""Sweeps on Slurm / PBS through dask-jobqueue: the job script a dry run prints (computing
nothing), the options checked at the edge, and a grid run on dask-jobqueue's local cluster that
stores the same numbers as a local run, with a job killed mid-sweep losing no run and
duplicating none."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from hare.bench.cluster import ClusterSettings, close
from hare.bench.config import expand_grid
from hare.bench.executor import run_grid
from hare.bench.store import ResultStore
from hare.cli import main

pytest.importorskip("dask_jobqueue")
ROOT = Path(__file__).resolve().parents[3]
# the executor tests' small grid, its store's comparable columns and its in-process reference
from test_executor import GRID, _frame, reference  # noqa: F401  (reference is a fixture)


def test_a_slurm_dry_run_prints_the_job_script_and_computes_nothing(tmp_path, capsys):
    db = tmp_path / "runs.duckdb"
    assert main(["run", "--dataset", "adult", "--generator", "gs", "--seeds", "0", "1",
                 "--users", "10", "--db", str(db), "--dry-run", "--cluster", "slurm",
                 "--jobs", "3", "--job-cores", "8", "--job-memory", "16GiB",
                 "--walltime", "02:30:00", "--queue", "short", "--account", "proj42",
                 "--job-prologue", "module load python/3.11",
                 "--job-prologue", "source ~/venvs/hare/bin/activate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"6 runs in the grid, 0 already stored in {db} (no such file yet), "
                          "6 to run on 3 SLURM jobs (8 cores, 16GiB each, walltime 02:30:00)")
    script = out.split("#!/usr/bin/env bash", 1)[1]
    for line in ("#SBATCH -J hare-worker", "#SBATCH -p short", "#SBATCH -A proj42",
                 "#SBATCH --cpus-per-task=8", "#SBATCH --mem=16G", "#SBATCH -t 02:30:00",
                 f"cd {Path.cwd()}", "module load python/3.11",
                 "source ~/venvs/hare/bin/activate", "--nthreads 1", "--nworkers 8"):
        assert line in script, line
    # the prologue runs before the worker starts
    assert script.index("module load python/3.11") < script.index("distributed.cli.dask_worker")
    assert not db.exists() and list(tmp_path.iterdir()) == []


def test_a_pbs_job_script_has_its_directives():
    script = ClusterSettings("pbs", jobs=1, job_cores=4, job_memory="8GiB", queue="workq",
                             account="proj42").job_script()
    for line in ("#PBS -N hare-worker", "#PBS -q workq", "#PBS -A proj42",
                 "#PBS -l select=1:ncpus=4:mem=8192MB", "#PBS -l walltime=01:00:00"):
        assert line in script, line


def test_the_job_script_passes_the_data_and_cache_folders_on(monkeypatch):
    monkeypatch.setenv("HARE_DATA_DIR", "/shared/hare data")
    monkeypatch.setenv("HARE_CACHE_DIR", "/scratch/cache")
    script = ClusterSettings("slurm").job_script()
    assert "export HARE_DATA_DIR='/shared/hare data'" in script
    assert "export HARE_CACHE_DIR=/scratch/cache" in script


@pytest.mark.parametrize("argv,message", [
    (["--cluster", "slurm", "--walltime", "2h"], "--walltime must be [D-]HH:MM:SS"),
    (["--cluster", "slurm", "--job-memory", "lots"], "--job-memory must be a size like 8GiB"),
    (["--cluster", "pbs", "--jobs", "0"], "--jobs must be from 1 to 1000"),
    (["--cluster", "slurm", "--queue", "short; rm -rf /"], "--queue must be one word"),
    (["--jobs", "4"], "--jobs only apply with --cluster slurm|pbs"),
    (["--cluster", "slurm", "--scheduler", "tcp://10.0.0.5:8786"], "give one"),
])
def test_bad_cluster_options_are_one_line_before_anything_runs(tmp_path, capsys, argv, message):
    db = tmp_path / "runs.duckdb"
    assert main(["run", "--dataset", "adult", "--users", "5", "--seeds", "0", "--db", str(db),
                 *argv]) == 2
    assert message in capsys.readouterr().err
    assert not db.exists()


def _kill_a_busy_job(cluster, killed: list, stop: threading.Event) -> None:
    """As soon as a worker is computing a task, SIGKILL its whole job (a node lost mid-run, a
    job past its walltime)."""
    from distributed import Client
    with Client(cluster.scheduler_address, timeout=30) as client:
        while not stop.is_set():
            busy = [worker for worker, tasks in client.processing().items() if tasks]
            if busy:
                name = client.scheduler_info()["workers"][busy[0]]["name"]
                time.sleep(0.5)  # inside the task: it has started importing and computing
                while name not in cluster.workers:  # listed once every job has started
                    time.sleep(0.05)
                os.kill(int(cluster.workers[name].job_id), signal.SIGKILL)
                killed.append(name)
                return
            time.sleep(0.05)


def test_a_jobqueue_cluster_stores_what_a_local_run_does_and_a_killed_job_loses_nothing(
        tmp_path, reference, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the jobs' workers import this project
    settings = ClusterSettings("local", jobs=2, job_cores=1, job_memory="2GiB")
    store = ResultStore(tmp_path / "c.duckdb")
    killed: list[int] = []
    stop = threading.Event()
    cluster = settings.start()
    try:
        killer = threading.Thread(target=_kill_a_busy_job, args=(cluster, killed, stop),
                                  daemon=True)
        killer.start()
        written = run_grid(expand_grid(**GRID), store, progress=False, cluster=cluster)
        stop.set()
        killer.join(30)
    finally:
        close(cluster)
    assert killed, "no job was killed mid-sweep"
    assert written.failures == []
    ids = [record.summary["run_id"] for record in written]
    assert len(ids) == 4 and len(set(ids)) == 4  # every run once: none lost, none twice
    assert len(store.runs()) == 4
    pd.testing.assert_frame_equal(_frame(store), reference, atol=1e-6, rtol=0)
