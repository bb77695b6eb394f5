"""Simulated people fitted to recorded answers (``hare answers fit --write-model``): a kind of
person (hare.user_models), its logistic noise β and the population's per-feature parameters,
in a JSON file that sweeps accept (``hare run --user-model fitted --answers FILE``).

A run records the file's content hash (the ``fitted_users`` run field) and finds the file again
by it in the cache (``HARE_CACHE_DIR/fitted/<hash>.json``), so a run id names exactly the
people it simulated, and worker processes read the same file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from hare.cache import cache_dir
from hare.errors import ConfigError
from hare.user_models import KINDS

FORMAT = 1


@dataclass(frozen=True)
class FittedPopulation:
    """One fitted kind: ``parameters`` {name: {column: value}} for the population's
    per-feature parameters (encoded units); personal ones (an ideal point) are drawn per
    simulated person as the kind draws them."""

    dataset: str
    user_model: str
    noise_param: float  # β of logistic noise
    parameters: dict[str, dict[str, float]] = field(default_factory=dict)
    sessions: int = 0
    answers: int = 0
    log_likelihood: float = 0.0  # mean held-out log P per answer
    source: str = ""  # sha256 (16 hex digits) of the answers the fit read

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT} | asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: str = "the fitted people file") -> "FittedPopulation":
        try:
            record = json.loads(text)
            if record.pop("format", None) != FORMAT:
                raise ValueError(f"not format {FORMAT}")
            population = cls(**record)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{where} is not a fitted population (hare answers fit "
                              f"--write-model): {exc}") from None
        if population.user_model not in KINDS or not population.noise_param > 0:
            raise ConfigError(f"{where}: unknown user model {population.user_model!r} or a "
                              f"noise level that is not positive")
        return population

    def parameter_tensors(self, columns: list[str], n: int) -> dict[str, torch.Tensor]:
        """The population's parameters as (n, d) tensors over ``columns`` (0 for a column
        the fit saw no change of)."""
        return {name: torch.tensor([values.get(c, 0.0) for c in columns],
                                   dtype=torch.float64).expand(n, -1).clone()
                for name, values in self.parameters.items()}


def folder() -> Path:
    return cache_dir() / "fitted"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def register(path: str | Path) -> str:
    """Check the fitted-people file at ``path``, keep a copy under its hash, return the hash."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read --answers {path}: {exc}") from None
    FittedPopulation.from_json(text, f"--answers {path}")
    key = digest(text)
    target = folder() / f"{key}.json"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return key


def registered() -> tuple[str, ...]:
    """The hashes of the fitted-people files runs can name."""
    return tuple(sorted(p.stem for p in folder().glob("*.json"))) if folder().is_dir() else ()


def load(key: str) -> FittedPopulation:
    path = folder() / f"{key}.json"
    if not path.is_file():
        raise ConfigError(f"no fitted people {key} in {folder()}: pass the file with --answers")
    return FittedPopulation.from_json(path.read_text(encoding="utf-8"), str(path))
