"""Altair charts for the app: a person's candidate changes, and our results beside the paper's.

Pure functions from a DataFrame to an Altair chart, so tests can build them without a server.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from hare_app.results import TableView

VARIANT_ORDER = ["base", "hare", "multi_hare"]
SCALE_ORDER = ["near", "intermediate", "far"]
BPS_ORDER = ["base", "every", "best"]
SOURCE_COLORS = alt.Scale(domain=["ours", "paper"], range=["#1f77b4", "#bbbbbb"])
# Ours solid, the paper dashed, in every line chart.
SOURCE_DASH = alt.Scale(domain=["ours", "paper"], range=[[1, 0], [5, 3]])
SLANTED = alt.Axis(labelAngle=-45, labelOverlap=False)  # every category label, even when narrow
PANEL_ROW = alt.Row("panel:N", title=None)
GENERATOR_COLUMN = alt.Column("generator:N", title=None)


def changes_chart(frame: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: how far each option moves each feature, as a share of its range."""
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("feature:N", title=None),
        x=alt.X("change (% of range):Q", title="change (% of the feature's range)"),
        yOffset=alt.YOffset("option:N"),
        color=alt.Color("option:N", legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["option", "feature", "from", "to", "change (% of range)"],
    ).properties(height=alt.Step(14))


def _panel(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["panel"] = frame["dataset"].astype(str) + " · " + frame["model"].astype(str).str.upper()
    # Altair/JSON cannot carry pandas' NA; None becomes null.
    return frame.astype(object).where(frame.notna(), None)


def _tooltip(x: str) -> list:
    return ["source", "dataset", "model", "generator", "variant", x,
            alt.Tooltip("mean:Q", format=".2f"), alt.Tooltip("std:Q", format=".2f"), "seeds", "users"]


def table_chart(view: TableView, frame: pd.DataFrame, metric: str) -> alt.Chart | None:
    """The chart for one paper table and metric; None when there is nothing to draw."""
    data = frame[frame["metric"] == metric]
    if data.empty:
        return None
    data = _panel(data)
    y = alt.Y("mean:Q", title=metric.upper())
    color_source = alt.Color("source:N", scale=SOURCE_COLORS, title="source",
                             legend=alt.Legend(orient="top"))
    if view.x in ("variant", "bps"):
        order = VARIANT_ORDER if view.x == "variant" else BPS_ORDER
        chart = alt.Chart(data).mark_bar().encode(
            x=alt.X(f"{view.x}:N", sort=order, title=view.x_label or None,
                    axis=SLANTED),
            xOffset=alt.XOffset("source:N"), y=y, color=color_source, tooltip=_tooltip(view.x),
        ).properties(width=95, height=110)
        return chart.facet(row=PANEL_ROW, column=GENERATOR_COLUMN)
    if view.x == "scale":
        base = alt.Chart(data).encode(
            x=alt.X("scale:N", sort=SCALE_ORDER, title=view.x_label, axis=SLANTED),
            y=y, color=alt.Color("variant:N", sort=VARIANT_ORDER, legend=alt.Legend(orient="top")),
            strokeDash=alt.StrokeDash("source:N", title="source", scale=SOURCE_DASH,
                                  legend=alt.Legend(orient="top", symbolType="stroke")),
            tooltip=_tooltip("scale"))
        chart = (base.mark_line() + base.mark_point(filled=True)).properties(width=95, height=110)
        return chart.facet(row=PANEL_ROW, column=GENERATOR_COLUMN)
    # budget / iterations: numeric x; base (no budget) drawn as a flat reference rule.
    # Faceting a layered chart needs one shared data set, so each layer filters it.
    has_x = alt.datum[view.x] != None  # noqa: E711  (a Vega expression, not Python)
    line = alt.Chart().encode(
        x=alt.X(f"{view.x}:Q", title=view.x_label), y=y,
        color=alt.Color("generator:N", legend=alt.Legend(orient="top")),
        strokeDash=alt.StrokeDash("source:N", title="source", scale=SOURCE_DASH,
                                  legend=alt.Legend(orient="top", symbolType="stroke")),
        tooltip=_tooltip(view.x)).transform_filter(has_x)
    layers = [line.mark_line(), line.mark_point(filled=True)]
    if (data["variant"] == "base").any():
        layers.append(alt.Chart().mark_rule(opacity=0.5).encode(
            y="mean:Q", color="generator:N", tooltip=_tooltip(view.x),
            strokeDash=alt.StrokeDash("source:N", scale=SOURCE_DASH),
        ).transform_filter(alt.datum.variant == "base"))
    return alt.layer(*layers, data=data).properties(width=180, height=150).facet(
        column=alt.Column("panel:N", title=None))
