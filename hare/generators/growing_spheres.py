"""Growing Spheres (Laugel et al. 2017), batched over factuals; also builds simulated ground truth.

Departures from the authors' (CARLA's) version: binary and immutable columns stay at the
factual's values (as the HARE authors changed it; CARLA resampled binaries at random), samples
are projected into the person's action space, and random draws are keyed per user so a user's
result does not depend on who else is in the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from hare.actions import ActionSpace
from hare.generators.base import RecourseGenerator, check_number, register
from hare.models import Classifier
from hare import rng
from hare.rng import keyed_normal, keyed_uniform


def nearest_hits(points: torch.Tensor, ok: torch.Tensor, reference: torch.Tensor,
                 weights: torch.Tensor | None = None):
    """Per row, the acceptable sample nearest (L1, weighted by ``weights`` (d,) where given) to
    the row's reference point.

    points (M, S, d), ok (M, S) bool, reference (M, 1, d). Returns (hit (M,) bool: the row had
    an acceptable sample, chosen (M, d): that sample, meaningless where hit is False).
    Distances are computed only for rows with a hit: in a search most rows have none yet.
    """
    hit = ok.any(dim=1)
    chosen = points.new_zeros((len(points), points.shape[-1]))
    rows = torch.nonzero(hit).squeeze(-1)
    if rows.numel():
        size = (points[rows] - reference[rows]).abs()
        if weights is not None:
            size = size * weights
        distance = torch.where(ok[rows], size.sum(-1), torch.inf)
        chosen[rows] = points[rows, distance.argmin(dim=1)]
    return hit, chosen


# Users whose shell is built at once: a shell is some fifteen passes over users × samples ×
# features, cheapest while a block of them stays in the core's cache (2 MB here; the size was
# chosen by timing the ground truth of 150 users on each dataset with blocks of 2^14 to 2^20).
_SHELL_BLOCK_VALUES = 1 << 18


def _shell(center: torch.Tensor, origin: torch.Tensor, space: ActionSpace, keys: torch.Tensor,
           stream: int, shell: int, samples: int, step: float) -> torch.Tensor:
    """Shell ``shell``'s samples (N, samples, d) around each center, built in blocks of users
    (each user's samples depend on that user's key alone, so blocks change no value)."""
    n, d = center.shape
    points = center.new_empty((n, samples, d))
    users = max(1, _SHELL_BLOCK_VALUES // (samples * d))
    for start in range(0, n, users):
        block = slice(start, start + users)
        k = keys[block]
        # 0 outside the mutable continuous columns already: the conversion is the mask
        direction = keyed_normal(k, stream + 2 * shell, (samples, d),
                                 columns=space.continuous_mutable).to(center.dtype)
        # on the unit sphere of L1, weighted by the cost per feature where the space has one:
        # cheap features then move further for the same radius
        size = direction.abs() if space.cost is None else direction.abs() * space.cost
        direction /= size.sum(-1, keepdim=True).clamp_min_(1e-12)
        radius = step * (shell + keyed_uniform(k, stream + 2 * shell + 1, (samples, 1)))
        # center + radius · direction, in the direction's own buffer (IEEE + and × commute)
        step_to = direction.mul_(radius).add_(center[block].unsqueeze(1))
        space.project(origin[block].unsqueeze(1), step_to, out=points[block])
    return points


def growing_spheres_search(model: Classifier, center: torch.Tensor, origin: torch.Tensor,
                           space: ActionSpace, keys: torch.Tensor, *, stream: int,
                           samples: int = 1000, step: float = 0.2,
                           max_shells: int = 50) -> torch.Tensor:
    """Nearest (L1, weighted by the space's cost where it has one) positive point to each
    ``center`` found by growing L1 shells.

    center: (N, d) where the search starts; origin: (N, d) the factuals the action space is
    relative to (the same as center for a recourse). Samples move only the action space's
    mutable continuous columns. Shell s draws from streams ``stream`` + 2s and + 2s + 1, which
    must lie in the caller's range of hare.rng.STREAMS. Returns (N, d), NaN rows where no shell
    held a positive point.
    """
    rng.check_streams(stream, 2 * max_shells)
    result = torch.full_like(center, torch.nan)
    todo = torch.arange(center.shape[0])
    with torch.no_grad():
        for shell in range(max_shells):
            if todo.numel() == 0:
                break
            c = center[todo]
            points = _shell(c, origin[todo], space, keys[todo], stream, shell, samples, step)
            hit, chosen = nearest_hits(points, model(points) >= 0.5, c.unsqueeze(1), space.cost)
            result[todo[hit]] = chosen[hit]
            todo = todo[~hit]
    return result


@dataclass(frozen=True)
class GrowingSpheresSettings:
    """The paper's samples a shell and shell width; ``max_shells`` bounds the search."""

    samples: int = 1000
    step: float = 0.2
    max_shells: int = 50

    def __post_init__(self):
        check_number("gs", "samples", self.samples, int, low=1)
        check_number("gs", "step", self.step, float, low=0, low_open=True)
        # each shell takes two random streams from the generator's range
        check_number("gs", "max_shells", self.max_shells, int, low=1,
                     high=rng.stream_capacity("gs") // 2)


@register
class GrowingSpheres(RecourseGenerator):
    """GS: L1 shells of width ``step`` around the factual, ``samples`` draws a shell (paper: 1000,
    step 0.2); returns the positive draw nearest to the factual in L1."""

    name = "gs"
    title = "Growing Spheres"
    people_label = "Nearest change"
    people_help = "Growing spheres: the smallest change the model accepts (fast)"
    streams = (1_000, 2_000)  # 2 streams a shell
    Settings = GrowingSpheresSettings

    def _search(self, x: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        s = self.settings
        return growing_spheres_search(self.model, x, x, self.space, keys, stream=rng.stream("gs"),
                                      samples=s.samples, step=s.step, max_shells=s.max_shells)
