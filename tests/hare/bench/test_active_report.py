"""The active HARE comparison (hare/bench/active_report.py): ratios over the cells both arms
have, counts of cells where active HARE is lower, and no claim the runs do not support."""

from __future__ import annotations

import pandas as pd
import pytest

from hare.bench.active_report import comparisons, per_cell, ratio, section, ACTIVE, MULTI
from hare.bench.cells import cells

from test_cells_report import _runs

PAPER = dict(dataset="adult", model="ann", budget=30)


def _frame(active_gtp: dict[str, float]):
    """Multi-HARE (GTP 0.4, GTD 0.1) on two generators; active HARE where given."""
    rows = []
    for generator in ("gs", "wachter"):
        rows.append(dict(PAPER, generator=generator, variant="multi_hare", iterations=5, seed=0,
                         gtp=0.4, gtd=0.1))
        if generator in active_gtp:
            rows.append(dict(PAPER, generator=generator, variant="active_hare", iterations=3,
                             seed=0, gtp=active_gtp[generator], gtd=0.05))
    return cells(_runs(rows), metrics=("gtp", "gtd"))


def test_ratio_is_over_the_cells_both_arms_have():
    frame = _frame({"gs": 0.1, "wachter": 0.5})
    r = ratio(frame, ACTIVE, MULTI, "gtp")
    assert r.cells == 2 and r.lower == 1  # wachter's 0.5 is above Multi-HARE's 0.4
    assert r.ratio == pytest.approx(0.3 / 0.4)
    only_gs = ratio(_frame({"gs": 0.1}), ACTIVE, MULTI, "gtp")
    assert only_gs.cells == 1 and only_gs.ratio == pytest.approx(0.25)


def test_only_supported_comparisons_are_made():
    frame = _frame({"gs": 0.1})
    texts = [text for text, _ in comparisons(frame)]
    # no B 10 runs, no noisy or weighted-cost users in this frame: those are not claimed
    assert texts == ["Table 1 cells, B 30: active HARE vs Multi-HARE"] * 2
    table = per_cell(frame)
    assert list(table.index) == [("adult", "ann", "gs")]  # wachter has no active run
    assert section(_frame({})) == []  # no active HARE at all: nothing said


def test_the_report_names_an_older_engine_revision_of_the_stored_active_runs():
    from hare import ENGINE_REVISION
    from hare.bench.active_report import _revision_note
    older = pd.DataFrame({"variant": ["active_hare", "hare"], "engine_revision": ["2000.1.1", "1999.1.1"]})
    note = " ".join(_revision_note(older))
    assert "2000.1.1" in note and ENGINE_REVISION in note and "1999.1.1" not in note
    current = pd.DataFrame({"variant": ["active_hare"], "engine_revision": [ENGINE_REVISION]})
    assert _revision_note(current) == []
