"""Benchmark: choose a grid in the sidebar (the form is derived from the run schema), launch the
engine's runner in a background process and watch each run's state. The runner is the store's
only writer; this page only reads, and writes to your own store, never the shipped one.
"""

import duckdb
import streamlit as st

from hare.bench.config import AXES, FIELD_TYPES
from hare.bench.cells import cells, stored_runs
from hare.bench.store import ResultStore
from hare.bench.summary import summary_table
from hare.errors import HareError
from hare_app import cached, hosting
from hare_app.paths import results_db_path
from hare_app.shell import enter_page
from hare_app.sweep import FORM_DEFAULTS, check_grid
from hare_app.views import field_error, sweep_progress, sweep_running, visitor_id

enter_page()

db = results_db_path()
registry = cached.sweep_registry()


def launch(check) -> None:
    try:
        registry.launch(check, db, visitor_id())
        st.session_state["bench_error"] = ""
    except HareError as exc:
        st.session_state["bench_error"] = str(exc)


def form_field(name: str, slots: dict):
    """The widget for one RunConfig field, from its axis; its error goes right under it."""
    axis, default = AXES[name], FORM_DEFAULTS[name]
    if FIELD_TYPES[name] is str:
        # a field unset by default (fitted people) offers "none" beside its choices
        unset = [None] if None in default else []
        value = tuple(st.multiselect(axis.label, unset + list(axis.choices()), default=list(default),
                                     key=f"bench_{name}", persist_state="session", help=axis.help,
                                     format_func=lambda v: "none" if v is None else v))
    else:
        example = "e.g. 0-4 or 0, 1, 2" if FIELD_TYPES[name] is int else "e.g. 0.1, 0.2"
        value = st.text_input(axis.label, value=str(default), key=f"bench_{name}",
                              persist_state="session",
                              help=f"{axis.help}; {example}" + ("; none = not set" if axis.optional else ""))
    slots[name] = st.empty()
    return value


def finished_cells(job):
    stored = ResultStore(job.db).stored_run_ids()
    done = [c for c in job.configs if c.run_id in stored]
    return summary_table(sorted(done, key=lambda c: c.label()), ResultStore(job.db))


def export_cells(job) -> str:
    """The sweep's finished cells as ``python -m hare cells`` gives them, as CSV."""
    runs = stored_runs(ResultStore(job.db))
    return cells(runs[runs["run_id"].isin(job.run_ids)]).to_csv(index=False)


st.title("Benchmark")
st.caption("Run a grid of benchmark cells with simulated users, as in the paper, into your own "
           "results store (the shipped paper reproduction is never changed). Finished runs are "
           "kept: launching the same grid again skips them.")
limits = hosting.limits()
if limits.hosted:
    st.info(f"This is a shared server: a launch runs at most {limits.max_runs} runs of at most "
            f"{limits.max_users} users, in one worker process. For the paper's grids, download "
            "the grid as a sweep file and run it on your own machine (`hare run --config`).")

slots: dict = {}
with st.sidebar:
    st.header("Grid")
    summary = st.container()  # cell count and Launch on top, filled once the form is read
    form = {name: form_field(name, slots) for name in AXES}
    check = check_grid(form, limits=limits)
    for key in check.errors:
        with slots.get(key, st.container()):
            field_error(check.errors, key)

running = sweep_running(registry)
read_error = ""
try:
    stored = ResultStore(db).stored_run_ids() if check.ok and not running else set()
except (HareError, duckdb.Error) as exc:  # not a results store, another DuckDB version, ...
    read_error, stored = f"Could not read your results store: {exc}", set()
todo = sum(c.run_id not in stored for c in check.configs)
with summary:
    if running:
        st.markdown("**Your sweep is running**: its progress is on the right.")
    elif check.ok:
        st.markdown(f"**{len(check.configs)} runs**: {len(check.configs) - todo} already stored, "
                    f"{todo} to run")
    else:
        st.markdown("**Fix the fields marked below** to see the grid.")
    st.button("Launch", type="primary", on_click=launch, args=(check,),
              disabled=not check.ok or running or todo == 0,
              help="Your sweep is running: wait for it or cancel it" if running else None)
    for message in (read_error, st.session_state.get("bench_error")):
        if message:
            st.error(message, icon="⚠️")
    if check.ok:
        st.download_button("Download this grid as a sweep file", check.sweep_file(),
                           file_name="sweep.toml", mime="application/toml", on_click="ignore",
                           key="bench_sweep_file",
                           help="A TOML file to keep beside a paper: `hare run --config "
                                "sweep.toml` runs this grid (`--dry-run` lists it first)")

if check.ok and not running:
    with st.expander(f"The grid: {len(check.configs)} runs"):
        st.dataframe([{"run": c.label(), "stored": c.run_id in stored} for c in check.configs],
                     hide_index=True)

st.subheader("Your sweep")
if registry.job(visitor_id()) is None:
    st.info("You have not launched a sweep yet. Choose a grid in the sidebar and press **Launch**.")
sweep_progress(registry, on_finish=st.cache_data.clear, finished_cells=finished_cells,
               export_cells=export_cells)
