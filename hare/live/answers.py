"""Opt-in store of real people's answers, in its own DuckDB file so human preferences become
data without touching the benchmark store. It stores exactly what the page's boxes say
(hare.live.consent): the changes each question showed, in original units under the dataset's
column names and with the side each was shown on, the choices and timing, the session's settings
and rules, and what produced it (consent version, app version, engine revision, model hash); the
profile only if asked to separately.

A session is written after each answer (``in_progress``), again when it ends (``completed``) or
when the person starts over or leaves it for another (``abandoned``); each write is one transaction replacing
the session's ``human_sessions`` row and its ``human_answers`` rows. Files written before these
columns existed are migrated in place when opened for writing or reading.

Saves never lose a session to a concurrent one: the store is opened by one process at a time,
through an exclusive OS lock on a side file (``<store>.lock``), and by one thread at a time within
a process; a writer waits with backoff while another holds it. What still fails is a
``StoreError``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

import hare
from hare.errors import StoreError, make_folder_for
from hare.live.card import engine_revision, model_hash
from hare.live.consent import CONSENT

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

if TYPE_CHECKING:
    from hare.data import Dataset
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
    method VARCHAR,            -- how questions were chosen: 'hare' or 'active'
    status VARCHAR, ending VARCHAR, counting VARCHAR, participant VARCHAR, respondent VARCHAR,
    consent_version VARCHAR, app_version VARCHAR, engine_revision VARCHAR, model_hash VARCHAR,
    rules VARCHAR,             -- JSON, original units: the person's Preferences
    profile VARCHAR,           -- JSON {column: value} in original units, NULL unless profile_stored
    last_event_at TIMESTAMP
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
    answered_at TIMESTAMP,
    option_a VARCHAR,          -- JSON {column: change in original units}, the changed ones only
    option_b VARCHAR,
    a_side VARCHAR, b_side VARCHAR,  -- where each option was drawn (SIDES)
    PRIMARY KEY (session_id, seq)
)"""

# Columns added after the first files were written, with how an older file's rows are filled:
# those files kept only finished sessions, and their answers were drawn as the page still draws
# them. Values that were never recorded (consent version, model hash, ...) stay NULL.
ADDED_SESSION_COLUMNS = (
    ("status", "VARCHAR", "'completed'"), ("ending", "VARCHAR", None),
    ("counting", "VARCHAR", None), ("participant", "VARCHAR", None),
    ("respondent", "VARCHAR", "'person'"), ("consent_version", "VARCHAR", None),
    ("app_version", "VARCHAR", None), ("engine_revision", "VARCHAR", None),
    ("model_hash", "VARCHAR", None), ("rules", "VARCHAR", "constraints"),
    ("profile", "VARCHAR", None), ("last_event_at", "TIMESTAMP", "finished_at"))
ADDED_ANSWER_COLUMNS = (
    ("answered_at", "TIMESTAMP", "shown_at + to_microseconds(CAST(seconds * 1e6 AS BIGINT))"),
    ("option_a", "VARCHAR", None), ("option_b", "VARCHAR", None),
    ("a_side", "VARCHAR", "CASE kind WHEN 'compare' THEN 'left' ELSE 'alone' END"),
    ("b_side", "VARCHAR", "CASE kind WHEN 'compare' THEN 'right' ELSE NULL END"))
SCHEMA_VERSION = 2
# Where the page draws each question's options: A (the favourite so far) then B (the challenger).
SIDES = {"compare": ("left", "right"), "accept": ("alone", None)}
STATUSES = ("in_progress", "completed", "abandoned")


# DuckDB lets one process write a file at a time, and within a process two connections writing
# at once conflict (write-write) or refuse a second handle. So a process opens the store through
# this lock, and other processes through the side file's OS lock (_one_process), waiting with
# backoff up to BUSY_SECONDS. DuckDB's own file lock alone was not enough: in one of several
# runs of three processes creating and writing the store at once, one committed session was
# missing afterwards with no error raised.
_WRITER = threading.Lock()
BUSY_SECONDS = 60.0
_FIRST_WAIT, _LONGEST_WAIT = 0.01, 0.2



@functools.cache
def _declared(table: str) -> tuple[str, ...]:
    """The table's columns in their declared order (a migrated file may hold them in another)."""
    with duckdb.connect(":memory:") as con:
        con.execute(SESSIONS_SCHEMA if table == "human_sessions" else ANSWERS_SCHEMA)
        return tuple(row[0] for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", [table]).fetchall())


def _insert(table: str, n: int) -> str:
    """An INSERT of a row's first ``n`` declared columns (a shorter row, as older code wrote,
    leaves the columns added since empty)."""
    columns = _declared(table)[:n]
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['?'] * n)})"


def _json(value) -> str:
    return json.dumps(value, default=_plain_number)


def _plain_number(value):
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def change_in_units(dataset: Dataset, change) -> dict[str, object]:
    """(d,) an option minus the profile, encoded -> {column: change in original units} for the
    changed columns: a signed amount in the column's unit, or the category it changes to. No
    profile value is in it (a category changed to says only that it was the other one)."""
    change = np.asarray(change, dtype=float)
    encoder, out = dataset.encoder, {}
    span = encoder._span()
    for j, column in enumerate(dataset.feature_names):
        if column in dataset.spec.categorical:
            if abs(change[j]) >= 0.5:
                zero, one = encoder.categories[dataset.spec.categorical.index(column)]
                out[column] = one if change[j] > 0 else zero
            continue
        i = dataset.spec.continuous.index(column)
        amount = float(change[j] * span[i])
        amount = float(round(amount)) if encoder.integer[i] else round(amount, 6)
        if amount != 0.0:
            out[column] = amount
    return out


@dataclass(frozen=True)
class AnswerRecord:
    """What one finished session stores: its ``human_sessions`` row and its ``human_answers``
    rows, each in column order."""

    session_id: str
    session: tuple
    answers: tuple[tuple, ...]

    @classmethod
    def of(cls, run: LiveRun, with_profile: bool = False, status: str | None = None,
           participant: str = "", respondent: str = "person") -> AnswerRecord:
        """The rows for ``run`` as it stands: ``status`` defaults to ``completed`` for a run
        that has ended and ``in_progress`` otherwise; the profile (and its row) only
        ``with_profile``. ``participant``: the pseudonymous id of whoever answered;
        ``respondent``: "person", or "simulated:<user model>" for a simulated one."""
        status = status or ("completed" if run.done else "in_progress")
        if status not in STATUSES:
            raise ValueError(f"unknown session status {status!r} (valid: {', '.join(STATUSES)})")
        p = run.preferences
        constraints = json.dumps({"frozen": list(p.frozen), "ranges": [list(r) for r in p.ranges],
                                  "directions": [list(d) for d in p.directions],
                                  "max_changes": p.max_changes})
        rules = _json(dataclasses.asdict(p))
        ended = run.done
        after = run.probability_after() if ended else None
        change = None if after is None else (run.recourse - run.x[0]).tolist()
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        last = run.events[-1].shown_at if run.events else run.started_at
        if run.events:
            last = last + dt.timedelta(seconds=run.events[-1].seconds)
        profile = run.shown_row(run.x[0]) if with_profile else None
        session = (run.id, run.started_at, now if ended else None,
                   run.config.dataset, run.config.model, run.config.generator,
                   run.config.budget, run.config.rounds, run.config.bps, run.seed,
                   run.config.target, run.source,
                   run.test_row if with_profile else None, with_profile,
                   run.x[0].tolist() if with_profile else None, change, constraints, run.used,
                   run.accepted if ended else None,
                   run.probability_before() if with_profile else None, after,
                   run.config.method,
                   status, run.ending if ended else None, run.config.counting, participant,
                   respondent, CONSENT.version, hare.__version__, engine_revision(),
                   model_hash(run.model), rules, None if profile is None else _json(profile),
                   max(last, run.started_at))
        answers = tuple(_answer_row(run, e) for e in run.events)
        return cls(run.id, session, answers)


def _answer_row(run: LiveRun, e) -> tuple:
    a_side, b_side = SIDES[e.kind]
    options = [_json(change_in_units(run.dataset, c)) for c in e.changes]
    return (run.id, e.seq, e.kind, e.iteration, e.step, e.changes[0],
            e.changes[1] if len(e.changes) > 1 else None, e.choice, e.shown_at, e.seconds,
            e.shown_at + dt.timedelta(seconds=e.seconds), options[0],
            options[1] if len(options) > 1 else None, a_side, b_side)


def participant_id(token: str) -> str:
    """The pseudonymous id stored for a visit: a one-way hash of its page token, so one
    visit's sessions link together and nothing links to the browser or the link."""
    return hashlib.sha256(f"hare-participant:{token}".encode()).hexdigest()[:16]


def _busy(exc: duckdb.Error) -> bool:
    """Another writer holds the file (another process) or the catalog (another connection), or
    this process opened the file while another was still extending it (a short read of a block
    that the other process had not finished writing; seen with three processes saving at once)."""
    text = str(exc)
    return (isinstance(exc, duckdb.TransactionException) and "conflict" in text.lower()) or (
        isinstance(exc, (duckdb.IOException, duckdb.ResourceInUseException))
        and ("lock" in text.lower() or "already attached" in text
             or "attempted to read" in text))


def _try_lock(handle) -> bool:
    """Take the exclusive OS lock on an open side file without waiting; False if another
    process holds it."""
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    except (BlockingIOError, PermissionError):  # held elsewhere (EWOULDBLOCK; EACCES on Windows)
        return False
    return True


def _unlock(handle) -> None:
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    else:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)


def _backoff(wait: float, deadline: float, path: Path) -> float:
    """Sleep ``wait`` with jitter (so processes that collided do not retry in step) and return
    the next wait; ``StoreError`` once the deadline would pass."""
    if time.monotonic() + wait > deadline:
        raise StoreError(f"the answers store {path} stayed in use by another process for "
                         f"{BUSY_SECONDS:g} s")
    time.sleep(wait * random.uniform(0.5, 1.5))
    return min(2 * wait, _LONGEST_WAIT)


class AnswerStore:
    """The human answers DuckDB file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def _one_process(self, deadline: float | None = None, reading: bool = False):
        """Hold this process's lock and the side file's exclusive OS lock, waiting with backoff
        until ``deadline`` (by default ``BUSY_SECONDS`` from now; then ``StoreError``). A
        reader that may not create the side file (a store in a folder it cannot write to, where
        no writer of its own can work either) reads under this process's lock alone."""
        if deadline is None:
            deadline = time.monotonic() + BUSY_SECONDS
        with _WRITER:
            try:
                handle = open(self.lock_path, "a+b")
            except OSError as exc:
                if reading and isinstance(exc, PermissionError):
                    yield
                    return
                raise StoreError(f"cannot open the lock file beside the answers store "
                                 f"{self.path}: {exc.strerror}") from None
            with handle:
                wait = _FIRST_WAIT
                while not _try_lock(handle):
                    wait = _backoff(wait, deadline, self.path)
                try:
                    yield
                finally:
                    _unlock(handle)

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
                with self._one_process(deadline):
                    self._write_once(record)
                return
            except duckdb.Error as exc:
                # a process that opens the file without the side lock (a DuckDB shell, an
                # older HARE) holds DuckDB's own lock: wait for it too
                if not _busy(exc):
                    raise StoreError(f"cannot write the answers store {self.path}: "
                                     f"{str(exc).splitlines()[0]}") from None
            wait = _backoff(wait, deadline, self.path)

    def _write_once(self, record: AnswerRecord) -> None:
        with duckdb.connect(str(self.path)) as con:
            migrate(con)
            # Closing the connection before COMMIT rolls the transaction back: a failed save
            # leaves nothing of itself (an explicit ROLLBACK after a failed COMMIT would raise).
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM human_answers WHERE session_id = ?", [record.session_id])
            con.execute("DELETE FROM human_sessions WHERE session_id = ?", [record.session_id])
            con.execute(_insert("human_sessions", len(record.session)), list(record.session))
            if record.answers:
                con.executemany(_insert("human_answers", len(record.answers[0])),
                                [list(a) for a in record.answers])
            con.execute("COMMIT")

    def delete(self, session_ids: list[str] | tuple[str, ...]) -> int:
        """Remove these sessions and their answers (a person taking back what they stored);
        returns how many sessions were removed. Nothing to remove when the file is absent."""
        if not session_ids or not self.path.is_file():
            return 0
        ids = list(session_ids)
        try:
            with self._one_process(), \
                    duckdb.connect(str(self.path)) as con:
                migrate(con)
                found = con.execute("SELECT count(*) FROM human_sessions "
                                    "WHERE list_contains(?, session_id)", [ids]).fetchone()[0]
                con.execute("BEGIN TRANSACTION")
                con.execute("DELETE FROM human_answers WHERE list_contains(?, session_id)", [ids])
                con.execute("DELETE FROM human_sessions WHERE list_contains(?, session_id)", [ids])
                con.execute("COMMIT")
        except duckdb.Error as exc:
            raise StoreError(f"cannot delete from the answers store {self.path}: "
                             f"{str(exc).splitlines()[0]}") from None
        return int(found)

    def migrate(self) -> None:
        """Bring an older file up to this schema in place (a no-op on a current one);
        ``StoreError`` when the file cannot be written."""
        try:
            with self._one_process(), \
                    duckdb.connect(str(self.path)) as con:
                migrate(con)
        except duckdb.Error as exc:
            raise StoreError(f"cannot bring the answers store {self.path} up to date: "
                             f"{str(exc).splitlines()[0]}") from None

    def sessions(self) -> pd.DataFrame:
        return self._read("SELECT * FROM human_sessions ORDER BY started_at")

    def answers(self) -> pd.DataFrame:
        return self._read("SELECT * FROM human_answers ORDER BY session_id, seq")

    def _read(self, sql: str) -> pd.DataFrame:
        if not self.path.is_file():
            return pd.DataFrame()
        if self.version() < SCHEMA_VERSION:
            self.migrate()
        # under the writers' locks: DuckDB refuses a read-only handle beside this process's
        # writer, and a file another process is still creating cannot be read
        with self._one_process(reading=True), \
                duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).df()

    def version(self) -> int:
        """The file's schema version (1: written before versions were recorded)."""
        with self._one_process(reading=True), \
                duckdb.connect(str(self.path), read_only=True) as con:
            tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables"
                                                ).fetchall()}
            if "answers_meta" not in tables:
                return 1
            row = con.execute("SELECT value FROM answers_meta WHERE key = 'schema_version'"
                              ).fetchone()
            return int(row[0]) if row else 1


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables, or add to an older file's tables the columns it lacks, filling its
    rows as ``ADDED_*_COLUMNS`` say; records the schema version. Idempotent, and one query on
    a current file (every save runs it)."""
    if _current(con):
        return
    con.execute(SESSIONS_SCHEMA)
    con.execute(SESSIONS_MIGRATION)
    con.execute(ANSWERS_SCHEMA)
    con.execute("CREATE TABLE IF NOT EXISTS answers_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    row = con.execute("SELECT value FROM answers_meta WHERE key = 'schema_version'").fetchone()
    if row is not None and int(row[0]) >= SCHEMA_VERSION:
        return
    for table, added in (("human_sessions", ADDED_SESSION_COLUMNS),
                         ("human_answers", ADDED_ANSWER_COLUMNS)):
        for name, kind, fill in added:
            for statement in _added_column(table, name, kind, fill):
                con.execute(statement)
    con.execute("INSERT OR REPLACE INTO answers_meta VALUES ('schema_version', ?)",
                [str(SCHEMA_VERSION)])


def _current(con: duckdb.DuckDBPyConnection) -> bool:
    """The file already holds this schema version."""
    try:
        row = con.execute("SELECT value FROM answers_meta WHERE key = 'schema_version'").fetchone()
    except duckdb.CatalogException:  # no answers_meta: a new file, or one from before versions
        return False
    return row is not None and int(row[0]) >= SCHEMA_VERSION



def _added_column(table: str, name: str, kind: str, fill: str | None) -> list[str]:
    """The statements that add one declared column (and fill it in older rows). Identifiers
    and fills come from this module's declarations, never from a person's input."""
    for word in (table, name):
        if not word.isidentifier():
            raise ValueError(f"not a column or table name: {word!r}")
    statements = [f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {kind}"]
    if fill is not None:
        statements.append(f"UPDATE {table} SET {name} = {fill} WHERE {name} IS NULL")
    return statements
