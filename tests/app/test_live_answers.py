"""People's answers as research data, through the live page (AppTest): sessions with the box
ticked are exported and read back in original units with the options in the order and on the
sides shown; a session left half-way is abandoned; the profile only with its own box; a person
deletes what their visit stored."""

from __future__ import annotations

import pandas as pd

from hare.live.answers import AnswerStore
from hare.live.answers_export import build, read, write
from hare.live.consent import CONSENT
from tests.app.test_live_page import app, answer_until_done, click, labels, unlock_capital_gains  # noqa: F401


def page_run(at):
    return at.session_state["live:state"].run


def test_opted_in_sessions_export_in_original_units_in_the_order_shown(app, tmp_path):
    app.checkbox(key="live:optin").check().run()
    app.checkbox(key="live:optin_profile").check()
    app.text_input(key="live:budget").input("4")
    app.text_input(key="live:rounds").input("2")
    click(unlock_capital_gains(app.run()), "Find my recourse")
    drawn = "\n".join(m.value for m in app.markdown)
    option_a = drawn.split("**Option A**", 1)[1].split("**Option B**", 1)[0]  # the left column
    click(app, "I prefer B")
    left = page_run(app)
    click(app, "Start over")  # leaves the session half-way
    click(app, "Find my recourse")
    answer_until_done(app)
    run = page_run(app)
    store = AnswerStore(tmp_path / "answers.duckdb")
    export = build(store)
    write(export, tmp_path / "export", "csv")
    back = read(tmp_path / "export")
    sessions = back.sessions.set_index("session_id")
    assert sessions.loc[left.id, "status"] == "abandoned"
    assert sessions.loc[run.id, "status"] == "completed"
    assert sessions.loc[run.id, "ending"] == run.ending
    assert sessions.loc[run.id, "consent_version"] == CONSENT.version
    assert sessions.loc[run.id, "model_hash"] == run.card()["model_hash"]
    assert sessions.loc[run.id, "budget"] == 4 and sessions.loc[run.id, "rounds"] == 2
    assert (sessions["participant_id"].nunique() == 1), "one visit, one pseudonymous id"
    # the profile box was ticked: the profile in original units under the data's own names
    profile = run.shown_row(run.x[0])
    assert sessions.loc[run.id, "profile.hours-per-week"] == profile["hours-per-week"]
    assert sessions.loc[run.id, "profile.sex"] == profile["sex"]
    answers = back.answers[back.answers["session_id"] == run.id].sort_values("question")
    assert list(answers["question"]) == [e.seq for e in run.events]
    numeric = [c for c in run.dataset.feature_names if c not in run.dataset.spec.categorical]
    for event, (_, row) in zip(run.events, answers.iterrows()):
        assert row["event_type"] == event.kind
        assert row["a_side"] == ("left" if event.kind == "compare" else "alone")
        assert row["answer"] == (("B" if event.choice else "A") if event.kind == "compare"
                                 else ("yes" if event.choice else "no"))
        for option, shown in zip("ab", event.options):  # A then B, as drawn
            for column in numeric:
                assert abs(row[f"{option}.{column}"] - (shown[column] - profile[column])) < 1e-6
    # the first question's option A, as drawn, names the same changes as the export's row
    a1 = back.answers[(back.answers["session_id"] == left.id) & (back.answers["question"] == 1)]
    changed = [c for c in numeric if a1[f"a.{c}"].iloc[0] != 0]
    assert changed and all(run.dataset.spec.fact(c).label in option_a for c in changed)
    codebook = back.codebook
    assert set(back.answers.columns) | set(back.sessions.columns) <= set(codebook["name"])
    assert codebook.set_index("name").loc["a.capital-gain", "unit"] == "dollars"
    sheet = (tmp_path / "export" / "datasheet.md").read_text()
    assert CONSENT.answers in sheet and CONSENT.version in sheet and "Licence" in sheet
    # the person takes it all back, from the card or, after starting over, above the button
    click(app, "Start over")
    click(app, "Delete the answers I stored")
    assert store.sessions().empty and store.answers().empty
    assert "Delete the answers I stored" not in labels(app)
    assert any(i.value == "Your stored answers were deleted." for i in app.info)


def test_without_the_box_nothing_is_stored_and_the_profile_needs_its_own(app, tmp_path):
    click(unlock_capital_gains(app), "Find my recourse")
    click(app, "I prefer B")
    assert not (tmp_path / "answers.duckdb").exists()
    click(app, "Start over")
    app.checkbox(key="live:optin").check()
    click(app.run(), "Find my recourse")
    click(app, "I prefer B")
    sessions = AnswerStore(tmp_path / "answers.duckdb").sessions()
    assert list(sessions["status"]) == ["in_progress"]
    assert not sessions["profile_stored"].iloc[0] and pd.isna(sessions["profile"].iloc[0])
    assert pd.isna(sessions["test_row"].iloc[0])
