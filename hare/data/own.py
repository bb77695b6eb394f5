"""A person's own data: a CSV file and its TOML spec, checked where they enter and loaded into
the same :class:`Dataset` the paper's datasets use.

Every problem is one line naming it (a file that is not a CSV, a missing or non-binary outcome,
an undeclared or missing column, a value outside its kind, missing values, a file too large).
Every fifth row is held out as the test split: the rows whose refused people are listed and
whose models are measured. The dataset is named by the hash of the file and the spec, so the
models HARE trains on it are cached per content.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from hare.data.encoder import Encoder
from hare.data.loader import Dataset, register_dataset
from hare.data.toml_spec import OwnSpec, draft_spec, parse_spec
from hare.errors import ConfigError, InputError

# A person's dataset in a session or a run: "own-" and the start of its file and spec's hash.
OWN_DATASET_NAME = r"own-[0-9a-f]{12}"
MAX_CSV_BYTES = 20 * 2**20  # a shared server holds a few of these in memory at once
MAX_SPEC_BYTES = 256 * 2**10
MIN_ROWS = 20
TEST_EVERY = 5  # every fifth row is a test row


@dataclass(frozen=True)
class OwnData:
    """A checked file and spec: the frame as read, the spec and the hashes that identify them."""

    frame: pd.DataFrame
    spec: OwnSpec
    data_hash: str  # sha256 of the file's bytes
    spec_hash: str  # sha256 of the spec's text
    source: str  # the file's name, for messages

    @property
    def name(self) -> str:
        """The dataset's name in the engine: stable for the same file and spec."""
        return "own-" + hashlib.sha256((self.data_hash + self.spec_hash).encode()).hexdigest()[:12]

    def summary(self) -> list[str]:
        """What the spec says about the file, a line each, for ``hare data check``."""
        spec, frame = self.spec, self.frame
        y = _labels(frame[spec.dataset.target], spec.positive)
        lines = [f"{self.source}: {len(frame):,} rows, {len(spec.kinds)} features, "
                 f"outcome {spec.dataset.target} = {spec.positive} for {y.mean():.0%} of rows "
                 f"({len(frame) // TEST_EVERY:,} test rows)"]
        for column, kind in spec.kinds:
            fact = spec.dataset.fact(column)
            rule = ("fixed" if column in spec.dataset.immutable else
                    {"up": "only up", "down": "only down"}.get(fact.people, "changeable"))
            if kind == "categorical":
                values = sorted(map(str, frame[column].unique()))
                what = f"{len(values)} values ({', '.join(values[:6])}{', …' if len(values) > 6 else ''})"
            else:
                what = f"{frame[column].min():g} to {frame[column].max():g}"
            lines.append(f"  {column}: {kind}, {what}, {rule}")
        return lines


def read_limited(path: str | Path, limit: int, what: str) -> bytes:
    """The bytes of ``path``, or an InputError when it is missing or over ``limit`` bytes."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {path} not found")
    size = path.stat().st_size
    if size > limit:
        raise InputError(f"{what} {path.name} is {size / 2**20:.1f} MiB; the limit is "
                         f"{limit / 2**20:.0f} MiB")
    return path.read_bytes()


def read_csv(data: bytes, source: str) -> pd.DataFrame:
    """The table in ``data``, or an InputError when it is not a CSV file with a header and rows."""
    if len(data) > MAX_CSV_BYTES:
        raise InputError(f"{source} is {len(data) / 2**20:.1f} MiB; the limit is "
                         f"{MAX_CSV_BYTES / 2**20:.0f} MiB")
    if b"\0" in data[:4096]:
        raise InputError(f"{source} is not a CSV file (it holds binary data)")
    try:
        frame = pd.read_csv(io.BytesIO(data), skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{source} is not a CSV file ({first})") from None
    if frame.shape[1] < 2:
        raise InputError(f"{source} is not a CSV file with a header row and at least two "
                         "comma-separated columns")
    if len(frame) < MIN_ROWS:
        raise InputError(f"{source} has {len(frame)} rows; at least {MIN_ROWS} are needed")
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if unnamed:
        raise InputError(f"{source} has a column without a name (header position "
                         f"{list(frame.columns).index(unnamed[0]) + 1})")
    return frame


def _labels(column: pd.Series, positive: str) -> np.ndarray:
    return (column.astype(str).str.lower() == positive.lower()).to_numpy()


def check_outcome(frame: pd.DataFrame, outcome: str, positive: str, source: str) -> None:
    """InputError unless ``outcome`` is a column with exactly two values, one of them ``positive``."""
    if outcome not in frame.columns:
        raise InputError(f"{source} has no outcome column {outcome!r} "
                         f"(columns: {', '.join(map(str, frame.columns))})")
    values = frame[outcome]
    if values.isna().any():
        raise InputError(f"outcome {outcome!r} has {int(values.isna().sum())} missing values "
                         f"(first at row {int(np.argmax(values.isna().to_numpy())) + 1})")
    distinct = sorted(map(str, values.unique()))
    if len(distinct) != 2:
        raise InputError(f"outcome {outcome!r} must have exactly two values (it has "
                         f"{len(distinct)}: {', '.join(distinct[:5])}{', …' if len(distinct) > 5 else ''})")
    if positive.lower() not in (v.lower() for v in distinct):
        raise InputError(f"positive value {positive!r} is not a value of {outcome!r} "
                         f"(values: {', '.join(distinct)})")


def check_data(frame: pd.DataFrame, spec: OwnSpec, source: str) -> None:
    """InputError (one line) for the first way the frame does not match its spec."""
    target = spec.dataset.target
    check_outcome(frame, target, spec.positive, source)
    columns = [str(c) for c in frame.columns]
    for column in spec.declared:
        if column not in columns:
            raise InputError(f"the spec declares column {column!r}, which {source} lacks "
                             f"(columns: {', '.join(columns)})")
    for column in columns:
        if column != target and column not in spec.declared:
            raise InputError(f"column {column!r} of {source} is not declared in the spec: add "
                             f"[features.{column}] with its kind, or drop the column")
    for column, kind in spec.kinds:
        values = frame[column]
        if values.isna().any():
            row = int(np.argmax(values.isna().to_numpy())) + 1
            raise InputError(f"column {column!r} has {int(values.isna().sum())} missing values "
                             f"(first at data row {row}): fill or drop them")
        if kind == "categorical":
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.isna().any() or pd.api.types.is_bool_dtype(values):
            row = int(np.argmax(numbers.isna().to_numpy())) if numbers.isna().any() else 0
            raise InputError(f"column {column!r} is declared {kind} but holds "
                             f"{str(values.iloc[row])!r} (data row {row + 1})")
        if not np.isfinite(numbers.to_numpy(dtype=float)).all():
            raise InputError(f"column {column!r} holds an infinite value")
        if kind == "integer":
            fraction = np.mod(numbers.to_numpy(dtype=float), 1) != 0
            if fraction.any():
                row = int(np.argmax(fraction))
                raise InputError(f"column {column!r} is declared integer but holds "
                                 f"{values.iloc[row]} (data row {row + 1})")


def read_own(data: bytes, spec_text: str, source: str = "the data file") -> OwnData:
    """A checked file and spec from their contents (what the app's uploads hold)."""
    if len(spec_text.encode()) > MAX_SPEC_BYTES:
        raise InputError(f"the spec is over {MAX_SPEC_BYTES // 2**10} KiB")
    frame = read_csv(data, source)
    spec = parse_spec(spec_text)
    check_data(frame, spec, source)
    return OwnData(frame, spec, hashlib.sha256(data).hexdigest(),
                   hashlib.sha256(spec_text.encode()).hexdigest(), source)


def check_own_options(args) -> bool:
    """Whether a command's ``--data``/``--spec`` name a person's own data (both faces'
    commands): one-line errors for one without the other, and for ``--dataset`` given beside
    them (which they replace)."""
    if args.data is None and args.spec is None:
        return False
    if args.data is None or args.spec is None:
        raise ConfigError("--data and --spec go together (write a spec with hare data init)")
    if "dataset" in getattr(args, "given", frozenset()):
        raise ConfigError("--data replaces --dataset; give one of them")
    return True


def read_own_files(csv: str | Path, spec: str | Path) -> OwnData:
    """A checked file and spec from their paths (the command line)."""
    data = read_limited(csv, MAX_CSV_BYTES, "data file")
    text = read_limited(spec, MAX_SPEC_BYTES, "spec")
    try:
        spec_text = text.decode()
    except UnicodeDecodeError:
        raise InputError(f"spec {Path(spec).name} is not a text file") from None
    return read_own(data, spec_text, Path(csv).name)


def draft_from_file(data: bytes, outcome: str, positive: str, source: str) -> str:
    """The draft spec (TOML text) of a file: its outcome checked first."""
    frame = read_csv(data, source)
    check_outcome(frame, outcome, positive, source)
    return draft_spec(frame, outcome, positive, Path(source).stem.replace("_", " "))


def load_own(own: OwnData, register: bool = True) -> Dataset:
    """The engine's Dataset for a checked file and spec; ``register``: under ``own.name``, so
    the engine's faces find it by name for the rest of the process (the command line; the app
    keeps a person's data in their session only)."""
    spec = own.spec
    dataset_spec = replace(spec.dataset, name=own.name)
    frame = own.frame.copy()
    for column in dataset_spec.categorical:
        frame[column] = frame[column].astype(str)
    integer = tuple(spec.kind(c) == "integer" for c in dataset_spec.continuous)
    encoder = Encoder.fit(dataset_spec, frame, multi=True, integer=integer)
    y = _labels(own.frame[dataset_spec.target], spec.positive).astype(np.float64)
    x = encoder.encode(frame)
    test = (np.arange(len(frame)) % TEST_EVERY) == TEST_EVERY - 1
    dataset = Dataset(
        dataset_spec, encoder,
        frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True),
        torch.from_numpy(x[~test]), torch.from_numpy(y[~test]),
        torch.from_numpy(x[test]), torch.from_numpy(y[test]), own.data_hash)
    if register:
        register_dataset(dataset)
    return dataset
