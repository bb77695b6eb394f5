"""Altair charts for the app: a person's candidate changes, and a results view (ours beside the
paper's, mean ± std over seeds as error bars).

Pure functions from a DataFrame to an Altair chart, so tests can build them without a server.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from hare.bench.names import FIELD_NAMES, VALUE_NAMES
from hare_app.results import View, x_order

PAPER_GREY = "#9a9a9a"
OURS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"]
VARIANT_COLOURS = alt.Scale(domain=["base generator", "HARE", "Multi-HARE", "Active HARE"],
                            range=["#7f7f7f", "#1f77b4", "#d62728", "#2ca02c"])
WIDTH = 800  # the page's main column at the app's wide layout (1400 px window), less axes
# One panel per (dataset · model, generator) that has data, so no empty facet is drawn; the
# header's "|" starts a second line.
HEADER = alt.Header(labelExpr="split(datum.value, '|')", labelFontSize=11, title=None)
LEGEND = dict(orient="top", symbolSize=300, symbolStrokeWidth=2.5, symbolOpacity=1, labelFontSize=12,
              titleFontSize=12)


def changes_chart(frame: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: how far each option moves each feature, as a share of its range."""
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("feature:N", title=None),
        x=alt.X("change (% of range):Q", title="change (% of the feature's range)"),
        yOffset=alt.YOffset("option:N"),
        color=alt.Color("option:N", legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["option", "feature", "from", "to", "change (% of range)"],
    ).properties(height=alt.Step(14))


def _source_scale(frame: pd.DataFrame) -> alt.Scale:
    ours = sorted(s for s in frame["source"].unique() if s != "paper")
    domain = ours + (["paper"] if (frame["source"] == "paper").any() else [])
    return alt.Scale(domain=domain, range=OURS_COLOURS[:len(ours)] + [PAPER_GREY])


def _tooltip() -> list:
    return [alt.Tooltip("source:N"), alt.Tooltip("panel:N", title="panel"),
            alt.Tooltip("variant name:N", title="variant"), alt.Tooltip("x:N", title="setting"),
            alt.Tooltip("mean:Q", format=".3f"), alt.Tooltip("std:Q", format=".3f"),
            alt.Tooltip("seeds:Q"), alt.Tooltip("n_users:Q", title="users used")]


def view_chart(view: View, frame: pd.DataFrame, metric: str) -> alt.FacetChart | None:
    """The chart of one view for one metric (``frame`` from hare_app.results.chart_frame); None
    when there is nothing to draw."""
    if frame.empty:
        return None
    data = frame.astype(object).where(frame.notna(), None)  # JSON has no NA
    columns = max(1, min(frame["generator"].nunique(), 3))  # three keep the labels readable
    width = max(110, WIDTH // columns - 25)
    metric_title = VALUE_NAMES["metric"].get(metric, metric)
    # never stacked: two cells drawn at one place must not read as their sum
    y = alt.Y("mean:Q", title=metric_title, axis=alt.Axis(titleFontSize=12), stack=None)
    x_title = FIELD_NAMES.get(view.x, view.x) if view.x not in ("variant", "arm") else None
    order = x_order(view, frame)
    by_variant = view.x in ("noise", "scale")  # the x axis is not the variant: colour it
    colour_field = "variant name" if by_variant else "source"
    colour = alt.Color(f"{colour_field}:N", title="variant" if by_variant else None,
                       scale=VARIANT_COLOURS if by_variant else _source_scale(frame),
                       legend=alt.Legend(**LEGEND))
    if view.lines:
        layers = _lines(view, data, y, x_title, order, colour, by_variant)
    else:
        layers = _bars(data, y, x_title, order, colour, colour_field,
                       several_sources=by_variant and _ours_sources(frame) > 1)
    chart = alt.layer(*layers, data=data).properties(width=width, height=150)
    # every panel keeps its own x axis labels, so no panel needs a neighbour to be read
    return chart.facet(facet=alt.Facet("panel:N", header=HEADER, sort=_panel_order(frame)),
                       columns=columns, spacing=alt.RowColnumber(row=22, column=14)
                       ).resolve_axis(x="independent")


def _panel_order(frame: pd.DataFrame) -> list[str]:
    return list(frame.sort_values(["dataset", "model", "generator"])["panel"].drop_duplicates())


def _ours_sources(frame: pd.DataFrame) -> int:
    return int((frame["source"].drop_duplicates() != "paper").sum())


def _bars(data, y, x_title, order, colour, colour_field, several_sources=False) -> list:
    """Bars side by side, one per colour; with ``several_sources`` (bars coloured by variant,
    and more than one of our settings, e.g. 100 and 150 users) one per (variant, setting), the
    setting shown by opacity."""
    # each word of a category on its own line: every label shows, none overlaps
    x = alt.X("x:N", sort=order, title=x_title,
              axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')", labelOverlap=False))
    extra = {}
    if several_sources:
        data["series"] = [f"{v} · {s}" for v, s in zip(data["variant name"], data["source"])]
        offset = alt.XOffset("series:N")
        # the setting with the most cells (the preset's own runs) drawn solid, the others fainter
        sources = list(data["source"].value_counts().index)
        extra["opacity"] = alt.Opacity("source:N", title=None, legend=alt.Legend(**LEGEND),
                                       scale=alt.Scale(domain=sources,
                                                       range=[1.0 - 0.5 * i / max(1, len(sources) - 1)
                                                              for i in range(len(sources))]))
    else:
        offset = alt.XOffset(f"{colour_field}:N")
    bars = alt.Chart().mark_bar().encode(x=x, xOffset=offset, y=y, color=colour,
                                         tooltip=_tooltip(), **extra)
    spread = alt.Chart().mark_rule(color="black", strokeWidth=1.2).encode(
        x=x, xOffset=offset, y="lo:Q", y2="hi:Q", tooltip=_tooltip())
    return [bars, spread]


def _lines(view, data, y, x_title, order, colour, by_variant) -> list:
    """Ours solid and the paper's dashed, with the spread as error bars; on a numeric x (budget,
    iterations) a cell without the axis's field (the base generator) is a faint flat rule."""
    numeric = view.x in ("budget", "iterations")
    x = (alt.X("x:Q", title=x_title, scale=alt.Scale(zero=False), axis=alt.Axis(values=order))
         if numeric else alt.X("x:N", sort=order, title=x_title, axis=alt.Axis(labelAngle=0)))
    sources = _source_scale(data).domain
    dash = alt.StrokeDash("source:N", title=None, legend=alt.Legend(**LEGEND, symbolType="stroke"),
                          scale=alt.Scale(domain=sources, range=[[6, 3] if s == "paper" else [1, 0]
                                                                 for s in sources]))
    detail = [alt.Detail("source:N")] + ([alt.Detail("variant name:N")] if by_variant else [])
    has_x = "isValid(datum.x)"
    line = alt.Chart().mark_line(strokeWidth=2).encode(
        x=x, y=y, color=colour, strokeDash=dash, detail=detail).transform_filter(has_x)
    points = alt.Chart().mark_point(filled=True, size=40).encode(
        x=x, y=y, color=colour, tooltip=_tooltip()).transform_filter(has_x)
    spread = alt.Chart().mark_rule(strokeWidth=1.2, opacity=0.55).encode(
        x=x, y="lo:Q", y2="hi:Q", color=colour).transform_filter(has_x)
    layers = [spread, line, points]
    if numeric and any(row["x"] is None for row in data.to_dict("records")):
        layers.append(alt.Chart().mark_rule(opacity=0.45, strokeWidth=2).encode(
            y=y, color=colour, strokeDash=dash, tooltip=_tooltip(),
        ).transform_filter("!isValid(datum.x)"))
    return layers
