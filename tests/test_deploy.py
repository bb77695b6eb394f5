"""The install and deploy files say what the README promises: the CPU build of torch, test-only
packages kept out of what a host installs, Streamlit settings that Community Cloud does not
override, and a container that runs the app as a non-root user with a health check. (Whether
an image builds is checked where a container daemon runs, not here.)"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def requirement_lines(name: str) -> list[str]:
    return [line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines()
            if line.split("#")[0].strip()]


def test_the_host_install_pins_the_cpu_build_of_torch_and_no_test_package():
    lines = requirement_lines("requirements.txt")
    torch = [line for line in lines if line.startswith("torch")]
    assert torch == ['torch==2.13.0+cpu; sys_platform == "linux"',
                     'torch==2.13.0; sys_platform != "linux"']
    names = {re.split(r"[=<>;\[ ]", line)[0].lower() for line in lines}
    assert not names & {"pytest", "playwright", "dask", "distributed", "dask-jobqueue"}
    assert {"streamlit", "duckdb", "altair"} <= names


def test_the_dev_install_adds_the_test_packages_to_the_host_install():
    lines = requirement_lines("requirements-dev.txt")
    assert lines[0] == "-r requirements.txt"
    assert {"pytest", "playwright"} <= {line.split("==")[0] for line in lines}
    assert "requirements-dev.txt" in (ROOT / ".ci" / "run").read_text()


def test_streamlit_settings_agree_with_what_community_cloud_forces():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["runOnSave"] is True
    # Cloud's forced `false` is read as "stacktrace"; a message never reaches the browser
    assert config["client"]["showErrorDetails"] in (False, "stacktrace", "type", "none")


def test_the_container_runs_the_app_unprivileged_on_8501_with_a_health_check():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.strip().startswith("#")]
    instructions = [line.split()[0] for line in lines if line.split()[0].isupper()]
    assert instructions[0] == "FROM" and "CMD" in instructions
    user = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert user and user[-1] not in ("root", "0")
    assert "EXPOSE 8501" in lines
    health = next(i for i, line in enumerate(lines) if line.startswith("HEALTHCHECK"))
    assert "/_stcore/health" in lines[health + 1]
    cmd = next(line for line in lines if line.startswith("CMD ["))
    assert "streamlit_app.py" in cmd and "--server.port=8501" in cmd
    assert any("requirements.txt" in line for line in lines)
    assert any("HARE_HOSTED=1" in line for line in lines)


def test_the_image_leaves_out_what_a_checkout_accumulates():
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    assert {".git", "tests", "results/runs.duckdb", "results/sessions"} <= set(ignored)
    assert "results/hare.duckdb" not in ignored and "results" not in ignored
