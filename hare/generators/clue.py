"""CLUE (Antorán et al. 2021): a latent-space search for a confident explanation, batched.

z starts at 0 (the prior mean); Adam (lr 0.5, up to 400 steps) minimises per row
H(g(x')) + (λ/d)·‖x' − x‖₁ with x' = decode(z), λ = 4, d = number of encoded features and
H the classifier's predictive entropy. Every iterate is projected into the action space and
the positive one with the smallest L1 distance to x is the result; NaN if no iterate was positive.
A row stops once its loss has not improved by ``tol`` for ``patience`` steps (the authors' early
stop); the search ends when every row has stopped.

Departures from the authors' (CARLA's) version:
- Immutables are kept: the VAE models only the mutable columns, its decoder gets the factual's
  immutables as input, and every iterate is projected into the action space (binaries rounded,
  frozen columns restored). CARLA's CLUE ignored immutables (and the paper reports no CLUE
  numbers on Adult, its success being too low there).
- The L1 term and the result's distance use the decoded point with immutables restored, so the
  search does not pay for immutables it cannot change anyway.
- The entropy is that of the deterministic classifier; CLUE was designed for Bayesian networks,
  whose entropy also holds model uncertainty. Not a departure, but worth knowing: the objective
  does not ask for the positive class, so a row that grows confident in the negative class
  fails; CLUE's success rate is low by design (23% on Adult with the ANN here).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from hare.generators.autoencoders import (VAESettings, clue_settings, load_or_train_vae,
                                          model_overrides)
from hare.generators.base import RecourseGenerator, check_number, register
from hare.optim import Adam


def _entropy(logits: torch.Tensor) -> torch.Tensor:
    """Binary predictive entropy (nats) from logits, stable for large |logits|."""
    p = torch.sigmoid(logits)
    return p * F.softplus(-logits) + (1 - p) * F.softplus(logits)


# "lr" names the search's step size here; the VAE's lr stays the authors'.
@model_overrides(VAESettings, exclude=("lr",))
@dataclass(frozen=True)
class CLUESettings:
    """The search: λ, Adam's lr, at most ``steps`` steps, a row stopping after ``patience`` steps
    without a loss improvement of ``tol``; any VAESettings field but ``lr`` (``epochs``,
    ``latent``, ...) changes the VAE (None: the authors' value for the dataset)."""

    lam: float = 4.0
    lr: float = 0.5
    steps: int = 400
    patience: int = 20
    tol: float = 1e-4

    def __post_init__(self):
        check_number("clue", "lam", self.lam, float, low=0)
        check_number("clue", "lr", self.lr, float, low=0, low_open=True)
        check_number("clue", "steps", self.steps, int, low=1)
        check_number("clue", "patience", self.patience, int, low=1)
        check_number("clue", "tol", self.tol, float, low=0)


@register
class CLUE(RecourseGenerator):
    name = "clue"
    title = "CLUE"
    people_label = "Confident profiles (VAE)"
    needs_gradients = True
    people_help = "CLUE: profiles the model is sure about"
    Settings = CLUESettings

    def fit(self, dataset, model, space, seed: int = 0):
        super().fit(dataset, model, space, seed)
        settings = self.settings.model_settings(clue_settings(dataset.name))
        self.trained = load_or_train_vae(dataset, seed, settings, kind="clue-vae")
        self.vae = self.trained.model
        return self

    def _search(self, x: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        lam, steps = self.settings.lam, self.settings.steps
        patience, tol = self.settings.patience, self.settings.tol
        n, d = x.shape
        space = self.space
        result = torch.full_like(x, torch.nan)
        best_cost = torch.full((n,), torch.inf, dtype=x.dtype)
        best_loss = torch.full((n,), torch.inf, dtype=x.dtype)
        stale = torch.zeros(n, dtype=torch.long)
        done = torch.zeros(n, dtype=torch.bool)
        z = torch.zeros(n, self.vae.mu.out_features, dtype=x.dtype, requires_grad=True)
        optimizer = Adam(z, self.settings.lr)
        for _ in range(steps):
            decoded = self.vae.decode(z, x)
            # Differentiable stand-in for the projection: frozen columns from x, values clipped.
            moved = torch.where(space.mutable, decoded.clamp(space.lower, space.upper), x)
            loss = _entropy(self.model.logits(moved)) + lam / d * (moved - x).abs().sum(-1)
            with torch.no_grad():
                candidate = space.project(x, decoded)
                cost = (candidate - x).abs().sum(-1)
                better = (~done & (self.model(candidate) >= 0.5) & space.is_actionable(x, candidate)
                          & (cost < best_cost))
                result[better] = candidate[better]
                best_cost = torch.where(better, cost, best_cost)
                improved = loss < best_loss - tol
                best_loss = torch.where(improved & ~done, loss.detach(), best_loss)
                stale = torch.where(improved, 0, stale + 1)
                done |= stale >= patience
            if bool(done.all()):
                break
            optimizer.step(torch.autograd.grad(loss[~done].sum(), z)[0])
        return result
