"""How far batching can go at most in each cell of batching_speedup.py, measured in one run.

For each cell, the same computation one user at a time (as batching_speedup.py times it) is set
against a *floor*: a part of the batched cell's work that any batched run of the same computation
must do, timed alone. The ratio one-at-a-time / floor is then an upper bound on that cell's
batching speed-up for the SPEC's computation (GS with 1,000 samples a shell, ActionableSampling
with 100 steps, float64), as torch computes these parts.

The floor holds:
- every call the batched cell makes to the classifier's network outside ActionableSampling
  (recorded with a forward pre-hook, then replayed alone on an input of the same shape: forward
  only, or forward and backward where the call recorded a gradient, as Wachter's do);
- every ActionableSampling step (the session's calls with a gradient), reduced to the network
  on the candidates and Algorithm 1's diversity term, forward and one backward, and the Adam
  step (hare.optim's, as the engine takes it), at that step's sizes.
It leaves out the random draws, projections, clamps, the validity loss, the bisection's
arithmetic and the oracle's answers, so the true cost of a batched run is above it. Replays reuse
one input per shape, warm in the cache, which also only lowers the floor. The bound holds for
this computation in float64 with torch's kernels; a different computation (fewer samples,
float32, a hand-written gradient) could have a lower floor, and would move stored results.

    python benchmarks/batching_floor.py [--users 150] [--cells compas]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

import argparse
import time
from dataclasses import dataclass

import torch

from batching_speedup import CELLS, PHASES, pipeline  # noqa: E402  (this folder)
from hare.actions import ActionSpace  # noqa: E402
from hare.data import load_dataset  # noqa: E402
from hare.models import load_or_train, negative_factuals  # noqa: E402
from hare.optim import Adam  # noqa: E402  (the engine's own steps)
from hare.rng import user_keys  # noqa: E402


@dataclass(frozen=True)
class NetworkCall:
    """One call to the classifier's network: the input's shape, and whether it recorded a
    gradient for its input (ActionableSampling's steps and Wachter's do)."""

    phase: str  # one of batching_speedup.PHASES
    shape: tuple[int, ...]
    dtype: torch.dtype
    with_gradient: bool


def record_calls(model, run) -> list[NetworkCall]:
    """The network calls ``run(entering)`` makes, in order, each with the phase it was made in
    (``run`` passes ``entering`` on to batching_speedup.pipeline)."""
    calls: list[NetworkCall] = []
    phase = [PHASES[0]]

    def hook(_module, args):
        (x,) = args
        calls.append(NetworkCall(phase[0], tuple(x.shape), x.dtype,
                                 torch.is_grad_enabled() and x.requires_grad))

    handle = model.net.register_forward_pre_hook(hook)
    try:
        run(lambda name: phase.__setitem__(0, name))
    finally:
        handle.remove()
    return calls


def _is_sampling_step(call: NetworkCall) -> bool:
    # the session records gradients in ActionableSampling's steps and nowhere else
    return call.with_gradient and call.phase == PHASES[2]


def replay_seconds(model, calls: list[NetworkCall]) -> float:
    """Time of the network calls outside ActionableSampling, alone, one reused random input
    per shape (forward, and backward for the input where the call recorded a gradient)."""
    calls = [c for c in calls if not _is_sampling_step(c)]
    inputs: dict[tuple, torch.Tensor] = {}
    for call in calls:
        key = (call.shape, call.dtype, call.with_gradient)
        if key not in inputs:
            inputs[key] = torch.rand(call.shape, dtype=call.dtype).requires_grad_(call.with_gradient)
    started = time.perf_counter()
    for call in calls:
        x = inputs[(call.shape, call.dtype, call.with_gradient)]
        if call.with_gradient:
            x.grad = None
            model.net(x).sum().backward()
        else:
            with torch.no_grad():
                model.net(x)
    return time.perf_counter() - started


def sampling_steps_seconds(model, calls: list[NetworkCall]) -> float:
    """ActionableSampling's steps reduced to what Algorithm 1 cannot do without: the network
    on the candidates and the diversity term, forward and one backward, then the Adam step,
    at each recorded step's sizes (N, k, d). Left out: the shift to the baseline recourse, the
    clamps, the validity loss and the renormalisation."""
    steps = [c for c in calls if _is_sampling_step(c)]
    state: dict[tuple, tuple] = {}
    for call in steps:
        if call.shape not in state:
            directions = torch.rand(call.shape, dtype=call.dtype, requires_grad=True)
            eye2 = 2.0 * torch.eye(call.shape[-2], dtype=call.dtype)
            state[call.shape] = (directions, -eye2, Adam(directions, 0.1))
    started = time.perf_counter()
    for call in steps:
        directions, minus_eye2, optimizer = state[call.shape]
        similarity = torch.baddbmm(minus_eye2, directions, directions.transpose(1, 2))
        diversity = similarity.max(dim=-1).values.mean(dim=-1)
        loss = diversity.sum() + model.net(directions).sum()
        optimizer.step(torch.autograd.grad(loss, directions)[0])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--cells", nargs="*", default=None,
                        help="datasets whose cells to run (default: all four cells)")
    args = parser.parse_args()
    from calibration import line  # this folder: the same run's measure of the machine
    print(line(), flush=True)
    torch.set_num_threads(1)
    print("| cell | one at a time (s) | allowed at 50× (s) | network calls outside sampling (s) | "
          "sampling steps: network, diversity, Adam (s) | floor (s) | at most |")
    print("|---|---|---|---|---|---|---|")
    for dataset_name, kind, generator_name, iterations in CELLS:
        if args.cells and dataset_name not in args.cells:
            continue
        dataset = load_dataset(dataset_name)
        model = load_or_train(dataset, kind, 0).model
        x = dataset.x_test[negative_factuals(model, dataset, args.users)]
        keys = user_keys(0, torch.arange(len(x)))
        space = ActionSpace.for_dataset(dataset)

        def batched(entering=None, seconds=None):
            pipeline(model, dataset, space, x, keys, generator_name, iterations, seconds,
                     entering)

        batched()  # warm-up: first calls allocate and load
        phase_seconds: dict[str, float] = {}
        calls = record_calls(model, lambda entering: batched(entering, phase_seconds))
        network = min(replay_seconds(model, calls) for _ in range(3))
        sampling = min(sampling_steps_seconds(model, calls) for _ in range(3))
        started = time.perf_counter()
        for i in range(len(x)):
            pipeline(model, dataset, space, x[i:i + 1], keys[i:i + 1], generator_name,
                     iterations)
        single = time.perf_counter() - started
        floor = network + sampling
        label = f"{dataset_name} {kind} {generator_name} T={iterations}"
        print(f"| {label} | {single:.2f} | {single / 50:.3f} | {network:.3f} | {sampling:.3f} | "
              f"{floor:.3f} | {single / floor:.1f}× |", flush=True)
        print(f"|   (the batched cell itself: {sum(phase_seconds.values()):.3f} s; "
              + ", ".join(f"{p} {phase_seconds[p]:.3f}" for p in PHASES) + ") | | | | | | |",
              flush=True)


if __name__ == "__main__":
    main()
