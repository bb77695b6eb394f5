"""How a person's session ends, honestly: the plans they saw side by side, and what would have
to be loosened when none of them works for them (or nothing within their limits reaches the
target)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from hare.live.costs import ChangeCost, duration, plan_effort, plan_months, plan_sentence
from hare.live.formatting import format_value, label


@dataclass(frozen=True)
class Plan:
    """One option the person was shown, as a plan: its changes with their cost."""

    changes: tuple[ChangeCost, ...]
    probability: float

    @property
    def sentence(self) -> str:
        return plan_sentence(list(self.changes))

    @property
    def months(self) -> float:
        return plan_months(list(self.changes))

    @property
    def time(self) -> str:
        return duration(self.months)

    @property
    def effort_weeks(self) -> float:
        return plan_effort(list(self.changes))


def seen_points(run) -> list[torch.Tensor]:
    """(d,) every distinct option the person was shown, the one they preferred last first,
    then the others they preferred, then the rest (in the order shown)."""
    x = run.x[0]
    preferred, others = [], []
    for event in reversed(run.events):
        points = [x + torch.tensor(c, dtype=x.dtype) for c in event.changes]
        if event.kind == "compare":
            chosen = 1 if event.choice else 0
            preferred.append(points[chosen])
            others.append(points[1 - chosen])
        else:
            preferred.append(points[0])
    out: list[torch.Tensor] = []
    for point in preferred + others[::-1]:
        if not any(torch.equal(point, seen) for seen in out):
            out.append(point)
    return out


def best_plans(run, n: int = 3) -> list[Plan]:
    """The best ``n`` options the person saw (the last preferred first), each as a plan."""
    plans = []
    for point in seen_points(run)[:n]:
        with torch.no_grad():
            chance = float(run.model(point))
        plans.append(Plan(tuple(run.change_costs(point)), chance))
    return plans


def what_to_loosen(run) -> list[str]:
    """The limits that hold the person's best options back, in words: a range a change stops
    at, the most changes allowed, what they hold fixed, and the target."""
    ds, p = run.dataset, run.preferences
    ranges = {f: (lo, hi) for f, lo, hi in p.ranges}
    out = []
    for plan in best_plans(run):
        for change in plan.changes:
            bound = ranges.get(change.column)
            if bound is None or change.column in ds.spec.categorical:
                continue
            lo, hi = bound
            for edge, word in ((hi, "highest"), (lo, "lowest")):
                if abs(float(change.after) - edge) < 1e-6:
                    text = (f"the {word} {label(ds, change.column).lower()} you allow "
                            f"({format_value(ds, change.column, edge)})")
                    if text not in out:
                        out.append(text)
        if p.max_changes is not None and len(plan.changes) >= p.max_changes:
            text = f"the most features changed at once ({p.max_changes})"
            if text not in out:
                out.append(text)
    held = [label(ds, f).lower() for f in p.frozen
            if ds.spec.fact(f).people not in ("history", "label")]
    if held:
        out.append("what you hold fixed: " + ", ".join(held))
    for column, level in p.difficulty:
        if level == "hard":
            out.append(f"how hard you said {label(ds, column).lower()} is to change")
    out.append(f"the target ({run.config.target:.0%})")
    return out
