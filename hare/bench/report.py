"""The reproduction report: every cell of the paper's Tables 1–6 beside ours, from the store.

A cell is a run config without its seed; ours is mean ± std over the stored seeds. A cell is
"within" when |ours − paper| ≤ max(paper std, 0.10). The ordering check asks, per (table, model,
dataset, generator, metric), whether base > HARE ≥ Multi-HARE holds for GTP and GTD.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from hare.bench.paper import paper_results
from hare.bench.store import ResultStore

TOLERANCE = 0.10
CELL_FIELDS = ["model", "dataset", "generator", "variant", "budget", "iterations", "bps", "scale"]
# paper metric -> our column
OUR_METRIC = {"gtp": "gtp", "gtd": "gtd", "success_rate": "success_rate",
              "constraint_violations": "constraint_violations", "redundancy": "redundancy",
              "proximity": "proximity_sq", "sparsity": "sparsity"}
TABLE_TITLES = {1: "Table 1: user satisfaction, far ground truth, B 30, T 5",
                2: "Table 2: budget B (HARE, T = 1)", 3: "Table 3: iterations T at B 30",
                4: "Table 4: classical recourse metrics (ANN)",
                5: "Table 5: BoundaryPointSearch on the chosen candidate (best) or every one",
                6: "Table 6: ground-truth scale"}


@dataclass(frozen=True)
class Comparison:
    """Every paper cell with ours beside it (``ours`` NaN where we have no run)."""

    cells: pd.DataFrame

    def within_rate(self, table: int | None = None) -> tuple[int, int]:
        rows = self.cells if table is None else self.cells[self.cells["table"] == table]
        rows = rows[rows["ours"].notna()]
        return int(rows["within"].sum()), len(rows)


def our_cells(store: ResultStore, users: int = 150) -> pd.DataFrame:
    """Mean and std over seeds per cell of the paper's kind (noiseless ground-truth users)."""
    runs = store.runs()
    if runs.empty:
        return pd.DataFrame(columns=CELL_FIELDS + ["metric", "ours", "ours_std", "seeds"])
    runs = runs[(runs["noise"] == "none") & (runs["user_model"] == "ground_truth")
                & (runs["users"] == users)]
    frames = []
    for paper_metric, column in OUR_METRIC.items():
        keyed = runs[CELL_FIELDS + [column]].copy()
        for field in ("budget", "iterations", "bps"):
            keyed[field] = keyed[field].astype(object).where(keyed[field].notna(), "-")
        grouped = keyed.groupby(CELL_FIELDS, dropna=False)[column]
        stats = grouped.agg(ours="mean", ours_std=lambda v: v.std(ddof=0), seeds="count")
        stats = stats.reset_index()
        stats["metric"] = paper_metric
        frames.append(stats)
    return pd.concat(frames, ignore_index=True)


def compare(store: ResultStore, users: int = 150) -> Comparison:
    paper = paper_results().copy()
    for field in ("budget", "iterations"):
        paper[field] = paper[field].map(lambda v: "-" if pd.isna(v) else int(v))
    paper["bps"] = paper["bps"].fillna("-")
    ours = our_cells(store, users)
    if not ours.empty:
        for field in ("budget", "iterations"):
            ours[field] = ours[field].map(lambda v: v if v == "-" else int(v))
    merged = paper.merge(ours, how="left", on=CELL_FIELDS + ["metric"])
    merged["diff"] = merged["ours"] - merged["mean"]
    bound = merged["std"].fillna(0).clip(lower=TOLERANCE)
    merged["within"] = merged["diff"].abs() <= bound
    return Comparison(merged)


def ordering(comparison: Comparison) -> pd.DataFrame:
    """Per (table, model, dataset, generator, scale, metric) with base, HARE and Multi-HARE at
    the default B 30 / T 5 / every: does base > HARE ≥ Multi-HARE hold, ours and the paper's?"""
    cells = comparison.cells
    cells = cells[cells["metric"].isin(["gtp", "gtd"]) & cells["ours"].notna()]
    default = ((cells["variant"] == "base")
               | ((cells["variant"] == "hare") & (cells["budget"] == 30))
               | ((cells["variant"] == "multi_hare") & (cells["budget"] == 30)
                  & (cells["iterations"] == 5) & (cells["bps"] == "every")))
    cells = cells[default]
    keys = ["table", "model", "dataset", "generator", "scale", "metric"]
    rows = []
    for key, group in cells.groupby(keys):
        by = group.set_index("variant")
        if not {"base", "hare", "multi_hare"} <= set(by.index):
            continue
        def holds(col):
            return bool(by.at["base", col] > by.at["hare", col] >= by.at["multi_hare", col])
        def hare_below_base(col):
            return bool(by.at["base", col] > max(by.at["hare", col], by.at["multi_hare", col]))
        rows.append(dict(zip(keys, key), ours_holds=holds("ours"), paper_holds=holds("mean"),
                         ours_below_base=hare_below_base("ours")))
    return pd.DataFrame(rows)


def _fmt(mean, std) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    return f"{mean:.2f} ± {std:.2f}" if std == std else f"{mean:.2f}"


def render(store: ResultStore, users: int = 150) -> str:
    """The report as markdown."""
    comparison = compare(store, users)
    order = ordering(comparison)
    cells = comparison.cells
    lines = ["# Reproduction report", "",
             f"Generated by `python -m hare report` from `{store.path}`: every number of the "
             "paper's Tables 1–6 beside ours (mean ± std over 5 seeds, 150 users). A cell is "
             f"*within* when |ours − paper| ≤ max(paper std, {TOLERANCE:.2f}).", "", "## Summary", ""]
    lines.append("| table | cells compared | within | base > HARE ≥ Multi-HARE (ours / paper) "
                 "| HARE and Multi-HARE below base (ours) |")
    lines.append("|---|---|---|---|---|")
    for table in sorted(cells["table"].unique()):
        within, total = comparison.within_rate(table)
        part = order[order["table"] == table] if not order.empty else order
        held = f"{int(part['ours_holds'].sum())} / {int(part['paper_holds'].sum())} of {len(part)}" if len(part) else "—"
        below = f"{int(part['ours_below_base'].sum())} of {len(part)}" if len(part) else "—"
        rate = f"{within} ({within / total:.0%})" if total else "—"
        lines.append(f"| {table} | {total} | {rate} | {held} | {below} |")
    within, total = comparison.within_rate()
    missing = int(cells["ours"].isna().sum())
    lines += ["", f"Overall: {within} of {total} compared cells within"
              + (f" ({within / total:.0%})" if total else "")
              + (f"; {missing} paper cells have no run of ours in this store." if missing else "."), ""]
    notes = resources.files("hare.bench").joinpath("report_notes.md")
    if notes.is_file():
        lines += [notes.read_text().strip(), ""]
    for table in sorted(cells["table"].unique()):
        part = cells[cells["table"] == table]
        lines += [f"## {TABLE_TITLES.get(int(table), f'Table {table}')}", "",
                  "| model | dataset | generator | variant | B | T | BPS | scale | metric | ours | paper | Δ | within |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for row in part.itertuples(index=False):
            ours = _fmt(row.ours, row.ours_std)
            delta = "—" if row.ours != row.ours else f"{row.diff:+.2f}"
            mark = "—" if row.ours != row.ours else ("yes" if row.within else "**no**")
            lines.append(f"| {row.model} | {row.dataset} | {row.generator} | {row.variant} | "
                         f"{row.budget} | {row.iterations} | {row.bps} | {row.scale} | {row.metric} | "
                         f"{ours} | {_fmt(row.mean, row.std)} | {delta} | {mark} |")
        lines.append("")
    return "\n".join(lines)
