"""Live sessions kept on the server, keyed by a token the page puts in its URL, so a reload or
Back returns to the same question; bounded in number and expiring, with a cap on concurrent work
so one visitor cannot take a small shared host down.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field

from hare.live.run import LiveRun

MAX_SESSIONS = 60  # a LiveRun is ~100 KB; the oldest is dropped beyond this
TTL_SECONDS = 2 * 3600  # idle sessions expire
MAX_CONCURRENT_STARTS = 2  # searches for a first recourse at once (one per core of a small host)


class Busy(Exception):
    """Too many searches are running; the visitor is asked to try again."""


@dataclass
class LiveState:
    """Everything one visitor's live page keeps: choices, profile, the run and messages."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    sidebar: dict = field(default_factory=dict)  # the sidebar's values (restored on reload)
    run: LiveRun | None = None
    profile: dict[str, object] | None = None  # the last valid profile (original units)
    profile_key: str = ""  # which source the profile came from (test row / entered)
    profile_errors: dict[str, str] = field(default_factory=dict)
    store_error: str = ""  # why saving the answers failed, shown to the person
    # what the person ticked when starting: store the answers / also the profile
    store_answers: bool = False
    store_profile: bool = False
    touched: float = field(default_factory=time.monotonic)


class SessionRegistry:
    """Thread-safe store of LiveStates by token: at most ``max_sessions``, each expiring after
    ``ttl`` idle seconds; ``work()`` admits at most ``max_concurrent`` heavy steps at once."""

    def __init__(self, max_sessions: int = MAX_SESSIONS, ttl: float = TTL_SECONDS,
                 max_concurrent: int = MAX_CONCURRENT_STARTS):
        self.max_sessions, self.ttl = max_sessions, ttl
        self._states: OrderedDict[str, LiveState] = OrderedDict()
        self._lock = threading.Lock()
        self._work = threading.BoundedSemaphore(max_concurrent)

    def _expire(self, now: float) -> None:
        for token in [t for t, s in self._states.items() if now - s.touched > self.ttl]:
            del self._states[token]
        while len(self._states) > self.max_sessions:
            self._states.popitem(last=False)

    def get(self, token: str | None) -> LiveState | None:
        """The state for ``token`` (None if unknown or expired), marked as just used."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            state = self._states.get(token or "")
            if state is not None:
                state.touched = now
                self._states.move_to_end(token)
            return state

    def put(self, state: LiveState) -> None:
        with self._lock:
            state.touched = time.monotonic()
            self._states[state.token] = state
            self._states.move_to_end(state.token)
            self._expire(state.touched)

    def __len__(self) -> int:
        return len(self._states)

    @contextmanager
    def work(self, wait: float = 5.0):
        """Hold one of the concurrent-work slots, or raise Busy after ``wait`` seconds."""
        if not self._work.acquire(timeout=wait):
            raise Busy("The demo is busy with other visitors' searches: try again in a moment.")
        try:
            yield
        finally:
            self._work.release()
