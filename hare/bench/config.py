"""A benchmark cell: one (dataset, model, generator, variant, ...) setting and a seed.

A run is a pure function of its RunConfig, and its id is a hash of the normalised config, so a
sweep that is re-run or resumed skips what is already stored.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass, fields, replace

from hare.data import DATASETS
from hare.errors import ConfigError
from hare.generators import generator_names
from hare.models import MODEL_KINDS
from hare.session import HareSettings
from hare.users import NOISE_MODELS, SCALES

VARIANTS = ("base", "hare", "multi_hare")
USER_MODELS = ("ground_truth", "weighted_cost")


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run's result."""

    dataset: str
    model: str
    generator: str
    variant: str
    budget: int | None = 30
    iterations: int | None = 5  # Multi-HARE's T; HARE always has T = 1; base has none
    bps: str | None = "every"
    scale: str = "far"
    noise: str = "none"
    noise_param: float = 0.0
    tolerance: float | None = None
    user_model: str = "ground_truth"
    users: int = 150
    seed: int = 0

    def normalised(self) -> "RunConfig":
        """Fields that do not apply become None: base ignores budget/iterations/bps and user
        answers, HARE has T = 1. Two configs with the same result normalise to the same one."""
        if self.variant == "base":
            return replace(self, budget=None, iterations=None, bps=None, noise="none",
                           noise_param=0.0, tolerance=None)
        cfg = replace(self, iterations=1) if self.variant == "hare" else self
        if cfg.noise == "none":
            cfg = replace(cfg, noise_param=0.0)
        return cfg

    def validate(self) -> "RunConfig":
        def one_of(value, valid, what):
            if value not in valid:
                raise ConfigError(f"unknown {what} {value!r} (valid: {', '.join(valid)})")

        one_of(self.dataset, tuple(DATASETS), "dataset")
        one_of(self.model, MODEL_KINDS, "model")
        one_of(self.generator, generator_names(), "generator")
        one_of(self.variant, VARIANTS, "variant")
        one_of(self.scale, tuple(SCALES), "scale")
        one_of(self.noise, NOISE_MODELS, "noise model")
        one_of(self.user_model, USER_MODELS, "user model")
        if self.users < 1:
            raise ConfigError(f"users must be at least 1 (got {self.users})")
        if self.seed < 0:
            raise ConfigError(f"seeds must be non-negative (got {self.seed})")
        if self.variant != "base":
            self.hare_settings()
        return self

    def hare_settings(self) -> HareSettings:
        """Raises ConfigError for a budget not divisible by the iterations, etc."""
        return HareSettings(budget=self.budget, iterations=self.iterations, bps=self.bps)

    @property
    def run_id(self) -> str:
        payload = json.dumps(asdict(self.normalised()), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def label(self) -> str:
        cfg = self.normalised()
        parts = [cfg.dataset, cfg.model, cfg.generator, cfg.variant]
        if cfg.variant != "base":
            parts.append(f"B{cfg.budget}/T{cfg.iterations}" + ("" if cfg.bps == "every" else "/bps@best"))
        parts.append(cfg.scale)
        if cfg.noise != "none":
            parts.append(f"{cfg.noise}={cfg.noise_param:g}")
        if cfg.user_model != "ground_truth":
            parts.append(cfg.user_model)
        return " ".join(parts) + f" seed {cfg.seed}"


CONFIG_FIELDS = tuple(f.name for f in fields(RunConfig))


def expand_grid(**options) -> list[RunConfig]:
    """Every combination of the given lists (e.g. dataset=["adult"], seed=[0, 1]), validated,
    normalised and without duplicates, in a cache-friendly order."""
    names = [name for name in CONFIG_FIELDS if name in options]
    unknown = set(options) - set(CONFIG_FIELDS)
    if unknown:
        raise ConfigError(f"unknown grid options: {', '.join(sorted(unknown))}")
    seen, grid = set(), []
    for values in itertools.product(*(options[name] for name in names)):
        config = RunConfig(**dict(zip(names, values))).normalised().validate()
        if config.run_id not in seen:
            seen.add(config.run_id)
            grid.append(config)
    grid.sort(key=lambda c: (c.dataset, c.model, c.seed, c.users, c.generator, c.scale,
                             VARIANTS.index(c.variant), c.budget or 0, c.iterations or 0))
    return grid
