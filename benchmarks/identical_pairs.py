"""Share of comparison questions that show two identical options, under the paper's counting
and under the counting for people (SPEC §5), with simulated users at B 30 / T 5 (GS, ANN).

    python benchmarks/identical_pairs.py [--users 50] [--seeds 0 1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hare.actions import ActionSpace  # noqa: E402
from hare.data import DATASETS, load_dataset  # noqa: E402
from hare.generators import make_generator  # noqa: E402
from hare.models import load_or_train, negative_factuals  # noqa: E402
from hare.rng import user_keys  # noqa: E402
from hare.session import HareSession, HareSettings  # noqa: E402
from hare.users import SimulatedUser, simulate_ground_truth  # noqa: E402


def count(session: HareSession, user: SimulatedUser) -> tuple[int, int, int]:
    """(comparisons asked, of them identical, comparisons skipped) over the whole batch."""
    asked = identical = 0
    while (q := session.next_question()) is not None:
        if q.kind == "compare":
            asked += len(q.users)
            identical += int(torch.isclose(q.current, q.challenger, atol=1e-9).all(-1).sum())
        session.answer(user.answer(q))
    return asked, identical, int(session.result().skipped.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| dataset | counting | comparisons asked | identical pairs | share | skipped (free) |")
    print("|---|---|---:|---:|---:|---:|")
    for name in DATASETS:
        ds = load_dataset(name)
        model = load_or_train(ds, "ann", 0).model
        space = ActionSpace.for_dataset(ds)
        idx = negative_factuals(model, ds, args.users)
        x = ds.x_test[idx]
        gen = make_generator("gs").fit(ds, model, space, 0)
        for counting in ("paper", "people"):
            totals = [0, 0, 0]
            for seed in args.seeds:
                keys = user_keys(seed, idx)
                r0 = gen.generate(x, keys)
                truth = simulate_ground_truth(model, x, space, "far", keys)
                settings = HareSettings(30, 5, counting=counting)  # τ 0.5: only the rule differs
                result = count(HareSession(model, x, r0, space, settings, keys),
                               SimulatedUser(truth.recourse, keys))
                totals = [a + b for a, b in zip(totals, result)]
            asked, same, skipped = totals
            print(f"| {name} | {counting} | {asked} | {same} | {same / max(asked, 1):.1%} | {skipped} |")


if __name__ == "__main__":
    main()
