"""Cards under the people defaults: each change with its words, time and effort, the limits in
force, the model and engine that gave it; no question asked twice; the result shown before."""

import pytest

from benchmarks.actionable_advice import broken
from hare.data import DATASETS, load_dataset
from hare.live.profile import profile_from_row, refused_people
from hare.live.setup import SessionConfig
from hare.live.terminal import run_person
from hare.models import load_or_train


@pytest.fixture(scope="module")
def credit_people():
    dataset = load_dataset("credit")
    model = load_or_train(dataset, "ann", 0).model
    return dataset, model, refused_people(dataset, model)[:4]


@pytest.mark.parametrize("method", ["hare", "active"])
def test_cards_within_their_limits_with_time_effort_and_no_repeated_pair(credit_people, method):
    dataset, model, rows = credit_people
    config = SessionConfig(dataset="credit", generator="gs", method=method)
    cards = [run_person(config, dataset, model, profile_from_row(dataset, row), row).card()
             for row in rows]
    approved = [c for c in cards if c["approved"]]
    assert approved
    for card in cards:
        assert broken(card, set(DATASETS["credit"].immutable)) == []
        assert len(card["model_hash"]) == 16 and card["engine_revision"]
        assert {f["feature"] for f in card["settings"]["limits"]["will_not_change"]} >= {
            "age", "NumberOfDependents", "NumberRealEstateLoansOrLines"}
    for card in approved:
        assert 1 <= len(card["changes"]) <= 3
        for change in card["changes"].values():
            assert {"before", "after", "label", "unit", "time", "effort", "words"} <= set(change)
        assert card["plan"]["sentence"].endswith(".") and card["plan"]["time"]
        # what the card ends on was put to the person in a question
        shown = [o for step in card["transcript"] for o in step["options"]]
        assert not card["transcript"] or card["recourse"] in shown


def test_a_pair_asked_twice_is_caught():
    step = {"kind": "compare", "round": 2, "options": [{"a": 1.0}, {"a": 2.0}]}
    swapped = dict(step, options=step["options"][::-1])
    card = {"changes": {}, "transcript": [step, swapped],
            "settings": {"limits": {"will_not_change": [], "ranges": [], "directions": {},
                                    "max_changes": 3}}}
    assert broken(card, set()) == ["pair asked twice in round 2"]
