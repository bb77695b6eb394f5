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

from hare.bench.store import ResultStore

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("HARE_SCREENSHOTS") or tempfile.mkdtemp(prefix="hare-screens-"))
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

ANSWERS = ("I prefer B", "I prefer A", "Continue", "No, keep looking")


def wait_idle(page) -> None:
    """Wait until the script has finished its current run (call after waiting for content the
    run produces: right after a click the previous run may still count as idle)."""
    page.wait_for_selector(IDLE, state="attached")


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(600)  # let charts finish their first paint
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_live_session_clicked_through_to_the_card(page, app_url):
    page.goto(app_url)
    page.get_by_role("button", name="Find my recourse").wait_for()
    wait_idle(page)
    shoot(page, "live_recourse_profile")
    page.get_by_role("button", name="Find my recourse").click()
    shot = False
    for number in range(1, 11):
        page.get_by_text(f"Question {number} of 10").wait_for()
        wait_idle(page)
        if not shot and page.get_by_role("button", name="I prefer B").count():
            shoot(page, "live_recourse_question")  # the first real pair of options
            shot = True
        # Prefer the new option each time it differs; keep looking when asked.
        for name in ANSWERS:
            button = page.get_by_role("button", name=name, exact=True)
            if button.count():
                button.click()
                break
        else:
            raise AssertionError(f"no answer button on question {number}")
    page.get_by_role("heading", name="Your recourse").wait_for()
    wait_idle(page)
    assert page.get_by_text("You answered 10 of 10 questions").is_visible()
    shoot(page, "live_recourse_card")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download (JSON)").click()
    card = json.loads(open(download.value.path()).read())
    assert card["recourse_found"] and card["questions_answered"] == 10
    assert card["probability_after"] >= 0.5 > card["probability_before"]


def test_sweep_from_the_benchmark_page_shows_on_the_results_page(page, app_url, app_dbs):
    context = page.context
    page.goto(f"{app_url}/benchmark")
    users = page.locator("input[aria-label='Users per run']")
    users.wait_for()
    wait_idle(page)
    users.fill("10")
    users.press("Enter")
    page.get_by_text("3 cells: 0 already stored, 3 to run").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Launch").click()
    page.get_by_role("button", name="Cancel the sweep").wait_for()
    # Close the page mid-run: the sweep goes on, and a new visit finds it.
    page.close()
    page = context.new_page()
    page.goto(f"{app_url}/benchmark")
    page.get_by_text("Finished: 3 of 3 cells stored.").wait_for(timeout=180_000)
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
    assert "10 users: HARE and Multi-HARE end below the base generator in" in verdict
    assert "150 users" not in verdict
    shoot(page, "results_your_runs")


def test_results_page_shows_the_verdict_and_every_view(page, app_url):
    """The shipped store: the verdict, then each view's chart, with no exception on the way."""
    from hare_app.results import VIEWS

    page.set_viewport_size({"width": 1400, "height": 2400})  # a whole chart in one picture
    page.goto(f"{app_url}/results")
    page.get_by_text("Verdict.").wait_for()
    assert page.get_by_text("HARE and Multi-HARE end below the base generator in").count() == 1
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=30_000)
    wait_idle(page)
    shoot(page, "results")
    for number, view in enumerate(VIEWS):
        page.get_by_role("tab", name=view.label).click()
        page.get_by_text(view.caption[:40]).wait_for()
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=30_000)
        wait_idle(page)
        assert page.locator("[data-testid='stException']").count() == 0, view.label
        shoot(page, f"results_view{number + 1}")
