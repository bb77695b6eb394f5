"""The reproduction report, every number and verdict computed from the store it reads: a claim
the store does not support (no runs for a table, no complete base/HARE/Multi-HARE group) is
left out, not printed with made-up counts.
"""

from __future__ import annotations

import math

import pandas as pd

from hare.bench.active_report import section as active_section
from hare.bench.cells import (KEY, PAPER_TABLES, TOLERANCE_TEXT, config_of, in_setting,
                              preset_rows, setting_label, settings, store_cells)
from hare.bench.names import SHORT_METRIC, readable
from hare.bench.protocol_groups import title
from hare.bench.protocol_report import section as protocol_section
from hare.bench.presets import PRESETS
from hare.bench.store import ResultStore
from hare.bench.summary import markdown_block
from hare.bench.verdict import GROUP, HEADLINE, ordering, ours, verdict, within_rate

# ``ordering``, ``within_rate`` and the verdict itself live in hare.bench.verdict, which the
# results page reads too.
def _fmt(mean, std) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    return f"{mean:.2f} ± {std:.2f}" if not math.isnan(std) else f"{mean:.2f}"


def _value(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return str(int(v)) if isinstance(v, float) else str(v)


def _ablations(preset: str, rows: pd.DataFrame) -> list[str]:
    """Sentences about how a table's axis moves GTP/GTD, counted over its groups."""
    rows = ours(rows)[ours(rows)["metric"].isin(HEADLINE)]
    if preset == "table2":
        return [_trend(rows[rows["variant"] == "hare"], "budget",
                       "GTP and GTD fall at every budget step")]
    if preset == "table3":
        return [_lowest(rows[rows["variant"] != "base"], "iterations", "T")]
    if preset == "table5":
        multi = rows[rows["variant"] == "multi_hare"]
        pairs = multi.pivot_table(index=GROUP, columns="bps", values=["mean", "paper_mean"],
                                  dropna=False)
        if not {("mean", "every"), ("mean", "best")} <= set(pairs.columns):
            return []
        both = pairs.dropna(subset=[("mean", "every"), ("mean", "best")])
        hits = int((both[("mean", "every")] < both[("mean", "best")]).sum())
        paper = both.dropna(subset=[("paper_mean", "every"), ("paper_mean", "best")])
        paper_hits = int((paper[("paper_mean", "every")] < paper[("paper_mean", "best")]).sum())
        return [f"Calibrating every candidate gives a lower value than calibrating only the "
                f"chosen one in {hits} of {len(both)} groups (the paper's numbers: {paper_hits} "
                f"of {len(paper)})."] if len(both) else []
    return []


def _trend(rows: pd.DataFrame, axis: str, claim: str) -> str:
    groups = [g.sort_values(axis) for _, g in rows.groupby(GROUP, dropna=False) if len(g) > 1]
    if not groups:
        return ""
    hits = sum(bool((g["mean"].diff().dropna() < 0).all()) for g in groups)
    paper = [g for g in groups if g["paper_mean"].notna().all()]
    paper_hits = sum(bool((g["paper_mean"].diff().dropna() < 0).all()) for g in paper)
    return (f"{claim} in {hits} of {len(groups)} (dataset, generator, metric) groups "
            f"(the paper's numbers: {paper_hits} of {len(paper)}).")


def _lowest(rows: pd.DataFrame, axis: str, name: str) -> str:
    groups = [g for _, g in rows.groupby(GROUP, dropna=False) if g[axis].nunique() > 1]
    if not groups:
        return ""

    def count(column):
        best = [g.loc[g[column].idxmin(), axis] for g in groups if g[column].notna().all()]
        return ", ".join(f"{name} = {int(v)} in {n}" for v, n in
                         sorted(pd.Series(best).value_counts().items())), len(best)

    mine, total = count("mean")
    paper, paper_total = count("paper_mean")
    return (f"Where the lowest value over {name} falls, per (dataset, generator, metric) group: "
            f"{mine} (of {total}); the paper's numbers: {paper or '—'} (of {paper_total}).")


def _fewer_users(frame: pd.DataFrame) -> list[str]:
    short = ours(frame)
    short = short[short["n_users"] < short["users"]].drop_duplicates(list(KEY))
    if short.empty:
        return []
    parts = []
    # per protocol too: their classifiers differ (the authors' refuse far fewer COMPAS rows)
    for (p, d, m, u), g in short.groupby(["protocol", "dataset", "model", "users"]):
        low, high = int(g["n_users"].min()), int(g["n_users"].max())
        span = f"{low}" if low == high else f"{low}–{high}"
        parts.append(f"{readable('dataset', d)} {m.upper()} under {title(p)} ({span} of {int(u)})")
    return [f"In {len(short)} cells at least one seed's classifier refuses fewer test rows than "
            f"the users asked for, and its runs use every row it refuses: {', '.join(parts)} "
            "(`n_users`, the fewest over the seeds).", ""]


def _paper_table(preset: str, rows: pd.DataFrame) -> list[str]:
    table = PAPER_TABLES[preset]
    mine = ours(rows)
    lines = [f"{CELLS_HEADING}{table} (preset `{preset}`)", ""]
    for setting in settings(rows):
        part = in_setting(rows, setting)
        order = ordering(part)
        sentence = f"{setting_label(setting)}: {within_rate(part)} compared cells within"
        if len(order):
            paper = order.dropna(subset=["paper_holds"])
            sentence += (f"; base > HARE ≥ Multi-HARE in {int(order['ours_holds'].sum())} of "
                         f"{len(order)} groups (the paper's numbers: "
                         f"{int(paper['paper_holds'].astype(bool).sum())} of {len(paper)}); "
                         f"HARE and Multi-HARE below the base in "
                         f"{int(order['ours_below_base'].sum())} of {len(order)}")
        lines += [sentence + ".", ""]
        lines += [s + "\n" for s in _ablations(preset, part) if s]
    missing = rows[rows["seeds"] == 0]
    if len(missing):
        lines += [f"{len(missing)} numbers of the paper's Table {table} have no run in this "
                  "store (not listed).", ""]
    body = []
    for row in mine[mine["paper_mean"].notna()].to_dict("records"):
        delta = row["mean"] - row["paper_mean"]
        mark = "—" if row["within"] is None else ("yes" if row["within"] else "**no**")
        body.append([row["model"], row["dataset"], row["generator"], row["variant"],
                     _value(row["budget"]), _value(row["iterations"]), _value(row["bps"]),
                     row["scale"], row["users"], row["metric"], _fmt(row["mean"], row["std"]),
                     _fmt(row["paper_mean"], row["paper_std"]),
                     "—" if math.isnan(delta) else f"{delta:+.2f}", mark])
    return lines + markdown_block(["model", "dataset", "generator", "variant", "B", "T", "BPS",
                                   "scale", "users", "metric", "ours", "paper", "Δ", "within"],
                                  body)


def _study(preset: str, rows: pd.DataFrame) -> list[str]:
    """A study beyond the paper: ours only, one row per cell, the metrics it has."""
    mine = ours(rows)
    metrics = [m for m in ("gtp", "gtd", "user_cost") if mine[mine["metric"] == m]["mean"].notna().any()]
    body = []
    for _, cell in mine.groupby(list(KEY), dropna=False, sort=False):
        first = cell.iloc[0].to_dict()
        by = cell.set_index("metric")
        label = config_of(first).label().rsplit(" seed", 1)[0]
        body.append([label, int(first["seeds"]), first["users"],
                     *(_fmt(by.at[m, "mean"], by.at[m, "std"]) if m in by.index else "—"
                       for m in metrics)])
    return [f"## Beyond the paper: preset `{preset}`", ""] + markdown_block(
        ["cell", "seeds", "users", *(SHORT_METRIC[m] for m in metrics)], body)


def _summary(frame: pd.DataFrame) -> list[str]:
    """One row per (paper table, setting) that has runs of ours."""
    body = []
    for preset, table in PAPER_TABLES.items():
        rows = preset_rows(frame, preset, with_paper_only=False)
        for setting in settings(rows):
            part = in_setting(rows, setting)
            order = ordering(part)
            paper = order.dropna(subset=["paper_holds"])
            held = (f"{int(order['ours_holds'].sum())} of {len(order)} / "
                    f"{int(paper['paper_holds'].astype(bool).sum())} of {len(paper)}"
                    if len(order) else "—")
            below = f"{int(order['ours_below_base'].sum())} of {len(order)}" if len(order) else "—"
            body.append([table, setting_label(setting), within_rate(part), held, below])
    if not body:
        return []
    return ["## Summary", ""] + markdown_block(
        ["table", "setting", "within (of compared cells)",
         "base > HARE ≥ Multi-HARE (ours / paper)", "HARE and Multi-HARE below base (ours)"],
        body)


CELLS_HEADING = "## Table "  # opens each paper table's per-cell listing (``_paper_table``)


def split_summary(text: str) -> tuple[str, str]:
    """A rendered report as (its summary sections, its per-table cell listings): a page can
    draw the first, which is short, and offer the whole as a file."""
    at = text.find("\n" + CELLS_HEADING)
    return (text, "") if at < 0 else (text[:at + 1], text[at + 1:])


CELLS_ELSEWHERE = ("Every cell of every table: `python -m hare report --full`, or "
                   "`python -m hare cells --preset PRESET --format markdown` for one preset's "
                   "(for the shipped store, docs/results.md).")


def render(store: ResultStore, source: str | None = None, cells: bool = True) -> str:
    """The report as markdown; ``source`` names the store in its first line (default: its
    path; the app passes the file's name, so no server path is shown to a visitor).
    ``cells=False`` leaves out each paper table's and study's per-cell listing (the verdict,
    the summaries and active HARE's comparison stay) and says where the cells are."""
    frame = store_cells(store)
    runs = int(ours(frame).drop_duplicates(list(KEY))["seeds"].sum()) if len(frame) else 0
    n_cells = len(ours(frame).drop_duplicates(list(KEY)))
    lines = ["# Reproduction report", "",
             f"Generated by `python -m hare report` from `{source or store.path}`: {runs} runs in {n_cells} "
             "cells. A cell is one setting of every run field but the seed (users included; "
             "different settings are never pooled); ours is the mean ± std over its seeds. It is "
             f"*within* when {TOLERANCE_TEXT}.", ""]
    if not n_cells:
        return "\n".join(lines + ["The store holds no runs.", ""])
    found = verdict(frame)
    if found is not None:
        lines += ["## Verdict", "", *found.markdown()]
    lines += _summary(frame)
    stored_runs = store.runs()
    lines += protocol_section(frame, stored_runs)
    lines += _fewer_users(frame)
    sections = []
    for preset in PRESETS:
        rows = preset_rows(frame, preset)
        if ours(rows).empty:
            continue
        if preset == "active":  # its own comparison: active HARE against the paper's HARE
            sections += active_section(frame, stored_runs, store.person_shares())
        elif not cells:
            continue
        elif preset in PAPER_TABLES:
            sections += _paper_table(preset, rows)
        else:
            sections += _study(preset, rows)
    if not cells:
        sections += [CELLS_ELSEWHERE, ""]
    elsewhere = ours(frame)[ours(frame)["presets"] == ""].drop_duplicates(list(KEY))
    if len(elsewhere):
        sections += [f"{len(elsewhere)} cells belong to no preset; `python -m hare cells` lists "
                     "them.", ""]
    return "\n".join(lines + sections)
