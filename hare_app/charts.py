"""Altair charts for the app: a person's candidate changes, and a results view (ours beside the
paper's, mean ± std over seeds as error bars).

Pure functions from a DataFrame to an Altair chart, so tests can build them without a server.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from hare.bench.names import FIELD_NAMES, VALUE_NAMES
from hare_app.results import NO_NUMBER, OUTSIDE, WITHIN, View, x_order

PAPER_GREY = "#9a9a9a"
OURS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"]
VARIANT_COLOURS = alt.Scale(domain=["base generator", "HARE", "Multi-HARE", "Active HARE"],
                            range=["#7f7f7f", "#1f77b4", "#d62728", "#2ca02c"])
WIDTH = 800  # the page's main column at the app's wide layout (1400 px window), less axes
# An x label's longest line at Vega-Lite's 10 px axis font: about 6.5 px a character, and
# room between neighbours; a panel is only as narrow as keeps every category's label apart.
CHAR_PX, LABEL_GAP = 6.5, 10
# Each word of a category on its own line; where the panels would be too narrow for that, a
# hyphen ends a line too ("Multi-HARE B30" is "Multi-", "HARE", "B30"). ``label_lines`` is the
# same split in Python, to measure the labels.
LABEL_EXPR = {False: "split(datum.label, ' ')",
              True: "split(replace(datum.label, '-', '- '), ' ')"}
TOLERANCE_SCALE = alt.Scale(domain=[WITHIN, OUTSIDE, NO_NUMBER],
                            range=["#2ca02c", "#d62728", "#7f7f7f"])
# On a line chart a glyph above each point would pile up where lines meet: the point's own
# shape says it instead.
TOLERANCE_SHAPES = alt.Scale(domain=[WITHIN, OUTSIDE, NO_NUMBER],
                             range=["circle", "cross", "square"])
# One panel per (dataset · model, generator) that has data, so no empty facet is drawn; the
# header's "|" starts a second line.
HEADER = alt.Header(labelExpr="split(datum.value, '|')", labelFontSize=11, title=None)
LEGEND = dict(orient="top", symbolSize=300, symbolStrokeWidth=2.5, symbolOpacity=1, labelFontSize=12,
              titleFontSize=12)


def changes_chart(frame: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: how long each option's changes take, feature by feature
    (hare.live.costs.costs_frame), with the change, its time and effort in the tooltip."""
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("feature:N", title=None),
        x=alt.X("months:Q", title="time it takes (months)"),
        yOffset=alt.YOffset("option:N"),
        color=alt.Color("option:N", legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["option", "change", "time", "effort", "from", "to"],
    ).properties(height=alt.Step(14))


def _source_scale(frame: pd.DataFrame) -> alt.Scale:
    ours = sorted(s for s in frame["source"].unique() if s != "paper")
    domain = ours + (["paper"] if (frame["source"] == "paper").any() else [])
    return alt.Scale(domain=domain, range=OURS_COLOURS[:len(ours)] + [PAPER_GREY])


def _variant_scale(frame: pd.DataFrame) -> alt.Scale:
    """VARIANT_COLOURS for the variants drawn (a legend entry for none that is not)."""
    drawn = set(frame["variant name"])
    pairs = [(v, c) for v, c in zip(VARIANT_COLOURS.domain, VARIANT_COLOURS.range) if v in drawn]
    return alt.Scale(domain=[v for v, _ in pairs], range=[c for _, c in pairs])


def _tooltip() -> list:
    return [alt.Tooltip("source:N"), alt.Tooltip("panel:N", title="panel"),
            alt.Tooltip("variant name:N", title="variant"), alt.Tooltip("x:N", title="setting"),
            alt.Tooltip("mean:Q", format=".3f"), alt.Tooltip("std:Q", format=".3f"),
            alt.Tooltip("seeds:Q"), alt.Tooltip("n_users:Q", title="users used")]


def label_lines(label, hyphens: bool = False) -> list[str]:
    """The lines an x label is drawn on (LABEL_EXPR)."""
    text = str(label)
    return (text.replace("-", "- ") if hyphens else text).split(" ")


def layout(view: View, frame: pd.DataFrame, order: list) -> tuple[int, bool]:
    """(panels per row, whether hyphens break label lines): at most three panels a row, and
    fewer when a panel would be too narrow for its categories' labels to stand apart; hyphens
    break lines only when that keeps more panels a row (a numeric axis draws its own ticks)."""
    most = max(1, min(frame["generator"].nunique(), 3))
    if view.lines and view.x in ("budget", "iterations"):
        return most, False

    def columns(hyphens: bool) -> int:
        longest = max((len(line) for label in order for line in label_lines(label, hyphens)),
                      default=1)
        need = len(order) * (longest * CHAR_PX + LABEL_GAP)
        return next((c for c in range(most, 0, -1) if panel_width(c) >= need), 1)

    whole, split = columns(False), columns(True)
    return (split, True) if split > whole else (whole, False)


def panel_width(columns: int) -> int:
    return max(110, WIDTH // columns - 25)


def view_chart(view: View, frame: pd.DataFrame, metric: str) -> alt.FacetChart | None:
    """The chart of one view for one metric (``frame`` from hare_app.results.chart_frame); None
    when there is nothing to draw. Views with the paper mark each of our cells ✓ within its
    tolerance, ✗ outside it, or – where it gives no number."""
    if frame.empty:
        return None
    data = frame.astype(object).where(frame.notna(), None)  # JSON has no NA
    order = x_order(view, frame)
    columns, hyphens = layout(view, frame, order)
    metric_title = VALUE_NAMES["metric"].get(metric, metric)
    # never stacked: two cells drawn at one place must not read as their sum
    # room above the highest whisker for the ✓ / ✗ drawn over it, clear of the panel's header
    top = float(pd.concat([frame["hi"], frame["mean"]]).max())
    scale = alt.Scale(domainMax=top * 1.15) if view.paper and not view.lines and top > 0 \
        else alt.Undefined
    y = alt.Y("mean:Q", title=metric_title, axis=alt.Axis(titleFontSize=12), stack=None,
              scale=scale)
    x_title = FIELD_NAMES.get(view.x, view.x) if view.x not in ("variant", "arm") else None
    by_variant = view.x in ("noise", "scale")  # the x axis is not the variant: colour it
    colour_field = "variant name" if by_variant else "source"
    colour = alt.Color(f"{colour_field}:N", title="variant" if by_variant else None,
                       scale=_variant_scale(frame) if by_variant else _source_scale(frame),
                       legend=alt.Legend(**LEGEND))
    if view.lines:
        layers = _lines(view, data, y, x_title, order, colour, by_variant, LABEL_EXPR[hyphens])
    else:
        layers = _bars(data, y, x_title, order, colour, colour_field, LABEL_EXPR[hyphens],
                       several_sources=by_variant and _ours_sources(frame) > 1)
    if view.paper and not view.lines and data["tolerance"].notna().any():
        layers.append(_marks(layers[0], data))
    chart = alt.layer(*layers, data=data).properties(width=panel_width(columns), height=150)
    # every panel keeps its own x axis labels, so no panel needs a neighbour to be read
    return chart.facet(facet=alt.Facet("panel:N", header=HEADER, sort=_panel_order(frame)),
                       columns=columns, spacing=alt.RowColnumber(row=22, column=14)
                       ).resolve_axis(x="independent")


def _marks(drawn: alt.Chart, data: pd.DataFrame) -> alt.Chart:
    """✓ / ✗ / – above each of our cells (at the top of its whisker), placed as the layer
    ``drawn`` places it (same x and offset); the legend says the rule."""
    encoding = {name: getattr(drawn.encoding, name) for name in ("x", "xOffset")
                if getattr(drawn.encoding, name, alt.Undefined) is not alt.Undefined}
    present = [t for t in TOLERANCE_SCALE.domain if t in set(data["tolerance"].dropna())]
    marks = alt.Chart().mark_text(dy=-8, fontSize=13, fontWeight="bold").encode(
        y="hi:Q", text="symbol:N", tooltip=_tooltip() + [alt.Tooltip("tolerance:N", title="paper")],
        fill=alt.Fill("tolerance:N", scale=alt.Scale(domain=present, range=[
            TOLERANCE_SCALE.range[TOLERANCE_SCALE.domain.index(t)] for t in present]),
            legend=alt.Legend(**LEGEND, title="ours vs the paper", symbolType="circle")),
        **encoding).transform_filter("isValid(datum.tolerance)")
    return marks


def _panel_order(frame: pd.DataFrame) -> list[str]:
    return list(frame.sort_values(["dataset", "model", "generator"])["panel"].drop_duplicates())


def _ours_sources(frame: pd.DataFrame) -> int:
    return int((frame["source"].drop_duplicates() != "paper").sum())


def _bars(data, y, x_title, order, colour, colour_field, label_expr,
          several_sources=False) -> list:
    """Bars side by side, one per colour; with ``several_sources`` (bars coloured by variant,
    and more than one of our settings, e.g. 100 and 150 users) one per (variant, setting), the
    setting shown by opacity."""
    # each word of a category on its own line: every label shows, none overlaps
    x = alt.X("x:N", sort=order, title=x_title,
              axis=alt.Axis(labelAngle=0, labelExpr=label_expr, labelOverlap=False))
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
    return [bars, spread]  # the first layer places the tolerance marks (``_marks``)


def _lines(view, data, y, x_title, order, colour, by_variant, label_expr) -> list:
    """Ours solid and the paper's dashed, with the spread as error bars; on a numeric x (budget,
    iterations) a cell without the axis's field (the base generator) is a faint flat rule."""
    numeric = view.x in ("budget", "iterations")
    x = (alt.X("x:Q", title=x_title, scale=alt.Scale(zero=False), axis=alt.Axis(values=order))
         if numeric else alt.X("x:N", sort=order, title=x_title,
                               axis=alt.Axis(labelAngle=0, labelExpr=label_expr)))
    sources = _source_scale(data).domain
    # the paper dashed; ours solid, and a second or third setting of ours (e.g. 100 users
    # beside 150) dotted, so two solid lines never stand for two settings
    # (the setting with the most cells, the preset's own runs, solid)
    ranked = [s for s in data["source"].value_counts().index if s != "paper"]
    patterns = [[1, 0], [2, 2], [8, 2, 2, 2]]
    dashes = {s: patterns[min(i, len(patterns) - 1)] for i, s in enumerate(ranked)}
    dash = alt.StrokeDash("source:N", title=None, legend=alt.Legend(**LEGEND, symbolType="stroke"),
                          scale=alt.Scale(domain=sources, range=[dashes.get(s, [6, 3])
                                                                 for s in sources]))
    detail = [alt.Detail("source:N")] + ([alt.Detail("variant name:N")] if by_variant else [])
    has_x = "isValid(datum.x)"
    line = alt.Chart().mark_line(strokeWidth=2).encode(
        x=x, y=y, color=colour, strokeDash=dash, detail=detail).transform_filter(has_x)
    marked = view.paper and data["tolerance"].notna().any()
    points = alt.Chart().mark_point(filled=True, size=40).encode(
        x=x, y=y, color=colour, tooltip=_tooltip()).transform_filter(has_x)
    if marked:  # the paper's points plain; each of ours shaped by how it stands to the paper
        points = points.transform_filter("!isValid(datum.tolerance)")
        present = [t for t in TOLERANCE_SHAPES.domain if t in set(data["tolerance"].dropna())]
        shape = alt.Shape("tolerance:N", legend=alt.Legend(**LEGEND, title="ours vs the paper",
                                                           symbolFillColor="#444"),
                          scale=alt.Scale(domain=present, range=[
                              TOLERANCE_SHAPES.range[TOLERANCE_SHAPES.domain.index(t)]
                              for t in present]))
        tooltip = _tooltip() + [alt.Tooltip("tolerance:N", title="paper")]
        ours = alt.Chart().mark_point(filled=True, size=90, opacity=1).encode(
            x=x, y=y, color=colour, tooltip=tooltip, shape=shape
        ).transform_filter(has_x).transform_filter("isValid(datum.tolerance)")
        points = alt.layer(points, ours)
        if numeric and order:  # the base generator's flat rule: its shape at the right end
            points = alt.layer(points, alt.Chart().mark_point(filled=True, size=90, opacity=1)
                               .encode(x=alt.datum(max(order)), y=y, color=colour,
                                       tooltip=tooltip, shape=shape)
                               .transform_filter("!isValid(datum.x)")
                               .transform_filter("isValid(datum.tolerance)"))
    spread = alt.Chart().mark_rule(strokeWidth=1.2, opacity=0.55).encode(
        x=x, y="lo:Q", y2="hi:Q", color=colour).transform_filter(has_x)
    layers = [spread, line, points]
    if numeric and any(row["x"] is None for row in data.to_dict("records")):
        layers.append(alt.Chart().mark_rule(opacity=0.45, strokeWidth=2).encode(
            y=y, color=colour, strokeDash=dash, tooltip=_tooltip(),
        ).transform_filter("!isValid(datum.x)"))
    return layers
