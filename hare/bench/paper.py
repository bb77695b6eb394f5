"""The paper's published numbers (Tables 1–6, ``paper_results.csv``) looked up per run config.

The CSV is copied verbatim from the paper (771 rows). Its ``proximity`` is CARLA's squared L2,
which we store as ``proximity_sq``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from hare.bench.config import RunConfig
from hare.bench.measures import PAPER_NAMES

PAPER_METRIC = PAPER_NAMES  # our metric name -> the paper CSV's (hare.bench.measures)


@lru_cache(maxsize=1)
def paper_results() -> pd.DataFrame:
    with resources.files("hare.bench").joinpath("paper_results.csv").open() as handle:
        frame = pd.read_csv(handle)
    frame["model"] = frame["model"].str.lower()
    return frame


def paper_value(cfg: RunConfig, metric: str) -> tuple[float, float] | None:
    """(mean, std) the paper reports for this config and metric, or None if it has none.

    Matches on model, dataset, generator, variant kind and scale; for HARE variants also on
    budget, iterations and BPS mode. The first table that has the cell wins (Tables 1 and 4
    repeat each other's cells).
    """
    if metric not in PAPER_METRIC or cfg.noise != "none" or cfg.user_model != "ground_truth":
        return None
    cfg = cfg.normalised()
    frame = paper_results()
    rows = frame[(frame["model"] == cfg.model) & (frame["dataset"] == cfg.dataset)
                 & (frame["generator"] == cfg.generator) & (frame["scale"] == cfg.scale)
                 & (frame["metric"] == PAPER_METRIC[metric])]
    if cfg.variant == "base":
        rows = rows[rows["variant"] == "base"]
    else:
        rows = rows[(rows["variant"] != "base") & (rows["budget"] == cfg.budget)
                    & (rows["iterations"] == cfg.iterations) & (rows["bps"] == cfg.bps)]
    if rows.empty:
        return None
    row = rows.sort_values("table").iloc[0]
    return float(row["mean"]), float(row["std"]) if pd.notna(row["std"]) else float("nan")
