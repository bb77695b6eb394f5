"""How a simulated person errs when answering: the noise models and the one range each one's
parameter may take (the run schema checks it at the edge, the simulated users and the kinds of
person in the engine)."""

from __future__ import annotations

from dataclasses import dataclass

from hare.errors import ConfigError


@dataclass(frozen=True)
class NoiseModel:
    """How a simulated user errs, and the one range its parameter may take (checked by the
    run schema at the edge and by :class:`SimulatedUser` alike)."""

    parameter: str  # what noise_param means, for people ("" when it takes none)
    minimum: float = 0.0
    maximum: float = 0.0
    above_minimum: bool = False  # the minimum itself is excluded (β > 0)

    def check(self, name: str, value: float) -> None:
        if not self.parameter:
            return  # unused: normalised away
        low_ok = value > self.minimum if self.above_minimum else value >= self.minimum
        if not (low_ok and value <= self.maximum):
            raise ConfigError(f"noise_param for {name} is {self.describe()} (got {value:g})")

    def describe(self) -> str:
        if self.above_minimum:
            return f"{self.parameter} > {self.minimum:g}"
        return f"{self.parameter} from {self.minimum:g} to {self.maximum:g}"


# A flip probability above 0.5 would make answers more wrong than right: the user would be an
# adversary, not a noisy person.
NOISE: dict[str, NoiseModel] = {
    "none": NoiseModel(""),
    "bernoulli": NoiseModel("a flip probability", 0.0, 0.5),
    "logistic": NoiseModel("β", 0.0, 1e6, above_minimum=True),
}
NOISE_MODELS = tuple(NOISE)
