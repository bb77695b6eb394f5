"""Which protocol a benchmark run follows: this project's (``hare``), the paper authors' code as
it ran (``authors``, read from rahulvigneswaran/HARE, SPEC §10), or ours with one authors'
choice switched on (``hare+<choice>``), for the factor-by-factor decomposition of the gap.

A protocol is five choices, each "hare" or "authors"; this module is the one place that names
them (``authors-<choice>``: theirs with one of ours, e.g. the paper's text's reading of T). The
engine pieces read the choice that concerns them (users, candidates, session, models, metrics);
the run config stores the protocol's name.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from hare.errors import ConfigError

CHOICES = ("hare", "authors")


@dataclass(frozen=True)
class Protocol:
    """Five choices, each "hare" (this project, SPEC §§1–7) or "authors" (their code, SPEC §10).

    - ``ground_truth``: authors = numpy re-seeded to the run seed for every user (so the draws
      are one sequence of directions shared by all users of a seed), directions 2·rand − 1 in
      a cube scaled to the scale's norm, their Growing Spheres (the same samples every shell,
      no clip to [0, 1]) and the result clipped afterwards, never re-checked.
    - ``sampler``: authors = directions optimised over all d columns, no per-step projection,
      no clamp; immutable and categorical columns zeroed afterwards without renormalising;
      invalid samples dropped (never asked about), not replaced by the incumbent.
    - ``rounds``: authors = T is the number of new candidates per round and the rounds are
      B // T (HARE, T = 1: one round of B new candidates plus the incumbent, B comparisons);
      no "good enough?" question is charged; BPS is plain bisection over every column.
    - ``classifier``: authors = RMSprop, lr 2e-3, 20 epochs, batch 256 (ours: Adam, at least
      8,000 steps).
    - ``metrics``: authors = CARLA's redundancy on float32 recourses (an untouched continuous
      column then differs from the float64 factual and counts as changed) and its L0 tolerance.
    """

    ground_truth: str = "hare"
    sampler: str = "hare"
    rounds: str = "hare"
    classifier: str = "hare"
    metrics: str = "hare"

    def __post_init__(self):
        for f in fields(self):
            if getattr(self, f.name) not in CHOICES:
                raise ConfigError(f"protocol choice {f.name} must be one of "
                                  f"{', '.join(CHOICES)} (got {getattr(self, f.name)!r})")

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds a preset runs by default: the authors ran 1–4, this project 0–4."""
        return (1, 2, 3, 4) if self != HARE else (0, 1, 2, 3, 4)

    @property
    def users(self) -> int:
        """Users a preset follows by default: the authors' config.py has 100, ours 150."""
        return 100 if self != HARE else 150


FACTORS = tuple(f.name for f in fields(Protocol))
HARE = Protocol()
AUTHORS = Protocol(**{name: "authors" for name in FACTORS})
# "hare" and "authors", then ours with one authors' choice at a time (the decomposition),
# then theirs with one of ours (e.g. authors-rounds: the paper's text's reading of T).
PROTOCOLS: dict[str, Protocol] = {"hare": HARE, "authors": AUTHORS,
                                  **{f"hare+{name}": replace(HARE, **{name: "authors"})
                                     for name in FACTORS},
                                  **{f"authors-{name}": replace(AUTHORS, **{name: "hare"})
                                     for name in FACTORS}}
DEFAULT = "hare"


def protocol_names() -> tuple[str, ...]:
    return tuple(PROTOCOLS)


def get_protocol(name: str) -> Protocol:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ConfigError(f"unknown protocol {name!r} (valid: {', '.join(PROTOCOLS)})") from None
