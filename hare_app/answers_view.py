"""The results page's view of people's answers: how many sessions the opt-in store holds, and
on request how well each kind of simulated person predicts them (hare.live.answers_fit)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from hare.errors import HareError
from hare.live.answers import AnswerStore
from hare.live.answers_export import build
from hare.live.answers_fit import choices_of, fit_all
from hare_app.cached import stamp

BOOTSTRAP = 10  # resamples for the page's intervals (the command line defaults to more)


@st.cache_data(show_spinner="Fitting every kind of simulated person to the answers…")
def fit_table(db: str, _stamp: tuple, dataset: str) -> pd.DataFrame:
    """The ranked fit as a table (cached per file version)."""
    export = build(AnswerStore(db))
    scores, _ = fit_all(choices_of(export.answers, export.sessions, dataset), bootstrap=BOOTSTRAP)
    return pd.DataFrame([{
        "rank": rank, "simulated person": s.user_model,
        "held-out log-likelihood": round(s.log_likelihood, 3), "accuracy": f"{s.accuracy:.0%}",
        "noise β [95%]": f"{s.noise_level:.2f} [{s.noise_interval[0]:.2f}, {s.noise_interval[1]:.2f}]",
        "share": f"{s.share:.0%}",
        "weights [95%]": "; ".join(f"{c} {w:.2f} [{lo:.2f}, {hi:.2f}]"
                                   for c, (w, lo, hi) in s.weights.items())}
        for rank, s in enumerate(scores, 1)])


def show_answers_fit(db: Path) -> None:
    """The view: counts, then the fit behind a toggle (it takes a while)."""
    st.subheader("People's answers: which simulated people they resemble")
    store = AnswerStore(db)
    try:
        sessions = store.sessions()
    except HareError as exc:
        st.error(f"Could not read the answers store `{db.name}` ({exc}).")
        return
    if sessions.empty:
        st.info(f"No answers stored in `{db.name}` yet: they come from the live page when a "
                "person ticks the box, or from `hare answers simulate`.")
        return
    counts = sessions["status"].value_counts().to_dict()
    st.caption(f"`{db.name}`: {len(sessions)} sessions ("
               + ", ".join(f"{n} {k}" for k, n in counts.items()) + "). Each kind of simulated "
               "person is fitted to the 'which of these two?' answers and scored on answers it "
               "did not see (log-likelihood per answer; chance is −0.693).")
    datasets = sorted(sessions["dataset"].unique())
    dataset = st.selectbox("Dataset", datasets, key="res_answers_dataset") \
        if len(datasets) > 1 else datasets[0]
    if st.toggle("Fit the simulated people to these answers", key="res_answers_fit"):
        try:
            st.dataframe(fit_table(str(db), stamp(str(db)), dataset), hide_index=True)
        except HareError as exc:
            st.info(str(exc))
