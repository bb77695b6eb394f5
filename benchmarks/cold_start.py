"""Time to the first question on a fresh machine, per dataset and generator: each cell runs in
a new Python process with an empty model cache (HARE_CACHE_DIR in a temporary folder), so it
pays for the shipped models' checksum and copy, loading the data, fitting and the first
question (the imports, paid once when a server starts, are reported apart).

    python benchmarks/cold_start.py [--datasets adult compas credit] [--generators gs cchvae]
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
from hare.generators import make_generator
from hare.live.profile import Preferences, encode_profile, profile_from_row, refused_people
from hare.live.run import LiveSetup, start_live_run
from hare.live.shipped import install_shipped_models
from hare.models import load_or_train
# a server has its imports done before a visitor arrives: the clock starts here
t0 = time.perf_counter()
imports = t0 - t_imports
installed = install_shipped_models()
ds = load_dataset(sys.argv[1])
trained = load_or_train(ds, "ann", 0)
row = refused_people(ds, trained.model)[0]
profile = profile_from_row(ds, row)
prefs = Preferences.for_people(ds, profile)
gen = make_generator(sys.argv[2]).fit(ds, trained.model, prefs.action_space(ds), 0)
run = start_live_run(LiveSetup(sys.argv[1], "ann", sys.argv[2]), ds, trained.model, gen,
                     encode_profile(ds, profile), prefs, 0, row)
run.question()
print(json.dumps({"seconds": time.perf_counter() - t0, "imports": imports,
                  "installed": len(installed),
                  "trained": not trained.from_cache, "failed": run.failed}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["adult", "compas", "credit"])
    parser.add_argument("--generators", nargs="+",
                        default=["gs", "wachter", "face", "cchvae", "clue", "cruds"])
    args = parser.parse_args()
    print("| dataset | generator | first question (s) | imports (s, at server start) | trained on the click |")
    print("|---|---|---:|---:|---|")
    for dataset in args.datasets:
        for generator in args.generators:
            with tempfile.TemporaryDirectory() as cache:
                env = dict(os.environ, HARE_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
                out = subprocess.run([sys.executable, "-c", CELL, dataset, generator], env=env,
                                     capture_output=True, text=True, cwd=ROOT, check=True)
                cell = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"| {dataset} | {generator} | {cell['seconds']:.2f} | {cell['imports']:.1f} | "
                      f"{'yes' if cell['trained'] else 'no'} |", flush=True)


if __name__ == "__main__":
    main()
