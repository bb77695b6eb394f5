"""Per person, not only per cell: for whom active HARE ends better or worse than Multi-HARE.

A cell's mean can hide that a method helps most people a little and hurts a few a lot (or the
other way round). This module pairs each simulated person's own cost under active HARE with
the same person's under Multi-HARE (people counting, the same budget) and under the base
recourse, and keeps per run group the shares of people for whom active HARE is worse, better,
or costlier than their base recourse. The shares are computed from a store's per-user rows and
kept as the table ``active_people``, so a compact store without user rows (the shipped one)
still holds them.
"""

from __future__ import annotations

import duckdb
import pandas as pd

TABLE = "active_people"  # (spelled out in the SQL below: no SQL is built from strings)
# a run group: every field but the variant, budget and counting (and the run's own id)
GROUP = ["dataset", "model", "generator", "scale", "noise", "noise_param", "user_model",
         "protocol", "users", "seed"]
SHARES = ["worse_than_multi", "better_than_multi", "costlier_than_base",
          "multi_costlier_than_base"]
COLUMNS = GROUP + ["budget", "people"] + SHARES
# a cost counts as higher only beyond float noise (the same option, computed twice)
_RELATIVE, _ABSOLUTE = 1e-6, 1e-9


def _higher(ours: pd.Series, reference: pd.Series) -> pd.Series:
    return ours > reference * (1 + _RELATIVE) + _ABSOLUTE


def person_shares(rows: pd.DataFrame) -> pd.DataFrame:
    """Shares per run group and budget from per-user rows (run fields, ``user_index``,
    ``user_cost``): active HARE against Multi-HARE under people counting at the same budget,
    and both against the base recourse, over the people all three give a recourse to."""
    person = GROUP + ["user_index"]
    # the base recourse does not hear the answers: one base run serves every noise setting
    alike = [f for f in person if f not in ("noise", "noise_param")]
    base = rows[(rows["variant"] == "base") & (rows["noise"] == "none")][
        alike + ["user_cost"]].rename(columns={"user_cost": "base"})
    active = rows[rows["variant"] == "active_hare"]
    multi = rows[(rows["variant"] == "multi_hare") & (rows["counting"] == "people")]
    both = active.merge(multi, on=person + ["budget"], suffixes=("_a", "_m")).merge(
        base, on=alike).dropna(subset=["user_cost_a", "user_cost_m", "base"])
    if both.empty:
        return pd.DataFrame(columns=COLUMNS)
    both = both.assign(
        worse_than_multi=_higher(both["user_cost_a"], both["user_cost_m"]),
        better_than_multi=_higher(both["user_cost_m"], both["user_cost_a"]),
        costlier_than_base=_higher(both["user_cost_a"], both["base"]),
        multi_costlier_than_base=_higher(both["user_cost_m"], both["base"]))
    grouped = both.groupby(GROUP + ["budget"], dropna=False)
    table = grouped[SHARES].mean().join(grouped.size().rename("people")).reset_index()
    table["budget"] = table["budget"].astype(int)
    return table[COLUMNS]


def from_store(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``person_shares`` of a store's per-user rows (an empty frame when it has none)."""
    runs = con.execute("SELECT * FROM runs WHERE variant IN ('active_hare', 'multi_hare', "
                       "'base')").df()
    users = con.execute("SELECT run_id, user_index, user_cost FROM user_results").df()
    if runs.empty or users.empty:
        return pd.DataFrame(columns=COLUMNS)
    if "counting" not in runs.columns:  # a store written before the field: its default
        runs["counting"] = "paper"
    fields = runs[["run_id", "variant", "budget", "counting", *GROUP]]
    return person_shares(fields.merge(users, on="run_id"))


def read(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The store's ``active_people`` table (an empty frame when it has none)."""
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                        [TABLE]).fetchone()[0]
    if not found:
        return pd.DataFrame(columns=COLUMNS)
    return con.execute("SELECT * FROM active_people").df()


def write(con: duckdb.DuckDBPyConnection, shares: pd.DataFrame) -> None:
    """Replace the store's ``active_people`` table by ``shares``."""
    frame = shares[COLUMNS]  # noqa: F841  (read by name in the SQL below)
    con.execute("CREATE OR REPLACE TABLE active_people AS SELECT * FROM frame")


def merged(kept: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``kept`` with every row of ``new`` in place of the row of the same group and budget."""
    key = GROUP + ["budget"]
    if kept.empty:
        return new[COLUMNS].reset_index(drop=True)
    if new.empty:
        return kept[COLUMNS].reset_index(drop=True)
    both = pd.concat([kept[COLUMNS], new[COLUMNS]], ignore_index=True)
    return both.drop_duplicates(key, keep="last").reset_index(drop=True)


def by_kind(shares: pd.DataFrame) -> pd.DataFrame:
    """Per user model, noise and budget: people-weighted shares over the groups."""
    if shares.empty:
        return pd.DataFrame(columns=["user_model", "noise", "noise_param", "budget", "people",
                                     *SHARES])
    weighted = shares.assign(**{s: shares[s] * shares["people"] for s in SHARES})
    totals = weighted.groupby(["user_model", "noise", "noise_param", "budget"])[
        SHARES + ["people"]].sum()
    for s in SHARES:
        totals[s] = totals[s] / totals["people"]
    return totals.reset_index()
