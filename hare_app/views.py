"""Small Streamlit pieces shared by the pages: a field's error message, and the live progress
panel of a background sweep (used by the benchmark page and the results page's demo grid).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from hare_app.sweep import SweepRegistry, grid_runs


def field_error(errors: dict[str, str], key: str) -> None:
    """The message for one field, drawn right where this is called (under the field)."""
    if errors.get(key):
        st.error(errors[key], icon="⚠️")


def sweep_running(registry: SweepRegistry, db: Path) -> bool:
    job = registry.job(db)
    return job is not None and job.process.poll() is None


def sweep_progress(registry: SweepRegistry, db: Path, on_finish=None) -> None:
    """Progress bar, cancel button and the finished cells of the sweep writing to ``db``.

    Runs as a fragment redrawn every second while the sweep runs, so the rest of the page stays
    responsive; when the sweep ends it calls ``on_finish`` and reruns the whole page once.
    """
    running = sweep_running(registry, db)

    @st.fragment(run_every=1.0 if running else None)
    def panel() -> None:
        job = registry.job(db)
        if job is None:
            return
        status = job.status()
        st.progress(status.fraction, text=f"{status.done} of {status.total} cells finished")
        if status.running:
            st.button("Cancel the sweep", on_click=job.cancel,
                      help="Stops the runner; finished cells stay stored")
            st.caption("Closing this page does not stop the sweep; come back to follow it.")
        elif job.cancelled:
            st.warning(f"Cancelled: {status.done} finished cells are stored. Launch the same grid "
                       "again to run the rest.")
        elif status.returncode == 0:
            st.success(f"Finished: {status.done} of {status.total} cells stored.")
        else:
            st.error(f"The runner stopped: {status.message}")
        if status.done:
            finished = grid_runs(job.db, job.run_ids)
            st.dataframe(finished.drop(columns=["run_id"]), hide_index=True,
                         column_config={m: st.column_config.NumberColumn(format="%.3f")
                                        for m in ("gtp", "gtd", "success_rate", "wall_seconds")})
        if running and not status.running:
            # The page was drawn while the sweep ran: redraw it all once (buttons, results).
            if on_finish is not None:
                on_finish()
            st.rerun(scope="app")

    panel()

