"""Executors: local worker processes and a Dask cluster give the same runs as in-process, and
only the coordinator writes the store."""

import pandas as pd
import pytest

from hare.bench.config import expand_grid
from hare.bench.executor import run_grid
from hare.bench.store import ResultStore

GRID = dict(dataset=["compas"], model=["ann"], generator=["gs"], variant=["base", "multi_hare"],
            users=[6], seed=[0, 1])


def _frame(store):
    cols = ["run_id", "gtp", "gtd", "success_rate", "queries_mean"]
    return store.runs()[cols].sort_values("run_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    store = ResultStore(tmp_path_factory.mktemp("ref") / "ref.duckdb")
    run_grid(expand_grid(**GRID), store, progress=False)
    return _frame(store)


def test_local_processes_match_in_process(tmp_path, reference):
    store = ResultStore(tmp_path / "p.duckdb")
    written = run_grid(expand_grid(**GRID), store, progress=False, workers=2)
    assert len(written) == 4
    pd.testing.assert_frame_equal(_frame(store), reference, atol=1e-6, rtol=0)


def test_dask_cluster_runs_cells_and_coordinator_writes(tmp_path, reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        store = ResultStore(tmp_path / "d.duckdb")
        seen = []
        written = run_grid(expand_grid(**GRID), store, progress=False,
                           scheduler=cluster.scheduler_address,
                           on_stored=lambda record, done, total: seen.append((done, total)))
        assert len(written) == 4 and seen[-1] == (4, 4)
        pd.testing.assert_frame_equal(_frame(store), reference, atol=1e-6, rtol=0)
        # a second launch of the same grid finds everything stored and computes nothing
        assert run_grid(expand_grid(**GRID), store, progress=False,
                        scheduler=cluster.scheduler_address) == []
