"""The verdict on the paper's claim, computed from a store's cells: one paragraph that states the
conclusion (do HARE and Multi-HARE end below the base generator; how close the numbers come
under the authors' protocol and under ours; which of the authors' choices explain how much of
the gap), then the facts it rests on. The report and the results page print the same words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from hare.bench.cells import KEY, TOLERANCE_TEXT, in_setting, preset_rows, settings
from hare.bench.protocol_groups import choice_words, title
from hare.bench.protocol_report import AUTHORS_USERS, decomposition
from hare.protocol import DEFAULT, FACTORS, PROTOCOLS

ORDERED = ("base", "hare", "multi_hare")
HEADLINE = ("gtp", "gtd")
# One cell of a comparison group: the config less the fields the group compares across.
GROUP = [f for f in KEY if f not in ("variant", "budget", "iterations", "bps")] + ["metric"]
AUTHORS = "authors"


def ours(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["seeds"] > 0]


def ordering(rows: pd.DataFrame) -> pd.DataFrame:
    """Per group with exactly one base, HARE and Multi-HARE cell (GTP and GTD): does
    base > HARE ≥ Multi-HARE hold, ours and the paper's, and are both below the base (ours)?"""
    rows = ours(rows)
    rows = rows[rows["metric"].isin(HEADLINE) & rows["variant"].isin(ORDERED)]
    out = []
    for key, group in rows.groupby(GROUP, dropna=False, sort=False):
        if sorted(group["variant"]) != sorted(ORDERED):
            continue
        by = group.set_index("variant")

        def holds(column):
            b, h, m = (by.at[v, column] for v in ORDERED)
            return None if any(math.isnan(x) for x in (b, h, m)) else bool(b > h >= m)

        below = bool(by.at["base", "mean"] > max(by.at["hare", "mean"], by.at["multi_hare", "mean"]))
        out.append(dict(zip(GROUP, key), ours_holds=holds("mean"), paper_holds=holds("paper_mean"),
                        ours_below_base=below))
    return pd.DataFrame(out, columns=GROUP + ["ours_holds", "paper_holds", "ours_below_base"])


@dataclass(frozen=True)
class Rate:
    hits: int
    total: int

    @property
    def share(self) -> float:
        return self.hits / self.total if self.total else math.nan

    def __str__(self) -> str:
        return f"{self.hits} of {self.total}" + (f" ({self.share:.0%})" if self.total else "")


def within_rate(rows: pd.DataFrame) -> Rate:
    compared = ours(rows)[ours(rows)["within"].notna()]
    return Rate(int(compared["within"].astype(bool).sum()), len(compared))


@dataclass(frozen=True)
class Arm:
    """One setting (protocol and users) of the Table 1 cells: what the verdict says of it."""

    protocol: str
    users: int
    cells: int  # GTP/GTD cells of ours
    seeds: int  # the most seeds any cell has
    below: Rate  # groups where HARE and Multi-HARE end below the base
    holds: Rate  # groups where base > HARE ≥ Multi-HARE, ours
    paper_holds: Rate  # the same on the paper's own numbers
    within: Rate  # GTP/GTD cells within the paper's tolerance

    @property
    def name(self) -> str:
        return title(self.protocol)

    def fact(self) -> str:
        ordered = (f"; base > HARE ≥ Multi-HARE in {self.holds.hits} of {self.holds.total} (the "
                   f"paper's own numbers: {self.paper_holds.hits} of {self.paper_holds.total})"
                   if self.holds.total else "")
        below = (f"HARE and Multi-HARE below the base in {self.below.hits} of "
                 f"{self.below.total} Table 1 groups"
                 if self.below.total else "no complete base / HARE / Multi-HARE group")
        name = self.name[0].upper() + self.name[1:]
        seeds = f"{self.seeds} seed" + ("s" if self.seeds != 1 else "")
        return (f"{name}, {self.users} users ({seeds}): {below}{ordered}; "
                f"{self.within} GTP/GTD cells within.")


def arms(frame: pd.DataFrame) -> list[Arm]:
    """Every setting of the store's Table 1 cells, in ``cells.settings``' order."""
    table1 = preset_rows(frame, "table1", with_paper_only=False)
    out = []
    for setting in settings(table1):
        rows = in_setting(table1, setting)
        order = ordering(rows)
        headline = ours(rows[rows["metric"].isin(HEADLINE)])
        paper = order.dropna(subset=["paper_holds"])
        out.append(Arm(setting["protocol"], int(setting["users"]), len(headline),
                       int(headline["seeds"].max()) if len(headline) else 0,
                       Rate(int(order["ours_below_base"].sum()), len(order)),
                       Rate(int(order["ours_holds"].astype(bool).sum()), len(order)),
                       Rate(int(paper["paper_holds"].astype(bool).sum()), len(paper)),
                       within_rate(headline)))
    return out


def _main(found: list[Arm], protocol: str) -> Arm | None:
    """A protocol's own setting: the one with the most Table 1 cells (then the most users)."""
    mine = [arm for arm in found if arm.protocol == protocol]
    return max(mine, key=lambda arm: (arm.cells, arm.users)) if mine else None


@dataclass(frozen=True)
class Verdict:
    """The conclusion (one paragraph) and the facts behind it (one sentence each)."""

    conclusion: str
    facts: tuple[str, ...]

    def markdown(self) -> list[str]:
        return [self.conclusion, "", *(f"- {fact}" for fact in self.facts), ""]


def _claim(main: list[Arm]) -> str:
    judged = [arm for arm in main if arm.below.total]
    if not judged:
        return ("This store cannot test the paper's claim: it holds no complete base, HARE and "
                "Multi-HARE group of Table 1.")
    every = all(arm.below.hits == arm.below.total for arm in judged)
    share = sum(arm.below.hits for arm in judged) / sum(arm.below.total for arm in judged)
    opening, extent = (("The paper's claim holds", "every") if every else
                       ("The paper's claim holds in part", "most") if share > 0.5 else
                       ("The paper's claim does not hold", "few"))
    where = " and ".join(f"under {_under(arm)} ({arm.below.hits} of {arm.below.total} groups)"
                         for arm in judged)
    return (f"{opening}: HARE and Multi-HARE end below the base generator in {extent} Table 1 "
            f"group, {where}.")


def _protocol(arm: Arm) -> str:
    """The arm's protocol in a sentence: "our corrected protocol"."""
    return {DEFAULT: "our corrected protocol", AUTHORS: "the authors' code replayed"}.get(
        arm.protocol, title(arm.protocol))


def _under(arm: Arm) -> str:
    return f"{_protocol(arm)} at {arm.users} users"


def _closeness(main: list[Arm]) -> str:
    judged = [arm for arm in main if arm.within.total]
    if not judged:
        return ""
    rule = f"(within: {TOLERANCE_TEXT})"
    if len(judged) == 1:
        arm = judged[0]
        return (f"{arm.within.share:.0%} of Table 1's GTP and GTD cells ({arm.within.hits} of "
                f"{arm.within.total}) are within the paper's tolerance {rule}.")
    best, other = sorted(judged, key=lambda arm: arm.within.share, reverse=True)[:2]

    def share(arm: Arm) -> str:
        return f"{arm.within.share:.0%} ({arm.within.hits} of {arm.within.total})"

    if best.within.share - other.within.share >= 0.10:
        how = "closely only" if best.within.share >= 0.85 else "more closely"
        return (f"The paper's numbers are matched {how} under {_protocol(best)}: "
                f"{best.within.share:.0%} of Table 1's GTP and GTD cells ({best.within.hits} of "
                f"{best.within.total}) are within its tolerance there, against {share(other)} "
                f"under {_protocol(other)} {rule}.")
    return (f"The paper's numbers are matched about as closely under either protocol: of Table "
            f"1's GTP and GTD cells, {share(best)} are within its tolerance under "
            f"{_protocol(best)} and {share(other)} under {_protocol(other)} {rule}.")


def _gap(frame: pd.DataFrame) -> str:
    """Which of the authors' choices explain how much of the gap, from the decomposition."""
    split = decomposition(frame)
    if split.empty or AUTHORS not in set(split["protocol"]):
        return ""
    delta = split.set_index("protocol")["mean_abs_delta"]
    mine, theirs, cells = delta[DEFAULT], delta[AUTHORS], int(split["cells"].iloc[0])
    gap = mine - theirs
    sentences = [f"Over the {cells} Table 1 cells run both ways at the authors' {AUTHORS_USERS} "
                 f"users, the mean |Δ| to the paper is {mine:.3f} under ours and {theirs:.3f} "
                 f"under theirs."]
    added = {f: mine - delta[f"hare+{f}"] for f in FACTORS if f"hare+{f}" in delta}
    removed = {f: delta[f"authors-{f}"] - theirs for f in FACTORS if f"authors-{f}" in delta}
    clauses = []
    if added:
        best = max(added, key=added.get)
        if gap > 0 and added[best] >= 0.5 * gap:
            clauses.append(f"Their {choice_words(best)} alone closes {added[best]:.3f} of that "
                           f"{gap:.3f} gap when added to ours")
        elif added[best] <= 0:
            clauses.append(f"None of their choices closes any of that {gap:.3f} gap when added "
                           f"to ours alone")
        else:
            clauses.append(f"No one of their choices closes much of that {gap:.3f} gap on its "
                           f"own (added to ours, the most any closes is {added[best]:.3f}, their "
                           f"{choice_words(best)})")
    if removed:
        ranked = sorted(removed, key=removed.get, reverse=True)
        listed = [f"their {choice_words(f)} reopens {removed[f]:.3f}" if i == 0 else
                  f"their {choice_words(f)} {removed[f]:.3f}" for i, f in enumerate(ranked)]
        clauses.append("taken out of theirs, " + _join(listed))
    if clauses:
        sentences.append("; ".join(clauses) + ".")
    if added and removed and gap > 0 and max(added.values()) < 0.5 * gap:
        top = max(removed, key=removed.get)
        sentences.append(f"The gap comes from their choices together, their "
                         f"{choice_words(top)} above all.")
    return " ".join(sentences)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def verdict(frame: pd.DataFrame) -> Verdict | None:
    """The verdict on every protocol the store holds (None without a Table 1 cell of ours)."""
    found = arms(frame)
    if not found:
        return None
    main = [arm for arm in (_main(found, DEFAULT), _main(found, AUTHORS)) if arm is not None]
    if not main:  # only single-choice protocols: speak of the setting with most cells
        main = [max(found, key=lambda arm: (arm.cells, arm.users))]
    conclusion = " ".join(part for part in (_claim(main), _closeness(main), _gap(frame)) if part)
    order = list(PROTOCOLS)
    rest = sorted((arm for arm in found if arm not in main),
                  key=lambda arm: (order.index(arm.protocol) if arm.protocol in order
                                   else len(order), -arm.users))
    facts = [arm.fact() for arm in main + rest]
    facts.append(f"A group is one dataset, model, generator and metric (GTP or GTD) with a base, "
                 f"a HARE and a Multi-HARE cell; a cell is within when {TOLERANCE_TEXT}.")
    return Verdict(conclusion, tuple(facts))
