"""``hare recourse``: the live page's path from a terminal, one JSON card per refused person,
checked as benchmarks/recourse_cards.py checks the issue's 20 people per dataset."""

import json

from benchmarks.recourse_cards import Tally, check
from hare.cli import main
from hare.data import DATASETS


def test_simulated_cards_are_complete_real_choices_within_the_rules(capsys):
    assert main(["recourse", "--dataset", "credit", "--rows", "0-3", "--answers", "simulated",
                 "--json"]) == 0
    cards = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    tally = Tally()
    for card in cards:
        check(card, tally, set(DATASETS["credit"].immutable))
    assert [c["row"] for c in cards] == sorted({c["row"] for c in cards}) and len(cards) == 4
    assert tally.problems == [] and tally.identical == 0
    assert tally.comparisons > 0 and tally.approved + tally.no_recourse == 4 and tally.approved
    for card in cards:  # numbers in original units under the dataset's own column names
        assert set(card["profile"]) == set(DATASETS["credit"].features)
        assert all(isinstance(v, (int, float)) for v in card["profile"].values())


def test_a_broken_card_is_caught():
    """The check itself: an identical pair, a change against the rules and an approval below
    the target are each reported."""
    tally = Tally()
    card = {"row": 0, "approved": True, "target_probability": 0.6, "probability_before": 0.2,
            "probability_after": 0.55, "no_recourse_reason": None, "seed": 0, "time": "",
            "version": "", "settings": {"directions": {"a": "only up"}, "will_not_change": ["b"]},
            "profile": {"a": 2.0, "b": 1.0}, "recourse": {"a": 1.0, "b": 1.0},
            "transcript": [{"kind": "compare", "options": [{"a": 3.0, "b": 2.0}] * 2}]}
    check(card, tally, set())
    assert tally.identical == 1
    assert {p.split(": ", 1)[1] for p in tally.problems} == {
        "against the rules: a 2.0 -> 1.0", "against the rules: b 1.0 -> 2.0",
        "approved below the target"}
