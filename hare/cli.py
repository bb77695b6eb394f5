"""``python -m hare``: run benchmark grids into DuckDB and compare them with the paper.

Every option of ``run`` takes several values and the command runs their full grid, skipping
runs already stored. Invalid input stops before anything is computed or written, with one line
on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys

import pandas as pd
import torch

from hare.errors import ConfigError, HareError

DEFAULT_DB = "results/hare.duckdb"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        self.exit(2, f"hare: error: {message} (see python -m hare {self.prog.split()[-1]} --help)\n")


def _add_grid_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", nargs="+", default=["adult"], help="adult, compas, credit")
    p.add_argument("--model", nargs="+", default=["ann"], help="ann, lr")
    p.add_argument("--generator", nargs="+", default=["wachter"],
                   help="base recourse generator(s), e.g. wachter gs")
    p.add_argument("--variant", nargs="+", default=["base", "hare", "multi_hare"],
                   help="base, hare (T = 1), multi_hare (T = --iterations)")
    p.add_argument("--budget", nargs="+", type=int, default=[30], help="query budget B")
    p.add_argument("--iterations", nargs="+", type=int, default=[5], help="Multi-HARE's T")
    p.add_argument("--bps", nargs="+", default=["every"], help="every, best")
    p.add_argument("--scale", nargs="+", default=["far"], help="near, intermediate, far")
    p.add_argument("--noise", nargs="+", default=["none"], help="none, bernoulli, logistic")
    p.add_argument("--noise-param", nargs="+", type=float, default=[0.0],
                   help="flip probability (bernoulli) or β (logistic)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--users", type=int, default=150, help="factuals per run (first test negatives)")
    _add_execution_options(p)


def _grid(args) -> list:
    from hare.bench.config import expand_grid
    return expand_grid(dataset=args.dataset, model=args.model, generator=args.generator,
                       variant=args.variant, budget=args.budget, iterations=args.iterations,
                       bps=args.bps, scale=args.scale, noise=args.noise,
                       noise_param=args.noise_param, seed=args.seeds, users=[args.users])


def cmd_run(args) -> int:
    return _execute(_grid(args), args)


def _add_execution_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default {DEFAULT_DB})")
    p.add_argument("--threads", type=int, default=1, help="torch threads in this process (default 1)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="local worker processes (spawn, one torch thread each; default: one per "
                        "core); 1 = in this process")
    p.add_argument("--scheduler", default=None,
                   help="Dask distributed scheduler address, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--markdown", action="store_true", help="print the summary as a markdown table")
    p.add_argument("--all-metrics", action="store_true",
                   help="summary with every Table 4 metric, as 'ours (paper)'")


def _execute(configs, args) -> int:
    from hare.bench.executor import run_grid
    from hare.bench.store import ResultStore
    from hare.data import load_dataset

    if args.workers < 1:
        raise ConfigError(f"workers must be at least 1 (got {args.workers})")
    torch.set_num_threads(args.threads)
    for name in sorted({c.dataset for c in configs}):
        load_dataset(name)  # a missing or corrupt data file fails here, before any write
    store = ResultStore(args.db)
    stored = store.stored_run_ids()
    todo = sum(c.run_id not in stored for c in configs)
    print(f"{len(configs)} runs in the grid, {len(configs) - todo} already stored in {args.db}, "
          f"{todo} to run", file=sys.stderr)
    run_grid(configs, store, progress=not args.quiet, workers=args.workers,
             scheduler=args.scheduler)
    from hare.bench.summary import SHORT, TABLE4, markdown_table, summary_table
    metrics = TABLE4 if args.all_metrics else SHORT
    if any(c.user_model != "ground_truth" for c in configs):
        metrics = metrics + ("user_cost",)  # what weighted-cost users judge by; GTP is not it
    table = summary_table(configs, store, metrics, compact=args.all_metrics)
    if args.markdown:
        print(markdown_table(table))
    else:
        with pd.option_context("display.width", 250, "display.max_columns", 20,
                               "display.max_rows", 2000):
            print(table.to_string(index=False))
    return 0


def cmd_sweep(args) -> int:
    from hare.bench.presets import preset_grid
    if args.users is not None and args.users < 1:
        raise ConfigError(f"users must be at least 1 (got {args.users})")
    return _execute(preset_grid(args.preset, seeds=args.seeds, users=args.users,
                                datasets=args.dataset, generators=args.generator), args)


def cmd_report(args) -> int:
    from pathlib import Path

    from hare.bench.report import render
    from hare.bench.store import ResultStore
    store = ResultStore(args.db)
    if not store.exists():
        raise ConfigError(f"no results database at {args.db}; run a sweep first")
    text = render(store, users=args.users)
    if args.out == "-":
        print(text)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def cmd_compact(args) -> int:
    from pathlib import Path

    from hare.bench.store import export_compact
    if not Path(args.db).is_file():
        raise ConfigError(f"no results database at {args.db}")
    out = export_compact(args.db, args.out or args.db, with_users=not args.runs_only)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m hare", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run a grid of benchmark cells and store them")
    _add_grid_options(run)
    run.set_defaults(func=cmd_run)
    from hare.bench.presets import PRESETS
    sweep = sub.add_parser("sweep", help="run a named preset: " + ", ".join(PRESETS))
    sweep.add_argument("preset", help=", ".join(PRESETS))
    sweep.add_argument("--seeds", nargs="+", type=int, default=None, help="default 0 1 2 3 4")
    sweep.add_argument("--users", type=int, default=None, help="default 150")
    sweep.add_argument("--dataset", nargs="+", default=None, help="only these datasets")
    sweep.add_argument("--generator", nargs="+", default=None, help="only these generators")
    _add_execution_options(sweep)
    sweep.set_defaults(func=cmd_sweep)
    report = sub.add_parser("report", help="write the reproduction report (markdown) from the store")
    report.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default {DEFAULT_DB})")
    report.add_argument("--out", default="results/REPORT.md", help="output file, - for stdout")
    report.add_argument("--users", type=int, default=150, help="compare runs with this many users")
    report.set_defaults(func=cmd_report)
    compact = sub.add_parser("compact", help="rewrite a store compactly (optionally runs only)")
    compact.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default {DEFAULT_DB})")
    compact.add_argument("--out", default=None, help="output file (default: replace --db)")
    compact.add_argument("--runs-only", action="store_true",
                         help="keep the per-run summaries, drop the per-user rows")
    compact.set_defaults(func=cmd_compact)
    from hare.live.terminal import add_recourse_command
    add_recourse_command(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except HareError as exc:
        print(f"hare: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hare: interrupted; finished runs are stored, re-run the same command to resume",
              file=sys.stderr)
        return 130
