"""Progress of a sweep as data: one JSON line per change of a run's state, in a file that the
runner appends to and a face (the benchmark page) reads.

States: queued → preparing (starting a worker, training or loading a classifier, fitting a
generator, simulating users) → running → stored, or failed (with the error), or cancelled (the
sweep was stopped first). Runs already in the store start as stored. Lines
are short and written with one ``write`` in append mode, so the coordinator and its local worker
processes can share one file.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

STATES = ("queued", "preparing", "running", "stored", "failed", "cancelled")
FINAL = ("stored", "failed", "cancelled")  # a run in one of these states moves no further


@dataclass(frozen=True)
class RunStatus:
    """The latest state of one run of a sweep."""

    run_id: str
    state: str
    detail: str = ""  # what it is preparing, or why it failed
    at: float = 0.0  # time.time() of the change


class StatusLog:
    """Append-only status file of one sweep; ``None`` path = no log (e.g. a Dask worker far
    from the coordinator's disk)."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path is not None else None

    def emit(self, run_ids: Iterable[str], state: str, detail: str = "") -> None:
        if self.path is None:
            return
        if state not in STATES:
            raise ValueError(f"unknown run state {state!r}")
        now = time.time()
        lines = "".join(json.dumps(asdict(RunStatus(run_id, state, detail, now))) + "\n"
                        for run_id in run_ids)
        if not lines:
            return
        # O_APPEND: each write lands whole at the end, whichever process makes it.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, lines.encode())
        finally:
            os.close(fd)

    def latest(self) -> dict[str, RunStatus]:
        """run id -> its latest status (a run that failed and was retried shows the retry)."""
        if self.path is None or not self.path.is_file():
            return {}
        out: dict[str, RunStatus] = {}
        for line in self.path.read_text(errors="replace").splitlines():
            try:
                status = RunStatus(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a line still being written by another process: read it next time
            out[status.run_id] = status
        return out


def counts(statuses: dict[str, RunStatus], run_ids: Iterable[str]) -> dict[str, int]:
    """How many of ``run_ids`` are in each state (runs with no line yet count as queued)."""
    tally = dict.fromkeys(STATES, 0)
    for run_id in run_ids:
        tally[statuses[run_id].state if run_id in statuses else "queued"] += 1
    return tally
