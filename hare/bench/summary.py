"""Per-cell summaries of stored runs (mean ± std over seeds) beside the paper's numbers, as the
command line prints them and the README shows them.
"""

from __future__ import annotations

import math

import pandas as pd

from hare.bench.config import RunConfig
from hare.bench.paper import paper_value
from hare.bench.store import ResultStore

SHORT = ("gtp", "gtd", "success_rate")
TABLE4 = ("gtp", "gtd", "success_rate", "constraint_violations", "redundancy", "proximity_sq",
          "sparsity")
HEADERS = {"gtp": "GTP", "gtd": "GTD", "success_rate": "success", "constraint_violations":
           "con. vio.", "redundancy": "red.", "proximity_sq": "prox. (L2²)", "sparsity": "spars.",
           "user_cost": "user's cost"}


def _mean_std(values: pd.Series) -> tuple[float, float, int]:
    """Mean and std over the seeds that have a value, and how many do.

    A run whose every user failed has no metric value (NULL); it is counted, not averaged as 0.
    """
    present = values.dropna().astype(float)
    if present.empty:
        return math.nan, math.nan, 0
    return float(present.mean()), float(present.std(ddof=0)), len(present)


def summary_table(configs: list[RunConfig], store: ResultStore, metrics=SHORT,
                  compact: bool = False) -> pd.DataFrame:
    """One row per cell (config without seed) of the given configs that the store holds.

    Default: "mean ± std" and the paper's "mean ± std" per metric, and which metrics differ from
    the paper's by more than its std. ``compact``: one "ours (paper)" column per metric. A metric
    missing for some seeds (every user failed) says so: "0.81 (3/5 seeds)"; "—" when none.
    """
    runs = store.runs()
    ids = {c.run_id: c for c in configs}
    order = {c.run_id: i for i, c in enumerate(configs)}  # cells in the grid's order
    runs = runs[runs["run_id"].isin(ids)]
    runs = runs.iloc[sorted(range(len(runs)), key=lambda i: order[runs["run_id"].iloc[i]])]
    cells: dict[str, list] = {}
    for _, row in runs.iterrows():
        cfg = ids[row["run_id"]]
        cells.setdefault(cfg.label().rsplit(" seed", 1)[0], []).append((cfg, row))
    lines = []
    for label, members in cells.items():
        cfg = members[0][0]
        frame = pd.DataFrame([r for _, r in members])
        line = {"cell": label, "seeds": len(members), "users": int(frame["n_users"].min())}
        beyond = []
        for metric in metrics:
            mean, std, n = _mean_std(frame[metric])
            paper = paper_value(cfg, metric)
            ours = "—" if n == 0 else (f"{mean:.2f}" if compact else f"{mean:.2f} ± {std:.2f}")
            if 0 < n < len(members):
                ours += f" ({n}/{len(members)} seeds)"
            if compact:
                line[HEADERS[metric]] = ours + (f" ({paper[0]:.2f})" if paper else "")
            else:
                line[metric] = ours
                line[f"paper {metric}"] = f"{paper[0]:.2f} ± {paper[1]:.2f}" if paper else "—"
            if paper and n and abs(mean - paper[0]) > (paper[1] if paper[1] == paper[1] else 0):
                beyond.append(metric)
        if not compact:
            line["beyond paper std"] = ", ".join(beyond) or "—"
        lines.append(line)
    return pd.DataFrame(lines)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub markdown table (pandas' to_markdown needs the tabulate package)."""
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])
