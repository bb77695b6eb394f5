"""Active HARE against Multi-HARE for every kind of simulated person, per person and per cell,
from a store holding both (per-user rows kept: the sweep's own store, not a compacted one).

    python -m hare sweep active --db /tmp/active.duckdb --quiet
    python benchmarks/active_kinds.py /tmp/active.duckdb

Prints, per budget, user model and noise: active HARE's mean own cost ÷ Multi-HARE's (people
counting), the worst cell's ratio and how many cells are above 1, the shares of people for whom
active HARE is worse / better than Multi-HARE, and the shares who end costlier than their base
recourse (strictly; and by more than 0.01, the options' resolution).
"""

from __future__ import annotations

import argparse

import duckdb
import pandas as pd

PERSON = ["dataset", "model", "generator", "user_model", "seed", "user_index"]


def _costlier(ours: pd.Series, reference: pd.Series, by: float = 0.0) -> pd.Series:
    return ours > reference * (1 + 1e-6) + 1e-9 + by


def table(db: str) -> pd.DataFrame:
    with duckdb.connect(db, read_only=True) as con:
        df = con.execute(
            "SELECT r.dataset, r.model, r.generator, r.variant, r.budget, r.user_model, r.noise,"
            " r.noise_param, r.counting, r.seed, u.user_index, u.user_cost"
            " FROM runs r JOIN user_results u USING (run_id)").df()
    base = df[df["variant"] == "base"][PERSON + ["user_cost"]].rename(
        columns={"user_cost": "base"})
    key = PERSON + ["noise", "noise_param"]
    rows = []
    for budget in sorted(df.loc[df["variant"] == "active_hare", "budget"].dropna().unique()):
        active = df[(df["variant"] == "active_hare") & (df["budget"] == budget)]
        multi = df[(df["variant"] == "multi_hare") & (df["budget"] == budget)
                   & (df["counting"] == "people")]
        both = active.merge(multi, on=key, suffixes=("_a", "_m")).merge(base, on=PERSON)
        for (kind, noise, param), g in both.groupby(["user_model", "noise", "noise_param"]):
            cells = g.groupby(["dataset", "model", "generator"]).apply(
                lambda c: c["user_cost_a"].mean() / c["user_cost_m"].mean())
            rows.append(dict(
                B=int(budget), user_model=kind,
                noise="" if noise == "none" else f"{noise} {param:g}",
                ratio=g["user_cost_a"].mean() / g["user_cost_m"].mean(),
                worst_cell=cells.max(), cells_above_1=f"{int((cells > 1).sum())}/{len(cells)}",
                worse_than_multi=_costlier(g["user_cost_a"], g["user_cost_m"]).mean(),
                better_than_multi=_costlier(g["user_cost_m"], g["user_cost_a"]).mean(),
                costlier_than_base=_costlier(g["user_cost_a"], g["base"]).mean(),
                by_over_001=_costlier(g["user_cost_a"], g["base"], 0.01).mean(),
                multi_costlier_than_base=_costlier(g["user_cost_m"], g["base"]).mean()))
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="a store with active_hare, multi_hare (people) and base runs")
    args = parser.parse_args()
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(table(args.db).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
