"""Names for people outside the code: what the report and the results page call a generator,
a variant, a metric or a setting (the code's names stay the keys). A generator's name is its
class's ``title`` (hare.generators).
"""

from __future__ import annotations

import math

from hare.bench.measures import LONG_NAMES, SHORT_NAMES
from hare.generators import REGISTRY

VALUE_NAMES = {
    "variant": {"base": "base generator", "hare": "HARE", "multi_hare": "Multi-HARE",
                "active_hare": "Active HARE"},
    "model": {"ann": "neural network", "lr": "logistic regression"},
    "dataset": {"adult": "Adult", "compas": "COMPAS", "credit": "Credit"},
    "bps": {"every": "every candidate", "best": "chosen candidate only"},
    "user_model": {"ground_truth": "hidden preferred recourse", "weighted_cost": "weighted cost",
                   "lognormal_cost": "log-normal weighted cost",
                   "fewest_changes": "fewest changes", "linf": "nearest in L∞",
                   "sparse_ideal": "hidden sparse recourse", "box_ideal": "hidden recourse in the box",
                   "acceptability": "acceptable changes, then cost",
                   "fitted": "fitted to people's answers"},
    "counting": {"paper": "the paper's", "people": "as people are asked"},
    "protocol": {"hare": "ours (the corrected protocol)",
                 "authors": "the authors' protocol (their code, replayed)"},
    "metric": LONG_NAMES,  # hare.bench.measures
}
SHORT_METRIC = SHORT_NAMES  # a metric as a table's header (hare.bench.measures)
FIELD_NAMES = {"budget": "budget B", "iterations": "iterations T", "bps": "boundary point search on",
               "scale": "ground-truth scale", "noise": "user noise", "users": "users",
               "user_model": "simulated user", "protocol": "protocol",
               "counting": "question counting"}


def readable(field: str, value) -> str:
    """``readable("generator", "gs") == "Growing Spheres"``; unknown values pass through, so a
    new variant shows under its code name until it is given one here."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if field == "generator" and value in REGISTRY:
        return REGISTRY[value].title
    return VALUE_NAMES.get(field, {}).get(value, str(value))


def noise_label(noise: str, param: float) -> str:
    """"noiseless", "flips 10%", "logistic β=10"."""
    if noise == "none":
        return "noiseless"
    if noise == "bernoulli":
        return f"flips {param * 100:g}%"
    if noise == "logistic":
        return f"logistic β={param:g}"
    return f"{noise} {param:g}"
