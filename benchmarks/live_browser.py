"""The live page in headless Chromium: answer → next pair wall-clock (p50/p95) over full
sessions on each dataset, and the server's memory (RSS) with three visitors in sessions at once;
or, with ``--together N``, N visitors answering at the same time (each its own browser, in its
own thread), the datasets in turn.

    python benchmarks/live_browser.py [--sessions 2] [--think 1.0]
    python benchmarks/live_browser.py --together 6

Each answer is timed from the click until the page shows the next question (its number moves
on) or the card, grouped by what was answered and what came next.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
TITLES = {"adult": "Income (US census)", "compas": "Risk score (COMPAS, Broward County)",
          "credit": "Credit (Give Me Some Credit)"}


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def start_server(work: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, HARE_DB=str(work / "h.duckdb"), HARE_ANSWERS_DB=str(work / "a.duckdb"))
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                               "--server.headless", "true", "--server.fileWatcherType", "none",
                               "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return server, url
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not start")


def open_session(browser, url: str, dataset: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("button", name="Find my recourse").wait_for(timeout=120_000)
    page.wait_for_selector(IDLE, state="attached")
    if dataset != "adult":
        page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
        page.get_by_role("option", name=TITLES[dataset]).click()
        page.wait_for_timeout(500)
        page.wait_for_selector(IDLE, state="attached")
    page.get_by_role("button", name="Find my recourse").click()
    page.wait_for_selector("text=/Question 1 of at most|No change within/", timeout=120_000)
    page.wait_for_selector(IDLE, state="attached")
    return page


def answer_all(page, think: float) -> list[tuple[str, float]]:
    """Answer every question of a session (prefer B, never satisfied) after reading each for
    ``think`` seconds; ("answered kind → next kind", seconds from the click to the next
    question or card) per answer."""
    out = []
    while page.locator("[data-testid='stProgress']").count():
        page.wait_for_timeout(think * 1000)
        before = page.locator("[data-testid='stProgress']").inner_text()
        kind, button = next((k, b) for k, b in (
            (k, page.get_by_role("button", name=n, exact=True))
            for k, n in (("compare", "I prefer B"), ("accept", "No, keep looking"))) if b.count())
        started = time.perf_counter()
        button.click()
        page.wait_for_function(
            "(before) => { const p = document.querySelector(\"[data-testid='stProgress']\");"
            " return !p || p.innerText !== before; }", arg=before, timeout=60_000)
        seconds = time.perf_counter() - started
        page.wait_for_selector(IDLE, state="attached")
        after = ("card" if not page.locator("[data-testid='stProgress']").count() else
                 "compare" if page.get_by_role("button", name="I prefer B").count() else "accept")
        out.append((f"{kind} → {after}", seconds))
    return out


def _browser(p):
    return p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])


def together(url: str, visitors: int, think: float) -> list[tuple[str, float]]:
    """``visitors`` people at once, each in their own browser and thread, each one session."""
    from playwright.sync_api import sync_playwright

    latencies: list[tuple[str, float]] = []
    errors: list[BaseException] = []
    ready = threading.Barrier(visitors)

    def visitor(dataset: str) -> None:
        try:
            with sync_playwright() as p:
                browser = _browser(p)
                page = open_session(browser, url, dataset)
                ready.wait(timeout=600)  # everyone in a session: then all answer at once
                latencies.extend(answer_all(page, think))
                browser.close()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            ready.abort()

    names = list(TITLES)
    threads = [threading.Thread(target=visitor, args=(names[i % len(names)],))
               for i in range(visitors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return latencies


def report(latencies: list[tuple[str, float]]) -> None:
    for kind in sorted({k for k, _ in latencies}) + [None]:
        ms = np.asarray([t for k, t in latencies if kind in (None, k)]) * 1000
        what = kind or "all answers"
        print(f"answer -> next question in Chromium, {what}: n={len(ms)}  p50 "
              f"{np.percentile(ms, 50):.0f} ms  p95 {np.percentile(ms, 95):.0f} ms  "
              f"max {ms.max():.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2, help="sessions per dataset")
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a person reads each question before answering (0: at once)")
    parser.add_argument("--together", type=int, default=0,
                        help="N visitors answering at the same time, one session each")
    args = parser.parse_args()
    from calibration import line  # this folder: the same run's measure of the machine
    print(line(), flush=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server, url = start_server(Path(tmp))
        try:
            if args.together:
                latencies = together(url, args.together, args.think)
                print(f"{args.together} visitors at once; server RSS after: {rss_mb(server.pid):.0f} MB")
                report(latencies)
                return
            with sync_playwright() as p:
                browser = _browser(p)
                print(f"server RSS after start: {rss_mb(server.pid):.0f} MB")
                pages = [open_session(browser, url, d) for d in TITLES]  # three visitors at once
                print(f"server RSS with three visitors in sessions: {rss_mb(server.pid):.0f} MB")
                latencies = []
                for page in pages:
                    latencies += answer_all(page, args.think)
                for _ in range(args.sessions - 1):
                    for dataset in TITLES:
                        latencies += answer_all(open_session(browser, url, dataset), args.think)
                print(f"server RSS after all sessions: {rss_mb(server.pid):.0f} MB")
                report(latencies)
                browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(15)


if __name__ == "__main__":
    main()
