"""``python -m hare recourse``: the live page's engine path from a terminal, for one or more
refused people (test rows or a profile file), answered in the terminal or by a seeded
simulated person; prints one JSON card per person, the same card as the page's download.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import torch

from hare.errors import ConfigError, InputError
from hare.live.run import LiveRun, make_live_generator, start_live_run
from hare.live.setup import SessionConfig
from hare.models import MODEL_KINDS
from hare.schema import GivenAction


def add_recourse_command(sub) -> None:
    """Add the ``recourse`` subparser to ``python -m hare``'s subparsers: the session's
    options derived from its declaration (hare.live.setup), then who and how to answer."""
    p = sub.add_parser("recourse", help="find a recourse for refused people, as the live page does")
    SessionConfig.schema().add_options(p, grid=False, action=GivenAction, free=("model",))
    p.add_argument("--data", metavar="FILE.csv",
                   help="your own data (with --spec): refused people are its test rows")
    p.add_argument("--spec", metavar="SPEC.toml", help="the spec of --data (hare data init)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--row", type=int, help="the N-th refused person (0-based), as the page lists them")
    who.add_argument("--rows", help="a range A-B of refused people, both ends included")
    who.add_argument("--profile", help="a JSON file {column: value in original units}")
    p.add_argument("--answers", choices=("ask", "simulated"), default="ask",
                   help="ask in the terminal, or answer with a seeded simulated person")
    p.add_argument("--json", action="store_true", help="one JSON card per line (else indented)")
    p.set_defaults(func=cmd_recourse)


def _rows(spec: str, available: int) -> list[int]:
    try:
        a, b = (int(v) for v in spec.split("-"))
    except ValueError:
        raise ConfigError(f"--rows takes A-B, e.g. 0-19 (got {spec!r})") from None
    if not 0 <= a <= b:
        raise ConfigError(f"--rows {spec}: need 0 ≤ A ≤ B")
    if b >= available:
        raise ConfigError(f"--rows {spec}: only {available} refused people are listed (0-{available - 1})")
    return list(range(a, b + 1))


def _people(args, dataset, model) -> list[tuple[int | None, dict]]:
    """(test row, profile in original units) per refused person asked for by --row/--rows."""
    from hare.live.profile import profile_from_row, refused_people
    listed = refused_people(dataset, model)
    rows = [args.row] if args.row is not None else _rows(args.rows, len(listed))
    for n in rows:
        if not 0 <= n < len(listed):
            raise ConfigError(f"--row {n}: only {len(listed)} refused people are listed")
    return [(listed[n], profile_from_row(dataset, listed[n])) for n in rows]


def _reply(prompt: str, number: int) -> str:
    """One line from standard input, the prompt on standard error (standard output holds the
    cards alone); a closed standard input is the person's error, said so."""
    print(prompt, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        print(file=sys.stderr)  # end the prompt's line: the error is a line of its own
        raise InputError(f"standard input closed before question {number} was answered: "
                         "answer in a terminal, or use --answers simulated")
    return line


def _ask(run: LiveRun) -> bool:
    q = run.question()
    print(f"\nQuestion {q.number} of at most {run.budget}", file=sys.stderr)

    def show(name, option):
        items = "; ".join(c.text for c in option.changes) or "no visible change"
        print(f"  {name}: {items}  ({option.probability:.0%})", file=sys.stderr)

    if q.kind == "compare":
        show("A", q.current)
        show("B", q.challenger)
        while (reply := _reply("Which would you rather do, A or B? ", q.number).strip().upper()) not in "AB" or not reply:
            print("answer A or B", file=sys.stderr)
        return reply == "B"
    show("Best so far", q.current)
    while (reply := _reply("Good enough? [y/n] ", q.number).strip().lower()) not in ("y", "n"):
        print("answer y or n", file=sys.stderr)
    return reply == "y"


def run_person(config: SessionConfig, dataset, model, profile: dict, row: int | None = None,
               ask=None) -> LiveRun:
    """One person's session to its end under the people defaults (``Preferences.for_people``
    for their profile), answered by ``ask(run)`` or, without it, by a seeded simulated person."""
    from hare.live.profile import Preferences, encode_profile
    from hare.rng import user_keys
    from hare.users import SimulatedUser, simulate_ground_truth

    preferences = Preferences.for_people(dataset, profile)
    # fitted per person: the realistic ranges are widened to include their own values
    generator = make_live_generator(config.generator).fit(
        dataset, model, preferences.action_space(dataset), config.model_seed)
    x = encode_profile(dataset, profile)
    run = start_live_run(config, dataset, model, generator, x, preferences, row)
    if ask is None and not run.done:
        keys = user_keys(config.seed, torch.arange(1))
        truth = simulate_ground_truth(model, x, run.space, "far", keys)
        person = SimulatedUser(truth.recourse, keys)
    while not run.done:
        run.answer(bool(person.answer(run.pending)[0]) if ask is None else ask(run))
    return run


def _own_data(args):
    """The person's checked data and spec (hare.data.own), or None for a built-in dataset."""
    from hare.data.own import check_own_options, read_own_files
    return read_own_files(args.data, args.spec) if check_own_options(args) else None


def _check_generator(name: str, model) -> None:
    """Refuse, before any person is searched, a generator the model cannot serve."""
    from hare.generators.base import gradient_refusal
    refusal = gradient_refusal(name, model)
    if refusal is not None:
        raise ConfigError(f"--generator: {refusal}")


def cmd_recourse(args) -> int:
    from hare.data import load_dataset
    from hare.live.profile import profile_from_file
    from hare.live.startup import prepare_server
    from hare.models import load_or_train

    values = {name: getattr(args, name) for name in SessionConfig.schema().names}
    own = _own_data(args)
    if own is None and args.model not in MODEL_KINDS:
        raise ConfigError(f"--model {args.model}: a model file needs --data and --spec "
                          f"(else choose {', '.join(MODEL_KINDS)})")
    if own is not None:
        from hare.data.own import load_own
        # one person's small networks and a model file's calls gain nothing from a second
        # thread, and on a shared machine its spinning cost tenfold (as the app sets it)
        torch.set_num_threads(1)
        dataset = load_own(own)
        values["dataset"] = dataset.name
    try:  # each option is checked as it is parsed: what is left is budget and rounds together
        config = SessionConfig(**{**values, "model": values["model"] if values["model"] in
                                  MODEL_KINDS else MODEL_KINDS[0]})
    except ConfigError as exc:
        raise ConfigError(f"--rounds: {exc}") from None
    if own is None:
        dataset = load_dataset(config.dataset)
    # a profile file is checked before anything is trained or written
    people = [(None, profile_from_file(dataset, args.profile))] if args.profile else None
    if own is not None:
        from hare.own_models import own_classifier
        name, model = own_classifier(own, dataset, args.model, config.model_seed)
        config = replace(config, model=name)
        _check_generator(config.generator, model)
    else:
        prepare_server()
        model = load_or_train(dataset, config.model, config.model_seed).model
    for row, profile in people or _people(args, dataset, model):
        run = run_person(config, dataset, model, profile, row,
                         None if args.answers == "simulated" else _ask)
        card = run.card()
        print(json.dumps(card, default=float) if args.json else json.dumps(card, indent=2, default=float))
    return 0
