"""Live sessions under a hostile visitor and a restart, in real headless Chromium: six
visitors, each its own browser, finish their sessions while another browser opens 100 sessions;
after a restart of the server each of the six reopens its own link to its own card, and a link
opened in another browser shows nobody's session."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from hare.live.sessions import MAX_PER_VISITOR
from tests.e2e.conftest import start_server, stop_server
from tests.e2e.test_app_e2e import IDLE, answer_with_first, question_number, unlock

pytestmark = pytest.mark.e2e

VISITORS = 6
HOSTILE_SESSIONS = 100
PROGRESS = "[data-testid='stProgress']"


@pytest.fixture
def server_dbs(tmp_path):
    return {"db": tmp_path / "hare.duckdb", "answers": tmp_path / "human_answers.duckdb"}


def _context(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    context.set_default_timeout(90_000)
    return context


def _start(page, url: str, with_gains: bool = False) -> str:
    """A fresh page's first search; the session's link. ``with_gains``: capital gains may
    change, since within the people defaults the page's first refused person has no recourse
    (a visitor who is to finish a session with a card needs one)."""
    page.goto(url)
    page.get_by_role("button", name="Find my recourse").wait_for()
    page.wait_for_selector(IDLE, state="attached")
    if with_gains:
        unlock(page, "Capital gains")
    page.get_by_role("button", name="Find my recourse").click()
    page.wait_for_selector("text=/Question \\d+ of at most|No change within/")
    page.wait_for_selector(IDLE, state="attached")
    return page.url


def _answer_one(page, n: int) -> bool:
    """Answer the question on the page (A or B by ``n``, never "good enough"); False when the
    session is over."""
    if not page.locator(PROGRESS).count():
        return False
    if answer_with_first(page, (("I prefer A", "I prefer B")[n % 2], "No, keep looking")):
        return True
    raise AssertionError(f"no answer button at {question_number(page)}")


def _card(page) -> dict:
    """The session's card as downloaded (its profile included), less when it was drawn."""
    page.get_by_role("heading", name="Your recourse").wait_for()
    page.wait_for_selector(IDLE, state="attached")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the card (JSON)").click()
    card = json.loads(open(download.value.path()).read())
    return card | {"time": None}


def test_nobody_loses_a_session_to_a_hostile_visitor_or_a_restart(browser, server_dbs):
    server, url = start_server(server_dbs)
    try:
        visitors = [_context(browser) for _ in range(VISITORS)]
        pages = [context.new_page() for context in visitors]
        links = [_start(page, url, with_gains=True) for page in pages]
        assert len({parse_qs(urlparse(link).query)["s"][0] for link in links}) == VISITORS
        hostile = _context(browser)
        attacker = hostile.new_page()
        opened, step = 0, 0
        # the six answer their questions while the hostile browser opens session after session
        while opened < HOSTILE_SESSIONS or any(p.locator(PROGRESS).count() for p in pages):
            for i, page in enumerate(pages):
                _answer_one(page, i + step)
            step += 1
            for _ in range(min(20, HOSTILE_SESSIONS - opened)):
                _start(attacker, url)
                opened += 1
        cards = [_card(page) for page in pages]
        hostile.close()
        # on disk: the six sessions, and the hostile browser's own few (it replaced its own)
        stored = list((server_dbs["answers"].parent / "sessions").glob("*.json"))
        assert len(stored) == VISITORS + MAX_PER_VISITOR
    finally:
        stop_server(server)

    server, url = start_server(server_dbs, port=int(urlparse(url).port))  # the same links
    try:
        for context, link, card in zip(visitors, links, cards):
            page = context.new_page()
            page.goto(link)
            assert _card(page) == card  # its own card, its own profile
        stranger = _context(browser).new_page()
        stranger.goto(links[0])
        stranger.get_by_text("a link opens only where its session began").wait_for()
        assert not stranger.get_by_role("heading", name="Your recourse").count()
        assert "s=" not in stranger.url
    finally:
        stop_server(server)
        for context in visitors:
            context.close()
