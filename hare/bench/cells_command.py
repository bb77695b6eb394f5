"""``python -m hare cells``: the results layer's rows (hare.bench.cells) as CSV or markdown,
filtered by preset, metric or any run field; the rows the results page charts.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from hare.bench.cells import KEY, METRICS, select, store_cells
from hare.bench.config import RunConfig
from hare.bench.presets import PRESETS
from hare.bench.store import ResultStore
from hare.bench.summary import markdown_table
from hare.errors import ConfigError


def add_parser(sub, default_db: str) -> argparse.ArgumentParser:
    p = sub.add_parser("cells", help="print the stored cells (mean ± std over seeds, paper value)")
    p.add_argument("--db", default=default_db, help=f"DuckDB file (default {default_db})")
    p.add_argument("--format", choices=("csv", "markdown"), default="csv")
    p.add_argument("--preset", nargs="+", default=[], choices=list(PRESETS), metavar="PRESET",
                   help="only the cells of these presets' views (" + ", ".join(PRESETS) + "); "
                        "a paper table's view adds its numbers we have no run for")
    p.add_argument("--no-paper", action="store_true", help="leave the paper's numbers out")
    p.add_argument("--metric", nargs="+", default=[], choices=list(METRICS), metavar="METRIC",
                   help=", ".join(METRICS))
    for field in KEY:  # every run field filters, so no field is left out of reach
        p.add_argument(f"--{field.replace('_', '-')}", nargs="+", default=[], dest=field,
                       metavar="VALUE", help=f"only cells with this {field} ('-' for none)")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    chosen = {name: _checked_filter(name, getattr(args, name)) for name in KEY}
    store = ResultStore(args.db)
    store.check()
    rows = select(store_cells(store), tuple(args.preset), paper=not args.no_paper,
                  metrics=tuple(args.metric), **chosen)
    if rows.empty:
        print("hare: no stored cell matches these filters", file=sys.stderr)
        return 1
    if args.format == "csv":
        print(rows.to_csv(index=False), end="")
    else:
        print(markdown_table(_readable(rows)))
    return 0


def _checked_filter(name: str, values: list[str]) -> tuple:
    """The values given for a run field, each valid for it ('-' for none), or a ConfigError
    naming the field: a filter that can match nothing is a typing mistake, not an answer."""
    schema = RunConfig.schema()
    for text in values:
        if text in ("-", "none", "None") and schema.axes[name].optional:
            continue
        try:
            schema.parse(name, text)
        except ValueError as exc:
            raise ConfigError(f"--{name.replace('_', '-')}: {exc}") from None
    return tuple(values)


def _readable(rows: pd.DataFrame) -> pd.DataFrame:
    """Numbers to two decimals and missing values as "-", for a markdown table."""
    out = rows.drop(columns=["cell_id"]).astype(object)
    for column in out.columns:
        out[column] = [_cell(v, column) for v in out[column]]
    return out


def _cell(value, column: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "-"
    if column in ("mean", "std", "paper_mean", "paper_std"):
        return f"{value:.3f}"
    if isinstance(value, float) and value.is_integer() and column != "noise_param":
        return str(int(value))
    return str(value)
