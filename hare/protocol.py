"""Which protocol a benchmark run follows: this project's (``hare``), the paper authors' code as
it ran (``authors``, read from rahulvigneswaran/HARE, SPEC §10), or ours with one authors'
choice switched on (``hare+<choice>``), for the factor-by-factor decomposition of the gap.

A protocol is five choices, each ours ("hare") or the authors'; this module is the one place
that names them and maps each to what the engine calls (the sampler and round schedule for the
session, the ground-truth draw, the classifier's training and the metrics' precision for the
runner). ``authors-<choice>`` is theirs with one of ours, e.g. the paper's text's reading of T.
The implementations live with their kind (hare.candidates, hare.authors, hare.users,
hare.models, hare.metrics); the run config stores only the protocol's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Callable

import torch

from hare.authors import authors_ground_truth, authors_sampling, plain_bisection
from hare.candidates import actionable_sampling, boundary_point_search
from hare.errors import ConfigError
from hare.metrics import CARLA_PRECISION, Precision
from hare.models import AUTHORS_TRAINING, TrainSettings
from hare.users import SCALES, GroundTruth, simulate_ground_truth


@dataclass(frozen=True)
class GroundTruthDraw:
    """How each simulated user's hidden recourse is drawn. Ours: a fresh direction per user
    (SPEC §6). Theirs: numpy re-seeded to the run seed for every user (so the draws are one
    sequence of directions shared by all users of a seed), directions 2·rand − 1 in a cube
    scaled to the scale's norm, their Growing Spheres (the same samples every shell, no clip
    to [0, 1]) and the result clipped afterwards, never re-checked."""

    choice: str  # "hare" or "authors"
    draw: Callable[..., GroundTruth] = field(repr=False)  # (model, x, space, scale, keys, seed)


@dataclass(frozen=True)
class Sampler:
    """How a round's new candidates are drawn, and what becomes of an invalid one. Ours:
    ActionableSampling projected onto the action space every step and clamped; an invalid
    sample is replaced by the incumbent and still asked about. Theirs: directions optimised
    over all d columns, no per-step projection, no clamp; immutable and categorical columns
    zeroed afterwards without renormalising; invalid samples dropped (never asked about)."""

    choice: str
    sample: Callable[..., torch.Tensor] = field(repr=False)  # actionable_sampling's signature
    drops_invalid: bool


@dataclass(frozen=True)
class Rounds:
    """How budget B and iterations T become rounds, and how candidates are calibrated. Ours:
    T rounds of k = B/T candidates (the incumbent included), each ending with a charged "good
    enough?"; BoundaryPointSearch over the actionable columns. Theirs: T is the number of new
    candidates a round and the rounds are B // T (HARE, T = 1: one round of B new candidates
    plus the incumbent, B comparisons); "good enough?" is not charged; BPS is plain
    bisection over every column."""

    choice: str
    # (B, T) -> k candidates shown a round (the incumbent included); (B, T) -> rounds run
    candidates: Callable[[int, int], int] = field(repr=False)
    count: Callable[[int, int], int] = field(repr=False)
    charges_accept: bool  # "good enough?" costs a question
    # boundary_point_search's (model, x, c, space, eps, target=) -> (points, valid)
    calibrate: Callable = field(repr=False)


@dataclass(frozen=True)
class Training:
    """How the classifier is trained. Ours: Adam, at least 8,000 steps. Theirs: RMSprop, lr
    2e-3, 20 epochs, batch 256, CARLA's two-unit head."""

    choice: str
    settings: TrainSettings


@dataclass(frozen=True)
class Metrics:
    """How precisely changed features are counted. Theirs: CARLA's redundancy on float32
    recourses (an untouched continuous column then differs from the float64 factual and
    counts as changed) and its L0 tolerance."""

    choice: str
    precision: Precision


def _our_k(budget: int, iterations: int) -> int:
    return budget // iterations


def _our_rounds(budget: int, iterations: int) -> int:
    return iterations


def _their_k(budget: int, iterations: int) -> int:
    return (budget if iterations == 1 else iterations) + 1


def _their_rounds(budget: int, iterations: int) -> int:
    return 1 if iterations == 1 else budget // iterations


def _their_calibration(model, x, c, space, eps, target):
    """Their bisection moves every column: the action space does not enter."""
    return plain_bisection(model, x, c, eps, target=target)


def _our_ground_truth(model, x, space, scale: str, keys, seed: int) -> GroundTruth:
    """Keyed per (seed, user) through ``keys``."""
    return simulate_ground_truth(model, x, space, scale, keys)


def _their_ground_truth(model, x, space, scale: str, keys, seed: int) -> GroundTruth:
    """numpy's draws from the run seed, the same for every user: the keys do not enter."""
    return authors_ground_truth(model, x, space, SCALES[scale], seed)


@dataclass(frozen=True)
class Protocol:
    """Five choices, each ours (this project, SPEC §§1–7) or the authors' (their code, SPEC §10);
    each field's class says what differs."""

    ground_truth: GroundTruthDraw
    sampler: Sampler
    rounds: Rounds
    classifier: Training
    metrics: Metrics

    def choices(self) -> dict[str, str]:
        """Factor -> "hare" or "authors"."""
        return {f.name: getattr(self, f.name).choice for f in fields(self)}

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds a preset runs by default: the authors ran 1–4, this project 0–4."""
        return (1, 2, 3, 4) if self != HARE else (0, 1, 2, 3, 4)

    @property
    def users(self) -> int:
        """Users a preset follows by default: the authors' config.py has 100, ours 150."""
        return 100 if self != HARE else 150


HARE = Protocol(
    ground_truth=GroundTruthDraw("hare", _our_ground_truth),
    sampler=Sampler("hare", actionable_sampling, drops_invalid=False),
    rounds=Rounds("hare", _our_k, _our_rounds, charges_accept=True,
                  calibrate=boundary_point_search),
    classifier=Training("hare", TrainSettings()),
    metrics=Metrics("hare", Precision()),
)
AUTHORS = Protocol(
    ground_truth=GroundTruthDraw("authors", _their_ground_truth),
    sampler=Sampler("authors", authors_sampling, drops_invalid=True),
    rounds=Rounds("authors", _their_k, _their_rounds, charges_accept=False,
                  calibrate=_their_calibration),
    classifier=Training("authors", AUTHORS_TRAINING),
    metrics=Metrics("authors", CARLA_PRECISION),
)
FACTORS = tuple(f.name for f in fields(Protocol))
# "hare" and "authors", then ours with one authors' choice at a time (the decomposition),
# then theirs with one of ours (e.g. authors-rounds: the paper's text's reading of T).
PROTOCOLS: dict[str, Protocol] = {"hare": HARE, "authors": AUTHORS,
                                  **{f"hare+{name}": replace(HARE, **{name: getattr(AUTHORS, name)})
                                     for name in FACTORS},
                                  **{f"authors-{name}": replace(AUTHORS, **{name: getattr(HARE, name)})
                                     for name in FACTORS}}
DEFAULT = "hare"


def protocol_names() -> tuple[str, ...]:
    return tuple(PROTOCOLS)


def get_protocol(name: str) -> Protocol:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ConfigError(f"unknown protocol {name!r} (valid: {', '.join(PROTOCOLS)})") from None
