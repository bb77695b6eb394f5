"""The model cache (hare.cache): a damaged entry is reported and rebuilt, a cache folder that
cannot be written still serves what it holds and says once that it cannot save."""

import os
import warnings

import pytest
import torch

from hare.cache import CacheWarning
from hare.generators.autoencoders import VAESettings, load_or_train_vae
from hare.models import TrainSettings, load_or_train

QUICK = TrainSettings(epochs=1, min_steps=1)  # a classifier in well under a second


def same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_truncated_classifier_is_reported_and_rebuilt(compas, tmp_path, monkeypatch):
    monkeypatch.setenv("HARE_CACHE_DIR", str(tmp_path))
    first = load_or_train(compas, "ann", 0, QUICK)
    (weights,) = (tmp_path / "models").glob("*.pt")
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.warns(CacheWarning, match=weights.name):
        rebuilt = load_or_train(compas, "ann", 0, QUICK)
    assert not rebuilt.from_cache and same_weights(rebuilt.model, first.model)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)  # the rebuilt entry loads cleanly
        again = load_or_train(compas, "ann", 0, QUICK)
    assert again.from_cache and same_weights(again.model, first.model)


def test_corrupt_autoencoder_metadata_is_reported_and_rebuilt(compas, tmp_path, monkeypatch):
    monkeypatch.setenv("HARE_CACHE_DIR", str(tmp_path))
    settings = VAESettings(hidden=(8,), latent=2, epochs=1)
    first = load_or_train_vae(compas, 0, settings)
    (meta,) = (tmp_path / "generative").glob("*.json")
    meta.write_text('{"losses": [')
    with pytest.warns(CacheWarning, match=meta.stem):
        rebuilt = load_or_train_vae(compas, 0, settings)
    assert not rebuilt.from_cache and same_weights(rebuilt.model, first.model)


def unwritable_cache(tmp_path):
    """A cache folder nothing can be written into: chmod for a normal user; for root, whom
    chmod does not stop, a folder under a regular file."""
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        return blocker / "cache", lambda: None
    return folder, lambda: folder.chmod(0o755)


def test_unwritable_cache_still_trains_and_says_so_once(compas, tmp_path, monkeypatch):
    folder, restore = unwritable_cache(tmp_path)
    monkeypatch.setenv("HARE_CACHE_DIR", str(folder))
    try:
        with pytest.warns(CacheWarning, match="cannot write") as caught:
            first = load_or_train(compas, "ann", 0, QUICK)
            second = load_or_train(compas, "ann", 1, QUICK)
        assert sum("cannot write" in str(w.message) for w in caught) == 1
        assert not first.from_cache and not second.from_cache
        with torch.no_grad():
            assert first.model(compas.x_test[:5]).shape == (5,)
    finally:
        restore()


def test_read_only_cache_serves_what_it_holds(compas, tmp_path, monkeypatch):
    monkeypatch.setenv("HARE_CACHE_DIR", str(tmp_path))
    first = load_or_train(compas, "ann", 0, QUICK)
    models = tmp_path / "models"
    models.chmod(0o555)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", CacheWarning)
            again = load_or_train(compas, "ann", 0, QUICK)
        assert again.from_cache and same_weights(again.model, first.model)
    finally:
        models.chmod(0o755)


def test_autoencoder_stops_when_its_loss_stops_falling(compas, tmp_path, monkeypatch):
    """early_stop_epochs ends training after that many epochs without a gain of
    early_stop_tol; epochs stays the ceiling, and the losses record the epochs run."""
    monkeypatch.setenv("HARE_CACHE_DIR", str(tmp_path))
    small = dict(hidden=(8,), latent=2, epochs=6)
    full = load_or_train_vae(compas, 0, VAESettings(**small))
    # a 90 % gain a epoch is never reached: the first epoch sets the best, the next two miss
    stopped = load_or_train_vae(compas, 0, VAESettings(**small, early_stop_epochs=2,
                                                       early_stop_tol=0.9))
    never = load_or_train_vae(compas, 0, VAESettings(**small, early_stop_epochs=2,
                                                     early_stop_tol=0.0))
    assert len(full.losses) == 6 and len(stopped.losses) == 3
    assert stopped.losses == full.losses[:3]  # the same training, cut short
    # with no tolerance, training stops at the second epoch in a row without a new best
    best, stale, expected = float("inf"), 0, len(full.losses)
    for epoch, loss in enumerate(full.losses, 1):
        best, stale = (loss, 0) if loss < best else (best, stale + 1)
        if stale == 2:
            expected = epoch
            break
    assert never.losses == full.losses[:expected]


def test_autoencoder_cache_key_without_early_stop_is_unchanged(compas, tmp_path, monkeypatch):
    """A VAE that trains every epoch keeps the cache key it had before early stopping existed
    (the shipped demo files are found by it); one that stops early gets its own."""
    from dataclasses import asdict
    from hare.generators.autoencoders import _key_settings
    legacy = {k: v for k, v in asdict(VAESettings()).items() if not k.startswith("early_stop")}
    assert _key_settings(VAESettings()) == legacy
    assert _key_settings(VAESettings(early_stop_epochs=3))["early_stop_epochs"] == 3


def test_bad_early_stop_settings_are_refused():
    from hare.errors import ConfigError
    with pytest.raises(ConfigError, match="early_stop_epochs"):
        VAESettings(early_stop_epochs=0)
    with pytest.raises(ConfigError, match="early_stop_tol"):
        VAESettings(early_stop_tol=1.5)
