"""Wachter et al. (2017) gradient counterfactuals, batched over factuals.

Loss per row: BCE(g(x'), 1) + λ·‖x' − x‖₁, Adam (amsgrad) lr 0.01, up to ``steps`` steps a
round; a row stops as soon as g(x') ≥ 0.5 and its first valid iterate is its result. Rows still
invalid after a round have λ halved and continue (SPEC §8). Only mutable continuous columns
receive gradient (the authors rounded binaries in the forward pass, so they never moved); after
each step the point is projected into the action space (clamp to [0, 1] and to any user ranges).
Departure: a fixed number of rounds (``rounds``) replaces the authors' wall-clock time limit, so
results do not depend on machine speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from hare.generators.base import RecourseGenerator, check_number, register
from hare.optim import Adam


@dataclass(frozen=True)
class WachterSettings:
    """The authors' λ, learning rate and step limit; ``rounds`` replaces their time limit."""

    lam: float = 0.1  # starting λ, halved after each round for the rows still invalid
    steps: int = 2500  # Adam steps a round
    rounds: int = 4
    lr: float = 0.01

    def __post_init__(self):
        check_number("wachter", "lam", self.lam, float, low=0)
        check_number("wachter", "steps", self.steps, int, low=1)
        check_number("wachter", "rounds", self.rounds, int, low=1)
        check_number("wachter", "lr", self.lr, float, low=0, low_open=True)


@register
class Wachter(RecourseGenerator):
    name = "wachter"
    title = "Wachter"
    people_label = "Gradient search"
    needs_gradients = True
    people_help = "Wachter et al.: follows the model's gradient to a yes"
    Settings = WachterSettings

    def _search(self, x: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        s = self.settings
        lam0, steps, rounds, lr = s.lam, s.steps, s.rounds, s.lr
        mask = self.space.continuous_mutable.to(x.dtype)
        result = torch.full_like(x, torch.nan)
        done = torch.zeros(x.shape[0], dtype=torch.bool)
        lam = torch.full((x.shape[0],), lam0)
        candidate = x.clone().requires_grad_(True)
        optimizer = Adam(candidate, lr, amsgrad=True)
        for _ in range(rounds):
            for _ in range(steps):
                logits = self.model.logits(candidate)
                with torch.no_grad():
                    newly = (logits >= 0) & ~done
                    if newly.any():
                        result[newly] = candidate.detach()[newly]
                        done |= newly
                if bool(done.all()):
                    return result
                cost = (candidate - x).abs()
                if self.space.cost is not None:  # the people path: effort, not range shares
                    cost = cost * self.space.cost
                cost = cost.sum(-1)
                loss = F.softplus(-logits) + lam * cost
                (gradient,) = torch.autograd.grad(loss[~done].sum(), candidate)
                optimizer.step(gradient.mul_(mask))
                with torch.no_grad():
                    candidate.copy_(self.space.project(x, candidate))
            lam = torch.where(done, lam, lam / 2)
        return result
