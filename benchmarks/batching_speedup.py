"""Batched engine vs one user at a time, through the same code, in one run.

For each cell: base recourses, ground truth and the HARE session for all users at once (a),
then the same calls with one user per call (b). Prints both times, the ratio, and the largest
difference between the two results (per-user random streams make them the same recourses),
then the same split by phase.

    python benchmarks/batching_speedup.py [--users 150]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

import argparse
import time

import torch

from hare.actions import ActionSpace  # noqa: E402
from hare.data import load_dataset  # noqa: E402
from hare.generators import make_generator  # noqa: E402
from hare.models import load_or_train, negative_factuals  # noqa: E402
from hare.rng import user_keys  # noqa: E402
from hare.session import HareSession, HareSettings, run_to_end  # noqa: E402
from hare.users import SimulatedUser, simulate_ground_truth  # noqa: E402

CELLS = [("adult", "ann", "gs", 5), ("compas", "ann", "wachter", 1),
         ("credit", "ann", "gs", 5), ("adult", "lr", "wachter", 5)]


PHASES = ("base generator", "ground truth", "HARE session")


def pipeline(model, dataset, space, x, keys, generator_name, iterations, seconds=None,
             entering=None):
    """One benchmark cell's computation for the users in x: base → truth → HARE. With
    ``seconds`` (a dict), each phase's time is added to it under its name in PHASES; with
    ``entering`` (a function), it is called with each phase's name as that phase starts."""
    seconds = {} if seconds is None else seconds
    entering = entering or (lambda phase: None)
    started = time.perf_counter()

    def lap(phase):
        nonlocal started
        now = time.perf_counter()
        seconds[phase] = seconds.get(phase, 0.0) + now - started
        started = now

    entering(PHASES[0])
    generator = make_generator(generator_name).fit(dataset, model, space, 0)
    r0 = generator.generate(x, keys)
    lap(PHASES[0])
    entering(PHASES[1])
    truth = simulate_ground_truth(model, x, space, "far", keys)
    lap(PHASES[1])
    entering(PHASES[2])
    session = HareSession(model, x, r0, space, HareSettings(30, iterations), keys)
    recourse = run_to_end(session, SimulatedUser(truth.recourse, keys)).recourse
    lap(PHASES[2])
    return recourse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=150)
    args = parser.parse_args()
    from calibration import line  # this folder: the same run's measure of the machine
    print(line(), flush=True)
    torch.set_num_threads(1)
    print("| cell | users | batched (s) | one at a time (s) | ratio | max diff |")
    print("|---|---|---|---|---|---|")
    total_batched = total_single = 0.0
    by_phase = []
    for dataset_name, kind, generator_name, iterations in CELLS:
        dataset = load_dataset(dataset_name)
        model = load_or_train(dataset, kind, 0).model
        x = dataset.x_test[negative_factuals(model, dataset, args.users)]
        keys = user_keys(0, torch.arange(len(x)))
        space = ActionSpace.for_dataset(dataset)
        phase_batched, phase_single = {}, {}
        started = time.perf_counter()
        batched = pipeline(model, dataset, space, x, keys, generator_name, iterations,
                           phase_batched)
        t_batched = time.perf_counter() - started
        started = time.perf_counter()
        single = torch.cat([pipeline(model, dataset, space, x[i:i + 1], keys[i:i + 1],
                                     generator_name, iterations, phase_single)
                            for i in range(len(x))])
        t_single = time.perf_counter() - started
        diff = float((torch.nan_to_num(batched) - torch.nan_to_num(single)).abs().max())
        total_batched += t_batched
        total_single += t_single
        label = f"{dataset_name} {kind} {generator_name} T={iterations}"
        print(f"| {label} | {len(x)} | {t_batched:.2f} | {t_single:.2f} | "
              f"{t_single / t_batched:.1f}× | {diff:.1e} |", flush=True)
        by_phase.append((label, phase_batched, phase_single))
    print(f"| **all** | | {total_batched:.2f} | {total_single:.2f} | "
          f"**{total_single / total_batched:.1f}×** | |")
    # Where each cell's ratio comes from: a phase that is already a batch per user (Growing
    # Spheres draws 1,000 points a shell for one user) gains little from batching users.
    print()
    print("| cell | " + " | ".join(f"{p}: batched / one at a time (s), ratio" for p in PHASES) + " |")
    print("|---|" + "---|" * len(PHASES))
    for label, b, one in by_phase:
        print(f"| {label} | " + " | ".join(f"{b[p]:.2f} / {one[p]:.2f}, {one[p] / b[p]:.1f}×"
                                           for p in PHASES) + " |")


if __name__ == "__main__":
    main()
