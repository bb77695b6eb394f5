"""``hare recourse`` checked as a person's card must hold: for refused people A-B of each dataset
(simulated answers), every card complete, every comparison in its transcript two different
options, no option against the card's own rules, and the final probability at or above the
target, or a "no recourse" with its reason.

    python benchmarks/recourse_cards.py [--rows 0-19] [--model ann] [--generator gs]
                                        [--method hare active]

Prints one line per (dataset, method) and exits 1 if any card breaks a rule.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from hare.data import DATASETS  # noqa: E402

CARD_FIELDS = {"approved", "target_probability", "probability_before", "probability_after",
               "profile", "recourse", "no_recourse_reason", "transcript", "settings", "seed",
               "row", "time", "version"}


@dataclass
class Tally:
    cards: int = 0
    approved: int = 0
    no_recourse: int = 0
    comparisons: int = 0
    identical: int = 0
    problems: list[str] = field(default_factory=list)


def against_rules(card: dict, immutable: set[str]) -> list[str]:
    """Columns of every option shown (and of the recourse) that break the card's own rules."""
    settings, profile = card["settings"], card["profile"]
    options = [o for step in card["transcript"] for o in step["options"]]
    options += [card["recourse"]] if card["recourse"] else []
    out = []
    for option in options:
        for column, value in option.items():
            rule = settings["directions"].get(column)
            before = profile[column]
            if ((rule == "only up" and value < before) or (rule == "only down" and value > before)
                    or ((column in settings["will_not_change"] or column in immutable)
                        and value != before)):
                out.append(f"{column} {before} -> {value}")
    return out


def check(card: dict, tally: Tally, immutable: set[str]) -> None:
    """Add one card to ``tally``, noting every rule it breaks."""
    tally.cards += 1
    who = f"row {card.get('row')}"
    missing = CARD_FIELDS - set(card)
    if missing:
        tally.problems.append(f"{who}: missing {sorted(missing)}")
        return
    for step in card["transcript"]:
        if step["kind"] == "compare":
            tally.comparisons += 1
            tally.identical += step["options"][0] == step["options"][1]
    for broken in against_rules(card, immutable):
        tally.problems.append(f"{who}: against the rules: {broken}")
    if card["approved"]:
        tally.approved += 1
        if card["probability_after"] < card["target_probability"]:
            tally.problems.append(f"{who}: approved below the target")
    elif card["recourse"] is None and card["no_recourse_reason"]:
        tally.no_recourse += 1
    else:
        tally.problems.append(f"{who}: neither approved nor a reason for no recourse")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="0-19")
    parser.add_argument("--model", default="ann")
    parser.add_argument("--generator", default="gs")
    parser.add_argument("--method", nargs="+", default=["hare", "active"])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    args = parser.parse_args()
    failed = False
    for dataset in args.datasets:
        immutable = set(DATASETS[dataset].immutable)
        for method in args.method:
            out = subprocess.run(
                [sys.executable, "-m", "hare", "recourse", "--dataset", dataset, "--model",
                 args.model, "--generator", args.generator, "--rows", args.rows, "--answers",
                 "simulated", "--json", "--method", method],
                capture_output=True, text=True, check=True).stdout
            tally = Tally()
            for line in out.splitlines():
                check(json.loads(line), tally, immutable)
            failed |= bool(tally.problems or tally.identical)
            print(f"{dataset:7} {method:7} cards {tally.cards:3}  approved {tally.approved:3}  "
                  f"no recourse (with reason) {tally.no_recourse:3}  comparisons "
                  f"{tally.comparisons:4}  identical {tally.identical}  broken rules "
                  f"{len(tally.problems)}")
            for problem in tally.problems:
                print("   ", problem)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
