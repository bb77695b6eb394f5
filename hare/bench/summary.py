"""The table the command line prints after a run: the grid's cells (from hare.bench.cells) with
mean ± std over seeds beside the paper's numbers.
"""

from __future__ import annotations

import math

import pandas as pd

from hare.bench.cells import cells, config_of, stored_runs
from hare.bench.config import RunConfig
from hare.bench.measures import IN_SUMMARY, PAPER_NAMES
from hare.bench.names import SHORT_METRIC as HEADERS
from hare.bench.store import ResultStore

SHORT = IN_SUMMARY  # the metrics printed after a run
OUTSIDE = "outside the paper's tolerance"  # the column naming the metrics not within (cells.within)
TABLE4 = tuple(PAPER_NAMES)  # with --all-metrics: every metric the paper reports (its Table 4's)


def summary_table(configs: list[RunConfig], store: ResultStore, metrics=SHORT,
                  compact: bool = False) -> pd.DataFrame:
    """One row per cell of the given configs that the store holds, in the grid's order.

    Default: "mean ± std" and the paper's "mean ± std" per metric, and which metrics are outside
    the paper's tolerance (``OUTSIDE``: the cells' one rule, ``hare.bench.cells.within``).
    ``compact``: one "ours (paper)" column per metric. A metric missing for some seeds (every
    user failed) says so: "0.81 (3/5 seeds)"; "—" when none.
    """
    runs = stored_runs(store)
    order = {c.run_id: i for i, c in enumerate(configs)}
    runs = runs[runs["run_id"].isin(order)]
    runs = runs.iloc[sorted(range(len(runs)), key=lambda i: order[runs["run_id"].iloc[i]])]
    lines = []
    for _, cell in cells(runs, metrics).groupby("cell_id", sort=False):
        first = cell.iloc[0].to_dict()
        line = {"cell": config_of(first).label().rsplit(" seed", 1)[0],
                "seeds": int(first["seeds"]), "users": int(first["n_users"])}
        outside = []
        for row in cell.to_dict("records"):
            metric, n, seeds = row["metric"], row["seeds_with_value"], row["seeds"]
            paper = None if math.isnan(row["paper_mean"]) else (row["paper_mean"], row["paper_std"])
            ours = "—" if n == 0 else (f"{row['mean']:.2f}" if compact
                                       else f"{row['mean']:.2f} ± {row['std']:.2f}")
            if 0 < n < seeds:
                ours += f" ({n}/{seeds} seeds)"
            if compact:
                line[HEADERS[metric]] = ours + (f" ({paper[0]:.2f})" if paper else "")
            else:
                line[metric] = ours
                line[f"paper {metric}"] = f"{paper[0]:.2f} ± {paper[1]:.2f}" if paper else "—"
            if row["within"] is not None and not pd.isna(row["within"]) and not row["within"]:
                outside.append(metric)
        if not compact:
            line[OUTSIDE] = ", ".join(outside) or "—"
        lines.append(line)
    return pd.DataFrame(lines)


def markdown_lines(headers, rows) -> list[str]:
    """A GitHub markdown table as lines: ``headers`` and ``rows`` are sequences of cells, each
    written with str (pandas' to_markdown needs the tabulate package)."""
    headers = list(headers)
    return ["| " + " | ".join(map(str, headers)) + " |", "|" + "---|" * len(headers),
            *("| " + " | ".join(map(str, row)) + " |" for row in rows)]


def markdown_block(headers, rows) -> list[str]:
    """The table's lines and a blank one: a report section's lines go on after it."""
    return [*markdown_lines(headers, rows), ""]


def markdown_table(frame: pd.DataFrame) -> str:
    """A frame as a GitHub markdown table."""
    return "\n".join(markdown_lines(frame.columns, frame.itertuples(index=False)))
