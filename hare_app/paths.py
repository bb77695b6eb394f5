"""Where the app's databases live: the results store and the opt-in human answers store.

Paths are resolved relative to the project root (not the working directory), so the app finds
``results/`` however it is started; ``HARE_DB`` and ``HARE_ANSWERS_DB`` override them (tests
point them at temporary folders).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _resolve(env: str, default: str) -> Path:
    value = os.environ.get(env)
    path = Path(value).expanduser() if value else Path(default)
    return path if path.is_absolute() else PROJECT_ROOT / path


def results_db_path() -> Path:
    """The benchmark results DuckDB file (``HARE_DB`` or results/hare.duckdb)."""
    return _resolve("HARE_DB", "results/hare.duckdb")


def answers_db_path() -> Path:
    """The opt-in human answers DuckDB file (``HARE_ANSWERS_DB`` or results/human_answers.duckdb)."""
    return _resolve("HARE_ANSWERS_DB", "results/human_answers.duckdb")
