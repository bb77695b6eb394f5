"""Active HARE's preference model beside the ideal point: kinds of people with a cost.

Active HARE's posterior ranges over the kind of person as well as their parameters (hare.active
keeps the ideal-point particles). This module holds the other kinds, per user:

- ``W`` weighted-cost hypotheses: per-feature weights w (a weighted L1 change from the
  factual), half drawn log-normal around the people cost model (``cost_prior``, where the
  dataset has one) and half around equal weights;
- ``W`` limit hypotheses: each change acceptable up to a personal per-feature limit (drawn
  uniform in ``LIMIT_RANGE``), the number of changes beyond their limits first, then the cost
  under the twin weighted hypothesis's weights;
- one fewest-changes hypothesis: the number of changed features first, then the L2 change;
- one hardest-change hypothesis: the largest single change (encoded units), plus a thousandth
  of the squashed L2 change: a person for whom one large change is harder than several small
  ones, who takes an option that spreads a change over more features.

Their costs are put on the ideal point's scale: a hypothesis's cost of r is its cost relative
to the base recourse's, times the base recourse's L2 change, so that "as costly as the base"
means the same to every kind and one β serves them all. An answer's likelihood under each
hypothesis keeps a lapse (the answer was random) that is marginalised per person over a few
values, and so is its sharpness (``LapseMixture``), not fixed: a careful person's answers weigh
more than a careless one's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from hare.rng import keyed_normal, keyed_uniform
from hare.user_models import CHANGE_TOL, _squash

WEIGHT_SIGMA = 1.0  # spread of the prior log weights around their centre
LIMIT_RANGE = (0.02, 0.7)  # a limit hypothesis's per-feature limits (encoded units)
LIMIT_TOP = 8  # limit hypotheses, the likeliest, that a posterior expected cost sums over


@dataclass(frozen=True)
class LapseMixture:
    """Answer noise marginalised per person: lapse values ℓ and sharpness factors s (times the
    settings' β), each with its prior; P(answer | Δ, ℓ, s) = ℓ + (1 − 2ℓ)·σ(s·β·Δ). The L
    noise levels are every (ℓ, s) pair, lapses outer."""

    values: tuple[float, ...] = (0.02, 0.1, 0.25)
    prior: tuple[float, ...] = (0.3, 0.4, 0.3)
    # a consistent person's answers fit a sharper likelihood than the simulator's β; with it
    # alone, people who accept each change only up to a limit fared worse (Credit LR, 150
    # people × 5 seeds: nearest-point people 0.50 → 0.38 of Multi-HARE's cost at β ×3, while
    # 3 of 12 acceptability cells went above Multi-HARE's), so each person's sharpness is
    # marginalised as their lapse is
    sharpness: tuple[float, ...] = (1.0, 3.0)
    sharpness_prior: tuple[float, ...] = (0.5, 0.5)

    @property
    def size(self) -> int:
        """L, the number of noise levels."""
        return len(self.values) * len(self.sharpness)

    def log_likelihood(self, gap: torch.Tensor, beta: float) -> torch.Tensor:
        """(..., L) log P(the answer given) for ``gap`` (...) = β-free cost of the rejected
        option minus the chosen one's (positive: the answer agrees with the hypothesis), in
        float32: a refresh scores every new particle on every answer so far at every level,
        and in float32 that takes 17 ms instead of 42 (150 people × 96 particles × 27
        answers × 6 levels), for log-probabilities within 4e-7 of float64's."""
        gap = gap.float()
        lapse = torch.tensor(self.values, dtype=torch.float32).repeat_interleave(
            len(self.sharpness))
        sharp = beta * torch.tensor(self.sharpness, dtype=torch.float32).repeat(len(self.values))
        return torch.log(lapse + (1 - 2 * lapse) * torch.sigmoid(sharp * gap.unsqueeze(-1)))

    def marginal(self, loglik: torch.Tensor) -> torch.Tensor:
        """(...) log Σ_ℓ,s π(ℓ)·π(s)·P(answers | ℓ, s) from per-level log-likelihoods (..., L)."""
        prior = torch.outer(torch.tensor(self.prior, dtype=loglik.dtype),
                            torch.tensor(self.sharpness_prior, dtype=loglik.dtype))
        return torch.logsumexp(loglik + prior.flatten().log(), dim=-1)


@dataclass
class CostHypotheses:
    """Per user, the weighted-cost, limit, fewest-changes and hardest-change hypotheses of the
    posterior, in that order (H = 2W + 2)."""

    x: torch.Tensor  # (N, d) factuals
    weights: torch.Tensor  # (N, W, d) per-feature weights of the weighted-cost hypotheses
    limits: torch.Tensor  # (N, W, d) per-feature limits of the limit hypotheses
    columns: torch.Tensor  # (d,) bool: the mutable features
    base_cost: torch.Tensor  # (N, H) each hypothesis's raw cost of the base recourse
    scale: torch.Tensor  # (N, 1) the base recourse's L2 change

    @classmethod
    def draw(cls, x: torch.Tensor, r0: torch.Tensor, mutable: torch.Tensor, count: int,
             keys: torch.Tensor, stream: int, cost_prior: torch.Tensor | None) -> "CostHypotheses":
        d = x.shape[-1]
        z = keyed_normal(keys, stream, (count, d)).to(x.dtype)
        centre = torch.ones(count, d, dtype=x.dtype)
        if cost_prior is not None:  # half around the people cost model, half around equal
            centre[: count // 2] = cost_prior.to(x.dtype)
        weights = torch.where(mutable, centre * torch.exp(WEIGHT_SIGMA * z), 0.0)
        # a few hypotheses that a single feature is all that matters to the person
        one = keyed_uniform(keys, stream + 1, (count,)) < 0.15
        pick = (keyed_uniform(keys, stream + 2, (count, d)) * mutable).argmax(-1)
        spike = torch.nn.functional.one_hot(pick, d).to(x.dtype) * 50.0 + 0.1
        weights = torch.where(one.unsqueeze(-1), torch.where(mutable, spike, 0.0), weights)
        low, high = LIMIT_RANGE
        limits = low + (high - low) * keyed_uniform(keys, stream + 3, (count, d)).to(x.dtype)
        empty = cls(x, weights, limits, mutable,
                    torch.ones(x.shape[0], 2 * count + 2, dtype=x.dtype),
                    (r0 - x).norm(dim=-1, keepdim=True).clamp_min(1e-6))
        base = empty.raw(torch.arange(x.shape[0]), r0.unsqueeze(1))[:, 0]
        empty.base_cost = base.clamp_min(1e-9)
        return empty

    @property
    def count(self) -> int:
        return 2 * self.weights.shape[1] + 2

    def log_prior(self, weighted: float, limit: float, fewest: float,
                  hardest: float) -> torch.Tensor:
        """(H,) log prior of each hypothesis: each kind's mass spread evenly over its own."""
        w = self.weights.shape[1]
        return torch.tensor([weighted / w] * w + [limit / w] * w + [fewest, hardest],
                            dtype=self.x.dtype).log()

    def _beyond(self, moved: torch.Tensor, limits: torch.Tensor,
                weighted: torch.Tensor) -> torch.Tensor:
        """(M, K, L) limit hypotheses' raw costs of changes moved (M, K, d), for limits (M, L,
        d) and their twins' weighted costs (M, K, L): changes beyond their limits, then the
        squashed weighted cost."""
        cols = self.columns  # only a mutable feature can go beyond its limit
        over = (moved[..., cols].float().unsqueeze(2)
                > (limits[..., cols] + CHANGE_TOL).float().unsqueeze(1)).sum(-1)
        return over.to(moved.dtype) + _squash(weighted)

    @staticmethod
    def _hardest(moved: torch.Tensor) -> torch.Tensor:
        """(M, K) the hardest-change hypothesis's raw cost of changes moved (M, K, d): the
        largest single change plus a thousandth of the squashed L2 change (which tells apart
        options whose largest changes tie)."""
        return moved.amax(-1) + 1e-3 * _squash(moved.norm(dim=-1))

    @staticmethod
    def _fewest(moved: torch.Tensor) -> torch.Tensor:
        """(M, K) the fewest-changes hypothesis's raw cost of changes moved (M, K, d): the
        number of changed features, then the squashed L2 change."""
        changed = (moved > CHANGE_TOL).sum(-1).to(moved.dtype)
        return changed + _squash(moved.norm(dim=-1))

    def raw(self, users: torch.Tensor, options: torch.Tensor) -> torch.Tensor:
        """(M, K, H) each hypothesis's own cost of options (M, K, d)."""
        moved = (options - self.x[users].unsqueeze(1)).abs()
        weighted = moved @ self.weights[users].transpose(1, 2)  # (M, K, W)
        return torch.cat([weighted, self._beyond(moved, self.limits[users], weighted),
                          self._fewest(moved).unsqueeze(-1),
                          self._hardest(moved).unsqueeze(-1)], dim=-1)

    def chosen(self, users: torch.Tensor, options: torch.Tensor,
               index: torch.Tensor) -> torch.Tensor:
        """(M, K, J) the costs of options (M, K, d) under hypotheses ``index`` (M, J) alone, on
        the ideal point's scale (``costs`` for a few hypotheses of each user)."""
        n_w = self.weights.shape[1]
        moved = (options - self.x[users].unsqueeze(1)).abs()
        twin = (index % n_w).clamp_max(n_w - 1).unsqueeze(-1)  # a limit's weighted twin
        pick = lambda t: t.gather(1, twin.expand(-1, -1, t.shape[-1]))  # noqa: E731
        weighted = moved @ pick(self.weights[users]).transpose(1, 2)  # (M, K, J)
        beyond = self._beyond(moved, pick(self.limits[users]), weighted)
        kind = index.unsqueeze(1)
        single = torch.where(kind == 2 * n_w, self._fewest(moved).unsqueeze(-1),
                             self._hardest(moved).unsqueeze(-1))  # the two one-off kinds
        raw = torch.where(kind < n_w, weighted, torch.where(kind < 2 * n_w, beyond, single))
        return raw / self.base_cost[users].gather(1, index).unsqueeze(1) \
            * self.scale[users].unsqueeze(1)

    def costs(self, users: torch.Tensor, options: torch.Tensor) -> torch.Tensor:
        """(M, K, H) the costs on the ideal point's scale (see module docstring)."""
        return self.raw(users, options) / self.base_cost[users].unsqueeze(1) \
            * self.scale[users].unsqueeze(1)

    def expected(self, users: torch.Tensor, options: torch.Tensor,
                 w: torch.Tensor) -> torch.Tensor:
        """(M, K) Σ_h w_h·costs_h(options) for weights w (M, H) without the (M, K, H) costs:
        the weighted costs are linear in the change, so their mixture is one weighted cost with
        the mixed weights; of the limit hypotheses, the LIMIT_TOP likeliest count."""
        n_w = self.weights.shape[1]
        scale = self.scale[users]  # (M, 1)
        share = w / self.base_cost[users] * scale  # (M, H)
        weights = self.weights[users]
        mixed = (share[:, :n_w].unsqueeze(-1) * weights).sum(1)  # (M, d)
        moved = (options - self.x[users].unsqueeze(1)).abs()
        top = w[:, n_w:-2].topk(min(LIMIT_TOP, n_w), dim=1).indices  # (M, L)
        pick = lambda t: t.gather(1, top.unsqueeze(-1).expand(-1, -1, t.shape[-1]))  # noqa: E731
        beyond = self._beyond(moved, pick(self.limits[users]),
                              moved @ pick(weights).transpose(1, 2))  # (M, K, L)
        limit = (beyond @ share[:, n_w:-2].gather(1, top).unsqueeze(-1))[..., 0]
        return (moved @ mixed.unsqueeze(-1))[..., 0] + limit \
            + share[:, -2:-1] * self._fewest(moved) + share[:, -1:] * self._hardest(moved)
