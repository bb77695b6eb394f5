"""The README stays true and short: its Python API example runs as written, it fits its line
cap, and its set-up and test commands are the ones CI runs."""

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_LINES = 450
INSTALL = "python -m pip install -r requirements-dev.txt"
RUN_APP = "streamlit run streamlit_app.py"
TEST = "python -m pytest -q"


def bash_blocks(section: str) -> list[list[str]]:
    """The commands of each bash block in a README section (comments dropped)."""
    text = README.read_text().split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return [[line.split("  #")[0].strip() for line in block.splitlines()
             if line.strip() and not line.startswith("#")]
            for block in re.findall(r"```bash\n(.*?)```", text, re.S)]


def test_readme_session_example_runs():
    text = README.read_text()
    section = text.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(code, str(README), "exec"), namespace)
    result = namespace["result"]
    assert result.queries.tolist() == [30]
    assert "education-num" in out.getvalue() and "workclass" in out.getvalue()


def test_readme_fits_its_line_cap():
    lines = README.read_text().count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines; at most {MAX_LINES}"


def test_the_two_set_up_commands_then_the_test_command():
    setup, test, *_ = bash_blocks("Set up and run")
    assert setup == [INSTALL, RUN_APP]
    assert test == [TEST]


def test_ci_installs_and_tests_as_the_readme_says():
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert any(line.startswith("python -m pip install") and "-r requirements-dev.txt" in line
               for line in ci)
    assert ci[-1] == TEST
