"""Add another store's run summaries to a results store: the runs whose id the target lacks,
without their per-user rows (the shipped results/hare.duckdb holds summaries only). This is how
the authors' protocol runs, computed into a scratch store, were shipped:

    python scripts/merge_runs.py /tmp/authors.duckdb results/hare.duckdb

The target is initialised first, so an older store gains the columns later fields need (its
rows read as those fields' defaults). Nothing is recomputed; run ids are kept as stored.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from hare.bench.store import ResultStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="the store whose runs are added")
    parser.add_argument("target", help="the store they are added to")
    parser.add_argument("--protocol", nargs="+", default=None, help="only runs of these protocols")
    args = parser.parse_args(argv)
    source, target = ResultStore(args.source), ResultStore(args.target)
    source.check()
    target.init()
    runs = source.runs()
    if args.protocol:
        runs = runs[runs["protocol"].isin(args.protocol)]
    new = runs[~runs["run_id"].isin(target.stored_run_ids())]  # noqa: F841 (read by name below)
    with duckdb.connect(str(target.path)) as con:
        con.execute("INSERT INTO runs BY NAME SELECT * FROM new")
    print(f"added {len(new)} of {len(runs)} runs from {source.path} to {target.path}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
