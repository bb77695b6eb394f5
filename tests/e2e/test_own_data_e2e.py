"""The live page's "your own data" choice in a real headless Chromium: upload a CSV, its spec
and a scikit-learn pipeline saved with skops, then answer the questions to a recourse card."""

from __future__ import annotations

import pytest

from tests.e2e.test_app_e2e import answer_with_first, shoot, wait_idle
from tests.own_data_files import write_files, write_skops

pytestmark = pytest.mark.e2e

UPLOADS = "[data-testid='stFileUploader'] input[type='file']"


def upload(page, index: int, path) -> None:
    """Put ``path`` into the page's ``index``-th file uploader and wait for the rerun."""
    page.locator(UPLOADS).nth(index).set_input_files(str(path))
    page.wait_for_selector(f"text={path.name}")
    wait_idle(page)
    page.wait_for_selector("[data-stale='true']", state="detached")


def test_uploaded_data_spec_and_skops_model_reach_a_card(page, app_url, tmp_path):
    made = write_files(tmp_path)
    model = write_skops(tmp_path, made.frame)
    page.goto(app_url)
    page.get_by_role("button", name="Find my recourse").wait_for()
    wait_idle(page)
    page.get_by_text("Your own data and model").click()
    page.get_by_role("heading", name="Your own data and model").wait_for()
    wait_idle(page)
    upload(page, 0, made.csv)
    page.locator(UPLOADS).nth(1).wait_for(state="attached")
    upload(page, 1, made.spec)
    page.get_by_text("Upload my model (.skops or .onnx)").click()
    page.locator(UPLOADS).nth(2).wait_for(state="attached")
    wait_idle(page)
    upload(page, 2, model)
    page.get_by_text("agrees with it on").wait_for()
    start = page.get_by_role("button", name="Find my recourse")
    start.wait_for()
    wait_idle(page)
    start.click()
    page.locator("[data-testid='stProgress']").wait_for()
    for _ in range(12):
        wait_idle(page)
        page.wait_for_selector("[data-stale='true']", state="detached")
        if not page.locator("[data-testid='stProgress']").count():
            break
        answer_with_first(page, ("I prefer B", "Yes, I can do this"))
    page.get_by_role("heading", name="Your recourse").wait_for()
    assert page.get_by_text("With these changes the model's decision would be").count()
    shoot(page, "live_recourse_own_data_card")
