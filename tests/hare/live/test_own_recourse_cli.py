"""``hare data init/check``, ``hare recourse`` and ``hare run`` on a person's own data and model:
cards valid under the real model (recomputed outside HARE), immutables and directions kept,
only the data's categories, no option shown twice; bad input exits 2 with one line and writes
nothing."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from hare.cli import main
from tests.own_data_files import pipeline, write_files, write_skops


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own-cli")
    made = write_files(folder)
    return folder, made, write_skops(folder, made.frame)


def _lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_init_writes_a_draft_that_check_accepts(files, capsys, tmp_path):
    _, made, _ = files
    out = tmp_path / "draft.toml"
    assert main(["data", "init", str(made.csv), "--outcome", "decision", "--positive", "yes",
                 "--out", str(out)]) == 0
    assert 'kind = "categorical"' in out.read_text()
    assert main(["data", "check", str(made.csv), "--spec", str(out)]) == 0
    assert main(["data", "check", str(made.csv), "--spec", str(made.spec)]) == 0
    text = capsys.readouterr().out
    assert "plan: categorical, 3 values (0, 1, 2), changeable" in text
    assert "age: integer, 20 to 63, fixed" in text and "hours: continuous" in text


def test_recourse_cards_are_valid_under_the_real_pipeline(files, capsys):
    _, made, skops = files
    assert main(["recourse", "--data", str(made.csv), "--spec", str(made.spec),
                 "--model", str(skops), "--generator", "gs", "--rows", "0-5",
                 "--answers", "simulated", "--json"]) == 0
    cards = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(cards) == 6 and all(c["model"].startswith("skops-") for c in cards)
    fitted = pipeline(made.frame)
    yes = list(fitted.classes_).index("yes")
    approved = [c for c in cards if c["approved"]]
    assert approved
    dtypes = made.frame.dtypes
    for card in approved:
        row = pd.DataFrame([card["recourse"]])[list(made.frame.columns[:-1])]
        row = row.astype({c: dtypes[c] for c in row.columns})
        assert fitted.predict_proba(row)[0, yes] >= card["target_probability"]
        before, after = card["profile"], card["recourse"]
        assert after["age"] == before["age"] and after["region"] == before["region"]
        assert after["hours"] >= before["hours"] and after["debt"] <= before["debt"]
        assert str(after["plan"]) in {"0", "1", "2"}
    for card in cards:
        for question in card["transcript"]:
            if question["kind"] == "compare":
                assert question["options"][0] != question["options"][1]


@pytest.mark.parametrize("case,message", [
    ("pickle", "is a pickle, which HARE never loads"),
    ("missing column", "the spec declares column 'income'"),
    ("not a csv", "is not a CSV file"),
])
def test_bad_input_exits_2_with_one_line(files, capsys, tmp_path, case, message):
    _, made, skops = files
    csv, spec, model = made.csv, made.spec, skops
    if case == "pickle":
        model = tmp_path / "model.pkl"
        model.write_bytes(b"\x80\x04K\x01.")
    elif case == "missing column":
        spec = tmp_path / "spec.toml"
        spec.write_text(made.spec.read_text() + '[features.income]\nkind = "continuous"\n')
    else:
        csv = tmp_path / "data.csv"
        csv.write_bytes(b"\x00\x01\x02" * 100)
    capsys.readouterr()
    assert main(["recourse", "--data", str(csv), "--spec", str(spec), "--model", str(model),
                 "--row", "0", "--answers", "simulated", "--json"]) == 2
    lines = _lines(capsys)
    assert len(lines) == 1 and message in lines[0]
    out = tmp_path / "never.toml"
    if case == "not a csv":
        assert main(["data", "init", str(csv), "--outcome", "decision", "--positive", "yes",
                     "--out", str(out)]) == 2
        assert not out.exists() and len(_lines(capsys)) == 1


@pytest.mark.parametrize("command", ["recourse", "run"])
@pytest.mark.parametrize("extra,message", [
    (["--dataset", "adult"], "--data replaces --dataset; give one of them"),
    (["--no-spec"], "--data and --spec go together"),
])
def test_own_data_options_that_do_not_go_together_are_refused(files, capsys, tmp_path, command,
                                                             extra, message):
    """Both faces' commands: a --dataset beside --data is refused, not silently dropped, and
    --data needs its spec; one line, exit 2, nothing written."""
    _, made, _ = files
    spec = [] if extra == ["--no-spec"] else ["--spec", str(made.spec)]
    given = [] if extra == ["--no-spec"] else extra
    db = tmp_path / "never.duckdb"
    tail = (["--row", "0", "--answers", "simulated"] if command == "recourse"
            else ["--db", str(db), "--quiet"])
    capsys.readouterr()
    assert main([command, "--data", str(made.csv), *spec, *given, *tail]) == 2
    lines = _lines(capsys)
    assert len(lines) == 1 and message in lines[0]
    assert not db.exists()


def test_run_stores_the_files_hash_and_hare_beats_the_base(files, tmp_path, capsys):
    _, made, _ = files
    db = tmp_path / "own.duckdb"
    assert main(["run", "--data", str(made.csv), "--spec", str(made.spec), "--model", "ann",
                 "--generator", "gs", "--seeds", "0", "--users", "12", "--budget", "10",
                 "--iterations", "2", "--db", str(db), "--quiet"]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT variant, gtp, data_sha256, model_sha256, dataset FROM runs "
                           "ORDER BY variant").fetchall()
    gtp = {variant: value for variant, value, *_ in rows}
    assert set(gtp) == {"base", "hare", "multi_hare"}
    assert gtp["hare"] < gtp["base"] and gtp["multi_hare"] < gtp["base"]
    import hashlib
    digest = hashlib.sha256(made.csv.read_bytes()).hexdigest()
    assert all(r[2] == digest and r[3] is None and r[4].startswith("own-") for r in rows)
