"""Opt-in store of real people's answers, in its own DuckDB file so human preferences become
data without touching the benchmark store. It stores exactly what the page's boxes say: the
changes each question showed, the choices and timing; the profile only if asked to separately.

One transaction per finished session: a ``human_sessions`` row and its ``human_answers`` rows.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd

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
    probability_before DOUBLE, probability_after DOUBLE
)"""

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


class AnswerStore:
    """The human answers DuckDB file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def save(self, run: LiveRun, with_profile: bool = False) -> None:
        """Write a finished session and its answers in one transaction (idempotent per session).
        The profile (and the row it came from) only ``with_profile``."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        p = run.preferences
        constraints = json.dumps({"frozen": list(p.frozen), "ranges": [list(r) for r in p.ranges],
                                  "directions": [list(d) for d in p.directions],
                                  "max_changes": p.max_changes})
        after = run.probability_after()
        change = None if after is None else (run.recourse - run.x[0]).tolist()
        with duckdb.connect(str(self.path)) as con:
            con.execute(SESSIONS_SCHEMA)
            con.execute(ANSWERS_SCHEMA)
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute("DELETE FROM human_answers WHERE session_id = ?", [run.id])
                con.execute("DELETE FROM human_sessions WHERE session_id = ?", [run.id])
                con.execute(
                    f"INSERT INTO human_sessions VALUES ({', '.join(['?'] * 21)})",
                    [run.id, run.started_at, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                     run.setup.dataset, run.setup.model, run.setup.generator, run.setup.budget,
                     run.setup.iterations, run.setup.bps, run.seed, run.setup.target, run.source,
                     run.test_row if with_profile else None, with_profile,
                     run.x[0].tolist() if with_profile else None, change, constraints, run.used,
                     run.accepted, run.probability_before() if with_profile else None, after])
                if run.events:
                    con.executemany(
                        "INSERT INTO human_answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [[run.id, e.seq, e.kind, e.iteration, e.step, e.changes[0],
                          e.changes[1] if len(e.changes) > 1 else None, e.choice, e.shown_at,
                          e.seconds] for e in run.events])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def sessions(self) -> pd.DataFrame:
        if not self.path.is_file():
            return pd.DataFrame()
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute("SELECT * FROM human_sessions ORDER BY started_at").df()

    def answers(self) -> pd.DataFrame:
        if not self.path.is_file():
            return pd.DataFrame()
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute("SELECT * FROM human_answers ORDER BY session_id, seq").df()
