"""``hare verify PRESET``: recompute a sample of a shipped preset's runs cold and say how far
they land from the shipped rows.

Cold means a fresh temporary store and a fresh model cache, so every classifier and
autoencoder the sample needs is trained again, as on a new machine. The recomputed runs are
compared with the shipped ones metric by metric; each cell they belong to is then averaged
over its seeds twice, once as shipped and once with the recomputed runs in place, and the two
means must agree within ``TOLERANCE``. Bit-for-bit equality holds only on the machine kind that
wrote the store: another CPU's float kernels round differently in the last bits, a classifier
trains to a slightly different network, and a near tie in a user's comparison can flip.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hare.bench.cells import KEY
from hare.bench.executor import run_grid
from hare.bench.measures import MEASURES
from hare.bench.presets import PRESETS, preset_grid
from hare.bench.store import ResultStore
from hare.data.files import SHA256, resolve_data_file
from hare.errors import ConfigError, HareError
from hare.protocol import DEFAULT, protocol_names

# How far a cell's mean over its seeds may move when its runs are recomputed on another machine.
# Measured for a whole cold Table 1 on a second 2-core machine: cell means within 0.05 GTP,
# 0.034 GTD and 0.10 redundancy (single runs up to 0.125 GTP). 0.10 is the floor of the rule
# that compares a cell with the paper, so a move within it is smaller than any difference the
# report judges; redundancy and sparsity count features and move in larger steps.
DEFAULT_TOLERANCE = 0.10
TOLERANCE: dict[str, float] = {m.name: DEFAULT_TOLERANCE for m in MEASURES}
TOLERANCE.update(redundancy=0.20, sparsity=0.20)
METRICS = tuple(m.name for m in MEASURES)


@dataclass(frozen=True)
class MetricCheck:
    """One metric over the sample: the largest run and cell differences, and the cells over."""

    metric: str
    runs: int  # sampled runs with a value of this metric
    largest_run: float  # largest |recomputed − shipped| over the sampled runs
    worst_run: str  # the label of that run
    largest_cell: float  # largest |cell mean with the recomputed runs − shipped cell mean|
    cells: int
    cells_over: int  # cells whose mean moved by more than the tolerance
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.cells_over == 0


def sample(configs: list, stored: set[str], n: int) -> list:
    """``n`` of the preset's stored runs, the same ones every time: spread over the grid by
    taking those whose run ids sort first (a run id is a hash, so this mixes datasets,
    generators, variants and seeds)."""
    present = [c for c in configs if c.run_id in stored]
    return sorted(present, key=lambda c: c.run_id)[:n]


def compare(shipped: pd.DataFrame, recomputed: pd.DataFrame) -> list[MetricCheck]:
    """Per metric, the sampled runs against the shipped ones and their cells' means.

    ``shipped`` holds every shipped run of the preset (the cells' other seeds), ``recomputed``
    the sampled runs computed again; both are ``runs`` rows (run_id, the config fields,
    the metrics)."""
    key = [k for k in KEY if k in shipped.columns]
    ids = recomputed["run_id"]
    replaced = pd.concat([shipped[~shipped["run_id"].isin(ids)], recomputed[shipped.columns]])
    cells = shipped[shipped["run_id"].isin(ids)][key].drop_duplicates()
    before = shipped.merge(cells, on=key).groupby(key, dropna=False)
    after = replaced.merge(cells, on=key).groupby(key, dropna=False)
    paired = shipped.set_index("run_id").loc[ids].reset_index()
    checks = []
    for metric in METRICS:
        if metric not in recomputed.columns or paired[metric].isna().all():
            continue
        delta = (recomputed.set_index("run_id")[metric] - paired.set_index("run_id")[metric]).abs()
        worst = delta.idxmax() if delta.notna().any() else None
        moved = (after[metric].mean() - before[metric].mean()).abs().dropna()
        checks.append(MetricCheck(
            metric, int(delta.notna().sum()), float(delta.max()) if worst is not None else 0.0,
            _label(paired, worst), float(moved.max()) if len(moved) else 0.0, len(moved),
            int((moved > TOLERANCE[metric]).sum()), TOLERANCE[metric]))
    return checks


def _label(runs: pd.DataFrame, run_id) -> str:
    if run_id is None:
        return "-"
    row = runs[runs["run_id"] == run_id].iloc[0]
    return " ".join(str(row[f]) for f in ("dataset", "model", "generator", "variant")) + \
        f" seed {int(row['seed'])}"


def equal_runs(shipped: pd.DataFrame, recomputed: pd.DataFrame) -> int:
    """Sampled runs equal to their shipped rows on every metric, bit for bit."""
    paired = shipped.set_index("run_id").loc[recomputed["run_id"]]
    mine = recomputed.set_index("run_id")
    metrics = [m for m in METRICS if m in mine.columns]
    same = (mine[metrics] == paired[metrics]) | (mine[metrics].isna() & paired[metrics].isna())
    return int(same.all(axis=1).sum())


def lines(checks: list[MetricCheck], n: int, equal: int, seconds: float) -> list[str]:
    out = [f"{n} runs recomputed cold in {seconds:.1f} s; {equal} of {n} equal to the shipped "
           "rows on every metric, bit for bit", "",
           f"{'metric':<22} {'runs':>4} {'largest run |Δ|':>16}  {'largest cell-mean |Δ|':>22} "
           f"{'tolerance':>9}  cells within"]
    for c in checks:
        out.append(f"{c.metric:<22} {c.runs:>4} {c.largest_run:>16.6f}  {c.largest_cell:>22.6f} "
                   f"{c.tolerance:>9.2f}  {c.cells - c.cells_over} of {c.cells}"
                   + ("" if c.ok else "  OVER"))
    worst = max(checks, key=lambda c: c.largest_run / c.tolerance, default=None)
    if worst is not None and worst.largest_run > 0:
        out += ["", f"largest run difference relative to its tolerance: {worst.metric} "
                    f"{worst.largest_run:.6f} ({worst.worst_run})"]
    held = all(c.ok for c in checks)
    out += ["", "every cell mean within its tolerance" if held else
            "some cell means moved by more than their tolerance (OVER above)"]
    return out


def add_parser(sub, shipped_db: str) -> argparse.ArgumentParser:
    p = sub.add_parser("verify", help="recompute a sample of a shipped preset cold and compare")
    p.add_argument("preset", choices=list(PRESETS), metavar="PRESET", help=", ".join(PRESETS))
    p.add_argument("--db", default=shipped_db, help=f"the store to check (default {shipped_db})")
    p.add_argument("--sample", type=int, default=12,
                   help="how many of the preset's stored runs to recompute (default 12)")
    p.add_argument("--protocol", default=DEFAULT, choices=list(protocol_names()),
                   help=f"whose protocol's runs (default {DEFAULT})")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="local worker processes (default: one per core)")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    if args.sample < 1:
        raise ConfigError(f"--sample must be at least 1 (got {args.sample})")
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {args.workers})")
    store = ResultStore(args.db)
    store.check()
    runs = store.runs()
    grid = preset_grid(args.preset, protocol=args.protocol)
    chosen = sample(grid, set(runs["run_id"]), args.sample)
    if not chosen:
        raise ConfigError(f"{args.db} holds no run of preset {args.preset} "
                          f"(protocol {args.protocol})")
    shipped = runs[runs["run_id"].isin({c.run_id for c in grid})]
    print(f"recomputing {len(chosen)} of the {len(shipped)} stored runs of {args.preset} "
          f"({args.protocol}) from {args.db}, cold: a fresh store and model cache",
          file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="hare-verify-") as scratch:
        started = time.perf_counter()
        with _cold_cache(Path(scratch) / "cache"):
            fresh = ResultStore(Path(scratch) / "verify.duckdb")
            outcome = run_grid(chosen, fresh, progress=False, workers=args.workers)
        seconds = time.perf_counter() - started
        if outcome.failures:
            for failure in outcome.failures:
                print(f"hare: run failed: {failure.config.label()}: {failure.error}",
                      file=sys.stderr)
            return 1
        recomputed = fresh.runs()
    checks = compare(shipped, recomputed)
    print("\n".join(lines(checks, len(recomputed), equal_runs(shipped, recomputed), seconds)))
    return 0 if all(c.ok for c in checks) else 1


class _cold_cache:
    """``HARE_CACHE_DIR`` pointed at an empty folder for the duration (worker processes inherit
    it), with the dataset files already on this machine linked in, so only models are rebuilt."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.before = os.environ.get("HARE_CACHE_DIR")

    def __enter__(self):
        data = self.folder / "data"
        data.mkdir(parents=True)
        for name in SHA256:
            try:
                found = resolve_data_file(name, download=False)
            except HareError:
                continue  # not here yet: the run downloads it into the fresh cache
            (data / name).symlink_to(found.resolve())
        os.environ["HARE_CACHE_DIR"] = str(self.folder)
        return self

    def __exit__(self, *exc):
        if self.before is None:
            os.environ.pop("HARE_CACHE_DIR", None)
        else:
            os.environ["HARE_CACHE_DIR"] = self.before
        return False
