"""Hosted mode: what a visitor of a public server may launch.

A workstation runs the benchmark page as its owner likes; a public host (Streamlit Community
Cloud gives an app about 2 cores and 2.7 GB, a container host often less) is shared by every
visitor, so there a grid is capped and a sweep runs in one worker process. ``HARE_HOSTED``
decides (1/true/yes or 0/false/no); unset, the app is hosted when it runs from
Community Cloud's checkout folder, ``/mount/src``, where that host clones every app.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hare_app.paths import APP_ROOT

ENV = "HARE_HOSTED"
COMMUNITY_CLOUD_CHECKOUTS = Path("/mount/src")
_YES, _NO = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Limits:
    """What one launch from the benchmark page may ask for."""

    max_runs: int | None  # runs in one grid; None: the engine's own bound (MAX_GRID)
    max_users: int  # simulated users per run
    workers: int | None  # the sweep's worker processes; None: the runner's default, one per core
    running_sweeps: int  # sweeps at once on the server, whoever launched them
    hosted: bool


WORKSTATION = Limits(max_runs=None, max_users=500, workers=None, running_sweeps=2, hosted=False)
# About a minute of a shared core per launch at the form's start (20 users, one seed): 24 runs
# are a Table 1 row of one dataset and model; the paper's full grids are for `hare sweep`.
HOSTED = Limits(max_runs=24, max_users=150, workers=1, running_sweeps=1, hosted=True)


def is_hosted(environ: dict[str, str] | None = None, root: Path = APP_ROOT) -> bool:
    """``HARE_HOSTED`` when set; otherwise whether the app runs from Community Cloud's checkouts."""
    value = (os.environ if environ is None else environ).get(ENV)
    if value is not None:
        text = value.strip().lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise ValueError(f"{ENV} must be 1 or 0 (true/false, yes/no); got {value!r}")
    return root.is_relative_to(COMMUNITY_CLOUD_CHECKOUTS)


def limits() -> Limits:
    """The limits in force on this server."""
    return HOSTED if is_hosted() else WORKSTATION
