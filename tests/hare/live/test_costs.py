"""The people path's cost model: declared per feature, turned into limits, search weights and
a card a person can act on; the paper's space is untouched by it."""

import math

import pytest
import torch

from hare.actions import ActionSpace
from hare.data import DATASETS
from hare.generators.growing_spheres import growing_spheres_search
from hare.live.costs import DIFFICULTY, limit_range, plan_sentence, change_cost
from hare.live.profile import Preferences, check_preferences, profile_from_row


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_changeable_feature_has_a_cost_with_a_reason(name):
    spec = DATASETS[name]
    for fact in spec.facts:
        if fact.column in spec.immutable or fact.people in ("history", "label"):
            continue
        assert fact.cost is not None, fact.column
        assert fact.cost.reason and fact.cost.effort > 0, fact.column
        assert fact.cost.up or fact.cost.down, fact.column


def test_limits_for_one_person():
    adult, credit = DATASETS["adult"], DATASETS["credit"]
    hours = adult.fact("hours-per-week").cost
    assert limit_range(hours, 35, 1, 99) == (1, 60)
    assert limit_range(hours, 70, 1, 99) == (1, 70)  # their own value stays reachable
    assert limit_range(adult.fact("education-num").cost, 9, 1, 16) == (1, 13)
    assert limit_range(credit.fact("MonthlyIncome").cost, 2000, 0, 1e6) == (0, 2600)


def test_people_defaults_hold_the_label_locked_features_and_the_past(adult, compas):
    prefs = Preferences.for_people(adult, profile_from_row(adult, 0))
    assert "capital-gain" in prefs.frozen and prefs.max_changes == 3
    assert dict((f, (lo, hi)) for f, lo, hi in prefs.ranges)["hours-per-week"][1] == 60
    people = Preferences.for_people(compas, profile_from_row(compas, 0))
    assert {"two_year_recid", "length_of_stay", "c_charge_degree", "priors_count"} <= set(people.frozen)
    # the outcome label is held even when a person asks to free it
    check = check_preferences(compas, profile_from_row(compas, 0), [], {}, {})
    assert "two_year_recid" in check.preferences.frozen


def test_a_difficulty_scales_the_search_weight_and_impossible_holds_fixed(adult):
    profile = profile_from_row(adult, 0)
    base = check_preferences(adult, profile, [], {}, {}).preferences
    hard = check_preferences(adult, profile, [], {}, {},
                             difficulty={"workclass": "hard", "occupation": "impossible"})
    assert hard.ok and "occupation" in hard.preferences.frozen
    assert dict(hard.preferences.difficulty) == {"workclass": "hard"}
    j = adult.feature_names.index("workclass")
    w0, w1 = base.action_space(adult).cost, hard.preferences.action_space(adult).cost
    assert w1[j] / w1.median() > w0[j] / w0.median()
    bad = check_preferences(adult, profile, [], {}, {}, difficulty={"workclass": "soon"})
    assert bad.errors["workclass"] == f"choose one of {', '.join(DIFFICULTY)}"


class _Sum(torch.nn.Module):
    """Accepts points whose first two coordinates add up to 1 or more."""

    def forward(self, x):
        return torch.sigmoid(40 * (x[..., 0] + x[..., 1] - 1.0))


@pytest.mark.parametrize("cost, moved", [((1.0, 10.0), 0), ((10.0, 1.0), 1)])
def test_the_search_prefers_the_change_that_is_cheaper_by_cost(cost, moved):
    d = 2
    space = ActionSpace(torch.ones(d, dtype=torch.bool), torch.zeros(d, dtype=torch.bool),
                        torch.zeros(d, dtype=torch.float64), torch.ones(d, dtype=torch.float64),
                        torch.zeros(d, dtype=torch.int8), cost=torch.tensor(cost, dtype=torch.float64))
    x = torch.tensor([[0.3, 0.3]], dtype=torch.float64)
    r = growing_spheres_search(_Sum(), x, x, space, torch.tensor([7]), stream=1000,
                               samples=500, step=0.05)
    delta = (r - x)[0].abs()
    assert delta[moved] > 3 * delta[1 - moved]
    # the space's distance is the cost-weighted L1 the search minimised
    assert space.distance(r, x).item() == pytest.approx(float((delta * space.cost).sum()))


def test_a_change_in_words_with_its_time_and_effort(adult, compas):
    more_hours = change_cost(adult, "hours-per-week", 35.0, 40.0, "35", "40", "5")
    assert more_hours.words == "work 5 more hours a week" and more_hours.months == 1
    school = change_cost(adult, "education-num", 10.0, 12.0, "10", "12", "2")
    assert school.months == 24 and school.money and "year" in school.time
    sentence = plan_sentence([more_hours, school])
    assert sentence == ("Work 5 more hours a week and complete 2 more years of education: "
                        "about 2 years (needs money).")
    assert not math.isinf(school.effort_weeks)
