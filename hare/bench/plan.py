"""A grid before it runs (``hare run … --dry-run``): how many runs, which are already stored, and
how long the rest should take, estimated from the timings of similar runs a store holds.

Nothing here computes a run, loads a dataset or creates a file: a store is only read, and only
when it exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hare.bench.config import RunConfig, differing_fields
from hare.bench.runner import group_key
from hare.bench.store import ResultStore
from hare.models import classifier_cached
from hare.protocol import get_protocol

# From the most to the least like a run: the stored runs its time is estimated from.
LIKENESS = (("dataset", "model", "generator", "variant", "budget", "iterations"),
            ("dataset", "model", "generator", "variant"),
            ("dataset", "variant"),
            ("variant",))


@dataclass(frozen=True)
class Estimate:
    """Compute seconds for the runs to do, from stored runs like them (per user, scaled to
    each run's users, plus what the first run of a classifier's group took beyond the others);
    ``timed`` of ``total`` runs had a stored run like them."""

    seconds: float
    timed: int
    total: int
    source: Path  # the store whose timings were used


@dataclass(frozen=True)
class Plan:
    configs: tuple[RunConfig, ...]
    stored: frozenset[str]  # run ids of the grid already in the store
    db: Path
    estimate: Estimate | None
    untrained: int  # classifiers the runs to do need that are not in the cache yet

    @property
    def todo(self) -> list[RunConfig]:
        return [c for c in self.configs if c.run_id not in self.stored]


def _timings(store: ResultStore) -> pd.DataFrame:
    """Seconds per user of every stored run that has them (empty without any)."""
    if not store.exists():
        return pd.DataFrame()
    runs = store.runs()
    runs = runs[runs["wall_seconds"].notna() & (runs["n_users"] > 0)].copy()
    if runs.empty:
        return runs
    runs["per_user"] = runs["wall_seconds"] / runs["n_users"]
    return runs


def estimate(configs: list[RunConfig], stores: list[ResultStore]) -> Estimate | None:
    """Seconds for ``configs`` from the first of ``stores`` that holds timed runs: per config,
    the median seconds per user of the stored runs most like it (LIKENESS) times its users."""
    for store in stores:
        runs = _timings(store)
        if runs.empty:
            continue
        medians = [runs.groupby(list(keys), dropna=False)["per_user"].median().to_dict()
                   for keys in LIKENESS]
        # the first run of a group also fits the generators and draws the ground truths
        walls = runs.groupby(["protocol", "dataset", "model", "seed", "users"])["wall_seconds"]
        first = (walls.max() - walls.median()).groupby(level=["dataset", "model"]).median()
        seconds = sum(float(first.get((dataset, model), 0.0))
                      for dataset, model, *_ in {group_key(c) for c in configs})
        timed = 0
        for cfg in configs:
            for keys, table in zip(LIKENESS, medians):
                key = tuple(getattr(cfg, k) for k in keys)
                value = table.get(key if len(keys) > 1 else key[0])
                if value is not None and not math.isnan(value):
                    seconds += value * cfg.users
                    timed += 1
                    break
        return Estimate(seconds, timed, len(configs), store.path)
    return None


def plan(configs: list[RunConfig], db: str | Path, timing_stores: list[str | Path]) -> Plan:
    """The grid against ``db`` (read only if it exists), timed from the first of ``db`` and
    ``timing_stores`` that holds runs."""
    store = ResultStore(db)
    ids = store.stored_run_ids()
    stored = frozenset(c.run_id for c in configs if c.run_id in ids)
    todo = [c for c in configs if c.run_id not in stored]
    sources = [store] + [ResultStore(p) for p in timing_stores if Path(p) != Path(db)]
    return Plan(tuple(configs), stored, Path(db), estimate(todo, sources) if todo else None,
                untrained(todo))


def untrained(configs: list[RunConfig]) -> int:
    """The classifiers ``configs`` need that the model cache does not hold yet."""
    needed = {(c.dataset, c.model, c.seed, get_protocol(c.protocol).classifier.settings)
              for c in configs}
    return sum(not classifier_cached(dataset, kind, seed, settings)
               for dataset, kind, seed, settings in needed)


def duration(seconds: float) -> str:
    """"under 1 s", "about 45 s", "about 12 min", "about 3.4 h"."""
    if seconds < 1:
        return "under 1 s"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def describe(found: Plan, workers: int | None, where: str) -> list[str]:
    """The dry run's lines: a summary, the estimate, then one line per run. ``workers``: how
    many runs go at once (None when unknown, e.g. on another's Dask scheduler); ``where``:
    what would compute them."""
    todo = found.todo
    lines = [f"{len(found.configs)} runs in the grid, {len(found.stored)} already stored in "
             f"{found.db}{'' if found.db.is_file() else ' (no such file yet)'}, {len(todo)} to "
             f"run {where}. Nothing was computed or written (--dry-run)."]
    if found.estimate is not None:
        e = found.estimate
        line = f"Estimated compute: {duration(e.seconds)}"
        at_once = min(workers or 1, len(todo))
        if at_once > 1:
            line += f", {duration(e.seconds / at_once)} with {at_once} runs at once"
        lines.append(line + f" (from the timings of similar runs in {e.source}; {e.timed} of "
                            f"{e.total} runs had one).")
    elif todo:
        lines.append("No stored run to estimate the time from (no timed runs in the stores "
                     "read).")
    if found.untrained:
        one = found.untrained == 1
        lines.append(f"{found.untrained} classifier{'' if one else 's'} these runs need "
                     f"{'is' if one else 'are'} not in the model cache yet: each is trained "
                     "before its runs, which the estimate leaves out.")
    differing = differing_fields(found.configs)
    first = found.configs[0]
    common = tuple(n for n in first.schema().names if n not in differing and n != "seed")
    lines.append(f"Every run: {first.label(common)}; each:")
    shown = differing + ("seed",)
    lines += [f"  {'stored' if c.run_id in found.stored else 'to run':<7} {c.label(shown)}"
              for c in found.configs]
    return lines
