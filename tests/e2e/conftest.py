"""End-to-end fixtures: a real Streamlit server on a free port (databases in a temporary
folder) and Debian's headless Chromium driven by Playwright. Marked ``e2e``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end test in a real headless browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_dbs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hare-app")
    return {"db": folder / "hare.duckdb", "answers": folder / "human_answers.duckdb"}


def start_server(dbs: dict[str, Path], port: int | None = None) -> tuple[subprocess.Popen, str]:
    """A Streamlit server on the databases ``dbs`` (and the sessions folder beside them), in
    its own process group, so stopping it also stops any sweep it launched."""
    port = port or _free_port()
    env = dict(os.environ, HARE_DB=str(dbs["db"]), HARE_ANSWERS_DB=str(dbs["answers"]),
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    log_path = dbs["db"].parent / "server.log"
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
             "--server.fileWatcherType", "none", "--server.port", str(port),
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return server, url
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                stop_server(server)
                raise RuntimeError(f"streamlit did not start: {log_path.read_text()}")
            time.sleep(0.3)


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@pytest.fixture(scope="session")
def app_url(app_dbs):
    """A Streamlit server for the whole e2e session."""
    server, url = start_server(app_dbs)
    yield url
    stop_server(server)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1300}, accept_downloads=True)
    page = context.new_page()
    context.set_default_timeout(60_000)  # pages opened later in a test get it too
    yield page
    context.close()

