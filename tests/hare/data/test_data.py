"""Datasets: encoding round trips, schema, validation, and data-file resolution errors."""

import hashlib
import shutil

import numpy as np
import pandas as pd
import pytest
import urllib.error

from hare.data import files, load_dataset
from hare.errors import DataFileError, InputError


@pytest.mark.parametrize("name", ["adult", "compas", "credit"])
def test_encode_decode_round_trips_to_original_values(name):
    ds = load_dataset(name)
    raw = ds.test[list(ds.spec.features)].head(500)
    back = ds.encoder.decode(ds.x_test[:500].numpy())
    for column in ds.spec.continuous:
        np.testing.assert_allclose(back[column].to_numpy(), raw[column].astype(float).to_numpy(),
                                   rtol=1e-9, atol=1e-9)
    for column in ds.spec.categorical:
        assert (back[column].to_numpy() == raw[column].astype(str).to_numpy()).all()


@pytest.mark.parametrize("name,rate", [("adult", 0.24), ("compas", 0.81), ("credit", 0.93)])
def test_schema_split_and_target_orientation(name, rate):
    ds = load_dataset(name)
    assert ds.x_train.shape[1] == ds.x_test.shape[1] == len(ds.spec.features)
    assert float(ds.x_train.min()) >= 0.0 and float(ds.x_train.max()) <= 1.0
    positive = float(np.concatenate([ds.y_train.numpy(), ds.y_test.numpy()]).mean())
    assert abs(positive - rate) < 0.02
    assert int(ds.immutable_mask.sum()) == len(ds.spec.immutable)
    binary_columns = ds.x_train[:, ds.binary_mask]
    assert ((binary_columns == 0) | (binary_columns == 1)).all()


def test_encoder_names_each_bad_field(adult):
    row = adult.test[list(adult.spec.features)].head(1).copy()
    row["age"] = 500
    row["sex"] = "Unknown"
    with pytest.raises(InputError) as err:
        adult.encoder.encode(row)
    assert "age must be between 17 and 90" in str(err.value)
    assert "sex must be one of Female, Male" in str(err.value)
    with pytest.raises(InputError, match="missing column 'workclass'"):
        adult.encoder.encode(row.drop(columns=["workclass"]))


def test_display_format_in_original_units(adult):
    assert adult.encoder.format_value("capital-gain", 5200.0) == "5,200"
    assert adult.encoder.format_value("workclass", "Private") == "Private"


def test_missing_file_offline_names_file_url_and_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HARE_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("HARE_CACHE_DIR", str(tmp_path / "cache"))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(files.urllib.request, "urlopen", offline)
    with pytest.raises(DataFileError) as err:
        files.resolve_data_file("compas_train.csv")
    message = str(err.value)
    assert "compas_train.csv" in message and "HARE_DATA_DIR" in message
    assert "https://raw.githubusercontent.com/carla-recourse/cf-data/main/compas_train.csv" in message
    assert not (tmp_path / "cache" / "data" / "compas_train.csv").exists()


def test_checksum_mismatch_is_refused(tmp_path, monkeypatch):
    source = files.resolve_data_file("compas_test.csv")
    (tmp_path / "carla").mkdir()
    bad = tmp_path / "carla" / "compas_test.csv"
    shutil.copy(source, bad)
    with open(bad, "a") as handle:
        handle.write("34,1,M,Other,Male,3,2,1\n")
    monkeypatch.setenv("HARE_DATA_DIR", str(tmp_path))
    with pytest.raises(DataFileError, match="does not match its checksum"):
        files.resolve_data_file("compas_test.csv")


def test_cached_download_is_used_and_checked(tmp_path, monkeypatch):
    """A file in the cache (as left by a download) is found when HARE_DATA_DIR lacks it."""
    source = files.resolve_data_file("compas_test.csv")
    monkeypatch.setenv("HARE_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("HARE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache" / "data").mkdir(parents=True)
    shutil.copy(source, tmp_path / "cache" / "data" / "compas_test.csv")
    found = files.resolve_data_file("compas_test.csv", download=False)
    assert hashlib.sha256(found.read_bytes()).hexdigest() == files.SHA256["compas_test.csv"]


def test_download_writes_checked_file_into_cache(tmp_path, monkeypatch):
    source = files.resolve_data_file("compas_test.csv")
    monkeypatch.setenv("HARE_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("HARE_CACHE_DIR", str(tmp_path / "cache"))
    requested = []

    def fake_urlopen(url, timeout):
        requested.append(url)
        return open(source, "rb")

    monkeypatch.setattr(files.urllib.request, "urlopen", fake_urlopen)
    path = files.resolve_data_file("compas_test.csv")
    assert requested == [files.DATA_URL.format(file="compas_test.csv")]
    assert path == tmp_path / "cache" / "data" / "compas_test.csv"
    pd.testing.assert_frame_equal(pd.read_csv(path), pd.read_csv(source))


def test_snap_whole_moves_whole_number_features_away_from_the_factual(adult):
    enc = adult.encoder
    cols = list(adult.spec.features)
    row = adult.test[cols].head(1).copy()
    row["education-num"], row["hours-per-week"], row["capital-gain"] = 6, 40, 0
    x = enc.encode(row)
    target = row.copy()
    target["education-num"], target["hours-per-week"], target["capital-gain"] = 14.45, 37.2, 5200.0000001
    snapped = enc.decode(enc.snap_whole(x, enc.encode(target))).iloc[0]
    assert snapped["education-num"] == pytest.approx(15)   # raised: up to the next whole year
    assert snapped["hours-per-week"] == pytest.approx(37)  # lowered: down
    assert snapped["capital-gain"] == pytest.approx(5200)  # float noise is not a change
    assert snapped["age"] == pytest.approx(row["age"].iloc[0])
