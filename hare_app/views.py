"""Small Streamlit pieces shared by the pages: state keys, a field's error message, and the
live panel of a visitor's background sweep (the benchmark page and the results page's demo).
"""

from __future__ import annotations

import re
import uuid

import pandas as pd
import streamlit as st

from hare.bench.config import differing_fields
from hare.bench.status import STATES
from hare_app.sweep import SweepJob, SweepRegistry


def visitor_id() -> str:
    """Whose sweeps are whose: an id kept in this browser session and in the page's URL
    (``?v=…``), so a reload, or the same address opened again after closing the tab, finds the
    visitor's sweep while another visitor neither sees nor controls it."""
    visitor = st.session_state.get("hare_visitor")
    if visitor is None:
        given = st.query_params.get("v", "")
        visitor = given if re.fullmatch(r"[0-9a-f]{32}", given) else uuid.uuid4().hex
        st.session_state["hare_visitor"] = visitor
    if st.query_params.get("v") != visitor:
        st.query_params["v"] = visitor
    return visitor


def field_error(errors: dict[str, str], key: str) -> None:
    """The message for one field, drawn right where this is called (under the field)."""
    if errors.get(key):
        st.error(errors[key], icon="⚠️")


def sweep_running(registry: SweepRegistry) -> bool:
    job = registry.job(visitor_id())
    return job is not None and job.process.poll() is None


def cell_table(job: SweepJob, states: dict) -> pd.DataFrame:
    """One row per run of the sweep: its label (only the settings that differ), state, detail."""
    shown = differing_fields(job.configs) + ("seed",)
    rows = []
    for cfg in job.configs:
        status = states.get(cfg.run_id)
        state = status.state if status else "queued"
        rows.append({"run": cfg.label(shown), "state": state,
                     "detail": status.detail if status else ""})
    order = {s: i for i, s in enumerate(("failed", "preparing", "running", "queued", "cancelled",
                                         "stored"))}
    return pd.DataFrame(rows).sort_values("state", key=lambda c: c.map(order), kind="stable")


def sweep_progress(registry: SweepRegistry, on_finish=None, finished_cells=None,
                   export_cells=None) -> None:
    """Progress, per-run states, cancel button and the finished cells of this visitor's sweep.

    Runs as a fragment redrawn every second while the sweep runs, so the rest of the page stays
    responsive; when the sweep ends it calls ``on_finish`` and reruns the whole page once.
    ``finished_cells(job)`` returns the table of finished cells to show (mean ± std, paper);
    ``export_cells(job)`` their rows as CSV text, offered as a download.
    """
    running = sweep_running(registry)

    @st.fragment(run_every=1.0 if running else None)
    def panel() -> None:
        job = registry.job(visitor_id())
        if job is None:
            return
        status = job.status()
        tally = " · ".join(f"{status.counts[s]} {s}" for s in STATES if status.counts[s])
        if status.running and not status.states:  # no status line yet: the runner is starting
            tally = "starting the runner (it loads torch and checks the data first)"
        st.progress(status.fraction, text=f"{status.done} of {status.total} runs stored — {tally}")
        busy = [s for s in status.states.values() if s.state == "preparing" and s.run_id in job.run_ids]
        if status.running and busy:
            st.caption("Preparing: " + "; ".join(sorted({s.detail for s in busy})))
        if status.running:
            st.button("Cancel the sweep", on_click=job.cancel,
                      help="Stops the runner; finished runs stay stored")
            st.caption("Closing this page does not stop the sweep; come back to follow it.")
        elif job.cancelled:
            st.warning(f"Cancelled: {status.done} finished runs are stored. Launch the same grid "
                       "again to run the rest.")
        elif status.message:
            st.error(f"The runner stopped: {status.message}")
        elif status.counts["failed"]:
            st.error(f"{status.counts['failed']} runs failed (see their detail below); "
                     f"{status.done} are stored.")
        else:
            st.success(f"Finished: {status.done} of {status.total} runs stored.")
        with st.expander("Every run's state", expanded=status.running):
            st.dataframe(cell_table(job, status.states), hide_index=True, width="stretch")
        if status.done and finished_cells is not None:
            st.markdown("**Finished cells** (mean ± std over the stored seeds, beside the paper's)")
            st.dataframe(finished_cells(job), hide_index=True, width="stretch")
        if status.done and export_cells is not None:
            st.download_button("Download the finished cells (CSV)", export_cells(job),
                               file_name="hare-cells.csv", mime="text/csv", on_click="ignore",
                               key="bench_cells_csv",
                               help="One row per cell and metric, as `python -m hare cells` "
                                    "prints them: seeds, users used, mean, std over seeds, the "
                                    "paper's number and whether ours is within its tolerance")
        if running and not status.running:
            # The page was drawn while the sweep ran: redraw it all once (buttons, results).
            if on_finish is not None:
                on_finish()
            st.rerun(scope="app")

    panel()
