"""A fixed batched torch workload, timed in the same run as a benchmark, so that a reader can tell
a slower box from a slower program: every timing benchmark prints this line beside its figures.

    python benchmarks/calibration.py

The workload has the shape of the engine's hot path (ActionableSampling): Adam steps on
directions for 150 users × 30 candidates × 10 features through a d-10-5-10-1 MLP in float64,
one torch thread. Its time changes only with the machine and with what else runs on it.
"""

from __future__ import annotations

import statistics
import time

import torch

STEPS = 60
REPEATS = 5


def _workload() -> None:
    generator = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(10, 10), torch.nn.ReLU(), torch.nn.Linear(10, 5),
                              torch.nn.ReLU(), torch.nn.Linear(5, 10), torch.nn.ReLU(),
                              torch.nn.Linear(10, 1)).double()
    for p in net.parameters():
        p.requires_grad_(False)
    base = torch.rand(150, 1, 10, generator=generator, dtype=torch.float64)
    directions = torch.randn(150, 30, 10, generator=generator, dtype=torch.float64)
    directions.requires_grad_(True)
    optimizer = torch.optim.Adam([directions], lr=0.01)
    for _ in range(STEPS):
        optimizer.zero_grad()
        points = (base + 0.5 * directions).clamp(0, 1)
        loss = torch.nn.functional.softplus(-net(points)).sum() + directions.pow(2).sum()
        loss.backward()
        optimizer.step()


def calibrate(repeats: int = REPEATS) -> float:
    """Median seconds of the workload over ``repeats`` runs, on one torch thread (the thread
    count in force is restored)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _workload()  # warm-up: the first call imports and allocates
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            _workload()
            times.append(time.perf_counter() - started)
        return statistics.median(times)
    finally:
        torch.set_num_threads(threads)


def line(label: str = "calibration") -> str:
    """One printable line with the calibration time, for a benchmark's output."""
    return (f"{label}: {calibrate() * 1000:.0f} ms for the fixed workload of "
            "benchmarks/calibration.py (median of 5; compare it to benchmarks/README.md's "
            "before comparing times)")


if __name__ == "__main__":
    print(line())
