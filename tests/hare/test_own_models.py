"""A person's model file: skops (trusted types only) and ONNX, called on the file's own rows;
pickles and models that do not fit the data refused in one line; generators that follow
gradients run on the fitted stand-in or are refused at set-up."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator, TransformerMixin

from hare.data.own import load_own, read_own_files
from hare.errors import ConfigError, InputError
from hare.generators import make_generator
from hare.generators.base import gradient_refusal
from hare.live.profile import Preferences, profile_from_row, refused_people
from hare.own_models import load_own_model, model_from_bytes
from hare.rng import user_keys
from tests.own_data_files import pipeline, write_files, write_onnx, write_skops


class Doubler(BaseEstimator, TransformerMixin):
    """A transformer of a module HARE does not trust."""

    def fit(self, x, y=None):
        return self

    def transform(self, x):
        return x


class _Marker:
    """Unpickling it would create ``path``: the pickle refusal must never get that far."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own")
    made = write_files(folder)
    own = read_own_files(made.csv, made.spec)
    return folder, made, own, load_own(own, register=False)


@pytest.fixture(scope="module")
def skops_model(files):
    folder, made, own, ds = files
    return load_own_model(write_skops(folder, made.frame), ds, own), pipeline(made.frame)


def test_a_skops_pipeline_answers_as_it_does_on_the_files_rows(files, skops_model):
    _, made, own, ds = files
    model, fitted = skops_model
    with torch.no_grad():
        p = model(ds.x_test).numpy()
    rows = made.frame.iloc[4::5].drop(columns="decision")
    expected = fitted.predict_proba(rows)[:, list(fitted.classes_).index("yes")]
    assert np.array_equal(p, expected)
    assert model.gradient_note() is None and model.agreement >= 0.8


def test_a_skops_file_needing_an_untrusted_type_is_refused_naming_it(files, tmp_path):
    import skops.io as sio
    from sklearn.pipeline import make_pipeline
    from sklearn.linear_model import LogisticRegression
    _, made, own, ds = files
    x = made.frame[["age", "hours", "debt", "plan"]].assign(region=0)
    path = tmp_path / "custom.skops"
    sio.dump(make_pipeline(Doubler(), LogisticRegression()).fit(x, made.frame["decision"]), path)
    with pytest.raises(InputError) as error:
        load_own_model(path, ds, own)
    assert "needs types HARE does not trust" in str(error.value)
    assert "Doubler" in str(error.value) and "\n" not in str(error.value)


def test_a_pickle_is_refused_in_one_line_and_never_loaded(files, tmp_path):
    _, _, own, ds = files
    marker = tmp_path / "loaded"
    for name in ("model.pkl", "model.skops"):  # a pickle by name, and one renamed
        path = tmp_path / name
        path.write_bytes(pickle.dumps(_Marker(marker)))
        with pytest.raises(InputError) as error:
            load_own_model(path, ds, own)
        assert "pickle" in str(error.value) and ".skops" in str(error.value)
        assert "\n" not in str(error.value)
    assert not marker.exists()


def test_models_that_do_not_fit_the_data_are_refused(files, tmp_path):
    import skops.io as sio
    _, made, own, ds = files
    three = made.frame.assign(decision=np.resize(["yes", "no", "later"], len(made.frame)))
    sio.dump(pipeline(three), tmp_path / "three.skops")
    with pytest.raises(InputError, match="not a binary classifier"):
        load_own_model(tmp_path / "three.skops", ds, own)
    fewer = made.frame.drop(columns="age")
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder
    pre = ColumnTransformer([("c", OneHotEncoder(), ["region", "plan"])], remainder="passthrough")
    model = Pipeline([("p", pre), ("g", GradientBoostingClassifier(n_estimators=5))])
    sio.dump(model.fit(fewer.drop(columns="decision"), fewer["decision"]), tmp_path / "few.skops")
    with pytest.raises(InputError, match="do not match the file's features.*age"):
        load_own_model(tmp_path / "few.skops", ds, own)
    with pytest.raises(InputError, match="accepted model files are"):
        model_from_bytes(b"{}", "model.json")


def test_an_onnx_model_on_numbers_answers_as_onnxruntime_does(tmp_path):
    import onnxruntime as ort
    made = write_files(tmp_path)
    numeric = made.frame.drop(columns="region")
    numeric.to_csv(made.csv, index=False)
    made.spec.write_text(made.spec.read_text().replace(
        '[features.region]\nkind = "categorical"\nmutable = false\n', ""))
    own = read_own_files(made.csv, made.spec)
    ds = load_own(own, register=False)
    path = write_onnx(tmp_path, 4)
    model = load_own_model(path, ds, own)
    with torch.no_grad():
        p = model(ds.x_test).numpy()
    rows = numeric.iloc[4::5].drop(columns="decision").to_numpy(dtype=np.float32)
    out = ort.InferenceSession(str(path)).run(None, {"x": rows})[0]
    assert np.allclose(p, out[:, 1], atol=1e-6)  # classes in sorted order: no, yes


def test_an_onnx_model_is_refused_where_a_column_holds_text(files, tmp_path):
    _, _, own, ds = files
    with pytest.raises(InputError, match="ONNX model takes numbers, and column 'region'"):
        load_own_model(write_onnx(tmp_path, 5), ds, own)


def test_gradient_generators_use_the_stand_in_and_the_real_model_decides(files, skops_model):
    _, _, own, ds = files
    model, fitted = skops_model
    found = 0
    for row in refused_people(ds, model)[:5]:
        profile = profile_from_row(ds, row)
        space = Preferences.for_people(ds, profile).action_space(ds)
        x = torch.from_numpy(ds.encoder.encode(pd.DataFrame([profile])))
        wachter = make_generator("wachter", steps=300).fit(ds, model, space, 0)
        r = wachter.generate(x, user_keys(0, torch.arange(1)))
        if bool(torch.isnan(r).any()):
            continue
        found += 1  # whatever it returns, the real model approves
        shown = model.rows(model.shown(r.numpy()))
        assert fitted.predict_proba(shown)[0, list(fitted.classes_).index("yes")] >= 0.5
    assert found >= 1


def test_a_stand_in_that_agrees_too_little_refuses_gradient_generators_at_set_up(files, skops_model):
    _, _, own, ds = files
    model, _ = skops_model
    kept = model.agreement
    model.agreement = 0.6
    try:
        message = gradient_refusal("wachter", model)
        assert "60%" in message and "gs" in message and "\n" not in message
        assert gradient_refusal("gs", model) is None
        with pytest.raises(ConfigError, match="follows the model's gradients"):
            make_generator("clue").fit(ds, model, None, 0)
    finally:
        model.agreement = kept
