"""The live recourse page through streamlit.testing.v1.AppTest: a whole session to the card,
messages beside bad typed values, rules always visible, no recourse said plainly, a reload
(a new browser session with the URL's token) returning to the same question, honest opt-in."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hare.live.answers import AnswerStore
from hare.live.form import PAGE_FIELDS, read_session, session_start
from hare.live.setup import SessionConfig

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


def new_app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["live:seed"] = 0  # replayable candidates
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("HARE_DB", str(tmp_path / "hare.duckdb"))
    monkeypatch.setenv("HARE_ANSWERS_DB", str(tmp_path / "answers.duckdb"))
    return new_app()


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def progress(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def last_round(at: AppTest) -> bool:
    return any(c.value.startswith("This is the last round") for c in at.caption)


def unlock_capital_gains(at: AppTest) -> AppTest:
    """The default Adult person has no recourse within the people defaults (capital gains
    locked); this person says they could make capital gains."""
    at.selectbox(key="live:rule:adult:capital-gain").set_value("free")
    return at.run()


def answer_until_done(at: AppTest) -> int:
    """Prefer B, say no until the last round, and yes there (a no then ends without a plan)."""
    answered = 0
    for _ in range(50):
        answers = ("I prefer B", "Yes, I can do this" if last_round(at) else "No, keep looking")
        choice = next((n for n in answers if n in labels(at)), None)
        if choice is None:
            return answered
        click(at, choice)
        answered += 1
    raise AssertionError("the session did not end")


def test_full_session_to_an_approved_card_storing_only_what_was_ticked(app, tmp_path):
    assert [m.value for m in app.metric][0] == "Income $50K or less"
    app.checkbox(key="live:optin").check()
    app.text_input(key="live:budget").input("6")
    app.text_input(key="live:rounds").input("2")
    click(unlock_capital_gains(app.run()), "Find my recourse")
    assert "Question 1 of at most 6" in progress(app)
    assert any(m.value.startswith("**Option A") for m in app.markdown)
    assert app.get("vega_lite_chart"), "the changes chart is drawn"
    answered = answer_until_done(app)
    assert 1 <= answered <= 6
    verdict = app.success[0].value
    assert "Income over $50K" in verdict and "target 60%" in verdict
    assert app.get("download_button"), "the card can be downloaded"
    store = AnswerStore(tmp_path / "answers.duckdb")
    sessions = store.sessions()
    assert len(sessions) == 1 and len(store.answers()) == answered
    # the profile box was not ticked: no profile, no row, no "before" probability stored
    row = sessions.iloc[0]
    assert not row["profile_stored"] and pd.isna(row["test_row"])
    assert row["factual"] is None or pd.isna(row["factual"])


def test_active_questions_are_chosen_and_end_on_a_card(app):
    app.radio(key="live:method").set_value("active").run()
    app.text_input(key="live:budget").input("6")
    click(unlock_capital_gains(app.run()), "Find my recourse")
    assert "Question 1 of at most 6" in progress(app)
    assert any("questions: learns your preference" in c.value for c in app.caption)
    answered = answer_until_done(app)
    assert 1 <= answered <= 6
    assert "Income over $50K" in app.success[0].value


@pytest.mark.parametrize("typed,message", [("1e5", "outside"), ("abc", "enter a number"),
                                           ("", "enter a number")])
def test_bad_typed_values_get_a_message_never_a_silent_change(app, typed, message):
    app.radio(key="live:source").set_value("Enter my own profile").run()
    field = "live:pf:adult:entered:capital-gain"
    app.text_input(key=field).input(typed)
    click(app, "Use this profile")
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and message in errors[0]
    assert "Find my recourse" not in labels(app)
    app.text_input(key=field).input("1e3")  # 1,000: scientific notation is a number
    click(app, "Use this profile")
    assert not app.error and "Find my recourse" in labels(app)
    assert not any("sampling weight" in t.label for t in app.text_input)  # not asked
    assert any("Census sampling weight is not asked" in c.value for c in app.caption)


def test_bad_settings_get_messages_and_limits(app):
    app.text_input(key="live:budget").input("1e5").run()
    assert any("2 to 40" in e.value for e in app.sidebar.error)
    app.text_input(key="live:budget").input("ten").run()
    assert any("not a whole number" in e.value for e in app.sidebar.error)
    app.text_input(key="live:budget").input("9").run()
    assert any("equal rounds" in e.value for e in app.sidebar.error)
    assert next(b for b in app.button if b.label == "Find my recourse").disabled


def test_the_sidebar_is_the_declared_session(app):
    """Its labels (with ranges), help and start values come from SessionConfig's declaration,
    and a target may be typed as a percentage or a probability."""
    schema, start = SessionConfig.schema(), session_start()
    widgets = {name: (app.radio if name == "method" else app.selectbox
                      if schema.types[name] is str else app.text_input)(key=f"live:{name}")
               for name in PAGE_FIELDS}
    assert {name: w.value for name, w in widgets.items()} == start
    assert read_session(start) == (SessionConfig(), {})
    for name, widget in widgets.items():
        assert widget.label.startswith(schema.axes[name].label)
        assert widget.help.lower().startswith(schema.axes[name].help[:20].lower())
    assert widgets["budget"].label == "Questions you will answer, at most (2–40)"
    assert widgets["target"].label == "Target chance of a yes (50–95%)"
    for typed in ("0.7", "70%", "70"):
        app.text_input(key="live:target").input(typed).run()
        assert not app.sidebar.error, typed
    click(app, "Find my recourse")
    assert any("target 70%" in c.value for c in app.caption)


def test_rules_are_visible_with_the_specs_defaults_and_bad_ranges_block(app):
    assert app.selectbox(key="live:rule:adult:education-num").value == "up"
    assert any("cannot be undone" in c.value for c in app.caption)
    app.text_input(key="live:lo:adult:hours-per-week").input("60")
    app.text_input(key="live:hi:adult:hours-per-week").input("40").run()
    assert any("above the highest" in e.value for e in app.error)
    assert next(b for b in app.button if b.label == "Find my recourse").disabled


def test_no_recourse_is_said_plainly_with_the_reason(app):
    for box in app.selectbox:
        if box.key and box.key.startswith("live:rule:adult:"):
            box.set_value("history")
    click(app.run(), "Find my recourse")
    assert any("No change within your limits" in w.value for w in app.warning)
    click(app, "Start over")
    assert "Find my recourse" in labels(app)


def test_compas_no_recourse_offers_to_unlock_what_stands_in_the_way(app):
    """COMPAS' defaults hold the past fixed: for this person (400 days in jail on a felony)
    that leaves no recourse, and the card says the jail stay stands in the way and unlocks it;
    where the chosen generator (CCHVAE) still finds nothing, it offers the one that does."""
    app.sidebar.selectbox(key="live:dataset").set_value("compas").run()
    app.sidebar.selectbox(key="live:generator").set_value("cchvae").run()
    app.radio(key="live:source").set_value("Enter my own profile").run()
    for column, value in (("age", "30"), ("two_year_recid", "1"), ("priors_count", "5"),
                          ("length_of_stay", "400")):
        app.text_input(key=f"live:pf:compas:entered:{column}").input(value)
    click(app, "Use this profile")
    # prior offences may grow (a record cannot shrink), as this person's rule
    app.selectbox(key="live:rule:compas:priors_count").set_value("up").run()
    click(app, "Find my recourse")
    assert any("No change within your limits" in w.value for w in app.warning)
    assert any("**Days in jail** is held fixed" in m.value for m in app.markdown)
    assert "Let reoffended within two years change and search again" not in labels(app)
    click(app, "Let days in jail change and search again")
    assert any("No change within your limits" in w.value for w in app.warning)
    assert any("Within your limits, **Nearest change** finds one" in m.value for m in app.markdown)
    click(app, "Search with Nearest change")
    assert app.sidebar.selectbox(key="live:generator").value == "gs"
    assert not app.warning and "Question 1 of at most 10" in progress(app)
    rules = next(c.value for c in app.caption if "your rules:" in c.value)
    assert "Days in jail won't change" not in rules and "Charge degree won't change" in rules
    answered = answer_until_done(app)
    # the plan changes a fact of the past the person unlocked: what the model weighs, shown
    # without success styling
    assert not any("Not rated high risk" in s.value for s in app.success)
    assert any("Not rated high risk" in w.value and "days in jail: a fact of the past" in w.value
               for w in app.warning)
    # why it ended, in words that hold: fewer questions than the budget means the search ran dry
    ended = next(c.value for c in app.caption if "it ended because" in c.value)
    assert ("the questions ran out" in ended) == (answered >= 10), ended


def test_a_reload_returns_to_the_same_question(app):
    click(unlock_capital_gains(app), "Find my recourse")
    click(app, "I prefer B")
    assert "Question 2 of" in progress(app)
    token = app.query_params["s"]
    token = token[0] if isinstance(token, list) else token
    again = new_app({"s": token})  # a new browser session with the same URL
    assert "Question 2 of" in progress(again)
    click(again, "I prefer A")
    assert "Question 3 of" in progress(again)
    stale = next(b for b in app.button if b.label == "I prefer B")  # the old tab's button
    stale.click().run()
    assert "Question 3 of" in progress(app)  # a stale click does not answer question 3


def test_unknown_token_starts_fresh(app):
    fresh = new_app({"s": "no-such-token"})
    assert "Find my recourse" in labels(fresh)
    assert fresh.query_params.get("s") in (None, [])  # no place taken before a real action
    assert "has ended" in fresh.error[0].value


def test_a_page_load_takes_no_session_and_the_first_search_does(app):
    from hare_app import cached
    cached.live_sessions.clear()  # a server with no session yet
    for _ in range(3):
        new_app()
    assert len(cached.live_sessions()) == 0
    click(app, "Find my recourse")
    assert len(cached.live_sessions()) == 1 and app.query_params["s"]


def test_an_answers_store_that_cannot_be_written_still_shows_the_card(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("HARE_DB", str(tmp_path / "hare.duckdb"))
    monkeypatch.setenv("HARE_ANSWERS_DB", str(blocker / "answers" / "human.duckdb"))
    at = new_app()
    at.checkbox(key="live:optin").check()
    at.text_input(key="live:budget").input("4")
    at.text_input(key="live:rounds").input("2")
    click(unlock_capital_gains(at.run()), "Find my recourse")
    answer_until_done(at)
    assert any(s.value.startswith("With these changes the model's decision") for s in at.success)
    assert at.get("download_button"), "the card is there to keep"
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and len(errors[0].splitlines()) == 1
    assert errors[0].startswith("Your answers could not be stored (cannot create the folder for "
                                "the answers store ") and "your recourse is unaffected" in errors[0]
    assert not any("stored for research" in s.value for s in at.success)
    assert blocker.read_text() == "not a folder"


def test_none_of_these_work_ends_without_a_plan_and_says_what_to_loosen(app):
    click(unlock_capital_gains(app), "Find my recourse")
    for _ in range(20):
        if "None of these work for me" in labels(app):
            break
        click(app, "I prefer B")
    click(app, "None of these work for me")
    assert not app.success, "no success styling for options the person cannot do"
    assert any("none of the options you saw" in w.value for w in app.warning)
    assert any(m.value.startswith("**What you could loosen**") for m in app.markdown)
    assert app.metric[0].value == "Income $50K or less"  # the header does not say yes
    assert any("research model trained on the 1994 US census" in c.value for c in app.caption)


def test_a_person_sets_a_difficulty_and_the_rules_say_so(app):
    assert app.text_input(key="live:max_changes:adult").value == "3"
    app.selectbox(key="live:difficulty:adult:hours-per-week").set_value("impossible").run()
    click(unlock_capital_gains(app), "Find my recourse")
    rules = next(c.value for c in app.caption if "your rules:" in c.value)
    assert "Hours worked a week won't change" in rules and "at most 3 features changed" in rules
