"""--protocol authors: each of the authors' choices does what their code did, the
protocol reaches the command line and every preset, and our own protocol's run ids stay put."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import duckdb
import numpy as np
import pytest
import torch

from hare.actions import ActionSpace
from hare.authors import _shared_draws, authors_ground_truth
from hare.bench.config import CONFIG_FIELDS, RunConfig
from hare.bench.presets import PRESETS, preset_grid
from hare.bench.store import RUNS_SCHEMA, ResultStore
from hare.cli import main
from hare.generators import make_generator
from hare.models import AUTHORS_TRAINING, load_or_train
from hare.errors import ConfigError
from hare.protocol import AUTHORS, FACTORS, HARE, PROTOCOLS
from hare.session import HareSession, HareSettings
from hare.users import SCALES, SimulatedUser, simulate_ground_truth

from conftest import refused

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compas_authors(compas):
    """COMPAS' ANN trained as the authors trained it (seed 1)."""
    return load_or_train(compas, "ann", 1, AUTHORS_TRAINING).model


def test_the_authors_classifier_has_carlas_two_unit_head(compas, compas_authors):
    ours = load_or_train(compas, "ann", 1).model
    assert compas_authors.net[-1].out_features == 2 and ours.net[-1].out_features == 1
    x = compas.x_test[:5]
    out = compas_authors.net(x)
    assert torch.allclose(compas_authors(x), torch.softmax(out, dim=-1)[:, 1])


def test_protocols_are_data_one_switch_each():
    assert PROTOCOLS["hare"].seeds == (0, 1, 2, 3, 4) and PROTOCOLS["hare"].users == 150
    assert PROTOCOLS["authors"].seeds == (1, 2, 3, 4) and PROTOCOLS["authors"].users == 100
    for name in FACTORS:
        switched = PROTOCOLS[f"hare+{name}"]
        assert [f for f, v in switched.choices().items() if v == "authors"] == [name]
        assert getattr(switched, name) is getattr(AUTHORS, name)
        kept = PROTOCOLS[f"authors-{name}"]
        assert [f for f, v in kept.choices().items() if v == "hare"] == [name]
        assert getattr(kept, name) is getattr(HARE, name)


def test_session_settings_take_a_protocols_objects_not_its_names():
    assert HareSettings().sampler is HARE.sampler and HareSettings().rounds is HARE.rounds
    with pytest.raises(ConfigError, match="sampler must be a protocol's"):
        HareSettings(sampler="authors")


def test_first_ground_truth_direction_is_shared_and_drawn_in_a_cube():
    # numpy re-seeded to the run seed for every user: draw 0 is 2·rand − 1 of that seed, for all
    z = _shared_draws(seed=3, count=4, m=3, m_binary=1, radius=1.5, samples=1000).numpy()
    cube = 2 * np.random.RandomState(3).rand(3) - 1
    assert np.allclose(z[0], cube / np.linalg.norm(cube) * 1.5)
    assert np.allclose(np.linalg.norm(z, axis=1), 1.5)
    assert not np.allclose(z[1], z[0])  # a retry draws a new direction (after their GS)


def test_authors_ground_truth_is_the_same_for_every_user_of_a_seed(compas, compas_authors):
    x, keys = refused(compas_authors, compas, 1)
    x = x.repeat(3, 1)  # three users with one profile, in different places of the batch
    space = ActionSpace.for_dataset(compas)
    theirs = authors_ground_truth(compas_authors, x, space, SCALES["far"], seed=1)
    assert torch.equal(theirs.recourse[0], theirs.recourse[1])
    assert torch.equal(theirs.recourse[0], theirs.recourse[2])
    ours = simulate_ground_truth(compas_authors, x, space, "far", torch.arange(3) + 17)
    assert not torch.equal(ours.recourse[0], ours.recourse[1])  # ours: a fresh draw per user


def test_some_authors_ground_truths_are_classified_negative(compas, compas_authors):
    x, _ = refused(compas_authors, compas, 100)
    space = ActionSpace.for_dataset(compas)
    truth = authors_ground_truth(compas_authors, x, space, SCALES["far"], seed=1)
    rejected = compas_authors(truth.recourse) < 0.5
    assert rejected.any()  # clipped to [0, 1] after their search and never re-checked
    assert ((truth.recourse >= 0) & (truth.recourse <= 1)).all()


def _session(model, x, keys, space, budget, iterations, **kwargs):
    r0 = make_generator("gs").fit(None, model, space).generate(x, keys)
    return HareSession(model, x, r0, space, HareSettings(budget, iterations, **kwargs), keys), r0


def test_authors_sampler_drops_invalid_samples(compas, compas_authors):
    x, keys = refused(compas_authors, compas, 30)
    space = ActionSpace.for_dataset(compas)
    session, _ = _session(compas_authors, x, keys, space, 30, 1, sampler=AUTHORS.sampler,
                          rounds=AUTHORS.rounds)
    truth = authors_ground_truth(compas_authors, x, space, SCALES["far"], seed=1)
    oracle = SimulatedUser(truth.recourse, keys)
    asked_invalid = False
    while (q := session.next_question()) is not None:
        if q.kind == "compare":
            asked_invalid |= bool((compas_authors(q.challenger) < 0.5).any())
        session.answer(oracle.answer(q))
    result = session.result()
    assert not asked_invalid  # an invalid sample is never shown
    assert result.invalid_candidates.sum() > 0  # ... though some were drawn
    # each dropped sample is one comparison fewer, never replaced by the incumbent
    assert torch.equal(result.queries, 30 - result.invalid_candidates)


@pytest.mark.parametrize("iterations,rounds,per_round", [(1, 1, 30), (5, 6, 5), (3, 10, 3)])
def test_authors_rounds(compas, compas_ann, iterations, rounds, per_round):
    """T is the number of new candidates a round and the rounds are 30 // T; HARE (T = 1) is
    one round of 30 new candidates plus the incumbent: 30 comparisons, no 'good enough?'."""
    x, keys = refused(compas_ann, compas, 6)
    space = ActionSpace.for_dataset(compas)
    session, _ = _session(compas_ann, x, keys, space, 30, iterations, rounds=AUTHORS.rounds)
    truth = simulate_ground_truth(compas_ann, x, space, "far", keys)
    oracle = SimulatedUser(truth.recourse, keys)
    compares = {}
    while (q := session.next_question()) is not None:
        if q.kind == "compare":
            compares[q.iteration] = compares.get(q.iteration, 0) + 1
        session.answer(oracle.answer(q))
    assert compares == {t: per_round for t in range(1, rounds + 1)}
    assert session.result().queries.tolist() == [30] * len(x)


def _old_run_id(cfg: RunConfig) -> str:
    """The run id as computed before the protocol field existed (the fields declared after it,
    at their defaults, are not hashed either)."""
    values = asdict(cfg.normalised())
    for later in ("protocol", "counting", "fitted_users"):
        del values[later]
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def test_run_ids_of_our_protocol_are_unchanged():
    for cfg in preset_grid("table1", seeds=[0])[:40] + preset_grid("noise", seeds=[3])[:10]:
        assert cfg.protocol == "hare" and cfg.run_id == _old_run_id(cfg)
    authors = RunConfig(protocol="authors")
    assert authors.run_id != RunConfig().run_id


def test_every_shipped_run_id_recomputes_from_its_config():
    with duckdb.connect(str(ROOT / "results" / "hare.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT * FROM runs").df()
    fields = [f for f in CONFIG_FIELDS if f in rows.columns]
    differ = [row["run_id"] for row in rows.to_dict("records")
              if RunConfig.from_dict({f: row[f] for f in fields}).run_id != row["run_id"]]
    assert len(rows) > 0 and differ == []


def test_an_older_store_gets_the_protocol_column_with_the_default(tmp_path):
    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as con:  # a store written before the field existed
        con.execute(RUNS_SCHEMA.replace("protocol VARCHAR,", ""))
        con.execute("INSERT INTO runs (run_id, dataset, model, generator, variant, scale, noise, "
                    "noise_param, user_model, users, seed, n_users, gtp) VALUES ('x', 'adult', "
                    "'ann', 'gs', 'base', 'far', 'none', 0, 'ground_truth', 150, 0, 150, 0.7)")
    assert ResultStore(old).runs()["protocol"].tolist() == ["hare"]  # read as the default
    ResultStore(old).init()
    with duckdb.connect(str(old), read_only=True) as con:
        protocols = con.execute("SELECT DISTINCT protocol FROM runs").fetchall()
    assert protocols == [("hare",)]


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_accepts_the_authors_protocol(preset):
    grid = preset_grid(preset, protocol="authors")
    assert grid and {c.protocol for c in grid} == {"authors"}
    assert {c.seed for c in grid} == {1, 2, 3, 4} and {c.users for c in grid} == {100}


def test_protocol_authors_reaches_the_command_line(tmp_path):
    db = tmp_path / "runs.duckdb"
    assert main(["sweep", "table1", "--protocol", "authors", "--dataset", "compas",
                 "--generator", "gs", "--users", "3", "--seeds", "1", "--workers", "1",
                 "--quiet", "--db", str(db)]) == 0
    runs = ResultStore(db).runs()
    assert set(runs["protocol"]) == {"authors"} and set(runs["seed"]) == {1}
    assert set(runs["variant"]) == {"base", "hare", "multi_hare"}
    assert (runs[runs["variant"] == "hare"]["queries_mean"] <= 30).all()  # invalid ones dropped
