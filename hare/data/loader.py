"""Load a benchmark dataset: raw frames, fitted encoder and encoded torch tensors.

The train/test split is CARLA's fixed one (the ``_train`` / ``_test`` files). The target's
orientation is checked on load, so a file with a flipped label cannot slip through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import torch

from hare.data.encoder import Encoder
from hare.data.files import resolve_data_file
from hare.data.specs import DatasetSpec, get_spec

# Share of the desired class (label 1) in each processed file, SPEC §1; checked on load.
EXPECTED_POSITIVE_RATE = {"adult": 0.24, "compas": 0.81, "credit": 0.93}


@dataclass(frozen=True, eq=False)
class Dataset:
    """One dataset: raw frames in original units and their encoded tensors."""

    spec: DatasetSpec
    encoder: Encoder
    train: pd.DataFrame = field(repr=False)
    test: pd.DataFrame = field(repr=False)
    # float64 throughout the engine: BoundaryPointSearch leaves points within 1e-6 of the
    # decision boundary, and in float32 a point that close flips class depending on the batch
    # shape it is evaluated in (seen: 20% of HARE results re-evaluated as g = 0.4999996).
    x_train: torch.Tensor = field(repr=False)  # (N_train, d) float64 in [0, 1]
    y_train: torch.Tensor = field(repr=False)  # (N_train,) float64 in {0, 1}
    x_test: torch.Tensor = field(repr=False)
    y_test: torch.Tensor = field(repr=False)
    data_sha256: str = ""  # a person's own file (hare.data.own); "" for the paper's datasets

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.spec.features

    @property
    def n_features(self) -> int:
        return len(self.spec.features)

    @property
    def immutable_mask(self) -> torch.Tensor:
        """(d,) bool: True for features nobody can change (SPEC §1)."""
        return torch.tensor([f in self.spec.immutable for f in self.spec.features])

    @property
    def binary_mask(self) -> torch.Tensor:
        """(d,) bool: True for the categorical columns."""
        return torch.tensor([f in self.spec.categorical for f in self.spec.features])

    @property
    def category_steps(self) -> torch.Tensor:
        """(d,) float64: encoded steps between a categorical column's values (1 elsewhere)."""
        steps = dict(zip(self.spec.categorical, self.encoder.steps))
        return torch.tensor([float(steps.get(f, 1)) for f in self.spec.features],
                            dtype=torch.float64)


def _read(filename: str) -> pd.DataFrame:
    return pd.read_csv(resolve_data_file(filename), skipinitialspace=True)


# A person's own datasets loaded in this process (hare.data.own), by name.
_OWN: dict[str, Dataset] = {}


def register_dataset(dataset: Dataset) -> None:
    """Make a person's own dataset loadable by name in this process."""
    _OWN[dataset.name] = dataset


@lru_cache(maxsize=8)
def load_dataset(name: str) -> Dataset:
    """Load ``adult``, ``compas`` or ``credit`` (cached per process), or a person's own
    dataset registered in this process."""
    if name in _OWN:
        return _OWN[name]
    spec = get_spec(name)
    full = _read(spec.files["all"])
    train = _read(spec.files["train"])
    test = _read(spec.files["test"])
    for split, frame in (("all", full), ("train", train), ("test", test)):
        missing = [c for c in spec.features + (spec.target,) if c not in frame.columns]
        if missing:
            raise ValueError(f"{spec.files[split]} lacks columns {missing}")
    rate = float(full[spec.target].mean())
    if abs(rate - EXPECTED_POSITIVE_RATE[name]) > 0.05:
        raise ValueError(
            f"{spec.files['all']}: {rate:.0%} of rows have {spec.target}=1, expected about "
            f"{EXPECTED_POSITIVE_RATE[name]:.0%}; is the target flipped?"
        )
    encoder = Encoder.fit(spec, full)

    def tensors(frame: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.from_numpy(encoder.encode(frame))
        y = torch.from_numpy(frame[spec.target].to_numpy(dtype=np.float64))
        return x, y

    x_train, y_train = tensors(train)
    x_test, y_test = tensors(test)
    return Dataset(spec, encoder, train.reset_index(drop=True), test.reset_index(drop=True),
                   x_train, y_train, x_test, y_test)
