"""The results store: a DuckDB file with one ``runs`` row per run and one ``user_results`` row
per user of each run.

Single writer: only the coordinating process writes, one transaction per run (its users and its
summary together), opening the file only for that write so the dashboard can read in between. A
run killed half way leaves nothing behind, and a resumed sweep skips stored run ids.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from hare.errors import (ConfigError, StoreBusy, StoreError, StoreNotCheckpointed,
                         make_folder_for)
from hare.bench import person_shares
from hare.bench.config import RunConfig
from hare.bench.measures import MEASURES, PER_USER

METRICS = PER_USER  # the metrics with a value per user (user_results), the run's their mean

_SQL_TYPES = {str: "VARCHAR", int: "INTEGER", float: "DOUBLE", bool: "BOOLEAN"}

# A run's summary row: its id, every RunConfig field (derived), then what the run measured.
RECORD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("n_users", "INTEGER"),  # factuals actually used (fewer than users if the model has fewer negatives)
    # run-level metrics (success_rate), then the per-user ones' means: as stores were shipped
    *((m.name, m.sql_type) for m in MEASURES if not m.per_user),
    *((m.name, m.sql_type) for m in MEASURES if m.per_user),
    ("queries_mean", "DOUBLE"), ("invalid_candidates_mean", "DOUBLE"), ("accepted_rate", "DOUBLE"),
    ("gt_fallbacks", "INTEGER"),
    # users whose ground truth the model rejects, and whose recourse leaves [0, 1] (the
    # authors' protocol lets both happen); NULL for runs stored before they were counted
    ("gt_rejected", "INTEGER"), ("out_of_range", "INTEGER"),
    ("model_test_accuracy", "DOUBLE"), ("model_balanced_accuracy", "DOUBLE"),
    ("model_test_negatives", "INTEGER"),
    ("base_seconds", "DOUBLE"), ("gt_seconds", "DOUBLE"), ("hare_seconds", "DOUBLE"),
    ("wall_seconds", "DOUBLE"),
    ("hare_version", "VARCHAR"), ("torch_version", "VARCHAR"), ("python_version", "VARCHAR"),
    ("created_at", "TIMESTAMP"),
    # Which engine computed the run (hare.ENGINE_REVISION); NULL for runs stored before it existed.
    ("engine_revision", "VARCHAR"),
    # sha256 of a person's own data file and model file (hare run --data); NULL otherwise
    ("data_sha256", "VARCHAR"), ("model_sha256", "VARCHAR"),
)
# Every store version had these, so a reader can rely on them (later fields read as defaults).
READ_COLUMNS = ("run_id", "dataset", "model", "generator", "variant", "seed", "created_at")
# DDL takes no parameters: each statement is built here from declared names, types and defaults.
_ADD_COLUMN = {name: f"ALTER TABLE runs ADD COLUMN {name} {kind}" for name, kind in RECORD_COLUMNS}


@dataclass(frozen=True, eq=False)
class RunTable:
    """The ``runs`` table of one run schema (RunConfig, or a schema that extends it): its
    columns, and how an older store gains the config fields declared since it was written."""

    config_cls: type[RunConfig]

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        schema = self.config_cls.schema()
        return (("run_id", "VARCHAR PRIMARY KEY"),
                *((name, _SQL_TYPES[schema.types[name]]) for name in schema.names),
                *RECORD_COLUMNS)

    @property
    def create(self) -> str:
        return ("CREATE TABLE IF NOT EXISTS runs (\n    "
                + ",\n    ".join(f"{name} {kind}" for name, kind in self.columns) + "\n)")

    @property
    def later_fields(self) -> tuple[str, ...]:
        """Config fields a store written before them may lack: every row in such a store ran
        at the field's default."""
        return tuple(name for name in self.config_cls.schema().names
                     if name not in self.config_cls.ID_FIELDS)

    def add_config_column(self, name: str) -> str:
        schema = self.config_cls.schema()
        return (f"ALTER TABLE runs ADD COLUMN {name} {_SQL_TYPES[schema.types[name]]}"
                f"{_sql_default(schema.defaults[name])}")


def _sql_default(value) -> str:
    """`` DEFAULT <literal>`` for a declared default (code's constants, never user input)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f" DEFAULT {str(value).upper()}"
    if isinstance(value, (int, float)):
        return f" DEFAULT {value!r}"
    if isinstance(value, str):
        return " DEFAULT '" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for a default of type {type(value).__name__}")


RUN_TABLE = RunTable(RunConfig)
RUN_COLUMNS = RUN_TABLE.columns
RUNS_SCHEMA = RUN_TABLE.create

# A user's row: who, whether the recourse is valid, each per-user metric, then what the session
# cost and whether the ground truth needed its fallback.
USER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR"), ("user_index", "INTEGER"), ("test_row", "INTEGER"), ("valid", "BOOLEAN"),
    *((m.name, m.sql_type) for m in MEASURES if m.per_user),
    ("queries", "INTEGER"), ("accepted", "BOOLEAN"), ("invalid_candidates", "INTEGER"),
    ("gt_fallback", "BOOLEAN"),
)
USERS_SCHEMA = ("CREATE TABLE IF NOT EXISTS user_results (\n    "
                + ",\n    ".join(f"{name} {kind}" for name, kind in USER_COLUMNS)
                + ",\n    PRIMARY KEY (run_id, user_index)\n)")


@dataclass(frozen=True)
class RunRecord:
    """What a finished run hands to the store: its summary row and its per-user rows."""

    summary: dict  # keys: the runs columns
    users: pd.DataFrame  # columns: the user_results columns


class ResultStore:
    """A DuckDB results file. Writes are one transaction per run; reads are read-only."""

    def __init__(self, path: str | Path, config_cls: type[RunConfig] = RunConfig):
        self.path = Path(path)
        self.table = RunTable(config_cls)

    def _connect(self, read_only: bool, attempts: int = 50) -> duckdb.DuckDBPyConnection:
        # Another process (the sweep writer, or a reader) may hold the file for a moment.
        for attempt in range(attempts):
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                text = str(exc).lower()
                if "lock" in text and attempt < attempts - 1:
                    time.sleep(0.1)
                    continue
                if "lock" in text:
                    raise StoreBusy(f"{self.path} is in use by another process; try again when "
                                     "it is done") from None
                raise self._unreadable(exc) from None
            except duckdb.Error as exc:
                raise StoreError(f"cannot open {self.path} as a results store: "
                                 f"{str(exc).splitlines()[0]}") from None
        raise AssertionError("unreachable")

    def _unreadable(self, exc: duckdb.Error) -> StoreError:
        first = str(exc).splitlines()[0]
        if not _has_duckdb_header(self.path):
            return StoreError(f"cannot open {self.path} as a results store: {first}")
        return StoreError(f"{self.path} cannot be read as a results store ({first}); a sweep "
                          "stopped while creating it (a full disk, a killed process) leaves such "
                          f"a file: remove it (rm {self.path}) to start a new one, or choose "
                          "another --db")

    def init(self) -> None:
        """Create the tables, or check that an existing file is a HARE store and add the columns
        that later versions record (e.g. engine_revision)."""
        make_folder_for(self.path, str(self.path))
        with self._connect(read_only=False) as con:
            others = _foreign_tables(con)
            if others and not _has_table(con, "runs"):
                raise StoreError(f"{self.path} is not a HARE results store (it holds "
                                 f"{', '.join(others[:3])} and no 'runs' table); choose another "
                                 "file, or a new name to create one")
            if _has_table(con, "runs"):
                have = _run_columns(con)
                later = self.table.later_fields
                missing = [name for name, _ in self.table.columns
                           if name not in have and name not in later
                           and name not in _ADD_COLUMN]
                if missing:
                    raise StoreError(f"{self.path} has a 'runs' table that is not a HARE results "
                                     f"table (no column {missing[0]}); choose another file")
                for name in later:
                    if name not in have:  # a HARE store from before the field existed
                        con.execute(self.table.add_config_column(name))
                for name, _ in RECORD_COLUMNS:
                    if name not in have:
                        con.execute(_ADD_COLUMN[name])
            con.execute(self.table.create)
            con.execute(USERS_SCHEMA)

    def check(self) -> None:
        """Before reading: the file is there and is a HARE results store, or a one-line error
        (ConfigError when there is no file, StoreError when it is something else)."""
        if self.path.is_dir():
            raise ConfigError(f"{self.path} is a folder, not a results database")
        if not self.exists():
            raise ConfigError(f"no results database at {self.path}; run a sweep first")
        with self._connect(read_only=True) as con:
            if not _has_table(con, "runs"):
                raise StoreError(f"{self.path} is not a HARE results store (it has no 'runs' "
                                 "table); choose a file written by hare run or hare sweep")
            missing = [name for name in READ_COLUMNS if name not in _run_columns(con)]
            if missing:
                raise StoreError(f"{self.path} has a 'runs' table that is not a HARE results "
                                 f"table (no column {missing[0]}); choose another file")

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
        if not self.exists():
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
            except BaseException as exc:
                _roll_back(con)
                if isinstance(exc, duckdb.Error):
                    raise StoreError(f"cannot write to {self.path}: "
                                     f"{_cause(exc)}") from None
                raise
        self._check_checkpointed()
        return True

    @property
    def wal(self) -> Path:
        return self.path.with_name(self.path.name + ".wal")

    def _check_checkpointed(self) -> None:
        """Closing the last connection folds the write-ahead log into the file. When it
        cannot (a full disk), the runs are safe in the log but the file keeps growing a log
        nobody is told about: checkpoint again to learn why, and say so."""
        if not self.wal.is_file():
            return
        with self._connect(read_only=False) as con:
            try:
                con.execute("CHECKPOINT")
            except duckdb.Error as exc:
                raise StoreNotCheckpointed(f"{self.path} cannot be checkpointed ({_cause(exc)}); "
                                           f"its last runs are safe in {self.wal.name}") from None

    @property
    def spill_folder(self) -> Path:
        return self.path.with_name(self.path.name + ".pending")

    def spill(self, records: list[RunRecord]) -> Path:
        """Keep finished runs that could not be written (the store was busy) in a side folder,
        one JSON file per run, for ``write_spilled`` to store later."""
        folder = self.spill_folder
        folder.mkdir(parents=True, exist_ok=True)
        for record in records:
            summary = {k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                       for k, v in record.summary.items()}
            payload = {"summary": summary, "users": record.users.to_dict(orient="list")}
            target = folder / f"{record.summary['run_id']}.json"
            scratch = target.with_suffix(".tmp")
            scratch.write_text(json.dumps(payload))
            scratch.replace(target)
        return folder

    def write_spilled(self) -> int:
        """Store the runs an earlier sweep spilled; returns how many were written now."""
        folder = self.spill_folder
        if not folder.is_dir():
            return 0
        written = 0
        for path in sorted(folder.glob("*.json")):
            payload = json.loads(path.read_text())
            summary = dict(payload["summary"])
            summary["created_at"] = dt.datetime.fromisoformat(summary["created_at"])
            written += self.write(RunRecord(summary, pd.DataFrame(payload["users"])))
            path.unlink()
        if not any(folder.iterdir()):
            folder.rmdir()
        return written

    def person_shares(self) -> pd.DataFrame:
        """The store's per-person comparison of active HARE (hare.bench.person_shares): its
        ``active_people`` table, else computed from its per-user rows."""
        with self._connect(read_only=True) as con:
            table = person_shares.read(con)
            return table if len(table) else person_shares.from_store(con)

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run a read-only query; an empty frame if the database does not exist yet."""
        if not self.exists():
            return pd.DataFrame()
        with self._connect(read_only=True) as con:
            return con.execute(sql, params or []).df()

    def runs(self) -> pd.DataFrame:
        """Every stored run, one row each, with every column of the run table: a store written
        before a config field existed reads the field's default there (NULL for what a run
        measured)."""
        columns = [name for name, _ in self.table.columns]
        defaults = self.table.config_cls.schema().defaults
        if not self.exists():
            return pd.DataFrame(columns=columns)
        with self._connect(read_only=True) as con:
            if not _has_table(con, "runs"):
                return pd.DataFrame(columns=columns)
            frame = con.execute("SELECT * FROM runs ORDER BY created_at").df()
        for name in columns:
            if name not in frame.columns:
                frame[name] = defaults.get(name)
        for name in self.table.later_fields:  # a row written before the field: its default
            if defaults[name] is not None:
                frame[name] = frame[name].fillna(defaults[name])
        return frame


def _has_duckdb_header(path: Path) -> bool:
    """Whether the file starts as DuckDB writes one (its magic bytes at offset 8)."""
    try:
        with path.open("rb") as file:
            return file.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def _roll_back(con: duckdb.DuckDBPyConnection) -> None:
    """Undo the open transaction; a COMMIT that failed has already ended it, and DuckDB then
    refuses a ROLLBACK with a TransactionException that carries nothing new."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass  # no transaction is open: nothing was written


def _cause(exc: duckdb.Error) -> str:
    """The operating system's words for a failed write, else DuckDB's first line."""
    text = str(exc).splitlines()[0]
    for words in ("No space left on device", "File too large", "Permission denied",
                  "Read-only file system", "Disk quota exceeded"):
        if words in text:
            return words.lower()
    return text


def _run_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'runs'").fetchall()}


def _foreign_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables (and views) in the file other than the store's own."""
    return [row[0] for row in con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_name NOT IN ('runs', 'user_results') ORDER BY table_name").fetchall()]


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0])


def export_compact(source: str | Path, target: str | Path, with_users: bool = False) -> Path:
    """Copy a store into a fresh file: every ``runs`` row, and the ``user_results`` rows only if
    ``with_users`` (the table is kept, empty, otherwise), and the per-person comparison of
    active HARE (hare.bench.person_shares, computed from the user rows before they go). A
    rewritten file holds no freed pages,
    so it is the smallest form to ship. ``target`` may be ``source``: it is replaced at the end.
    """
    source, target = Path(source), Path(target)
    store = ResultStore(source)
    store.check()
    # Read through a read-only connection and inserted as frames: no SQL is built from a path.
    source_runs = store.runs()  # noqa: F841  (read by name in the SQL below)
    source_users = None  # noqa: F841
    if with_users:
        if store.query("SELECT count(*) AS n FROM information_schema.tables "
                       "WHERE table_name = 'user_results'")["n"].iloc[0] == 0:
            raise StoreError(f"{source} has no 'user_results' table; compact it with --runs-only")
        source_users = store.query("SELECT * FROM user_results")  # noqa: F841
    with store._connect(read_only=True) as con:
        shares = person_shares.merged(person_shares.read(con), person_shares.from_store(con))
    scratch = target.with_name(target.name + ".tmp")
    make_folder_for(target, str(target))
    try:
        _remove(scratch)
        with duckdb.connect(str(scratch)) as con:
            con.execute(RUNS_SCHEMA)
            con.execute(USERS_SCHEMA)
            con.execute("INSERT INTO runs BY NAME SELECT * FROM source_runs")
            if with_users:
                con.execute("INSERT INTO user_results BY NAME SELECT * FROM source_users")
            if len(shares):  # the per-person comparisons outlive the per-user rows
                person_shares.write(con, shares)
            con.execute("CHECKPOINT")
        scratch.replace(target)
    except (OSError, duckdb.Error) as exc:
        _remove(scratch)  # the source is untouched and no half-written copy is left
        reason = exc.strerror if isinstance(exc, OSError) else str(exc).splitlines()[0]
        raise StoreError(f"cannot write {target}: {reason}") from None
    return target


def _remove(scratch: Path) -> None:
    """Remove a scratch DuckDB file and its write-ahead log, where they exist."""
    for path in (scratch, scratch.with_name(scratch.name + ".wal")):
        if path.is_file():
            path.unlink()
