"""Execute benchmark runs: data → classifier → base recourse → ground truth → HARE → metrics.

``execute_run`` is a pure function of a RunConfig (plus caches that only save time);
``run_group`` executes runs that share a classifier and ground truths (``group_key``), and is
what executors (hare.bench.executor) send to workers. Everything inside a run is batched over
its users.
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from dataclasses import dataclass, field

import pandas as pd
import torch

import hare
from hare.actions import ActionSpace
from hare.active import ActiveHareSession
from hare.bench.config import CONFIG_FIELDS, RunConfig
from hare.bench.status import StatusLog
from hare.bench.store import METRICS, RunRecord
from hare.data import Dataset, load_dataset
from hare.errors import ConfigError
from hare.generators import make_generator
from hare.metrics import compute_metrics
from hare.bench.names import readable
from hare.models import (TrainedModel, classifier_cached, load_or_train, negative_factuals,
                         own_model_names, own_trained)
from hare.protocol import get_protocol
from hare.rng import user_keys
from hare.session import HareSession, run_to_end
from hare.live.costs import search_weights
from hare.user_models import Population, draw_parameters, uniform_weights
from hare.fitted_users import load as load_fitted
from hare.users import SCALES, GroundTruth, SimulatedUser


@dataclass
class _Timed:
    value: object
    seconds: float


@dataclass(frozen=True)
class RunFailure:
    """A run that raised: what the coordinator reports and logs instead of a record."""

    config: RunConfig
    error: str  # "ExceptionType: message", one line


@dataclass
class RunContext:
    """Caches shared by the runs of one process: models, base recourses, ground truths, and
    active HARE's first particles.

    The base recourse and the ground truth do not depend on the variant, so base, HARE and
    Multi-HARE of one seed reuse them (and their measured times). Active HARE's first particles
    depend on the base recourses but not on the budget, the noise or the ground truth, so its
    sessions of one generator and seed start from one copy (``hare_seconds`` is the time a
    session took, so the first of them includes building the particles), and a shorter
    session's rounds are read from a longer one's (``_session_result``). ``status`` receives
    "preparing" lines while something slow is built for the run in ``current``.
    """

    models: dict = field(default_factory=dict)
    base: dict = field(default_factory=dict)
    truth: dict = field(default_factory=dict)
    first_particles: dict = field(default_factory=dict)
    active_rounds: dict = field(default_factory=dict)  # see _session_result
    status: StatusLog = field(default_factory=lambda: StatusLog(None))
    current: str = ""  # run id being executed
    waiting: tuple[str, ...] = ()  # run ids of the group not started yet

    def _preparing(self, what: str, others: tuple[str, ...] = ()) -> None:
        self.status.emit(dict.fromkeys((self.current, *others)), "preparing", what)

    def model(self, cfg: RunConfig, dataset: Dataset) -> TrainedModel:
        key = cfg.stage_key("classifier")
        if key not in self.models:
            settings = get_protocol(cfg.protocol).classifier.settings
            verb = ("loading" if classifier_cached(dataset.name, cfg.model, cfg.seed, settings)
                    else "training")
            # every run of the group waits on this classifier, not only the current one
            self._preparing(f"{verb} the {readable('dataset', dataset.name)} "
                            f"{readable('model', cfg.model)} classifier (seed {cfg.seed})",
                            self.waiting)
            self.models[key] = (own_trained(dataset, cfg.model) if cfg.model in own_model_names()
                                else load_or_train(dataset, cfg.model, cfg.seed, settings))
            self.status.emit(self.waiting, "queued", "its classifier is ready")
        return self.models[key]

    def base_recourse(self, cfg: RunConfig, dataset, model, space, x, keys) -> _Timed:
        key = cfg.stage_key("base")
        if key not in self.base:
            self._preparing(f"base recourses from {cfg.generator}")
            started = time.perf_counter()
            generator = make_generator(cfg.generator).fit(dataset, model, space, cfg.seed)
            self.base[key] = _Timed(generator.generate(x, keys), time.perf_counter() - started)
        return self.base[key]

    def ground_truth(self, cfg: RunConfig, model, space, x, keys) -> _Timed:
        protocol = get_protocol(cfg.protocol)
        key = cfg.stage_key("truth")
        if key not in self.truth:
            self._preparing(f"{cfg.scale} ground truths of the simulated users")
            started = time.perf_counter()
            truth = protocol.ground_truth.draw(model, x, space, cfg.scale, keys, cfg.seed)
            self.truth[key] = _Timed(truth, time.perf_counter() - started)
        return self.truth[key]


def _session_result(cfg: RunConfig, context: RunContext, model, x, r0, space, keys,
                    oracle) -> _Timed:
    """The run's HARE, Multi-HARE or active HARE session, driven by ``oracle`` to the end.

    Active HARE shares work within a group (``context``): sessions of one base recourse start
    from one copy of the first particles, and a session whose rounds are the first rounds of a
    longer one with the same users and answers (B 10 in 1 round and B 20 in 2 are B 30 in 3
    after its first and second "good enough?") reads its result from that session, recorded
    when those rounds ended, with the time the session had taken by then. Both are what the
    shorter session computes itself, bit for bit (tests/hare/test_active.py)."""
    settings = cfg.hare_settings()
    started = time.perf_counter()
    if cfg.variant != "active_hare":
        result = run_to_end(HareSession(model, x, r0, space, settings, keys), oracle)
        return _Timed(result, time.perf_counter() - started)
    rounds = tuple(settings.round_size(r) for r in range(1, settings.rounds + 1))
    # everything but the budget and rounds: the users, their answers, the session's settings
    family = (tuple(getattr(cfg, name) for name in CONFIG_FIELDS
                    if name not in ("budget", "iterations")), settings.first_particles_key())
    if (family, rounds) in context.active_rounds:
        return context.active_rounds[(family, rounds)]
    first_key = (cfg.stage_key("base"), settings.first_particles_key())
    session = ActiveHareSession(model, x, r0, space, settings, keys,
                                first=context.first_particles.get(first_key),
                                cost_prior=search_weights(load_dataset(cfg.dataset), {}))
    context.first_particles.setdefault(first_key, session.first)
    while (question := session.next_question()) is not None:
        session.answer(oracle.answer(question))
        if question.kind == "accept":  # round question.iteration is over
            context.active_rounds[(family, rounds[:question.iteration])] = _Timed(
                session.result(), time.perf_counter() - started)
    # every user done before the last round (all accepted, or no one to ask)
    context.active_rounds[(family, rounds)] = _Timed(session.result(),
                                                     time.perf_counter() - started)
    return context.active_rounds[(family, rounds)]


_preference_weights = uniform_weights  # weighted-cost users' draw (hare.user_models)


def _simulated_users(cfg: RunConfig, dataset, model, space: ActionSpace, x: torch.Tensor,
                     truth: GroundTruth, keys: torch.Tensor) -> SimulatedUser:
    """The run's simulated people: the shipped hidden-recourse and weighted-cost users as they
    always were, every other kind with its parameters drawn per user (hare.user_models)."""
    common = (truth.recourse, keys, cfg.noise, cfg.noise_param, cfg.tolerance)
    if cfg.user_model == "fitted":
        return _fitted_users(cfg, dataset, model, space, x, truth, keys)
    if cfg.user_model in ("ground_truth", "weighted_cost"):
        weights = uniform_weights(keys, space) if cfg.user_model == "weighted_cost" else None
        return SimulatedUser(*common, factual=x, weights=weights)
    population = Population(model, x, space, truth.recourse, keys, search_weights(dataset, {}),
                            SCALES[cfg.scale])
    return SimulatedUser(*common, factual=x, kind=cfg.user_model,
                         params=draw_parameters(cfg.user_model, population))


def _fitted_users(cfg: RunConfig, dataset, model, space: ActionSpace, x: torch.Tensor,
                  truth: GroundTruth, keys: torch.Tensor) -> SimulatedUser:
    """People of the kind fitted to recorded answers (hare.fitted_users): the population's
    fitted parameters, personal ones drawn as the kind draws them, the fitted logistic noise."""
    fitted = load_fitted(cfg.fitted_users)
    if fitted.dataset != cfg.dataset:
        raise ConfigError(f"the fitted people {cfg.fitted_users} were fitted on "
                          f"{fitted.dataset}, not {cfg.dataset}")
    population = Population(model, x, space, truth.recourse, keys, search_weights(dataset, {}),
                            SCALES[cfg.scale])
    params = draw_parameters(fitted.user_model, population) | fitted.parameter_tensors(
        list(dataset.feature_names), len(x))
    return SimulatedUser(truth.recourse, keys, "logistic", fitted.noise_param, cfg.tolerance,
                         factual=x, kind=fitted.user_model, params=params)


def execute_run(cfg: RunConfig, context: RunContext | None = None) -> RunRecord:
    """Run one benchmark cell and return its summary and per-user rows (nothing is stored)."""
    cfg = cfg.normalised()
    context = context or RunContext()
    started = time.perf_counter()
    dataset = load_dataset(cfg.dataset)
    protocol = get_protocol(cfg.protocol)
    trained = context.model(cfg, dataset)
    model = trained.model
    rows = negative_factuals(model, dataset, cfg.users)
    x = dataset.x_test[rows]
    user_index = torch.arange(len(rows))
    keys = user_keys(cfg.seed, user_index)
    space = ActionSpace.for_dataset(dataset)
    base = context.base_recourse(cfg, dataset, model, space, x, keys)
    truth_t = context.ground_truth(cfg, model, space, x, keys)
    truth: GroundTruth = truth_t.value
    context.status.emit([cfg.run_id], "running")
    n = len(rows)
    queries = torch.zeros(n, dtype=torch.long)
    accepted = torch.zeros(n, dtype=torch.bool)
    invalid = torch.zeros(n, dtype=torch.long)
    oracle = _simulated_users(cfg, dataset, model, space, x, truth, keys)
    if cfg.variant == "base":
        recourse, hare_seconds = base.value, 0.0
    else:
        session = _session_result(cfg, context, model, x, base.value, space, keys, oracle)
        result, hare_seconds = session.value, session.seconds
        recourse, queries, accepted, invalid = (result.recourse, result.queries, result.accepted,
                                                result.invalid_candidates)
    metrics = compute_metrics(model, x, recourse, truth.recourse, dataset.immutable_mask,
                              precision=protocol.metrics.precision)
    # The simulated user's own cost of r* (distance to r_gt, or the weighted L1 cost for
    # weighted-cost users): the quantity that user's answers actually optimise.
    user_cost = torch.where(metrics.valid, oracle.score(torch.nan_to_num(recourse), user_index),
                            torch.nan)

    users = pd.DataFrame({
        "run_id": cfg.run_id,
        "user_index": user_index.numpy(),
        "test_row": rows.numpy(),
        **{name: tensor.numpy() for name, tensor in metrics.as_dict().items()},
        "user_cost": user_cost.numpy(),
        "queries": queries.numpy(),
        "accepted": accepted.numpy(),
        "invalid_candidates": invalid.numpy(),
        "gt_fallback": truth.fallback.numpy(),
    })
    valid = users[users["valid"]]
    summary = {
        "run_id": cfg.run_id,
        **cfg.values(),
        "n_users": n,
        "success_rate": float(users["valid"].mean()) if n else float("nan"),
        # Means over users with a valid recourse; None (SQL NULL) when there are none.
        **{m: (float(valid[m].mean()) if len(valid) else None) for m in METRICS},
        "queries_mean": float(queries.float().mean()) if n else None,
        "invalid_candidates_mean": float(invalid.float().mean()) if n else None,
        "accepted_rate": float(accepted.float().mean()) if n else None,
        "gt_fallbacks": int(truth.fallback.sum()),
        # What the authors' protocol lets through (SPEC §10): ground truths the model rejects,
        # and final recourses with a value outside the feature ranges [0, 1].
        "gt_rejected": int((model(truth.recourse) < 0.5).sum()),
        "out_of_range": int(((recourse < -1e-9) | (recourse > 1 + 1e-9)).any(-1).sum()),
        "model_test_accuracy": trained.test_accuracy,
        "model_balanced_accuracy": trained.balanced_accuracy,
        "model_test_negatives": trained.n_test_negatives,
        "base_seconds": base.seconds,
        "gt_seconds": truth_t.seconds,
        "hare_seconds": hare_seconds,
        "wall_seconds": time.perf_counter() - started,
        "hare_version": hare.__version__,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "created_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        "engine_revision": hare.ENGINE_REVISION,
        "data_sha256": dataset.data_sha256 or None,
        "model_sha256": getattr(model, "sha256", None),
    }
    return RunRecord(summary, users)


def group_key(cfg: RunConfig) -> tuple:
    """Runs with the same key share a classifier, its factuals and their ground truths (and,
    per generator, the base recourses), so a group computes each of them once. The generator is
    not in the key: the ground truths do not depend on it, and keyed by it every generator's
    group drew them again (6 times over in Table 1). The protocol's classifier choice is: it
    is another classifier. The key is the run schema's "users" stage (hare.schema)."""
    return cfg.stage_key("users")


def run_one(cfg: RunConfig, context: RunContext) -> RunRecord | RunFailure:
    """``execute_run``, with an error turned into a RunFailure so the rest of the grid goes on
    (the coordinator reports every failure and exits non-zero)."""
    context.current = cfg.run_id
    try:
        return execute_run(cfg, context)
    except Exception as exc:  # reported by the coordinator, never dropped
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return RunFailure(cfg, f"{type(exc).__name__}: {message}".rstrip(": "))


def run_group(configs: list[RunConfig], threads: int | None = None,
              status_path: str | None = None) -> list[RunRecord | RunFailure]:
    """Execute runs that share a group key in one context (a worker's unit of work)."""
    if threads is not None:
        torch.set_num_threads(threads)
    context = RunContext(status=StatusLog(status_path))
    outcomes = []
    for i, cfg in enumerate(configs):
        context.waiting = tuple(c.run_id for c in configs[i + 1:])
        outcomes.append(run_one(cfg, context))
    return outcomes
