"""Names for people outside the code: what the report and the results page call a generator,
a variant, a metric or a setting (the code's names stay the keys). A generator's name is its
class's ``title`` (hare.generators).
"""

from __future__ import annotations

import math

from hare.generators import REGISTRY

VALUE_NAMES = {
    "variant": {"base": "base generator", "hare": "HARE", "multi_hare": "Multi-HARE",
                "active_hare": "Active HARE"},
    "model": {"ann": "neural network", "lr": "logistic regression"},
    "dataset": {"adult": "Adult", "compas": "COMPAS", "credit": "Credit"},
    "bps": {"every": "every candidate", "best": "chosen candidate only"},
    "user_model": {"ground_truth": "hidden preferred recourse", "weighted_cost": "weighted cost"},
    "protocol": {"hare": "ours (the corrected protocol)",
                 "authors": "the authors' protocol (their code, replayed)"},
    "metric": {"gtp": "ground truth proximity (GTP)", "gtd": "ground truth direction (GTD)",
               "success_rate": "success rate", "constraint_violations": "constraint violations",
               "redundancy": "redundancy", "proximity_sq": "proximity (squared L2)",
               "sparsity": "sparsity", "user_cost": "user's own cost"},
}
SHORT_METRIC = {"gtp": "GTP", "gtd": "GTD", "success_rate": "success",
                "constraint_violations": "con. vio.", "redundancy": "red.",
                "proximity_sq": "prox. (L2²)", "sparsity": "spars.", "user_cost": "user's cost"}
FIELD_NAMES = {"budget": "budget B", "iterations": "iterations T", "bps": "boundary point search on",
               "scale": "ground-truth scale", "noise": "user noise", "users": "users",
               "user_model": "simulated user", "protocol": "protocol"}


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
