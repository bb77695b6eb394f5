"""``python -m hare``: run benchmark grids into DuckDB and compare them with the paper.

Every option of ``run`` takes several values and the command runs their full grid, skipping
runs already stored. Invalid input stops before anything is computed or written, with one line
on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

import pandas as pd
import torch

from hare.errors import ConfigError, HareError, StoreError, make_folder_for
from hare.schema import GivenAction

DEFAULT_DB = "results/runs.duckdb"  # sweeps never write the shipped reproduction by default
SHIPPED_DB = "results/hare.duckdb"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        self.exit(2, f"hare: error: {message} (see {self.prog} --help)\n")


def _add_grid_options(p: argparse.ArgumentParser, config_cls=None) -> None:
    """One option per run field, derived from its declaration (hare.schema)."""
    from hare.bench.config import RunConfig
    (config_cls or RunConfig).schema().add_options(p, grid=True, action=GivenAction, free=("model",))
    p.add_argument("--config", default=None, metavar="FILE",
                   help="a sweep file (TOML: one key per option above, a value or a list "
                        "each); options given on the command line take precedence")
    p.add_argument("--configs", default=None, metavar="FILE",
                   help="run the configs in FILE (JSON lines, one RunConfig each) instead of a grid")
    p.add_argument("--data", default=None, metavar="FILE.csv",
                   help="your own data (with --spec) instead of --dataset; --model may then "
                        "name .skops or .onnx files")
    p.add_argument("--spec", default=None, metavar="SPEC.toml", help="the spec of --data")
    p.add_argument("--answers", default=None, metavar="FILE",
                   help="with --user-model fitted: the fitted people (hare answers fit "
                        "--write-model FILE); runs record its hash")
    _add_execution_options(p)


def _grid(args) -> list:
    from hare.bench import sweep_file
    from hare.bench.config import CONFIG_FIELDS, expand_grid
    options = {name: getattr(args, name) for name in CONFIG_FIELDS}
    if getattr(args, "answers", None):  # fitted people: the run records the file's hash
        from hare.fitted_users import register
        options["fitted_users"] = [register(args.answers)]
    if args.configs:
        if args.config:
            raise ConfigError("--config and --configs name two grids; give one")
        return read_configs(args.configs)
    if not args.config:
        return expand_grid(**options)
    given = getattr(args, "given", frozenset())
    options.update({name: values for name, values in sweep_file.read(args.config).items()
                    if name not in given})
    try:
        return expand_grid(**options)
    except ConfigError as exc:  # e.g. a budget its iterations do not divide
        raise ConfigError(f"{args.config}: {exc}") from None


def read_configs(path: str) -> list:
    """RunConfigs from a JSON-lines file (what the app hands the runner), validated line by line."""
    import json
    from pathlib import Path

    from hare.bench.config import MAX_GRID, RunConfig
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read --configs {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"--configs {path} is not a text file of JSON lines (one run config "
                          "per line)") from None
    configs, seen = [], set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
            if not isinstance(fields, dict):
                raise ValueError(f"expected a JSON object of run fields, e.g. "
                                 f'{{"dataset": "adult"}} (got {type(fields).__name__})')
            cfg = RunConfig.from_dict(fields).normalised()
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{path} line {number}: {exc}") from None
        if cfg.run_id not in seen:
            seen.add(cfg.run_id)
            configs.append(cfg)
    if not configs:
        raise ConfigError(f"{path} holds no run configs")
    if len(configs) > MAX_GRID:
        raise ConfigError(f"{path} holds {len(configs):,} runs; at most {MAX_GRID:,} at once")
    return configs


def cmd_run(args) -> int:
    if args.data is not None or args.spec is not None:
        _own_grid(args)
    return _execute(_grid(args), args)


def _own_grid(args) -> None:
    """Point the grid at a person's own data and models (hare.data.own): checked, loaded and
    registered in this process, which then runs every cell itself."""
    from hare.data.own import check_own_options, load_own, read_own_files
    from hare.own_models import own_classifier
    check_own_options(args)
    if args.scheduler or getattr(args, "cluster", None):
        raise ConfigError("--data runs in this process: drop --scheduler/--cluster")
    own = read_own_files(args.data, args.spec)
    dataset = load_own(own)
    args.dataset = [dataset.name]
    args.model = [own_classifier(own, dataset, m)[0] for m in args.model]
    args.workers = 1


def _add_execution_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=DEFAULT_DB,
                   help=f"DuckDB file to write (default {DEFAULT_DB}; the shipped {SHIPPED_DB} "
                        "is only written when named here)")
    p.add_argument("--threads", type=int, default=1, help="torch threads in this process (default 1)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="local worker processes (spawn, one torch thread each; default: one per "
                        "core); 1 = in this process")
    p.add_argument("--scheduler", default=None,
                   help="Dask distributed scheduler address, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--status", default=None, metavar="FILE",
                   help="append each run's state (queued, preparing, running, stored, failed) "
                        "to FILE as JSON lines")
    p.add_argument("--dry-run", action="store_true",
                   help="print the grid (runs, those already stored, an estimate of the time) "
                        "and, with --cluster, the job script; compute and write nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--markdown", action="store_true", help="print the summary as a markdown table")
    p.add_argument("--all-metrics", action="store_true",
                   help="summary with every Table 4 metric, as 'ours (paper)'")
    from hare.bench import cluster
    cluster.add_options(p)


def _check_execution(args) -> None:
    """Execution options, checked before anything is read, computed or written."""
    import re
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {args.workers})")
    if not 1 <= args.threads <= 256:
        raise ConfigError(f"--threads must be from 1 to 256 (got {args.threads})")
    if args.status is not None:
        _check_writable_file(Path(args.status), "--status")
    if args.scheduler is not None and not re.fullmatch(r"(tcp|tls|inproc|ucx)://[^\s/]+(:\d+)?/?",
                                                       args.scheduler):
        raise ConfigError(f"--scheduler must be an address like tcp://10.0.0.5:8786 "
                          f"(got {args.scheduler!r})")
    if args.scheduler is not None and args.cluster is not None:
        raise ConfigError("--scheduler and --cluster both say where to compute; give one")


def _check_writable_file(path: Path, option: str) -> None:
    """A file the command will append to: not a folder, in a folder that exists and can be
    written (checked before anything is created)."""
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a folder; name a file in it, e.g. "
                          f"{path / 'status.jsonl'}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ConfigError(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise ConfigError(f"{option} {path} cannot be written (permission denied)")


def _execute(configs, args) -> int:
    from hare.bench.executor import run_grid
    from hare.bench.status import StatusLog
    from hare.bench.store import ResultStore
    from hare.data import load_dataset

    from hare.bench import cluster as clusters
    _check_execution(args)
    settings = clusters.from_args(args)
    if args.dry_run:
        return _dry_run(configs, args, settings)
    if args.scheduler:
        _check_scheduler(args.scheduler)
    torch.set_num_threads(args.threads)
    for name in sorted({c.dataset for c in configs}):
        load_dataset(name)  # a missing or corrupt data file fails here, before any write
    store = ResultStore(args.db)
    store.init()  # a file that is not a results store fails here, before any compute
    stored = store.stored_run_ids()
    todo = sum(c.run_id not in stored for c in configs)
    print(f"{len(configs)} runs in the grid, {len(configs) - todo} already stored in {args.db}, "
          f"{todo} to run", file=sys.stderr)
    cluster = None
    if settings is not None and todo:
        settings.cluster_class()  # dask-jobqueue missing: one line, before any job is asked for
        cluster = settings.start()
        print(f"asked for workers {settings.describe()}; the scheduler is at "
              f"{cluster.scheduler_address}, and runs start as the jobs join", file=sys.stderr)
    try:
        outcome = run_grid(configs, store, progress=not args.quiet, workers=args.workers,
                           scheduler=args.scheduler, status=StatusLog(args.status),
                           cluster=cluster)
    finally:
        if cluster is not None:
            clusters.close(cluster)
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
    for failure in outcome.failures:
        print(f"hare: run failed: {failure.config.label()}: {failure.error}", file=sys.stderr)
    if outcome.failures:
        print(f"hare: {len(outcome.failures)} of {todo} runs failed; the others are stored",
              file=sys.stderr)
        return 1
    return 0


def _dry_run(configs, args, settings) -> int:
    """The grid, what is stored, an estimate of the time and, with --cluster, the job script:
    nothing computed, no dataset loaded, no store created."""
    from hare.bench.plan import describe, plan
    found = plan(configs, args.db, [SHIPPED_DB])
    if settings is not None:
        workers, where = settings.workers, settings.describe()
    elif args.scheduler:
        workers, where = None, f"on the Dask scheduler at {args.scheduler} (not contacted)"
    else:
        from hare.bench.executor import task_groups
        workers = min(args.workers, len(task_groups(found.todo))) if found.todo else 1
        where = (f"in {workers} local worker processes" if workers > 1 else "in this process")
    print("\n".join(describe(found, workers, where)))
    if settings is not None:
        print(f"\nThe job script each of the {settings.jobs} jobs would run "
              f"({settings.kind}; the scheduler's address is known when the sweep starts):\n")
        print(settings.job_script().strip())
    return 0


def _check_scheduler(address: str, timeout: float = 10.0) -> None:
    """Reach the Dask scheduler before any work is planned on it."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("--scheduler needs the distributed package (pip install distributed)") from None
    try:
        Client(address, timeout=timeout).close()
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
                          f"({type(exc).__name__})") from None


def cmd_sweep(args) -> int:
    from hare.bench.presets import preset_grid
    if args.users is not None and args.users < 1:
        raise ConfigError(f"users must be at least 1 (got {args.users})")
    return _execute(preset_grid(args.preset, seeds=args.seeds, users=args.users,
                                datasets=args.dataset, generators=args.generator,
                                protocol=args.protocol), args)


REPORT_FILE, RESULTS_FILE = "results/REPORT.md", "docs/results.md"


def cmd_report(args) -> int:
    from hare.bench.report import render
    from hare.bench.store import ResultStore
    store = ResultStore(args.db)
    store.check()
    if args.refresh:  # the two committed files, made from the shipped store
        from hare.bench import results_doc
        if args.full or args.out != "-":
            raise ConfigError("--refresh writes both files itself; give it without --full or --out")
        _write_text_file(Path(REPORT_FILE), render(store, cells=False) + "\n", "--refresh")
        _write_text_file(Path(RESULTS_FILE), results_doc.render(store) + "\n", "--refresh")
        print(f"wrote {REPORT_FILE} and {RESULTS_FILE}", file=sys.stderr)
        return 0
    out = None if args.out == "-" else Path(args.out)
    if out is not None and out.is_dir():
        raise ConfigError(f"--out {out} is a folder; name a file, e.g. {out / 'report.md'}")
    text = render(store, cells=args.full)
    if out is None:
        print(text)
        return 0
    _write_text_file(out, text + "\n", "--out")
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _write_text_file(path: Path, text: str, option: str) -> None:
    """Write ``path`` whole (its folder created if needed), or a one-line StoreError."""
    make_folder_for(path, f"{option} {path}")
    scratch = path.with_name(path.name + ".tmp")
    try:
        scratch.write_text(text)
        scratch.replace(path)  # a failure half way leaves no half-written file behind
    except OSError as exc:
        if scratch.is_file():
            scratch.unlink()
        raise StoreError(f"cannot write {option} {path}: {exc.strerror} ({exc.filename})") from None


def cmd_compact(args) -> int:
    from hare.bench.store import export_compact
    if args.out and Path(args.out).is_dir():
        raise ConfigError(f"--out {args.out} is a folder; name a file, e.g. "
                          f"{Path(args.out) / Path(args.db).name}")
    out = export_compact(args.db, args.out or args.db, with_users=not args.runs_only)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


def cmd_merge(args) -> int:
    from hare.bench.merge import merge_stores
    result = merge_stores(args.source, args.into, replace=args.replace,
                          replace_variant=args.replace_variant, with_users=not args.runs_only,
                          protocols=args.protocol)
    print(f"{args.into}: {result.added} runs added, {result.kept} already held and kept, "
          f"{result.removed} removed first; {result.share_groups} per-person comparison rows",
          file=sys.stderr)
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    prog = "hare" if Path(sys.argv[0]).name == "hare" else "python -m hare"
    parser = _Parser(prog=prog, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run a grid of benchmark cells and store them")
    _add_grid_options(run)
    run.set_defaults(func=cmd_run)
    from hare.bench.presets import PRESETS
    sweep = sub.add_parser("sweep", help="run a named preset: " + ", ".join(PRESETS))
    sweep.add_argument("preset", help=", ".join(PRESETS))
    from hare.bench.config import AXES
    from hare.protocol import AUTHORS, DEFAULT as DEFAULT_PROTOCOL, HARE, protocol_names
    sweep.add_argument("--seeds", nargs="+", type=int, default=None,
                       help=f"default {' '.join(map(str, HARE.seeds))} (any other protocol: "
                            f"{' '.join(map(str, AUTHORS.seeds))})")
    sweep.add_argument("--users", type=int, default=None,
                       help=f"default {HARE.users} (any other protocol: {AUTHORS.users})")
    sweep.add_argument("--protocol", default=DEFAULT_PROTOCOL, choices=list(protocol_names()),
                       help=f"{AXES['protocol'].help} (default: {DEFAULT_PROTOCOL})")
    sweep.add_argument("--dataset", nargs="+", default=None, help="only these datasets")
    sweep.add_argument("--generator", nargs="+", default=None, help="only these generators")
    _add_execution_options(sweep)
    sweep.set_defaults(func=cmd_sweep)
    report = sub.add_parser("report", help="the reproduction report (markdown) from the store")
    report.add_argument("--db", default=SHIPPED_DB,
                        help=f"DuckDB file (default {SHIPPED_DB}, the shipped reproduction; "
                             f"your sweeps: --db {DEFAULT_DB})")
    report.add_argument("--out", default="-", help="output file (default: - for stdout)")
    report.add_argument("--full", action="store_true",
                        help="with every paper table's and study's cells, metric by metric")
    report.add_argument("--refresh", action="store_true",
                        help=f"write {REPORT_FILE} (this report) and {RESULTS_FILE} (every cell) "
                             "from --db; run from the project root")
    report.set_defaults(func=cmd_report)
    from hare.bench import cells_command
    cells_command.add_parser(sub, SHIPPED_DB)
    from hare.bench import verify
    verify.add_parser(sub, SHIPPED_DB)
    from hare.live import answers_command
    answers_command.add_parser(sub)
    compact = sub.add_parser("compact", help="rewrite a store compactly (optionally runs only)")
    compact.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB file (default {DEFAULT_DB})")
    compact.add_argument("--out", default=None, help="output file (default: replace --db)")
    compact.add_argument("--runs-only", action="store_true",
                         help="keep the per-run summaries, drop the per-user rows")
    compact.set_defaults(func=cmd_compact)
    merge = sub.add_parser("merge", help="add one store's runs to another (a sweep run "
                           "elsewhere joins the store a report is made from)")
    merge.add_argument("source", help="the store whose runs to add")
    merge.add_argument("--into", required=True, help="the store to add them to (created if "
                       "missing; the shipped results/hare.duckdb only when named here)")
    merge.add_argument("--replace", action="store_true",
                       help="a run the target already holds is replaced by the source's")
    from hare.bench.config import VARIANTS
    merge.add_argument("--replace-variant", default=None, choices=VARIANTS,
                       help="first remove every target run of this variant (e.g. active_hare "
                            "after its engine changed), so all of them come from the source")
    merge.add_argument("--runs-only", action="store_true",
                       help="write the per-run summaries only, not the per-user rows")
    merge.add_argument("--protocol", nargs="+", default=None, choices=list(protocol_names()),
                       help="only the source's runs of these protocols")
    merge.set_defaults(func=cmd_merge)
    from hare.live.terminal import add_recourse_command
    add_recourse_command(sub)
    from hare.data.command import add_data_command
    add_data_command(sub, _Parser)
    args = parser.parse_args(argv)
    # SIGTERM (the app's cancel, a cluster's stop) ends a sweep like Ctrl-C: finished runs kept.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return args.func(args)
    except HareError as exc:
        print(f"hare: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hare: interrupted; finished runs are stored, re-run the same command to resume",
              file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped reading (… --dry-run | head): not our error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
