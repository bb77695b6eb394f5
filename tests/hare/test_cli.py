"""The command line and the DuckDB store: grids, skipping, resume after a kill, bad input."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from hare.bench.config import RunConfig, expand_grid
from hare.bench.store import ResultStore
from hare.cli import main
from hare.data import load_dataset

ROOT = Path(__file__).resolve().parents[2]
# in this process: a worker pool's start-up would dominate grids this small
SMALL = ["--dataset", "compas", "--model", "ann", "--generator", "gs", "--users", "8",
         "--quiet", "--workers", "1"]


def _counts(db):
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT count(*), count(DISTINCT run_id) FROM runs").fetchone()
        users = con.execute(
            "SELECT count(*), count(DISTINCT (run_id, user_index)) FROM user_results").fetchone()
        expected = con.execute("SELECT sum(n_users) FROM runs").fetchone()[0]
    return runs, users, expected


def test_grid_runs_stores_and_skips_on_rerun(tmp_path, capsys):
    db = tmp_path / "r.duckdb"
    assert main(["run", *SMALL, "--seeds", "0", "1", "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert "compas ann gs multi_hare B30/T5 far" in out.out and "paper gtp" in out.out
    assert "6 runs in the grid, 0 already stored" in out.err
    (runs, distinct), (users, distinct_users), expected = _counts(db)
    assert runs == distinct == 6 and users == distinct_users == expected == 6 * 8
    assert main(["run", *SMALL, "--seeds", "0", "1", "--db", str(db)]) == 0
    assert "6 already stored" in capsys.readouterr().err
    assert _counts(db)[0] == (6, 6)


def test_stored_run_has_config_metrics_timings_and_versions(tmp_path):
    db = tmp_path / "r.duckdb"
    assert main(["run", *SMALL, "--seeds", "3", "--variant", "multi_hare", "--db", str(db)]) == 0
    run = ResultStore(db).runs().iloc[0]
    cfg = RunConfig("compas", "ann", "gs", "multi_hare", users=8, seed=3)
    assert run["run_id"] == cfg.run_id
    assert (run["budget"], run["iterations"], run["scale"], run["seed"]) == (30, 5, "far", 3)
    assert 0 < run["gtp"] < 2 and run["queries_mean"] == 30 and run["success_rate"] == 1.0
    assert run["hare_seconds"] > 0 and run["wall_seconds"] >= run["hare_seconds"]
    assert run["torch_version"].startswith("2.13") and run["hare_version"]


def test_config_ids_ignore_fields_that_do_not_apply():
    base = RunConfig("adult", "ann", "gs", "base", budget=10, iterations=5)
    assert base.run_id == RunConfig("adult", "ann", "gs", "base", budget=70).run_id
    assert (RunConfig("adult", "ann", "gs", "hare", iterations=5).run_id
            == RunConfig("adult", "ann", "gs", "hare", iterations=1).run_id)
    grid = expand_grid(dataset=["adult"], model=["ann"], generator=["gs"],
                       variant=["base", "hare"], budget=[10, 30], iterations=[5], seed=[0])
    assert len(grid) == 3  # one base, two HARE budgets


# Worker processes deliver a whole group of runs at once, so that grid is larger: the kill has
# to land while most of it is still to do.
@pytest.mark.parametrize("workers,seeds", [(1, ["0", "1"]), (2, ["0", "1", "2", "3"])])
def test_killed_sweep_resumes_without_duplicates_or_gaps(tmp_path, workers, seeds):
    db = tmp_path / "kill.duckdb"
    total = 2 * 3 * len(seeds)  # generators × variants × seeds
    args = [sys.executable, "-m", "hare", "run", "--dataset", "compas", "--model", "ann",
            "--generator", "gs", "wachter", "--users", "10", "--seeds", *seeds, "--quiet",
            "--workers", str(workers), "--db", str(db)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # its own process group, so the kill takes the coordinator and its workers down at once
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    store = ResultStore(db)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if store.exists() and len(store.stored_run_ids()) >= 1:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(store.stored_run_ids())
    assert 1 <= partial < total
    resumed = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{partial} already stored" in resumed.stderr
    (runs, distinct), (users, distinct_users), expected = _counts(db)
    assert runs == distinct == total
    assert users == distinct_users == expected == total * 10


@pytest.mark.parametrize("argv,message", [
    (["--dataset", "mnist"], "invalid choice: 'mnist' (choose from 'adult', 'compas', 'credit')"),
    (["--model", "svm"], "invalid choice: 'svm' (choose from 'ann', 'lr')"),
    (["--generator", "magic"], "invalid choice: 'magic' (choose from "),
    (["--variant", "best"], "invalid choice: 'best' (choose from 'base', 'hare', 'multi_hare', 'active_hare')"),
    (["--budget", "30", "--iterations", "4"], "budget 30 is not divisible by iterations 4"),
    (["--users", "0"], "users must be from 1 to 10,000 (got 0)"),
    (["--budget", "many"], "argument --budget: 'many' is not a whole number"),
    (["--budget", "1000000000"], "budget must be from 2 to 1,000 (got 1000000000)"),
    (["--seeds", "2147483648"], "seed must be from 0 to 2,147,483,647 (got 2147483648)"),
    (["--variant", "hare", "--noise", "bernoulli", "--noise-param", "0.7"],
     "noise_param for bernoulli is a flip probability from 0 to 0.5 (got 0.7)"),
    (["--variant", "hare", "--noise", "logistic", "--noise-param", "-1"],
     "noise_param must be from 0 to 1e+06 (got -1.0)"),
    (["--variant", "hare", "--noise", "logistic", "--noise-param", "nan"],
     "noise_param must be from 0 to 1e+06 (got nan)"),
    (["--seeds", *map(str, range(2000)), "--dataset", "adult", "compas", "credit"],
     "the grid has 18,000 combinations; at most 5,000"),
    (["--threads", "0"], "--threads must be from 1 to 256 (got 0)"),
    (["--scheduler", "notaurl"], "--scheduler must be an address like tcp://"),
])
def test_bad_input_one_line_error_nonzero_exit_nothing_written(tmp_path, capsys, argv, message):
    db = tmp_path / "bad.duckdb"
    assert _exit_code(["run", "--db", str(db), *(["--seeds", "0"] if "--seeds" not in argv else []),
                       *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not db.exists()


def _exit_code(argv):
    """main()'s return value, or the code of argparse's SystemExit for unparsable values."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _run_with_bad_data(tmp_path, capsys) -> str:
    """Run a small grid against the data files the test set up: it must stop with exit 2 and
    one line, writing nothing. Returns that line. (The dataset cache is cleared around it, so
    neither the real files nor the test's leak across tests.)"""
    db = tmp_path / "r.duckdb"
    load_dataset.cache_clear()
    try:
        assert main(["run", *SMALL, "--seeds", "0", "--db", str(db)]) == 2
    finally:
        load_dataset.cache_clear()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert not db.exists()
    return err


def test_missing_data_file_fails_before_writing(tmp_path, capsys, monkeypatch):
    import urllib.error
    from hare.data import files
    monkeypatch.setenv("HARE_DATA_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("HARE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(files.urllib.request, "urlopen",
                        lambda *a, **k: (_ for _ in ()).throw(urllib.error.URLError("offline")))
    err = _run_with_bad_data(tmp_path, capsys)
    assert "compas.csv" in err and "HARE_DATA_DIR" in err and "https://" in err


def test_corrupt_data_file_fails_before_writing(tmp_path, capsys, monkeypatch):
    from hare.data import files
    (tmp_path / "carla").mkdir()
    for name in ("compas.csv", "compas_train.csv", "compas_test.csv"):
        data = files.resolve_data_file(name).read_bytes()
        (tmp_path / "carla" / name).write_bytes(data if name != "compas.csv" else data[:-200])
    monkeypatch.setenv("HARE_DATA_DIR", str(tmp_path))
    assert "does not match its checksum" in _run_with_bad_data(tmp_path, capsys)


def test_compact_keeps_every_run_and_drops_user_rows_on_request(tmp_path):
    db = tmp_path / "r.duckdb"
    assert main(["run", *SMALL, "--seeds", "0", "--db", str(db)]) == 0
    before = ResultStore(db).runs()
    slim = tmp_path / "slim.duckdb"
    assert main(["compact", "--db", str(db), "--out", str(slim), "--runs-only"]) == 0
    after = ResultStore(slim).runs()
    pd.testing.assert_frame_equal(after.sort_values("run_id").reset_index(drop=True),
                                  before.sort_values("run_id").reset_index(drop=True))
    with duckdb.connect(str(slim), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM user_results").fetchone()[0] == 0
    assert main(["compact", "--db", str(db)]) == 0  # in place, with the user rows
    assert _counts(db)[1][0] == 3 * 8


def test_an_unreachable_scheduler_is_one_line_before_anything_is_written(tmp_path, capsys):
    pytest.importorskip("distributed")
    db = tmp_path / "s.duckdb"
    code = _exit_code(["run", "--db", str(db), "--seeds", "0", "--users", "3",
                       "--scheduler", "tcp://127.0.0.1:1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("hare: error: cannot reach the Dask scheduler at tcp://127.0.0.1:1")
    assert not any("Traceback" in line for line in err)
    assert not db.exists()
