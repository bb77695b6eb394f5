"""Benchmark grids from the page's form, and sweeps run by the engine's runner in a background
process, handed over as data.

The form is derived from RunConfig's axes (hare.bench.config): a multiselect per named field, a
text field of numbers per numeric one. A launch writes the validated configs as JSON lines and
starts ``python -m hare run --configs FILE --status FILE`` (the store's writer); progress comes
back as the runner's status records, never from its log. Each visitor has their own sweeps.
"""

from __future__ import annotations

import os
import logging
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from hare.bench import sweep_file
from hare.bench.config import MAX_GRID, RunConfig, expand_grid
from hare.bench.status import FINAL, RunStatus, StatusLog, counts
from hare.errors import ConfigError
from hare_app import hosting
from hare_app.paths import APP_ROOT

# The form's start, from the run schema: a small, quick grid (20 users, one seed) rather than
# the paper's 150 × 5.
FORM_DEFAULTS: dict[str, object] = RunConfig.schema().form_start()

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GridCheck:
    """The expanded grid and the values it was expanded from (field name -> values), or a
    message per bad field (keyed by RunConfig field names)."""

    configs: tuple[RunConfig, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)
    options: dict[str, list] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.configs)

    def sweep_file(self) -> str:
        """The grid as a sweep file (hare.bench.sweep_file): ``hare run --config`` runs it."""
        return sweep_file.write(self.options, header=(
            f"A HARE sweep: {len(self.configs)} runs, from the benchmark page.\n"
            "List it with  hare run --config sweep.toml --dry-run\n"
            "Run it with   hare run --config sweep.toml"))


_SPLIT = re.compile(r"[,\s]+")


def parse_numbers(text: str, name: str, config_cls: type[RunConfig] = RunConfig) -> list:
    """"10, 30 70", "0-4" (whole-number fields) or "none" (optional fields) -> a sorted list
    without duplicates; ValueError with a message for the field otherwise. Each value is checked
    against the field's bounds, and a range may not be longer than a grid can be."""
    schema = config_cls.schema()
    axis, kind = schema.axes[name], schema.types[name]
    values: list = []
    for token in (t for t in _SPLIT.split(text or "") if t):
        if axis.optional and token.lower() == "none":
            values.append(None)
            continue
        span = re.fullmatch(r"(\d+)-(\d+)", token) if kind is int else None
        if span and int(span.group(2)) - int(span.group(1)) >= MAX_GRID:
            raise ValueError(f"{token} holds {int(span.group(2)) - int(span.group(1)) + 1:,} "
                             f"values; at most {MAX_GRID:,}")
        try:
            if span:
                lo, hi = int(span.group(1)), int(span.group(2))
                if lo > hi:
                    raise ValueError
                values.extend(range(lo, hi + 1))
            else:
                values.append(kind(token))
        except ValueError:
            example = "10, 30 or 0-4" if kind is int else "0.1, 0.2"
            raise ValueError(f"{token!r} is not a {'whole ' if kind is int else ''}number; "
                             f"enter values like {example}") from None
    if not values:
        raise ValueError("enter at least one value")
    for value in values:
        try:
            schema.check_value(name, value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
    return sorted(set(values), key=lambda v: (v is not None, v or 0))


def check_grid(form: dict[str, object], config_cls: type[RunConfig] = RunConfig,
               limits: hosting.Limits | None = None) -> GridCheck:
    """Validate the form field by field (named fields: tuples of choices; numeric fields: the
    text typed; a field the form lacks: its start), then expand the grid with the engine's own
    checks and this server's limits (``hosting.limits()`` unless given)."""
    limits = limits or hosting.limits()
    schema = config_cls.schema()
    start = schema.form_start()
    errors: dict[str, str] = {}
    options: dict[str, list] = {}
    noiseless = set(form.get("noise", ())) <= {"none"}
    for name in schema.names:
        value = form.get(name, start[name])
        if schema.types[name] is str:
            if not value:
                errors[name] = "choose at least one"
            options[name] = list(value)
        elif name == "noise_param" and noiseless:
            options[name] = [0.0]  # unused without noise; do not make people fill it in
        else:
            try:
                options[name] = parse_numbers(str(value), name, config_cls)
            except ValueError as exc:
                errors[name] = str(exc)
    if not errors and max(options["users"]) > limits.max_users:
        errors["users"] = (f"at most {limits.max_users} users per run from the app; use "
                           "`python -m hare run` for more")
    if errors:
        return GridCheck(errors=errors)
    try:
        configs = expand_grid(config_cls, **options)
    except ConfigError as exc:
        # e.g. a budget not divisible by Multi-HARE's iterations: the iterations field is
        # where people usually fix it.
        text = str(exc)
        key = next((name for name in ("iterations", "budget", "noise_param", "seed")
                    if name in text), "grid")
        return GridCheck(errors={key: text})
    if limits.max_runs is not None and len(configs) > limits.max_runs:
        return GridCheck(errors={"grid": (
            f"This grid has {len(configs):,} runs; a shared server launches at most "
            f"{limits.max_runs} at once. Choose fewer values, or run the grid on your own "
            "machine: download it as a sweep file there, or `hare run`.")})
    return GridCheck(configs=tuple(configs), options=options)


@dataclass(frozen=True)
class SweepStatus:
    """Where a sweep stands, from its status records."""

    states: dict[str, RunStatus]  # run id -> latest status
    counts: dict[str, int]  # state -> runs of this sweep in it
    total: int
    running: bool  # the runner process is alive
    returncode: int | None
    message: str  # the runner's own error line when it stopped before running anything

    @property
    def done(self) -> int:
        return self.counts["stored"]

    @property
    def fraction(self) -> float:
        finished = self.counts["stored"] + self.counts["failed"]
        return finished / self.total if self.total else 1.0


class SweepJob:
    """A background ``python -m hare run --configs`` over one grid, writing to ``db``."""

    def __init__(self, configs: tuple[RunConfig, ...], db: Path, threads: int = 1,
                 workers: int | None = None):
        self.configs = tuple(configs)
        self.run_ids = tuple(c.run_id for c in self.configs)
        self.db = Path(db)
        self.cancelled = False
        self.cancelled_at = 0.0
        self._final: SweepStatus | None = None  # the status once the runner has exited
        self.folder = Path(tempfile.mkdtemp(prefix="hare-sweep-"))
        configs_file = self.folder / "configs.jsonl"
        configs_file.write_text("".join(c.to_json() + "\n" for c in self.configs))
        self.status_log = StatusLog(self.folder / "status.jsonl")
        self._errors = self.folder / "errors.txt"
        argv = [sys.executable, "-m", "hare", "run", "--configs", str(configs_file),
                "--status", str(self.status_log.path), "--db", str(self.db),
                "--threads", str(threads), "--quiet"]
        if workers is not None:  # else the runner's default: one worker process per core
            argv += ["--workers", str(workers)]
        with open(self._errors, "wb") as err:
            # Its own process group: cancelling stops the runner and its worker processes.
            # cwd: the app's folder holds the engine package when it is not installed.
            self.process = subprocess.Popen(argv, cwd=APP_ROOT, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=err,
                                            start_new_session=True, env=dict(os.environ))

    def status(self) -> SweepStatus:
        """Where the sweep stands; once its runner has exited, the last status is kept and
        the temporary folder (configs, status log, error output) is removed."""
        if self._final is not None:
            return self._final
        states = self.status_log.latest()
        if self.cancelled:
            # at once, whatever the runner managed to write before it stopped: a run that was
            # not finished is cancelled, not queued or preparing
            states = {**states, **{run_id: RunStatus(run_id, "cancelled", "you cancelled the sweep",
                                                     self.cancelled_at)
                                   for run_id in self.run_ids
                                   if run_id not in states or states[run_id].state not in FINAL}}
        code = self.process.poll()
        message = ""
        if code not in (None, 0) and not self.cancelled:
            # The runner refused before it ran anything (bad store, missing data): its one
            # 'hare: error:' line says why. Failed runs have their own status records.
            lines = [ln for ln in self._errors.read_text(errors="replace").splitlines()
                     if ln.startswith("hare: ")]
            message = lines[-1].removeprefix("hare: error: ") if lines else f"the runner exited with status {code}"
        status = SweepStatus(states, counts(states, self.run_ids), len(self.run_ids),
                             code is None, code, message)
        if code is not None:
            self._final = status
            try:
                shutil.rmtree(self.folder)  # only this sweep's temporary files
            except FileNotFoundError:
                pass  # already gone: nothing left to remove
            except OSError as exc:
                log.warning("could not remove the sweep's folder %s: %s", self.folder, exc)
        return status

    def cancel(self, timeout: float = 10.0) -> None:
        """Stop the runner; the run in progress is dropped, finished runs stay stored."""
        if self.process.poll() is None:
            self.cancelled, self.cancelled_at = True, time.time()
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.status()  # the last status kept, the temporary folder removed


class SweepRegistry:
    """Sweeps of this server by visitor: each browser session sees and controls only its own
    (kept by st.cache_resource, so a page reload does not stop a sweep); at most
    ``max_running`` run at once on the server, each in ``workers`` processes (both from
    ``hosting.limits()`` at each launch unless given)."""

    def __init__(self, max_running: int | None = None, workers: int | None = None):
        self.max_running = max_running
        self.workers = workers
        self._jobs: dict[str, SweepJob] = {}
        self._lock = threading.Lock()

    def job(self, visitor: str) -> SweepJob | None:
        return self._jobs.get(visitor)

    def launch(self, check: GridCheck, db: Path, visitor: str) -> SweepJob:
        if not check.ok:
            raise ConfigError("the grid has errors; fix them before launching")
        with self._lock:
            current = self._jobs.get(visitor)
            if current is not None and current.process.poll() is None:
                raise ConfigError("your sweep is still running; wait for it or cancel it")
            limits = hosting.limits()
            most = limits.running_sweeps if self.max_running is None else self.max_running
            workers = limits.workers if self.workers is None else self.workers
            running = sum(job.process.poll() is None for job in self._jobs.values())
            if running >= most:
                raise ConfigError(f"the server is running {running} sweeps, as many as it runs "
                                  "at once: launch yours when one of them finishes")
            job = SweepJob(check.configs, Path(db), workers=workers)
            self._jobs[visitor] = job
            return job


DEMO_GRID: dict[str, object] = dict(FORM_DEFAULTS)

