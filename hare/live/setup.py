"""A person's session, declared once: ``SessionConfig``.

Each field carries its :class:`hare.schema.Axis` (label, help, choices, the bounds a shared demo
allows, its default), and the faces derive from it: ``hare recourse``'s options
(hare.live.terminal), the live page's sidebar and its reading of what a person typed
(hare.live.form). The rules that join fields (a budget that splits into the rounds) are the
engine's: the config builds HareSettings or ActiveSettings and reports their refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hare.active import ActiveSettings
from hare.data import DATASETS
from hare.data.own import OWN_DATASET_NAME
from hare.errors import ConfigError
from hare.generators import generator_names
from hare.models import MODEL_KINDS, OWN_MODEL_NAME
from hare.schema import Schema, setting
from hare.session import COUNTING, HareSettings

# How the questions are chosen, in a person's words: HARE's tournament (the paper's,
# Multi-HARE when rounds > 1) or active HARE (hare/active.py), which learns where the person's
# preferred option lies.
METHODS = {"hare": "Tournament: the favourite so far against a new option (HARE, the paper)",
           "active": "Learns your preference: asks the most telling pair (active HARE)"}

# A person's rounds, in words, per method: what the engine's rules ask of budget and rounds.
_ROUNDS_RULE = {"hare": "equal rounds of at least 2 questions",
                "active": "rounds of at least 2 questions each"}


@dataclass(frozen=True)
class SessionConfig:
    """Everything that defines a person's session; validated when constructed (each field
    against its axis, then the engine's rules across fields).

    The bounds are what a shared demo allows one visitor: more questions or rounds would hold
    a core or memory long enough to slow everyone else down.
    """

    dataset: str = setting("adult", label="Dataset", help="the data whose model decides",
                           choices=lambda: tuple(DATASETS), pattern=OWN_DATASET_NAME)
    model: str = setting("ann", label="Model",
                         help="the classifier: ann (a neural network) or lr (logistic "
                              "regression), trained by HARE; with --data, a model file "
                              "(.skops or .onnx)",
                         choices=lambda: MODEL_KINDS, pattern=OWN_MODEL_NAME)
    generator: str = setting("gs", label="How the first option is found",
                             help="the base recourse generator the questions start from",
                             choices=generator_names)
    method: str = setting("hare", label="How the questions are chosen",
                          help="hare: a tournament, the favourite so far against one new option "
                               "each time (the paper); active: learns your preference, taking "
                               "every answer as a clue to what you would find easiest and asking "
                               "the pair that tells most (beyond the paper)",
                          choices=lambda: tuple(METHODS))
    budget: int = setting(10, label="Questions you will answer, at most",
                          help="the most questions asked; few, since the demo is shared",
                          minimum=2, maximum=40, noun="questions")
    rounds: int = setting(2, label="Rounds",
                          help="each round looks for new options around the favourite so far "
                               "and ends with 'good enough?'",
                          minimum=1, maximum=10, noun="rounds")
    target: float = setting(0.6, label="Target chance of a yes",
                            help="the model's probability a recourse must clear, not a coin flip",
                            minimum=0.5, maximum=0.95, unit="%")
    seed: int = setting(0, label="Seed",
                        help="seed of the candidates (and of a simulated person's answers); the "
                             "page draws a fresh one per session",
                        minimum=0, maximum=2**31 - 1)
    counting: str = setting("people", label="Counting",
                            help="people: every question a real choice (a comparison with "
                                 "nothing new is skipped, free); paper: as the paper counts, "
                                 "identical options included. The tournament only: active HARE "
                                 "always asks real choices",
                            choices=lambda: COUNTING)

    # Not a person's choice: every candidate a person sees is calibrated, and the classifier is
    # the benchmark's seed-0 one (the cached model the demo ships).
    bps: ClassVar[str] = "every"
    model_seed: ClassVar[int] = 0

    def __post_init__(self):
        self.schema().settle(self)
        try:
            self.settings()
        except ConfigError as exc:
            raise ConfigError(f"{self.budget} questions do not split into {self.rounds} "
                              f"{_ROUNDS_RULE[self.method]}: change one of them") from exc

    @classmethod
    def schema(cls) -> Schema:
        return Schema.of(cls)

    def settings(self) -> HareSettings | ActiveSettings:
        """The engine's rules for this session: HARE's tournament (B questions in ``rounds``
        equal rounds) or active HARE's (``rounds`` "good enough?" questions among B), every
        option clearing the target. ConfigError where budget and rounds do not fit together."""
        if self.method == "active":
            return ActiveSettings(budget=self.budget, rounds=self.rounds, target=self.target)
        return HareSettings(budget=self.budget, iterations=self.rounds, bps=self.bps,
                            counting=self.counting, target=self.target)
