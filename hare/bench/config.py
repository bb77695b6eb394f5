"""A benchmark cell: one (dataset, model, generator, variant, ...) setting and a seed, declared once.

``RunConfig`` is the one declaration of a run. Each field carries an :class:`Axis` (its label,
help, valid choices or bounds), and the faces derive from it: the command line's options
(hare.cli), the benchmark page's form (hare_app.sweep) and the store's columns (hare.bench.store).
A run is a pure function of its config, and its id is a hash of the normalised config, so a sweep
that is re-run or resumed skips what is already stored.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Callable

from hare.data import DATASETS
from hare.active import ActiveSettings
from hare.errors import ConfigError
from hare.generators import generator_names
from hare.models import MODEL_KINDS
from hare.protocol import DEFAULT as DEFAULT_PROTOCOL, get_protocol, protocol_names
from hare.session import BPS_MODES, HareSettings
from hare.users import NOISE_MODELS, SCALES

VARIANTS = ("base", "hare", "multi_hare", "active_hare")
USER_MODELS = ("ground_truth", "weighted_cost")
INT32_MAX = 2**31 - 1  # stored integers are 32-bit columns
MAX_GRID = 5_000  # runs in one grid: table1 is 540, every preset together about 1,600


@dataclass(frozen=True)
class Axis:
    """What a face needs to know about one RunConfig field.

    ``choices`` (names) or ``minimum``/``maximum`` (numbers) say what is valid; ``optional``
    fields may be None (not applicable, e.g. the base variant has no budget); ``flag`` is the
    command-line option when it is not ``--<name>``.
    """

    label: str
    help: str
    choices: Callable[[], tuple[str, ...]] | None = None
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False
    flag: str | None = None
    default_sweep: tuple | None = None  # what `hare run` sweeps when the option is not given


def _axis(default, **kwargs):
    return field(default=default, metadata={"axis": Axis(**kwargs)})


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run's result. Validated when constructed."""

    dataset: str = _axis("adult", label="Datasets", help="benchmark dataset",
                         choices=lambda: tuple(DATASETS))
    model: str = _axis("ann", label="Models", help="classifier: ann (d-10-5-10-1 MLP) or lr",
                       choices=lambda: MODEL_KINDS)
    generator: str = _axis("wachter", label="Base generators",
                           help="base recourse generator HARE starts from",
                           choices=generator_names)
    variant: str = _axis("base", label="Variants",
                         help="base alone, hare (T = 1), multi_hare (T = iterations) or "
                              "active_hare (learns the user's ideal recourse; iterations = its "
                              "rounds, one 'good enough?' each)",
                         choices=lambda: VARIANTS, default_sweep=VARIANTS[:3])
    budget: int | None = _axis(30, label="Budgets B", help="questions per user (query budget B)",
                               minimum=2, maximum=1000, optional=True)
    iterations: int | None = _axis(5, label="Multi-HARE iterations T",
                                   help="rounds of Multi-HARE; each must divide every budget",
                                   minimum=1, maximum=500, optional=True)
    bps: str | None = _axis("every", label="Boundary point search on",
                            help="calibrate every candidate, or only the chosen one (Table 5)",
                            choices=lambda: BPS_MODES, optional=True)
    scale: str = _axis("far", label="Ground-truth scales",
                       help="how far the simulated user's preferred recourse lies",
                       choices=lambda: tuple(SCALES))
    noise: str = _axis("none", label="User noise", help="how simulated users err",
                       choices=lambda: NOISE_MODELS)
    noise_param: float = _axis(0.0, label="Noise parameters",
                               help="flip probability (bernoulli, 0 to 1) or β (logistic, > 0)",
                               minimum=0.0, maximum=1e6)
    tolerance: float | None = _axis(None, label="Satisfaction radius",
                                    help="a user says 'good enough' within this distance of "
                                         "their ground truth; none = never (the paper)",
                                    minimum=0.0, maximum=100.0, optional=True)
    user_model: str = _axis("ground_truth", label="Simulated users",
                            help="ground_truth (prefer what is nearer a hidden recourse) or "
                                 "weighted_cost (prefer what is cheaper by own feature weights)",
                            choices=lambda: USER_MODELS)
    protocol: str = _axis(DEFAULT_PROTOCOL, label="Protocol",
                          help="hare (this project's, corrected), authors (the paper authors' "
                               "code as it ran: SPEC §10), hare+CHOICE (ours with one "
                               "authors' choice: ground_truth, sampler, rounds, classifier, "
                               "metrics) or authors-CHOICE (theirs with one of ours)",
                          choices=protocol_names)
    users: int = _axis(150, label="Users per run",
                       help="refused people each run follows (the first test negatives)",
                       minimum=1, maximum=10_000)
    seed: int = _axis(0, label="Seeds", help="run seeds", minimum=0, maximum=INT32_MAX,
                      flag="--seeds", default_sweep=(0, 1, 2, 3, 4))

    def __post_init__(self):
        self.validate()
        # One type per field (a JSON 0 and a CLI 0.0 must hash to the same run id).
        for name, kind in FIELD_TYPES.items():
            value = getattr(self, name)
            if value is not None and kind is not str and type(value) is not kind:
                object.__setattr__(self, name, kind(value))

    def validate(self) -> "RunConfig":
        """ConfigError naming the field, what was wrong and what is valid."""
        for f in fields(self):
            check_value(f.name, getattr(self, f.name))
        if self.noise == "bernoulli" and self.noise_param > 1:
            raise ConfigError(f"noise_param for bernoulli is a flip probability from 0 to 1 "
                              f"(got {self.noise_param:g})")
        if self.noise == "logistic" and self.noise_param <= 0:
            raise ConfigError(f"noise_param for logistic is β > 0 (got {self.noise_param:g})")
        if self.variant != "base" and self.budget is not None and self.iterations is not None \
                and (self.bps is not None or self.variant == "active_hare"):
            self.hare_settings()  # a budget not divisible by the iterations, ...
        return self

    def normalised(self) -> "RunConfig":
        """Fields that do not apply become None: base ignores budget/iterations/bps and user
        answers, HARE has T = 1. Two configs with the same result normalise to the same one."""
        if self.variant == "base":
            return replace(self, budget=None, iterations=None, bps=None, noise="none",
                           noise_param=0.0, tolerance=None)
        cfg = replace(self, iterations=1) if self.variant == "hare" else self
        if self.variant == "active_hare":
            cfg = replace(cfg, bps=None)  # every option it shows is calibrated by BPS
        if cfg.noise == "none":
            cfg = replace(cfg, noise_param=0.0)
        return cfg

    def hare_settings(self) -> HareSettings | ActiveSettings:
        """The session's settings; ConfigError for a budget not divisible by the iterations,
        too few questions per round, etc."""
        if self.variant == "active_hare":
            return ActiveSettings(budget=self.budget, rounds=self.iterations)
        protocol = get_protocol(self.protocol)
        return HareSettings(budget=self.budget, iterations=self.iterations, bps=self.bps,
                            sampler=protocol.sampler, rounds=protocol.rounds)

    @property
    def run_id(self) -> str:
        values = asdict(self.normalised())
        if values["protocol"] == DEFAULT_PROTOCOL:
            # Runs stored before the field existed are this protocol's: their ids must not move.
            del values["protocol"]
        payload = json.dumps(values, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict) -> "RunConfig":
        """A config from plain data (a JSON line, a store row); unknown keys are an error."""
        unknown = set(values) - set(CONFIG_FIELDS)
        if unknown:
            raise ConfigError(f"unknown run fields: {', '.join(sorted(unknown))} "
                              f"(valid: {', '.join(CONFIG_FIELDS)})")
        return cls(**{name: _plain(value) for name, value in values.items()})

    def label(self, fields_shown: tuple[str, ...] | None = None) -> str:
        """A short name for people; ``fields_shown`` limits it to the fields that differ
        within a grid (seed included when listed)."""
        cfg = self.normalised()
        shown = set(CONFIG_FIELDS if fields_shown is None else fields_shown)
        parts = [getattr(cfg, name) for name in ("dataset", "model", "generator", "variant")
                 if name in shown]
        if cfg.variant != "base" and shown & {"budget", "iterations", "bps"}:
            parts.append(f"B{cfg.budget}/T{cfg.iterations}" + ("/bps@best" if cfg.bps == "best" else ""))
        if "scale" in shown:
            parts.append(cfg.scale)
        if cfg.noise != "none":
            parts.append(f"{cfg.noise}={cfg.noise_param:g}")
        if cfg.tolerance is not None:
            parts.append(f"radius {cfg.tolerance:g}")
        if cfg.user_model != "ground_truth":
            parts.append(cfg.user_model)
        if cfg.protocol != DEFAULT_PROTOCOL:
            parts.append(f"protocol {cfg.protocol}")
        if "users" in shown:
            parts.append(f"{cfg.users} users")
        if "seed" in shown:
            parts.append(f"seed {cfg.seed}")
        return " ".join(map(str, parts))


CONFIG_FIELDS = tuple(f.name for f in fields(RunConfig))
AXES: dict[str, Axis] = {f.name: f.metadata["axis"] for f in fields(RunConfig)}
FIELD_TYPES: dict[str, type] = {
    f.name: next(t for t in (int, float, str) if t.__name__ in str(f.type)) for f in fields(RunConfig)}


def check_value(name: str, value) -> None:
    """ConfigError unless ``value`` is valid for the field ``name`` (type, choices, bounds)."""
    axis, kind = AXES[name], FIELD_TYPES[name]
    if value is None:
        if not axis.optional:
            raise ConfigError(f"{name} needs a value")
        return
    if kind is str:
        valid = axis.choices()
        if value not in valid:
            raise ConfigError(f"unknown {name} {value!r} (valid: {', '.join(valid)})")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number (got {value!r})")
    if kind is int and not float(value).is_integer():
        raise ConfigError(f"{name} must be a whole number (got {value!r})")
    if not math.isfinite(value) or not axis.minimum <= value <= axis.maximum:
        raise ConfigError(f"{name} must be from {_number(axis.minimum, kind)} to "
                          f"{_number(axis.maximum, kind)} (got {value!r})")


def _plain(value):
    """numpy scalars -> Python values; a missing value (None, NaN, pandas' NA) -> None."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if value is None or type(value).__name__ == "NAType" or (isinstance(value, float) and value != value):
        return None
    return value


def _number(value: float, kind: type) -> str:
    return f"{int(value):,}" if kind is int else f"{value:g}"


def expand_grid(**options) -> list[RunConfig]:
    """Every combination of the given lists (e.g. dataset=["adult"], seed=[0, 1]), validated,
    normalised and without duplicates, in a cache-friendly order."""
    names = [name for name in CONFIG_FIELDS if name in options]
    unknown = set(options) - set(CONFIG_FIELDS)
    if unknown:
        raise ConfigError(f"unknown grid options: {', '.join(sorted(unknown))}")
    size = math.prod(len(options[name]) for name in names)
    if size > MAX_GRID:
        raise ConfigError(f"the grid has {size:,} combinations; at most {MAX_GRID:,} can be run "
                          "at once (choose fewer seeds or settings)")
    seen, grid = set(), []
    for values in itertools.product(*(options[name] for name in names)):
        config = RunConfig(**dict(zip(names, values))).normalised()
        if config.run_id not in seen:
            seen.add(config.run_id)
            grid.append(config)
    grid.sort(key=lambda c: (c.dataset, c.model, c.seed, c.users, c.generator, c.scale,
                             VARIANTS.index(c.variant), c.budget or 0, c.iterations or 0))
    return grid


def differing_fields(configs) -> tuple[str, ...]:
    """The config fields (seed excluded) whose values differ within ``configs``."""
    configs = [c.normalised() for c in configs]
    return tuple(name for name in CONFIG_FIELDS if name != "seed"
                 and len({getattr(c, name) for c in configs}) > 1)
