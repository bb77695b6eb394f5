"""``hare verify``: a sample of a shipped preset recomputed cold, compared run by run and cell by
cell with the shipped rows."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from hare.bench.verify import TOLERANCE, compare, equal_runs
from hare.cli import main

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = str(ROOT / "results" / "hare.duckdb")


def runs(rows: list[tuple]) -> pd.DataFrame:
    """runs rows of one cell per (generator): run id, seed, gtp."""
    return pd.DataFrame([dict(run_id=r, dataset="adult", model="ann", generator=g, variant="base",
                              seed=s, gtp=v, gtd=0.5) for r, g, s, v in rows])


def test_a_cell_mean_is_taken_with_the_recomputed_runs_in_place_of_the_shipped_ones():
    shipped = runs([("a", "gs", 0, 0.40), ("b", "gs", 1, 0.60), ("c", "wachter", 0, 0.70)])
    again = runs([("a", "gs", 0, 0.50)])
    gtp = next(c for c in compare(shipped, again) if c.metric == "gtp")
    assert gtp.largest_run == pytest.approx(0.10) and gtp.worst_run == "adult ann gs base seed 0"
    assert gtp.largest_cell == pytest.approx(0.05)  # (0.50 + 0.60) / 2 against (0.40 + 0.60) / 2
    assert gtp.cells == 1 and gtp.ok
    far = next(c for c in compare(shipped, runs([("a", "gs", 0, 0.40 + 3 * TOLERANCE["gtp"])]))
               if c.metric == "gtp")
    assert far.cells_over == 1 and not far.ok
    assert equal_runs(shipped, runs([("a", "gs", 0, 0.40)])) == 1
    assert equal_runs(shipped, again) == 0


def test_verify_recomputes_a_shipped_run_cold_and_leaves_the_model_cache_alone(capsys):
    setting = os.environ.get("HARE_CACHE_DIR")
    cache = Path(setting) if setting else Path.home() / ".cache" / "hare"
    before = sorted(cache.rglob("*")) if cache.exists() else []
    assert main(["verify", "table1", "--db", SHIPPED, "--sample", "1", "--workers", "1"]) == 0
    out = capsys.readouterr()
    assert "recomputing 1 of the 540 stored runs of table1" in out.err
    assert "1 runs recomputed cold" in out.out and "every cell mean within its tolerance" in out.out
    assert [line.split()[0] for line in out.out.splitlines()[3:5]] == ["gtp", "gtd"]
    assert os.environ.get("HARE_CACHE_DIR") == setting
    assert (sorted(cache.rglob("*")) if cache.exists() else []) == before


def test_verify_refuses_a_store_without_the_preset(tmp_path, capsys):
    from hare.bench.store import ResultStore
    empty = tmp_path / "empty.duckdb"
    ResultStore(empty).init()
    assert main(["verify", "table2", "--db", str(empty)]) == 2
    assert "holds no run of preset table2" in capsys.readouterr().err
    assert main(["verify", "table1", "--db", SHIPPED, "--sample", "0"]) == 2
