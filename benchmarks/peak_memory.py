"""Run a command and report its wall time and the peak total resident memory of its whole
process tree (the coordinator plus every worker process), sampled from /proc every 0.2 s, with
the CPU seconds of the whole tree and the machine's calibration (benchmarks/calibration.py)
taken just before and just after.

    python benchmarks/peak_memory.py -- python -m hare sweep table1 --workers 2
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    """Pids of pid's direct children (from /proc), [] once pid is gone."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def tree_rss(pid: int) -> int:
    """Bytes resident in pid and all its descendants."""
    total, stack = 0, [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        current = stack.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * page
        except OSError:
            continue
        stack += children(current)
    return total


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    from calibration import calibrate  # this folder: the same run's measure of the machine
    before = calibrate()
    started = time.perf_counter()
    proc = subprocess.Popen(args)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.2)
    wall = time.perf_counter() - started
    # CPU seconds of the whole tree (workers are waited for by the command): less sensitive
    # than the wall time to other jobs on the machine
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"exit {proc.returncode}; wall {wall:.1f} s; CPU {usage.ru_utime + usage.ru_stime:.1f} s "
          f"(user + system, every process of the tree); peak memory of the process tree "
          f"{peak / 2**30:.2f} GiB; calibration (benchmarks/calibration.py) {before * 1000:.0f} ms "
          f"before, {calibrate() * 1000:.0f} ms after", file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
