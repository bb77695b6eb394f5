"""Run a grid into the store: in this process, in local worker processes, or on a Dask cluster
(a scheduler someone started, or Slurm / PBS jobs through hare.bench.cluster).

Workers only compute; they return RunRecords (or RunFailures) and the coordinating process alone
writes DuckDB (single writer). Runs that share a classifier and ground truths travel together as
one task (see ``runner.group_key``). Progress goes to a StatusLog as data. An interrupt stops the
workers at once and keeps every finished run; a store held by another process delays writing,
and what cannot be written is kept in a side file that the next sweep on that store writes first.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from itertools import groupby
from typing import Callable, Iterable, Iterator

from hare.bench.config import RunConfig
from hare.bench.runner import RunContext, RunFailure, group_key, run_group, run_one
from hare.bench.status import StatusLog
from hare.bench.store import ResultStore, RunRecord
from hare.errors import SchedulerLost, StoreBusy, StoreError, StoreNotCheckpointed

OnStored = Callable[[RunRecord, int, int], None]
Outcome = RunRecord | RunFailure


class GridOutcome(list):
    """The records written now (a list of RunRecord, as before), plus the runs that failed."""

    def __init__(self):
        super().__init__()
        self.failures: list[RunFailure] = []


def task_groups(configs: list[RunConfig]) -> list[list[RunConfig]]:
    """The runs split by ``group_key``, the groups with most runs first: workers take them in
    this order, so the last to start are small ones and no worker idles long at the end."""
    ordered = sorted(configs, key=group_key)
    groups = [list(members) for _, members in groupby(ordered, key=group_key)]
    return sorted(groups, key=len, reverse=True)  # stable: equal sizes keep the key order


def _in_process(configs: list[RunConfig], status: StatusLog) -> Iterator[Outcome]:
    context = RunContext(status=status)
    for i, cfg in enumerate(configs):
        # the runs still to come that share this one's classifier wait on it too
        context.waiting = tuple(c.run_id for c in configs[i + 1:] if group_key(c) == group_key(cfg))
        yield run_one(cfg, context)


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the coordinator is gone (killed or terminated
    without a chance to shut its pool down), instead of lingering as an orphan. Interrupts are
    the coordinator's to handle: it terminates the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _run_group_task(args) -> list[Outcome]:
    group, status_path = args
    return run_group(group, 1, status_path)


def _local_processes(configs: list[RunConfig], workers: int, status: StatusLog) -> Iterator[Outcome]:
    # spawn, not fork: a forked torch process can deadlock on the parent's thread pools.
    ctx = multiprocessing.get_context("spawn")
    pool = ctx.Pool(workers, initializer=_exit_with_parent, initargs=(os.getpid(),))
    status_path = str(status.path) if status.path is not None else None
    groups = task_groups(configs)
    # the first groups wait for their worker to start (a spawned process imports torch first:
    # seconds before it can say what it prepares)
    starting = min(workers, len(groups))
    status.emit([c.run_id for group in groups[:starting] for c in group], "preparing",
                f"starting {starting} worker process{'es' if starting > 1 else ''}")
    try:
        for outcomes in pool.imap_unordered(
                _run_group_task, [(group, status_path) for group in groups]):
            yield from outcomes
        pool.close()
    finally:
        # An interrupt (or an error here) must not wait for queued or running groups.
        pool.terminate()
        pool.join()


def _dask(configs: list[RunConfig], target) -> Iterator[Outcome]:
    """Groups as tasks on a Dask cluster: ``target`` is a scheduler's address or a cluster
    object (hare.bench.cluster). A worker lost mid-task (a killed process, a job past its
    walltime) has its task run again elsewhere by the scheduler, and only the copy that
    finishes comes back; a task the scheduler gives up on reports each of its runs as failed,
    and the rest of the grid goes on. A lost scheduler ends the sweep in one SchedulerLost."""
    from distributed import Client, as_completed as dask_completed
    from distributed.client import FutureCancelledError
    from distributed.comm import CommClosedError
    where = target if isinstance(target, str) else getattr(target, "scheduler_address", target)
    with Client(target) as client:
        groups = task_groups(configs)
        futures = client.map(run_group, groups, threads=1, pure=False)
        group_of = {future.key: group for future, group in zip(futures, groups)}
        lost = False
        try:
            for future in dask_completed(futures):
                try:
                    outcomes = future.result()
                except (FutureCancelledError, CommClosedError, OSError) as exc:
                    # a run's own error comes back as itself; these say the cluster went away
                    lost = True
                    reason = getattr(exc, "reason", None) or type(exc).__name__
                    raise SchedulerLost(f"lost the Dask scheduler at {where} ({reason})") from None
                except Exception as exc:  # reported run by run, never dropped
                    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    error = f"{type(exc).__name__}: {message}".rstrip(": ")
                    outcomes = [RunFailure(cfg, error) for cfg in group_of[future.key]]
                yield from outcomes
        finally:
            if not lost:
                client.cancel(futures)
            else:  # it cannot answer: stop reconnecting now rather than log each try
                _quiet_distributed()


def _quiet_distributed() -> None:
    """Distributed logs every failed reconnect with a traceback; once the loss is reported in
    one line, those only bury it."""
    import logging
    for name in ("distributed", "distributed.client", "distributed.comm", "distributed.utils"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _blocking_interrupts():
    """Within a store write, hold SIGINT/SIGTERM until the transaction is over (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


class _Writer:
    """Writes records as they come; a busy store leaves them pending, retried on the next
    record and at the end; whatever is still pending then is spilled to the side file."""

    def __init__(self, store: ResultStore):
        self.store = store
        self.pending: list[RunRecord] = []
        self.written = 0

    def _write(self, record: RunRecord) -> None:
        previous = _blocking_interrupts()
        try:
            self.store.write(record)
        finally:
            if previous is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def add(self, record: RunRecord) -> None:
        self.pending.append(record)
        self.flush()

    def flush(self) -> None:
        while self.pending:
            try:
                self._write(self.pending[0])
            except StoreBusy:
                return  # another process holds the store: keep the run, try again later
            except StoreNotCheckpointed:
                self.pending.pop(0)  # committed (in the write-ahead log) before the failure
                self.written += 1
                raise
            self.pending.pop(0)
            self.written += 1

    def finish(self, wait_seconds: float) -> None:
        deadline = time.monotonic() + wait_seconds
        while self.pending and time.monotonic() < deadline:
            self.flush()
            if self.pending:
                time.sleep(1.0)
        if self.pending:
            path = self.store.spill(self.pending)
            print(f"hare: {self.store.path} stayed busy; {len(self.pending)} finished runs are kept "
                  f"in {path} and written by the next sweep on this store", file=sys.stderr)
            self.pending = []

    def stopped(self, exc: StoreError) -> StoreError:
        """The store failed (not busy): one error naming the cause and what was kept."""
        kept = f"runs stored by this sweep: {self.written}"
        if self.pending:
            try:
                path = self.store.spill(self.pending)
                kept += (f", {len(self.pending)} finished runs are kept in {path} (written by "
                         "the next sweep on this store)")
            except OSError as spill_error:
                kept += (f"; {len(self.pending)} finished runs could not be kept "
                         f"({spill_error.strerror})")
            self.pending = []
        return StoreError(f"{exc}; {kept}; free space if the disk is full, then run the same "
                          "command again to resume")


def run_grid(configs: Iterable[RunConfig], store: ResultStore, progress: bool = True,
             on_stored: OnStored | None = None, workers: int = 1,
             scheduler: str | None = None, status: StatusLog | None = None,
             busy_wait_seconds: float = 120.0, cluster=None) -> GridOutcome:
    """Execute and store every config whose run id the store does not hold yet.

    ``workers`` > 1 computes in that many local spawn processes (one torch thread each);
    ``scheduler`` ("tcp://host:port") sends the work to a Dask distributed scheduler instead,
    and ``cluster`` (a started Dask cluster, e.g. hare.bench.cluster's Slurm or PBS jobs) to
    that cluster's workers.
    Returns the records written now (with ``.failures``); ``on_stored(record, done, total)`` is
    called after each. A run that raises is reported, the others go on.
    """
    configs = list(configs)
    status = status or StatusLog(None)
    store.init()
    store.write_spilled()
    stored = store.stored_run_ids()
    todo = [c for c in configs if c.run_id not in stored]
    status.emit([c.run_id for c in configs if c.run_id in stored], "stored", "already stored")
    status.emit([c.run_id for c in todo], "queued")
    if cluster is not None or scheduler:
        outcomes = _dask(todo, cluster if cluster is not None else scheduler)
    elif workers > 1 and len(task_groups(todo)) > 1:
        # a group is the unit of work: one group gains nothing from a pool but its start-up
        outcomes = _local_processes(todo, workers, status)
    else:
        outcomes = _in_process(todo, status)
    bar = None
    if progress and todo:
        from tqdm import tqdm
        bar = tqdm(total=len(todo), desc="runs", unit="run", file=sys.stderr)
    result = GridOutcome()
    writer = _Writer(store)
    finished: set[str] = set()  # failed, or kept (written now, or by writer.finish)
    announced: set[str] = set()  # said to be stored
    try:
        for outcome in outcomes:
            if isinstance(outcome, RunFailure):
                result.failures.append(outcome)
                status.emit([outcome.config.run_id], "failed", outcome.error)
                finished.add(outcome.config.run_id)
            else:
                run_id = outcome.summary["run_id"]
                finished.add(run_id)
                # an interrupt held during the write arrives right after it: the run is kept
                writer.add(outcome)
                result.append(outcome)
                status.emit([run_id], "stored")
                announced.add(run_id)
                if on_stored is not None:
                    on_stored(outcome, len(result), len(todo))
            if bar is not None:
                cfg = outcome.config if isinstance(outcome, RunFailure) else None
                s = outcome.summary if cfg is None else cfg.__dict__
                bar.set_postfix_str(f"{s['dataset']} {s['model']} {s['generator']} {s['variant']}",
                                    refresh=False)
                bar.update(1)
        writer.finish(busy_wait_seconds)
    except StoreError as exc:  # a full disk, a damaged file: not worth waiting for
        raise writer.stopped(exc) from None
    except SchedulerLost as exc:  # the finished runs are stored, the rest are not started
        writer.finish(0.0)
        raise SchedulerLost(f"{exc}; runs stored by this sweep: {writer.written} of "
                            f"{len(todo)}; run the same command again, with a scheduler, to "
                            "resume") from None
    except BaseException:
        writer.finish(0.0)  # interrupted: keep what is finished now, wait for nothing
        if hasattr(outcomes, "close"):
            outcomes.close()  # stop the workers first: none may report a state after this
        failed = {f.config.run_id for f in result.failures}
        status.emit(sorted(finished - announced - failed), "stored")
        status.emit([c.run_id for c in todo if c.run_id not in finished], "cancelled",
                    "the sweep was stopped before this run finished")
        raise
    finally:
        if bar is not None:
            bar.close()
    return result
