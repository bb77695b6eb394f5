"""Merge one results store into another: a sweep run elsewhere (another machine, a cluster, a
newer engine) joins the store a report is made from.

Runs are matched by run id, which names a run's whole setting: a run the target already holds
is kept unless ``replace`` is asked, and ``replace_variant`` first removes every target run of
one variant, so that all of them come from the source (a method whose engine changed is then
never reported half old, half new). The per-person comparison table (hare.bench.person_shares)
is recomputed from the source's per-user rows and merged with the target's. One transaction:
an error leaves the target as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from hare.bench import person_shares
from hare.bench.store import ResultStore, StoreError


@dataclass(frozen=True)
class MergeResult:
    added: int  # source runs written into the target
    kept: int  # source runs the target already held and kept
    removed: int  # target runs taken out first (``replace_variant``, ``replace``)
    share_groups: int  # per-person comparison rows the target holds afterwards


def merge_stores(source: str | Path, target: str | Path, replace: bool = False,
                 replace_variant: str | None = None, with_users: bool = True,
                 protocols: list[str] | None = None) -> MergeResult:
    """Write ``source``'s runs into ``target`` (created if missing); see the module docstring.
    ``with_users=False`` writes the runs alone (a compact target keeps no per-user rows);
    ``protocols`` keeps only the source's runs of those protocols."""
    source_store, target_store = ResultStore(source), ResultStore(target)
    source_store.check()
    if Path(source).resolve() == Path(target).resolve():
        raise StoreError(f"{source} is the store to merge into; name two different files")
    runs = source_store.runs()
    if protocols:
        runs = runs[runs["protocol"].isin(protocols)]
    with duckdb.connect(str(source), read_only=True) as con:
        users = con.execute("SELECT * FROM user_results").df() if with_users else None
        shares = person_shares.from_store(con)
    target_store.init()
    with duckdb.connect(str(target)) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            removed = 0
            if replace_variant is not None:
                removed += _delete(con, [row[0] for row in con.execute(
                    "SELECT run_id FROM runs WHERE variant = ?", [replace_variant]).fetchall()])
            held = {row[0] for row in con.execute("SELECT run_id FROM runs").fetchall()}
            if replace:
                again = sorted(held & set(runs["run_id"]))
                removed += _delete(con, again)
                held -= set(again)
            new = runs[~runs["run_id"].isin(held)]  # noqa: F841  (read by name in SQL)
            con.execute("INSERT INTO runs BY NAME SELECT * FROM new")
            if users is not None:
                new_users = users[users["run_id"].isin(new["run_id"])]  # noqa: F841
                con.execute("INSERT INTO user_results BY NAME SELECT * FROM new_users")
            table = person_shares.merged(person_shares.read(con), shares)
            # only the groups whose active HARE runs the target still holds
            active = con.execute("SELECT * FROM runs WHERE variant = 'active_hare'").df()
            key = person_shares.GROUP + ["budget"]
            table = table.merge(active[key].drop_duplicates(), on=key)
            person_shares.write(con, table)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return MergeResult(len(new), len(runs) - len(new), removed, len(table))


def _delete(con: duckdb.DuckDBPyConnection, ids: list[str]) -> int:
    """Delete the runs (and their user rows) with these ids."""
    con.execute("DELETE FROM user_results WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
    con.execute("DELETE FROM runs WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
    return len(ids)
