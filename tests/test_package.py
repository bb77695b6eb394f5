"""The engine is a package of its own: importable without Streamlit, a `hare` command, and no
private Streamlit API anywhere in the app."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_command_line_imports_no_streamlit():
    code = "import hare.cli, hare.bench.runner, hare.live.run, sys; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_pyproject_declares_the_hare_command_and_the_engine_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["hare"] == "hare.cli:main"
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["hare*"]


def test_no_private_streamlit_api():
    sources = [*ROOT.glob("hare/**/*.py"), *ROOT.glob("hare_app/*.py"), *ROOT.glob("pages/*.py"),
               ROOT / "streamlit_app.py"]
    offenders = [str(p.relative_to(ROOT)) for p in sources
                 if "streamlit.runtime" in p.read_text() or "PagesManager" in p.read_text()]
    assert not offenders
    engine = [str(p.relative_to(ROOT)) for p in ROOT.glob("hare/**/*.py")
              if "import streamlit" in p.read_text()]
    assert not engine


def test_sweeps_without_a_db_write_only_where_git_does_not_look(monkeypatch):
    """The acceptance: a sweep from the CLI or the app without --db leaves `git status` clean."""
    import shutil

    import pytest

    from hare.cli import DEFAULT_DB
    from hare_app.paths import results_db_path

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    monkeypatch.delenv("HARE_DB", raising=False)
    app_db = results_db_path().relative_to(ROOT)
    written = [DEFAULT_DB, f"{DEFAULT_DB}.wal", f"{DEFAULT_DB}.pending/x.json", str(app_db)]
    for path in written:
        check = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert check.returncode == 0, f"{path} would show in git status"
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", "results/hare.duckdb"], cwd=ROOT,
                             capture_output=True)
    assert tracked.returncode == 0 and DEFAULT_DB != "results/hare.duckdb"
