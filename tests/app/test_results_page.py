"""The results page through AppTest and its views without a server: the verdict computed from
the store, a chart per view on the shipped store, the two stores kept apart, and 20-user runs
shown beside the 150-user cells, not pooled into them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from hare.bench.cells import store_cells
from hare.bench.verdict import verdict
from hare.bench.store import ResultStore
from hare.cli import main
from hare_app.charts import view_chart
from hare_app.results import VIEWS, Filters, chart_frame, view_rows
from test_benchmark_page import chart_data, open_page

SHIPPED = Path(__file__).resolve().parents[2] / "results" / "hare.duckdb"
needs_shipped = pytest.mark.skipif(not SHIPPED.is_file(), reason="the shipped store is missing")


@pytest.fixture
def stores(tmp_path, monkeypatch) -> dict[str, Path]:
    """A copy of the shipped store as "shipped" and an empty "your runs" store."""
    shipped = tmp_path / "shipped.duckdb"
    shutil.copy(SHIPPED, shipped)
    monkeypatch.setenv("HARE_SHIPPED_DB", str(shipped))
    monkeypatch.setenv("HARE_DB", str(tmp_path / "runs.duckdb"))
    monkeypatch.setenv("HARE_ANSWERS_DB", str(tmp_path / "answers.duckdb"))
    return {"shipped": shipped, "runs": tmp_path / "runs.duckdb"}


@needs_shipped
def test_the_page_opens_on_the_shipped_store_with_its_verdict_and_every_view(stores):
    at = open_page("pages/results.py")
    shipped = store_cells(ResultStore(stores["shipped"]))
    expected = verdict(shipped)  # the whole store's, every protocol in it
    assert expected.conclusion.startswith("The paper's claim holds: HARE and Multi-HARE end below")
    assert [s.value for s in at.success] == ["**Verdict.** " + expected.conclusion]
    facts = next(e for e in at.expander if e.label == "The facts behind the verdict")
    assert facts.markdown[0].value == "\n".join(f"- {fact}" for fact in expected.facts)
    assert any(e.label.startswith("Read the full report") for e in at.expander)
    assert not any(m.value.startswith("# Reproduction report") for m in at.markdown)
    at.toggle(key="report_shown").set_value(True).run()  # built on request
    report = next(m.value for m in at.markdown if m.value.startswith("# Reproduction report"))
    assert f"from `{stores['shipped'].name}`" in report and str(stores["shipped"]) not in report
    # its summary is drawn; the per-cell listings (thousands of lines) are in the download only
    assert not any("## Table 1 (preset" in m.value for m in at.markdown)
    assert any("more lines): in the download" in c.value for c in at.caption)
    for view in VIEWS:
        at.session_state["res_table"] = view.label
        at.run()
        assert not at.exception, at.exception
        frames = chart_data(at)
        if view.x == "arm":  # active HARE: the cell means, then the per-person chart
            assert len(frames) == 2, view.label
            assert set(frames[1]["outcome"]) == {"worse than Multi-HARE", "the same",
                                                 "better than Multi-HARE"}
            assert any(m.value.startswith("**Per person**") for m in at.markdown)
            frames = frames[:1]
        assert len(frames) == 1, view.label
        sources = set(frames[0]["source"])
        # ours, one series per setting of users (the shipped store also holds 100-user runs)
        assert any(s.startswith("ours") for s in sources), view.label
        assert ("paper" in sources) == view.paper, view.label
        # every one of our cells is marked against the paper's number where the view has it
        ours = frames[0][frames[0]["source"] != "paper"]
        assert ours["tolerance"].notna().all() == view.paper, view.label
    at.session_state["res_table"] = VIEWS[3].label  # Table 4: the classical metrics
    at.run()
    at.radio(key="res_metric3").set_value("sparsity").run()
    assert set(chart_data(at)[0]["metric"]) == {"sparsity"}


def test_your_runs_when_empty_offers_the_demo_grid(stores):
    at = open_page("pages/results.py")
    at.session_state["res_store"] = "your runs"
    at.run()
    assert not at.exception
    assert any("No runs in" in i.value for i in at.info) and not at.success
    assert any(b.label == "Run a small demo grid" for b in at.button)
    assert all(set(frame["source"]) == {"paper"} for frame in chart_data(at))


@needs_shipped
def test_a_20_user_run_is_charted_beside_the_150_user_cells_not_pooled(stores, capsys):
    """The acceptance check on the page: the shipped cells keep their values."""
    shipped = stores["shipped"]
    filters = Filters(datasets=("adult",), models=("ann",), generators=("gs",))
    before = view_rows(VIEWS[0], store_cells(ResultStore(shipped)), "gtp", filters)
    assert main(["run", "--dataset", "adult", "--generator", "gs", "--users", "20", "--seeds", "0",
                 "--db", str(shipped), "--workers", "1", "--quiet"]) == 0
    capsys.readouterr()
    at = open_page("pages/results.py")
    facts = next(e for e in at.expander if e.label == "The facts behind the verdict")
    assert "- Ours, 20 users (1 seed): " in facts.markdown[0].value
    assert "under our corrected protocol at 150 users" in at.success[0].value
    at.multiselect(key="res_datasets").set_value(["adult"])
    at.multiselect(key="res_generators").set_value(["gs"]).run()
    drawn = chart_data(at)[0]
    ours = drawn[drawn["source"].str.startswith("ours")]
    assert {"ours · 150 users", "ours · 20 users"} <= set(ours["source"])
    old = ours[ours["source"] == "ours · 150 users"]
    kept = before[(before["seeds"] > 0) & (before["users"] == 150) & (before["protocol"] == "hare")]
    assert dict(zip(old["variant"], old["mean"])) == dict(zip(kept["variant"], kept["mean"]))
    assert len(old) == 3
    assert (ours[ours["source"] == "ours · 20 users"]["seeds"] == 1).all()


@needs_shipped
def test_every_view_charts_the_rows_the_cells_command_prints(capsys):
    cells = store_cells(ResultStore(SHIPPED))
    for view in VIEWS:
        metric = view.metrics[0]
        rows = view_rows(view, cells, metric, Filters(models=("ann",)))
        args = ["cells", "--db", str(SHIPPED), "--preset", *view.presets, "--metric", metric,
                "--model", "ann"] + ([] if view.paper else ["--no-paper"])
        assert main(args) == 0
        printed = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
        assert len(printed) == len(rows) and list(printed["cell_id"].fillna("")) == list(
            rows["cell_id"]), view.label
        chart = view_chart(view, chart_frame(view, rows), metric)
        spec = chart.to_dict()
        assert spec["columns"] <= 3 and spec["facet"]["field"] == "panel"
        panels = set(chart_frame(view, rows)["panel"])
        assert all(rows[rows["seeds"] > 0]["model"] == "ann") and panels  # no empty facet


@needs_shipped
def test_the_page_switches_between_our_protocol_and_the_authors(stores):
    """With runs of both protocols in the store, one shows at a time, each with its verdict."""
    shipped = stores["shipped"]
    assert main(["sweep", "table1", "--protocol", "authors", "--dataset", "adult",
                 "--generator", "gs", "--users", "4", "--seeds", "1", "--workers", "1",
                 "--quiet", "--db", str(shipped)]) == 0
    at = open_page("pages/results.py")
    assert not at.exception, at.exception
    assert at.session_state["res_protocol_group"] == "ours"
    whole = at.success[0].value  # the verdict speaks of the whole store, whichever is charted
    assert whole.startswith("**Verdict.** The paper's claim holds")
    assert "ours · 150 users" in set(chart_data(at)[0]["source"])
    at.session_state["res_protocol_group"] = "the authors' code, replayed"
    at.run()
    assert not at.exception, at.exception
    assert at.success[0].value == whole
    facts = next(e for e in at.expander if e.label == "The facts behind the verdict")
    assert "- The authors' code, replayed, 4 users (1 seed): " in facts.markdown[0].value
    frame = chart_data(at)[0]
    assert "ours · 4 users" in set(frame["source"]) and 150 not in set(frame["users"].dropna())
    # one of their choices at a time: a choice named for people, with its help line
    at.session_state["res_protocol_group"] = "one of their choices at a time"
    at.run()
    choice = at.selectbox(key="res_protocol")
    assert "ours + their candidate sampler" in choice.options
    choice.set_value("hare+sampler").run()
    assert not at.exception, at.exception
    assert any(c.value.startswith("Ours with the authors' candidate sampler") for c in at.caption)
    drawn = chart_data(at)[0]
    assert set(drawn[drawn["source"] != "paper"]["protocol"]) == {"hare+sampler"}


@needs_shipped
def test_noise_view_draws_each_users_setting_as_its_own_bar_never_stacked():
    """The shipped store holds 100- and 150-user runs of the noiseless Wachter/GS cells: the
    noise view (bars coloured by variant) puts them side by side, never one on the other
    (stacked, two cells' means would read as one bar of their sum)."""
    view = next(v for v in VIEWS if v.x == "noise")
    cells = store_cells(ResultStore(SHIPPED))
    cells = cells[cells["protocol"] == "hare"]  # as the page shows it: one protocol at a time
    rows = view_rows(view, cells, "gtp", Filters(models=("ann",)))
    frame = chart_frame(view, rows)
    ours = frame[frame["source"] != "paper"]
    assert {"ours · 100 users", "ours · 150 users"} <= set(ours["source"])
    spec = view_chart(view, frame, "gtp").to_dict()
    bars = next(layer for layer in spec["spec"]["layer"] if layer["mark"] in ("bar", {"type": "bar"}))
    assert bars["encoding"]["y"]["stack"] is None
    assert bars["encoding"]["xOffset"]["field"] == "series"
    series = {(r["variant name"], r["source"]) for r in spec_data(spec)}
    # every drawn (variant, setting) pair has its own offset slot
    assert len({f"{v} · {s}" for v, s in series}) == len(series) and len(series) >= 4


def spec_data(spec: dict) -> list[dict]:
    datasets = spec.get("datasets", {})
    return [row for rows in datasets.values() for row in rows]


@needs_shipped
def test_every_chart_marks_ours_against_the_paper_and_keeps_its_labels_apart():
    """Within / outside on every chart with the paper (one rule, cells.within); a panel the
    paper gives no number for says so; users as stored; x labels never wider than their slot."""
    from hare_app.charts import CHAR_PX, LABEL_GAP, label_lines, layout, panel_width
    from hare_app.results import NO_NUMBER, OUTSIDE, WITHIN, x_order
    cells = store_cells(ResultStore(SHIPPED))
    cells = cells[cells["protocol"] == "hare"]
    for view in VIEWS:
        for metric in view.metrics[:1]:
            rows = view_rows(view, cells, metric, Filters(models=("ann",)))
            frame = chart_frame(view, rows)
            ours = frame[frame["source"] != "paper"]
            if view.paper:
                expected = [WITHIN if w else OUTSIDE if w is not None and not pd.isna(w)
                            else NO_NUMBER for w in ours["within"]]
                assert list(ours["tolerance"]) == expected, view.label
            else:
                assert ours["tolerance"].isna().all(), view.label
            order = x_order(view, frame)
            columns, hyphens = layout(view, frame, order)
            if not (view.lines and view.x in ("budget", "iterations")):
                longest = max(len(line) for x in order for line in label_lines(x, hyphens))
                assert panel_width(columns) / len(order) >= longest * CHAR_PX + LABEL_GAP, view.label
            spec = view_chart(view, frame, metric).to_dict()
            assert spec["columns"] == columns
    active = next(v for v in VIEWS if v.x == "arm")
    frame = chart_frame(active, view_rows(active, cells, "gtp", Filters(models=("ann",))))
    assert layout(active, frame, x_order(active, frame))[0] >= 2  # not one tall column
    table1 = chart_frame(VIEWS[0], view_rows(VIEWS[0], cells, "gtp", Filters(models=("ann",))))
    panels = set(table1["panel"])
    assert "Adult · ANN|CLUE|the paper gives no number" in panels
    assert "COMPAS · ANN|Wachter|141 of 150 users used" in panels
    # a second set of bars is explained under the chart
    from hare_app.results import settings_note
    note = settings_note(VIEWS[0], table1)
    assert "**ours · 150 users**" in note and "**ours · 100 users**" in note
    assert "the authors' number of users" in note
