"""Advice a refused person can act on, measured: ``hare recourse`` with the people defaults
(the cost model's limits, at most 3 changes, simulated answers) for refused people A-B of each
dataset and each base generator.

    python benchmarks/actionable_advice.py [--rows 0-29] [--model ann] [--generators gs wachter face]

Prints, per dataset and generator: the share of refused people with a recourse within their
limits, the median features changed and the median time of the plan, and every card that
breaks a rule (a change outside its own stated limits, a locked feature or the outcome label
changed, a change without its time and effort, a pair asked twice). Exits 1 if any card breaks
one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from hare.data import DATASETS, load_dataset  # noqa: E402
from hare.live.profile import profile_from_row, refused_people  # noqa: E402
from hare.live.setup import SessionConfig  # noqa: E402
from hare.live.terminal import run_person  # noqa: E402
from hare.models import load_or_train  # noqa: E402


def broken(card: dict, immutable: set[str]) -> list[str]:
    """What in one card breaks its own limits or the people rules."""
    out = []
    limits = card["settings"]["limits"]
    held = {f["feature"] for f in limits["will_not_change"]} | immutable
    ranges = {r["feature"]: (r["lowest"], r["highest"]) for r in limits["ranges"]}
    for column, change in card["changes"].items():
        if column in held:
            out.append(f"{column} changed though held fixed")
        lo, hi = ranges.get(column, (None, None))
        if lo is not None and not lo - 1e-6 <= change["after"] <= hi + 1e-6:
            out.append(f"{column} {change['after']} outside {lo}-{hi}")
        if not change.get("time") or not change.get("effort"):
            out.append(f"{column} without its time or effort")
        direction = limits["directions"].get(column)
        if (direction == "only up" and change["after"] < change["before"]) or (
                direction == "only down" and change["after"] > change["before"]):
            out.append(f"{column} against {direction}")
    if limits["max_changes"] is not None and len(card["changes"]) > limits["max_changes"]:
        out.append(f"{len(card['changes'])} changes, above {limits['max_changes']}")
    pairs = set()
    for step in card["transcript"]:
        if step["kind"] != "compare":
            continue
        a, b = (tuple(sorted(o.items())) for o in step["options"])
        pair = frozenset((a, b))
        if a == b or pair in pairs:
            out.append(f"pair asked twice in round {step['round']}")
        pairs.add(pair)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", default="0-29")
    p.add_argument("--model", default="ann")
    p.add_argument("--generators", nargs="+", default=["gs", "wachter", "face"])
    p.add_argument("--datasets", nargs="+", default=list(DATASETS))
    args = p.parse_args()
    a, b = (int(v) for v in args.rows.split("-"))
    failures = 0
    print(f"{'dataset':8} {'generator':9} {'people':>6} {'within limits':>14} "
          f"{'median changes':>15} {'median months':>14} {'seconds':>8}")
    for name in args.datasets:
        dataset = load_dataset(name)
        model = load_or_train(dataset, args.model, 0).model
        listed = refused_people(dataset, model)
        immutable = set(dataset.spec.immutable)
        for generator in args.generators:
            config = SessionConfig(dataset=name, model=args.model, generator=generator)
            start = time.perf_counter()
            cards = [run_person(config, dataset, model, profile_from_row(dataset, listed[n]),
                                listed[n]).card() for n in range(a, b + 1)]
            seconds = time.perf_counter() - start
            found = [c for c in cards if c["approved"]]
            changes = [len(c["changes"]) for c in found]
            months = [c["plan"]["months"] for c in found]
            print(f"{name:8} {generator:9} {len(cards):6d} {len(found) / len(cards):14.0%} "
                  f"{statistics.median(changes) if changes else float('nan'):15.1f} "
                  f"{statistics.median(months) if months else float('nan'):14.1f} "
                  f"{seconds:8.1f}", flush=True)
            for card in cards:
                for problem in broken(card, immutable):
                    failures += 1
                    print(f"  row {card['row']}: {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
