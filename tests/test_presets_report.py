"""Sweep presets (the paper's tables and two studies beyond it) and the reproduction report."""

import pytest

from hare.bench.presets import PRESETS, preset_grid
from hare.bench.report import compare, ordering
from hare.bench.store import ResultStore
from hare.cli import main
from hare.errors import ConfigError


def test_presets_have_the_papers_grids():
    t1 = preset_grid("table1")
    assert len(t1) == 3 * 2 * 6 * 3 * 5
    assert {c.generator for c in t1} == {"wachter", "gs", "face", "cchvae", "clue", "cruds"}
    assert {(c.budget, c.iterations) for c in preset_grid("table2") if c.variant == "hare"} == {
        (10, 1), (30, 1), (70, 1), (100, 1)}
    assert {c.iterations for c in preset_grid("table3")} == {1, 3, 5, 10}
    assert {c.bps for c in preset_grid("table5") if c.variant != "base"} == {"best", "every"}
    assert {c.scale for c in preset_grid("table6")} == {"near", "intermediate", "far"}
    assert {(c.noise, c.noise_param) for c in preset_grid("noise")} == {
        ("bernoulli", 0.05), ("bernoulli", 0.1), ("bernoulli", 0.2), ("logistic", 10.0)}
    assert {c.user_model for c in preset_grid("prefs")} == {"weighted_cost"}
    # Table 4 is a slice of Table 1: the same run ids, computed once
    assert {c.run_id for c in preset_grid("table4")} <= {c.run_id for c in t1}
    narrowed = preset_grid("table6", seeds=[0], users=5, datasets=["compas"], generators=["gs"])
    assert len(narrowed) == 9 and {c.users for c in narrowed} == {5}


def test_unknown_preset_lists_valid_names():
    with pytest.raises(ConfigError) as err:
        preset_grid("table7")
    assert all(name in str(err.value) for name in PRESETS)


def test_reduced_sweep_then_report(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    assert main(["sweep", "table5", "--users", "6", "--seeds", "0", "1", "--dataset", "compas",
                 "--generator", "gs", "--db", str(db), "--quiet"]) == 0
    assert "compas ann gs multi_hare B30/T5/bps@best far" in capsys.readouterr().out
    comparison = compare(ResultStore(db), users=6)
    ours = comparison.cells[comparison.cells["ours"].notna()]
    # base and multi_hare B30/T5@every recur in every table; @best only in Table 5
    assert set(ours["table"]) == {1, 2, 3, 4, 5, 6}
    assert set(ours[ours["table"] == 5]["bps"]) == {"-", "best", "every"}
    assert (ours["seeds"] == 2).all()
    row = ours[(ours["table"] == 5) & (ours["bps"] == "best") & (ours["metric"] == "gtp")].iloc[0]
    assert row["within"] == (abs(row["ours"] - row["mean"]) <= max(row["std"], 0.10))
    out = tmp_path / "REPORT.md"
    assert main(["report", "--db", str(db), "--users", "6", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# Reproduction report") and "## Summary" in text
    assert "| ann | compas | gs | multi_hare | 30 | 5 | best | far | gtp |" in text


def test_ordering_check_counts_base_hare_multi():
    from hare.bench.report import Comparison
    import pandas as pd
    rows = []
    for metric, values in {"gtp": (0.9, 0.6, 0.5), "gtd": (0.9, 0.3, 0.4)}.items():
        for variant, value, budget, iterations in zip(("base", "hare", "multi_hare"), values,
                                                      ("-", 30, 30), ("-", 1, 5)):
            rows.append(dict(table=1, model="ann", dataset="adult", generator="gs", scale="far",
                             metric=metric, variant=variant, budget=budget,
                             iterations=iterations, bps="-" if variant == "base" else "every",
                             ours=value, mean=value))
    result = ordering(Comparison(pd.DataFrame(rows))).set_index("metric")
    assert bool(result.at["gtp", "ours_holds"]) and not bool(result.at["gtd", "ours_holds"])
    assert bool(result.at["gtd", "ours_below_base"])


def test_report_without_database_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "no results database" in capsys.readouterr().err
