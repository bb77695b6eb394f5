"""Run a grid into the store: in this process, in local worker processes, or on a Dask cluster.

Workers only compute; they return RunRecords and the coordinating process alone writes DuckDB
(single writer). Runs that share a classifier and base recourses travel together as one task
(see ``runner.group_key``); in this process each run is stored the moment it finishes.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from itertools import groupby
from typing import Callable, Iterable, Iterator

from hare.bench.config import RunConfig
from hare.bench.runner import RunContext, execute_run, group_key, run_group
from hare.bench.store import ResultStore, RunRecord

OnStored = Callable[[RunRecord, int, int], None]


def _groups(configs: list[RunConfig]) -> list[list[RunConfig]]:
    ordered = sorted(configs, key=group_key)
    return [list(members) for _, members in groupby(ordered, key=group_key)]


def _in_process(configs: list[RunConfig]) -> Iterator[RunRecord]:
    context = RunContext()
    for cfg in configs:
        yield execute_run(cfg, context)


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the coordinator is gone (killed or terminated
    without a chance to shut its pool down), instead of lingering as an orphan."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _local_processes(configs: list[RunConfig], workers: int) -> Iterator[RunRecord]:
    # spawn, not fork: a forked torch process can deadlock on the parent's thread pools.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_exit_with_parent,
                             initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(run_group, group, 1) for group in _groups(configs)]
        for future in as_completed(futures):
            yield from future.result()


def _dask(configs: list[RunConfig], scheduler: str) -> Iterator[RunRecord]:
    from distributed import Client, as_completed as dask_completed
    with Client(scheduler) as client:
        futures = client.map(run_group, _groups(configs), threads=1, pure=False)
        for future in dask_completed(futures):
            yield from future.result()


def run_grid(configs: Iterable[RunConfig], store: ResultStore, progress: bool = True,
             on_stored: OnStored | None = None, workers: int = 1,
             scheduler: str | None = None) -> list[RunRecord]:
    """Execute and store every config whose run id the store does not hold yet.

    ``workers`` > 1 computes in that many local spawn processes (one torch thread each);
    ``scheduler`` ("tcp://host:port") sends the work to a Dask distributed scheduler instead.
    Returns the records written now; ``on_stored(record, done, total)`` is called after each.
    """
    stored = store.stored_run_ids()
    todo = [c for c in configs if c.run_id not in stored]
    store.init()
    if scheduler:
        records = _dask(todo, scheduler)
    elif workers > 1 and len(todo) > 1:
        records = _local_processes(todo, workers)
    else:
        records = _in_process(todo)
    bar = None
    if progress and todo:
        from tqdm import tqdm
        bar = tqdm(total=len(todo), desc="runs", unit="run", file=sys.stderr)
    written = []
    try:
        for record in records:
            store.write(record)
            written.append(record)
            if bar is not None:
                bar.set_postfix_str(f"{record.summary['dataset']} {record.summary['model']} "
                                    f"{record.summary['generator']} {record.summary['variant']}",
                                    refresh=False)
                bar.update(1)
            if on_stored is not None:
                on_stored(record, len(written), len(todo))
    finally:
        if bar is not None:
            bar.close()
    return written
