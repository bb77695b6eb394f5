"""Shared fixtures: real data slices and cached classifiers.

Tests read the real datasets from HARE_DATA_DIR (../shared/data by default, as in CI) and train
classifiers into the normal model cache on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HARE_DATA_DIR", str(ROOT.parent / "shared" / "data"))
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def compas():
    from hare.data import load_dataset
    return load_dataset("compas")


@pytest.fixture(scope="session")
def adult():
    from hare.data import load_dataset
    return load_dataset("adult")


@pytest.fixture(scope="session")
def compas_ann(compas):
    from hare.models import load_or_train
    return load_or_train(compas, "ann", 0).model


@pytest.fixture(scope="session")
def adult_ann(adult):
    from hare.models import load_or_train
    return load_or_train(adult, "ann", 0).model


@pytest.fixture(scope="session")
def compas_lr(compas):
    from hare.models import load_or_train
    return load_or_train(compas, "lr", 0).model


def refused(model, dataset, n):
    """(x, keys) for the first n test rows the model refuses."""
    from hare.models import negative_factuals
    from hare.rng import user_keys
    rows = negative_factuals(model, dataset, n)
    return dataset.x_test[rows], user_keys(0, torch.arange(len(rows)))
