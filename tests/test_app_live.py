"""The live recourse page through streamlit.testing.v1.AppTest: a whole session to the card,
messages beside bad fields, no recourse, and a session surviving a trip to another page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hare.live.answers import AnswerStore

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("HARE_DB", str(tmp_path / "hare.duckdb"))
    monkeypatch.setenv("HARE_ANSWERS_DB", str(tmp_path / "answers.duckdb"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["live_seed"] = 0  # replayable candidates
    at.run()
    assert not at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    button = next(b for b in at.button if b.label == label)
    button.click().run()
    assert not at.exception, at.exception
    return at


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def answer_until_done(at: AppTest) -> int:
    answered = 0
    for _ in range(50):
        names = labels(at)
        choice = next((n for n in ("I prefer B", "Continue", "No, keep looking") if n in names), None)
        if choice is None:
            return answered
        click(at, choice)
        answered += 1
    raise AssertionError("the session did not end")


def test_full_session_to_the_card_with_opt_in(app, tmp_path):
    assert [m.value for m in app.metric] == ["Refused", app.metric[1].value]
    app.checkbox(key="live_optin").check()
    app.number_input(key="live_budget").set_value(6)
    app.number_input(key="live_iterations").set_value(2)
    click(app.run(), "Find my recourse")
    progress = app.get("progress")[0].proto.text
    assert "Question 1 of 6" in progress and "6 left" in progress
    assert any(m.value.startswith("**Option A") for m in app.markdown)
    assert app.get("vega_lite_chart"), "the changes chart is drawn"
    assert answer_until_done(app) == 6
    assert "Your recourse" in [s.value for s in app.subheader]
    before, after = app.metric[2].value, app.metric[3].value
    assert int(after.rstrip("%")) >= 50 > int(before.rstrip("%"))
    assert app.get("download_button"), "the card can be downloaded"
    changed = app.dataframe[0].value
    assert len(changed) > 0 and "→" not in changed.to_string()  # a before and an after column
    store = AnswerStore(tmp_path / "answers.duckdb")
    assert len(store.sessions()) == 1 and len(store.answers()) == 6


def test_bad_profile_and_settings_get_messages_beside_the_field(app):
    app.radio(key="live_source").set_value("Enter my own profile").run()
    key = "pf:adult:entered:"
    app.number_input(key=key + "age").set_value(200)
    app.number_input(key=key + "hours-per-week").set_value(150)
    click(app, "Use this profile")
    errors = [e.value for e in app.error]
    assert len(errors) == 2  # one message per bad field, drawn under it
    assert any("17 to 90" in e for e in errors) and any("1 to 99" in e for e in errors)
    assert "Find my recourse" not in labels(app)
    app.number_input(key=key + "age").set_value(30)
    app.number_input(key=key + "hours-per-week").set_value(20)
    click(app, "Use this profile")
    assert not app.error and app.metric[0].value == "Refused"
    app.number_input(key="live_budget").set_value(9).run()
    assert any("not divisible" in e.value for e in app.sidebar.error)
    assert next(b for b in app.button if b.label == "Find my recourse").disabled


def test_bad_range_gets_a_message_and_blocks_the_start(app):
    app.number_input(key="lo:adult:hours-per-week").set_value(60)
    app.number_input(key="hi:adult:hours-per-week").set_value(40).run()
    assert any("above the highest" in e.value for e in app.error)
    assert next(b for b in app.button if b.label == "Find my recourse").disabled


def test_no_recourse_is_said_plainly(app):
    movable = app.multiselect(key="live_frozen:adult").options
    app.multiselect(key="live_frozen:adult").set_value(movable)
    click(app.run(), "Find my recourse")
    assert any("No recourse found" in w.value for w in app.warning)
    click(app, "Start over")
    assert "Find my recourse" in labels(app)


def test_session_survives_another_page_and_stale_clicks(app):
    click(app, "Find my recourse")
    click(app, "I prefer B")
    assert "Question 2 of 10" in app.get("progress")[0].proto.text
    app.switch_page("pages/results.py").run()
    assert not app.exception
    app.switch_page("pages/live_recourse.py").run()
    assert not app.exception
    assert "Question 2 of 10" in app.get("progress")[0].proto.text
    click(app, "I prefer A")
    assert "Question 3 of 10" in app.get("progress")[0].proto.text
