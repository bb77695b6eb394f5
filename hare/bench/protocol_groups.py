"""The protocols of ``hare.protocol`` as people read them: three groups (ours, the authors' code
replayed, one of their choices at a time) and, for every protocol, a name and a one-line help.

The code's names (``hare+sampler``, ``authors-metrics``) stay the keys; the report, the results
page and the command line's help show these words instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from hare.protocol import AUTHORS, DEFAULT, FACTORS, HARE, PROTOCOLS

# Each of the authors' five choices (hare.protocol.Protocol), in a few words and in one line.
CHOICES: dict[str, tuple[str, str]] = {
    "ground_truth": ("ground-truth draw",
                     "one random direction per seed shared by all its users, clipped to the "
                     "feature ranges afterwards and never re-checked"),
    "sampler": ("candidate sampler",
                "directions over every column with no projection; invalid samples dropped, "
                "not replaced"),
    "rounds": ("reading of T",
               "T new candidates a round over B // T rounds, no 'good enough?' question charged"),
    "classifier": ("classifier training", "RMSprop, learning rate 2e-3, 20 epochs, batch 256"),
    "metrics": ("metric precision", "CARLA's redundancy on float32 recourses"),
}


@dataclass(frozen=True)
class ProtocolGroup:
    """A group of protocols as the results page offers them: a label, a help line and its
    members (protocol names, in hare.protocol's order)."""

    label: str
    help: str
    members: tuple[str, ...]


def _span(seeds: tuple[int, ...]) -> str:
    return f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])


GROUPS: tuple[ProtocolGroup, ...] = (
    ProtocolGroup("ours",
                  f"this project's corrected protocol (SPEC §§1–7); its presets run seeds "
                  f"{_span(HARE.seeds)} with {HARE.users} users", (DEFAULT,)),
    ProtocolGroup("the authors' code, replayed",
                  f"the paper authors' code (rahulvigneswaran/HARE) replayed choice by choice, "
                  f"as they ran it: seeds {_span(AUTHORS.seeds)}, {AUTHORS.users} users "
                  f"(SPEC §10)", ("authors",)),
    ProtocolGroup("one of their choices at a time",
                  f"ours with one of the authors' five choices, or theirs with one of ours, at "
                  f"their {AUTHORS.users} users: how much of the gap each choice explains",
                  tuple(name for name in PROTOCOLS if name not in (DEFAULT, "authors"))),
)


def _choice(name: str) -> tuple[str, str]:
    """(kind, choice) of a single-choice protocol: ("hare+", "sampler") or ("authors-", …);
    ("", name) for any other."""
    for kind in ("hare+", "authors-"):
        if name.startswith(kind) and name[len(kind):] in FACTORS:
            return kind, name[len(kind):]
    return "", name


def title(name: str) -> str:
    """``"ours"``, ``"the authors' code, replayed"``, ``"ours + their candidate sampler"``,
    ``"theirs with our candidate sampler"``; an unknown name passes through."""
    for group in GROUPS[:2]:
        if name in group.members:
            return group.label
    kind, choice = _choice(name)
    words = CHOICES.get(choice, (choice, ""))[0]
    if kind == "hare+":
        return f"ours + their {words}"
    if kind == "authors-":
        return f"theirs with our {words}"
    return name


def help_line(name: str) -> str:
    """One line on what the protocol is."""
    for group in GROUPS[:2]:
        if name in group.members:
            return group.help
    kind, choice = _choice(name)
    if choice not in CHOICES:
        return name
    words, detail = CHOICES[choice]
    if kind == "hare+":
        return f"ours with the authors' {words} ({detail}); everything else ours"
    return f"the authors' protocol with our {words} in place of theirs (theirs: {detail})"


def group_of(name: str) -> ProtocolGroup | None:
    return next((group for group in GROUPS if name in group.members), None)


def choice_words(choice: str) -> str:
    """"candidate sampler" for "sampler": an authors' choice in a few words."""
    return CHOICES.get(choice, (choice, ""))[0]
