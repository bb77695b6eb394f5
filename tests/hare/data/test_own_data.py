"""A person's own data: the TOML spec, the draft from a file, loading, and every bad input as
one line naming it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hare.actions import ActionSpace
from hare.data.own import draft_from_file, load_own, read_own
from hare.data.toml_spec import parse_spec
from hare.errors import InputError
from tests.own_data_files import SPEC, make_table


@pytest.fixture(scope="module")
def table():
    return make_table(200)


@pytest.fixture(scope="module")
def data(table) -> bytes:
    return table.to_csv(index=False).encode()


def test_spec_declares_kinds_rules_and_limits_in_the_engines_spec():
    own = parse_spec(SPEC)
    spec = own.dataset
    assert spec.target == "decision" and own.positive == "yes"
    assert spec.continuous == ("age", "hours", "debt")
    assert spec.categorical == ("region", "plan")
    assert spec.immutable == ("age", "region")
    assert spec.fact("hours").people == "up" and spec.fact("debt").people == "down"
    assert spec.fact("hours").span == (0.0, 60.0) and spec.fact("hours").unit == "hours a week"
    assert spec.fact("debt").money and spec.title == "Benefit claims"


def test_the_draft_reads_kinds_from_the_data_and_passes_its_own_check(data):
    draft = draft_from_file(data, "decision", "yes", "claims.csv")
    own = read_own(data, draft, "claims.csv")
    assert own.spec.kind("region") == "categorical"
    assert own.spec.kind("age") == "integer" and own.spec.kind("hours") == "continuous"
    assert own.spec.dataset.immutable == ()  # every feature changeable until the person says so


def test_loading_encodes_each_category_as_one_column_and_decodes_back(table, data):
    own = read_own(data, SPEC, "claims.csv")
    ds = load_own(own, register=False)
    assert ds.name == own.name and ds.name.startswith("own-")
    assert ds.encoder.categories == (("north", "south", "west"), ("0", "1", "2"))
    assert len(ds.x_test) == len(table) // 5 and ds.data_sha256 == own.data_hash
    back = ds.encoder.decode(ds.x_test.numpy())
    test = table.iloc[4::5].reset_index(drop=True)
    assert np.allclose(back["hours"], test["hours"])
    assert list(back["plan"]) == [str(v) for v in test["plan"]]
    assert ((ds.y_test == 1).numpy() == (test["decision"] == "yes").to_numpy()).all()


def test_a_category_of_three_values_projects_onto_one_of_them(data):
    ds = load_own(read_own(data, SPEC, "claims.csv"), register=False)
    space = ActionSpace.for_dataset(ds)
    plan = ds.feature_names.index("plan")
    x = ds.x_test[:1]
    r = x.clone()
    r[0, plan] = 0.4  # between "1" (0.5) and "0"
    projected = space.project(x, r)
    assert float(projected[0, plan]) == 0.5
    assert bool(space.is_actionable(x, projected)[0])
    assert not bool(space.is_actionable(x, r)[0])


def _replace(data: bytes, old: str, new: str) -> bytes:
    return data.decode().replace(old, new, 1).encode()


@pytest.mark.parametrize("change,spec,message", [
    (lambda d: b"\x00\x01binary" * 10, SPEC, "is not a CSV file"),
    (lambda d: b"just one column\n1\n2\n", SPEC, "is not a CSV file"),
    (lambda d: _replace(d, "decision", "verdict"), SPEC, "has no outcome column 'decision'"),
    (lambda d: _replace(d, ",yes\n", ",maybe\n"), SPEC, "must have exactly two values"),
    (lambda d: d, SPEC + "[features.income]\nkind = \"continuous\"\n", "the spec declares column 'income'"),
    (lambda d: d, SPEC.replace("[features.plan]\nkind = \"categorical\"   # integer codes 0, 1, 2\n", ""),
     "column 'plan' of claims.csv is not declared"),
    (lambda d: d, SPEC.replace('[features.region]\nkind = "categorical"',
                               '[features.region]\nkind = "continuous"'),
     "column 'region' is declared continuous but holds"),
    (lambda d: _replace(d, ",north,", ",,"), SPEC, "missing values"),
    (lambda d: d, SPEC.replace('kind = "integer"', 'kind = "number"'), "kind must be one of"),
    (lambda d: d, SPEC + "colour = 1\n", "unknown key"),
    (lambda d: d, SPEC.replace('positive = "yes"', 'positive = "approved"'),
     "positive value 'approved' is not a value of 'decision'"),
    (lambda d: d, "outcome = [", "not valid TOML"),
])
def test_bad_input_is_one_line_naming_the_problem(data, change, spec, message):
    with pytest.raises(InputError) as error:
        read_own(change(data), spec, "claims.csv")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_whole_number_column_holding_a_fraction_is_refused(data):
    bad = data.decode().splitlines()
    head, first = bad[0], bad[1].split(",")
    first[0] = "30.5"
    text = "\n".join([head, ",".join(first), *bad[2:]]).encode()
    with pytest.raises(InputError, match="declared integer but holds 30.5"):
        read_own(text, SPEC, "claims.csv")


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(data, monkeypatch):
    import hare.data.own as own
    monkeypatch.setattr(own, "MAX_CSV_BYTES", 1000)
    with pytest.raises(InputError, match="the limit is"):
        own.read_own(data, SPEC, "claims.csv")


def test_the_paper_datasets_keep_their_binary_encoding(compas):
    space = ActionSpace.for_dataset(compas)
    assert space.steps is None
    assert all(len(values) == 2 for values in compas.encoder.categories)
    assert torch.equal(compas.category_steps, torch.ones(compas.n_features, dtype=torch.float64))
