"""The results page's per-person view of active HARE: for how many simulated people of each
kind it ends worse, the same or better than Multi-HARE, and costlier than their base recourse
(hare.bench.person_shares), as a chart and a table, with the page's dataset/model/generator
filters applied."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from hare.bench import person_shares
from hare.bench.names import VALUE_NAMES
from hare_app.results import Filters

OUTCOMES = {"worse_than_multi": "worse than Multi-HARE", "tie": "the same",
            "better_than_multi": "better than Multi-HARE"}


def filtered(shares: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The shares of the cells the filters keep (an empty filter keeps everything)."""
    for column, chosen in (("dataset", filters.datasets), ("model", filters.models),
                           ("generator", filters.generators)):
        if chosen and len(shares):
            shares = shares[shares[column].isin(chosen)]
    return shares


def outcome_frame(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (kind of person, outcome) for the chart, from ``by_kind``'s table."""
    table = table.assign(tie=1 - table["worse_than_multi"] - table["better_than_multi"],
                         person=table["user_model"].map(
                             lambda k: VALUE_NAMES["user_model"].get(k, k)))
    long = table.melt(id_vars=["person", "people"], value_vars=list(OUTCOMES),
                      var_name="outcome", value_name="share")
    long["outcome"] = long["outcome"].map(OUTCOMES)
    return long


def show_person_shares(shares: pd.DataFrame, filters: Filters) -> None:
    """The chart and table (nothing when the store has no per-person comparison)."""
    shares = filtered(shares, filters)
    if shares.empty:
        return
    consistent = shares[shares["noise"] == "none"]
    budgets = sorted(int(b) for b in consistent["budget"].unique())
    if not budgets:
        return
    st.markdown("**Per person**: of the simulated people of each kind (answering "
                "consistently), for how many active HARE ends worse, the same or better than "
                "Multi-HARE (people counting, the same budget), by the person's own cost.")
    budget = st.radio("Questions (B)", budgets, index=len(budgets) - 1, horizontal=True,
                      key="res_people_budget")
    table = person_shares.by_kind(consistent[consistent["budget"] == budget])
    chart = alt.Chart(outcome_frame(table)).mark_bar().encode(
        x=alt.X("share:Q", stack="normalize", axis=alt.Axis(format="%"), title="people"),
        y=alt.Y("person:N", title=None, axis=alt.Axis(labelLimit=320)),
        color=alt.Color("outcome:N", sort=list(OUTCOMES.values()),
                        scale=alt.Scale(range=["#d62728", "#bbbbbb", "#2ca02c"]), title=None),
        order=alt.Order("outcome_order:Q"),
        tooltip=["person", "outcome", alt.Tooltip("share:Q", format=".1%"), "people"],
    ).transform_calculate(
        outcome_order=f"indexof({list(OUTCOMES.values())}, datum.outcome)")
    st.altair_chart(chart, width="stretch")
    shown = table.assign(person=table["user_model"].map(
        lambda k: VALUE_NAMES["user_model"].get(k, k)))
    st.dataframe(shown[["person", "people", *person_shares.SHARES]].rename(columns={
        "people": "people compared", "worse_than_multi": "worse than Multi-HARE",
        "better_than_multi": "better than Multi-HARE",
        "costlier_than_base": "costlier than their base recourse",
        "multi_costlier_than_base": "Multi-HARE: costlier than base"}),
        hide_index=True, column_config={c: st.column_config.NumberColumn(format="percent")
                                        for c in ("worse than Multi-HARE",
                                                  "better than Multi-HARE",
                                                  "costlier than their base recourse",
                                                  "Multi-HARE: costlier than base")})
