"""Finding the dataset files: ``HARE_DATA_DIR``, then the user cache, then a one-time download.

Every file is checked against the sha256 that CARLA's published copy has, wherever it came from,
so a truncated or edited file is refused with a clear message instead of silently skewing results.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from functools import lru_cache
from pathlib import Path

from hare.cache import cache_dir
from hare.errors import DataFileError

DATA_URL = "https://raw.githubusercontent.com/carla-recourse/cf-data/main/{file}"

# sha256 of CARLA's processed tables (the same values as shared/data/SHA256SUMS).
SHA256: dict[str, str] = {
    "adult.csv": "e98ef37848b34919802d9e110718dd02ccbc8ec0369677f92bb1fd40b71eccdc",
    "adult_test.csv": "5fa0554e72173473f4f826ed28daec5f2ce76c3af7a9f1cb6fe3a806f87b6b6b",
    "adult_train.csv": "949236c2502a3daa4b660ba35093ee133e1d152f865a5323768b0b7a50a8e292",
    "compas.csv": "e99430e4bdeebc858ba22726be3c3924c8435e6c890e2ae7f52d0411a3cc0516",
    "compas_test.csv": "6849f34e0edad380bfa3b62c5a947bd0a9122cc639496e3048f04c6c674127eb",
    "compas_train.csv": "d9cab073348a902bc09e4e0792f2b73aab1c6e419db1da655bbad978f33b80cf",
    "give_me_some_credit.csv": "a79d610d1d3e1e8ee1906185cd958c671391fe4866a02f79c148ac6685a6dcb0",
    "give_me_some_credit_test.csv": "3654b651e0bc5ce46c7ef3f807974a6e91c6669c8f5f0b5348556179d1f6df5e",
    "give_me_some_credit_train.csv": "9aa26fb182edc4b665c37ec26219ff02a5b3496e1082d441b2f67c1dd7774f89",
}


def _sha256(path: Path) -> str:
    stat = path.stat()
    return _sha256_cached(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check(path: Path, filename: str) -> Path:
    expected = SHA256.get(filename)
    if expected is not None:
        actual = _sha256(path)
        if actual != expected:
            raise DataFileError(
                f"data file {path} does not match its checksum (sha256 {actual[:12]}…, expected "
                f"{expected[:12]}…): replace it with CARLA's copy from {DATA_URL.format(file=filename)}"
            )
    return path


def _candidates(filename: str) -> list[Path]:
    paths = []
    data_dir = os.environ.get("HARE_DATA_DIR")
    if data_dir:
        root = Path(data_dir).expanduser()
        paths += [root / "carla" / filename, root / filename]
    paths.append(cache_dir() / "data" / filename)
    return paths


def resolve_data_file(filename: str, download: bool = True) -> Path:
    """Path of a checked copy of ``filename`` (e.g. ``adult_train.csv``).

    Looks in ``$HARE_DATA_DIR/carla/``, ``$HARE_DATA_DIR/``, then the cache; downloads into the
    cache once if allowed. Raises DataFileError naming the file, its URL and ``HARE_DATA_DIR``.
    """
    for path in _candidates(filename):
        if path.is_file():
            return _check(path, filename)
    url = DATA_URL.format(file=filename)
    where = os.environ.get("HARE_DATA_DIR") or "unset"
    if not download:
        raise DataFileError(
            f"data file {filename} not found (HARE_DATA_DIR={where}); set HARE_DATA_DIR to a folder "
            f"holding it or download it from {url}"
        )
    target = cache_dir() / "data" / filename
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise DataFileError(
            f"data file {filename} not found (HARE_DATA_DIR={where}) and downloading it from {url} "
            f"failed ({exc}); set HARE_DATA_DIR to a folder holding the file"
        ) from exc
    try:
        _check(partial, filename)
    except DataFileError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return target
