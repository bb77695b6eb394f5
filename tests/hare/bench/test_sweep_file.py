"""A sweep as a file: keys from the run schema, a bad line reported with its number, a dry run
that prints the grid and computes nothing, and the same file running the grid."""

from __future__ import annotations

import pytest

from hare.bench import sweep_file
from hare.bench.config import RunConfig, expand_grid
from hare.bench.store import ResultStore
from hare.cli import main
from hare.errors import ConfigError

SWEEP = """\
# a small sweep, kept beside a paper
dataset = "compas"
model = "ann"
generator = "gs"
variant = ["base", "hare"]
seeds = [0, 1]
users = 5
"""


def test_keys_come_from_the_run_schema():
    keys = sweep_file.keys()
    schema = RunConfig.schema()
    assert set(keys.values()) == set(schema.names)
    assert keys["seeds"] == "seed" and "seed" not in keys  # the seed axis by its flag
    assert all(keys[name] == name for name in schema.names if name != "seed")


def test_a_file_gives_the_grid_its_values_say():
    options = sweep_file.parse(SWEEP)
    assert options == dict(dataset=["compas"], model=["ann"], generator=["gs"],
                           variant=["base", "hare"], seed=[0, 1], users=[5])
    # "none" for an optional field, a number as text, a float written as a whole number
    options = sweep_file.parse('bps = ["every", "none"]\ntolerance = "0.5"\nnoise_param = 0\n')
    assert options == dict(bps=["every", None], tolerance=[0.5], noise_param=[0.0])


@pytest.mark.parametrize("text,message", [
    ('dataset = "adult"\n\nseed = [0, 1]\n', "line 3: unknown key 'seed' (did you mean seeds?)"),
    ('users = 5\ndataset = ["adult", "adlut"]\n', "line 2: dataset: unknown dataset 'adlut'"),
    ('budget = 30\n  iterations = 2.5\n', "line 2: iterations: iterations must be a whole number"),
    ('users = 0\n', "line 1: users: users must be from 1 to 10,000 (got 0)"),
    ('model = ann\n', "not valid TOML"),
    ('dataset = []\n', "line 1: dataset needs at least one value"),
    ('dataset = "adult"\n[grid]\nusers = 5\n', "line 2: [grid] is a table"),
    ('model = 1\n', "line 1: model: 1 is not a name: write it in quotes"),
    ('seeds = [[0, 1]]\n', "line 1: seeds: [0, 1] is not a single value"),
])
def test_a_bad_line_is_reported_with_its_number(text, message):
    with pytest.raises(ConfigError) as err:
        sweep_file.parse(text, "sweep.toml")
    assert message in str(err.value) and str(err.value).startswith("sweep.toml")


def test_toml_syntax_errors_keep_their_line():
    with pytest.raises(ConfigError) as err:
        sweep_file.parse('dataset = "adult"\nusers = \n', "sweep.toml")
    assert "line 2" in str(err.value)


def test_a_written_file_reads_back_as_the_same_grid():
    options = dict(dataset=["adult", "compas"], variant=["base", "multi_hare"], budget=[30],
                   iterations=[5], bps=["every", None], noise_param=[0.0], seed=[0, 1, 2],
                   users=[20], tolerance=[None])
    text = sweep_file.write(options, header="made by a test\nhare run --config grid.toml")
    assert text.startswith("# made by a test\n# hare run --config grid.toml\n")
    assert "seeds = [0, 1, 2]" in text and 'bps = ["every", "none"]' in text
    assert sweep_file.parse(text) == options
    assert ([c.run_id for c in expand_grid(**sweep_file.parse(text))]
            == [c.run_id for c in expand_grid(**options)])


def test_dry_run_prints_the_grid_and_computes_nothing(tmp_path, capsys):
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP)
    db = tmp_path / "runs.duckdb"
    assert main(["run", "--config", str(path), "--db", str(db), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"4 runs in the grid, 0 already stored in {db} (no such file yet), 4 "
                          "to run")
    assert "Nothing was computed or written (--dry-run)" in out
    assert "Every run: compas ann gs far 5 users; each:" in out
    assert "  to run  hare B30/T1 seed 1" in out
    assert list(tmp_path.iterdir()) == [path]  # no store, no side file


def test_the_same_file_runs_the_grid_and_a_dry_run_then_sees_it_stored(tmp_path, capsys):
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP)
    db = tmp_path / "runs.duckdb"
    assert main(["run", "--config", str(path), "--db", str(db), "--workers", "1",
                 "--quiet"]) == 0
    grid = expand_grid(**sweep_file.read(path))
    assert ResultStore(db).stored_run_ids() == {c.run_id for c in grid}
    capsys.readouterr()
    before = (db.stat().st_mtime_ns, db.stat().st_size)
    # a command-line option overrides the file's key: seed 2 is not stored yet
    assert main(["run", "--config", str(path), "--db", str(db), "--dry-run",
                 "--seeds", "1", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"4 runs in the grid, 2 already stored in {db}, 2 to run")
    assert "  stored  base seed 1" in out and "  to run  base seed 2" in out
    assert (db.stat().st_mtime_ns, db.stat().st_size) == before  # the store unchanged


def test_a_bad_file_stops_before_anything_is_written(tmp_path, capsys):
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP.replace("users = 5", "users = 5\nbudget = 30\niterations = 4"))
    db = tmp_path / "runs.duckdb"
    assert main(["run", "--config", str(path), "--db", str(db), "--variant", "multi_hare"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"hare: error: {path}: ") and "divisible" in err
    assert main(["run", "--config", str(tmp_path / "none.toml"), "--db", str(db)]) == 2
    assert "cannot read --config" in capsys.readouterr().err
    assert main(["run", "--config", str(path), "--configs", str(path), "--db", str(db)]) == 2
    assert "give one" in capsys.readouterr().err
    assert not db.exists()
