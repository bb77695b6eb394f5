"""Live sessions: one browser cannot evict another's, a link opens for its own browser only,
and a restart within the expiry loses no session (hare.live.sessions, hare.live.saved)."""

from __future__ import annotations

import json

import pytest
import torch

from hare.generators import make_generator
from hare.live.profile import Preferences, profile_from_row
from hare.live.run import LiveRun
from hare.live.saved import SessionFiles, rebuild_run
from hare.live.sessions import Full, LiveState, SessionRegistry
from hare.live.setup import SessionConfig
from hare.rng import user_keys


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _registry(**kw):
    return SessionRegistry(clock=kw.pop("clock", Clock()), **kw)


def test_one_browser_replaces_only_its_own_sessions():
    reg = _registry(max_sessions=10, max_per_visitor=3)
    others = [LiveState() for _ in range(6)]
    for i, s in enumerate(others):
        reg.register(s, f"visitor-{i}")
    for _ in range(100):  # a hostile browser opening session after session
        reg.register(LiveState(), "hostile")
    assert len(reg) == 6 + 3
    for i, s in enumerate(others):
        assert reg.get(s.token, f"visitor-{i}") is s


def test_a_full_server_says_so_and_takes_nobody_s_session():
    clock = Clock()
    reg = _registry(max_sessions=2, ttl=100, clock=clock)
    a, b = LiveState(), LiveState()
    reg.register(a, "a")
    reg.register(b, "b")
    with pytest.raises(Full, match="try again later"):
        reg.register(LiveState(), "c")
    assert reg.get(a.token, "a") is a and reg.get(b.token, "b") is b
    clock.now += 101  # both expire: now there is room
    reg.register(LiveState(), "c")
    assert reg.get(a.token, "a") is None and len(reg) == 1


def test_a_link_opens_only_for_the_browser_that_started_it():
    reg = _registry()
    s = LiveState()
    reg.register(s, "mine")
    assert reg.get(s.token, "someone-else") is None
    assert reg.get(s.token, "") is None
    assert reg.get(None, "mine") is None
    assert reg.get(s.token, "mine") is s


def test_an_unregistered_page_takes_no_session():
    reg = _registry()
    s = LiveState()
    reg.save(s)  # a page load that did nothing: not kept
    assert len(reg) == 0


# Test row 4: refused, with a recourse within the people defaults (row 0 has none once capital
# gains are locked), so its session asks questions.
ROW = 4


def _run(adult, adult_ann, method="hare"):
    prefs = Preferences.for_people(adult, profile_from_row(adult, ROW))
    space = prefs.action_space(adult)
    x = adult.x_test[ROW:ROW + 1]
    r0 = make_generator("gs").fit(adult, adult_ann, space, 0).generate(x, user_keys(7, torch.arange(1)))
    config = SessionConfig("adult", "ann", "gs", method=method, budget=6, rounds=2, seed=7)
    return LiveRun(config, adult, adult_ann, x, r0, space, prefs, "test_row", ROW)


@pytest.mark.parametrize("method", ["hare", "active"])
def test_a_restart_restores_every_session_at_its_question(adult, adult_ann, tmp_path, method):
    rebuild = lambda record: rebuild_run(record, adult, adult_ann)  # noqa: E731
    reg = SessionRegistry(files=SessionFiles(tmp_path, rebuild))
    midway, finished = LiveState(run=_run(adult, adult_ann, method)), LiveState(run=_run(adult, adult_ann, method))
    midway.profile = profile_from_row(adult, ROW)
    for s, owner in ((midway, "a"), (finished, "b")):
        reg.register(s, owner)
    midway.run.answer(True)
    reg.save(midway)
    while (q := finished.run.question()) is not None:
        finished.run.answer(q.kind == "compare")
    reg.save(finished)

    again = SessionRegistry(files=SessionFiles(tmp_path, rebuild))  # a new server process
    assert len(again) == 2
    m, f = again.get(midway.token, "a"), again.get(finished.token, "b")
    assert m.run.question() == midway.run.question()
    assert m.profile == json.loads(json.dumps(midway.profile, default=float))
    assert [e.choice for e in m.run.events] == [e.choice for e in midway.run.events]
    assert m.run.events[0].seconds == midway.run.events[0].seconds and m.run.id == midway.run.id
    card = lambda run: run.card() | {"time": None}  # noqa: E731 (when the card was drawn)
    assert f.run.done and card(f.run) == card(finished.run)
    assert again.get(finished.token, "a") is None  # still another browser's


def test_files_hold_no_path_from_a_token_and_drop_what_they_cannot_read(tmp_path):
    files = SessionFiles(tmp_path, rebuild=lambda record: None)
    with pytest.raises(ValueError):
        files.path("../../etc/passwd")
    (tmp_path / "abcdefghijkl.json").write_text("{not json")
    assert SessionRegistry(files=files).get("abcdefghijkl", "x") is None
    assert not (tmp_path / "abcdefghijkl.json").exists()
