"""The paper authors' choices (rahulvigneswaran/HARE, SPEC §10) as batched torch: their
ground truth, their ActionableSampling and their plain bisection. ``--protocol authors`` (and
each ``hare+<choice>``, hare.protocol) runs these instead of ours; nothing here is used by
this project's own protocol.

Written from what their code does, not from their code: one call handles every user at once.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from hare.actions import ActionSpace
from hare.candidates import SamplingSettings, bisect
from hare.models import Classifier
from hare.optim import Adam
from hare.rng import keyed_normal
from hare.users import GroundTruth


def authors_sampling(model: Classifier, x: torch.Tensor, r0: torch.Tensor, space: ActionSpace,
                     k: int, keys: torch.Tensor, stream: int,
                     settings: SamplingSettings = SamplingSettings()) -> torch.Tensor:
    """The authors' ActionableSampling (their ``src/sampling.py``), for N users at once.

    x, r0: (N, d); returns (N, k, d) candidates r0 + P, NOT projected and NOT clamped: P is
    optimised over all d columns (normal init, rows normalised inside the loss, Adam on the
    raw parameter, λ·L1 + BCE(g(r0 + γ·P̂), 1) with no clamp), and only afterwards are the
    immutable and categorical columns of P̂ zeroed, without renormalising. The caller drops
    the invalid ones (g < 0.5). ``x`` is unused: their sampler never looks at the factual.
    """
    raw = keyed_normal(keys, stream, (k, r0.shape[-1])).to(r0.dtype).requires_grad_(True)
    optimizer = Adam(raw, settings.lr)
    eye2 = 2.0 * torch.eye(k, dtype=r0.dtype)
    base = r0.unsqueeze(1)
    for _ in range(settings.steps):
        p = F.normalize(raw, dim=-1)
        similarity = p @ p.transpose(1, 2) - eye2  # (N, k, k)
        diversity = similarity.max(dim=-1).values.mean(dim=-1)  # (N,)
        validity = F.softplus(-model.logits(base + settings.gamma * p)).mean(dim=-1)
        optimizer.step(torch.autograd.grad((settings.lam * diversity + validity).sum(), raw)[0])
    with torch.no_grad():
        p = F.normalize(raw, dim=-1) * space.sample_mask.to(r0.dtype)
        return base + settings.gamma * p


def plain_bisection(model: Classifier, x: torch.Tensor, c: torch.Tensor, eps: float = 1e-6,
                    target: float = 0.5):
    """The authors' BoundaryPointSearch: bisection on [x, c] over every column (categorical
    ones too, so they may end fractional), keeping the positive end, until the segment is
    shorter than ``eps``. x: (N, d), c: (N, k, d). Returns (points (N, k, d), valid (N, k)):
    invalid candidates (g(c) < target) come back unchanged."""
    with torch.no_grad():
        valid = model(c) >= target
        _, end = bisect(model, x.unsqueeze(1).expand_as(c), c, eps, target)
        return torch.where(valid.unsqueeze(-1), end, c), valid


def _shared_draws(seed: int, count: int, m: int, m_binary: int, radius: float,
                 samples: int) -> torch.Tensor:
    """(count, m) the perturbation directions every user of a seed shares, as numpy draws
    them in the authors' loop: it is re-seeded to the run seed for each user, so draw 0 is one
    vector for all users; each retry follows their Growing Spheres with seed + j − 1, which
    re-seeds numpy and draws a shell's samples (normals, uniforms, binomials) just before.
    Each is 2·rand − 1 (a cube, not a sphere) scaled to L2 norm ``radius``. Not a hot path:
    ``count`` small vectors, whatever the number of users."""
    rows = []
    for j in range(count):
        state = np.random.RandomState(int(seed) + max(j - 1, 0))
        if j:
            state.randn(samples, m)
            state.rand(samples)
            state.binomial(n=1, p=0.5, size=samples * m_binary)
        rows.append(2.0 * state.rand(m) - 1.0)
    z = torch.from_numpy(np.stack(rows))
    return z / z.norm(dim=-1, keepdim=True).clamp_min(1e-12) * radius


def _shell_samples(seed: int, samples: int, m: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Their Growing Spheres re-seeds numpy to its seed in every shell: the same ``samples``
    L1-normalised directions (samples, m) and radius fractions (samples,) in each shell."""
    state = np.random.RandomState(int(seed))
    direction = torch.from_numpy(state.randn(samples, m))
    direction = direction / direction.abs().sum(-1, keepdim=True).clamp_min(1e-12)
    return direction, torch.from_numpy(state.rand(samples))


def authors_ground_truth(model: Classifier, x: torch.Tensor, space: ActionSpace, scale: float,
                         seed: int, max_draws: int = 100, samples: int = 1000,
                         step: float = 0.2, max_shells: int = 1000) -> GroundTruth:
    """The authors' simulated ground truth (their ``src/user.py``) for N users at once.

    p_j = clip(x + z_j, 0, 1) with the shared draws z_j (``_shared_draws``); a user takes the
    first negative p_j (their loop retries while Growing Spheres from p_j returns nothing
    positive, which is what a positive p_j gives). From p_j, their Growing Spheres over the
    mutable continuous columns: shells of width ``step`` in L1, the seed + j sample set in
    every shell, no clip; the positive sample nearest in L1. r_gt = clip(that, 0, 1), not
    re-checked, so it can be classified negative. A user with no negative draw (or whose
    search finds nothing) keeps the last draw clipped, and is counted in ``fallback``.
    """
    n, d = x.shape
    if n == 0:  # a classifier that refuses nobody (the authors' COMPAS LR, SPEC §1)
        return GroundTruth(x.clone(), torch.zeros(0, dtype=torch.bool),
                           torch.zeros(0, dtype=torch.long))
    columns = torch.nonzero(space.continuous_mutable).squeeze(-1)
    m = columns.numel()
    with torch.no_grad():
        z = torch.zeros(max_draws, d, dtype=x.dtype)
        m_binary = int((space.mutable & space.binary).sum())
        z[:, columns] = _shared_draws(seed, max_draws, m, m_binary, scale, samples).to(x.dtype)
        p = (x.unsqueeze(1) + z).clamp(0.0, 1.0)  # (N, R, d)
        negative = model(p) < 0.5
        has_negative = negative.any(dim=1)
        first = torch.where(has_negative, negative.to(torch.int8).argmax(dim=1),
                            torch.full((n,), max_draws - 1))
        start = p[torch.arange(n), first]  # (N, d)
        draws = torch.unique(first)
        sets = [_shell_samples(seed + int(j), samples, m) for j in draws]
        index = torch.searchsorted(draws, first)
        direction = torch.stack([s[0] for s in sets])[index].to(x.dtype)  # (N, S, m)
        fraction = torch.stack([s[1] for s in sets])[index].to(x.dtype)  # (N, S)
        step_full = torch.zeros(n, samples, d, dtype=x.dtype)
        step_full[:, :, columns] = direction
        found = torch.full_like(x, torch.nan)
        todo = torch.nonzero(has_negative).squeeze(-1)
        for shell in range(max_shells):
            if todo.numel() == 0:
                break
            radius = step * (shell + fraction[todo])  # (M, S): L1 distance from the start
            points = start[todo].unsqueeze(1) + radius.unsqueeze(-1) * step_full[todo]
            positive = model(points) >= 0.5
            hit = positive.any(dim=1)
            best = torch.where(positive, radius, torch.inf).argmin(dim=1)
            chosen = points[torch.arange(todo.numel()), best]
            found[todo[hit]] = chosen[hit]
            todo = todo[~hit]
        fallback = torch.isnan(found).any(dim=-1)
        found = torch.where(fallback.unsqueeze(-1), start, found)
        return GroundTruth(found.clamp(0.0, 1.0), fallback, first + 1)
