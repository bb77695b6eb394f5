"""How fast the app feels: server time from an answer to the next pair on screen (live page,
Adult / ANN), and the load time of the results page over a full results database.

    python benchmarks/app_latency.py                 # server-side numbers (AppTest)
    python benchmarks/app_latency.py --browser       # also the results page in headless Chromium
    python benchmarks/app_latency.py --db results/hare.duckdb   # a real results DB

The live page in the browser, with several visitors at once, is benchmarks/live_browser.py.

The answer latency is measured inside the page (from the answer callback to the end of the
script run that draws the next question), so it is the server's time per answer. Without --db,
a synthetic full database is built: every cell of the paper's Tables 1–6, 5 seeds, 150 users.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hare.bench.config import RunConfig  # noqa: E402
from hare.bench.paper import paper_results  # noqa: E402
from hare.bench.store import ResultStore  # noqa: E402

APP = str(ROOT / "streamlit_app.py")
ANSWERS = ("I prefer B", "No, keep looking")
LIVE = "live:"  # the live page's widget and state keys (pages/live_recourse.py's key())


def percentiles(values: list[float]) -> str:
    ms = np.asarray(values) * 1000
    return (f"n={len(ms)}  p50 {np.percentile(ms, 50):.0f} ms  p95 {np.percentile(ms, 95):.0f} ms  "
            f"max {ms.max():.0f} ms")


def answer_latency(sessions: int, budget: int, iterations: int, think: float) -> list[float]:
    """Answer every question of ``sessions`` live sessions on Adult / ANN / GS (AppTest),
    waiting ``think`` seconds before each answer, as a person reading the question would (the
    page samples the next round while "good enough?" is read)."""
    from streamlit.testing.v1 import AppTest

    latencies: list[float] = []
    for seed in range(sessions):
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state[LIVE + "seed"] = seed
        at.run()
        at.text_input(key=LIVE + "budget").set_value(str(budget))
        at.text_input(key=LIVE + "rounds").set_value(str(iterations))
        at.run()
        next(b for b in at.button if b.label == "Find my recourse").click().run()
        while (name := next((n for n in ANSWERS if n in [b.label for b in at.button]), None)):
            time.sleep(think)
            next(b for b in at.button if b.label == name).click().run()
        if at.exception:
            raise RuntimeError(at.exception)
        latencies += at.session_state[LIVE + "latencies"]
    return latencies


def synthetic_full_db(path: Path, seeds: int = 5, users: int = 150) -> int:
    """Every cell the paper reports (Tables 1–6), ``seeds`` runs each with ``users`` users,
    metrics drawn around the paper's means. Returns the number of runs."""
    paper = paper_results()
    keys = ["model", "dataset", "generator", "variant", "budget", "iterations", "bps", "scale"]
    cells = paper[paper["metric"] == "gtp"][keys + ["mean", "std"]].drop_duplicates(keys)
    rng = np.random.default_rng(0)
    runs, user_rows = [], []
    for cell in cells.itertuples(index=False):
        for seed in range(seeds):
            cfg = RunConfig(dataset=cell.dataset, model=cell.model, generator=cell.generator,
                            variant=cell.variant,
                            budget=None if pd.isna(cell.budget) else int(cell.budget),
                            iterations=None if pd.isna(cell.iterations) else int(cell.iterations),
                            bps=None if pd.isna(cell.bps) else cell.bps, scale=cell.scale,
                            users=users, seed=seed).normalised()
            gtp = np.abs(rng.normal(cell.mean, cell.std if cell.std == cell.std else 0.1, users))
            gtd = np.abs(rng.normal(cell.mean / 2, 0.05, users))
            run_id = cfg.run_id
            user_rows.append(pd.DataFrame({
                "run_id": run_id, "user_index": np.arange(users), "test_row": np.arange(users),
                "valid": True, "gtp": gtp, "gtd": gtd, "queries": cfg.budget or 0}))
            runs.append({"run_id": run_id, **{k: getattr(cfg, k) for k in
                        ("dataset", "model", "generator", "variant", "budget", "iterations", "bps",
                         "scale", "noise", "noise_param", "tolerance", "user_model", "users", "seed")},
                         "n_users": users, "success_rate": 1.0, "gtp": gtp.mean(), "gtd": gtd.mean(),
                         "created_at": pd.Timestamp.now()})
    store = ResultStore(path)
    store.init()
    import duckdb
    runs_frame, users_frame = pd.DataFrame(runs), pd.concat(user_rows)  # noqa: F841 (used in SQL)
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO runs BY NAME SELECT * FROM runs_frame")
        con.execute("INSERT INTO user_results BY NAME SELECT * FROM users_frame")
    return len(runs)


def results_load(db: Path, repeats: int) -> tuple[float, list[float]]:
    """Server time of the results page (AppTest): the first (cold caches) and later runs."""
    from streamlit.testing.v1 import AppTest

    os.environ["HARE_DB"] = str(db)
    import streamlit as st
    st.cache_data.clear()
    times = []
    for _ in range(repeats + 1):
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        started = time.perf_counter()
        at.switch_page("pages/results.py").run()
        times.append(time.perf_counter() - started)
        if at.exception:
            raise RuntimeError(at.exception)
    return times[0], times[1:]


def browser_loads(db: Path, answers_db: Path, repeats: int) -> list[float]:
    """Wall-clock in headless Chromium of the results page: goto until its charts are drawn."""
    import socket
    import urllib.request

    from playwright.sync_api import sync_playwright

    idle = "[data-testid='stApp'][data-test-script-state='notRunning']"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, HARE_DB=str(db), HARE_ANSWERS_DB=str(answers_db))
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", APP, "--server.headless",
                               "true", "--server.fileWatcherType", "none", "--server.port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        loads = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu",
                                              "--disable-background-networking", "--no-first-run"])
            for _ in range(repeats + 1):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                started = time.perf_counter()
                page.goto(f"{url}/results")
                page.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, "
                                       "[data-testid='stVegaLiteChart'] svg", timeout=120_000)
                page.wait_for_selector(idle, state="attached")
                loads.append(time.perf_counter() - started)
                page.close()
            browser.close()
        return loads
    finally:
        server.terminate()
        server.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5, help="live sessions to answer (AppTest)")
    parser.add_argument("--budget", type=int, default=30)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--db", type=Path, help="a results DB (default: build a synthetic full one)")
    parser.add_argument("--repeats", type=int, default=5, help="warm results-page loads")
    parser.add_argument("--browser", action="store_true",
                        help="also time the results page in headless Chromium")
    parser.add_argument("--think", type=float, default=0.5,
                        help="seconds a simulated person takes to read each question (0: none)")
    args = parser.parse_args()
    from calibration import line  # this folder: the same run's measure of the machine
    print(line(), flush=True)

    import torch
    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp(prefix="hare-latency-"))
    os.environ["HARE_DB"] = str(work / "empty.duckdb")
    os.environ["HARE_ANSWERS_DB"] = str(work / "answers.duckdb")

    latencies = answer_latency(args.sessions, args.budget, args.iterations, args.think)
    print(f"answer -> next pair (server, Adult/ANN/GS, B={args.budget} T={args.iterations}, "
          f"{args.think:g} s to read each question): "
          f"{percentiles(latencies)}")

    db = args.db
    if db is None:
        db = work / "full.duckdb"
        started = time.perf_counter()
        n = synthetic_full_db(db)
        print(f"synthetic full results DB: {n} runs x 150 users "
              f"({time.perf_counter() - started:.1f} s to build)")
    cold, warm = results_load(db, args.repeats)
    print(f"results page (server, {db.name}): cold {cold * 1000:.0f} ms, warm {percentiles(warm)}")
    if args.browser:
        loads = browser_loads(db, work / "answers.duckdb", args.repeats)
        print(f"results page in Chromium (goto -> charts drawn): first {loads[0] * 1000:.0f} ms, "
              f"then {percentiles(loads[1:])}")


if __name__ == "__main__":
    main()
