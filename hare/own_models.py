"""A person's own classifier: a scikit-learn model saved with skops, or an ONNX file, wrapped
so the engine calls it like the classifiers it trains.

The wrapped model is called on the rows of the person's file in original units (a DataFrame of
the CSV's columns for skops, one float matrix in the spec's column order for ONNX), with every
number at the precision the card shows, so the probability on a card is the model's answer to
the card's own values. Such a model has no gradients: the searches that follow gradients get
them from a differentiable stand-in, a small network fitted to the model's own answers, and
every decision (valid or not, the probability shown) is the real model's, called under
``torch.no_grad()``.

No pickle is ever loaded, and a skops file only when every type it needs is trusted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from hare.data import Dataset
from hare.data.own import OwnData, read_limited
from hare.errors import InputError
from hare.models import (ANN, MODEL_KINDS, Classifier, TrainSettings, _frozen, load_or_train,
                         register_model, train_classifier)
from hare.optim import Adam, ForParameters

MAX_MODEL_BYTES = 50 * 2**20
FORMATS = ".skops (a scikit-learn model saved with skops) or .onnx"
# Module roots whose types a skops file may need: scikit-learn, its numeric stack and Python's
# own containers. Anything else (a custom class, a library HARE does not ship) is refused.
TRUSTED_ROOTS = ("sklearn", "numpy", "scipy", "builtins", "collections", "functools",
                 "operator", "_operator")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".pt", ".pth")
# Below this agreement with the real model, the stand-in's gradients are not worth following:
# the generators that need them are refused.
MIN_AGREEMENT = 0.8
MEMO_ROWS = 200_000  # answers remembered per model, by row as shown


@dataclass(frozen=True)
class ModelFile:
    """A model file as read: its format, bytes and hash."""

    path: Path
    fmt: str  # "skops" or "onnx"
    data: bytes
    sha256: str


def read_model_file(path: str | Path) -> ModelFile:
    """The model file at ``path``, or an InputError (one line) for a pickle or another format."""
    path = Path(path)
    data = read_limited(path, MAX_MODEL_BYTES, "model file")
    return model_from_bytes(data, path.name, path)


def model_from_bytes(data: bytes, name: str, path: Path | None = None) -> ModelFile:
    suffix = Path(name).suffix.lower()
    if suffix in PICKLE_SUFFIXES or data[:1] == b"\x80":
        raise InputError(f"{name} is a pickle, which HARE never loads (loading one runs any code "
                         f"it holds): save the model as {FORMATS}")
    if suffix not in (".skops", ".onnx"):
        raise InputError(f"{name}: accepted model files are {FORMATS}, or --model ann|lr to "
                         "train one")
    if len(data) > MAX_MODEL_BYTES:
        raise InputError(f"model file {name} is over {MAX_MODEL_BYTES // 2**20} MiB")
    return ModelFile(path or Path(name), suffix[1:], data, hashlib.sha256(data).hexdigest())


def _needs(module: str, fmt: str):
    """Import ``module``, or an InputError saying how to install it."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(f"reading a .{fmt} model needs {module.split('.')[0]}: "
                         "pip install 'hare-recourse[own]'") from None


def _load_skops(file: ModelFile):
    sio = _needs("skops.io", "skops")
    try:
        needed = sio.get_untrusted_types(data=file.data)
    except Exception as exc:  # skops raises zipfile, json and its own errors alike
        raise InputError(f"{file.path.name} is not a skops file ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else 'unreadable'})") from None
    refused = [t for t in needed if t.split(".")[0] not in TRUSTED_ROOTS]
    if refused:
        raise InputError(f"{file.path.name} needs types HARE does not trust: "
                         f"{', '.join(sorted(refused))}")
    return sio.loads(file.data, trusted=needed)


class _OnnxPredictor:
    """An ONNX classifier as ``predict_proba`` on a float matrix."""

    def __init__(self, file: ModelFile):
        ort = _needs("onnxruntime", "onnx")
        try:
            self.session = ort.InferenceSession(file.data, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph errors
            raise InputError(f"{file.path.name} is not an ONNX model ({type(exc).__name__})") from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise InputError(f"{file.path.name} takes {len(inputs)} inputs; HARE needs one "
                             "float matrix of the file's feature columns")
        self.input = inputs[0]
        self.n_features_in_ = self.input.shape[-1] if isinstance(self.input.shape[-1], int) else None

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        outputs = self.session.run(None, {self.input.name: np.asarray(x, dtype=np.float32)})
        for out in outputs:
            out = np.asarray(out)
            if out.dtype.kind == "f" and out.ndim >= 1 and out.shape[0] == len(x):
                return out.reshape(len(x), -1).astype(np.float64)
        raise InputError("the ONNX model returns no float probabilities per row")


class OwnModel(Classifier):
    """A person's classifier behind the engine's interface: P(positive) of encoded rows
    (..., d). Without gradients recorded it calls the real model; with them (the searches that
    follow gradients) the stand-in answers."""

    kind = "file"

    def __init__(self, predictor, dataset: Dataset, own: OwnData, fmt: str, sha256: str):
        super().__init__()
        self.predictor, self.dataset, self.fmt, self.sha256 = predictor, dataset, fmt, sha256
        spec = own.spec
        names = getattr(predictor, "feature_names_in_", None)
        self.columns = list(names) if names is not None else list(spec.declared)
        self.frame_input = fmt == "skops" and names is not None
        self.kinds = dict(spec.kinds)
        # per categorical column: the file's own values, in the encoder's order
        self.values = {}
        for column, texts in zip(dataset.spec.categorical, dataset.encoder.categories):
            originals = {str(v): v for v in own.frame[column].unique()}
            self.values[column] = np.asarray([originals[t] for t in texts], dtype=object)
        self.dtypes = own.frame.dtypes.to_dict()
        self.positive_column = 1
        self.stand_in: Classifier | None = None
        self.agreement: float | None = None
        self._memo: dict[bytes, float] = {}

    # -- the real model ------------------------------------------------------------------
    def shown(self, encoded: np.ndarray) -> np.ndarray:
        """(N, d) encoded rows -> (N, d) as the card shows them: numbers in original units at
        display precision, categories by the index of their value (encoded order)."""
        enc, spec = self.dataset.encoder, self.dataset.spec
        out = np.empty(encoded.shape, dtype=np.float64)
        for j in range(len(spec.continuous)):
            value = encoded[:, j] * (enc.maximum[j] - enc.minimum[j] or 1.0) + enc.minimum[j]
            out[:, j] = _as_shown(value, whole=enc.integer[j])
        n_cont = len(spec.continuous)
        for j in range(len(spec.categorical)):
            out[:, n_cont + j] = enc.level(j, encoded[:, n_cont + j])
        return out

    def rows(self, shown: np.ndarray) -> pd.DataFrame:
        """(N, d) rows as shown -> the model's input: the file's columns and types."""
        spec = self.dataset.spec
        out = {}
        for j, column in enumerate(spec.continuous):
            integer = self.kinds[column] == "integer" and self.dtypes[column].kind in "iu"
            out[column] = shown[:, j].astype(np.int64) if integer else shown[:, j]
        n_cont = len(spec.continuous)
        for j, column in enumerate(spec.categorical):
            out[column] = self.values[column][shown[:, n_cont + j].astype(np.int64)]
        frame = pd.DataFrame(out)[self.columns]
        return frame.astype({c: self.dtypes[c] for c in spec.categorical})

    def predict(self, encoded: np.ndarray) -> np.ndarray:
        """(N,) P(positive) from the real model; NaN for a row holding NaN (no point), as a
        torch classifier gives. Rows that read the same on a card are one question to the
        model, asked once (the searches bisect well below display precision)."""
        finite = np.isfinite(encoded).all(axis=1)
        out = np.full(len(encoded), np.nan)
        if not finite.any():
            return out
        shown = np.ascontiguousarray(self.shown(encoded[finite]))
        keys = shown.view(np.dtype((np.void, shown.dtype.itemsize * shown.shape[1]))).ravel()
        unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        answers = np.empty(len(unique))
        todo = []
        for i, key in enumerate(unique):
            known = self._memo.get(key.tobytes())
            if known is None:
                todo.append(i)
            else:
                answers[i] = known
        if todo:
            fresh = self._call(shown[first[todo]])
            answers[todo] = fresh
            if len(self._memo) > MEMO_ROWS:
                self._memo.clear()
            self._memo.update(zip((unique[i].tobytes() for i in todo), fresh.tolist()))
        out[finite] = answers[inverse.ravel()]
        return out

    def _call(self, shown: np.ndarray) -> np.ndarray:
        frame = self.rows(shown)
        if self.frame_input:
            p = self.predictor.predict_proba(frame)
        else:
            p = self.predictor.predict_proba(frame.to_numpy(dtype=np.float64))
        p = np.asarray(p, dtype=np.float64)
        return p[:, self.positive_column] if p.shape[1] > 1 else p[:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() and x.requires_grad:
            return torch.sigmoid(self.logits(x))
        flat = x.detach().reshape(-1, x.shape[-1]).to(torch.float64).numpy()
        return torch.from_numpy(self.predict(flat)).reshape(x.shape[:-1]).to(x.dtype)

    @property
    def name(self) -> str:
        """How a session or a run names it: its format and the start of its file's hash."""
        return f"{self.fmt}-{self.sha256[:12]}"

    def gradient_note(self) -> str | None:
        if self.stand_in is None:
            return "the model has no gradients and no stand-in"
        if self.agreement < MIN_AGREEMENT:
            return (f"the model has no gradients and its stand-in agrees with it on only "
                    f"{self.agreement:.0%} of test rows")
        return None

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() and x.requires_grad:
            if self.stand_in is None:
                raise InputError("this model has no gradients and no stand-in was fitted")
            return self.stand_in.logits(x)
        p = self.forward(x).clamp(1e-9, 1 - 1e-9)
        return torch.log(p) - torch.log1p(-p)


def _as_shown(value: np.ndarray, whole: bool) -> np.ndarray:
    """Numbers at the precision a card prints them (hare.data.encoder's formatting): whole
    numbers; two decimals from 1 to 100; three significant digits below 1."""
    if whole:
        return np.round(value)
    size = np.abs(value)
    digits = np.where(size >= 100, 0, np.where(size >= 1, 2, 2 - np.floor(np.log10(
        np.where(size > 0, size, 1.0)))))
    return np.round(value * 10.0 ** digits) / 10.0 ** digits


def load_own_model(path: str | Path, dataset: Dataset, own: OwnData,
                   stand_in: bool = True) -> OwnModel:
    """The model file at ``path`` checked against the person's data: a binary classifier whose
    classes are the outcome's two values and whose inputs are the file's feature columns."""
    return load_own_model_bytes(read_model_file(path), dataset, own, stand_in)


def load_own_model_bytes(file: ModelFile, dataset: Dataset, own: OwnData,
                         stand_in: bool = True) -> OwnModel:
    name = file.path.name
    predictor = _load_skops(file) if file.fmt == "skops" else _OnnxPredictor(file)
    if not hasattr(predictor, "predict_proba"):
        raise InputError(f"{name} is not a classifier with predict_proba")
    declared = set(own.spec.declared)
    names = getattr(predictor, "feature_names_in_", None)
    if names is not None and set(map(str, names)) != declared:
        missing = sorted(set(map(str, names)) - declared)
        extra = sorted(declared - set(map(str, names)))
        raise InputError(f"{name} takes columns that do not match the file's features"
                         + (f" (it needs {', '.join(missing)})" if missing else "")
                         + (f" (it does not take {', '.join(extra)})" if extra else ""))
    width = getattr(predictor, "n_features_in_", None)
    if names is None and width is not None and width != len(declared):
        raise InputError(f"{name} takes {width} inputs; the file has {len(declared)} features")
    if file.fmt == "onnx":
        text = [c for c in own.spec.declared if not pd.api.types.is_numeric_dtype(own.frame[c])]
        if text:
            raise InputError(f"{name}: an ONNX model takes numbers, and column {text[0]!r} "
                             "holds text")
    model = OwnModel(predictor, dataset, own, file.fmt, file.sha256)
    outcome = own.spec.dataset.target
    classes = getattr(predictor, "classes_", None)
    if classes is not None:
        texts = [str(c).lower() for c in classes]
        if len(texts) != 2:
            raise InputError(f"{name} is not a binary classifier ({len(texts)} classes)")
        if own.spec.positive.lower() not in texts:
            raise InputError(f"{name}'s classes ({', '.join(map(str, classes))}) do not include "
                             f"{outcome} = {own.spec.positive}")
        model.positive_column = texts.index(own.spec.positive.lower())
    else:  # ONNX: the outcome's two values in sorted order, as scikit-learn orders classes
        values = sorted(map(str, own.frame[outcome].unique()))
        model.positive_column = [v.lower() for v in values].index(own.spec.positive.lower())
    try:
        with torch.no_grad():
            p = model(dataset.x_test[:8])
    except InputError:
        raise
    except Exception as exc:  # a model may fail on rows in any of its libraries' ways
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{name} fails on the file's rows ({type(exc).__name__}: {first})") from None
    if p.shape != (min(8, len(dataset.x_test)),) or not bool(((p >= 0) & (p <= 1)).all()):
        raise InputError(f"{name} is not a binary classifier: it does not return one "
                         "probability per row for two classes")
    if stand_in:
        fit_stand_in(model)
    return model


def fit_stand_in(model: OwnModel, steps: int = 400, seed: int = 0) -> float:
    """Fit the differentiable stand-in to the model's answers on the training rows and as many
    points near them; returns (and keeps) its agreement with the model on the test rows."""
    dataset = model.dataset
    generator = torch.Generator().manual_seed(seed)
    x = dataset.x_train
    near = (x + 0.1 * torch.randn(x.shape, generator=generator, dtype=x.dtype)).clamp(0, 1)
    points = torch.cat([x, near])
    with torch.no_grad():
        target = model(points).float()
    torch.manual_seed(seed)
    net = ANN(dataset.n_features)
    # 400 steps of 512 at 1e-2: the agreement 1,500 steps of 256 at 5e-3 reached on the
    # benchmark's pipeline (about 90 %), in a third of the time
    optimizer = ForParameters(net.parameters(), lambda p: Adam(p, 1e-2))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    inputs = points.float()
    for _ in range(steps):
        batch = torch.randint(len(inputs), (min(512, len(inputs)),), generator=generator)
        optimizer.zero_grad()
        loss_fn(net.logits(inputs[batch]), target[batch]).backward()
        optimizer.step()
    model.stand_in = _frozen(net)
    with torch.no_grad():
        real = model(dataset.x_test) >= 0.5
        model.agreement = float(((model.stand_in(dataset.x_test) >= 0.5) == real).double().mean())
    return model.agreement


def own_classifier(own: OwnData, dataset: Dataset, model: str, seed: int = 0,
                   cache: bool = True, register: bool = True) -> tuple[str, Classifier]:
    """(name, classifier) for ``--model`` on a person's data: ``ann`` / ``lr`` trained by HARE
    on the file's training rows (cached per file and spec unless ``cache`` is False), or a model
    file, registered under ``<format>-<hash>`` so a session config can name it."""
    if model in MODEL_KINDS:
        if cache:
            return model, load_or_train(dataset, model, seed).model
        return model, train_classifier(dataset, model, seed, TrainSettings())
    loaded = load_own_model(model, dataset, own)
    name = loaded.name
    if register:
        register_model(name, loaded)
    return name, loaded
