"""Benchmark grids from the page's form, and sweeps run by the engine's command line in a
background process.

The app never runs a sweep itself: it starts ``python -m hare run ...`` (the single DuckDB
writer, one transaction per run), then follows progress by reading which of the grid's run ids
the store holds. Cancelling terminates the process; finished runs are already committed, and
launching the same grid again skips them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hare_app.paths import APP_ROOT
from hare.bench.config import RunConfig, expand_grid
from hare.bench.store import ResultStore
from hare.errors import ConfigError


@dataclass(frozen=True)
class GridForm:
    """The benchmark form as entered: choices as tuples, numbers as the text typed."""

    datasets: tuple[str, ...] = ("adult",)
    models: tuple[str, ...] = ("ann",)
    generators: tuple[str, ...] = ("gs",)
    variants: tuple[str, ...] = ("base", "hare", "multi_hare")
    budgets: str = "30"
    iterations: str = "5"
    bps: tuple[str, ...] = ("every",)
    scales: tuple[str, ...] = ("far",)
    noise: tuple[str, ...] = ("none",)
    noise_params: str = "0.1"
    seeds: str = "0"
    users: int | None = 20


@dataclass(frozen=True)
class GridCheck:
    """The expanded grid, or a message per bad field (keyed by GridForm field names)."""

    configs: tuple[RunConfig, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)
    argv: tuple[str, ...] = ()  # ``python -m hare run`` options for this grid (without --db)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.configs)


_SPLIT = re.compile(r"[,\s]+")


def parse_numbers(text: str, what: str, kind=int, minimum: float | None = None) -> list:
    """"10, 30 70" or "0-4" (integers only) -> a sorted list without duplicates; ValueError
    with a message for the field otherwise."""
    values = []
    for token in (t for t in _SPLIT.split(text or "") if t):
        span = re.fullmatch(r"(\d+)-(\d+)", token) if kind is int else None
        try:
            if span:
                lo, hi = int(span.group(1)), int(span.group(2))
                if lo > hi:
                    raise ValueError
                values.extend(range(lo, hi + 1))
            else:
                values.append(kind(token))
        except ValueError:
            example = "10, 30" if kind is int else "0.1, 0.2"
            raise ValueError(f"{token!r} is not a {'whole ' if kind is int else ''}number; "
                             f"enter {what} like {example}") from None
    if not values:
        raise ValueError(f"enter at least one {what[:-1] if what.endswith('s') else what}")
    if minimum is not None and min(values) < minimum:
        raise ValueError(f"{what} must be at least {minimum:g} (got {min(values):g})")
    return sorted(set(values))


def check_grid(form: GridForm) -> GridCheck:
    """Validate the form field by field, then expand the grid with the engine's own checks."""
    errors: dict[str, str] = {}
    for name in ("datasets", "models", "generators", "variants", "bps", "scales", "noise"):
        if not getattr(form, name):
            errors[name] = "choose at least one"
    numbers = {}
    for name, what, kind, minimum in (("budgets", "budgets", int, 2),
                                      ("iterations", "iterations", int, 1),
                                      ("seeds", "seeds", int, 0),
                                      ("noise_params", "noise parameters", float, 0)):
        if name == "noise_params" and set(form.noise) <= {"none"}:
            numbers[name] = [0.0]  # unused without noise; do not make people fill it in
            continue
        try:
            numbers[name] = parse_numbers(getattr(form, name), what, kind, minimum)
        except ValueError as exc:
            errors[name] = str(exc)
    if form.users is None or form.users < 1:
        errors["users"] = "enter how many refused people each run follows (at least 1)"
    if errors:
        return GridCheck(errors=errors)
    try:
        configs = expand_grid(dataset=list(form.datasets), model=list(form.models),
                              generator=list(form.generators), variant=list(form.variants),
                              budget=numbers["budgets"], iterations=numbers["iterations"],
                              bps=list(form.bps), scale=list(form.scales), noise=list(form.noise),
                              noise_param=numbers["noise_params"], seed=numbers["seeds"],
                              users=[int(form.users)])
    except ConfigError as exc:
        # e.g. a budget not divisible by Multi-HARE's iterations: both fields are involved,
        # the iterations field is where people usually fix it.
        key = "iterations" if "iterations" in str(exc) else "budgets" if "budget" in str(exc) else "grid"
        return GridCheck(errors={key: str(exc)})
    argv = ["--dataset", *form.datasets, "--model", *form.models, "--generator", *form.generators,
            "--variant", *form.variants, "--budget", *map(str, numbers["budgets"]),
            "--iterations", *map(str, numbers["iterations"]), "--bps", *form.bps,
            "--scale", *form.scales, "--noise", *form.noise,
            "--noise-param", *(f"{v:g}" for v in numbers["noise_params"]),
            "--seeds", *map(str, numbers["seeds"]), "--users", str(int(form.users))]
    return GridCheck(configs=tuple(configs), argv=tuple(argv))


@dataclass(frozen=True)
class SweepStatus:
    done: int  # grid runs stored (including those stored before this launch)
    total: int
    running: bool
    returncode: int | None
    message: str  # the runner's last stderr line when it failed

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


class SweepJob:
    """A background ``python -m hare run`` over one grid, writing to ``db``."""

    def __init__(self, check: GridCheck, db: Path, threads: int = 1):
        self.run_ids = tuple(c.run_id for c in check.configs)
        self.db = Path(db)
        self.cancelled = False
        self._message: str | None = None  # the runner's last output line, once it has exited
        argv = [sys.executable, "-m", "hare", "run", *check.argv, "--db", str(self.db),
                "--threads", str(threads), "--quiet"]
        env = dict(os.environ)
        # The runner must import this project's engine whatever the app's working directory.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(APP_ROOT), env.get("PYTHONPATH")) if p)
        fd, log = tempfile.mkstemp(prefix="hare-sweep-", suffix=".log")
        self.log = Path(log)  # the runner's output: its last line explains a failure
        with os.fdopen(fd, "wb") as out:
            # its own process group: cancelling stops the runner and its worker processes
            self.process = subprocess.Popen(argv, cwd=APP_ROOT, env=env, stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def status(self) -> SweepStatus:
        stored = ResultStore(self.db).stored_run_ids()
        done = sum(run_id in stored for run_id in self.run_ids)
        code = self.process.poll()
        if code is not None and self._message is None:
            # Read the runner's output once it has exited, keep what matters, drop the file.
            lines = [ln for ln in self.log.read_text(errors="replace").splitlines() if ln.strip()]
            self._message = lines[-1] if lines else f"the runner exited with status {code}"
            self.log.unlink(missing_ok=True)
        failed = code not in (None, 0) and not self.cancelled
        return SweepStatus(done, len(self.run_ids), code is None, code,
                           self._message if failed else "")

    def cancel(self, timeout: float = 10.0) -> None:
        """Stop the runner; the run in progress is rolled back, finished runs stay stored."""
        if self.process.poll() is None:
            self.cancelled = True
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class SweepRegistry:
    """Sweeps of this server, shared by every browser session (kept by st.cache_resource), so
    closing a page neither stops a sweep nor loses track of it; one sweep per database at a
    time, because the runner must be the database's only writer."""

    def __init__(self):
        self._jobs: dict[Path, SweepJob] = {}
        self._lock = threading.Lock()

    def job(self, db: Path) -> SweepJob | None:
        return self._jobs.get(Path(db))

    def launch(self, check: GridCheck, db: Path) -> SweepJob:
        if not check.ok:
            raise ConfigError("the grid has errors; fix them before launching")
        with self._lock:
            current = self._jobs.get(Path(db))
            if current is not None and current.process.poll() is None:
                raise ConfigError(f"a sweep is already writing to {db}; wait for it or cancel it")
            job = SweepJob(check, Path(db))
            self._jobs[Path(db)] = job
            return job


DEMO_GRID = GridForm(datasets=("adult",), models=("ann",), generators=("gs",),
                     variants=("base", "hare", "multi_hare"), budgets="30", iterations="5",
                     seeds="0", users=20)


def grid_runs(db: Path, run_ids: tuple[str, ...]) -> pd.DataFrame:
    """The stored rows of a grid's runs, for the live table of finished cells (call it once some
    are stored: the runs table exists from then on)."""
    return ResultStore(db).query(
        "SELECT run_id, dataset, model, generator, variant, budget, iterations, bps, scale, noise, "
        "noise_param, seed, n_users, success_rate, gtp, gtd, wall_seconds, created_at FROM runs "
        "WHERE list_contains(?, run_id) ORDER BY created_at", [list(run_ids)])
