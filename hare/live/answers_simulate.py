"""Answers from simulated people, stored exactly as the live page stores a person's: each one a
LiveRun (the page's path: their rules, base recourse, questions as shown), answered by a kind
of simulated person (hare.user_models) from what is shown, so an analysis can be built and
tested before real people answer.

What can be batched is: the people's hidden parameters are drawn for all at once, and each
question is answered by the batch's oracle for that person.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from hare.actions import ActionSpace
from hare.data import load_dataset
from hare.errors import ConfigError
from hare.live.answers import AnswerRecord, AnswerStore, participant_id
from hare.live.costs import search_weights
from hare.live.profile import Preferences, encode_profile, profile_from_row
from hare.live.run import make_live_generator, start_live_run
from hare.live.setup import SessionConfig
from hare.models import load_or_train, negative_factuals
from hare.rng import user_keys
from hare.user_models import KINDS, Population, draw_parameters
from hare.users import SCALES, SimulatedUser, simulate_ground_truth


TRIES = 4  # refused people tried per session asked for (some have no recourse for people)


@dataclass(frozen=True)
class Share:
    """One kind of simulated person and its share of the sessions."""

    kind: str
    share: float


def parse_mixture(text: str) -> tuple[Share, ...]:
    """"ground_truth" or "ground_truth:0.5,weighted_cost:0.5" -> the shares (summing to 1)."""
    shares = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, weight = part.partition(":")
        if kind not in KINDS:
            raise ConfigError(f"unknown user model {kind!r} (valid: {', '.join(KINDS)})")
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            raise ConfigError(f"--user-model {part!r}: the share after ':' must be a number") from None
        if value <= 0:
            raise ConfigError(f"--user-model {part!r}: a share must be positive")
        shares.append(Share(kind, value))
    if not shares:
        raise ConfigError("--user-model names no user model")
    total = sum(s.share for s in shares)
    return tuple(Share(s.kind, s.share / total) for s in shares)


def assign(shares: tuple[Share, ...], n: int) -> list[str]:
    """Each of ``n`` sessions' kind: each kind's count its share of ``n`` (largest remainders),
    spread evenly through the sessions so that a shorter run keeps the shares too."""
    exact = [s.share * n for s in shares]
    counts = [int(e) for e in exact]
    for i in sorted(range(len(shares)), key=lambda i: counts[i] - exact[i])[:n - sum(counts)]:
        counts[i] += 1
    slots = [((j + 0.5) / c, i) for i, c in enumerate(counts) for j in range(c)]
    return [shares[i].kind for _, i in sorted(slots)]


@dataclass(frozen=True)
class SimulationSettings:
    """What the simulated sessions share: the page's session settings and the people's noise."""

    dataset: str = "adult"
    sessions: int = 20
    beta: float = 20.0  # logistic noise: P(prefer B) = σ(β·(cost(A) − cost(B)))
    budget: int = 6
    rounds: int = 2
    method: str = "hare"
    model: str = "ann"
    generator: str = "gs"
    scale: str = "far"
    seed: int = 0
    # features the simulated people say they can change though the spec holds them fixed for
    # people (as a person does on the page by choosing "can change")
    unlock: tuple[str, ...] = ()

    def __post_init__(self):
        if self.sessions < 1:
            raise ConfigError("--sessions must be at least 1")
        if not self.beta > 0:
            raise ConfigError("--beta must be positive")
        columns = load_dataset(self.dataset).feature_names
        unknown = [f for f in self.unlock if f not in columns]
        if unknown:
            raise ConfigError(f"--unlock: {', '.join(unknown)} not a column of {self.dataset} "
                              f"(columns: {', '.join(columns)})")


def simulate(settings: SimulationSettings, shares: tuple[Share, ...], store: AnswerStore,
             progress=None) -> int:
    """Run ``settings.sessions`` simulated people through the live path and store each session
    as the page does (``respondent`` "simulated:<kind>"); returns the answers stored.

    The people are the model's first refused test rows under the spec's rules for people; one
    with no recourse within them is passed over (a session with nothing to ask holds no
    answer), up to ``TRIES`` candidates per session asked for."""
    ds = load_dataset(settings.dataset)
    model = load_or_train(ds, settings.model, SessionConfig.model_seed).model
    rows = negative_factuals(model, ds, TRIES * settings.sessions)
    x = ds.x_test[rows]
    keys = user_keys(settings.seed, torch.arange(len(rows)))
    space = ActionSpace.for_dataset(ds)
    truth = simulate_ground_truth(model, x, space, settings.scale, keys)
    kinds = assign(shares, settings.sessions)
    population = Population(model, x, space, truth.recourse, keys, search_weights(ds, {}),
                            SCALES[settings.scale])
    oracles = {kind: SimulatedUser(truth.recourse, keys, "logistic", settings.beta, None,
                                   factual=x, kind=kind,
                                   params=draw_parameters(kind, population))
               for kind in dict.fromkeys(kinds)}
    generators: dict[Preferences, object] = {}
    stored, done = 0, 0
    for i, row in enumerate(rows.tolist()):
        if done == settings.sessions:
            break
        kind = kinds[done]
        profile = profile_from_row(ds, row)
        prefs = Preferences.for_people(ds, profile)
        prefs = dataclasses.replace(prefs, frozen=tuple(f for f in prefs.frozen
                                                        if f not in settings.unlock))
        if prefs not in generators:
            generators[prefs] = make_live_generator(settings.generator).fit(
                ds, model, prefs.action_space(ds), SessionConfig.model_seed)
        config = SessionConfig(settings.dataset, settings.model, settings.generator,
                               method=settings.method, budget=settings.budget,
                               rounds=settings.rounds, seed=settings.seed * 100_003 + i)
        run = start_live_run(config, ds, model, generators[prefs], encode_profile(ds, profile),
                             prefs, row)
        if run.done:
            continue  # no recourse within this person's rules: nothing to ask
        person = torch.tensor([i])
        while (q := run.pending) is not None:
            shown = dataclasses.replace(
                q, users=person, current=run.as_displayed(q.current),
                challenger=None if q.challenger is None else run.as_displayed(q.challenger))
            run.answer(bool(oracles[kind].answer(shown)[0]))
        store.write(AnswerRecord.of(
            run, status="completed", participant=participant_id(f"sim-{settings.seed}-{i}"),
            respondent=f"simulated:{kind}"))
        stored += len(run.events)
        done += 1
        if progress is not None:
            progress(done, settings.sessions)
    if done < settings.sessions:
        raise ConfigError(f"only {done} of the first {len(rows)} refused people of "
                          f"{settings.dataset} have a recourse within the rules for people: "
                          f"ask for fewer sessions")
    return stored
