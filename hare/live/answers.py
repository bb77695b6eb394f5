"""Opt-in store of real people's answers, in its own DuckDB file so human preferences become
data without touching the benchmark store. It stores exactly what the page's boxes say: the
changes each question showed, the choices and timing; the profile only if asked to separately.

One transaction per finished session: a ``human_sessions`` row and its ``human_answers`` rows.
Saves never lose a session to a concurrent one: one writer at a time per process, and retries
with backoff while another process holds the file; what still fails is a ``StoreError``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from hare.errors import StoreError, make_folder_for

if TYPE_CHECKING:
    from hare.live.run import LiveRun

SESSIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS human_sessions (
    session_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP, finished_at TIMESTAMP,
    dataset VARCHAR, model VARCHAR, generator VARCHAR,
    budget INTEGER, iterations INTEGER, bps VARCHAR, seed BIGINT, target DOUBLE,
    source VARCHAR,            -- 'test_row' or 'entered'
    test_row INTEGER,
    profile_stored BOOLEAN,    -- the person also ticked "store my profile"
    factual DOUBLE[],          -- encoded profile, NULL unless profile_stored
    recourse_change DOUBLE[],  -- final recourse minus profile (encoded), NULL if none
    constraints VARCHAR,       -- JSON: frozen features, ranges, directions, at most k
    queries INTEGER, accepted BOOLEAN,
    probability_before DOUBLE, probability_after DOUBLE,
    method VARCHAR             -- how questions were chosen: 'hare' or 'active'
)"""
# Files written before active HARE came to the page lack ``method``; all their sessions were
# HARE's tournament, so the column is added with that value.
SESSIONS_MIGRATION = ("ALTER TABLE human_sessions ADD COLUMN IF NOT EXISTS "
                      "method VARCHAR DEFAULT 'hare'")

ANSWERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS human_answers (
    session_id VARCHAR, seq INTEGER,
    kind VARCHAR, iteration INTEGER, step INTEGER,
    current_change DOUBLE[],   -- option minus profile, encoded (the changes shown)
    challenger_change DOUBLE[],
    choice BOOLEAN,            -- preferred the challenger / said good enough
    shown_at TIMESTAMP, seconds DOUBLE,
    PRIMARY KEY (session_id, seq)
)"""


# DuckDB lets one process write a file at a time, and within a process two connections writing
# at once conflict (write-write) or refuse a second handle. So a process writes through this
# lock, and waits for other processes with backoff up to BUSY_SECONDS.
_WRITER = threading.Lock()
BUSY_SECONDS = 60.0
_FIRST_WAIT, _LONGEST_WAIT = 0.01, 0.2

INSERT_SESSION = "INSERT INTO human_sessions VALUES (" + ", ".join(["?"] * 22) + ")"
INSERT_ANSWER = "INSERT INTO human_answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


@dataclass(frozen=True)
class AnswerRecord:
    """What one finished session stores: its ``human_sessions`` row and its ``human_answers``
    rows, each in column order."""

    session_id: str
    session: tuple
    answers: tuple[tuple, ...]

    @classmethod
    def of(cls, run: LiveRun, with_profile: bool = False) -> AnswerRecord:
        """The rows for a finished run; the profile (and its row) only ``with_profile``."""
        p = run.preferences
        constraints = json.dumps({"frozen": list(p.frozen), "ranges": [list(r) for r in p.ranges],
                                  "directions": [list(d) for d in p.directions],
                                  "max_changes": p.max_changes})
        after = run.probability_after()
        change = None if after is None else (run.recourse - run.x[0]).tolist()
        session = (run.id, run.started_at, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                   run.config.dataset, run.config.model, run.config.generator,
                   run.config.budget, run.config.rounds, run.config.bps, run.seed,
                   run.config.target, run.source,
                   run.test_row if with_profile else None, with_profile,
                   run.x[0].tolist() if with_profile else None, change, constraints, run.used,
                   run.accepted, run.probability_before() if with_profile else None, after,
                   run.config.method)
        answers = tuple((run.id, e.seq, e.kind, e.iteration, e.step, e.changes[0],
                         e.changes[1] if len(e.changes) > 1 else None, e.choice, e.shown_at,
                         e.seconds) for e in run.events)
        return cls(run.id, session, answers)


def _busy(exc: duckdb.Error) -> bool:
    """Another writer holds the file (another process) or the catalog (another connection)."""
    text = str(exc)
    return (isinstance(exc, duckdb.TransactionException) and "conflict" in text.lower()) or (
        isinstance(exc, (duckdb.IOException, duckdb.ResourceInUseException))
        and ("lock" in text.lower() or "already attached" in text))


class AnswerStore:
    """The human answers DuckDB file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def save(self, run: LiveRun, with_profile: bool = False) -> None:
        """Write a finished session and its answers in one transaction (idempotent per session).
        The profile (and the row it came from) only ``with_profile``. Raises ``StoreError``
        (nothing written) when the file cannot be created or written."""
        self.write(AnswerRecord.of(run, with_profile))

    def write(self, record: AnswerRecord) -> None:
        """Store ``record``, replacing an earlier save of the same session; waits while another
        writer holds the file, up to ``BUSY_SECONDS``."""
        make_folder_for(self.path, f"the answers store {self.path}")
        deadline, wait = time.monotonic() + BUSY_SECONDS, _FIRST_WAIT
        while True:
            try:
                with _WRITER:
                    self._write_once(record)
                return
            except duckdb.Error as exc:
                if not _busy(exc):
                    raise StoreError(f"cannot write the answers store {self.path}: "
                                     f"{str(exc).splitlines()[0]}") from None
                if time.monotonic() + wait > deadline:
                    raise StoreError(f"the answers store {self.path} stayed in use by another "
                                     f"process for {BUSY_SECONDS:g} s") from None
            # jitter, so processes that collided do not retry in step
            time.sleep(wait * random.uniform(0.5, 1.5))
            wait = min(2 * wait, _LONGEST_WAIT)

    def _write_once(self, record: AnswerRecord) -> None:
        with duckdb.connect(str(self.path)) as con:
            con.execute(SESSIONS_SCHEMA)
            con.execute(SESSIONS_MIGRATION)
            con.execute(ANSWERS_SCHEMA)
            # Closing the connection before COMMIT rolls the transaction back: a failed save
            # leaves nothing of itself (an explicit ROLLBACK after a failed COMMIT would raise).
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM human_answers WHERE session_id = ?", [record.session_id])
            con.execute("DELETE FROM human_sessions WHERE session_id = ?", [record.session_id])
            con.execute(INSERT_SESSION, list(record.session))
            if record.answers:
                con.executemany(INSERT_ANSWER, [list(a) for a in record.answers])
            con.execute("COMMIT")

    def sessions(self) -> pd.DataFrame:
        return self._read("SELECT * FROM human_sessions ORDER BY started_at")

    def answers(self) -> pd.DataFrame:
        return self._read("SELECT * FROM human_answers ORDER BY session_id, seq")

    def _read(self, sql: str) -> pd.DataFrame:
        if not self.path.is_file():
            return pd.DataFrame()
        # under the writer's lock: DuckDB refuses a read-only handle beside this process's writer
        with _WRITER, duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).df()
