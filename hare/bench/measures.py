"""The benchmark's metrics, each declared once: its names, which way is better, whether the
paper reports it, and where the store keeps it.

The store's columns (hare.bench.store), the cells' metrics (hare.bench.cells), the paper's names
(hare.bench.paper), the table headers and the names people read (hare.bench.names) and the
table printed after a run (hare.bench.summary) are all derived from ``MEASURES``. What each
metric computes is hare.metrics (SPEC §7).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """One metric of a run."""

    name: str  # the code's name: a column of ``runs`` (and of ``user_results`` when per user)
    short: str  # a table's header
    long: str  # what the report and the results page call it
    lower_is_better: bool
    # One value per user in ``user_results``, the run's value their mean; otherwise the run's
    # value only (success rate: the share of users with a valid recourse).
    per_user: bool
    reported: bool = True  # a metric of the cells, the report and the results page
    paper: str | None = None  # the paper's name for it (paper_results.csv); None: not reported
    in_summary: bool = False  # in the table printed after a run without --all-metrics
    sql_type: str = "DOUBLE"


# In this order everywhere (the report's columns, the store's columns).
MEASURES: tuple[Measure, ...] = (
    Measure("gtp", "GTP", "ground truth proximity (GTP)", lower_is_better=True, per_user=True,
            paper="gtp", in_summary=True),
    Measure("gtd", "GTD", "ground truth direction (GTD)", lower_is_better=True, per_user=True,
            paper="gtd", in_summary=True),
    Measure("success_rate", "success", "success rate", lower_is_better=False, per_user=False,
            paper="success_rate", in_summary=True),
    Measure("constraint_violations", "con. vio.", "constraint violations", lower_is_better=True,
            per_user=True, paper="constraint_violations"),
    Measure("redundancy", "red.", "redundancy", lower_is_better=True, per_user=True,
            paper="redundancy"),
    # stored beside the squared distance the paper reported (CARLA's), not shown
    Measure("proximity_l2", "prox. (L2)", "proximity (L2)", lower_is_better=True, per_user=True,
            reported=False),
    Measure("proximity_sq", "prox. (L2²)", "proximity (squared L2)", lower_is_better=True,
            per_user=True, paper="proximity"),
    Measure("sparsity", "spars.", "sparsity", lower_is_better=True, per_user=True,
            paper="sparsity"),
    # a weighted-cost user's own cost of the recourse it ended with (what such users judge by)
    Measure("user_cost", "user's cost", "user's own cost", lower_is_better=True, per_user=True),
)

PER_USER: tuple[str, ...] = tuple(m.name for m in MEASURES if m.per_user)
REPORTED: tuple[str, ...] = tuple(m.name for m in MEASURES if m.reported)
IN_SUMMARY: tuple[str, ...] = tuple(m.name for m in MEASURES if m.in_summary)
# our metric name -> the paper's
PAPER_NAMES: dict[str, str] = {m.name: m.paper for m in MEASURES if m.paper is not None}
SHORT_NAMES: dict[str, str] = {m.name: m.short for m in MEASURES if m.reported}
LONG_NAMES: dict[str, str] = {m.name: m.long for m in MEASURES if m.reported}
