"""Concurrent saves into one opt-in answers store: P processes, each saving S sessions from S
threads at once, repeated; prints how many were stored of how many saved, and the wall time.

    python benchmarks/answer_saves.py --processes 3 --saves 40 --trials 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hare.live.answers import AnswerRecord, AnswerStore  # noqa: E402


def record(session_id: str) -> AnswerRecord:
    """A finished session with one answered comparison, no profile."""
    now = dt.datetime.now()
    session = (session_id, now, now, "adult", "ann", "gs", 4, 2, "every", 0, 0.6, "test_row",
               None, False, None, [1.0, 0.0], "{}", 1, False, None, 0.7, "hare")
    answer = (session_id, 1, "compare", 1, 1, [0.0, 1.0], [1.0, 0.0], True, now, 2.5)
    return AnswerRecord(session_id, session, (answer,))


def saver(path: str, prefix: str, saves: int) -> None:
    """One process: ``saves`` threads, one session each, started together."""
    failed: list[str] = []

    def save(i: int) -> None:
        try:
            AnswerStore(path).write(record(f"{prefix}-{i}"))
        except Exception as exc:  # counted and printed: the benchmark reports every loss
            failed.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=save, args=(i,)) for i in range(saves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for line in failed[:3]:
        print(line, file=sys.stderr)
    print(len(failed))


def trial(processes: int, saves: int, folder: Path) -> tuple[int, int, float]:
    """(stored, reported failed, seconds) for one round of concurrent saves into a new store."""
    db = folder / "answers.duckdb"
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, __file__, "--child", str(db), f"p{p}",
                               "--saves", str(saves)], stdout=subprocess.PIPE, text=True)
             for p in range(processes)]
    failed = sum(int(p.communicate()[0].strip() or 0) for p in procs)
    seconds = time.perf_counter() - start
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("SELECT count(DISTINCT session_id) FROM human_sessions").fetchone()[0]
    return stored, failed, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--saves", type=int, default=40, help="concurrent saves per process")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("DB", "PREFIX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        saver(*args.child, args.saves)
        return
    from calibration import line  # this folder: the same run's measure of the machine
    print(line(), flush=True)
    expected = args.processes * args.saves
    for n in range(1, args.trials + 1):
        with tempfile.TemporaryDirectory() as folder:
            stored, failed, seconds = trial(args.processes, args.saves, Path(folder))
        print(f"trial {n}: {stored} of {expected} stored, {failed} saves failed, {seconds:.1f} s")


if __name__ == "__main__":
    main()
