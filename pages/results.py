"""Results: the verdict computed from a store, the full report, and one view per paper table and
study (ours beside the paper's numbers), each with the rows behind it as CSV. Two stores: the
paper reproduction as shipped, and the runs you launched; both read-only here.
"""

import duckdb
import streamlit as st

from hare.bench.active_report import SETTINGS, comparisons, in_setting
from hare.bench.cells import select
from hare.bench.names import VALUE_NAMES, readable
from hare.bench.report import split_summary, verdict
from hare.errors import HareError
from hare.protocol import protocol_names
from hare_app import cached
from hare_app.charts import view_chart
from hare_app.paths import results_db_path, shipped_db_path
from hare_app.results import VIEWS, Filters, chart_frame, filter_options, view_rows
from hare_app.sweep import DEMO_GRID, check_grid
from hare_app.shell import enter_page
from hare_app.views import sweep_progress, sweep_running, visitor_id

enter_page()

STORES = {"the paper reproduction as shipped": shipped_db_path(), "your runs": results_db_path()}
registry = cached.sweep_registry()
demo = check_grid(DEMO_GRID)


def launch_demo() -> None:
    try:
        registry.launch(demo, results_db_path(), visitor_id())
        st.session_state["results_error"] = ""
    except HareError as exc:
        st.session_state["results_error"] = str(exc)


st.title("Results")
which = st.segmented_control("Store", list(STORES), default=list(STORES)[0], key="res_store",
                             persist_state="session", label_visibility="collapsed") \
    or list(STORES)[0]
db = STORES[which]
st.caption(f"Reading `{db.name}`. Each run is one seed: a classifier, its simulated users and "
           "their recourses; a cell is every setting but the seed, shown as the mean ± std over "
           "its seeds (the bars' whiskers). Different settings, such as the number of users, are "
           "never pooled.")

try:
    cells = cached.result_cells(str(db), cached.stamp(str(db)))
except (duckdb.Error, HareError) as exc:  # not a results store, another DuckDB version, ...
    st.error(f"Could not read `{db.name}` ({exc}); showing the paper's numbers only.")
    cells = cached.result_cells("", (0.0, 0))
has_runs = bool((cells["seeds"] > 0).any()) if len(cells) else False
# in hare.protocol's order: ours, the authors', then ours with one of theirs, theirs with one of ours
protocols = sorted(set(cells.loc[cells["seeds"] > 0, "protocol"]), key=protocol_names().index) \
    if has_runs else []
if len(protocols) > 1:  # ours and a replay of the authors' code: one at a time
    chosen = st.segmented_control("Protocol", protocols, default=protocols[0], key="res_protocol",
                                  format_func=lambda p: readable("protocol", p),
                                  persist_state="session") or protocols[0]
    st.caption("The authors' protocol replays their code (rahulvigneswaran/HARE): seeds 1–4, "
               "100 users, their ground truth, sampler, rounds, classifiers and metric "
               "precision; ours is this project's corrected protocol. The report compares them.")
    cells = cells[cells["protocol"] == chosen]

if has_runs:
    found = verdict(cells)
    if found is not None:
        st.success("**Verdict.** " + found.conclusion, icon=":material/fact_check:")
        st.markdown("\n".join(f"- {fact}" for fact in found.facts))
    else:
        st.info("This store has no Table 1 cell (base, HARE and Multi-HARE at B = 30), so there "
                "is no verdict; the views below show what it holds.")
    with st.expander("Read the full report (`python -m hare report`)"):
        # Built on request: for the shipped store it is thousands of lines (every cell of every
        # protocol), about 2 s to compute; drawn whole, it held Chromium for over two minutes.
        # The page draws its summary; the per-table cells (the views below chart them) are in
        # the download.
        if st.toggle("Show the report for this store", key="report_shown"):
            text = cached.report_text(str(db), cached.stamp(str(db)))
            st.download_button("Download the whole report (markdown)", text, file_name="REPORT.md",
                               mime="text/markdown", on_click="ignore", key="report_download")
            summary, listings = split_summary(text)
            st.markdown(summary)
            if listings:
                st.caption(f"The report goes on with every cell of every table "
                           f"({listings.count(chr(10)):,} more lines): in the download.")
        else:
            st.caption("Every count and sentence in it is computed from the store chosen above; "
                       "`python -m hare report` prints the same.")
else:
    st.info(f"No runs in `{db.name}` yet, so the charts show the paper's numbers alone.")
    if db == results_db_path():
        st.write(f"Run a small demo grid ({len(demo.configs)} cells: Adult, neural network, "
                 f"Growing Spheres; base, HARE and Multi-HARE; {DEMO_GRID['users']} users, one seed; "
                 "about a minute) to see ours beside them, or launch any grid from the Benchmark "
                 "page.")
        st.button("Run a small demo grid", type="primary", on_click=launch_demo,
                  disabled=sweep_running(registry))
        if st.session_state.get("results_error"):
            st.error(st.session_state["results_error"], icon="⚠️")
if db == results_db_path() and (sweep_running(registry)
                                or (not has_runs and registry.job(visitor_id()) is not None)):
    st.subheader("Sweep in progress")
    sweep_progress(registry, on_finish=st.cache_data.clear)
elif has_runs:
    n_runs = int(cells.drop_duplicates("cell_id")["seeds"].sum())
    st.caption(f"{n_runs} runs stored in {cells['cell_id'].nunique()} cells.")

options = filter_options(cells)
with st.sidebar:
    st.header("Filters")
    datasets = st.multiselect("Datasets", options["dataset"], key="res_datasets",
                              format_func=lambda v: readable("dataset", v),
                              persist_state="session", placeholder="all")
    models = st.multiselect("Models", options["model"], default=["ann"], key="res_models",
                            format_func=lambda v: readable("model", v),
                            persist_state="session", placeholder="all")
    generators = st.multiselect("Generators", options["generator"], key="res_generators",
                                format_func=lambda v: readable("generator", v),
                                persist_state="session", placeholder="all")
filters = Filters(tuple(datasets), tuple(models), tuple(generators))

# Only the open tab is drawn: eight faceted charts at once made the page slow to load.
tabs = st.tabs([v.label for v in VIEWS], key="res_table", on_change="rerun")
for number, (tab, view) in enumerate(zip(tabs, VIEWS)):
    if not tab.open:
        continue
    with tab:
        st.caption(view.caption)
        metric = st.radio("Metric", view.metrics, horizontal=True, key=f"res_metric{number}",
                          format_func=lambda m: VALUE_NAMES["metric"].get(m, m),
                          help="GTP: distance from the recourse to the one the user prefers. "
                               "GTD: 1 − cosine between the change made and the change "
                               "preferred. Lower is better for both.")
        rows = view_rows(view, cells, metric, filters)
        if view.x == "arm":  # active HARE: one setting of users at a time, and what it measures
            setting = st.selectbox("Users and ground truth", list(SETTINGS), key="res_active_setting")
            rows = in_setting(rows, SETTINGS[setting])
            shown = select(cells, view.presets, paper=False, dataset=filters.datasets,
                           model=filters.models, generator=filters.generators)
            found = comparisons(shown)
            if found:
                st.markdown("**Measured in this store, with the filters on the left** (active "
                            "HARE's mean ÷ the other's, over the same cells):\n"
                            + "\n".join(f"- {text}: {r}" for text, r in found))
        chart = view_chart(view, chart_frame(view, rows), metric)
        if chart is None:
            st.info("Nothing to draw: this store has no runs for this view with these filters.")
        else:
            st.altair_chart(chart, width="content")
        presets = " ".join(view.presets)
        st.download_button(
            f"Download the rows behind this chart (CSV, {len(rows)} rows)", rows.to_csv(index=False),
            file_name=f"hare-{view.presets[0]}-{metric}.csv", mime="text/csv", on_click="ignore",
            key=f"csv{number}",
            help=f"The same rows as `python -m hare cells --db {db.name} --preset {presets} "
                 f"--metric {metric}{'' if view.paper else ' --no-paper'}` with these filters.")
