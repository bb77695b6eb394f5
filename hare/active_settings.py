"""Active HARE's settings (budget, rounds, the particle posterior's sizes and priors) and the
first particles that sessions of the same users and base recourses can share (hare.active)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from hare.active_model import LapseMixture
from hare.candidates import SamplingSettings
from hare.errors import ConfigError


@dataclass(frozen=True)
class ActiveSettings:
    """Budget B, rounds (one "good enough?" each), and the particle posterior's settings."""

    budget: int = 30
    rounds: int | None = None  # None: one "good enough?" per 10 questions, max(1, B // 10)
    particles: int = 192  # P, per user
    # K particles scored as options per question, beside the champion and up to four rivals
    # ((K + 5)·(K + 4)/2 pairs); 18, not 24: 38 % fewer pairs, sessions 18 % faster, and no
    # kind of person worse off (Credit LR, 150 people × 5 seeds: nearest-point people 0.401 →
    # 0.407 of Multi-HARE's cost at B 30; acceptability's worst cell 0.995 either way)
    candidates: int = 18
    ig_particles: int = 128  # R most likely particles over which information gain is expected
    beta: float = 10.0  # likelihood sharpness, per unit of L2 distance difference
    lapse: float = 0.1  # probability that an answer is random: a wrong answer is not fatal
    refresh_every: int = 1  # comparisons between particle refreshes
    refresh_fraction: float = 0.5  # share of particles replaced at a refresh
    explore_fraction: float = 0.1  # share of the replacements drawn from the prior, not locally
    reservoir: float = 0.25  # share of the prior particles never replaced: lets the posterior
    # come back to a region that early wrong answers pushed it away from
    min_separation: float = 0.01  # two options closer than this (L2) count as indistinguishable
    max_ray: float = 2.0  # longest step from the factual for prior particles
    eps: float = 1e-6  # BPS precision
    target: float = 0.5  # τ: every particle clears g ≥ τ (people: above 0.5, a safety margin)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    weight_particles: int = 64  # weighted-cost hypotheses per user, and as many limit ones
    # (hare.active_model)
    # prior mass of the kinds of person: ideal point, weighted cost, limits, fewest changes,
    # hardest change
    kind_prior: tuple[float, float, float, float, float] = (0.4, 0.2, 0.2, 0.1, 0.1)
    lapses: LapseMixture = field(default_factory=LapseMixture)
    sparse_share: float = 0.5  # share of prior rays over one or two features only
    # how much more a pair with the champion's information gain counts for a person of a cost
    # kind: a better option they pick in a pair without it is not returned unless asked
    # against it later. Per person it is 1 + (champion_weight − 1)·P(a cost kind), so 1 for a
    # likely ideal-point person (see ActiveHareSession._pick_pair)
    champion_weight: float = 3.0
    # settle within each round every option the person picked and never turned down, so that
    # a consistent person never ends a round above the best option they picked
    # (ActiveHareSession._playoff)
    playoff: bool = True
    # how much more a pair counts per option in it that is the champion or such a pick (a
    # pair of two of them settles one; a pair of two others adds one to settle later)
    settle_weight: float = 0.2
    # per question, the particles that this many cost hypotheses drawn from the posterior each
    # find cheapest are among the K candidates, at most the K − K // 2 beside the ideal points'
    # half (ActiveHareSession._pick_pair); with them and the proposals around the champion
    # below, people who accept each change only up to a limit ended at 0.84 of Multi-HARE's
    # cost at B 30 instead of 0.88 (the GS and Wachter cells, 150 people × 5 seeds), worst
    # cell 1.0005 instead of 1.007
    kind_favourites: int = 4
    # a refresh proposes a share P(a cost kind) × near_champion of its local particles a step
    # of near_step from the champion in a random direction, as HARE's sampling steps a unit
    # from its incumbent (ActiveHareSession._refresh)
    near_champion: float = 1.0
    near_step: float = 1.0
    # per question, this many candidates each cut one of the champion's changes, a feature
    # drawn per question, to at most cut_to of it: the cheapest such particle by posterior
    # expected cost (ActiveHareSession._cuts). With one, people who accept each change only up
    # to a limit ended at 0.82 of Multi-HARE's cost at B 30 instead of 0.84 (the GS and
    # Wachter cells, 150 people × 5 seeds), worst cell 0.981 instead of 1.0005
    cuts: int = 1
    cut_to: float = 0.7

    def __post_init__(self):
        if self.budget < 2:
            raise ConfigError(f"budget must be at least 2 (got {self.budget})")
        if self.rounds is None:
            object.__setattr__(self, "rounds", max(1, self.budget // 10))
        if self.rounds < 1:
            raise ConfigError(f"rounds must be at least 1 (got {self.rounds})")
        if self.budget < 2 * self.rounds:
            raise ConfigError(f"budget must be at least 2 × rounds (got {self.budget} for "
                              f"{self.rounds} rounds): a round needs one comparison and the "
                              "'good enough?' question")
        if self.particles < 8:
            raise ConfigError(f"particles must be at least 8 (got {self.particles})")
        if not 2 <= self.candidates <= self.particles:
            raise ConfigError(f"candidates must be between 2 and particles ({self.particles}), "
                              f"got {self.candidates}")
        if self.ig_particles < 2:
            raise ConfigError(f"ig_particles must be at least 2 (got {self.ig_particles})")
        if self.beta <= 0:
            raise ConfigError(f"beta must be positive (got {self.beta})")
        if not 0 <= self.lapse < 0.5:
            raise ConfigError(f"lapse must be in [0, 0.5) (got {self.lapse})")
        if self.refresh_every < 1:
            raise ConfigError(f"refresh_every must be at least 1 (got {self.refresh_every})")
        if not 0 < self.refresh_fraction < 1 or not 0 <= self.explore_fraction <= 1:
            raise ConfigError("refresh_fraction must be in (0, 1) and explore_fraction in [0, 1]")
        if not 0 <= self.reservoir < 1 - self.refresh_fraction / 2:
            raise ConfigError("reservoir must be in [0, 1 − refresh_fraction/2)")
        if self.min_separation <= 0 or self.max_ray <= 0 or self.eps <= 0:
            raise ConfigError("min_separation, max_ray and eps must be positive")
        if self.champion_weight <= 0:
            raise ConfigError(f"champion_weight must be positive (got {self.champion_weight})")
        if self.settle_weight < 0:
            raise ConfigError(f"settle_weight must be 0 or more (got {self.settle_weight})")
        if self.kind_favourites < 0:
            raise ConfigError(f"kind_favourites must be 0 or more (got {self.kind_favourites})")
        if len(self.kind_prior) != 5 or self.kind_prior[0] <= 0 or min(self.kind_prior) < 0 \
                or abs(sum(self.kind_prior) - 1) > 1e-9:
            raise ConfigError("kind_prior must be 5 masses, ideal point (positive), weighted "
                              "cost, limits, fewest changes and hardest change, summing to 1 "
                              f"(got {self.kind_prior})")
        if self.cuts < 0 or not 0 < self.cut_to < 1:
            raise ConfigError(f"cuts must be 0 or more and cut_to in (0, 1) (got {self.cuts}, "
                              f"{self.cut_to})")
        if not 0 <= self.near_champion <= 1 or self.near_step <= 0:
            raise ConfigError("near_champion must be in [0, 1] and near_step positive")
        if not 0.5 <= self.target < 1.0:
            raise ConfigError(f"target probability must be in [0.5, 1) (got {self.target})")

    def first_particles_key(self) -> tuple:
        """The settings a session's first particles depend on (not the budget or rounds): two
        sessions of the same users, base recourses and key share them (``FirstParticles``)."""
        return (self.particles, self.sampling, self.max_ray, self.eps, self.target,
                self.sparse_share)

    def round_size(self, r: int) -> int:
        """Questions in round r (1-based): B split as evenly as possible, earlier rounds taking
        the remainder; each ends with "good enough?"."""
        return self.budget // self.rounds + (1 if r <= self.budget % self.rounds else 0)


@dataclass(frozen=True)
class FirstParticles:
    """A session's particles before any answer: r0, ActionableSampling and prior rays, through
    BPS. They depend only on the users, their base recourses and keys, and
    ``ActiveSettings.first_particles_key()``, so sessions that differ in budget, rounds, noise
    or ground truth can start from one copy (the sweep runner shares them in a group); a
    session never changes them in place. The estimate before any answer comes with them (every
    particle weighs the same then)."""

    theta: torch.Tensor  # (N, P, d)
    alive: torch.Tensor  # (N, P) bool: valid particles
    estimate: torch.Tensor  # (N, d) the recourse shown before any answer (NaN: failed users)
