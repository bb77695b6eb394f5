"""Background sweeps on a shared server: a server-wide cap on sweeps at once, said plainly, and
each sweep's temporary folder removed when it ends (hare_app.sweep)."""

from __future__ import annotations

import time

import pytest

from hare.errors import ConfigError
from hare_app.sweep import DEMO_GRID, SweepRegistry, check_grid


def _wait(job, seconds=120):
    deadline = time.time() + seconds
    while job.status().running:
        assert time.time() < deadline, "the sweep did not end"
        time.sleep(0.3)
    return job.status()


def test_a_sweep_s_folder_is_removed_when_it_ends_and_its_status_kept(tmp_path):
    blocked = tmp_path / "a-folder.duckdb"
    blocked.mkdir()  # the runner refuses a folder as its store, at once
    job = SweepRegistry().launch(check_grid(DEMO_GRID), blocked, "visitor")
    assert job.folder.is_dir()
    status = _wait(job)
    assert not job.folder.exists()
    assert status.returncode == 2 and status.message  # its one-line reason survives the folder
    assert job.status() is status


def test_the_server_runs_at_most_so_many_sweeps_at_once(tmp_path):
    registry = SweepRegistry(max_running=1)
    first = registry.launch(check_grid(DEMO_GRID), tmp_path / "a.duckdb", "first")
    try:
        with pytest.raises(ConfigError, match="running 1 sweeps, as many as it runs at once"):
            registry.launch(check_grid(DEMO_GRID), tmp_path / "b.duckdb", "second")
    finally:
        first.cancel()
    assert not first.folder.exists()
    second = registry.launch(check_grid(DEMO_GRID), tmp_path / "b.duckdb", "second")
    second.cancel()
    assert not second.folder.exists()
