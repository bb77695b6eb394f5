"""How well each kind of simulated person (hare.user_models) predicts recorded choices: every
kind fitted to the "which of these two?" answers of an export, scored on answers held out,
ranked best first, with its noise level and per-feature weights (bootstrap intervals).

The options are changes from the person's profile (the profile is not needed, nor stored
without its box): a kind's cost is evaluated with the profile at 0 and each option its change,
which is exact for costs of the change (weights, counts, thresholds) and puts an ideal point in
the same change space. Every kind chooses with logistic noise, P(choose a over b) = σ(β·(c(b) −
c(a))) (``hare.user_models.choice_log_prob``). Parameters of shape "point" (a hidden ideal) are
personal, one per session; "per_feature" ones (weights, limits) are the population's, shared by
every session. Weights are scaled to mean 1 over the features the options change, so β is the
noise on that scale (β and the weights' scale are one quantity).

Held out: each session's comparisons alternate between two folds; a kind is fitted on one and
scored on the other, both ways, so every answer is scored once by a fit that did not see it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from hare.data import load_dataset
from hare.errors import ConfigError
from hare.user_models import KINDS, choice_log_prob, fittable_parameters

STEPS = 300  # Adam steps per fit (the problems are small: tens of sessions, d ≈ 10)
LEARNING_RATE = 0.05
IDEAL_PRIOR = 5000.0  # pull of a session's ideal point toward the mean option it saw (σ ≈ 0.01)
BETA_START = 10.0


@dataclass(frozen=True)
class Choices:
    """The comparisons of an export, padded per session: chosen/other (S, T, d) encoded
    changes, mask (S, T) real answers, fold (S, T) 0/1; ``columns`` the dataset's."""

    dataset: str
    columns: tuple[str, ...]
    chosen: torch.Tensor
    other: torch.Tensor
    mask: torch.Tensor
    fold: torch.Tensor
    sessions: tuple[str, ...]
    respondents: tuple[str, ...]

    @property
    def answers(self) -> int:
        return int(self.mask.sum())

    def take(self, index: torch.Tensor) -> "Choices":
        """The sessions at ``index`` (a bootstrap sample may repeat one)."""
        i = index.tolist()
        return Choices(self.dataset, self.columns, self.chosen[index], self.other[index],
                       self.mask[index], self.fold[index], tuple(self.sessions[k] for k in i),
                       tuple(self.respondents[k] for k in i))


def encode_change(ds, row: pd.Series, option: str) -> np.ndarray:
    """(d,) an exported option (``a.<column>`` / ``b.<column>``, original units) back to an
    encoded change."""
    span = ds.encoder._span()
    out = np.zeros(len(ds.feature_names))
    for j, column in enumerate(ds.feature_names):
        value = row.get(f"{option}.{column}")
        if column in ds.spec.categorical:
            if isinstance(value, str) and value:
                zero, one = ds.encoder.categories[ds.spec.categorical.index(column)]
                out[j] = 1.0 if value == one else -1.0
        elif value is not None and not pd.isna(value):
            out[j] = float(value) / span[ds.spec.continuous.index(column)]
    return out


def choices_of(answers: pd.DataFrame, sessions: pd.DataFrame, dataset: str | None = None) -> Choices:
    """The comparisons of an exported answers table (one dataset: ``dataset`` or the only one)."""
    compare = answers[answers["event_type"] == "compare"]
    names = sorted(compare["dataset"].unique())
    if dataset is None:
        if len(names) != 1:
            raise ConfigError(f"the answers hold {len(names)} datasets ({', '.join(names)}): "
                              "name one with --dataset")
        dataset = names[0]
    compare = compare[compare["dataset"] == dataset]
    if compare.empty:
        raise ConfigError(f"no 'which of these two?' answers for {dataset} to fit")
    ds = load_dataset(dataset)
    groups = [g.sort_values("question") for _, g in compare.groupby("session_id", sort=True)]
    s, t, d = len(groups), max(len(g) for g in groups), len(ds.feature_names)
    chosen, other = np.zeros((s, t, d)), np.zeros((s, t, d))
    mask, fold = np.zeros((s, t), dtype=bool), np.zeros((s, t), dtype=np.int64)
    for i, g in enumerate(groups):
        for k, (_, row) in enumerate(g.iterrows()):
            a, b = encode_change(ds, row, "a"), encode_change(ds, row, "b")
            picked_b = str(row["chose_b"]).lower() in ("true", "1")
            chosen[i, k], other[i, k] = (b, a) if picked_b else (a, b)
            mask[i, k], fold[i, k] = True, k % 2
    who = sessions.set_index("session_id")["respondent"].to_dict() if "respondent" in sessions else {}
    ids = tuple(str(g["session_id"].iloc[0]) for g in groups)
    return Choices(dataset, tuple(ds.feature_names), torch.tensor(chosen), torch.tensor(other),
                   torch.tensor(mask), torch.tensor(fold), ids,
                   tuple(str(who.get(i, "")) for i in ids))


@dataclass
class Fitted:
    """One kind fitted to some choices: its noise β and parameters (population ones (d,),
    personal ones (S, d))."""

    kind: str
    beta: float
    params: dict[str, torch.Tensor]


def _changed(c: Choices) -> torch.Tensor:
    """(d,) features some option changes."""
    moved = (c.chosen.abs() > 1e-9) | (c.other.abs() > 1e-9)
    return (moved & c.mask.unsqueeze(-1)).flatten(0, 1).any(0)


def fit_kind(kind: str, c: Choices, train: torch.Tensor, steps: int = STEPS) -> Fitted:
    """``kind`` fitted by maximum likelihood to the answers where ``train`` (S, T) is set."""
    s, _, d = c.chosen.shape
    changed = _changed(c).to(c.chosen.dtype)
    seen = (c.chosen + c.other) / 2 * train.unsqueeze(-1)
    centre = seen.sum(1) / train.sum(1, keepdim=True).clamp_min(1)  # (S, d) mean option seen
    raw: dict[str, torch.Tensor] = {"log_beta": torch.tensor(math.log(BETA_START), dtype=c.chosen.dtype)}
    for p in fittable_parameters(kind):
        raw[p.name] = (centre.clone() if p.shape == "point"
                       else torch.zeros(d, dtype=c.chosen.dtype))
    for value in raw.values():
        value.requires_grad_(True)
    optimiser = torch.optim.Adam(list(raw.values()), lr=LEARNING_RATE)
    weight = train.to(c.chosen.dtype)
    for _ in range(steps):
        optimiser.zero_grad()
        params = _params(kind, raw, s, changed)
        logp = _log_prob(kind, c, params, raw["log_beta"].exp())
        loss = -(logp * weight).sum()
        if "ideal" in params:
            loss = loss + IDEAL_PRIOR * ((params["ideal"] - centre) ** 2 * changed).sum()
        (loss / weight.sum().clamp_min(1)).backward()
        optimiser.step()
    with torch.no_grad():
        return Fitted(kind, float(raw["log_beta"].exp()),
                      {k: v.detach() for k, v in _params(kind, raw, s, changed).items()})


def _params(kind: str, raw: dict, s: int, changed: torch.Tensor) -> dict[str, torch.Tensor]:
    """Each parameter within its bounds, per session (S, d)."""
    out = {}
    for p in fittable_parameters(kind):
        value = raw[p.name]
        if p.shape == "point":
            out[p.name] = value  # a change: any sign, within the box by the prior's pull
            continue
        if p.name == "weights":  # mean 1 over the changed features: β carries the scale
            w = torch.nn.functional.softplus(value) * changed
            value = w / w.sum().clamp_min(1e-12) * changed.sum().clamp_min(1)
        else:
            value = p.minimum + (p.maximum - p.minimum) * torch.sigmoid(value)
        out[p.name] = value.expand(s, -1)
    return out


def _log_prob(kind: str, c: Choices, params: dict, beta) -> torch.Tensor:
    """(S, T) log P(each recorded choice)."""
    zero = torch.zeros(c.chosen.shape[0], c.chosen.shape[-1], dtype=c.chosen.dtype)
    return choice_log_prob(kind, zero, c.chosen, c.other, params, "logistic", beta)


@dataclass
class KindFit:
    """A kind's score on held-out answers and its fitted parameters (``--json`` rows)."""

    user_model: str
    log_likelihood: float  # mean log P per held-out answer
    accuracy: float  # held-out answers whose recorded choice had P > 0.5
    answers: int
    noise_level: float  # β, the logistic noise (weights at mean 1)
    noise_interval: tuple[float, float]
    weights: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # (w, lo, hi)
    share: float = 0.0  # the sessions this kind explains best, as a mixture's share
    session_log_likelihood: list[float] = field(default_factory=list, repr=False)

    def row(self) -> dict:
        """Plain data for JSON (the per-session likelihoods are left out)."""
        return {"user_model": self.user_model, "log_likelihood": self.log_likelihood,
                "accuracy": self.accuracy, "answers": self.answers,
                "noise_level": self.noise_level, "noise_interval": list(self.noise_interval),
                "weights": {k: list(v) for k, v in self.weights.items()}, "share": self.share}


def evaluate(kind: str, c: Choices, bootstrap: int = 20, seed: int = 0,
             steps: int = STEPS) -> tuple[KindFit, Fitted]:
    """``kind`` scored on held-out answers, fitted on all, with bootstrap intervals over
    sessions; returns the score and the fit on all answers."""
    held = torch.zeros_like(c.mask, dtype=c.chosen.dtype)
    for k in (0, 1):
        train = c.mask & (c.fold != k)
        fitted = fit_kind(kind, c, train, steps)
        logp = _log_prob(kind, c, fitted.params, torch.tensor(fitted.beta, dtype=c.chosen.dtype))
        test = c.mask & (c.fold == k)
        held = torch.where(test, logp, held)
    n = c.answers
    full = fit_kind(kind, c, c.mask, steps)
    generator = torch.Generator().manual_seed(seed)
    betas, weights = [], []
    for _ in range(bootstrap):
        index = torch.randint(0, c.mask.shape[0], (c.mask.shape[0],), generator=generator)
        sample = c.take(index)
        refit = fit_kind(kind, sample, sample.mask, steps)
        betas.append(refit.beta)
        if "weights" in refit.params:
            weights.append(refit.params["weights"][0])
    beta_lo, beta_hi = _interval(betas, full.beta)
    changed = _changed(c)
    table = {}
    if "weights" in full.params:
        stack = torch.stack(weights) if weights else full.params["weights"][:1]
        for j, column in enumerate(c.columns):
            if bool(changed[j]):
                lo, hi = _interval(stack[:, j].tolist(), float(full.params["weights"][0, j]))
                table[column] = (float(full.params["weights"][0, j]), lo, hi)
    score = KindFit(kind, float(held[c.mask].sum()) / max(n, 1),
                    float((held[c.mask] > math.log(0.5)).float().mean()), n, full.beta,
                    (beta_lo, beta_hi), table,
                    session_log_likelihood=(held * c.mask).sum(1).tolist())
    return score, full


def _interval(values: list[float], point: float) -> tuple[float, float]:
    """The 2.5 % and 97.5 % bootstrap percentiles (the point itself without a bootstrap)."""
    if not values:
        return point, point
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def mixture_shares(fits: list[KindFit], rounds: int = 200) -> None:
    """Each kind's share of the sessions, as a mixture of the kinds fitted on their held-out
    per-session likelihoods (EM over the shares); sets ``share`` on each fit."""
    ll = torch.tensor([f.session_log_likelihood for f in fits], dtype=torch.float64)  # (K, S)
    share = torch.full((len(fits), 1), 1.0 / len(fits), dtype=torch.float64)
    for _ in range(rounds):
        r = torch.softmax(ll + share.log(), dim=0)
        share = r.mean(1, keepdim=True).clamp_min(1e-12)
    for f, value in zip(fits, share[:, 0].tolist()):
        f.share = value


def fit_all(c: Choices, kinds: tuple[str, ...] = tuple(KINDS), bootstrap: int = 20,
            seed: int = 0, steps: int = STEPS) -> tuple[list[KindFit], dict[str, Fitted]]:
    """Every kind scored and fitted, ranked best first (highest held-out log-likelihood)."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ConfigError(f"unknown user model {unknown[0]!r} (valid: {', '.join(KINDS)})")
    scores, fits = [], {}
    for kind in kinds:
        score, fitted = evaluate(kind, c, bootstrap, seed, steps)
        scores.append(score)
        fits[kind] = fitted
    mixture_shares(scores)
    scores.sort(key=lambda f: f.log_likelihood, reverse=True)
    return scores, fits
