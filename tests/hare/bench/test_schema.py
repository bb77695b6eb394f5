"""A run field added with its default: every face gains it and every stored run survives."""

import argparse
import shutil
from dataclasses import make_dataclass
from pathlib import Path

import duckdb
import pytest

from hare.bench.config import RunConfig, expand_grid
from hare.bench.presets import preset_grid
from hare.bench.store import ResultStore
from hare.cli import _add_grid_options
from hare.errors import ConfigError
from hare.schema import STAGES, Schema, setting
from hare_app.sweep import FORM_DEFAULTS, check_grid

SHIPPED = Path(__file__).resolve().parents[3] / "results" / "hare.duckdb"

# A copy of the run schema with one more field, declared as any field is: one line.
Extended = make_dataclass(
    "Extended", [("patience", int, setting(3, label="Patience", help="answers before a pause",
                                           minimum=1, maximum=10, stages=("session",)))],
    bases=(RunConfig,), frozen=True)


def test_the_command_line_gains_the_field():
    parser = argparse.ArgumentParser()
    _add_grid_options(parser, Extended)
    assert "--patience" in parser.format_help()
    assert parser.parse_args([]).patience == [3]
    assert parser.parse_args(["--patience", "4", "5"]).patience == [4, 5]


def test_the_form_gains_the_field():
    assert Extended.schema().form_start()["patience"] == "3"
    check = check_grid(dict(FORM_DEFAULTS), Extended)  # a form that predates the field
    assert check.ok and {c.patience for c in check.configs} == {3}
    check = check_grid(dict(FORM_DEFAULTS, patience="2, 4"), Extended)
    assert check.ok and {c.patience for c in check.configs} == {2, 4}
    assert "patience" in check_grid(dict(FORM_DEFAULTS, patience="0"), Extended).errors


@pytest.fixture(scope="module")
def extended_store(tmp_path_factory):
    copy = tmp_path_factory.mktemp("store") / "hare.duckdb"
    shutil.copyfile(SHIPPED, copy)
    store = ResultStore(copy, Extended)
    store.init()  # adds the column, filled with the default
    return store


def test_the_shipped_store_opens_with_every_run_id_unchanged(extended_store):
    runs = extended_store.runs()
    assert len(runs) > 4000 and set(runs["patience"]) == {3}
    names = Extended.schema().names
    differ = [row["run_id"] for row in runs.to_dict("records")
              if Extended.from_dict({n: row[n] for n in names}).run_id != row["run_id"]]
    assert differ == []
    with duckdb.connect(str(extended_store.path), read_only=True) as con:
        assert con.execute("SELECT DISTINCT patience FROM runs").fetchall() == [(3,)]


def test_the_read_only_shipped_store_reads_the_default():
    assert set(ResultStore(SHIPPED, Extended).runs()["patience"]) == {3}


def test_a_run_at_the_default_is_already_stored(extended_store):
    stored = extended_store.stored_run_ids()
    cell = dict(dataset=["compas"], model=["ann"], generator=["gs"],
                variant=["base", "hare", "multi_hare"], seed=[0])
    assert all(c.run_id in stored for c in expand_grid(Extended, **cell))
    assert not any(c.run_id in stored for c in expand_grid(Extended, **cell, patience=[4]))
    # the same runs as the paper's preset declares them, under the original schema
    assert {c.run_id for c in expand_grid(Extended, **cell)} <= {
        c.run_id for c in preset_grid("table1", seeds=[0])}


def test_a_bad_value_of_the_new_field_is_one_config_error():
    with pytest.raises(ConfigError, match="patience must be from 1 to 10"):
        Extended(patience=11)


def test_every_field_says_which_results_it_changes():
    schema = Schema.of(RunConfig)
    for name in schema.names:
        assert schema.axes[name].stages, f"{name} declares no stage"
    # a stage's cache key is exactly the fields that name it: two runs that differ only
    # elsewhere share the stage's result
    a, b = RunConfig(variant="hare", budget=30), RunConfig(variant="multi_hare", budget=30)
    assert a.stage_key("base") == b.stage_key("base")
    assert a.stage_key("session") != b.stage_key("session")
    assert RunConfig(scale="near").stage_key("base") == RunConfig(scale="far").stage_key("base")
    assert RunConfig(scale="near").stage_key("truth") != RunConfig(scale="far").stage_key("truth")
    assert set(STAGES) == {"classifier", "users", "base", "truth", "session"}
