"""Streamlit caches over the engine: datasets, classifiers and fitted generators are loaded
once per server (st.cache_resource); database reads are cached briefly (st.cache_data with a
short ttl) so a running sweep's new results appear within seconds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from hare.live.profile import Preferences, refused_people
from hare.live.setup import SessionConfig
from hare.live.saved import SessionFiles, rebuild_run
from hare.live.sessions import SessionRegistry
from hare.live.run import make_live_generator
from hare.live.startup import ServerStart, prepare_server
from hare_app.paths import sessions_path
from hare_app.sweep import SweepRegistry
from hare.bench.cells import cells, store_cells
from hare.bench.report import render
from hare.bench.store import ResultStore
from hare.bench.verdict import Verdict, verdict
from hare.data import DATASETS, Dataset, load_dataset
from hare.generators import RecourseGenerator
from hare.models import TrainedModel, load_or_train


@st.cache_resource(show_spinner="Loading the dataset…")
def dataset(name: str) -> Dataset:
    return load_dataset(name)


@st.cache_resource(show_spinner=False)
def shipped_models() -> ServerStart:
    """Once per server: the demo's checked model files into the cache, and any damaged one
    rebuilt, so no click trains (hare.live.startup)."""
    return prepare_server()


@st.cache_resource(show_spinner="Loading the classifier…")
def trained_model(dataset_name: str, kind: str, seed: int = 0) -> TrainedModel:
    shipped_models()
    return load_or_train(dataset(dataset_name), kind, seed)


@st.cache_resource(show_spinner="Starting the demo: loading every dataset and its classifier "
                                "(once per server)…")
def demo_ready(kind: str = "ann") -> bool:
    """Once per server, on the first visit: every dataset and its classifier loaded, so a
    visitor switching dataset and clicking waits for the search alone."""
    for name in DATASETS:
        trained_model(name, kind)
    return True


@st.cache_resource
def live_sessions() -> SessionRegistry:
    """One registry per server: a live session outlives a reload of the page, and its file
    (hare_app.paths.sessions_path) a restart of the server."""
    return SessionRegistry(files=SessionFiles(sessions_path(), _rebuild_run))


def _rebuild_run(record: dict):
    """A stored run back in memory, on the server's own dataset and classifier."""
    name, kind = record["config"]["dataset"], record["config"]["model"]
    return rebuild_run(record, dataset(name), trained_model(name, kind, SessionConfig.model_seed).model)


@st.cache_resource(max_entries=32, show_spinner="Preparing the recourse generator…")
def fitted_generator(dataset_name: str, kind: str, seed: int, generator: str,
                     preferences: Preferences) -> RecourseGenerator:
    """A generator fitted to one person's action space (fit may train, e.g. an autoencoder)."""
    ds = dataset(dataset_name)
    space = preferences.action_space(ds)
    return make_live_generator(generator).fit(ds, trained_model(dataset_name, kind, seed).model, space, seed)


@st.cache_resource
def sweep_registry() -> SweepRegistry:
    """One registry per server: a sweep outlives the browser session that launched it."""
    return SweepRegistry()


def _has_runs(db: str) -> bool:
    store = ResultStore(db)
    if not store.exists():
        return False
    found = store.query("SELECT count(*) AS n FROM information_schema.tables "
                        "WHERE table_name IN ('runs', 'user_results')")
    return int(found["n"].iloc[0]) == 2


def stamp(db: str) -> tuple[float, int]:
    """The file's modification time and size: a cache key that changes when a sweep writes."""
    path = Path(db)
    if not path.is_file():
        return (0.0, 0)
    stat = path.stat()
    return (stat.st_mtime, stat.st_size)


@st.cache_data(max_entries=8, show_spinner="Summarising the stored runs…")
def result_cells(db: str, stamp: tuple[float, int]) -> pd.DataFrame:
    """The store's cells (hare.bench.cells), recomputed when the file changes (``stamp``)."""
    if not _has_runs(db):
        return cells(pd.DataFrame())
    return store_cells(ResultStore(db))


@st.cache_data(max_entries=8, show_spinner="Reaching the verdict…")
def store_verdict(db: str, stamp: tuple[float, int]) -> Verdict | None:
    """The verdict on the whole store (hare.bench.verdict), every protocol in it."""
    return verdict(result_cells(db, stamp))


@st.cache_data(max_entries=8, show_spinner=False)
def person_shares(db: str, stamp: tuple[float, int]) -> pd.DataFrame:
    """The store's per-person comparison of active HARE (hare.bench.person_shares)."""
    if not _has_runs(db):
        return pd.DataFrame()
    return ResultStore(db).person_shares()


@st.cache_data(max_entries=8, show_spinner="Writing the report…")
def report_text(db: str, stamp: tuple[float, int]) -> str:
    """``python -m hare report`` for this store, as markdown, naming the store by its file
    name (no server path on the page)."""
    return render(ResultStore(db), source=Path(db).name)


@st.cache_data(ttl=2, show_spinner=False)
def stored_runs(db: str) -> pd.DataFrame:
    """The runs table (empty when the database does not exist yet)."""
    return ResultStore(db).runs() if _has_runs(db) else pd.DataFrame()


@st.cache_resource(show_spinner=False)
def refused_rows(dataset_name: str, kind: str, seed: int = 0, n: int = 300) -> list[int]:
    """Test rows the classifier refuses (the people recourse is for), the first ``n``."""
    return refused_people(dataset(dataset_name), trained_model(dataset_name, kind, seed).model, n)
