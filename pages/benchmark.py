"""Benchmark: choose a grid in the sidebar, launch the engine's runner in a background process
and watch the cells finish. The runner is the database's only writer; this page only reads.
"""

import duckdb
import streamlit as st

from hare_app import cached
from hare_app.paths import results_db_path
from hare_app.sweep import GridForm, check_grid
from hare_app.shell import enter_page
from hare_app.views import field_error, sweep_progress, sweep_running
from hare.bench.config import VARIANTS
from hare.bench.store import ResultStore
from hare.data import DATASETS
from hare.errors import HareError
from hare.generators import generator_names
from hare.models import MODEL_KINDS
from hare.session import BPS_MODES
from hare.users import NOISE_MODELS, SCALES

enter_page()

DEFAULT = GridForm()
db = results_db_path()
registry = cached.sweep_registry()


def launch(check) -> None:
    try:
        registry.launch(check, db)
        st.session_state["bench_error"] = ""
    except HareError as exc:
        st.session_state["bench_error"] = str(exc)


def choose(label: str, options, key: str, default, errors_slot: dict, **kwargs):
    value = st.multiselect(label, list(options), default=list(default), key=f"bench_{key}",
                           persist_state="session", **kwargs)
    errors_slot[key] = st.empty()  # the message goes right under its field, once checked
    return tuple(value)


def text(label: str, key: str, default: str, errors_slot: dict, **kwargs) -> str:
    value = st.text_input(label, value=default, key=f"bench_{key}", persist_state="session", **kwargs)
    errors_slot[key] = st.empty()
    return value


st.title("Benchmark")
st.caption("Run a grid of benchmark cells (simulated users, as in the paper) into "
           f"`{db}`. Finished cells are kept: launching the same grid again skips them.")

slots: dict = {}
with st.sidebar:
    st.header("Grid")
    summary = st.container()  # cell count and Launch on top, filled once the form is read
    form = GridForm(
        datasets=choose("Datasets", DATASETS, "datasets", DEFAULT.datasets, slots),
        models=choose("Models", MODEL_KINDS, "models", DEFAULT.models, slots),
        generators=choose("Base generators", generator_names(), "generators", DEFAULT.generators, slots),
        variants=choose("Variants", VARIANTS, "variants", DEFAULT.variants, slots,
                        help="base alone, HARE (T = 1), Multi-HARE (T = iterations)"),
        budgets=text("Budgets B", "budgets", DEFAULT.budgets, slots, help="e.g. 10, 30, 70"),
        iterations=text("Multi-HARE iterations T", "iterations", DEFAULT.iterations, slots,
                        help="each must divide every budget, e.g. 3, 5"),
        bps=choose("Boundary point search on", BPS_MODES, "bps", DEFAULT.bps, slots),
        scales=choose("Ground-truth scales", SCALES, "scales", DEFAULT.scales, slots),
        noise=choose("User noise", NOISE_MODELS, "noise", DEFAULT.noise, slots),
        noise_params=text("Noise parameters", "noise_params", DEFAULT.noise_params, slots,
                          help="flip probability (bernoulli) or β (logistic); unused without noise"),
        seeds=text("Seeds", "seeds", DEFAULT.seeds, slots, help="e.g. 0, 1, 2 or 0-4"),
        users=st.number_input("Users per run", value=DEFAULT.users, step=1, key="bench_users",
                              persist_state="session", help="refused people each run follows"),
    )
    slots["users"] = st.empty()
    check = check_grid(form)
    for key in check.errors:
        with slots.get(key, st.container()):
            field_error(check.errors, key)

running = sweep_running(registry, db)
read_error = ""
try:
    stored = ResultStore(db).stored_run_ids() if check.ok else set()
except duckdb.Error as exc:  # e.g. a file written by another DuckDB version
    read_error, stored = f"Could not read `{db}`: {exc}", set()
todo = sum(c.run_id not in stored for c in check.configs)
with summary:
    if check.ok:
        st.markdown(f"**{len(check.configs)} cells**: {len(check.configs) - todo} already stored, "
                    f"{todo} to run")
    else:
        st.markdown("**Fix the fields marked below** to see the grid.")
    st.button("Launch", type="primary", on_click=launch, args=(check,),
              disabled=not check.ok or running or todo == 0,
              help="A sweep is running: wait for it or cancel it" if running else None)
    for message in (read_error, st.session_state.get("bench_error")):
        if message:
            st.error(message, icon="⚠️")

if check.ok:
    with st.expander(f"The grid: {len(check.configs)} cells"):
        st.dataframe([{"cell": c.label(), "stored": c.run_id in stored} for c in check.configs],
                     hide_index=True)


st.subheader("Sweep")
if registry.job(db) is None:
    st.info("No sweep has been launched from this server yet. Choose a grid in the sidebar and "
            "press **Launch**.")
sweep_progress(registry, db, on_finish=st.cache_data.clear)
