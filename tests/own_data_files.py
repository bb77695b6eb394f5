"""Small own-data files the tests make: a table of mixed columns (a whole-number feature nobody
can change, one-way numbers, a text category, an integer-coded category) with a text outcome,
its spec, and models of it: a scikit-learn gradient-boosting Pipeline with a OneHotEncoder saved
with skops, and an ONNX network on the table's numeric columns.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SPEC = """\
name = "Benefit claims"
outcome = "decision"
positive = "yes"

[features.age]
kind = "integer"
mutable = false
unit = "years"

[features.hours]
kind = "continuous"
direction = "up"
unit = "hours a week"
min = 0
max = 60

[features.debt]
kind = "continuous"
direction = "down"
money = true

[features.region]
kind = "categorical"
mutable = false

[features.plan]
kind = "categorical"   # integer codes 0, 1, 2
"""


@dataclass(frozen=True)
class OwnFiles:
    csv: Path
    spec: Path
    frame: pd.DataFrame


def make_table(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 65, n)
    hours = rng.uniform(5, 50, n).round(1)
    debt = rng.gamma(2.0, 1500.0, n).round(0)
    region = rng.choice(["north", "south", "west"], n)
    plan = rng.integers(0, 3, n)
    score = (0.08 * hours - 0.0006 * debt + 0.7 * (plan == 2) + 0.3 * (region == "west")
             + 0.01 * (age - 40) + rng.normal(0, 0.3, n))
    decision = np.where(score > np.median(score), "yes", "no")
    return pd.DataFrame(dict(age=age, hours=hours, debt=debt, region=region, plan=plan,
                             decision=decision))


def write_files(folder: Path, n: int = 300, seed: int = 3) -> OwnFiles:
    frame = make_table(n, seed)
    csv, spec = folder / "claims.csv", folder / "claims.toml"
    frame.to_csv(csv, index=False)
    spec.write_text(SPEC)
    return OwnFiles(csv, spec, frame)


def pipeline(frame: pd.DataFrame):
    """A fitted gradient-boosting Pipeline: one-hot categories, numbers passed through."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["region", "plan"])],
                            remainder="passthrough")
    model = Pipeline([("pre", pre), ("gb", GradientBoostingClassifier(
        n_estimators=40, max_depth=3, random_state=0))])
    return model.fit(frame.drop(columns="decision"), frame["decision"])


def write_skops(folder: Path, frame: pd.DataFrame, name: str = "claims.skops") -> Path:
    import skops.io as sio
    path = folder / name
    sio.dump(pipeline(frame), path)
    return path


def write_onnx(folder: Path, columns: int, name: str = "numeric.onnx") -> Path:
    """An ONNX network of ``columns`` float inputs returning two class probabilities."""
    import torch
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(columns, 8), torch.nn.ReLU(),
                              torch.nn.Linear(8, 2), torch.nn.Softmax(-1))
    path = folder / name
    with warnings.catch_warnings():  # the legacy exporter works offline; its notice is noise
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(net, (torch.zeros(1, columns),), str(path), dynamo=False,
                          input_names=["x"], output_names=["p"],
                          dynamic_axes={"x": {0: "n"}, "p": {0: "n"}})
    return path
