"""Sweeps on a Slurm or PBS cluster, through dask-jobqueue: this process starts a Dask scheduler,
asks the batch system for worker jobs, and sends the grid's groups to them; the workers only
compute and return records, and this process alone writes the store (hare.bench.executor).

``ClusterSettings`` holds the few things a cluster needs, each declared once with its option
and help; ``job_script()`` renders the job script without starting anything (``--dry-run``).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

from hare.errors import ConfigError

# --cluster NAME -> the dask-jobqueue class. "local" runs the jobs as processes on this machine
# (dask_jobqueue.local.LocalCluster): the same path as a real cluster, to try a set-up and to
# test it.
KINDS = {"slurm": "dask_jobqueue.SLURMCluster", "pbs": "dask_jobqueue.PBSCluster",
         "local": "dask_jobqueue.local.LocalCluster"}
JOB_NAME = "hare-worker"
# What the job script's first lines are for each kind (the batch system's directives).
DIRECTIVE = {"slurm": "#SBATCH", "pbs": "#PBS", "local": ""}
# The worker's environment, passed on in the job script when set here: a batch job does not
# always inherit it (PBS does not without -V).
PASSED_ON = ("HARE_DATA_DIR", "HARE_CACHE_DIR")


def _option(default, help: str, metavar: str | None = None, repeat: bool = False):
    return field(default=default, metadata=dict(help=help, metavar=metavar, repeat=repeat))


@dataclass(frozen=True)
class ClusterSettings:
    """What to ask the batch system for. Each job runs one worker process per core, each with
    one torch thread; runs that share a classifier travel together as one task."""

    kind: str
    jobs: int = _option(2, "batch jobs to ask for (each one worker per core)", "N")
    job_cores: int = _option(4, "cores per job", "N")
    job_memory: str = _option("8GiB", "memory per job, e.g. 16GiB", "SIZE")
    walltime: str = _option("01:00:00", "time limit per job, [D-]HH:MM:SS; a job that ends "
                                        "mid-sweep hands its runs to the others", "TIME")
    queue: str | None = _option(None, "Slurm partition or PBS queue", "NAME")
    account: str | None = _option(None, "account (project) the jobs are charged to", "NAME")
    job_prologue: tuple[str, ...] = _option((), "a line the job script runs before the worker "
                                                "starts, e.g. 'module load python' (repeat the "
                                                "option for several)", "LINE", repeat=True)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ConfigError(f"unknown --cluster {self.kind!r} (valid: {', '.join(KINDS)})")
        if not 1 <= self.jobs <= 1000:
            raise ConfigError(f"--jobs must be from 1 to 1000 (got {self.jobs})")
        if not 1 <= self.job_cores <= 256:
            raise ConfigError(f"--job-cores must be from 1 to 256 (got {self.job_cores})")
        try:
            from dask.utils import parse_bytes
            if parse_bytes(self.job_memory) <= 0:
                raise ValueError(self.job_memory)
        except (ValueError, TypeError):
            raise ConfigError(f"--job-memory must be a size like 8GiB or 512MiB (got "
                              f"{self.job_memory!r})") from None
        if not re.fullmatch(r"(\d+-)?\d{1,3}:\d{2}:\d{2}", self.walltime):
            raise ConfigError(f"--walltime must be [D-]HH:MM:SS, e.g. 02:00:00 (got "
                              f"{self.walltime!r})")
        for name in ("queue", "account"):
            value = getattr(self, name)
            if value is not None and not re.fullmatch(r"[\w.@+-]+", value):
                raise ConfigError(f"--{name} must be one word (got {value!r})")
        for line in self.job_prologue:
            if "\n" in line or not line.strip():
                raise ConfigError(f"--job-prologue takes one non-empty line each (got {line!r})")

    @property
    def workers(self) -> int:
        """Runs computed at once: one per core of every job."""
        return self.jobs * self.job_cores

    def prologue(self) -> list[str]:
        """The job script's lines before the worker starts: the working folder (the project is
        importable from it), the data and cache folders when set here, then the user's lines.
        A local job runs as a plain command of this process' environment: none."""
        if self.kind == "local":
            return []
        lines = [f"cd {shlex.quote(str(Path.cwd()))}"]
        lines += [f"export {name}={shlex.quote(os.environ[name])}" for name in PASSED_ON
                  if os.environ.get(name)]
        return lines + list(self.job_prologue)

    def job_kwargs(self) -> dict:
        """dask-jobqueue's keyword arguments for a job of these settings."""
        kwargs = dict(cores=self.job_cores, processes=self.job_cores, memory=self.job_memory,
                      job_name=JOB_NAME, job_script_prologue=self.prologue())
        if self.kind != "local":
            kwargs.update(walltime=self.walltime, queue=self.queue, account=self.account)
        return kwargs

    def cluster_class(self):
        module, _, name = KINDS[self.kind].rpartition(".")
        try:
            return getattr(__import__(module, fromlist=[name]), name)
        except ImportError:
            raise ConfigError("--cluster needs dask-jobqueue (pip install dask-jobqueue, or the "
                              "project's 'cluster' extra)") from None

    def job_script(self) -> str:
        """The script each job runs, rendered without starting a scheduler (the address is the
        one the sweep's scheduler will have)."""
        job = self.cluster_class().job_cls("tcp://<this machine, when the sweep starts>:8786",
                                           name=JOB_NAME, **self.job_kwargs())
        return job.job_script()

    def start(self):
        """Start the scheduler here and ask for the jobs, keeping their number: a job that ends
        under the sweep (killed, past its walltime) is replaced. The caller ends it with
        ``close``."""
        cluster = self.cluster_class()(scheduler_options={"dashboard_address": ":0"},
                                       **self.job_kwargs())
        cluster.adapt(minimum_jobs=self.jobs, maximum_jobs=self.jobs)
        return cluster

    def describe(self) -> str:
        """"on 4 SLURM jobs (8 cores, 16GiB each, walltime 02:00:00)"."""
        what = "local" if self.kind == "local" else self.kind.upper()
        jobs = f"{self.jobs} {what} job{'s' if self.jobs != 1 else ''}"
        cores = f"{self.job_cores} core{'s' if self.job_cores != 1 else ''}"
        return (f"on {jobs} ({cores}, {self.job_memory} each"
                + ("" if self.kind == "local" else f", walltime {self.walltime}") + ")")


def close(cluster) -> None:
    """Stop the scheduler and the jobs still running. A job that ended on its own under the
    sweep is gone already, and distributed's check that it closed every job it started fails
    for it (an AssertionError naming the job's status): said on stderr, the runs are stored."""
    try:
        cluster.close()
    except AssertionError as exc:
        print(f"hare: the cluster closed; a job that had ended on its own was not closed by it "
              f"({exc or 'no detail'})", file=sys.stderr)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_options(parser: argparse.ArgumentParser) -> None:
    """--cluster and one option per ClusterSettings field."""
    group = parser.add_argument_group("cluster (Slurm, PBS) through dask-jobqueue")
    group.add_argument("--cluster", choices=list(KINDS), default=None,
                       help="run on worker jobs of a batch system: slurm, pbs, or local (the "
                            "same path on this machine)")
    for f in fields(ClusterSettings):
        if f.name == "kind":
            continue
        meta = f.metadata
        default = None if f.default is MISSING else f.default
        shown = "" if default in (None, ()) else f" (default: {default})"
        group.add_argument(_flag(f.name), dest=f"cluster_{f.name}", metavar=meta["metavar"],
                           type=type(default) if isinstance(default, int) else str,
                           action="append" if meta["repeat"] else "store",
                           default=None if meta["repeat"] else default,
                           help=meta["help"] + shown)


def from_args(args: argparse.Namespace) -> ClusterSettings | None:
    """The settings the options give, or None without --cluster (then any cluster option is
    an error: it would be ignored)."""
    given = {f.name: getattr(args, f"cluster_{f.name}") for f in fields(ClusterSettings)
             if f.name != "kind"}
    if args.cluster is None:
        changed = [_flag(f.name) for f in fields(ClusterSettings) if f.name != "kind"
                   and given[f.name] not in (None, f.default)]
        if changed:
            raise ConfigError(f"{', '.join(changed)} only apply with --cluster slurm|pbs")
        return None
    given["job_prologue"] = tuple(given["job_prologue"] or ())
    return ClusterSettings(args.cluster, **given)
