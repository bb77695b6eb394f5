"""The app in a real headless Chromium: a live session clicked through to the recourse card,
and a small sweep launched from the benchmark page that then shows on the results page.
Saves a screenshot of each page into $HARE_SCREENSHOTS (e.g. docs/screenshots, to refresh the
README's pictures), or into a temporary folder, so a test run leaves the work tree as it was."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from benchmarks.recourse_cards import Tally, check
from hare.bench.store import ResultStore
from hare.data import DATASETS
from hare.live.setup import METHODS

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("HARE_SCREENSHOTS") or tempfile.mkdtemp(prefix="hare-screens-"))
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

ANSWERS = ("I prefer B", "No, keep looking")
TITLES = {"adult": "Income (US census)", "compas": "Risk score (COMPAS, Broward County)",
          "credit": "Credit (Give Me Some Credit)"}


def wait_idle(page) -> None:
    """Wait until the script has finished its current run (call after waiting for content the
    run produces: right after a click the previous run may still count as idle)."""
    page.wait_for_selector(IDLE, state="attached")


def wait_answered(page, before: str) -> None:
    """After an answer: wait until the page shows the next question (its number moves on) or
    the card, and nothing drawn is left over from the question before. Streamlit keeps the old
    elements (marked stale) until the new run replaces them, so reading the options right after
    a click can mix the two questions."""
    page.wait_for_function(
        """before => { const p = document.querySelector("[data-testid='stProgress']");
                       return !p || p.innerText !== before; }""", arg=before)
    wait_idle(page)
    page.wait_for_selector("[data-stale='true']", state="detached")


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(600)  # let charts finish their first paint
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def choose_dataset(page, name: str) -> None:
    if name == "adult":
        return
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name=TITLES[name]).click()
    page.get_by_text(DATASETS[name].outcome.meaning).wait_for()
    wait_idle(page)


def enter_profile(page, values: dict[str, str]) -> None:
    """Type a profile (field label -> value) and use it."""
    page.get_by_text("Enter my own profile").click()
    wait_idle(page)
    for name, value in values.items():
        page.get_by_role("textbox", name=name).fill(value)
    page.get_by_role("button", name="Use this profile").click()
    page.get_by_role("button", name="Find my recourse").wait_for()
    wait_idle(page)


# COMPAS' defaults hold the past fixed, and then most refused people have no recourse: this one
# (refused person 14: 180 days in jail on a felony) has one if the jail stay may change.
COMPAS_PERSON = {"Age (years)": "30", "Reoffended within two years": "1", "Prior offences": "5",
                 "Days in jail (days)": "180"}


def unlock(page, feature: str) -> None:
    """Set the rule of ``feature`` (its readable label) to "can change"."""
    option = page.get_by_role("option", name="can change", exact=True)
    for _ in range(3):  # a rerun that lands as the list opens closes it again: open it anew
        wait_idle(page)
        page.get_by_label(feature, exact=True).click()
        try:
            option.click(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    wait_idle(page)
    page.get_by_text(f"How hard is changing {feature.lower()} for you?").wait_for()


def question_number(page) -> str:
    return page.locator("[data-testid='stProgress']").inner_text()


def answer_with_first(page, names) -> bool:
    """Click the first of the answer buttons ``names`` that the question shows and wait for the
    next question; False when it shows none of them."""
    before = question_number(page)
    for name in names:
        button = page.get_by_role("button", name=name, exact=True)
        if button.count():
            button.click()
            wait_answered(page, before)
            return True
    return False


def options_text(page) -> list[str]:
    """The changes listed under Option A and Option B, as the person reads them."""
    out = []
    for n in "AB":
        column = page.locator("[data-testid='stColumn']").filter(has_text=f"I prefer {n}").last
        text = column.inner_text().replace(f"Option {n}", "").replace(f"I prefer {n}", "")
        out.append(text.strip())
    return out


@pytest.mark.parametrize("dataset,method", [("adult", "hare"), ("compas", "hare"),
                                            ("credit", "hare"), ("credit", "active")])
def test_a_refused_person_gets_a_card_they_can_trust(page, app_url, dataset, method):
    spec = DATASETS[dataset]
    page.goto(app_url)
    page.get_by_role("button", name="Find my recourse").wait_for()
    wait_idle(page)
    choose_dataset(page, dataset)
    if method == "active":
        page.get_by_text(METHODS["active"]).click()
        wait_idle(page)
    if dataset == "adult":
        shoot(page, "live_recourse_profile")
        # a bad typed value gets a message beside it, never a silent change
        # exact: the field's help button is labelled "Help for <the field's label>"
        budget = page.get_by_label("Questions you will answer, at most (2–40)", exact=True)
        budget.fill("1e5")
        budget.press("Enter")
        page.get_by_text("choose from 2 to 40 questions").wait_for()
        budget.fill("10")
        budget.press("Enter")
        page.get_by_text("choose from 2 to 40 questions").wait_for(state="detached")
        wait_idle(page)
    if dataset == "compas":
        enter_profile(page, COMPAS_PERSON)
    if dataset == "adult":  # within the people defaults this person has none: gains unlocked
        unlock(page, "Capital gains")
    page.get_by_role("button", name="Find my recourse").click()
    if dataset == "compas":  # no recourse within the defaults: unlock what stands in the way
        page.get_by_text("What would have to change").wait_for()
        wait_idle(page)
        shoot(page, "live_recourse_compas_none")
        page.get_by_role("button", name="Let days in jail change and search again").click()
        page.locator("[data-testid='stProgress']").wait_for()
    reloaded = False
    for _ in range(12):
        page.wait_for_selector("text=/Question \\d+ of at most|Your recourse|No change within/")
        wait_idle(page)
        page.wait_for_selector("[data-stale='true']", state="detached")
        if not page.locator("[data-testid='stProgress']").count():
            break
        if page.get_by_role("button", name="I prefer B").count():
            a, b = options_text(page)
            assert a and b and a != b, "two identical options shown"
            if dataset == "adult":
                shoot(page, "live_recourse_question")
            elif method == "active":
                shoot(page, "live_recourse_active_question")
        if not reloaded:  # a reload mid-session returns to the same question
            before = question_number(page)
            page.reload()
            page.locator("[data-testid='stProgress']").wait_for()
            wait_idle(page)
            assert question_number(page) == before
            reloaded = True
        answer_with_first(page, ANSWERS)
    page.get_by_role("heading", name="Your recourse").wait_for()
    wait_idle(page)
    if dataset in ("adult", "compas"):
        shoot(page, "live_recourse_card" if dataset == "adult" else "live_recourse_compas_card")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the card (JSON)").click()
    card = json.loads(open(download.value.path()).read())
    assert card["approved"] and card["probability_after"] >= card["target_probability"] == 0.6
    assert card["settings"]["method"] == method
    assert page.get_by_text(f"{spec.outcome.yes}: {card['probability_after']:.0%}").count()
    # the rules in force: the spec's defaults for people, with COMPAS' jail stay unlocked
    settings = card["settings"]
    defaults = {f.column: f.people for f in spec.facts}
    unlocked = {"compas": {"length_of_stay"}, "adult": {"capital-gain"}}.get(dataset, set())
    held = {c for c, r in defaults.items() if r in ("history", "locked", "label")}
    assert set(settings["will_not_change"]) == held - unlocked
    assert settings["directions"] == {c: {"up": "only up", "down": "only down"}[r]
                                      for c, r in defaults.items() if r in ("up", "down")}
    # what the server recorded as shown agrees: the card is complete, every comparison was a
    # real choice and no option went against the card's rules (hare recourse's own check)
    tally = Tally()
    check(card, tally, set(spec.immutable))
    assert tally.problems == [] and tally.identical == 0 and tally.approved == 1


@pytest.mark.parametrize("dataset", ["adult", "credit"])
def test_none_of_these_work_ends_without_a_plan_and_says_what_to_loosen(page, app_url, dataset):
    page.goto(app_url)
    page.get_by_role("button", name="Find my recourse").wait_for()
    wait_idle(page)
    choose_dataset(page, dataset)
    if dataset == "adult":
        unlock(page, "Capital gains")
    page.get_by_role("button", name="Find my recourse").click()
    for _ in range(12):
        page.locator("[data-testid='stProgress']").wait_for()
        wait_idle(page)
        page.wait_for_selector("[data-stale='true']", state="detached")
        if page.get_by_role("button", name="None of these work for me").count():
            break
        before = question_number(page)
        page.get_by_role("button", name="I prefer B", exact=True).click()
        wait_answered(page, before)
    page.get_by_role("button", name="None of these work for me").click()
    page.get_by_role("heading", name="None of these work for you").wait_for()
    wait_idle(page)
    assert page.get_by_text("What you could loosen").count()
    assert not page.locator("[data-testid='stAlertContentSuccess']").count()
    shoot(page, f"live_recourse_none_work_{dataset}")


def test_sweep_from_the_benchmark_page_shows_on_the_results_page(page, app_url, app_dbs):
    context = page.context
    page.goto(f"{app_url}/benchmark")
    users = page.locator("input[aria-label='Users per run']")
    users.wait_for()
    wait_idle(page)
    users.fill("10")
    users.press("Enter")
    page.get_by_text("3 runs: 0 already stored, 3 to run").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Launch").click()
    page.get_by_role("button", name="Cancel the sweep").wait_for()
    # Close the page mid-run: the sweep goes on, and the same address opened again finds it
    # (the visitor's id is in the URL); a stranger's visit does not.
    address = page.url
    assert "v=" in address
    page.close()
    stranger = context.new_page()
    stranger.goto(f"{app_url}/benchmark")
    stranger.get_by_text("You have not launched a sweep yet.").wait_for()
    stranger.close()
    page = context.new_page()
    page.goto(address)
    page.get_by_text("Finished: 3 of 3 runs stored.").wait_for(timeout=180_000)
    wait_idle(page)
    shoot(page, "benchmark")
    assert len(ResultStore(app_dbs["db"]).stored_run_ids()) == 3

    page.get_by_role("link", name="Results").click()
    page.get_by_text("your runs", exact=True).click()
    page.get_by_text("3 runs stored in 3 cells.").wait_for()
    # the chart mounts in the browser after the script run that sends it: wait for it
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=30_000)
    wait_idle(page)
    # your runs' own verdict: its 10-user cells, not the shipped 150-user ones
    verdict = page.locator("[data-testid='stAlertContentSuccess']").inner_text()
    assert "Verdict. The paper's claim holds: HARE and Multi-HARE end below" in verdict
    assert "under our corrected protocol at 10 users" in verdict and "150 users" not in verdict
    shoot(page, "results_your_runs")


# The picture each view of the shipped store is saved as (the README shows some of them).
VIEW_SHOTS = ("results_table1", "results_table2", "results_table3", "results_table4",
              "results_table5", "results_table6", "results_noise", "results_prefs",
              "results_active")


def test_results_page_shows_the_verdict_and_every_view(page, app_url):
    """The shipped store: the verdict (a conclusion first), the protocols named for people,
    then each view's chart, with no exception on the way."""
    from hare_app.results import VIEWS

    assert len(VIEW_SHOTS) == len(VIEWS)
    page.set_viewport_size({"width": 1400, "height": 2400})  # a whole chart in one picture
    page.goto(f"{app_url}/results")
    page.get_by_text("Verdict.").wait_for()
    verdict = page.locator("[data-testid='stAlertContentSuccess']").inner_text()
    assert "Verdict. The paper's claim holds: HARE and Multi-HARE end below" in verdict
    assert page.get_by_text("HARE and Multi-HARE end below the base generator in").count() == 1
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=30_000)
    wait_idle(page)
    for group in ("ours", "the authors' code, replayed", "one of their choices at a time"):
        assert page.get_by_role("radio", name=group, exact=True).count() == 1
    shoot(page, "results")
    for view, name in zip(VIEWS, VIEW_SHOTS):
        page.get_by_role("radio", name=view.label, exact=True).click()
        page.get_by_text(view.caption[:40]).wait_for()
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=30_000)
        wait_idle(page)
        page.wait_for_selector("[data-stale='true']", state="detached")
        assert page.locator("[data-testid='stException']").count() == 0, view.label
        shoot(page, name)
    # one of the authors' choices at a time: readable names, each with its help line
    page.get_by_role("radio", name=VIEWS[0].label, exact=True).click()
    wait_idle(page)
    page.get_by_role("radio", name="one of their choices at a time", exact=True).click()
    page.get_by_text("Which choice").wait_for()
    wait_idle(page)
    page.wait_for_selector("[data-stale='true']", state="detached")
    page.get_by_text("Ours with the authors' ground-truth draw").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    shoot(page, "results_protocols")
