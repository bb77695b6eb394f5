"""The results dashboard's tables: our stored runs beside the paper's numbers, one long table
per paper table (Tables 1, 2, 3, 5, 6), ready to chart and to download.

Long format throughout: one row per (cell, metric, source) with ``mean`` and ``std`` over users
(the paper's mean ± std are over users too), ``source`` being "ours" or "paper".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from hare.bench.paper import paper_results

CELL = ["dataset", "model", "generator", "variant", "budget", "iterations", "bps", "scale"]
METRICS = ("gtp", "gtd")
LONG_COLUMNS = CELL + ["metric", "mean", "std", "seeds", "users", "source"]

# Mean and spread over seeds of the runs' means (valid recourses only), per cell. Only
# noiseless ground-truth users: the paper's setting. Runs-level, so it also works on the shipped
# database, which keeps per-run summaries only (per-user rows would make it ~11 MB).
OURS_SQL = """
SELECT r.dataset, r.model, r.generator, r.variant, r.budget, r.iterations, r.bps, r.scale,
       count(r.gtp) AS seeds, sum(r.n_users) AS users,
       avg(r.gtp) AS gtp_mean, stddev_pop(r.gtp) AS gtp_std,
       avg(r.gtd) AS gtd_mean, stddev_pop(r.gtd) AS gtd_std
FROM runs r
WHERE r.noise = 'none' AND r.user_model = 'ground_truth' AND r.tolerance IS NULL
GROUP BY ALL
"""


def ours_long(cells: pd.DataFrame) -> pd.DataFrame:
    """OURS_SQL's result -> the long format."""
    if cells.empty:
        return pd.DataFrame(columns=LONG_COLUMNS)
    parts = []
    for metric in METRICS:
        part = cells[CELL + ["seeds", "users"]].copy()
        part["metric"] = metric
        part["mean"] = cells[f"{metric}_mean"].astype(float)
        part["std"] = cells[f"{metric}_std"].astype(float)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["source"] = "ours"
    return _normalise(out[LONG_COLUMNS])


def paper_long(table: int) -> pd.DataFrame:
    """The paper's rows of one table in the long format."""
    frame = paper_results()
    frame = frame[(frame["table"] == table) & frame["metric"].isin(METRICS)].copy()
    frame["seeds"] = pd.NA
    frame["users"] = pd.NA
    frame["source"] = "paper"
    return _normalise(frame[LONG_COLUMNS])


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes from both sources, so filters and charts treat them alike."""
    frame = frame.copy()
    # NaN-missing dtypes (not pandas' NA): a comparison with a missing budget is simply False.
    for column in ("budget", "iterations", "mean", "std"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in ("dataset", "model", "generator", "variant", "bps", "scale", "metric", "source"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None).astype("str")
    return frame.reset_index(drop=True)


def _cell_t1(f: pd.DataFrame) -> pd.Series:
    """Table 1's cells: B = 30, Multi-HARE T = 5, BPS on every candidate, far ground truth."""
    hare = ((f["variant"] == "hare") & (f["budget"] == 30) & (f["bps"] == "every"))
    multi = ((f["variant"] == "multi_hare") & (f["budget"] == 30) & (f["iterations"] == 5)
             & (f["bps"] == "every"))
    return (f["scale"] == "far") & ((f["variant"] == "base") | hare | multi)


@dataclass(frozen=True)
class TableView:
    """One chart of the dashboard and the paper table it mirrors."""

    number: int
    title: str  # short: it labels a tab
    caption: str
    x: str  # column on the x axis
    cells: Callable[[pd.DataFrame], pd.Series]  # which of our cells belong to it
    x_label: str = ""


TABLE_VIEWS = (
    TableView(1, "variants",
              "Table 1, base vs HARE vs Multi-HARE: each base generator alone, with HARE "
              "(B = 30, T = 1) and Multi-HARE (B = 30, T = 5).",
              "variant", _cell_t1),
    TableView(2, "budget",
              "Table 2, GTP/GTD against the query budget: HARE (T = 1) with B = 10, 30, 70, 100; "
              "the flat lines are the base generators.",
              "budget", lambda f: (f["scale"] == "far") & ((f["variant"] == "base") | (
                  (f["variant"] == "hare") & (f["bps"] == "every"))), "budget B"),
    TableView(3, "iterations",
              "Table 3, against the number of iterations: B = 30 split over T = 1 (HARE), 3, 5 "
              "and 10 iterations (Multi-HARE).",
              "iterations", lambda f: (f["variant"].isin(["hare", "multi_hare"]) & (f["budget"] == 30)
                                       & (f["bps"] == "every") & (f["scale"] == "far")),
              "iterations T"),
    TableView(5, "BPS at best vs every",
              "Table 5, boundary point search at best vs every: Multi-HARE (B = 30, T = 5) "
              "calibrating only the chosen candidate or all of them.",
              "bps", lambda f: (f["scale"] == "far") & ((f["variant"] == "base") | (
                  (f["variant"] == "multi_hare") & (f["budget"] == 30) & (f["iterations"] == 5))),
              "boundary point search on"),
    TableView(6, "ground-truth scale",
              "Table 6, against the ground-truth scale: simulated users whose preferred recourse "
              "is near, intermediate or far.",
              "scale", lambda f: _cell_t1(f.assign(scale="far")) & f["scale"].notna(),
              "ground-truth scale"),
)


@dataclass(frozen=True)
class Filters:
    datasets: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    generators: tuple[str, ...] = ()

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        keep = pd.Series(True, index=frame.index)
        for column, chosen in (("dataset", self.datasets), ("model", self.models),
                               ("generator", self.generators)):
            if chosen:
                keep &= frame[column].isin(chosen)
        return frame[keep]


def table_frame(view: TableView, ours: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Our cells of ``view`` and the paper's table, filtered; the table behind the chart."""
    mine = ours[view.cells(ours).astype(bool)] if not ours.empty else ours
    frame = pd.concat([mine, paper_long(view.number)], ignore_index=True)
    frame = filters.apply(frame)
    if view.x == "bps":
        # base has no BPS mode: show it as its own bar, the reference both modes improve on
        frame["bps"] = frame["bps"].where(frame["variant"] != "base", "base")
    order = {"dataset": 0, "model": 1, "generator": 2, "metric": 3, "source": 4}
    return frame.sort_values(list(order) + [view.x], kind="stable").reset_index(drop=True)


def filter_options(ours: pd.DataFrame) -> dict[str, list[str]]:
    """Choices for the dataset / model / generator filters: ours and the paper's."""
    paper = paper_results()
    return {column: sorted(set(paper[column].astype(str)) | set(ours[column].dropna().astype(str)))
            for column in ("dataset", "model", "generator")}
