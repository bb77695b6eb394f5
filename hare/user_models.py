"""Kinds of people who answer "which of these two?": each a cost (lower is preferred), its
parameters, and how the simulator draws them; one interface to score or fit any of them.

A kind of person is a cost c(r; x, θ) of a recourse r for a person with factual x and
parameters θ (a hidden ideal point, per-feature weights, personal thresholds). Everything is
batched over people: x (N, d), each parameter (N, d), options (N, ..., d).

The interface for scoring recorded answers (and fitting a kind to them):

- :func:`choice_log_prob` ``(kind, x, a, b, params, noise, noise_param)`` → (N, T) log P(the
  person with factual x[i] and parameters params[...][i] chooses a[i, t] over b[i, t]); a and b
  are (N, T, d) options in the encoded space. With ``noise="none"`` a choice is certain (log 1
  or −inf); to fit, use "logistic" (β) or "bernoulli" (flip probability).
- :func:`fittable_parameters` ``(kind)`` → the kind's :class:`Parameter` list (name, shape,
  bounds); the noise parameter's range is ``hare.noise.NOISE[noise]``.
- ``KINDS[kind].cost(r, x, params)`` → (N, ...) the cost itself.

Ties go to b, as the simulated users give a tie to the challenger (hare.users). The simulator
draws each kind's parameters with :func:`draw_parameters`, keyed per user (hare.rng).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from hare import rng
from hare.actions import ActionSpace
from hare.candidates import boundary_point_search
from hare.errors import ConfigError
from hare.noise import NOISE
from hare.generators.growing_spheres import growing_spheres_search
from hare.models import Classifier
from hare.rng import keyed_normal, keyed_uniform

# A feature counts as changed when it moves more than this (encoded units, [0, 1] ranges).
CHANGE_TOL = 1e-3
LOGNORMAL_SIGMA = 0.75  # spread of log-normal users' log weights around the population's
SPARSE_DRAWS = 64  # one- or two-feature rays tried per sparse-ideal user
THRESHOLD_RANGE = (0.05, 0.6)  # an acceptability user's per-feature limit (encoded units)

Params = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Parameter:
    """One fittable parameter of a kind: ``shape`` "point" (d,) a point in the encoded space,
    "per_feature" (d,) one value per feature; ``minimum``/``maximum`` bound each value."""

    name: str
    shape: str
    minimum: float
    maximum: float
    help: str


@dataclass(frozen=True)
class UserKind:
    """A kind of person: its cost (lower is preferred) and its parameters."""

    name: str
    help: str
    parameters: tuple[Parameter, ...]
    cost: Callable[[torch.Tensor, torch.Tensor, Params], torch.Tensor]


def _per_user(value: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """(N, d) → (N, 1, ..., 1, d) to broadcast against options r (N, ..., d)."""
    return value.reshape(value.shape[0], *([1] * (r.dim() - 2)), value.shape[-1])


def _l2(r, x, p):
    return (r - _per_user(p["ideal"], r)).norm(dim=-1)


def _linf(r, x, p):
    return (r - _per_user(p["ideal"], r)).abs().amax(dim=-1)


def _weighted(r, x, p):
    return ((r - _per_user(x, r)).abs() * _per_user(p["weights"], r)).sum(-1)


def _squash(c: torch.Tensor) -> torch.Tensor:
    """c/(1 + c) in [0, 1): a second criterion under a count, so the count decides first."""
    return c / (1 + c)


def _fewest_changes(r, x, p):
    moved = r - _per_user(x, r)
    return (moved.abs() > CHANGE_TOL).sum(-1).to(r.dtype) + _squash(moved.norm(dim=-1))


def _acceptability(r, x, p):
    moved = (r - _per_user(x, r)).abs()
    over = (moved > _per_user(p["thresholds"], r) + CHANGE_TOL).sum(-1).to(r.dtype)
    return over + _squash((moved * _per_user(p["weights"], r)).sum(-1))


_IDEAL = Parameter("ideal", "point", 0.0, 1.0, "the recourse the person would pick if offered")
_WEIGHTS = Parameter("weights", "per_feature", 0.0, 1e6, "cost of one encoded unit per feature")
_THRESHOLDS = Parameter("thresholds", "per_feature", 0.0, 1.0,
                        "the largest change of each feature the person accepts")

KINDS: dict[str, UserKind] = {k.name: k for k in (
    UserKind("ground_truth", "prefers the option nearer a hidden recourse (L2)", (_IDEAL,), _l2),
    UserKind("weighted_cost", "prefers the cheaper option by own feature weights, uniform "
             "in (0, 1]", (_WEIGHTS,), _weighted),
    UserKind("lognormal_cost", "prefers the cheaper option by own log-normal weights around "
             "the people cost model", (_WEIGHTS,), _weighted),
    UserKind("fewest_changes", "prefers fewer changed features, then the smaller change",
             (), _fewest_changes),
    UserKind("linf", "prefers the option nearer a hidden recourse in its largest change (L∞)",
             (_IDEAL,), _linf),
    UserKind("sparse_ideal", "nearer a hidden recourse that changes one or two features",
             (_IDEAL,), _l2),
    UserKind("box_ideal", "nearer a hidden recourse drawn anywhere in the actionable box",
             (_IDEAL,), _l2),
    UserKind("acceptability", "each change acceptable only up to a personal limit; fewer "
             "unacceptable changes first, then the cheaper by own weights",
             (_WEIGHTS, _THRESHOLDS), _acceptability),
)}
USER_KINDS = tuple(KINDS)


def _kind(name: str) -> UserKind:
    if name not in KINDS:
        raise ConfigError(f"unknown user model {name!r} (valid: {', '.join(KINDS)})")
    return KINDS[name]


def fittable_parameters(kind: str) -> tuple[Parameter, ...]:
    """The parameters of ``kind`` that a fit estimates per person (beside the noise's)."""
    return _kind(kind).parameters


def choice_log_prob(kind: str, x: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
                    params: Params, noise: str = "logistic",
                    noise_param: float | torch.Tensor = 10.0) -> torch.Tensor:
    """(N, T) log P(choose a over b) for people x (N, d) with ``params`` (each (N, d)) and
    options a, b (N, T, d). ``noise``: "none" (the cheaper, ties to b), "bernoulli" (the
    cheaper, flipped with probability noise_param) or "logistic" (P = σ(β·(c(b) − c(a))),
    β = noise_param). ``noise_param`` may be a tensor (N,) per person."""
    if noise not in NOISE:
        raise ConfigError(f"unknown noise model {noise!r} (valid: {', '.join(NOISE)})")
    cost = _kind(kind).cost
    gap = cost(b, x, params) - cost(a, x, params)  # > 0: a is cheaper
    param = torch.as_tensor(noise_param, dtype=gap.dtype)
    param = param.reshape(-1, 1) if param.dim() == 1 else param
    if noise == "logistic":
        return torch.nn.functional.logsigmoid(param * gap)
    chooses_a = gap > 0
    if noise == "none":
        return torch.where(chooses_a, 0.0, -torch.inf).to(gap.dtype)
    right, wrong = torch.log1p(-param), torch.log(param)
    return torch.where(chooses_a, right, wrong).to(gap.dtype)


# -- simulated people ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Population:
    """What drawing a batch of simulated people needs: the classifier, the factuals (N, d),
    the action space, the shipped users' hidden recourses (N, d), per-user keys and the people
    cost model's per-feature weights (d,) where the dataset has one (ones otherwise)."""

    model: Classifier
    x: torch.Tensor
    space: ActionSpace
    ground_truth: torch.Tensor
    keys: torch.Tensor
    cost_model: torch.Tensor
    scale: float = 1.5


def uniform_weights(keys: torch.Tensor, space: ActionSpace) -> torch.Tensor:
    """Per-user feature weights uniform in (0, 1] per mutable feature (weighted-cost users)."""
    w = keyed_uniform(keys, rng.stream("preference_weights"), (space.mutable.shape[0],)).double()
    return torch.where(space.mutable, w, 0.0)


def _stream(purpose: int) -> int:
    return rng.stream("user_kinds", purpose)


def _lognormal_weights(pop: Population) -> torch.Tensor:
    z = keyed_normal(pop.keys, _stream(0), (pop.x.shape[-1],)).to(pop.x.dtype)
    w = pop.cost_model.to(pop.x.dtype) * torch.exp(LOGNORMAL_SIGMA * z)
    return torch.where(pop.space.mutable, w, 0.0)


def _sparse_ideal(pop: Population) -> torch.Tensor:
    """A boundary point on a ray over one or two mutable continuous features (the first of
    SPARSE_DRAWS rays that reaches the positive class), pushed out to the scale's distance
    where that stays positive; the shipped hidden recourse where no ray reaches it."""
    x, space = pop.x, pop.space
    n, d = x.shape
    cols = space.continuous_mutable
    u = keyed_normal(pop.keys, _stream(1), (SPARSE_DRAWS, d), columns=cols).to(x.dtype)
    # keep the one or two largest coordinates of each draw (two for half the draws)
    two = keyed_uniform(pop.keys, _stream(2), (SPARSE_DRAWS,)) < 0.5
    masked = torch.where(cols, u.abs(), -1.0)
    top2 = masked.topk(min(2, d), dim=-1)
    second = top2.values[..., -1:]
    keep = masked >= torch.where(two.unsqueeze(-1), second, top2.values[..., :1])
    u = torch.where(keep & cols, u, 0.0)
    u = u / u.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    far = space.project(x.unsqueeze(1), x.unsqueeze(1) + 2.0 * u)  # (N, R, d)
    with torch.no_grad():
        ok = pop.model(far) >= 0.5
    first = ok.float().argmax(dim=1)
    rows = torch.arange(n)
    points, _ = boundary_point_search(pop.model, x, far[rows, first].unsqueeze(1), space)
    ideal = points[:, 0]
    step = (ideal - x).norm(dim=-1, keepdim=True)
    longer = space.project(x, x + torch.maximum(step, torch.full_like(step, pop.scale))
                           * u[rows, first])
    with torch.no_grad():
        ideal = torch.where((pop.model(longer) >= 0.5).unsqueeze(-1), longer, ideal)
    return torch.where(ok.any(dim=1).unsqueeze(-1), ideal, pop.ground_truth)


def _box_ideal(pop: Population) -> torch.Tensor:
    """A point uniform in the actionable box (mutable continuous columns), made valid by
    Growing Spheres where the classifier refuses it."""
    x, space = pop.x, pop.space
    d = x.shape[-1]
    lo, hi = space.lower.to(x.dtype), space.upper.to(x.dtype)
    v = lo + (hi - lo) * keyed_uniform(pop.keys, _stream(3), (d,)).to(x.dtype)
    p = space.project(x, torch.where(space.continuous_mutable, v, x))
    with torch.no_grad():
        refused = pop.model(p) < 0.5
    ideal = p.clone()
    idx = torch.nonzero(refused).squeeze(-1)
    if len(idx):
        found = growing_spheres_search(pop.model, p[idx], x[idx], space, pop.keys[idx],
                                       stream=_stream(100))
        missed = torch.isnan(found).any(dim=-1)
        ideal[idx] = torch.where(missed.unsqueeze(-1), pop.ground_truth[idx], found)
    return ideal


def _acceptability_params(pop: Population) -> Params:
    d = pop.x.shape[-1]
    w = keyed_uniform(pop.keys, _stream(4), (d,)).to(pop.x.dtype)
    low, high = THRESHOLD_RANGE
    t = low + (high - low) * keyed_uniform(pop.keys, _stream(5), (d,)).to(pop.x.dtype)
    return {"weights": torch.where(pop.space.mutable, w, 0.0), "thresholds": t}


def draw_parameters(kind: str, pop: Population) -> Params:
    """Each simulated person's parameters of ``kind``, all people at once."""
    _kind(kind)
    if kind in ("ground_truth", "linf"):
        return {"ideal": pop.ground_truth}
    if kind == "weighted_cost":
        return {"weights": uniform_weights(pop.keys, pop.space)}
    if kind == "lognormal_cost":
        return {"weights": _lognormal_weights(pop)}
    if kind == "sparse_ideal":
        return {"ideal": _sparse_ideal(pop)}
    if kind == "box_ideal":
        return {"ideal": _box_ideal(pop)}
    if kind == "acceptability":
        return _acceptability_params(pop)
    return {}  # fewest_changes: no parameters
