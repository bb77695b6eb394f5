"""``python -m hare answers``: the opt-in answers store as research data. ``export`` writes the
tables, codebook and datasheet; ``simulate`` stores sessions of simulated people through the
live path; ``fit`` ranks the kinds of simulated person by how well they predict the answers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from hare.errors import ConfigError
from hare.fitted_users import FittedPopulation
from hare.live.answers import AnswerStore
from hare.live.answers_export import build, read, write
from hare.live.answers_fit import choices_of, fit_all
from hare.live.answers_simulate import SimulationSettings, parse_mixture, simulate
from hare.user_models import KINDS, fittable_parameters

DEFAULT_ANSWERS_DB = "results/human_answers.duckdb"


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("answers", help="people's answers: export, simulate, fit")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB")

    e = verbs.add_parser("export", help="the answers as tables with a codebook and datasheet")
    e.add_argument("--db", default=DEFAULT_ANSWERS_DB,
                   help=f"the answers DuckDB file (default {DEFAULT_ANSWERS_DB})")
    e.add_argument("--format", choices=("csv", "parquet"), default="csv")
    e.add_argument("--out", required=True, metavar="DIR", help="folder to write")
    e.set_defaults(func=run_export)

    s = verbs.add_parser("simulate", help="store sessions of simulated people, as the page does")
    s.add_argument("--dataset", default="adult")
    s.add_argument("--user-model", required=True, metavar="KIND[:SHARE],...",
                   help="a kind of simulated person, or a mixture such as "
                        "ground_truth:0.5,weighted_cost:0.5")
    s.add_argument("--sessions", type=int, default=20)
    s.add_argument("--db", required=True, metavar="FILE", help="the answers DuckDB file to add to")
    s.add_argument("--beta", type=float, default=20.0,
                   help="logistic noise β: P(prefer B) = σ(β·(cost(A) − cost(B))) (default 20)")
    s.add_argument("--budget", type=int, default=6, help="questions per session (default 6)")
    s.add_argument("--rounds", type=int, default=2, help="rounds per session (default 2)")
    s.add_argument("--method", choices=("hare", "active"), default="hare")
    s.add_argument("--unlock", nargs="*", default=[], metavar="COLUMN",
                   help="columns the people say they can change though the spec holds them "
                        "fixed for people (e.g. capital-gain for Adult)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=run_simulate)

    f = verbs.add_parser("fit", help="rank the kinds of simulated person on the answers")
    where = f.add_mutually_exclusive_group()
    where.add_argument("--db", default=None, metavar="FILE",
                       help=f"the answers DuckDB file (default {DEFAULT_ANSWERS_DB})")
    where.add_argument("--export", default=None, metavar="DIR", help="an export's folder")
    f.add_argument("--dataset", default=None, help="the dataset to fit (when there are several)")
    f.add_argument("--user-models", nargs="+", default=None, metavar="KIND",
                   help="the kinds to fit (default: every kind)")
    f.add_argument("--bootstrap", type=int, default=20, help="resamples for the intervals")
    f.add_argument("--json", action="store_true", help="a JSON list, best first")
    f.add_argument("--write-model", default=None, metavar="FILE",
                   help="write the best kind as fitted people for sweeps "
                        "(hare run --user-model fitted --answers FILE)")
    f.set_defaults(func=run_fit)
    return p


def run_export(args) -> int:
    store = AnswerStore(args.db)
    if not store.path.is_file():
        raise ConfigError(f"no answers store at {args.db}")
    paths = write(build(store), Path(args.out), args.format)
    print("\n".join(str(p) for p in paths))
    return 0


def run_simulate(args) -> int:
    settings = SimulationSettings(dataset=args.dataset, sessions=args.sessions, beta=args.beta,
                                  budget=args.budget, rounds=args.rounds, method=args.method,
                                  seed=args.seed, unlock=tuple(args.unlock))
    shares = parse_mixture(args.user_model)
    answers = simulate(settings, shares, AnswerStore(args.db),
                       progress=lambda done, total: print(f"\r{done}/{total} sessions",
                                                          end="", file=sys.stderr))
    print(file=sys.stderr)
    print(f"stored {args.sessions} sessions ({answers} answers) of "
          + ", ".join(f"{s.kind} {s.share:.0%}" for s in shares) + f" in {args.db}")
    return 0


def _source(args) -> tuple:
    """The export to fit (read back, or built from the store) and the hash of its answers."""
    if args.export:
        export = read(Path(args.export))
    else:
        store = AnswerStore(args.db or DEFAULT_ANSWERS_DB)
        if not store.path.is_file():
            raise ConfigError(f"no answers store at {store.path}")
        export = build(store)
    text = export.answers.to_csv(index=False)
    return export, hashlib.sha256(text.encode()).hexdigest()[:16]


def run_fit(args) -> int:
    export, source = _source(args)
    choices = choices_of(export.answers, export.sessions, args.dataset)
    kinds = tuple(args.user_models or KINDS)
    scores, fits = fit_all(choices, kinds, bootstrap=args.bootstrap)
    if args.write_model:
        best, fitted = scores[0], fits[scores[0].user_model]
        population = FittedPopulation(
            choices.dataset, best.user_model, best.noise_level,
            {p.name: {c: float(fitted.params[p.name][0, j]) for j, c in enumerate(choices.columns)}
             for p in fittable_parameters(best.user_model) if p.shape == "per_feature"},
            sessions=len(choices.sessions), answers=choices.answers,
            log_likelihood=best.log_likelihood, source=source)
        Path(args.write_model).write_text(population.to_json(), encoding="utf-8")
    if args.json:
        print(json.dumps([s.row() for s in scores], indent=2))
        return 0
    print(f"{choices.answers} comparisons in {len(choices.sessions)} sessions of "
          f"{choices.dataset}; held-out log-likelihood per answer (chance: {-0.6931:.3f})")
    for rank, s in enumerate(scores, 1):
        lo, hi = s.noise_interval
        print(f"{rank}. {s.user_model:16} log-lik {s.log_likelihood:7.3f}  accuracy "
              f"{s.accuracy:5.1%}  β {s.noise_level:7.2f} [{lo:.2f}, {hi:.2f}]  "
              f"share {s.share:4.0%}")
        for column, (w, wlo, whi) in s.weights.items():
            print(f"     weight {column:18} {w:6.2f} [{wlo:.2f}, {whi:.2f}]")
    if args.write_model:
        print(f"fitted people ({scores[0].user_model}) written to {args.write_model}")
    return 0
