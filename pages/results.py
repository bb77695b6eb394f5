"""Results: our stored runs beside the paper's numbers, one chart per paper table, each with
the table behind it as CSV. Reads the database read-only; with no results yet it shows the
paper's numbers and offers a small demo grid.
"""

import duckdb
import pandas as pd
import streamlit as st

from hare_app import cached
from hare_app.charts import table_chart
from hare_app.paths import results_db_path
from hare_app.results import TABLE_VIEWS, Filters, filter_options, ours_long, table_frame
from hare_app.sweep import DEMO_GRID, check_grid
from hare_app.shell import enter_page
from hare_app.views import sweep_progress, sweep_running, visitor_id
from hare.errors import HareError

enter_page()

db = results_db_path()
registry = cached.sweep_registry()
demo = check_grid(DEMO_GRID)


def launch_demo() -> None:
    try:
        registry.launch(demo, db, visitor_id())
        st.session_state["results_error"] = ""
    except HareError as exc:
        st.session_state["results_error"] = str(exc)


st.title("Results")
st.caption(f"Our runs from `{db}` (noiseless simulated users; each run's mean over its users, "
           "then mean ± std over seeds) drawn "
           "beside the paper's published numbers. Hover a mark for mean ± std.")

try:
    ours = ours_long(cached.result_cells(str(db)))
except (duckdb.Error, HareError) as exc:  # e.g. not a results store, or another DuckDB version
    st.error(f"Could not read `{db}` ({exc}); showing the paper's numbers only.")
    ours = ours_long(pd.DataFrame())
if ours.empty:
    st.info(f"No benchmark results in `{db}` yet, so the charts show the paper's numbers alone. "
            f"Run a small demo grid ({len(demo.configs)} cells: Adult, ANN, Growing Spheres; base, "
            f"HARE and Multi-HARE; {DEMO_GRID['users']} users, one seed; about a minute) to see ours "
            "beside them, or launch any grid from the Benchmark page.")
    st.button("Run a small demo grid", type="primary", on_click=launch_demo,
              disabled=sweep_running(registry))
    if st.session_state.get("results_error"):
        st.error(st.session_state["results_error"], icon="⚠️")
if sweep_running(registry) or (ours.empty and registry.job(visitor_id()) is not None):
    st.subheader("Sweep in progress")
    sweep_progress(registry, on_finish=st.cache_data.clear)
else:
    n_runs = int(ours[ours["metric"] == "gtp"]["seeds"].sum()) if not ours.empty else 0
    if n_runs:
        st.caption(f"{n_runs} noiseless runs stored.")

options = filter_options(ours)
with st.sidebar:
    st.header("Filters")
    datasets = st.multiselect("Datasets", options["dataset"], key="res_datasets",
                              persist_state="session", placeholder="all")
    models = st.multiselect("Models", options["model"], default=["ann"], key="res_models",
                            persist_state="session", placeholder="all")
    generators = st.multiselect("Generators", options["generator"], key="res_generators",
                                persist_state="session", placeholder="all")
    metric = st.radio("Metric", ["gtp", "gtd"], format_func=str.upper, horizontal=True,
                      key="res_metric", persist_state="session",
                      help="GTP: distance from the recourse to the user's preferred one. GTD: "
                           "1 − cosine between the change made and the change preferred. Lower "
                           "is better for both.")
filters = Filters(tuple(datasets), tuple(models), tuple(generators))

# Only the open tab is drawn: five faceted charts at once made the page slow to load.
tabs = st.tabs([f"Table {v.number} · {v.title}" for v in TABLE_VIEWS], key="res_table",
               on_change="rerun")
for tab, view in zip(tabs, TABLE_VIEWS):
    if not tab.open:
        continue
    with tab:
        st.caption(view.caption)
        frame = table_frame(view, ours, filters)
        chart = table_chart(view, frame, metric)
        if chart is None:
            st.info("Nothing to draw for these filters.")
        else:
            st.altair_chart(chart, width="content")
        st.download_button(f"Download the table behind this chart (CSV, {len(frame)} rows)",
                           frame.to_csv(index=False), file_name=f"hare-table{view.number}.csv",
                           mime="text/csv", on_click="ignore", key=f"csv{view.number}")
