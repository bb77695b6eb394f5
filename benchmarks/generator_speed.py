"""Speed and success of every registered base generator on every dataset (ANN, one seed).

Fit time includes training the generative model unless it is already cached, so point
HARE_CACHE_DIR at a fresh directory for cold numbers (classifiers are trained, untimed, first):

    HARE_CACHE_DIR=$(mktemp -d) python benchmarks/generator_speed.py

``--variant face:immutables=transplant`` adds a row for a generator with non-default params
(values are passed as strings).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

import argparse
import ast
import time

import torch

from hare.actions import ActionSpace  # noqa: E402
from hare.data import load_dataset  # noqa: E402
from hare.generators import generator_names, make_generator  # noqa: E402
from hare.models import load_or_train, negative_factuals  # noqa: E402
from hare.rng import user_keys  # noqa: E402


def _literal(text: str):
    """A --variant value as Python reads it (10, 0.5, (64, 32)), else the text itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):  # a bare word such as transplant: a string setting
        return text


def measure(generator: str, dataset_name: str, n: int, seed: int, params: dict) -> dict:
    dataset = load_dataset(dataset_name)
    model = load_or_train(dataset, "ann", seed).model
    rows = negative_factuals(model, dataset, n)
    x, keys = dataset.x_test[rows], user_keys(seed, torch.arange(len(rows)))
    started = time.perf_counter()
    fitted = make_generator(generator, **params).fit(dataset, model, ActionSpace.for_dataset(dataset), seed)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = fitted.generate(x, keys)
    generate_seconds = time.perf_counter() - started
    trained = getattr(fitted, "trained", None)
    label = generator + "".join(f"[{k}={v}]" for k, v in params.items())
    return dict(dataset=dataset_name, generator=label, users=len(rows), fit=fit_seconds,
                generate=generate_seconds, per_user=generate_seconds / max(1, len(rows)),
                success=float((~torch.isnan(result).any(dim=-1)).float().mean()),
                generative="-" if trained is None else ("cached" if trained.from_cache else "trained"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generators", nargs="+", default=list(generator_names()))
    parser.add_argument("--datasets", nargs="+", default=["adult", "compas", "credit"])
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:KEY=VALUE")
    args = parser.parse_args()
    from calibration import line  # this folder: the same run's measure of the machine
    print(line(), flush=True)
    torch.set_num_threads(args.threads)
    for name in args.datasets:  # classifiers first, so their training is not in any timing
        load_or_train(load_dataset(name), "ann", args.seed)
    print("| dataset | generator | users | generative model | fit (s) | generate (s) "
          "| s / user | success |")
    print("|---|---|---|---|---|---|---|---|")
    runs = [(generator, {}) for generator in args.generators]
    for variant in args.variant:
        generator, _, setting = variant.partition(":")
        key, _, value = setting.partition("=")
        if not key or not value:
            parser.error(f"--variant {variant!r}: expected NAME:KEY=VALUE")
        runs.append((generator, {key: _literal(value)}))
    for name in args.datasets:
        for generator, params in runs:
            r = measure(generator, name, args.users, args.seed, params)
            print(f"| {r['dataset']} | {r['generator']} | {r['users']} | {r['generative']} "
                  f"| {r['fit']:.2f} | {r['generate']:.2f} | {r['per_user']:.4f} "
                  f"| {r['success']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
