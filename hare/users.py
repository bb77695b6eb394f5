"""Simulated users (SPEC §6): a hidden ground-truth recourse and oracles that answer from it.

The ground truth r_gt(u) is drawn per user: a direction uniform on the sphere over the mutable
continuous columns (keyed by (seed, user index)), p = clip(x + s·u), redrawn while g(p) ≥ 0.5,
then r_gt = the nearest positive point to p (Growing Spheres). Oracles answer a session's
questions for a whole batch at once; the session learns about r_gt only through those answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from hare.actions import ActionSpace
from hare.candidates import boundary_point_search
from hare.errors import ConfigError
from hare.noise import NOISE, NOISE_MODELS
from hare.generators.growing_spheres import growing_spheres_search
from hare.models import Classifier
from hare import rng
from hare.questions import Question
from hare.rng import keyed_normal, keyed_uniform
from hare.user_models import KINDS

SCALES = {"near": 0.2, "intermediate": 0.8, "far": 1.5}


@dataclass(frozen=True)
class GroundTruth:
    recourse: torch.Tensor  # (N, d) r_gt
    fallback: torch.Tensor  # (N,) bool: every draw was positive, r_gt = BPS(x, last draw)
    draws: torch.Tensor  # (N,) long: draws used (1 = the first was negative)


def simulate_ground_truth(model: Classifier, x: torch.Tensor, space: ActionSpace, scale: str,
                          keys: torch.Tensor, max_draws: int = 100) -> GroundTruth:
    """One hidden preferred recourse per user, all users at once (see module docstring)."""
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r} (valid: {', '.join(SCALES)})")
    n, d = x.shape
    with torch.no_grad():
        # 0 outside the mutable continuous columns already: the conversion is the mask
        u = keyed_normal(keys, rng.stream("ground_truth"), (max_draws, d),
                         columns=space.continuous_mutable).to(x.dtype)
        u = u / u.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        p = space.project(x.unsqueeze(1), x.unsqueeze(1) + SCALES[scale] * u)  # (N, R, d)
        negative = model(p) < 0.5
        has_negative = negative.any(dim=1)
        first = torch.where(has_negative, negative.float().argmax(dim=1),
                            torch.full((n,), max_draws - 1))
        chosen = p[torch.arange(n), first]
        recourse = torch.empty_like(x)
        fallback = ~has_negative
        if bool(has_negative.any()):
            idx = torch.nonzero(has_negative).squeeze(-1)
            found = growing_spheres_search(model, chosen[idx], x[idx], space, keys[idx],
                                           stream=rng.stream("ground_truth_gs"))
            recourse[idx] = found
            # GS from a negative point inside the box always finds the box's positive region in
            # practice; if it did not, fall back to the boundary point toward the draw.
            missed = idx[torch.isnan(found).any(dim=-1)]
            fallback[missed] = True
        if bool(fallback.any()):
            idx = torch.nonzero(fallback).squeeze(-1)
            last = p[idx, max_draws - 1]
            # a missed GS on a negative draw: walk to the far corner that draw points at (only
            # those rows; a row whose every draw was positive keeps its last draw)
            corner = space.project(x[idx], x[idx] + 10.0 * u[idx, max_draws - 1])
            last = torch.where((model(last) >= 0.5).unsqueeze(-1), last, corner)
            calibrated, _ = boundary_point_search(model, x[idx], last.unsqueeze(1), space)
            recourse[idx] = calibrated[:, 0]
        return GroundTruth(recourse, fallback, first + 1)


@dataclass
class SimulatedUser:
    """Answers for a batch of users from their ground truth.

    Relative feedback prefers the candidate nearer to r_gt in L2, ties to the challenger.
    ``noise``: "none"; "bernoulli" flips each comparison with probability ``noise_param``;
    "logistic" (Bradley–Terry) prefers the challenger with probability
    σ(β·(‖current − r_gt‖ − ‖challenger − r_gt‖)), β = ``noise_param``.
    Absolute feedback says yes iff ‖r − r_gt‖ ≤ ``tolerance`` (None: never, as in the paper).
    ``weights`` (d,) or per user (N, d), if given, replace the L2 distance to r_gt by a preference-weighted L1
    cost from the factual, a second user model: the cheaper recourse wins.
    ``kind`` (a name of hare.user_models.KINDS) with its per-user ``params``, if given, replace
    both: the option with the lower cost of that kind wins.
    """

    ground_truth: torch.Tensor  # (N, d)
    keys: torch.Tensor  # (N,)
    noise: str = "none"
    noise_param: float = 0.0
    tolerance: float | None = None
    factual: torch.Tensor | None = None
    weights: torch.Tensor | None = None
    kind: str | None = None
    params: dict | None = None

    def __post_init__(self):
        if self.noise not in NOISE_MODELS:
            raise ConfigError(f"unknown noise model {self.noise!r} (valid: {', '.join(NOISE_MODELS)})")
        NOISE[self.noise].check(self.noise, self.noise_param)
        if self.weights is not None and self.factual is None:
            raise ConfigError("weighted-cost users need the factuals")
        if self.kind is not None and self.factual is None:
            raise ConfigError("users of a kind need the factuals")

    def score(self, r: torch.Tensor, users: torch.Tensor) -> torch.Tensor:
        """Lower is better: distance to r_gt, weighted L1 cost for preference-weight users, or
        the cost of the user's kind."""
        if self.kind is not None:
            params = {name: value[users] for name, value in (self.params or {}).items()}
            return KINDS[self.kind].cost(r, self.factual[users], params)
        if self.weights is not None:
            weights = self.weights[users] if self.weights.dim() == 2 else self.weights
            return ((r - self.factual[users]).abs() * weights).sum(-1)
        return (r - self.ground_truth[users]).norm(dim=-1)

    def answer(self, question: Question) -> torch.Tensor:
        users = question.users
        current = self.score(question.current, users)
        if question.kind == "accept":
            if self.tolerance is None:
                return torch.zeros(len(users), dtype=torch.bool)
            return current <= self.tolerance
        challenger = self.score(question.challenger, users)
        stream = rng.stream("noise", 1000 * question.iteration + question.step)
        if self.noise == "logistic":
            p = torch.sigmoid(self.noise_param * (current - challenger))
            return keyed_uniform(self.keys[users], stream, ()) < p
        prefers = challenger <= current
        if self.noise == "bernoulli":
            flip = keyed_uniform(self.keys[users], stream, ()) < self.noise_param
            prefers = prefers ^ flip
        return prefers
