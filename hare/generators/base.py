"""One interface for every base recourse generator, and a registry by name (SPEC §8).

A generator's class is the one place its facts are declared: its code name, what researchers
and people call it, and the random streams it draws from. The registry hands them to the
report's names (hare.bench.names), the live page's labels (hare.live.formatting), the presets
and the run schema's choices (registry order), and hare.rng's stream table.

scikit-learn style: the constructor only stores parameters (a frozen ``Settings`` dataclass per
generator, validated when built; an unknown name is an error), ``fit(dataset, model, space,
seed)`` prepares (e.g. trains an autoencoder), ``generate(x, keys)`` returns one recourse per
factual or a NaN row where the generator found none. ``generate`` re-checks every result, so a
generator can never hand back a point that is not positive or not actionable.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import torch

from hare import rng
from hare.actions import ActionSpace
from hare.data import Dataset
from hare.errors import ConfigError
from hare.models import Classifier

REGISTRY: dict[str, type["RecourseGenerator"]] = {}


def register(cls: type["RecourseGenerator"]) -> type["RecourseGenerator"]:
    """Class decorator: make a generator available by its ``name`` and reserve its random
    streams in hare.rng (refused where they meet another purpose's)."""
    missing = [fact for fact in ("name", "title", "people_label", "people_help")
               if not getattr(cls, fact)]
    if missing:
        raise TypeError(f"{cls.__qualname__} must set {', '.join(missing)} to be registered")
    known = REGISTRY.get(cls.name)
    if known is not None and (known.__module__, known.__qualname__) != (cls.__module__,
                                                                         cls.__qualname__):
        raise TypeError(f"generator name {cls.name!r} is taken by {known.__qualname__}")
    if cls.streams is not None:
        rng.reserve(cls.name, *cls.streams)
    REGISTRY[cls.name] = cls
    return cls


def generator_names() -> tuple[str, ...]:
    """Every registered generator's name, in registration order (the paper's for its six)."""
    return tuple(REGISTRY)


def _generator_class(name: str) -> type["RecourseGenerator"]:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown generator {name!r} (valid: {', '.join(REGISTRY)})") from None


def gradient_refusal(name: str, model: Classifier) -> str | None:
    """Why generator ``name`` cannot run on ``model`` (None when it can): it follows gradients
    and the model has none worth following (hare.own_models)."""
    if not _generator_class(name).needs_gradients:
        return None
    note = model.gradient_note()
    if note is None:
        return None
    return (f"generator {name} follows the model's gradients, and {note}: choose one that "
            f"needs none ({', '.join(n for n, c in REGISTRY.items() if not c.needs_gradients)})")


def settings_class(name: str) -> type:
    """The frozen settings dataclass of the generator ``name`` (its fields are its parameters)."""
    return _generator_class(name).Settings


def make_generator(name: str, **params) -> "RecourseGenerator":
    """A new, unfitted generator by name, or a ConfigError listing the valid names.

    ``params`` are fields of the generator's ``Settings``; an unknown one is a ConfigError."""
    return _generator_class(name)(**params)


@dataclass(frozen=True)
class NoSettings:
    """For a generator without parameters."""


def build_settings(owner: str, settings_cls: type, params: dict[str, Any]):
    """``settings_cls(**params)``, with an unknown name reported as a ConfigError."""
    valid = [f.name for f in fields(settings_cls)]
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ConfigError(f"{owner}: unknown parameter {', '.join(map(repr, unknown))} "
                          f"(valid: {', '.join(valid) or 'none'})")
    return settings_cls(**params)


def check_number(owner: str, field: str, value, kind: type, low=None, high=None,
                 low_open: bool = False) -> None:
    """ConfigError unless ``value`` is a ``kind`` (int, or float accepting ints) in the bounds."""
    ok_type = (isinstance(value, (int, float)) if kind is float else isinstance(value, int))
    if isinstance(value, bool) or not ok_type:
        raise ConfigError(f"{owner}: {field} must be {'an integer' if kind is int else 'a number'}"
                          f", not {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    if too_low or (high is not None and value > high):
        lower = "" if low is None else f"{'>' if low_open else '≥'} {low}"
        upper = "" if high is None else f"≤ {high}"
        raise ConfigError(f"{owner}: {field} must be {' and '.join(filter(None, [lower, upper]))}"
                          f" (got {value!r})")


class RecourseGenerator(ABC):
    """Base class. Subclasses set ``name``, ``Settings`` and the facts below, and implement
    ``_search``."""

    name: ClassVar[str] = ""  # the code's name: run configs, the command line, stored runs
    title: ClassVar[str] = ""  # what the report and the results page call it
    people_label: ClassVar[str] = ""  # the live page's name for it: how the first option is found
    people_help: ClassVar[str] = ""  # the live page's one line on what it does
    # The hare.rng streams [start, stop) its searches draw from; None where it draws none.
    # Stored results were drawn with these numbers: they never change.
    streams: ClassVar[tuple[int, int] | None] = None
    Settings: ClassVar[type] = NoSettings
    # What it needs of a model: True where its search follows the model's gradient. A model
    # without gradients (a person's own file, hare.own_models) runs it on a fitted stand-in,
    # and refuses it at fit() where the stand-in agrees too little with the model.
    needs_gradients: ClassVar[bool] = False

    def __init__(self, settings=None, **params):
        if settings is not None:
            if params:
                raise ConfigError(f"{self.name}: pass settings or keyword parameters, not both")
            if not isinstance(settings, self.Settings):
                raise ConfigError(f"{self.name}: settings must be a {self.Settings.__name__}, "
                                  f"not {type(settings).__name__}")
            self.settings = settings
        else:
            self.settings = build_settings(self.name, self.Settings, params)
        self.dataset: Dataset | None = None
        self.model: Classifier | None = None
        self.space: ActionSpace | None = None
        self.seed = 0

    def fit(self, dataset: Dataset, model: Classifier, space: ActionSpace, seed: int = 0):
        """Bind to a dataset, classifier and action space; subclasses may train here."""
        refusal = gradient_refusal(self.name, model)
        if refusal is not None:
            raise ConfigError(refusal)
        self.dataset, self.model, self.space, self.seed = dataset, model, space, seed
        return self

    @abstractmethod
    def _search(self, x: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """(N, d) candidates, NaN rows where nothing was found."""

    def generate(self, x: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """Recourses for factuals x (N, d); keys (N,) per-user random keys (hare.rng).

        Returns (N, d): a positive, actionable point per row, or NaN where none was found.
        """
        if self.model is None:
            raise RuntimeError(f"{self.name}: call fit() before generate()")
        found = self._search(x, keys)
        with torch.no_grad():
            ok = ~torch.isnan(found).any(dim=-1)
            safe = torch.where(ok.unsqueeze(-1), found, x)
            ok &= (self.model(safe) >= 0.5) & self.space.is_actionable(x, safe)
        return torch.where(ok.unsqueeze(-1), found, torch.nan)
