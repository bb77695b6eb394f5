"""Where a sweep's time went, from what it stored: training seconds of every classifier and
generative model in the model cache it used, and, from the store's runs table, each base
generator's and ground truth's seconds counted once per piece of work (runs that share them
report the same figure), the HARE sessions' seconds, and the runs' wall seconds.

    HARE_CACHE_DIR=$(mktemp -d) python benchmarks/peak_memory.py -- \\
        python -m hare sweep table1 --db /tmp/t1.duckdb --quiet
    HARE_CACHE_DIR=<the same folder> python benchmarks/sweep_profile.py --db /tmp/t1.duckdb

Seconds are each process's own (two workers run side by side), so they add up to more than the
sweep's wall time. An active HARE run read from a longer session's first rounds (the runner
shares them) reports the seconds that session had taken by then, more than the run's own wall
time; its session is counted once, in the longer run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hare.cache import cache_dir  # noqa: E402

BASE_KEY = ["dataset", "model", "seed", "users", "generator"]
TRUTH_KEY = ["dataset", "model", "seed", "users", "scale"]


def training_seconds(folder: Path) -> pd.DataFrame:
    """One row per cached model: its folder (models or generative), name and training seconds."""
    rows = []
    for sub in ("models", "generative"):
        for meta in sorted((folder / sub).glob("*.json")):
            data = json.loads(meta.read_text())
            kind = data.get("kind", "")
            # generative kinds name their generator: "cchvae-vae", "clue-vae", "cruds-csvae"
            rows.append({"what": f"{kind} classifier" if sub == "models" else kind,
                         "dataset": data.get("dataset"), "kind": kind,
                         "seconds": float(data.get("train_seconds", 0.0))})
    return pd.DataFrame(rows, columns=["what", "dataset", "kind", "seconds"])


def run_seconds(db: Path) -> dict[str, pd.DataFrame]:
    """From the runs table: base generators (once per base key), ground truths (once per truth
    key), HARE sessions and the runs' wall time, per dataset (and generator)."""
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT * FROM runs").df()
    base = runs.drop_duplicates(BASE_KEY).groupby(["dataset", "generator"])["base_seconds"].sum()
    truth = runs.drop_duplicates(TRUTH_KEY).groupby("dataset")["gt_seconds"].sum()
    own = runs[runs["hare_seconds"] <= runs["wall_seconds"]]  # not read from a longer session
    hare = own.groupby(["dataset", "generator"])["hare_seconds"].sum()
    wall = runs.groupby("dataset")["wall_seconds"].sum()
    return {"base generators (training of generative models included)": base.unstack(),
            "HARE sessions": hare.unstack(), "ground truths": truth.to_frame(),
            "runs' wall seconds": wall.to_frame(), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the sweep's results store")
    args = parser.parse_args()
    trained = training_seconds(cache_dir())
    if len(trained):
        print(f"training, from the model cache {cache_dir()} (seconds):")
        print(trained.groupby(["what", "dataset"])["seconds"].agg(["count", "sum", "max"])
              .round(1).to_string(), "\n")
    tables = run_seconds(args.db)
    runs = tables.pop("runs")
    for title, table in tables.items():
        print(f"{title} (seconds):")
        print(table.round(1).to_string(), "\n")
    sessions = tables["HARE sessions"].sum().sum()
    print(f"{len(runs)} runs; HARE sessions {sessions:.0f} s, base generators "
          f"{tables['base generators (training of generative models included)'].sum().sum():.0f} s,"
          f" ground truths {tables['ground truths'].sum().sum():.0f} s, runs' wall "
          f"{runs['wall_seconds'].sum():.0f} s")


if __name__ == "__main__":
    main()
