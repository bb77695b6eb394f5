"""The on-disk cache of trained models (classifiers, autoencoders): where entries live, atomic
writes, and loads that survive a damaged file or a cache folder that cannot be written.

An entry is a torch state dict (``.pt``) and a JSON metadata file (``.json``) side by side.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

import torch

T = TypeVar("T")

# What a damaged or foreign file raises while it is read and rebuilt into a model: torch's
# reader (RuntimeError, EOFError, UnpicklingError, BadZipFile), json (ValueError), metadata
# with missing or unexpected fields (KeyError, TypeError), the file system (OSError).
_DAMAGED = (OSError, RuntimeError, EOFError, ValueError, KeyError, TypeError,
            pickle.UnpicklingError, zipfile.BadZipFile)

_unwritable_reported: set[Path] = set()


class CacheWarning(UserWarning):
    """A cache entry that could not be read (it is rebuilt) or written (it is not saved)."""


def cache_dir() -> Path:
    """Where downloaded data and trained models live: ``HARE_CACHE_DIR`` or ``~/.cache/hare``."""
    root = os.environ.get("HARE_CACHE_DIR")
    if root:
        return Path(root).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "hare"


def key_digest(key: Any) -> str:
    """Ten hex digits of the sha256 of ``key``'s sorted JSON: a change of settings, a new entry."""
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class CacheEntry:
    """One cached model: ``<cache>/<folder>/<stem>-<digest>.pt`` and ``.json``."""

    base: Path

    @classmethod
    def for_key(cls, folder: str, stem: str, key: Any) -> "CacheEntry":
        return cls(cache_dir() / folder / f"{stem}-{key_digest(key)}")

    @property
    def weights(self) -> Path:
        return self.base.with_suffix(".pt")

    @property
    def meta(self) -> Path:
        return self.base.with_suffix(".json")

    def load(self, build: Callable[[dict, dict], T]) -> T | None:
        """``build(state_dict, metadata)``, or None when the entry is absent or damaged; a
        damaged entry is reported (a CacheWarning naming the file) so the caller rebuilds it."""
        if not (self.weights.is_file() and self.meta.is_file()):
            return None
        try:
            state = torch.load(self.weights, weights_only=True)
            meta = json.loads(self.meta.read_text())
            return build(state, meta)
        except _DAMAGED as err:
            warnings.warn(f"cache entry {self.weights} cannot be read ({type(err).__name__}: "
                          f"{str(err).splitlines()[0] if str(err) else 'no detail'}); "
                          "rebuilding it", CacheWarning, stacklevel=3)
            return None

    def save(self, state: dict, meta: dict) -> bool:
        """Write both files atomically (temporary names, then rename, so a parallel worker never
        reads half a file). False, reported once per folder, when the folder cannot be written:
        the caller goes on with the model it has."""
        folder = self.base.parent
        tmp_w = self.weights.with_suffix(f".pt.{os.getpid()}")
        tmp_m = self.meta.with_suffix(f".json.{os.getpid()}")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            torch.save(state, tmp_w)
            tmp_m.write_text(json.dumps(meta, indent=1))
            tmp_w.replace(self.weights)
            tmp_m.replace(self.meta)
            return True
        except OSError as err:
            leftovers = []
            for tmp in (tmp_w, tmp_m):
                try:
                    if tmp.exists():
                        tmp.unlink()
                except OSError:
                    leftovers.append(str(tmp))
            if folder not in _unwritable_reported or leftovers:
                _unwritable_reported.add(folder)
                left = f"; could not remove {', '.join(leftovers)}" if leftovers else ""
                warnings.warn(f"cannot write the model cache {folder} ({err.strerror or err}); "
                              f"models trained now are used without being saved{left}",
                              CacheWarning, stacklevel=3)
            return False
