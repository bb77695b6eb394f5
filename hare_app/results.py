"""The results page's views: which presets each one shows, on which axis, with which metrics.
The rows come from the engine's results layer (hare.bench.cells.select), the same ones
``python -m hare cells --preset ...`` prints; this module only names and arranges them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hare.bench.cells import FREE, PAPER_KEY, select
from hare.bench.names import noise_label, readable
from hare.protocol import AUTHORS, DEFAULT

HEADLINE = ("gtp", "gtd")
CLASSICAL = ("success_rate", "constraint_violations", "redundancy", "proximity_sq", "sparsity")


@dataclass(frozen=True)
class View:
    """One tab of the results page. A later study is one more entry in VIEWS: its presets, the
    field on its x axis and its metrics."""

    label: str  # the tab's label
    caption: str
    presets: tuple[str, ...]
    x: str  # a run field, "noise" (noise model and parameter as one label) or "arm" (variant
    # and budget as one label)
    metrics: tuple[str, ...] = HEADLINE
    paper: bool = True  # draw the paper's numbers beside ours
    lines: bool = False  # a line over an ordered x; bars otherwise


VIEWS = (
    View("Table 1 · base vs HARE vs Multi-HARE",
         "Each base generator alone, then with HARE (B = 30 questions, T = 1) and Multi-HARE "
         "(B = 30 over T = 5 iterations). Far ground truth, noiseless simulated users.",
         ("table1",), "variant"),
    View("Table 2 · query budget",
         "HARE (T = 1) with a budget of B = 10, 30, 70 and 100 questions. The faint horizontal "
         "lines are the base generator alone.", ("table2",), "budget", lines=True),
    View("Table 3 · iterations",
         "The budget B = 30 split over T = 1 (HARE), 3, 5 and 10 iterations (Multi-HARE).",
         ("table3",), "iterations", lines=True),
    View("Table 4 · classical metrics",
         "The recourse metrics of the literature for base, HARE and Multi-HARE (neural network "
         "classifier): success rate, constraint violations, redundancy, proximity (squared L2) "
         "and sparsity.", ("table4",), "variant", metrics=CLASSICAL + HEADLINE),
    View("Table 5 · boundary point search",
         "Multi-HARE (B = 30, T = 5) calibrating every candidate onto the decision boundary, or "
         "only the chosen one; the base generator for reference.", ("table5",), "bps"),
    View("Table 6 · ground-truth scale",
         "Simulated users whose preferred recourse lies near, at an intermediate distance or "
         "far from them.", ("table6",), "scale", lines=True),
    View("Beyond the paper · noisy users",
         "Users who flip 5, 10 or 20 % of their answers, or answer like a logistic "
         "(Bradley–Terry) chooser with β = 10, beside noiseless users (Table 4's runs). The "
         "paper has no such study.", ("noise", "table4"), "noise", paper=False),
    View("Beyond the paper · weighted-cost users",
         "Users who judge a recourse by their own weighted L1 cost of change, not by a hidden "
         "preferred recourse; the user's own cost is what they care about.",
         ("prefs",), "variant", metrics=("user_cost",) + HEADLINE, paper=False),
    View("Beyond the paper · active HARE",
         "Active HARE learns where each user's preferred recourse lies from every answer and asks "
         "the most informative comparison next; beside HARE and Multi-HARE (B = 30) on Table 1's "
         "cells, with 30, 20 and 10 questions (`hare sweep active`).",
         ("active",), "arm", metrics=HEADLINE + ("user_cost",), paper=False),
)


@dataclass(frozen=True)
class Filters:
    datasets: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    generators: tuple[str, ...] = ()


def view_rows(view: View, cells: pd.DataFrame, metric: str, filters: Filters) -> pd.DataFrame:
    """The rows behind a view's chart: ``python -m hare cells --preset P... --metric M`` with
    the same filters (``--no-paper`` for a view without the paper)."""
    return select(cells, view.presets, paper=view.paper, metrics=(metric,),
                  dataset=filters.datasets, model=filters.models, generator=filters.generators)


# How each of our cells stands against the paper's number (hare.bench.cells.within).
WITHIN, OUTSIDE, NO_NUMBER = ("✓ within the paper's tolerance", "✗ outside it",
                              "– the paper gives no number")
SYMBOLS = {WITHIN: "✓", OUTSIDE: "✗", NO_NUMBER: "–"}


def _tolerance(within, paper: bool) -> str | None:
    """The mark of one of our cells: None where the view draws no paper numbers."""
    if not paper:
        return None
    if within is None or pd.isna(within):
        return NO_NUMBER
    return WITHIN if within else OUTSIDE


def chart_frame(view: View, rows: pd.DataFrame) -> pd.DataFrame:
    """Long format for the chart: one row per (cell, source) with ``mean``, ``lo``, ``hi``;
    ``source`` is "ours" (or "ours · N users" when several settings are shown) or "paper";
    ``tolerance`` and ``symbol`` mark each of our cells against the paper's number (views with
    the paper); ``panel`` is the facet's header, its lines split by "|" (the users a cell
    actually used when fewer than asked, and a panel the paper gives no number for);
    readable names throughout."""
    mine = rows[(rows["seeds"] > 0) & rows["mean"].notna()].copy()
    free = [f for f in FREE if f != "seed" and mine[f].nunique() > 1]
    if view.x == "arm":  # an arm is one (variant, budget): budget and iterations are its label
        mine = mine.drop_duplicates(["dataset", "model", "generator", "variant", "budget",
                                     "metric", *free])
    mine["source"] = "ours"
    if free:
        mine["source"] = mine[free].apply(
            lambda r: "ours · " + ", ".join(f"{r[f]} {f}" for f in free), axis=1)
    mine["tolerance"] = [_tolerance(w, view.paper) for w in mine["within"]]
    parts = [mine]
    if view.paper:
        paper = rows[rows["paper_mean"].notna()].copy()
        # the paper's number of a cell sits on the row of each of our settings: draw it once
        paper = paper.drop_duplicates([*PAPER_KEY, "metric"])
        paper["mean"], paper["std"] = paper["paper_mean"], paper["paper_std"]
        paper["source"] = "paper"
        paper["seeds"] = pd.NA
        paper["users"] = pd.NA
        paper["n_users"] = pd.NA
        paper["tolerance"] = None
        parts.append(paper)
    frame = pd.concat(parts, ignore_index=True) if len(mine) or view.paper else mine
    if frame.empty:
        return frame
    std = frame["std"].astype(float).fillna(0.0)
    frame["lo"], frame["hi"] = frame["mean"] - std, frame["mean"] + std
    frame["symbol"] = frame["tolerance"].map(SYMBOLS)
    frame["x"] = [_x_label(view.x, row) for row in frame.to_dict("records")]
    frame["variant name"] = frame["variant"].map(lambda v: readable("variant", v))
    frame["panel"] = [f"{readable('dataset', d)} · {m.upper()}|{readable('generator', g)}"
                      for d, m, g in zip(frame["dataset"], frame["model"], frame["generator"])]
    notes = _panel_notes(view, frame)
    frame["panel"] = [panel + "".join(f"|{note}" for note in notes.get(panel, ()))
                      for panel in frame["panel"]]
    return frame


def _panel_notes(view: View, frame: pd.DataFrame) -> dict[str, list[str]]:
    """Per panel, what its header adds: the users our cells actually used where a classifier
    refused fewer test rows than the users asked for (the fewest over seeds, as stored), and
    that the paper gives no number for any of its cells."""
    notes: dict[str, list[str]] = {}
    for panel, part in frame.groupby("panel", sort=False):
        ours = part[part["source"] != "paper"]
        found = []
        for users, setting in ours.groupby("users"):
            used = int(setting["n_users"].min())
            if used < int(users):
                found.append(f"{used} of {int(users)} users used")
        if view.paper and len(ours) and not (part["source"] == "paper").any():
            found.append("the paper gives no number")
        if found:
            notes[panel] = found
    return notes


def settings_note(view: View, frame: pd.DataFrame) -> str:
    """A line under a chart that shows several settings of ours (e.g. 150 and 100 users): what
    each is, so a second set of bars is never unexplained; empty with one setting."""
    ours = frame[frame["source"] != "paper"] if len(frame) else frame
    sources = sorted(set(ours["source"])) if len(ours) else []
    if len(sources) < 2:
        return ""
    parts = []
    for source, part in ours.groupby("source"):
        cells = part.drop_duplicates(["cell_id"])
        users = set(part["users"].dropna().astype(int))
        extra = (" (the authors' number of users, so their choices can be compared one at a "
                 "time)" if users == {AUTHORS.users} and set(part["protocol"]) == {DEFAULT}
                 else "")
        parts.append(f"**{source}**: {len(cells)} cells{extra}")
    return ("Each setting of ours is drawn on its own, never pooled: " + "; ".join(parts) + ".")


def _x_label(x: str, row: dict):
    if x == "noise":
        return noise_label(row["noise"], row["noise_param"])
    if x == "bps" and row["variant"] == "base":
        return "base generator"  # base has no BPS mode: the reference both modes improve on
    if x in ("budget", "iterations"):
        value = row[x]
        return None if pd.isna(value) else int(value)
    if x == "arm":  # "base" alone: six arms share a panel, every label must fit
        name = "base" if row["variant"] == "base" else readable("variant", row["variant"])
        return name if pd.isna(row["budget"]) else f"{name} B{int(row['budget'])}"
    return readable(x, row[x])


def x_order(view: View, frame: pd.DataFrame) -> list:
    """The x axis's categories in their natural order."""
    known = {"variant": ["base generator", "HARE", "Multi-HARE"],
             "bps": ["base generator", "every candidate", "chosen candidate only"],
             "scale": ["near", "intermediate", "far"]}.get(view.x)
    present = list(dict.fromkeys(frame["x"].dropna()))
    if view.x == "arm":  # the paper's variants first, then active HARE by its budget
        ranked = frame.assign(rank=frame["variant"].map(
            {"base": 0, "hare": 1, "multi_hare": 2}).fillna(3)).sort_values(["rank", "budget"])
        return list(dict.fromkeys(ranked["x"].dropna()))
    if view.x == "noise":  # noiseless first, then each noise model by its parameter
        ranked = frame.assign(kind=frame["noise"] != "none").sort_values(
            ["kind", "noise", "noise_param"])
        return list(dict.fromkeys(ranked["x"]))
    if known is None:
        return sorted(present)
    return [v for v in known if v in present] + [v for v in present if v not in known]


def filter_options(cells: pd.DataFrame) -> dict[str, list[str]]:
    """Choices for the dataset / model / generator filters: ours and the paper's."""
    paper = select(cells, ("table1",))
    return {column: sorted(set(paper[column].dropna().astype(str))
                           | set(cells[column].dropna().astype(str)))
            for column in ("dataset", "model", "generator")}
