"""The README's own-data Python example runs as written, on files the test makes."""

import contextlib
import io
import re
from pathlib import Path

from tests.own_data_files import SPEC, make_table, write_skops

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_own_data_example_runs(tmp_path, monkeypatch):
    frame = make_table(200)
    frame.to_csv(tmp_path / "loans.csv", index=False)
    (tmp_path / "loans.toml").write_text(SPEC)
    write_skops(tmp_path, frame, "loans.skops")
    monkeypatch.chdir(tmp_path)
    section = README.read_text().split("## Your own data and model", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(code, str(README), "exec"), namespace)
    card = namespace["card"]
    assert card["dataset"].startswith("own-") and card["model"].startswith("skops-")
    assert card["probability_before"] < 0.5
    assert out.getvalue().strip()
