"""The results store: a DuckDB file with one ``runs`` row per run and one ``user_results`` row
per user of each run.

Single writer: only the coordinating process writes, one transaction per run (its users and its
summary together), opening the file only for that write so the dashboard can read in between. A
run killed half way leaves nothing behind, and a resumed sweep skips stored run ids.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from hare.bench.config import CONFIG_FIELDS

METRICS = ("gtp", "gtd", "constraint_violations", "redundancy", "proximity_l2", "proximity_sq",
           "sparsity", "user_cost")

RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    dataset VARCHAR, model VARCHAR, generator VARCHAR, variant VARCHAR,
    budget INTEGER, iterations INTEGER, bps VARCHAR, scale VARCHAR,
    noise VARCHAR, noise_param DOUBLE, tolerance DOUBLE, user_model VARCHAR,
    users INTEGER, seed INTEGER,
    n_users INTEGER,            -- factuals actually used (fewer than users if the model has fewer negatives)
    success_rate DOUBLE,
    gtp DOUBLE, gtd DOUBLE, constraint_violations DOUBLE, redundancy DOUBLE,
    proximity_l2 DOUBLE, proximity_sq DOUBLE, sparsity DOUBLE,
    user_cost DOUBLE,           -- the simulated user's own cost of r* (GTP for ground-truth users)
    queries_mean DOUBLE, invalid_candidates_mean DOUBLE, accepted_rate DOUBLE,
    gt_fallbacks INTEGER,
    model_test_accuracy DOUBLE, model_balanced_accuracy DOUBLE, model_test_negatives INTEGER,
    base_seconds DOUBLE, gt_seconds DOUBLE, hare_seconds DOUBLE, wall_seconds DOUBLE,
    hare_version VARCHAR, torch_version VARCHAR, python_version VARCHAR,
    created_at TIMESTAMP
)"""

USERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS user_results (
    run_id VARCHAR, user_index INTEGER, test_row INTEGER,
    valid BOOLEAN,
    gtp DOUBLE, gtd DOUBLE, constraint_violations DOUBLE, redundancy DOUBLE,
    proximity_l2 DOUBLE, proximity_sq DOUBLE, sparsity DOUBLE, user_cost DOUBLE,
    queries INTEGER, accepted BOOLEAN, invalid_candidates INTEGER, gt_fallback BOOLEAN,
    PRIMARY KEY (run_id, user_index)
)"""


@dataclass(frozen=True)
class RunRecord:
    """What a finished run hands to the store: its summary row and its per-user rows."""

    summary: dict  # keys: the runs columns
    users: pd.DataFrame  # columns: the user_results columns


class ResultStore:
    """A DuckDB results file. Writes are one transaction per run; reads are read-only."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def _connect(self, read_only: bool, attempts: int = 50) -> duckdb.DuckDBPyConnection:
        # Another process (the sweep writer, or a reader) may hold the file for a moment.
        for attempt in range(attempts):
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or attempt == attempts - 1:
                    raise
                time.sleep(0.1)
        raise AssertionError("unreachable")

    def init(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect(read_only=False) as con:
            con.execute(RUNS_SCHEMA)
            con.execute(USERS_SCHEMA)

    def exists(self) -> bool:
        return self.path.is_file()

    def stored_run_ids(self) -> set[str]:
        if not self.exists():
            return set()
        with self._connect(read_only=True) as con:
            if not _has_table(con, "runs"):
                return set()
            return {row[0] for row in con.execute("SELECT run_id FROM runs").fetchall()}

    def write(self, record: RunRecord) -> bool:
        """Store one run atomically; False (and nothing written) if its id is already stored."""
        self.init()
        with self._connect(read_only=False) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                run_id = record.summary["run_id"]
                if con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]:
                    con.execute("ROLLBACK")
                    return False
                users = record.users  # noqa: F841  (referenced by name in the SQL below)
                con.execute("INSERT INTO user_results BY NAME SELECT * FROM users")
                summary = pd.DataFrame([record.summary])  # noqa: F841
                con.execute("INSERT INTO runs BY NAME SELECT * FROM summary")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return True

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run a read-only query; an empty frame if the database does not exist yet."""
        if not self.exists():
            return pd.DataFrame()
        with self._connect(read_only=True) as con:
            return con.execute(sql, params or []).df()

    def runs(self) -> pd.DataFrame:
        if not self.exists():
            return pd.DataFrame(columns=list(CONFIG_FIELDS))
        with self._connect(read_only=True) as con:
            if not _has_table(con, "runs"):
                return pd.DataFrame(columns=list(CONFIG_FIELDS))
            return con.execute("SELECT * FROM runs ORDER BY created_at").df()


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0])


def export_compact(source: str | Path, target: str | Path, with_users: bool = False) -> Path:
    """Copy a store into a fresh file: every ``runs`` row, and the ``user_results`` rows only if
    ``with_users`` (the table is kept, empty, otherwise). A rewritten file holds no freed pages,
    so it is the smallest form to ship. ``target`` may be ``source``: it is replaced at the end.
    """
    source, target = Path(source), Path(target)
    scratch = target.with_name(target.name + ".tmp")
    scratch.unlink(missing_ok=True)
    with duckdb.connect(str(scratch)) as con:
        con.execute(RUNS_SCHEMA)
        con.execute(USERS_SCHEMA)
        con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
        con.execute("INSERT INTO runs BY NAME SELECT * FROM src.runs")
        if with_users:
            con.execute("INSERT INTO user_results BY NAME SELECT * FROM src.user_results")
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
    scratch.replace(target)
    return target
