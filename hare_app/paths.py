"""Where the app's databases live: the shipped paper reproduction (read-only), the store that
sweeps write to, and the opt-in human answers store.

The app resolves relative paths against its own folder (the one holding ``streamlit_app.py``),
so it finds ``results/`` however it is started; ``HARE_SHIPPED_DB``, ``HARE_DB`` and
``HARE_ANSWERS_DB`` override them (tests point them at temporary folders). The engine itself
knows no layout: the command line takes paths relative to the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_ROOT = Path(__file__).resolve().parents[1]


def _resolve(env: str, default: str) -> Path:
    value = os.environ.get(env)
    path = Path(value).expanduser() if value else Path(default)
    return path if path.is_absolute() else APP_ROOT / path


def shipped_db_path() -> Path:
    """The paper reproduction as shipped (``HARE_SHIPPED_DB`` or results/hare.duckdb); the app
    only ever reads it."""
    return _resolve("HARE_SHIPPED_DB", "results/hare.duckdb")


def results_db_path() -> Path:
    """Where sweeps launched from the app write (``HARE_DB`` or results/runs.duckdb, which git
    ignores), so a newcomer's first sweep never alters the shipped reproduction."""
    return _resolve("HARE_DB", "results/runs.duckdb")


def answers_db_path() -> Path:
    """The opt-in human answers DuckDB file (``HARE_ANSWERS_DB`` or results/human_answers.duckdb)."""
    return _resolve("HARE_ANSWERS_DB", "results/human_answers.duckdb")


def sessions_path() -> Path:
    """The folder of live sessions kept across a restart (``HARE_SESSIONS_DIR``, else a
    ``sessions`` folder beside the answers store, so tests that move that store move it too)."""
    value = os.environ.get("HARE_SESSIONS_DIR")
    return _resolve("HARE_SESSIONS_DIR", value) if value else answers_db_path().parent / "sessions"
