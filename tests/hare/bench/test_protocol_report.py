"""The paper vs the authors' protocol vs ours: the decomposition and the rates are
computed from stored runs, and the report says only what the store holds."""

from __future__ import annotations

import pandas as pd

from hare.bench.cells import cells
from hare.bench.config import CONFIG_FIELDS, RunConfig
from hare.bench.protocol_report import decomposition, rates, section

# The paper's Table 1, ANN Adult GS HARE: GTP 0.71 ± 0.34, GTD 0.10 ± 0.05.
CELL = dict(dataset="adult", model="ann", generator="gs", variant="hare", budget=30,
            iterations=1)


def _runs(protocol: str, gtp: float, gtd: float, users: int = 100, **extra) -> list[dict]:
    rows = []
    for seed in (1, 2, 3, 4):
        cfg = RunConfig(**CELL, protocol=protocol, users=users, seed=seed).normalised()
        rows.append({**{f: getattr(cfg, f) for f in CONFIG_FIELDS}, "run_id": cfg.run_id,
                     "n_users": users, "gtp": gtp, "gtd": gtd, **extra})
    return rows


def test_decomposition_counts_each_switch_against_ours_at_100_users():
    runs = pd.DataFrame(_runs("hare", 0.20, 0.30) + _runs("hare+ground_truth", 0.70, 0.30)
                        + _runs("authors", 0.70, 0.12) + _runs("hare", 0.71, 0.10, users=150))
    table = decomposition(cells(runs)).set_index("protocol")
    assert list(table.index) == ["hare", "hare+ground_truth", "authors"]  # 150 users: not compared
    assert table.loc["hare", "within"] == 0 and table.loc["authors", "within"] == 2
    assert table.loc["hare+ground_truth", "within"] == 1  # GTP now within, GTD still not
    assert abs(table.loc["hare", "mean_abs_delta"] - (0.51 + 0.20) / 2) < 1e-9
    assert abs(table.loc["hare+ground_truth", "closes"] - 0.5 / 2) < 1e-9


def test_rates_count_each_ground_truth_once_and_recourses_out_of_range():
    runs = pd.DataFrame(_runs("authors", 0.7, 0.1, gt_rejected=25, out_of_range=10))
    runs = pd.concat([runs, runs.assign(variant="base", budget=None, iterations=None,
                                        out_of_range=0)])
    found = rates(runs).iloc[0]
    assert found["truths"] == 400 and found["gt_rejected"] == 0.25
    assert found["recourses"] == 400 and found["out_of_range"] == 0.10


def test_no_section_without_another_protocol():
    runs = pd.DataFrame(_runs("hare", 0.2, 0.3))
    assert section(cells(runs), runs) == []
