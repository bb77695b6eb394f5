"""Active HARE against Multi-HARE for kinds of simulated people that the engine does not name:
a check that the method holds beyond the eight kinds it was built and measured with.

    python benchmarks/active_unseen.py --users 150 --seeds 0 --workers 2

The kinds live in this script only (registered for its own process, never in hare.user_models):

- ``quadratic_cost``: the cheaper option by a weighted sum of *squared* changes (weights
  uniform in (0, 1]): a large change of one feature is harder than small changes of several;
- ``l1_ideal``: nearer the shipped hidden recourse in L1 (the sum of per-feature gaps);
- ``smallest_largest_change``: the option whose largest single change from the factual is
  smaller, then the smaller L2 change;
- ``priority``: a personal order of the mutable features, each ten times as costly to change as
  the next (nearly lexicographic);
- ``ideal_and_cost``: half the L2 distance to the hidden recourse, half a weighted cost.

Per kind and budget (B 10, B 30; Multi-HARE with people counting, T 2 and T 5; active HARE's
B 10 is the first round of its B 30 session, as in the sweeps), noise-free: active HARE's mean
own cost ÷ Multi-HARE's, the worst cell, cells above 1, and the shares of people for whom active
HARE ends worse than Multi-HARE, costlier than their base recourse, and costlier than the best
option they picked in the session. ANN and LR × Growing Spheres and Wachter × the three
datasets. ``--named`` runs the engine's eight named kinds beside them (drawn as the sweeps draw
them), for that last share.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import os
import sys
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from hare.active import ActiveHareSession  # noqa: E402
from hare.actions import ActionSpace  # noqa: E402
from hare.bench.config import RunConfig  # noqa: E402
from hare.bench.runner import RunContext, _simulated_users  # noqa: E402
from hare.data import load_dataset  # noqa: E402
from hare.live.costs import search_weights  # noqa: E402
from hare.models import negative_factuals  # noqa: E402
from hare.rng import keyed_uniform, stream, user_keys  # noqa: E402
from hare.session import HareSession, run_to_end  # noqa: E402
from hare.user_models import KINDS, USER_KINDS, UserKind, _per_user, _squash  # noqa: E402
from hare.users import SimulatedUser  # noqa: E402


def _quadratic(r, x, p):
    return ((r - _per_user(x, r)) ** 2 * _per_user(p["weights"], r)).sum(-1)


def _l1(r, x, p):
    return (r - _per_user(p["ideal"], r)).abs().sum(-1)


def _largest(r, x, p):
    moved = (r - _per_user(x, r)).abs()
    return moved.amax(-1) + 1e-3 * _squash(moved.norm(dim=-1))


def _priority(r, x, p):
    return ((r - _per_user(x, r)).abs() * _per_user(p["weights"], r)).sum(-1)


def _ideal_and_cost(r, x, p):
    return 0.5 * (r - _per_user(p["ideal"], r)).norm(dim=-1) \
        + 0.5 * ((r - _per_user(x, r)).abs() * _per_user(p["weights"], r)).sum(-1)


UNSEEN = {
    "quadratic_cost": _quadratic, "l1_ideal": _l1, "smallest_largest_change": _largest,
    "priority": _priority, "ideal_and_cost": _ideal_and_cost,
}
_STREAM = stream("user_kinds", 900)  # draws of this script's own, apart from the engine's


def _parameters(kind: str, x: torch.Tensor, space: ActionSpace, ideal: torch.Tensor,
                keys: torch.Tensor) -> dict:
    d = x.shape[-1]
    weights = torch.where(space.mutable,
                          keyed_uniform(keys, _STREAM, (d,)).to(x.dtype).clamp_min(1e-3), 0.0)
    if kind == "priority":  # a random order of the mutable features, 10× apart
        order = torch.where(space.mutable, keyed_uniform(keys, _STREAM + 1, (d,)), 2.0)
        rank = order.argsort(-1).argsort(-1).to(x.dtype)
        weights = torch.where(space.mutable, 10.0 ** (-rank), 0.0)
    return {"weights": weights, "ideal": ideal}


def _best_pick(session: ActiveHareSession, user: SimulatedUser,
               index: torch.Tensor) -> torch.Tensor:
    """(N,) each person's own cost of the best option they picked so far, or of their base
    recourse where that is lower: what a consistent person should not end above."""
    best = user.score(session.r0, index)
    for t in range(int(session.compares.max())):
        pick = torch.where(session.hist_ans[:, t:t + 1], session.hist_b[:, t],
                           session.hist_a[:, t])
        best = torch.where(session.hist_used[:, t],
                           torch.minimum(best, user.score(pick, index)), best)
    return best


def _cell(args: tuple) -> list[dict]:
    dataset_name, model_name, generator, seed, users, kinds = args
    torch.set_num_threads(1)
    for name, cost in UNSEEN.items():
        KINDS.setdefault(name, UserKind(name, name, (), cost))
    base_cfg = RunConfig(dataset_name, model_name, generator, "base", users=users,
                         seed=seed).normalised()
    ctx = RunContext()
    dataset = load_dataset(dataset_name)
    model = ctx.model(base_cfg, dataset).model
    rows = negative_factuals(model, dataset, users)
    x = dataset.x_test[rows]
    index = torch.arange(len(rows))
    keys = user_keys(seed, index)
    space = ActionSpace.for_dataset(dataset)
    r0 = ctx.base_recourse(base_cfg, dataset, model, space, x, keys).value
    truth = ctx.ground_truth(base_cfg, model, space, x, keys).value
    run = dict(dataset=dataset_name, model=model_name, generator=generator, users=users,
               seed=seed)
    multi = {b: RunConfig(**run, variant="multi_hare", budget=b, iterations=t,
                          counting="people").normalised().hare_settings()
             for b, t in ((10, 2), (30, 5))}
    active = RunConfig(**run, variant="active_hare", budget=30,
                       iterations=3).normalised().hare_settings()
    out = []
    for kind in kinds:
        if kind in UNSEEN:
            user = SimulatedUser(truth.recourse, keys, factual=x, kind=kind,
                                 params=_parameters(kind, x, space, truth.recourse, keys))
        else:  # a named kind, drawn as the sweeps draw it
            user = _simulated_users(RunConfig(**run, variant="base", user_model=kind).normalised(),
                                    dataset, model, space, x, truth, keys)
        base = user.score(torch.nan_to_num(r0), index)
        session = ActiveHareSession(model, x, r0, space, active, keys,
                                    cost_prior=search_weights(dataset, {}))
        found, picked = {}, {}
        while (question := session.next_question()) is not None:
            session.answer(user.answer(question))
            if question.kind == "accept" and question.iteration == 1:
                found[10] = session.result().recourse
                picked[10] = _best_pick(session, user, index)
        found[30] = session.result().recourse
        picked[30] = _best_pick(session, user, index)
        for budget, settings in multi.items():
            theirs = run_to_end(HareSession(model, x, r0, space, settings, keys), user).recourse
            ours, best_pick = found.get(budget, found[30]), picked.get(budget, picked[30])
            both = ~(torch.isnan(ours).any(-1) | torch.isnan(theirs).any(-1)
                     | torch.isnan(r0).any(-1))
            out.append(dict(dataset=dataset_name, model=model_name, generator=generator,
                            seed=seed, kind=kind, budget=budget,
                            active=user.score(ours, index)[both].tolist(),
                            multi=user.score(theirs, index)[both].tolist(),
                            base=base[both].tolist(), picked=best_pick[both].tolist()))
    return out


def table(records: list[dict]) -> pd.DataFrame:
    people = pd.DataFrame(records).explode(["active", "multi", "base", "picked"])
    for column in ("active", "multi", "base", "picked"):
        people[column] = people[column].astype(float)
    higher = lambda a, b: a > b * (1 + 1e-6) + 1e-9  # noqa: E731
    rows = []
    for (kind, budget), g in people.groupby(["kind", "budget"]):
        cells = g.groupby(["dataset", "model", "generator"]).apply(
            lambda c: c["active"].mean() / c["multi"].mean())
        rows.append(dict(kind=kind, B=budget, ratio=g["active"].mean() / g["multi"].mean(),
                         worst_cell=cells.max(), cells_above_1=f"{(cells > 1).sum()}/{len(cells)}",
                         worse_than_multi=higher(g["active"], g["multi"]).mean(),
                         costlier_than_base=higher(g["active"], g["base"]).mean(),
                         costlier_than_a_pick=higher(g["active"], g["picked"]).mean()))
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--datasets", nargs="+", default=["adult", "compas", "credit"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--named", action="store_true",
                        help="also the engine's eight named kinds (for the share of people who "
                             "end costlier than an option they picked)")
    args = parser.parse_args()
    kinds = tuple(UNSEEN) + (tuple(USER_KINDS) if args.named else ())
    cells = list(itertools.product(args.datasets, ["ann", "lr"],
                                   ["gs", "wachter"], args.seeds, [args.users], [kinds]))
    with mp.get_context("spawn").Pool(args.workers) as pool:
        records = [r for part in pool.imap_unordered(_cell, cells) for r in part]
    with pd.option_context("display.width", 200):
        print(table(records).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
