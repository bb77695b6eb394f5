"""When a person's limits leave no recourse: what would have to change. For each feature their
rules hold fixed (a fact about their past, not the dataset's immutables, and never the outcome
label), the same limits with that one feature free are searched, so the page can say which locked feature stands in the way,
show what unlocking it would suggest, and offer to unlock it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from hare.candidates import reach_target
from hare.live.formatting import Change, changes
from hare.live.profile import Preferences
from hare.live.run import LiveRun, make_live_generator, probability
from hare.rng import user_keys

# Probes use Growing Spheres: the nearest point the model accepts within the limits, found in
# ~20 ms, where the page's generator may take a second and fail for reasons of its own.
PROBE = "gs"


@dataclass(frozen=True)
class Unlock:
    """A way out of "no recourse": let ``feature`` change (None: keep the limits and use
    ``generator``), which finds ``example`` at ``probability`` ≥ the target."""

    feature: str | None  # column name
    generator: str
    example: tuple[Change, ...]
    probability: float


def _probe(run: LiveRun, preferences: Preferences, generator: str) -> Unlock | None:
    """The example recourse ``generator`` finds under ``preferences`` for the run's person,
    pushed to the run's target, or None."""
    ds, model, x = run.dataset, run.model, run.x
    space = preferences.action_space(ds)
    search = make_live_generator(generator).fit(ds, model, space, run.config.model_seed)
    r = search.generate(x, user_keys(run.seed, torch.arange(1)))
    r = reach_target(model, x, r, space, run.config.target)[0]
    if bool(torch.isnan(r).any()):
        return None
    # as a person would be told it: whole units where that still clears the target
    snapped = torch.from_numpy(ds.encoder.snap_whole(x.numpy(), r[None].numpy())[0]).to(r.dtype)
    if (float(probability(model, snapped)) >= run.config.target
            and bool(space.is_actionable(x[0], snapped))):
        r = snapped
    return Unlock(None, generator, tuple(changes(ds, x[0].numpy(), r.numpy())),
                  float(probability(model, r)))


def ways_out(run: LiveRun) -> list[Unlock]:
    """For a run with no recourse (empty otherwise): another search within the same limits,
    if the probe finds one there; else each held-fixed feature whose unlocking alone lets the
    probe reach the target, in the dataset's feature order."""
    if not run.failed:
        return []
    if run.config.generator != PROBE and (found := _probe(run, run.preferences, PROBE)):
        return [found]
    out = []
    for feature in run.preferences.frozen:
        if run.dataset.spec.fact(feature).people == "label":
            continue  # what the model predicts is never a feature to change

        unlocked = replace(run.preferences,
                           frozen=tuple(f for f in run.preferences.frozen if f != feature))
        found = _probe(run, unlocked, PROBE)
        if found is not None:
            out.append(replace(found, feature=feature))
    order = list(run.dataset.feature_names)
    return sorted(out, key=lambda u: order.index(u.feature))
