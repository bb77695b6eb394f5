"""ActionSpace A(u) (SPEC §2): which features may move, bounds, binaries, monotone rules.

The paper reproduction uses one space per dataset (immutables fixed, bounds [0, 1]); the app
builds one per person, adding features they will not change, per-feature ranges and
"only up / only down" directions. All tensors are (d,); methods broadcast over leading
batch dimensions of the points they receive.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import torch

from hare.data import Dataset
from hare.errors import InputError


@dataclass(frozen=True, eq=False)
class ActionSpace:
    """What a person may change, in the encoded space."""

    mutable: torch.Tensor  # (d,) bool: may move at all
    binary: torch.Tensor  # (d,) bool: categorical column (0/1, or i / steps for more values)
    lower: torch.Tensor  # (d,) float: lowest allowed encoded value
    upper: torch.Tensor  # (d,) float: highest allowed encoded value
    direction: torch.Tensor  # (d,) int8: +1 only up, -1 only down, 0 either
    sample_binary: bool = False  # sample binary columns too (rounded), SPEC §3
    # At most this many features changed (None: no limit, the paper's space). A person can act
    # on two or three changes; a recourse that moves every feature is not advice.
    max_changes: int | None = None
    # (d,) float: the cost of one encoded unit per feature (the people path's cost model,
    # hare.live.costs); None: every unit costs the same, the paper's L1.
    cost: torch.Tensor | None = None
    # (d,) float: steps between a categorical column's values (k - 1 for k values), where a
    # categorical has more than two; None: every categorical is 0/1 (the paper's datasets).
    steps: torch.Tensor | None = None

    @classmethod
    def for_dataset(cls, dataset: Dataset) -> "ActionSpace":
        d = dataset.n_features
        steps = dataset.category_steps
        return cls(
            mutable=~dataset.immutable_mask,
            binary=dataset.binary_mask,
            lower=torch.zeros(d, dtype=torch.float64),
            upper=torch.ones(d, dtype=torch.float64),
            direction=torch.zeros(d, dtype=torch.int8),
            steps=steps if bool((steps > 1).any()) else None,
        )

    def _round_categories(self, r: torch.Tensor) -> torch.Tensor:
        """Categorical columns rounded to the nearest of their values."""
        if self.steps is None:
            return torch.round(r)
        return torch.round(r * self.steps) / self.steps

    @cached_property
    def _has_directions(self) -> bool:
        """Whether any feature may only go up or only down: read once per space, since the
        searches project thousands of times (a tensor reduction and sync each)."""
        return bool(self.direction.any())

    @cached_property
    def _has_binaries(self) -> bool:
        """Whether any column is binary (Give Me Some Credit has none), read once per space."""
        return bool(self.binary.any())

    @property
    def sample_mask(self) -> torch.Tensor:
        """(d,) bool: columns that sampling directions may use."""
        if self.sample_binary:
            return self.mutable
        return self.mutable & ~self.binary

    @property
    def continuous_mutable(self) -> torch.Tensor:
        return self.mutable & ~self.binary

    def restrict(self, frozen: torch.Tensor | None = None, lower: torch.Tensor | None = None,
                 upper: torch.Tensor | None = None, direction: torch.Tensor | None = None,
                 max_changes: int | None = None,
                 cost: torch.Tensor | None = None) -> "ActionSpace":
        """A narrower space: extra frozen features, tighter ranges, monotone directions, at most
        ``max_changes`` features changed, a cost per encoded unit."""
        if max_changes is not None and max_changes < 1:
            raise InputError(f"at most k features changed needs k of at least 1 (got {max_changes})")
        mutable = self.mutable & ~frozen if frozen is not None else self.mutable
        new_lower = torch.maximum(self.lower, lower) if lower is not None else self.lower
        new_upper = torch.minimum(self.upper, upper) if upper is not None else self.upper
        if bool((new_lower > new_upper).any()):
            raise InputError("a feature's lowest allowed value is above its highest")
        return replace(self, mutable=mutable, lower=new_lower, upper=new_upper,
                       direction=direction if direction is not None else self.direction,
                       max_changes=max_changes if max_changes is not None else self.max_changes,
                       cost=cost if cost is not None else self.cost)

    def distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """(...,) L1 distance of a and b, weighted by the cost per feature where there is one."""
        size = (a - b).abs()
        if self.cost is not None:
            size = size * self.cost
        return size.sum(-1)

    def project(self, x: torch.Tensor, r: torch.Tensor,
                out: torch.Tensor | None = None) -> torch.Tensor:
        """Closest point of A(u) to ``r`` coordinate-wise: frozen columns back to the factual
        ``x``, values clamped into ranges and monotone directions, binaries rounded.

        x broadcasts against r, e.g. x (N, 1, d) against r (N, k, d). With ``out`` (r's shape),
        each step writes there instead of into a fresh tensor (the searches' shells: users ×
        samples × features), and out is returned; it may be r itself.
        """
        x = x.expand_as(r)
        result = torch.clamp(r, self.lower, self.upper, out=out)
        # Skipped without monotone rules (the paper's spaces): those passes would return
        # `result` unchanged, over tensors of users × samples × features in the searches.
        if self._has_directions:
            result = torch.where(self.direction > 0, torch.maximum(result, x), result, out=out)
            result = torch.where(self.direction < 0, torch.minimum(result, x), result, out=out)
        if self._has_binaries:
            result = torch.where(self.binary, self._round_categories(result), result, out=out)
        result = torch.where(self.mutable, result, x, out=out)
        if self.max_changes is None or self.max_changes >= int(self.mutable.sum()):
            return result
        # Keep the max_changes largest moves (in encoded units, a share of each range, or in
        # cost where the space has one) and put every other feature back: the nearest point of
        # A(u) that changes at most k features.
        size = (result - x).abs()
        if self.cost is not None:
            size = size * self.cost
        keep = torch.zeros_like(size, dtype=torch.bool).scatter_(
            -1, size.topk(self.max_changes, dim=-1).indices, True)
        return torch.where(keep, result, x, out=out)

    def is_actionable(self, x: torch.Tensor, r: torch.Tensor, atol: float = 1e-6) -> torch.Tensor:
        """(...,) bool: frozen columns equal x, values in range and direction, binaries 0/1."""
        x = x.expand_as(r)
        frozen_ok = torch.where(self.mutable, True, (r - x).abs() <= atol).all(-1)
        range_ok = ((r >= self.lower - atol) & (r <= self.upper + atol)).all(-1)
        if self.steps is None:
            binary_ok = torch.where(self.binary, (r == 0) | (r == 1), True).all(-1)
        else:
            binary_ok = torch.where(self.binary, (r - self._round_categories(r)).abs() <= atol,
                                    True).all(-1)
        ok = frozen_ok & range_ok & binary_ok
        if self._has_directions:
            ok &= torch.where(self.direction > 0, r >= x - atol, True).all(-1)
            ok &= torch.where(self.direction < 0, r <= x + atol, True).all(-1)
        if self.max_changes is not None:
            ok &= ((r - x).abs() > atol).sum(-1) <= self.max_changes
        return ok
