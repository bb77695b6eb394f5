"""The demo's trained files (classifiers and generative models for seed 0), shipped in
``hare/live/demo_models`` with a SHA256SUMS file, so a fresh server asks its first question
without training; each file is checked and copied into the cache, never trained on a click.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from pathlib import Path

from hare.data import cache_dir

SHIPPED = Path(__file__).resolve().parent / "demo_models"
SUMS = "SHA256SUMS"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shipped_files() -> dict[str, str]:
    """{path relative to the cache (models/…, generative/…): sha256} as listed in SHA256SUMS."""
    listing = SHIPPED / SUMS
    if not listing.is_file():
        return {}
    out = {}
    for line in listing.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            out[name.strip()] = digest
    return out


def damaged_datasets(names: list[str]) -> list[str]:
    """The datasets whose shipped files ``names`` (models/…, generative/…) belong to."""
    return sorted({Path(name).name.split("-", 1)[0] for name in names})


def install_shipped_models(target: Path | None = None,
                           damaged: list[str] | None = None) -> list[str]:
    """Copy every shipped file whose checksum matches into the cache (``target``, default
    hare.data.cache_dir()) where it is missing. Returns the files installed; a file that is
    missing or whose checksum does not match is not used, with a warning, and its name is
    added to ``damaged`` (hare.live.startup rebuilds those before any visitor asks)."""
    target = target or cache_dir()
    installed = []
    for name, digest in shipped_files().items():
        dest = target / name
        if dest.is_file():
            continue
        source = SHIPPED / name
        if not source.is_file() or _sha256(source) != digest:
            warnings.warn(f"shipped model file {name} is missing or fails its checksum; "
                          "it is trained instead", stacklevel=2)
            if damaged is not None:
                damaged.append(name)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(dest.suffix + f".{os.getpid()}")
        shutil.copyfile(source, tmp)
        tmp.replace(dest)  # atomic: a parallel reader never sees half a file
        installed.append(name)
    return installed
