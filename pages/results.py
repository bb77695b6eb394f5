"""Results: the verdict computed from a store, the full report, and one view per paper table and
study (ours beside the paper's numbers), each with the rows behind it as CSV. Two stores: the
paper reproduction as shipped, and the runs you launched; both read-only here.
"""

import duckdb
import streamlit as st

from hare.bench.active_report import SETTINGS, comparisons, in_setting
from hare.bench.cells import TOLERANCE_TEXT, select
from hare.bench.names import VALUE_NAMES, readable
from hare.bench.protocol_groups import GROUPS, help_line, title
from hare.bench.report import split_summary
from hare.errors import HareError
from hare.protocol import protocol_names
from hare_app import cached
from hare_app.charts import view_chart
from hare_app.answers_view import show_answers_fit
from hare_app.person_view import show_person_shares
from hare_app.paths import answers_db_path, results_db_path, shipped_db_path
from hare_app.results import (VIEWS, Filters, chart_frame, filter_options, settings_note,
                              view_rows)
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

if has_runs:
    # the whole store's verdict, every protocol in it: the switch below only picks the charts
    found = cached.store_verdict(str(db), cached.stamp(str(db)))
    if found is not None:
        st.success("**Verdict.** " + found.conclusion, icon=":material/fact_check:")
        with st.expander("The facts behind the verdict"):
            st.markdown("\n".join(f"- {fact}" for fact in found.facts))
    else:
        st.info("This store has no Table 1 cell (base, HARE and Multi-HARE at B = 30), so there "
                "is no verdict; the views below show what it holds.")
    with st.expander("Read the full report (`python -m hare report --full`)"):
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
                       "`python -m hare report --full` prints the same.")
else:
    st.info(f"No runs in `{db.name}` yet, so the charts show the paper's numbers alone.")
    if db == results_db_path():
        named = "; ".join(", ".join(readable(name, v) for v in DEMO_GRID[name])
                          for name in ("dataset", "model", "generator", "variant"))
        st.write(f"Run a small demo grid ({len(demo.configs)} cells: {named}; "
                 f"{DEMO_GRID['users']} users, one seed; about a minute) to see ours beside "
                 "them, or launch any grid from the Benchmark page.")
        st.button("Run a small demo grid", type="primary", on_click=launch_demo,
                  disabled=sweep_running(registry))
        if st.session_state.get("results_error"):
            st.error(st.session_state["results_error"], icon="⚠️")

if db == results_db_path() and (sweep_running(registry)
                                or (not has_runs and registry.job(visitor_id()) is not None)):
    st.subheader("Sweep in progress")
    sweep_progress(registry, on_finish=st.cache_data.clear)

# in hare.protocol's order: ours, the authors', then ours with one of theirs, theirs with one of ours
protocols = sorted(set(cells.loc[cells["seeds"] > 0, "protocol"]), key=protocol_names().index) \
    if has_runs else []
if len(protocols) > 1:  # ours and a replay of the authors' code: one at a time
    groups = [g for g in GROUPS if set(g.members) & set(protocols)]
    labels = {g.label: g for g in groups}
    st.subheader("The tables, one protocol at a time")
    # another store may hold other protocols: a choice it lacks starts over
    if st.session_state.get("res_protocol_group") not in (None, *labels):
        del st.session_state["res_protocol_group"]
    picked = st.segmented_control(
        "Protocol", list(labels), default=groups[0].label, key="res_protocol_group",
        persist_state="session",
        help="\n\n".join(f"**{g.label}**: {g.help}." for g in groups)) or groups[0].label
    group = labels[picked]
    st.caption(group.help[0].upper() + group.help[1:] + ".")
    members = [m for m in group.members if m in protocols]
    chosen = members[0]
    if len(members) > 1:
        if st.session_state.get("res_protocol") not in (None, *members):
            del st.session_state["res_protocol"]
        chosen = st.selectbox("Which choice", members, format_func=title, key="res_protocol",
                              persist_state="session") or members[0]
        st.caption(help_line(chosen)[0].upper() + help_line(chosen)[1:] + ".")
    cells = cells[cells["protocol"] == chosen]

if has_runs:
    n_runs = int(cells.drop_duplicates("cell_id")["seeds"].sum())
    st.caption(f"{n_runs} runs stored in {cells['cell_id'].nunique()} cells"
               + (f" under {title(chosen)}." if len(protocols) > 1 else "."))

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

# One view at a time, chosen from buttons that wrap onto a second line rather than scroll
# (nine tabs did not fit the page's width); only the chosen view is drawn.
labels = [v.label for v in VIEWS]
chosen_view = st.segmented_control("View", labels, default=labels[0], key="res_table",
                                   persist_state="session") or labels[0]
number, view = next((i, v) for i, v in enumerate(VIEWS) if v.label == chosen_view)
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
    found_here = comparisons(shown)
    if found_here:
        st.markdown("**Measured in this store, with the filters on the left** (active "
                    "HARE's mean ÷ the other's, over the same cells):\n"
                    + "\n".join(f"- {text}: {r}" for text, r in found_here))
frame = chart_frame(view, rows)
chart = view_chart(view, frame, metric)
if chart is None:
    st.info("Nothing to draw: this store has no runs for this view with these filters.")
else:
    if view.paper:
        marks = ("its point is a circle within the paper's tolerance, a cross outside it, a "
                 "square where the paper gives no number" if view.lines else
                 "✓ within the paper's tolerance, ✗ outside it, – where the paper gives no number")
        st.caption(f"Each of our cells says how it stands to the paper's number: {marks} "
                   f"(within: {TOLERANCE_TEXT}). A panel the paper gives no number for says so "
                   "under its title.")
    else:
        st.caption("The paper has no numbers for this study, so no cell is marked within or "
                   "outside its tolerance.")
    st.altair_chart(chart, width="content")
    note = settings_note(view, frame)
    if note:
        st.caption(note)
presets = " ".join(view.presets)
st.download_button(
    f"Download the rows behind this chart (CSV, {len(rows)} rows)", rows.to_csv(index=False),
    file_name=f"hare-{view.presets[0]}-{metric}.csv", mime="text/csv", on_click="ignore",
    key=f"csv{number}",
    help=f"The same rows as `python -m hare cells --db {db.name} --preset {presets} "
         f"--metric {metric}{'' if view.paper else ' --no-paper'}` with these filters.")
if view.x == "arm":  # and per person, under the cell means
    show_person_shares(cached.person_shares(str(db), cached.stamp(str(db))), filters)

with st.expander("People's answers"):
    show_answers_fit(answers_db_path())
