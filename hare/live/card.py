"""The recourse card's advice: each change with its words, time and effort, the plan as one
sentence, the limits in force, and what identifies the model and the engine that gave it.
"""

from __future__ import annotations

import hashlib
import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

import hare
from hare.data import Dataset
from hare.live.costs import ChangeCost, change_cost, duration, plan_effort, plan_months, plan_sentence
from hare.live.formatting import decode_row, format_value
from hare.live.profile import Preferences


def change_costs(dataset: Dataset, x, r, preferences: Preferences) -> list[ChangeCost]:
    """The changes from profile ``x`` to recourse ``r`` ((d,) encoded) that a person can see
    (the formatted value differs), each with its cost, in the dataset's feature order."""
    x, r = np.asarray(x, dtype=float), np.asarray(r, dtype=float)
    before, after = decode_row(dataset, x), decode_row(dataset, r)
    levels = dict(preferences.difficulty)
    out = []
    for column in dataset.feature_names:
        b, a = format_value(dataset, column, before[column]), format_value(dataset, column, after[column])
        if b == a:
            continue
        if column in dataset.spec.categorical:
            delta = a
            values = (str(before[column]), str(after[column]))
        else:
            values = (float(before[column]), float(after[column]))
            delta = format_value(dataset, column, abs(values[1] - values[0]))
            if column == "RevolvingUtilizationOfUnsecuredLines":  # a share, read as per cent
                a = f"{values[1]:.0%}"
        out.append(change_cost(dataset, column, *values, b, a, delta,
                               levels.get(column, "normal")))
    return out


def changes_entry(items: list[ChangeCost], shown: dict) -> dict:
    """The card's ``changes``: per changed column, the numbers as shown and what it takes."""
    return {c.column: {"before": shown["before"][c.column], "after": shown["after"][c.column],
                       "label": c.label, "unit": c.unit, "words": c.words,
                       "time": c.time, "months": round(c.months, 1),
                       "effort": c.effort, "effort_weeks": round(c.effort_weeks, 1),
                       "needs_money": c.money, "why": c.reason, "source": c.source or None}
            for c in items}


def plan_entry(items: list[ChangeCost]) -> dict:
    """The plan as one sentence, its time (changes run side by side) and its total effort."""
    months = plan_months(items)
    return {"sentence": plan_sentence(items), "months": round(months, 1),
            "time": duration(months), "effort_weeks": round(plan_effort(items), 1),
            "features_changed": len(items)}


def limits_entry(dataset: Dataset, preferences: Preferences) -> dict:
    """Every rule in force, readable: held fixed (the dataset's and the person's), ranges,
    directions, difficulty, at most k changes, and each feature's cost facts."""
    spec = dataset.spec
    fixed = [{"feature": c, "label": spec.fact(c).label,
              "why": ("the same for everyone: not a thing to change" if c in spec.immutable
                      else spec.fact(c).reason or "you said you will not change it")}
             for c in dataset.feature_names
             if c in spec.immutable or c in preferences.frozen]
    costs = {}
    for c in dataset.feature_names:
        cost = spec.fact(c).cost
        if cost is None or c in spec.immutable or c in preferences.frozen:
            continue
        costs[c] = {"label": spec.fact(c).label, "unit": spec.fact(c).unit,
                    "effort_weeks_per_unit": cost.effort, "months_per_unit": cost.months,
                    "months_before_it_counts": cost.lead_months, "needs_money": cost.money,
                    "why": cost.reason, "source": cost.source or None}
    return {"will_not_change": fixed,
            "ranges": [{"feature": f, "label": spec.fact(f).label, "lowest": lo, "highest": hi}
                       for f, lo, hi in preferences.ranges],
            "directions": {f: ("only up" if s > 0 else "only down")
                           for f, s in preferences.directions},
            "difficulty": dict(preferences.difficulty),
            "max_changes": preferences.max_changes,
            "costs": costs}


def model_hash(model: torch.nn.Module) -> str:
    """sha256 (first 16 hex digits) of the classifier's parameters, in state-dict order; of
    the file, for a person's own model file."""
    if getattr(model, "sha256", None):
        return model.sha256[:16]
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def engine_revision() -> str:
    """The package version, and the git commit of the source tree where there is one."""
    root = Path(hare.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                                capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""  # an installed package without its git tree: the version alone
    return f"{hare.__version__}+{commit}" if commit else hare.__version__
