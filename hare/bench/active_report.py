"""Active HARE against HARE and Multi-HARE, computed from a store's cells:
per (dataset, model, generator) at B 30, with fewer questions (B 10), against Multi-HARE under
the paper's counting and under people's (no charge for a comparison between identical options),
with noisy users whose parameters differ from the method's own, and for every kind of
simulated person (hare.user_models) by that person's own cost. Every number is a mean over the
cells the store holds; a comparison the store cannot make is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from hare import ENGINE_REVISION

from hare.bench import person_shares
from hare.bench.cells import preset_rows
from hare.bench.names import VALUE_NAMES
from hare.bench.summary import markdown_block
from hare.user_models import KINDS

CELL = ["dataset", "model", "generator"]
# The setting of Table 1 (far scale, noiseless users who hold a hidden recourse).
PLAIN = dict(scale="far", noise="none", user_model="ground_truth", counting="paper")


@dataclass(frozen=True)
class Arm:
    """One line of a comparison: which runs, in words and as a row filter."""

    label: str
    variant: str
    budget: int
    setting: dict


# The settings the preset runs active HARE in, as a person would name them.
SETTINGS = {
    "Table 1's setting (far, noiseless)": {},
    "30 % flipped answers": {"noise": "bernoulli", "noise_param": 0.3},
    "logistic users (β 5)": {"noise": "logistic", "noise_param": 5.0},
    "10 % flipped answers": {"noise": "bernoulli", "noise_param": 0.1},
    "logistic users (β 10)": {"noise": "logistic", "noise_param": 10.0},
    **{f"{VALUE_NAMES['user_model'].get(kind, kind)} users": {"user_model": kind}
       for kind in KINDS if kind != "ground_truth"},
    "near ground truth": {"scale": "near"},
    "intermediate ground truth": {"scale": "intermediate"},
}


def in_setting(rows: pd.DataFrame, setting: dict) -> pd.DataFrame:
    """The rows of one of SETTINGS (every other field at Table 1's value)."""
    for field, value in (PLAIN | setting).items():
        rows = rows[rows[field] == value]
    return rows


MULTI = Arm("Multi-HARE B 30", "multi_hare", 30, {})
# people's counting: a comparison between identical options is not charged (as the live page)
MULTI_PEOPLE = Arm("Multi-HARE B 30, people counting", "multi_hare", 30, {"counting": "people"})
MULTI_PEOPLE_10 = Arm("Multi-HARE B 10, people counting", "multi_hare", 10,
                      {"counting": "people"})
HARE = Arm("HARE B 30", "hare", 30, {})
ACTIVE = Arm("active HARE B 30", "active_hare", 30, {})


@dataclass(frozen=True)
class Ratio:
    """mean(ours) / mean(reference) over the cells both have, and in how many cells ours is
    lower."""

    metric: str
    ours: float
    reference: float
    lower: int
    cells: int

    @property
    def ratio(self) -> float:
        return self.ours / self.reference if self.reference else math.nan

    def __str__(self) -> str:
        return (f"{self.metric.upper()} {self.ours:.3f} vs {self.reference:.3f} "
                f"({self.ratio:.2f}×; lower in {self.lower} of {self.cells} cells)")


def _arm(rows: pd.DataFrame, arm: Arm, setting: dict, metric: str) -> pd.Series:
    """Per (dataset, model, generator): the arm's mean of ``metric`` under ``setting``."""
    pick = rows[(rows["variant"] == arm.variant) & (rows["metric"] == metric)
                & (rows["seeds"] > 0)]
    if arm.variant != "base":
        pick = pick[pick["budget"] == arm.budget]
    for field, value in (PLAIN | setting | arm.setting).items():
        pick = pick[pick[field] == value]
    # one setting of everything else (users included): the most users if several are stored
    pick = pick.sort_values("users").drop_duplicates(CELL, keep="last")
    return pick.set_index(CELL)["mean"]


def ratio(rows: pd.DataFrame, ours: Arm, reference: Arm, metric: str,
          setting: dict | None = None) -> Ratio | None:
    """``ours`` against ``reference`` on the cells both have (None when there are none)."""
    setting = setting or {}
    a, b = _arm(rows, ours, setting, metric), _arm(rows, reference, setting, metric)
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").dropna()
    if both.empty:
        return None
    return Ratio(metric, float(both["a"].mean()), float(both["b"].mean()),
                 int((both["a"] < both["b"]).sum()), len(both))


def per_cell(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, model, generator) of the Table 1 setting: GTP and GTD of HARE and
    Multi-HARE at B 30 and active HARE at B 30 and 10, and active's ratio to Multi-HARE at B 30
    (rows without active HARE runs are left out)."""
    columns = {}
    arms = [HARE, MULTI, ACTIVE, Arm("active B 10", "active_hare", 10, {})]
    for metric in ("gtp", "gtd"):
        for arm in arms:
            columns[(metric, arm.label)] = _arm(rows, arm, {}, metric)
    table = pd.DataFrame(columns).dropna(subset=[("gtp", ACTIVE.label)])
    for metric in ("gtp", "gtd"):
        table[(metric, "active ÷ Multi")] = (table[(metric, ACTIVE.label)]
                                              / table[(metric, MULTI.label)])
    return table


def comparisons(rows: pd.DataFrame) -> list[tuple[str, Ratio]]:
    """(what is compared, its Ratio) for every comparison the rows support."""
    active10 = Arm("active HARE B 10", "active_hare", 10, {})
    asks = [
        ("Table 1 cells, B 30: active HARE vs Multi-HARE", ACTIVE, MULTI, "gtp", {}),
        ("Table 1 cells, B 30: active HARE vs Multi-HARE", ACTIVE, MULTI, "gtd", {}),
        ("Table 1 cells, B 30: active HARE vs HARE", ACTIVE, HARE, "gtp", {}),
        ("Active HARE at B 10 vs Multi-HARE at B 30", active10, MULTI, "gtp", {}),
        ("Active HARE at B 10 vs Multi-HARE at B 30", active10, MULTI, "gtd", {}),
        ("10 % flipped answers", ACTIVE, MULTI, "gtp",
         {"noise": "bernoulli", "noise_param": 0.1}),
        ("Logistic users (β 10)", ACTIVE, MULTI, "gtp", {"noise": "logistic", "noise_param": 10.0}),
        ("Weighted-cost users, by their own cost", ACTIVE, MULTI, "user_cost",
         {"user_model": "weighted_cost"}),
        ("Near ground truth", ACTIVE, MULTI, "gtp", {"scale": "near"}),
        ("Intermediate ground truth", ACTIVE, MULTI, "gtp", {"scale": "intermediate"}),
        ("Table 1 cells, B 30: active HARE vs Multi-HARE under people counting", ACTIVE,
         MULTI_PEOPLE, "gtp", {}),
        ("Table 1 cells, B 10: active HARE vs Multi-HARE under people counting", active10,
         MULTI_PEOPLE_10, "gtp", {}),
    ]
    # noisy answers with parameters other than the method's own, and every kind of person by
    # their own cost, against Multi-HARE under people counting
    for noise, param, words in (("bernoulli", 0.3, "30 % flipped answers"),
                                ("logistic", 5.0, "logistic users (β 5)")):
        for kind in ("ground_truth", "weighted_cost", "fewest_changes"):
            asks.append((f"{words}, {VALUE_NAMES['user_model'].get(kind, kind)} users, B 30, "
                         "own cost", ACTIVE, MULTI_PEOPLE, "user_cost",
                         {"noise": noise, "noise_param": param, "user_model": kind}))
    for kind in KINDS:
        name = VALUE_NAMES["user_model"].get(kind, kind)
        for ours, reference, budget in ((ACTIVE, MULTI_PEOPLE, 30),
                                        (active10, MULTI_PEOPLE_10, 10)):
            asks.append((f"{name} users, B {budget}, own cost, vs Multi-HARE (people counting)",
                         ours, reference, "user_cost", {"user_model": kind}))
    found = []
    for text, ours, reference, metric, setting in asks:
        r = ratio(rows, ours, reference, metric, setting)
        if r is not None:
            found.append((text, r))
    return found


def section(frame: pd.DataFrame, runs: pd.DataFrame | None = None,
            shares: pd.DataFrame | None = None) -> list[str]:
    """The report's markdown section (empty when the store has no active HARE runs); ``runs``
    (the store's run rows) says which engine revision computed them; ``shares`` are the
    per-person comparisons (hare.bench.person_shares)."""
    rows = preset_rows(frame, "active", with_paper_only=False)
    if rows.empty or not (rows["variant"] == "active_hare").any():
        return []
    lines = ["## Beyond the paper: active HARE (preset `active`)", "",
             "Active HARE (`hare/active.py`) keeps a particle posterior over each user's "
             "preferred recourse and asks the comparison with the largest expected information "
             "gain (active ranking, Jamieson & Nowak 2011; Bayesian ideal-point search, Canal et "
             "al. 2019; PEAR's elicitation, De Toni et al. 2024). Its posterior ranges over kinds "
             "of person (an ideal point, a weighted cost, per-feature limits, fewest changes, "
             "the hardest single change) "
             "and their answer noise (lapse rate and sharpness); each round ends with its "
             "choice against the best option the person chose, which starts as the base "
             "recourse and changes only to what the person picks over it, and within each round "
             "every option the person picked is settled against that best option before "
             "\"good enough?\" (engine 2026.12.9 on). "
             "Means over the cells the store holds; ratio = active's mean ÷ the reference's "
             "mean over the same cells; 'own cost' is each simulated person's own measure.", ""]
    lines += _revision_note(runs) if runs is not None else []
    lines += [f"- {text}: {r}" for text, r in comparisons(rows)] + [""]
    table = per_cell(rows)
    if len(table):
        headers = ["dataset", "model", "generator"] + [f"{m.upper()} {a}" for m, a in table.columns]
        body = [[*key, *("—" if pd.isna(v) else f"{v:.3f}" for v in row)]
                for key, row in zip(table.index, table.itertuples(index=False))]
        lines += markdown_block(headers, body)
    lines += people_lines(shares if shares is not None else pd.DataFrame())
    return lines


def people_lines(shares: pd.DataFrame) -> list[str]:
    """Per kind of person, noise and budget: the shares of people for whom active HARE ends
    worse or better than Multi-HARE (people counting, the same budget), and costlier than
    their base recourse (empty without per-person comparisons)."""
    table = person_shares.by_kind(shares)
    if table.empty:
        return []
    lines = ["Per person, by their own cost: the share of simulated people for whom active HARE "
             "ends worse / better than Multi-HARE (people counting, the same budget; the rest "
             "tie), and who end costlier than their base recourse, over every cell and seed the "
             "store compared.", ""]
    headers = ["people", "answers", "B", "compared", "worse than Multi-HARE",
               "better than Multi-HARE", "costlier than base", "Multi-HARE costlier than base"]
    body = []
    for row in table.sort_values(["noise", "user_model", "budget"]).itertuples(index=False):
        answers = "consistent" if row.noise == "none" else (
            f"{row.noise_param:.0%} flipped" if row.noise == "bernoulli"
            else f"logistic β {row.noise_param:g}")
        body.append([VALUE_NAMES["user_model"].get(row.user_model, row.user_model), answers,
                     str(int(row.budget)), str(int(row.people)),
                     *(f"{getattr(row, s):.1%}" for s in person_shares.SHARES)])
    return lines + markdown_block(headers, body)


def _revision_note(runs: pd.DataFrame) -> list[str]:
    """Say so when the stored active HARE runs were computed by an engine revision other than
    the one whose method the section describes: their numbers are that revision's."""
    if "engine_revision" not in runs.columns:
        return []
    stored = sorted(set(runs.loc[runs["variant"] == "active_hare", "engine_revision"].dropna()))
    older = [revision for revision in stored if revision != ENGINE_REVISION]
    if not older:
        return []
    return [f"The store's active HARE runs were computed by engine revision "
            f"{', '.join(older)}, before the method described above (revision "
            f"{ENGINE_REVISION}); their numbers are that revision's. `hare sweep active` with "
            f"another `--db` computes the current method's.", ""]
