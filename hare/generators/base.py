"""One interface for every base recourse generator, and a registry by name (SPEC §8).

scikit-learn style: the constructor only stores parameters, ``fit(dataset, model, space, seed)``
prepares (e.g. trains an autoencoder), ``generate(x, keys)`` returns one recourse per factual or
a NaN row where the generator found none. ``generate`` re-checks every result, so a generator can
never hand back a point that is not positive or not actionable.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import torch

from hare.actions import ActionSpace
from hare.data import Dataset
from hare.errors import ConfigError
from hare.models import Classifier

REGISTRY: dict[str, type["RecourseGenerator"]] = {}


def register(cls: type["RecourseGenerator"]) -> type["RecourseGenerator"]:
    """Class decorator: make a generator available by its ``name``."""
    REGISTRY[cls.name] = cls
    return cls


def generator_names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def make_generator(name: str, **params) -> "RecourseGenerator":
    """A new, unfitted generator by name, or a ConfigError listing the valid names."""
    try:
        cls = REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown generator {name!r} (valid: {', '.join(REGISTRY)})") from None
    return cls(**params)


class RecourseGenerator(ABC):
    """Base class. Subclasses set ``name`` and implement ``_search``."""

    name: ClassVar[str] = ""

    def __init__(self, **params):
        self.params = params
        self.dataset: Dataset | None = None
        self.model: Classifier | None = None
        self.space: ActionSpace | None = None
        self.seed = 0

    def fit(self, dataset: Dataset, model: Classifier, space: ActionSpace, seed: int = 0):
        """Bind to a dataset, classifier and action space; subclasses may train here."""
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
