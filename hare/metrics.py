"""Per-user recourse metrics (SPEC §7), batched; aggregated per run by the bench runner.

Every metric is computed on users with a valid recourse only (NaN elsewhere); success rate is
the share of users with one. Distances are in the encoded [0, 1] space.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch

from hare.models import Classifier

CHANGE_TOL = 1e-5  # |r_j − x_j| above this counts as a changed feature
CARLA_TOL = 1e-8  # CARLA's L0: np.isclose(delta, 0), whose absolute tolerance is 1e-8


@dataclass(frozen=True)
class Precision:
    """When a feature counts as changed: for redundancy, |r_j − x_j| > ``redundancy_tol``,
    with r read as float32 first if ``float32`` (and a reverted feature then takes the
    factual's float32 value); for sparsity, |r_j − x_j| > ``sparsity_tol``. The defaults are
    this project's: one tolerance, float64 throughout."""

    float32: bool = False
    redundancy_tol: float = CHANGE_TOL
    sparsity_tol: float = CHANGE_TOL


# CARLA's, on the authors' float32 recourses (hare.protocol): a feature is changed for
# redundancy when its float32 value differs at all from the float64 factual (so an untouched
# continuous column whose value float32 cannot hold counts, and reverting it alone keeps the
# prediction), and for sparsity when |r_j − x_j| > 1e-8 (CARLA's isclose).
CARLA_PRECISION = Precision(float32=True, redundancy_tol=0.0, sparsity_tol=CARLA_TOL)


@dataclass(frozen=True)
class UserMetrics:
    """(N,) tensors, one entry per user; NaN where the user has no valid recourse."""

    valid: torch.Tensor  # bool
    gtp: torch.Tensor  # ‖r* − r_gt‖₂
    gtd: torch.Tensor  # 1 − cos(r* − x, r_gt − x)
    constraint_violations: torch.Tensor  # immutable features changed
    redundancy: torch.Tensor  # changed features that alone can be reverted, staying positive
    proximity_l2: torch.Tensor  # ‖r* − x‖₂
    proximity_sq: torch.Tensor  # ‖r* − x‖₂², what CARLA (and so the paper) reported
    sparsity: torch.Tensor  # features changed

    def as_dict(self) -> dict[str, torch.Tensor]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def compute_metrics(model: Classifier, x: torch.Tensor, r: torch.Tensor, r_gt: torch.Tensor,
                    immutable: torch.Tensor, precision: Precision = Precision()) -> UserMetrics:
    """x, r, r_gt: (N, d); immutable: (d,) bool. r may hold NaN rows (no recourse).
    ``precision`` says when redundancy and sparsity count a feature as changed
    (``CARLA_PRECISION``: as CARLA did on the authors' recourses)."""
    with torch.no_grad():
        has = ~torch.isnan(r).any(dim=-1)
        safe = torch.where(has.unsqueeze(-1), r, x)
        valid = has & (model(safe) >= 0.5)
        delta, delta_gt = safe - x, r_gt - x
        changed = delta.abs() > CHANGE_TOL
        gtp = (safe - r_gt).norm(dim=-1)
        cosine = torch.nn.functional.cosine_similarity(delta, delta_gt, dim=-1, eps=1e-12)
        gtd = 1.0 - cosine
        violations = (changed & immutable).sum(-1).float()
        d = x.shape[-1]
        eye = torch.eye(d, dtype=torch.bool)
        stored, factual = safe, x
        if precision.float32:  # what CARLA read: the float32 recourse
            stored, factual = safe.float().to(x.dtype), x.float().to(x.dtype)
        changed_red = (stored - x).abs() > precision.redundancy_tol
        reverted = torch.where(eye, factual.unsqueeze(1), stored.unsqueeze(1))  # (N, d, d): row j reverts j
        redundant = (model(reverted) >= 0.5) & changed_red
        redundancy = redundant.sum(-1).float()
        proximity = delta.norm(dim=-1)
        sparsity = (delta.abs() > precision.sparsity_tol).sum(-1).float()

        def only_valid(t: torch.Tensor) -> torch.Tensor:
            return torch.where(valid, t.float(), torch.nan)

        return UserMetrics(valid, only_valid(gtp), only_valid(gtd), only_valid(violations),
                           only_valid(redundancy), only_valid(proximity),
                           only_valid(proximity ** 2), only_valid(sparsity))
