"""Hosted mode: when the app counts as hosted, and what a hosted server lets a sweep use."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from hare_app import hosting
from hare_app.sweep import DEMO_GRID, SweepJob, check_grid


def test_hosted_mode_follows_the_variable_then_the_checkout_folder():
    here = Path("/home/someone/hare")
    assert not hosting.is_hosted({}, here)
    assert hosting.is_hosted({}, Path("/mount/src/hare"))  # Community Cloud's checkout
    assert hosting.is_hosted({"HARE_HOSTED": "1"}, here)
    assert hosting.is_hosted({"HARE_HOSTED": "Yes"}, here)
    assert not hosting.is_hosted({"HARE_HOSTED": "0"}, Path("/mount/src/hare"))
    with pytest.raises(ValueError, match="HARE_HOSTED must be 1 or 0"):
        hosting.is_hosted({"HARE_HOSTED": "maybe"}, here)


def test_a_hosted_grid_is_capped_and_a_workstation_grid_is_not():
    grid = dict(DEMO_GRID, seed="0-9")
    capped = check_grid(grid, limits=hosting.HOSTED)
    assert not capped.ok and "at most 24" in capped.errors["grid"]
    assert check_grid(grid, limits=hosting.WORKSTATION).ok
    assert check_grid(dict(DEMO_GRID), limits=hosting.HOSTED).ok


def test_a_hosted_sweep_runs_in_the_hosted_number_of_workers(tmp_path, monkeypatch):
    started = []

    class Recorder:
        def __init__(self, argv, **kwargs):
            started.append(argv)

    monkeypatch.setattr("hare_app.sweep.subprocess.Popen", Recorder)
    check = check_grid(dict(DEMO_GRID), limits=hosting.HOSTED)
    jobs = [SweepJob(check.configs, tmp_path / "runs.duckdb", workers=hosting.HOSTED.workers),
            SweepJob(check.configs, tmp_path / "runs.duckdb")]
    for job in jobs:  # no runner started, so nothing removes the jobs' temporary folders
        shutil.rmtree(job.folder)
    hosted, workstation = started
    assert hosted[:3] == [sys.executable, "-m", "hare"]
    assert hosted[hosted.index("--workers") + 1] == "1"
    assert "--workers" not in workstation  # the runner's default: one per core
