"""Does asking well beat the tournament? active_hare against HARE (T 1) and Multi-HARE (T 5).

For each (dataset, model, generator, seed) cell (ANN by default, far ground truth) it builds the
run exactly as hare.bench.runner.execute_run does (same factuals, keys, base recourses, ground
truths, oracles, metrics) and runs HARE B 30, Multi-HARE B 30 / T 5, active_hare B 30 and
active_hare B 10, for noiseless users and, on the ``--noisy`` datasets, Bernoulli 0.1, logistic
(β 10) and weighted-cost users. Prints one markdown row per cell and condition (GTP, GTD; the
weighted-cost users' own cost) and the ratios against Multi-HARE; ``--csv`` keeps the rows.

    python benchmarks/active_eval.py                     # Wachter and GS, 3 datasets, seed 0
    python benchmarks/active_eval.py --seeds 0 1 --noisy compas adult --csv active.csv
    python benchmarks/active_eval.py --models lr --noisy # the LR cells
    python benchmarks/active_eval.py --latency           # one person's server time per question
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from hare.actions import ActionSpace  # noqa: E402
from hare.active import ActiveHareSession, ActiveSettings  # noqa: E402
from hare.bench.runner import _preference_weights  # noqa: E402
from hare.data import load_dataset  # noqa: E402
from hare.generators import make_generator  # noqa: E402
from hare.metrics import compute_metrics  # noqa: E402
from hare.models import load_or_train, negative_factuals  # noqa: E402
from hare.rng import user_keys  # noqa: E402
from hare.session import HareSession, HareSettings, run_to_end  # noqa: E402
from hare.users import SimulatedUser, simulate_ground_truth  # noqa: E402

CONDITIONS = {  # name: SimulatedUser keyword arguments (weights are filled in per cell)
    "noiseless": {},
    "bernoulli 0.1": dict(noise="bernoulli", noise_param=0.1),
    "logistic 10": dict(noise="logistic", noise_param=10.0),
    "weighted cost": dict(weights=True),
}
VARIANTS = ("hare B30", "multi_hare B30", "active B30", "active B10")


def _session(variant: str, model, x, r0, space, keys):
    if variant == "hare B30":
        return HareSession(model, x, r0, space, HareSettings(30, 1), keys)
    if variant == "multi_hare B30":
        return HareSession(model, x, r0, space, HareSettings(30, 5), keys)
    budget = int(variant.split("B")[1])
    return ActiveHareSession(model, x, r0, space, ActiveSettings(budget=budget), keys)


def run_cell(dataset_name: str, kind: str, generator: str, seed: int, users: int,
             conditions: list[str]) -> list[dict]:
    """All variants × conditions of one (dataset, model kind, generator, seed) cell, far scale."""
    dataset = load_dataset(dataset_name)
    model = load_or_train(dataset, kind, seed).model
    rows = negative_factuals(model, dataset, users)
    x = dataset.x_test[rows]
    index = torch.arange(len(rows))
    keys = user_keys(seed, index)
    space = ActionSpace.for_dataset(dataset)
    r0 = make_generator(generator).fit(dataset, model, space, seed).generate(x, keys)
    truth = simulate_ground_truth(model, x, space, "far", keys).recourse
    out = []
    for condition in conditions:
        kwargs = dict(CONDITIONS[condition])
        if kwargs.pop("weights", False):
            kwargs.update(factual=x, weights=_preference_weights(keys, space))
        oracle = SimulatedUser(truth, keys, **kwargs)
        for variant in VARIANTS:
            started = time.perf_counter()
            result = run_to_end(_session(variant, model, x, r0, space, keys), oracle)
            seconds = time.perf_counter() - started
            m = compute_metrics(model, x, result.recourse, truth, dataset.immutable_mask)
            cost = oracle.score(torch.nan_to_num(result.recourse), index)[m.valid]
            out.append(dict(dataset=dataset_name, model=kind, generator=generator, seed=seed,
                            condition=condition, variant=variant, users=len(rows),
                            success=float(m.valid.float().mean()), gtp=float(m.gtp.nanmean()),
                            gtd=float(m.gtd.nanmean()), user_cost=float(cost.mean()),
                            queries=float(result.queries.float().mean()), seconds=seconds))
            print(f"  {dataset_name} {kind} {generator} seed {seed} {condition:14s} {variant:15s} "
                  f"GTP {out[-1]['gtp']:.3f} GTD {out[-1]['gtd']:.3f} "
                  f"cost {out[-1]['user_cost']:.3f} ({seconds:.1f} s)", flush=True)
    return out


def latency(dataset_name: str, people: int = 20) -> str:
    """Server time per question for one person (a batch of one), as the app would see it:
    ``next_question`` plus the ``answer`` that precedes it, over whole B 30 sessions."""
    dataset = load_dataset(dataset_name)
    model = load_or_train(dataset, "ann", 0).model
    x = dataset.x_test[negative_factuals(model, dataset, people)]
    keys = user_keys(0, torch.arange(len(x)))
    space = ActionSpace.for_dataset(dataset)
    r0 = make_generator("gs").fit(dataset, model, space, 0).generate(x, keys)
    truth = simulate_ground_truth(model, x, space, "far", keys).recourse
    first, later = [], []
    for i in range(len(x)):  # one person at a time, on purpose: this measures a person's wait
        one = slice(i, i + 1)
        oracle = SimulatedUser(truth[one], keys[one])
        started = time.perf_counter()
        session = ActiveHareSession(model, x[one], r0[one], space, ActiveSettings(), keys[one])
        question = session.next_question()
        first.append(time.perf_counter() - started)
        while question is not None:
            answer = oracle.answer(question)
            started = time.perf_counter()
            session.answer(answer)
            question = session.next_question()
            later.append(time.perf_counter() - started)
    first_ms, later_ms = torch.tensor(first) * 1e3, torch.tensor(later) * 1e3
    return (f"{dataset_name}: first question (session set-up included) median "
            f"{first_ms.median():.0f} ms, max {first_ms.max():.0f} ms; each later question median "
            f"{later_ms.median():.1f} ms, p95 {later_ms.quantile(0.95):.1f} ms, max "
            f"{later_ms.max():.1f} ms ({len(later)} questions, {len(x)} people)")


def summarise(df: pd.DataFrame) -> str:
    """Per cell and condition (means over seeds) and the ratios against Multi-HARE B 30."""
    cells = df.groupby(["condition", "dataset", "model", "generator", "variant"])[
        ["gtp", "gtd", "user_cost"]].mean().unstack("variant")
    lines = ["| condition | dataset | model | generator | " + " | ".join(
        f"GTP {v}" for v in VARIANTS) + " | " + " | ".join(f"GTD {v}" for v in VARIANTS) + " |",
        "|---" * (4 + 2 * len(VARIANTS)) + "|"]
    for (condition, dataset, kind, generator), row in cells.iterrows():
        lines.append(f"| {condition} | {dataset} | {kind} | {generator} | " + " | ".join(
            f"{row[('gtp', v)]:.3f}" for v in VARIANTS) + " | " + " | ".join(
            f"{row[('gtd', v)]:.3f}" for v in VARIANTS) + " |")
    lines.append("")
    if "weighted cost" in cells.index.get_level_values("condition"):
        lines += ["Weighted-cost users, by their own cost (weighted L1 from the factual):", "",
                  "| dataset | model | generator | " + " | ".join(VARIANTS) + " |",
                  "|---" * (3 + len(VARIANTS)) + "|"]
        for (dataset, kind, generator), row in cells.loc["weighted cost"].iterrows():
            lines.append(f"| {dataset} | {kind} | {generator} | " + " | ".join(
                f"{row[('user_cost', v)]:.4f}" for v in VARIANTS) + " |")
        lines.append("")
    for condition, part in cells.groupby(level="condition"):
        mh = part.xs("multi_hare B30", axis=1, level="variant")
        for variant in ("active B30", "active B10"):
            act = part.xs(variant, axis=1, level="variant")
            metric = "user_cost" if condition == "weighted cost" else "gtp"
            ratio = {m: act[m].mean() / mh[m].mean() for m in ("gtp", "gtd", "user_cost")}
            lines.append(
                f"{condition}, {variant} / multi_hare B30: mean GTP {ratio['gtp']:.2f}×, "
                f"mean GTD {ratio['gtd']:.2f}×, mean user cost {ratio['user_cost']:.2f}×; "
                f"better {metric} in "
                f"{int((act[metric] < mh[metric]).sum())} of {len(act)} cells")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["adult", "compas", "credit"])
    parser.add_argument("--models", nargs="+", default=["ann"], choices=["ann", "lr"])
    parser.add_argument("--generators", nargs="+", default=["wachter", "gs"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--noisy", nargs="*", default=["compas"],
                        help="datasets that also get Bernoulli, logistic and weighted-cost users")
    parser.add_argument("--csv", type=Path, help="write the per-run rows here")
    parser.add_argument("--latency", action="store_true",
                        help="only measure one person's server time per question")
    args = parser.parse_args()
    from calibration import line  # this folder: the same run's measure of the machine
    print(line(), flush=True)
    torch.set_num_threads(1)
    if args.latency:
        for name in args.datasets:
            print(latency(name), flush=True)
        return
    rows = []
    for seed in args.seeds:
        for name in args.datasets:
            conditions = list(CONDITIONS) if name in args.noisy else ["noiseless"]
            for kind in args.models:
                for generator in args.generators:
                    rows += run_cell(name, kind, generator, seed, args.users, conditions)
    df = pd.DataFrame(rows)
    if args.csv:
        df.to_csv(args.csv, index=False)
    print(summarise(df))


if __name__ == "__main__":
    main()
