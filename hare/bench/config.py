"""A benchmark cell: one (dataset, model, generator, variant, ...) setting and a seed, declared once.

``RunConfig`` is the one declaration of a run. Each field carries an :class:`hare.schema.Axis`
(its label, help, valid choices or bounds, the stages it changes), and the faces derive from it:
the command line's options (hare.cli), the benchmark page's form (hare_app.sweep), the store's
columns (hare.bench.store) and the runner's cache keys (hare.bench.runner). A run is a pure
function of its config, and its id is a hash of the normalised config, so a sweep that is re-run
or resumed skips what is already stored.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from hare.data import DATASETS
from hare.active import ActiveSettings
from hare.errors import ConfigError
from hare.generators import generator_names
from hare.data.own import OWN_DATASET_NAME
from hare.models import MODEL_KINDS, OWN_MODEL_NAME
from hare.protocol import DEFAULT as DEFAULT_PROTOCOL, get_protocol, protocol_names
from hare.session import BPS_MODES, COUNTING, HareSettings
from hare.schema import Axis, Schema, setting
from hare.user_models import KINDS, USER_KINDS
from hare.noise import NOISE, NOISE_MODELS
from hare.users import SCALES
from hare.fitted_users import registered

VARIANTS = ("base", "hare", "multi_hare", "active_hare")
USER_MODELS = USER_KINDS  # hare.user_models
INT32_MAX = 2**31 - 1  # stored integers are 32-bit columns
MAX_GRID = 5_000  # runs in one grid: table1 is 540, every preset together about 1,600

# The stages every run of a dataset, classifier and seed goes through (hare.schema.STAGES).
_EVERY_STAGE = ("classifier", "users", "base", "truth", "session")
_AFTER_CLASSIFIER = ("users", "base", "truth", "session")


def _protocol_view(name: str, stage: str):
    """What each stage's result depends on of a protocol: the classifier's training for the
    classifier, the factuals and the base recourses; that and the ground-truth draw for the
    ground truths; everything for the session."""
    choices = get_protocol(name).choices()
    if stage == "truth":
        return choices["classifier"], choices["ground_truth"]
    return name if stage == "session" else choices["classifier"]


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run's result. Validated when constructed.

    Each field is declared once, with its :class:`hare.schema.Axis`; a new field is one more
    line here (its default keeps every stored run id, see ``run_id``).
    """

    dataset: str = setting("adult", label="Datasets", help="benchmark dataset",
                           choices=lambda: tuple(DATASETS), stages=_EVERY_STAGE,
                           pattern=OWN_DATASET_NAME)
    model: str = setting("ann", label="Models", help="classifier: ann (d-10-5-10-1 MLP) or lr",
                         choices=lambda: MODEL_KINDS, stages=_EVERY_STAGE,
                         pattern=OWN_MODEL_NAME)
    generator: str = setting("wachter", label="Base generators",
                             help="base recourse generator HARE starts from",
                             choices=generator_names, start=("gs",), stages=("base", "session"))
    variant: str = setting("base", label="Variants",
                           help="base alone, hare (T = 1), multi_hare (T = iterations) or "
                                "active_hare (learns the user's ideal recourse; iterations = its "
                                "rounds, one 'good enough?' each)",
                           choices=lambda: VARIANTS, sweep=VARIANTS[:3], stages=("session",))
    budget: int | None = setting(30, label="Budgets B", help="questions per user (query budget B)",
                                 minimum=2, maximum=1000, optional=True, stages=("session",))
    iterations: int | None = setting(5, label="Multi-HARE iterations T",
                                     help="rounds of Multi-HARE; each must divide every budget",
                                     minimum=1, maximum=500, optional=True, stages=("session",))
    bps: str | None = setting("every", label="Boundary point search on",
                              help="calibrate every candidate, or only the chosen one (Table 5)",
                              choices=lambda: BPS_MODES, optional=True, stages=("session",))
    scale: str = setting("far", label="Ground-truth scales",
                         help="how far the simulated user's preferred recourse lies",
                         choices=lambda: tuple(SCALES), stages=("truth", "session"))
    noise: str = setting("none", label="User noise", help="how simulated users err",
                         choices=lambda: NOISE_MODELS, stages=("session",))
    noise_param: float = setting(0.0, label="Noise parameters",
                                 help=" or ".join(f"{model.describe()} ({name})"
                                                  for name, model in NOISE.items()
                                                  if model.parameter),
                                 minimum=0.0, maximum=1e6, start=(0.1,), stages=("session",))
    tolerance: float | None = setting(None, label="Satisfaction radius",
                                      help="a user says 'good enough' within this distance of "
                                           "their ground truth; none = never (the paper)",
                                      minimum=0.0, maximum=100.0, optional=True,
                                      stages=("session",))
    user_model: str = setting("ground_truth", label="Simulated users",
                              help="how simulated people choose: " + "; ".join(
                                  f"{name}: {kind.help}" for name, kind in KINDS.items()),
                              choices=lambda: USER_MODELS + ("fitted",), stages=("session",))
    protocol: str = setting(DEFAULT_PROTOCOL, label="Protocol",
                            help="hare (this project's, corrected), authors (the paper authors' "
                                 "code as it ran: SPEC §10), hare+CHOICE (ours with one "
                                 "authors' choice: ground_truth, sampler, rounds, classifier, "
                                 "metrics) or authors-CHOICE (theirs with one of ours)",
                            choices=protocol_names, stages=_EVERY_STAGE, view=_protocol_view)
    users: int = setting(150, label="Users per run",
                         help="refused people each run follows (the first test negatives)",
                         minimum=1, maximum=10_000, start=(20,), stages=_AFTER_CLASSIFIER)
    counting: str = setting("paper", label="Question counting",
                            help="paper: every comparison counts against the budget, identical "
                                 "options included (the reproduction); people: as the live page "
                                 "counts, a comparison with nothing new is skipped for free",
                            choices=lambda: COUNTING, stages=("session",))
    fitted_users: str | None = setting(
        None, label="Fitted people", help="with user_model fitted: the content hash of the "
        "fitted-people file (hare answers fit --write-model; give the file as --answers FILE)",
        choices=lambda: registered(), optional=True, stages=("session",))
    seed: int = setting(0, label="Seeds", help="run seeds", minimum=0, maximum=INT32_MAX,
                        flag="--seeds", sweep=(0, 1, 2, 3, 4), start=(0,), stages=_EVERY_STAGE)

    # The fields every run id has hashed since the first stored run. A field declared after
    # them enters the hash only when it differs from its default, so adding one (with its
    # default) moves no stored id; normalisation must map a value that does not apply to the
    # default, not to None, for such a field.
    ID_FIELDS: ClassVar[tuple[str, ...]] = (
        "dataset", "model", "generator", "variant", "budget", "iterations", "bps", "scale",
        "noise", "noise_param", "tolerance", "user_model", "users", "seed")

    def __post_init__(self):
        # One type per field: a JSON 0 and a CLI 0.0 must hash to the same run id.
        self.schema().settle(self)
        self._check_together()

    @classmethod
    def schema(cls) -> Schema:
        return Schema.of(cls)

    def validate(self) -> "RunConfig":
        """ConfigError naming the field, what was wrong and what is valid."""
        schema = self.schema()
        for name in schema.names:
            schema.check_value(name, getattr(self, name))
        return self._check_together()

    def _check_together(self) -> "RunConfig":
        """The rules that involve more than one field."""
        NOISE[self.noise].check(self.noise, self.noise_param)
        if (self.user_model == "fitted") != (self.fitted_users is not None):
            raise ConfigError("user_model fitted takes the fitted people as --answers FILE "
                              "(and fitted_users only goes with it)")
        if self.user_model == "fitted" and self.noise != "none":
            raise ConfigError("fitted people err as fitted (logistic, the file's β): leave "
                              "--noise out")
        if self.variant != "base" and self.budget is not None and self.iterations is not None \
                and (self.bps is not None or self.variant == "active_hare"):
            self.hare_settings()  # a budget not divisible by the iterations, ...
        return self

    def _with(self, **changes) -> "RunConfig":
        """A copy with ``changes`` that are valid by construction (normalisation only sets
        values that do not apply to None or to their defaults): not validated again."""
        copy = object.__new__(type(self))
        for name in self.schema().names:
            object.__setattr__(copy, name, changes.get(name, getattr(self, name)))
        return copy

    def normalised(self) -> "RunConfig":
        """Fields that do not apply become None: base ignores budget/iterations/bps and user
        answers, HARE has T = 1. Two configs with the same result normalise to the same one."""
        if self.variant == "base":
            changes = dict(budget=None, iterations=None, bps=None, noise="none",
                           noise_param=0.0, tolerance=None, counting="paper")
        else:
            changes = {}
            if self.variant == "hare":
                changes["iterations"] = 1
            if self.variant == "active_hare":
                changes["bps"] = None  # every option it shows is calibrated by BPS
                # it never puts two indistinguishable options as a pair: both countings agree
                changes["counting"] = "paper"
            if self.noise == "none":
                changes["noise_param"] = 0.0
        changes = {name: value for name, value in changes.items() if getattr(self, name) != value}
        return self._with(**changes) if changes else self

    def hare_settings(self) -> HareSettings | ActiveSettings:
        """The session's settings; ConfigError for a budget not divisible by the iterations,
        too few questions per round, etc."""
        if self.variant == "active_hare":
            return ActiveSettings(budget=self.budget, rounds=self.iterations)
        protocol = get_protocol(self.protocol)
        return HareSettings(budget=self.budget, iterations=self.iterations, bps=self.bps,
                            sampler=protocol.sampler, rounds=protocol.rounds,
                            counting=self.counting)

    @property
    def run_id(self) -> str:
        return _run_id(self.normalised())

    def stage_key(self, stage: str) -> tuple:
        """What the run's ``stage`` result depends on (hare.schema.STAGES): the runner's
        cache key for it."""
        return self.schema().stage_key(self.normalised(), stage)

    def values(self) -> dict:
        """Every declared field's value, by name."""
        return {name: getattr(self, name) for name in self.schema().names}

    def to_json(self) -> str:
        return json.dumps(self.values(), sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict) -> "RunConfig":
        """A config from plain data (a JSON line, a store row); unknown keys are an error."""
        names = cls.schema().names
        unknown = set(values) - set(names)
        if unknown:
            raise ConfigError(f"unknown run fields: {', '.join(sorted(unknown))} "
                              f"(valid: {', '.join(names)})")
        return cls(**{name: _plain(value) for name, value in values.items()})

    def label(self, fields_shown: tuple[str, ...] | None = None) -> str:
        """A short name for people; ``fields_shown`` limits it to the fields that differ
        within a grid (seed included when listed)."""
        cfg = self.normalised()
        shown = set(self.schema().names if fields_shown is None else fields_shown)
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
            parts.append(cfg.user_model + (f" {cfg.fitted_users}" if cfg.fitted_users else ""))
        if cfg.protocol != DEFAULT_PROTOCOL:
            parts.append(f"protocol {cfg.protocol}")
        if cfg.counting != "paper":
            parts.append(f"{cfg.counting} counting")
        if "users" in shown:
            parts.append(f"{cfg.users} users")
        if "seed" in shown:
            parts.append(f"seed {cfg.seed}")
        return " ".join(map(str, parts))


@lru_cache(maxsize=65_536)
def _run_id(cfg: RunConfig) -> str:
    schema = cfg.schema()
    values = {name: getattr(cfg, name) for name in schema.names
              if name in cfg.ID_FIELDS or getattr(cfg, name) != schema.defaults[name]}
    payload = json.dumps(values, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


SCHEMA = RunConfig.schema()
CONFIG_FIELDS = SCHEMA.names
AXES: dict[str, Axis] = SCHEMA.axes
FIELD_TYPES: dict[str, type] = SCHEMA.types
check_value = SCHEMA.check_value


def _plain(value):
    """numpy scalars -> Python values; a missing value (None, NaN, pandas' NA) -> None."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if value is None or type(value).__name__ == "NAType" or (isinstance(value, float) and value != value):
        return None
    return value


def expand_grid(config_cls: type[RunConfig] = RunConfig, **options) -> list[RunConfig]:
    """Every combination of the given lists (e.g. dataset=["adult"], seed=[0, 1]), validated,
    normalised and without duplicates, in a cache-friendly order. ``config_cls``: RunConfig or
    a schema that extends it."""
    declared = config_cls.schema().names
    names = [name for name in declared if name in options]
    unknown = set(options) - set(declared)
    if unknown:
        raise ConfigError(f"unknown grid options: {', '.join(sorted(unknown))}")
    size = math.prod(len(options[name]) for name in names)
    if size > MAX_GRID:
        raise ConfigError(f"the grid has {size:,} combinations; at most {MAX_GRID:,} can be run "
                          "at once (choose fewer seeds or settings)")
    seen, grid = set(), []
    for values in itertools.product(*(options[name] for name in names)):
        config = config_cls(**dict(zip(names, values))).normalised()
        if config.run_id not in seen:
            seen.add(config.run_id)
            grid.append(config)
    grid.sort(key=lambda c: (c.dataset, c.model, c.seed, c.users, c.generator, c.scale,
                             VARIANTS.index(c.variant), c.budget or 0, c.iterations or 0))
    return grid


def differing_fields(configs) -> tuple[str, ...]:
    """The config fields (seed excluded) whose values differ within ``configs``."""
    configs = [c.normalised() for c in configs]
    names = type(configs[0]).schema().names if configs else CONFIG_FIELDS
    return tuple(name for name in names if name != "seed"
                 and len({getattr(c, name) for c in configs}) > 1)
