"""Time to the first question on a fresh machine, per dataset and generator: each cell runs in
a new Python process with an empty model cache (HARE_CACHE_DIR in a temporary folder). What a
server does once at start, before a visitor can click (imports, ``prepare_server``: the shipped
models' checksum and copy; the dataset and its classifier loaded,
as the page does on the first visit), is reported apart as "server start"; the clock then
covers a click: the person's space, fitting the generator (loading its shipped autoencoder),
the base search with the live path's settings and the first question.

The first refused person is timed on the fresh process; ``--people N`` also times the next
N − 1 refused people in the same process (later visitors) and reports the slowest.

    python benchmarks/cold_start.py [--datasets adult compas credit] [--generators gs cchvae]
                                    [--people 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CELL = """
import json, sys, time
t_imports = time.perf_counter()
import torch
torch.set_num_threads(1)
from hare.data import load_dataset
from hare.live.profile import Preferences, encode_profile, profile_from_row, refused_people
from hare.live.run import make_live_generator, start_live_run
from hare.live.setup import SessionConfig
from hare.live.startup import prepare_server
from hare.models import load_or_train
installed = prepare_server().installed
ds = load_dataset(sys.argv[1])
trained = load_or_train(ds, "ann", 0)
rows = refused_people(ds, trained.model)[:int(sys.argv[3])]  # listed before the click


def first_question(row):
    profile = profile_from_row(ds, row)
    prefs = Preferences.for_people(ds, profile)
    gen = make_live_generator(sys.argv[2]).fit(ds, trained.model, prefs.action_space(ds), 0)
    run = start_live_run(SessionConfig(sys.argv[1], "ann", sys.argv[2]), ds, trained.model,
                         gen, encode_profile(ds, profile), prefs, row)
    run.question()
    return run


# a server has done the above before a visitor clicks: the clock starts here
t0 = time.perf_counter()
start = t0 - t_imports
run = first_question(rows[0])
seconds = time.perf_counter() - t0
later, failed = [], [run.failed]
for row in rows[1:]:  # the next visitors, each another person
    t = time.perf_counter()
    failed.append(first_question(row).failed)
    later.append(time.perf_counter() - t)
print(json.dumps({"seconds": seconds, "start": start, "installed": len(installed),
                  "later_max": max(later, default=0.0), "no_recourse": sum(failed),
                  "people": len(rows), "trained": not trained.from_cache}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["adult", "compas", "credit"])
    parser.add_argument("--generators", nargs="+",
                        default=["gs", "wachter", "face", "cchvae", "clue", "cruds"])
    parser.add_argument("--people", type=int, default=10,
                        help="refused people timed per cell (the first on the fresh process)")
    args = parser.parse_args()
    from calibration import line  # this folder: the same run's measure of the machine
    print(line(), flush=True)
    print(f"| dataset | generator | first question, fresh process (s) | slowest of the next "
          f"{args.people - 1} people (s) | server start (s, once) | no recourse | trained on the click |")
    print("|---|---|---:|---:|---:|---:|---|")
    for dataset in args.datasets:
        for generator in args.generators:
            with tempfile.TemporaryDirectory() as cache:
                env = dict(os.environ, HARE_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
                out = subprocess.run([sys.executable, "-c", CELL, dataset, generator,
                                      str(args.people)], env=env,
                                     capture_output=True, text=True, cwd=ROOT, check=True)
                cell = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"| {dataset} | {generator} | {cell['seconds']:.2f} | {cell['later_max']:.2f} | "
                      f"{cell['start']:.1f} | {cell['no_recourse']} of {cell['people']} | "
                      f"{'yes' if cell['trained'] else 'no'} |", flush=True)


if __name__ == "__main__":
    main()
