"""Live sessions on disk: one JSON file per session in a folder, written atomically, so a
server restart within a session's expiry loses none.

A LiveRun is not stored as objects (no pickle: a file is data, never code). Its record holds what
defines it (the session's config, the encoded profile, the base recourse, the person's rules)
and the answers; restoring replays the answers through a fresh LiveRun, which asks the same
questions again because a session is deterministic given its seed and answers. The recorded
timings and ids are put back afterwards, so a restored run saves and prints as the original.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from hare.data import Dataset
from hare.live.profile import Preferences
from hare.live.run import AnswerEvent, LiveRun
from hare.live.setup import SessionConfig
from hare.models import Classifier

log = logging.getLogger(__name__)

FORMAT = 1  # bumped when a record's fields change; older files are not restored
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")  # what secrets.token_urlsafe gives; never a path


def _plain(value):
    """JSON for numpy scalars and datetimes (a profile read from the data holds numpy values)."""
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to a session file")


def run_record(run: LiveRun) -> dict:
    """What rebuilds ``run``: its definition and the answers given so far."""
    return {
        "config": dataclasses.asdict(run.config),
        "x": run.x.tolist(), "r0": run.r0.tolist(), "dtype": str(run.x.dtype).removeprefix("torch."),
        "preferences": dataclasses.asdict(run.preferences),
        "source": run.source, "test_row": run.test_row,
        "events": [dataclasses.asdict(e) for e in run.events],
        "id": run.id, "started_at": run.started_at, "saved": run.saved,
    }


def _preferences(record: dict) -> Preferences:
    return Preferences(frozen=tuple(record["frozen"]),
                       ranges=tuple(tuple(r) for r in record["ranges"]),
                       directions=tuple(tuple(d) for d in record["directions"]),
                       notes=tuple(record["notes"]), max_changes=record["max_changes"])


def rebuild_run(record: dict, dataset: Dataset, model: Classifier) -> LiveRun:
    """The run ``record`` describes, its answers replayed (see the module's docstring)."""
    config = SessionConfig(**record["config"])
    dtype = getattr(torch, record["dtype"])
    preferences = _preferences(record["preferences"])
    x = torch.tensor(record["x"], dtype=dtype)
    r0 = torch.tensor(record["r0"], dtype=dtype)
    run = LiveRun(config, dataset, model, x, r0, preferences.action_space(dataset), preferences,
                  record["source"], record["test_row"])
    events = [AnswerEvent(**(e | {"shown_at": dt.datetime.fromisoformat(e["shown_at"])}))
              for e in record["events"]]
    for event in events:
        run.answer(event.choice)
    run.events = events
    run.id, run.saved = record["id"], record["saved"]
    run.started_at = dt.datetime.fromisoformat(record["started_at"])
    return run


class SessionFiles:
    """One ``<token>.json`` per session in ``folder``. ``rebuild(record)`` turns a stored run
    record back into a LiveRun (it needs the server's dataset and classifier)."""

    def __init__(self, folder: str | os.PathLike, rebuild: Callable[[dict], LiveRun]):
        self.folder, self.rebuild = Path(folder), rebuild

    def path(self, token: str) -> Path:
        if not TOKEN.match(token):
            raise ValueError(f"not a session token: {token!r}")
        return self.folder / f"{token}.json"

    def write(self, record: dict) -> None:
        """Atomically: a reader (or a restart) sees the old file or the new one, never half."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(record["token"])
        fd, tmp = tempfile.mkstemp(prefix=f".{record['token']}.", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"format": FORMAT} | record, f, default=_plain)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, token: str) -> dict | None:
        """The stored record (None when absent, or unreadable: then it is logged and removed,
        since a session that cannot be restored only holds a place)."""
        path = self.path(token)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.get("format") != FORMAT or record.get("token") != token:
                raise ValueError(f"format {record.get('format')!r}, token {record.get('token')!r}")
            return record
        except FileNotFoundError:
            return None
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("dropping the unreadable session file %s: %s", path, exc)
            path.unlink(missing_ok=True)
            return None

    def tokens(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return [p.stem for p in self.folder.glob("*.json") if TOKEN.match(p.stem)]

    def remove(self, token: str) -> None:
        self.path(token).unlink(missing_ok=True)
