"""CCHVAE (Pawelczyk et al. 2020): growing spheres in a VAE's latent space, batched over factuals.

z0 = the encoder mean of the factual's mutable columns; L1 shells [low, low + step) around z0 in
latent space, ``samples`` draws a shell (authors: 300, 100 on COMPAS; step 0.1); each draw is
decoded with the factual's immutables as decoder input, then projected into the action space
(frozen columns back to the factual, binaries rounded, values clipped); among the positive draws
the one nearest to x in L1 is returned, else the next shell. The VAE (hare.generators.autoencoders)
models only the mutable columns and takes the immutables as decoder input, so immutables never
move; its settings are the authors' except COMPAS' batch size, which they do not give, and
COMPAS' 100 epochs, which are a ceiling: training stops 10 epochs after the loss last fell 0.5 %.

Departures from the authors' (CARLA's) version:
- The projection uses the person's whole action space, so features a user froze or limited in
  the app are respected, not just the dataset's immutables.
- A fixed number of shells (``max_shells``, default 100, i.e. latent radius 10) replaces CARLA's
  1000 iterations: a standard-normal latent has almost no mass that far out, and decoded points
  stop changing, so further shells only cost time.
- Random draws are keyed per user (hare.rng), so a user's result does not depend on the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from hare import rng
from hare.generators.autoencoders import (VAESettings, cchvae_settings, load_or_train_vae,
                                          model_overrides)
from hare.generators.base import RecourseGenerator, check_number, register
from hare.generators.growing_spheres import nearest_hits
from hare.rng import keyed_normal, keyed_uniform


@model_overrides(VAESettings)
@dataclass(frozen=True)
class CCHVAESettings:
    """The latent search: ``samples`` draws a shell (None: the authors' 300, 100 on COMPAS),
    shell width ``step`` and at most ``max_shells`` shells; any VAESettings field (``epochs``,
    ``hidden``, ``latent``, ...) changes the VAE (None: the authors' value for the dataset)."""

    samples: int | None = None
    step: float = 0.1
    max_shells: int = 100

    def __post_init__(self):
        if self.samples is not None:
            check_number("cchvae", "samples", self.samples, int, low=1)
        check_number("cchvae", "step", self.step, float, low=0, low_open=True)
        # each shell takes two random streams from the generator's range
        check_number("cchvae", "max_shells", self.max_shells, int, low=1,
                     high=rng.stream_capacity("cchvae") // 2)


@register
class CCHVAE(RecourseGenerator):
    name = "cchvae"
    title = "CCHVAE"
    people_label = "Realistic profiles (VAE)"
    people_help = "CCHVAE: searches among profiles that look like real ones"
    streams = (2_000, 3_000)  # the latent shells: 2 streams a shell
    Settings = CCHVAESettings

    def fit(self, dataset, model, space, seed: int = 0):
        super().fit(dataset, model, space, seed)
        settings = self.settings.model_settings(cchvae_settings(dataset.name))
        self.trained = load_or_train_vae(dataset, seed, settings, kind="cchvae-vae")
        self.vae = self.trained.model
        return self

    def _search(self, x: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        s = self.settings
        samples = s.samples or (100 if self.dataset.name == "compas" else 300)
        step, max_shells = s.step, s.max_shells
        n = x.shape[0]
        result = torch.full_like(x, torch.nan)
        todo = torch.arange(n)
        with torch.no_grad():
            z0 = self.vae.encode(x)[0]
            latent = z0.shape[-1]
            for shell in range(max_shells):
                if todo.numel() == 0:
                    break
                xs, k = x[todo].unsqueeze(1), keys[todo]
                first = rng.stream("cchvae", 2 * shell)  # and first + 1
                direction = keyed_normal(k, first, (samples, latent)).to(x.dtype)
                direction = direction / direction.abs().sum(-1, keepdim=True).clamp_min(1e-12)
                within = keyed_uniform(k, first + 1, (samples, 1)).to(x.dtype)
                radius = step * (shell + within)
                z = z0[todo].unsqueeze(1) + radius * direction  # (M, samples, latent)
                points = self.space.project(xs, self.vae.decode(z, xs))
                valid = (self.model(points) >= 0.5) & self.space.is_actionable(xs, points)
                hit, chosen = nearest_hits(points, valid, xs)
                result[todo[hit]] = chosen[hit]
                todo = todo[~hit]
        return result
