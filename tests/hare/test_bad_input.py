"""Bad inputs to the command line: each a one-line ``hare: error: …``, exit 2, and
nothing written or lost. (Grid values, --threads and --scheduler are in test_cli.py; the answers
store in live/test_answers.py.) Also: no SQL anywhere is built from strings at run time."""

from __future__ import annotations

import ast
import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from hare.bench.store import ResultStore
from hare.cli import main

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--dataset", "compas", "--model", "ann", "--generator", "gs", "--variant", "base",
         "--users", "4", "--seeds", "0", "--quiet", "--workers", "1"]


def fails(argv: list[str], capsys) -> str:
    """Run the command line: it must exit 2 with one line on stderr, which is returned."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hare: error: ") and len(err.splitlines()) == 1, err
    return err


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with a digest of its bytes: equal snapshots, nothing written."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else "folder" for p in sorted(folder.rglob("*"))}


@pytest.fixture
def store(tmp_path) -> Path:
    """A real results store with one run in it."""
    db = tmp_path / "runs.duckdb"
    assert main(["run", *SMALL, "--db", str(db)]) == 0
    return db


def _missing(tmp_path):
    return tmp_path / "none.duckdb"


def _text_file(tmp_path):
    (tmp_path / "notes.duckdb").write_text("my notes\n")
    return tmp_path / "notes.duckdb"


def _folder(tmp_path):
    (tmp_path / "folder.duckdb").mkdir()
    return tmp_path / "folder.duckdb"


def _foreign(tmp_path):
    with duckdb.connect(str(tmp_path / "other.duckdb")) as con:
        con.execute("CREATE TABLE invoices (id INTEGER, total DOUBLE)")
        con.execute("INSERT INTO invoices VALUES (1, 9.5)")
    return tmp_path / "other.duckdb"


def _foreign_runs(tmp_path):
    with duckdb.connect(str(tmp_path / "other.duckdb")) as con:
        con.execute("CREATE TABLE runs (name VARCHAR, minutes DOUBLE)")
        con.execute("INSERT INTO runs VALUES ('park', 31.5)")
    return tmp_path / "other.duckdb"


STORES = {
    "missing": (_missing, "no results database at {db}; run a sweep first"),
    "text file": (_text_file, "cannot open {db} as a results store: IO Error: "),
    "folder": (_folder, "{db} is a folder, not a results database"),
    "foreign": (_foreign, "{db} is not a HARE results store (it has no 'runs' table)"),
    "foreign runs": (_foreign_runs, "{db} has a 'runs' table that is not a HARE results table "
                                    "(no column run_id)"),
}


# report and cells on a missing file are in tests/hare/bench/test_cells_report.py
@pytest.mark.parametrize("command,case", [(command, case) for command in ("cells", "report", "compact")
                                          for case in STORES
                                          if case != "missing" or command == "compact"])
def test_reading_commands_refuse_what_is_not_a_results_store(tmp_path, capsys, command, case):
    make, message = STORES[case]
    db = make(tmp_path)
    before = snapshot(tmp_path)
    err = fails([command, "--db", str(db)], capsys)
    assert message.format(db=db) in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("case,message", [
    ("text file", "cannot open {db} as a results store: IO Error: "),
    ("folder", "cannot open {db} as a results store: IO Error: "),
    ("foreign", "{db} is not a HARE results store (it holds invoices and no 'runs' table)"),
    ("foreign runs", "{db} has a 'runs' table that is not a HARE results table (no column run_id)"),
])
def test_a_sweep_never_writes_into_what_is_not_a_results_store(tmp_path, capsys, case, message):
    db = STORES[case][0](tmp_path)
    before = snapshot(tmp_path)
    assert message.format(db=db) in fails(["run", *SMALL, "--db", str(db)], capsys)
    assert snapshot(tmp_path) == before  # the runner added no tables to someone else's file


def test_a_db_folder_that_cannot_be_created(tmp_path, capsys):
    (tmp_path / "a-file").write_text("x")
    db = tmp_path / "a-file" / "sub" / "runs.duckdb"
    err = fails(["run", *SMALL, "--db", str(db)], capsys)
    assert err == f"hare: error: cannot create the folder for {db}: a file stands where a " \
                  "folder should be"
    assert snapshot(tmp_path) == {"a-file": hashlib.sha256(b"x").hexdigest()}


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_store_another_process_holds_read_only_is_not_written(store, tmp_path, capsys):
    before = snapshot(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(store), "30"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        err = fails(["run", *SMALL, "--seeds", "1", "--db", str(store)], capsys)
    finally:
        holder.kill()
        holder.wait()
    assert err == f"hare: error: {store} is in use by another process; try again when it is done"
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("line,message", [
    ("[1, 2]", "line 2: expected a JSON object of run fields, e.g. {\"dataset\": \"adult\"} "
               "(got list)"),
    ("null", "line 2: expected a JSON object of run fields"),
    ("{dataset: adult}", "line 2: Expecting property name enclosed in double quotes"),
    ('{"dataset": "adult", "users": "many"}', "line 2: users must be a number (got 'many')"),
    ('{"dataset": "adult", "colour": "red"}', "line 2: unknown run fields: colour (valid: "),
    ('{"dataset": "adult", "seed": 4294967296}',
     "line 2: seed must be from 0 to 2,147,483,647 (got 4294967296)"),
])
def test_a_bad_configs_line_is_named_and_nothing_runs(tmp_path, capsys, line, message):
    configs = tmp_path / "grid.jsonl"
    configs.write_text('{"dataset": "compas", "generator": "gs", "users": 4}\n' + line + "\n")
    db = tmp_path / "runs.duckdb"
    err = fails(["run", "--configs", str(configs), "--db", str(db), "--quiet"], capsys)
    assert err.startswith(f"hare: error: {configs} {message}"), err
    assert not db.exists()


def test_report_out_where_it_cannot_be_written(store, tmp_path, capsys):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "report.md.tmp").mkdir()  # the report's scratch file cannot be made
    (tmp_path / "reports").mkdir()
    before = snapshot(tmp_path)
    cases = {
        tmp_path / "a-file" / "report.md":
            "cannot create the folder for --out {out}: a file stands where a folder should be",
        tmp_path / "a-file" / "deeper" / "report.md":
            "cannot create the folder for --out {out}: a file stands where a folder should be",
        tmp_path / "reports": "--out {out} is a folder; name a file, e.g. {out}/report.md",
        tmp_path / "report.md": "cannot write --out {out}: Is a directory",
    }
    for out, message in cases.items():
        err = fails(["report", "--db", str(store), "--out", str(out)], capsys)
        assert err.startswith("hare: error: " + message.format(out=out)), err
    assert snapshot(tmp_path) == before
    assert main(["report", "--db", str(store), "--out", str(tmp_path / "new" / "r.md")]) == 0
    assert "## " in (tmp_path / "new" / "r.md").read_text()  # the same command, a good path


def test_compact_out_where_it_cannot_be_written_leaves_the_source(store, tmp_path, capsys):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "slim.duckdb.tmp").mkdir()  # the scratch copy cannot be made
    runs = ResultStore(store).runs()
    before = snapshot(tmp_path)
    for out, message in {
        tmp_path / "a-file" / "slim.duckdb":
            "cannot create the folder for {out}: a file stands where a folder should be",
        tmp_path / "slim.duckdb": "cannot write {out}: IO Error: ",
        tmp_path: "--out {out} is a folder; name a file, e.g. {out}/runs.duckdb",
    }.items():
        err = fails(["compact", "--db", str(store), "--out", str(out)], capsys)
        assert err.startswith("hare: error: " + message.format(out=out)), err
    assert snapshot(tmp_path) == before
    assert len(ResultStore(store).runs()) == len(runs) == 1


SQL_CALLS = {"execute", "executemany", "sql", "query"}


def _built_at_run_time(node: ast.expr) -> bool:
    """An f-string, a concatenation, %-formatting or .format(): SQL made from values."""
    return (isinstance(node, (ast.JoinedStr, ast.BinOp))
            or (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"))


def test_no_sql_is_built_from_strings_anywhere():
    sources = [p for folder in ("hare", "hare_app", "pages", "scripts", "benchmarks")
               for p in (ROOT / folder).rglob("*.py")] + [ROOT / "streamlit_app.py"]
    built = []
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in SQL_CALLS and node.args
                    and _built_at_run_time(node.args[0])):
                built.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert len(sources) > 20 and built == []


@pytest.mark.parametrize("argv", [
    ["sweep", "table1", "--protocol", "nope"],
    ["run", *SMALL, "--protocol", "authours"],
])
def test_an_unknown_protocol_is_one_line(tmp_path, capsys, argv):
    db = tmp_path / "runs.duckdb"
    with pytest.raises(SystemExit) as exited:  # argparse's choices, through _Parser.error
        main(argv + ["--db", str(db)])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hare: error: ") and len(err.splitlines()) == 1, err
    assert "--protocol" in err and "authors" in err  # names the option and the valid values
    assert not db.exists()


def test_an_unknown_protocol_in_a_configs_file(tmp_path, capsys):
    configs = tmp_path / "grid.jsonl"
    configs.write_text('{"dataset": "compas", "protocol": "theirs"}\n')
    err = fails(["run", "--configs", str(configs), "--db", str(tmp_path / "r.duckdb")], capsys)
    assert "unknown protocol 'theirs'" in err


@pytest.mark.parametrize("status,message", [
    ("missing/status.jsonl", "the folder"),
    (".", "is a folder; name a file in it"),
])
def test_a_bad_status_file_is_refused_before_the_store_is_created(tmp_path, capsys, status,
                                                                    message):
    db = tmp_path / "runs.duckdb"
    err = fails(["run", *SMALL, "--db", str(db), "--status", str(tmp_path / status)], capsys)
    assert message in err and not db.exists()


def test_a_binary_configs_file_is_one_line(tmp_path, capsys):
    binary = tmp_path / "grid.jsonl"
    binary.write_bytes(bytes(range(256)))
    db = tmp_path / "runs.duckdb"
    assert "is not a text file of JSON lines" in fails(
        ["run", "--configs", str(binary), "--db", str(db)], capsys)
    assert not db.exists()


@pytest.mark.parametrize("value,message", [("abc", "'abc' is not a whole number"),
                                           ("0", "users must be from 1 to 10,000")])
def test_a_cells_filter_that_cannot_match_is_refused(capsys, value, message):
    shipped = str(ROOT / "results" / "hare.duckdb")
    assert message in fails(["cells", "--db", shipped, "--users", value], capsys)


def test_cells_says_when_nothing_matches(capsys):
    shipped = str(ROOT / "results" / "hare.duckdb")
    assert main(["cells", "--db", shipped, "--users", "7"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no stored cell matches" in captured.err


def test_a_usage_error_names_a_command_that_exists(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["nonsense"])
    assert exited.value.code == 2
    assert "(see python -m hare --help)" in capsys.readouterr().err
