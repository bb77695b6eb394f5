"""The opt-in answers store under concurrency and failure: no session lost when processes and
threads save at once, a busy or unwritable store a one-line StoreError with nothing written.
(What a saved session holds is tested through real LiveRuns in tests/app/.)"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from hare.errors import StoreError
from hare.live import answers
from hare.live.answers import AnswerRecord, AnswerStore

ROOT = Path(__file__).resolve().parents[3]


def record(session_id: str) -> AnswerRecord:
    """The smallest finished session: one compare answered, no profile."""
    now = dt.datetime(2024, 1, 1)
    session = (session_id, now, now, "adult", "ann", "gs", 4, 2, "every", 0, 0.6, "test_row",
               None, False, None, [1.0, 0.0], "{}", 1, False, None, 0.7, "hare")
    answer = (session_id, 1, "compare", 1, 1, [0.0, 1.0], [1.0, 0.0], True, now, 2.5)
    return AnswerRecord(session_id, session, (answer,))


def stored(path: Path) -> tuple[int, int, int]:
    """(sessions, distinct session ids, answers) in the store."""
    with duckdb.connect(str(path), read_only=True) as con:
        sessions, distinct = con.execute(
            "SELECT count(*), count(DISTINCT session_id) FROM human_sessions").fetchone()
        return sessions, distinct, con.execute("SELECT count(*) FROM human_answers").fetchone()[0]


# A process that saves `n` sessions from `n` threads at once; prints what failed.
SAVER = """
import sys, threading
sys.path.insert(0, sys.argv[3])
from tests.hare.live.test_answers import record
from hare.live.answers import AnswerStore
path, prefix = sys.argv[1], sys.argv[2]
failed = []
def save(i):
    try:
        AnswerStore(path).write(record(f"{prefix}-{i}"))
    except Exception as exc:
        failed.append(repr(exc))
threads = [threading.Thread(target=save, args=(i,)) for i in range(40)]
for t in threads: t.start()
for t in threads: t.join()
print(len(failed), failed[:3])
sys.exit(1 if failed else 0)
"""


def test_three_processes_of_forty_concurrent_saves_store_all_120(tmp_path):
    db = tmp_path / "answers" / "human.duckdb"  # the folder does not exist yet either
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, str(db), f"p{p}", str(ROOT)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
              for p in range(3)]
    outputs = [s.communicate(timeout=180)[0] for s in savers]
    assert [s.returncode for s in savers] == [0, 0, 0], outputs
    assert stored(db) == (120, 120, 120)


def test_threads_in_one_process_lose_no_session(tmp_path):
    db = tmp_path / "human.duckdb"
    failed = []

    def save(thread: int) -> None:
        for i in range(20):
            try:
                AnswerStore(db).write(record(f"t{thread}-{i}"))
            except Exception as exc:  # collected, and the assertion below shows them
                failed.append(repr(exc))

    threads = [threading.Thread(target=save, args=(t,)) for t in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == []
    assert stored(db) == (60, 60, 60)
    assert len(AnswerStore(db).sessions()) == 60  # readers in the same process wait their turn


def test_saving_a_session_again_replaces_it(tmp_path):
    db = tmp_path / "human.duckdb"
    AnswerStore(db).write(record("same"))
    AnswerStore(db).write(record("same"))
    assert stored(db) == (1, 1, 1)


def test_a_folder_that_cannot_be_created_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    db = blocker / "answers" / "human.duckdb"
    with pytest.raises(StoreError, match=r"^cannot create the folder for the answers store "
                                         r".*human\.duckdb: a file stands where a folder should be$"):
        AnswerStore(db).write(record("x"))
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("make", ["text file", "folder"])
def test_a_path_that_is_not_a_store_fails_at_once_and_is_left_alone(tmp_path, make):
    db = tmp_path / "human.duckdb"
    if make == "text file":
        db.write_text("notes\n")
    else:
        db.mkdir()
    started = time.monotonic()
    with pytest.raises(StoreError, match=r"^cannot write the answers store .*human\.duckdb: "):
        AnswerStore(db).write(record("x"))
    assert time.monotonic() - started < answers.BUSY_SECONDS / 10  # not mistaken for busy
    if make == "text file":
        assert db.read_text() == "notes\n"
    else:
        assert list(db.iterdir()) == []


# Another process holds the store (a writer's lock) for `seconds`, then lets go.
HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS other (a INTEGER)")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_a_store_held_by_another_process_waits_then_says_so(tmp_path, monkeypatch):
    db = tmp_path / "human.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), "3"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        monkeypatch.setattr(answers, "BUSY_SECONDS", 0.5)
        with pytest.raises(StoreError, match=r"^the answers store .* stayed in use by another "
                                             r"process for 0\.5 s$"):
            AnswerStore(db).write(record("early"))
        monkeypatch.setattr(answers, "BUSY_SECONDS", 60.0)
        AnswerStore(db).write(record("patient"))  # waits for the holder to let go
    finally:
        holder.wait(30)
    sessions = AnswerStore(db).sessions()
    assert list(sessions["session_id"]) == ["patient"]


# Another process holds the side file's OS lock (a HARE writer mid-save) for `seconds`.
SIDE_HOLDER = """
import fcntl, sys, time
with open(sys.argv[1], "a+b") as handle:
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="the holder takes a POSIX lock")
def test_writers_and_readers_wait_for_another_process_holding_the_side_lock(tmp_path,
                                                                          monkeypatch):
    db = tmp_path / "human.duckdb"
    AnswerStore(db).write(record("before"))
    holder = subprocess.Popen([sys.executable, "-c", SIDE_HOLDER, str(AnswerStore(db).lock_path),
                               "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        held_since = time.monotonic()  # the holder lets go 3 s after it took the lock
        monkeypatch.setattr(answers, "BUSY_SECONDS", 0.5)
        with pytest.raises(StoreError, match=r"^the answers store .* stayed in use by another "
                                             r"process for 0\.5 s$"):
            AnswerStore(db).write(record("early"))
        with pytest.raises(StoreError, match=r"stayed in use by another process"):
            AnswerStore(db).sessions()
        monkeypatch.setattr(answers, "BUSY_SECONDS", 60.0)
        AnswerStore(db).write(record("patient"))  # waits for the holder to let go
        assert time.monotonic() - held_since > 2.0
    finally:
        holder.wait(30)
    assert list(AnswerStore(db).sessions()["session_id"]) == ["before", "patient"]
