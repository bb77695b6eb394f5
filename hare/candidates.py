"""ActionableSampling (Algorithm 1) and BoundaryPointSearch (Algorithms 2–3), batched.

Both take a batch of users at once: points are (N, k, d) tensors (users × candidates × features),
and nothing loops over users in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from hare.actions import ActionSpace
from hare.models import Classifier
from hare.optim import Adam
from hare.rng import keyed_normal


@dataclass(frozen=True)
class SamplingSettings:
    """Algorithm 1's hyper-parameters (paper §4.2)."""

    steps: int = 100  # n
    lr: float = 0.1  # Adam
    lam: float = 10.0  # λ, weight of the diversity loss
    gamma: float = 1.0  # γ, step from the baseline recourse
    # Project onto A(u) after every step (the paper's Algorithm 1, and our default), or only
    # once after the last step, as the authors' code did: kept to measure what that changes.
    project_each_step: bool = True


def _unit_rows(p: torch.Tensor) -> torch.Tensor:
    return p / p.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def actionable_sampling(model: Classifier, x: torch.Tensor, r0: torch.Tensor, space: ActionSpace,
                        k: int, keys: torch.Tensor, stream: int,
                        settings: SamplingSettings = SamplingSettings()) -> torch.Tensor:
    """k diverse candidates around each baseline recourse.

    x, r0: (N, d) factuals and baseline recourses; keys: (N,) per-user random keys (hare.rng).
    Returns (N, k, d) candidates inside A(u) (not yet checked for validity).

    Directions start as masked unit normals; each of ``steps`` Adam steps minimises
    λ·L1 + L2 with L1 = mean_i max_{j≠i} (P Pᵀ − 2I)_ij (diversity) and
    L2 = BCE(g(clip(r0 + γP)), 1) (validity), then projects P back: non-actionable columns
    zeroed, rows renormalised (every step, as the paper's lines 5–6; the authors' code
    projected only once at the end). Per-user losses are summed, so each user's gradient is
    exactly the one it would get alone.
    """
    mask = space.sample_mask.to(r0.dtype)
    # 0 outside the sampled columns already: the conversion is the mask
    directions = _unit_rows(keyed_normal(keys, stream, (k, r0.shape[-1]),
                                         columns=space.sample_mask).to(r0.dtype))
    directions.requires_grad_(True)
    optimizer = Adam(directions, settings.lr)
    minus_eye2 = -2.0 * torch.eye(k, dtype=r0.dtype)
    base = r0.unsqueeze(1)
    for _ in range(settings.steps):
        similarity = torch.baddbmm(minus_eye2, directions, directions.transpose(1, 2))  # (N, k, k)
        diversity = similarity.max(dim=-1).values.mean(dim=-1)  # (N,)
        # γ = 1 (the paper's) multiplies by one: skipped, the same values and gradients
        step = directions if settings.gamma == 1.0 else settings.gamma * directions
        logits = model.logits(torch.clamp(base + step, 0.0, 1.0))
        validity = F.softplus(-logits).mean(dim=-1)  # BCE(g, 1) per user, (N,)
        (gradient,) = torch.autograd.grad((settings.lam * diversity + validity).sum(), directions)
        with torch.no_grad():
            optimizer.step(gradient)
            if settings.project_each_step:
                directions.mul_(mask)
            directions.div_(directions.norm(dim=-1, keepdim=True).clamp_min_(1e-12))
    with torch.no_grad():
        if not settings.project_each_step:
            directions.copy_(_unit_rows(directions * mask))
        raw = torch.clamp(base + settings.gamma * directions, 0.0, 1.0)
        return space.project(x.unsqueeze(1), raw)


def bisect(model: Classifier, start: torch.Tensor, end: torch.Tensor, eps: float,
           target: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Bisection on the segments [start, end] (..., d), keeping the end with g ≥ ``target``,
    until every segment is shorter than ``eps``. Returns (start, end) of the final segments."""
    length = float((end - start).norm(dim=-1).max()) if end.numel() else 0.0
    steps = max(0, math.ceil(math.log2(length / eps)) + 1) if length > eps else 0
    if steps:
        # own buffers, updated in place each step: the same values as fresh tensors
        start, end = start.clone(), end.clone()
        mid = torch.empty_like(end)
    for _ in range(steps):
        torch.add(start, end, out=mid).div_(2)
        positive = (model(mid) >= target).unsqueeze(-1)
        torch.where(positive, mid, end, out=end)
        torch.where(positive, start, mid, out=start)
    return start, end


def secant_search(model: Classifier, start: torch.Tensor, end: torch.Tensor, eps: float,
                  target: float, rounds: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """``bisect``'s contract (segments [start, end] (..., d) narrowed to shorter than ``eps``
    around the boundary g = ``target``, the end on the positive side) in a third or less of
    its model calls: for a ReLU network the logit is piecewise linear along a segment, so a
    root found by a line through two points of the boundary's linear piece is exact.

    Each round probes a guess of the root from both sides, eps/4 away, in one model call: the
    first guess is the secant through the segment's ends, later ones the line through the last
    two probes (the local slope). The probes narrow the bracket as bisection's midpoints would
    (a row whose two probes straddle the boundary is done). Rows the probes have not settled
    after ``rounds`` rounds (a kink, a saturated probability) are bisected. A segment whose
    start is already positive shrinks to its start, as bisection would take it there."""
    shape = start.shape
    origin = start.reshape(-1, shape[-1])
    span = end.reshape(-1, shape[-1]) - origin
    total = span.norm(dim=-1)
    along = span / total.clamp_min(1e-300).unsqueeze(-1)  # unit direction from start to end
    level = math.log(target / (1 - target))

    def excess(t, rows):
        """(2, M) the logit's excess over the target's (≥ 0 on the positive side) at distances
        t (2, M) along rows (M,) of the segments, in one model call."""
        g = model(origin[rows] + t.unsqueeze(-1) * along[rows]).to(origin.dtype)
        return torch.logit(g.clamp(1e-15, 1 - 1e-15)) - level

    low, high = torch.zeros_like(total), total.clone()  # the bracket, as distances along
    f_low, f_high = excess(torch.stack([low, high]), torch.arange(len(origin)))
    high = torch.where(f_low >= 0, low, high)
    guess = high - (high - low) * f_high / (f_high - f_low).clamp_min(1e-300)
    for _ in range(rounds):
        rows = torch.nonzero(high - low >= eps).squeeze(-1)
        if not len(rows):
            break
        lo, hi = low[rows], high[rows]
        t = guess[rows].clamp(lo + eps / 4, hi - eps / 4)
        t1, t2 = (t - eps / 4).clamp_min(lo), (t + eps / 4).clamp_max(hi)
        f1, f2 = excess(torch.stack([t1, t2]), rows)
        # keep a bracket with a sign change, ordered low < high (see the cases in the text)
        low[rows] = torch.where(f2 < 0, t2, torch.where(f1 < 0, t1, lo))
        high[rows] = torch.where(f1 >= 0, t1, torch.where(f2 >= 0, t2, hi))
        slope = (f2 - f1) / (t2 - t1).clamp_min(1e-300)
        local = t1 - f1 / torch.where(slope.abs() > 0, slope, 1.0)
        guess[rows] = torch.where(slope > 0, local, (low[rows] + high[rows]) / 2)
    # the points the model was asked about (the segment's own ends where they never moved)
    start = torch.where((low > 0).unsqueeze(-1), origin + low.unsqueeze(-1) * along, origin)
    end = torch.where((high < total).unsqueeze(-1), origin + high.unsqueeze(-1) * along,
                      end.reshape(-1, shape[-1]))
    rest = torch.nonzero(high - low >= eps).squeeze(-1)
    if len(rest):
        start[rest], end[rest] = bisect(model, start[rest], end[rest], eps, target)
    return start.reshape(shape), end.reshape(shape)


def boundary_point_search(model: Classifier, x: torch.Tensor, c: torch.Tensor, space: ActionSpace,
                          eps: float = 1e-6, with_bracket: bool = False, target: float = 0.5,
                          narrow=bisect):
    """Move each valid candidate along [x, c] to just inside the boundary g = ``target``.

    x: (N, d), c: (N, k, d). Returns (points (N, k, d), valid (N, k)) where valid means
    g(c) ≥ target; invalid candidates are returned unchanged for the caller to drop or replace.
    ``target`` is 0.5 for the paper; for people it is τ > 0.5 (SPEC §4), a safety margin.
    ``with_bracket=True`` also returns the other end of the final segment (negative unless the
    segment's start was already positive), for checking the ε bound. ``narrow`` narrows the
    segments: ``bisect`` (the paper's), or ``secant_search`` (the same contract, fewer model
    calls).
    Bisection keeps the positive end and stops when the segment is shorter than ``eps``, so a
    returned point is positive and within eps of the boundary.

    Categorical (binary) columns cannot move half way, so they are settled first: if the model
    still accepts the candidate with the factual's categories, those changes are dropped (a
    person is not asked to change occupation or marital status when the model does not need
    it); otherwise the candidate's categories are kept. The paper's bisection over every column
    drops them too, but through fractional values no one can act on. The segment then runs
    from x, with the settled categories and clamped into the person's ranges, to the candidate,
    so every point on it is actionable.
    """
    with torch.no_grad():
        x1 = x.unsqueeze(1)
        valid = model(c) >= target
        reverted = torch.where(space.binary, x1, c)
        drop = (model(reverted) >= target).unsqueeze(-1)
        end = torch.where(drop, reverted, c)
        start = space.project(x1, torch.where(space.binary, end, x1))
        start, end = narrow(model, start, end, eps, target)
        points = torch.where(valid.unsqueeze(-1), end, c)
        return (points, valid, start) if with_bracket else (points, valid)


def reach_target(model: Classifier, x: torch.Tensor, r: torch.Tensor, space: ActionSpace,
                 target: float, eps: float = 1e-6, scales: int = 8) -> torch.Tensor:
    """Each recourse r (N, d) moved to g ≥ ``target``: kept if it already clears it, else
    pushed further along the ray from x through r (factors 2, 4, …, 2^scales, each projected
    into the space) to the first point that clears it, then calibrated back by BPS. A row
    that no point on the ray lifts to the target comes back NaN (no recourse at this margin).
    """
    with torch.no_grad():
        ok = ~torch.isnan(r).any(-1)
        safe = torch.where(ok.unsqueeze(-1), r, x)
        factors = 2.0 ** torch.arange(0, scales + 1, dtype=x.dtype)  # 1 = r itself
        ray = space.project(x.unsqueeze(1), x.unsqueeze(1)
                            + factors.view(1, -1, 1) * (safe - x).unsqueeze(1))  # (N, S, d)
        clears = model(ray) >= target
        first = clears.float().argmax(dim=1)
        end = ray[torch.arange(x.shape[0]), first]
        calibrated, valid = boundary_point_search(model, x, end.unsqueeze(1), space, eps,
                                                  target=target)
        keep = torch.where(clears[torch.arange(x.shape[0]), 0].unsqueeze(-1), safe, calibrated[:, 0])
        found = ok & clears.any(dim=1) & valid[:, 0]
        return torch.where(found.unsqueeze(-1), keep, torch.nan)
