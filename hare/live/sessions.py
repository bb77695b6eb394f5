"""Live sessions kept on the server, keyed by a token the page puts in its URL, so a reload or
Back returns to the same question; bounded in number and expiring, with a cap on concurrent work
so one visitor cannot take a small shared host down.

A session belongs to the browser that started it (``owner``, a per-browser secret the page
derives): its link shows nothing to another browser, and each browser holds at most
``max_per_visitor`` sessions (a new one replaces that browser's own least recently used). No
session is taken from anyone else before it expires: when the server holds ``max_sessions``, a
newcomer is told so plainly (``Full``). With a :class:`hare.live.saved.SessionFiles` the sessions
are also on disk, so a restart within their expiry loses none.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from hare.errors import HareError
from hare.live.run import LiveRun
from hare.live.saved import SessionFiles, run_record

log = logging.getLogger(__name__)

MAX_SESSIONS = 60  # a LiveRun is ~100 KB; beyond this a newcomer is asked to come back later
MAX_PER_VISITOR = 3  # one browser's sessions; its own least recently used makes way for a new one
TTL_SECONDS = 2 * 3600  # a session expires this long after its last use
MAX_CONCURRENT_STARTS = 2  # searches for a first recourse at once (one per core of a small host)


class Busy(Exception):
    """Too many searches are running; the visitor is asked to try again."""


class Full(Exception):
    """The server holds as many sessions as it may, none of them expired; try again later."""


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
    stored: list[str] = field(default_factory=list)  # run ids this visit stored answers of
    deleted: bool = False  # the person deleted what they stored
    owner: str = ""  # the browser that registered it ("" until its first real action)
    touched: float = field(default_factory=time.time)  # wall clock: survives a restart

    def record(self) -> dict:
        """The state as JSON-ready data (hare.live.saved); messages are not kept."""
        return {"token": self.token, "owner": self.owner, "touched": self.touched,
                "sidebar": self.sidebar, "profile": self.profile, "profile_key": self.profile_key,
                "profile_errors": self.profile_errors, "store_answers": self.store_answers,
                "store_profile": self.store_profile, "stored": self.stored,
                "deleted": self.deleted,
                "run": None if self.run is None else run_record(self.run)}

    @classmethod
    def from_record(cls, record: dict, rebuild: Callable[[dict], LiveRun]) -> "LiveState":
        run = None if record["run"] is None else rebuild(record["run"])
        return cls(token=record["token"], sidebar=record["sidebar"], run=run,
                   profile=record["profile"], profile_key=record["profile_key"],
                   profile_errors=record["profile_errors"], store_answers=record["store_answers"],
                   store_profile=record["store_profile"], owner=record["owner"],
                   stored=list(record.get("stored", [])), deleted=record.get("deleted", False),
                   touched=record["touched"])


class SessionRegistry:
    """Thread-safe store of LiveStates by token (see the module's docstring); ``work()`` admits
    at most ``max_concurrent`` heavy steps at once."""

    def __init__(self, max_sessions: int = MAX_SESSIONS, ttl: float = TTL_SECONDS,
                 max_concurrent: int = MAX_CONCURRENT_STARTS,
                 max_per_visitor: int = MAX_PER_VISITOR, files: SessionFiles | None = None,
                 clock: Callable[[], float] = time.time):
        self.max_sessions, self.ttl, self.max_per_visitor = max_sessions, ttl, max_per_visitor
        self.files, self.clock = files, clock
        self._states: dict[str, LiveState] = {}  # the sessions rebuilt in memory
        self._meta: dict[str, tuple[str, float]] = {}  # every session: token -> (owner, touched)
        self._lock = threading.Lock()
        self._work = threading.BoundedSemaphore(max_concurrent)
        for token in files.tokens() if files is not None else []:
            record = files.read(token)
            if record is not None:
                self._meta[token] = (record["owner"], float(record["touched"]))
        with self._lock:
            self._expire(self.clock())

    def _drop(self, token: str) -> None:
        self._states.pop(token, None)
        self._meta.pop(token, None)
        if self.files is not None:
            self.files.remove(token)

    def _expire(self, now: float) -> None:
        for token in [t for t, (_, touched) in self._meta.items() if now - touched > self.ttl]:
            self._drop(token)

    def get(self, token: str | None, owner: str) -> LiveState | None:
        """The state for ``token`` when ``owner`` registered it (None if unknown, expired or
        another browser's), marked as just used; rebuilt from its file after a restart."""
        now = self.clock()
        with self._lock:
            self._expire(now)
            meta = self._meta.get(token or "")
            if meta is None or not owner or meta[0] != owner:
                return None
            state = self._states.get(token)
        if state is None:
            state = self._load(token)
            if state is None:
                return None
        with self._lock:
            if token not in self._meta:  # expired or replaced while it was being rebuilt
                return None
            state = self._states.setdefault(token, state)
            state.touched = now
            self._meta[token] = (owner, now)
        return state

    def _load(self, token: str) -> LiveState | None:
        record = self.files.read(token) if self.files is not None else None
        try:
            return None if record is None else LiveState.from_record(record, self.files.rebuild)
        except (HareError, KeyError, TypeError, ValueError) as exc:
            log.warning("session %s could not be restored, so it is dropped: %s", token, exc)
            with self._lock:
                self._drop(token)
            return None

    def register(self, state: LiveState, owner: str) -> None:
        """Keep ``state`` for ``owner``: that browser's least recently used sessions make way
        beyond ``max_per_visitor``; raises Full when the server holds ``max_sessions``."""
        now = self.clock()
        with self._lock:
            self._expire(now)
            mine = sorted((touched, t) for t, (o, touched) in self._meta.items()
                          if o == owner and t != state.token)
            while mine and len(mine) >= self.max_per_visitor:
                self._drop(mine.pop(0)[1])
            if state.token not in self._meta and len(self._meta) >= self.max_sessions:
                raise Full(f"The demo is holding {len(self._meta)} people's sessions, as many "
                           "as it can, and takes none away while its person may come back. "
                           f"Please try again later: a session ends "
                           f"{self.ttl / 3600:g} hours after its last use.")
            state.owner, state.touched = owner, now
            self._states[state.token] = state
            self._meta[state.token] = (owner, now)
        self.save(state)

    def save(self, state: LiveState) -> None:
        """Mark ``state`` as used and write it to its file (when the registry has files); a
        write that fails is logged and the session goes on in memory."""
        with self._lock:
            if state.token not in self._meta:
                return
            state.touched = self.clock()
            self._meta[state.token] = (state.owner, state.touched)
        if self.files is not None:
            try:
                self.files.write(state.record())
            except OSError as exc:
                log.warning("session %s is kept in memory only: %s", state.token, exc)

    def __len__(self) -> int:
        return len(self._meta)

    @contextmanager
    def work(self, wait: float = 5.0):
        """Hold one of the concurrent-work slots, or raise Busy after ``wait`` seconds."""
        if not self._work.acquire(timeout=wait):
            raise Busy("The demo is busy with other visitors' searches: try again in a moment.")
        try:
            yield
        finally:
            self._work.release()
