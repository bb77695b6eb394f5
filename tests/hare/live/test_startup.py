"""Server start-up keeps the demo healthy: a damaged shipped model file is reported and its
models are trained then, so no visitor's click trains (hare.live.startup, hare.live.shipped)."""

from __future__ import annotations

import shutil

import pytest

from hare.live import shipped
from hare.live.startup import prepare_server


@pytest.fixture
def damaged_copy(tmp_path, monkeypatch):
    """The shipped files with compas' logistic regression corrupted, and an empty cache."""
    folder = tmp_path / "demo_models"
    shutil.copytree(shipped.SHIPPED, folder)
    name = next(n for n in shipped.shipped_files() if n.startswith("models/compas-lr") and n.endswith(".pt"))
    (folder / name).write_bytes(b"not a model")
    monkeypatch.setattr(shipped, "SHIPPED", folder)
    monkeypatch.setenv("HARE_CACHE_DIR", str(tmp_path / "cache"))
    return name


def test_a_damaged_shipped_file_is_rebuilt_at_start_and_reported(damaged_copy, tmp_path):
    with pytest.warns(UserWarning, match="fails its checksum"):
        start = prepare_server()
    assert start.damaged == [damaged_copy]
    assert damaged_copy not in start.installed and len(start.installed) == len(shipped.shipped_files()) - 1
    rebuilt = tmp_path / "cache" / damaged_copy
    assert rebuilt.is_file() and rebuilt.read_bytes() != b"not a model"
    assert "compas" in start.notice() and "trained again when the server started" in start.notice()
    assert prepare_server().damaged == []  # the cache holds it now: nothing more to do
