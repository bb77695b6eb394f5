"""The live page's "your own data" part: upload a CSV and its spec (or accept a draft), then a
model file or "train one", pick a refused person and answer the questions to a card.

Everything a person uploads lives in their browser session's state only: nothing is written to
the server, and the process keeps no registry of it, unless they opt in to keeping the model
HARE trains on their data (the model cache). The same checks as the command line apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import streamlit as st
import torch

from hare.data import Dataset
from hare.data.own import (MAX_CSV_BYTES, OwnData, draft_from_file, load_own, read_csv,
                           read_own)
from hare.errors import HareError
from hare.generators import generator_names
from hare.live.formatting import format_value, generator_label, label
from hare.live.profile import Preferences, encode_profile, profile_from_row, refused_people
from hare.live.run import LiveRun, make_live_generator, start_live_run
from hare.live.setup import SessionConfig
from hare.models import Classifier
from hare.own_models import MAX_MODEL_BYTES, load_own_model_bytes, model_from_bytes, own_classifier
from hare_app.live_view import header, show_card, show_question

TRAIN, UPLOAD = "Train one on my data (a neural network)", "Upload my model (.skops or .onnx)"


@dataclass(frozen=True)
class Prepared:
    """A person's checked data, its dataset and the model, for the uploads they came from."""

    signature: tuple
    own: OwnData
    dataset: Dataset
    model: Classifier
    model_name: str


def own_data_page(key) -> None:
    """Draw the whole "your own data" flow; ``key`` makes the page's widget keys."""
    st.title("Your own data and model")
    st.caption("Upload a table, say what its columns are, and bring the model that decides "
               "(or let HARE train one). What you upload stays in this browser session: "
               "nothing is stored on the server unless you ask for it below.")
    csv = st.file_uploader(f"1. Your data (CSV, at most {MAX_CSV_BYTES // 2**20} MiB)",
                           type=["csv"], key=key("own", "csv"))
    if csv is None:
        st.info("Upload a CSV file with a header row: one column the model predicts, the "
                "others its features.")
        return
    data = csv.getvalue()
    spec_file = st.file_uploader("2. Its spec (TOML), or none to start from a draft",
                                 type=["toml"], key=key("own", "spec"))
    try:
        spec_text = _spec_text(data, csv.name, spec_file, key)
        if spec_text is None:
            return
        own = read_own(data, spec_text, csv.name)
    except (HareError, UnicodeDecodeError) as exc:
        st.error(_one_line(exc))
        return
    with st.expander(f"What the spec says about {csv.name}"):
        st.text("\n".join(own.summary()))
    choice = st.radio("3. The model", [TRAIN, UPLOAD], key=key("own", "model_choice"))
    upload = None
    if choice == UPLOAD:
        upload = st.file_uploader(f"Your model (.skops or .onnx, at most "
                                  f"{MAX_MODEL_BYTES // 2**20} MiB; a pickle is never loaded)",
                                  key=key("own", "model"))
        if upload is None:
            st.info("Upload a scikit-learn model saved with skops, or an ONNX file.")
            return
    keep = st.checkbox("Keep the model HARE trains on my data on this server, so a later visit "
                       "with the same file starts faster", key=key("own", "keep"),
                       disabled=choice == UPLOAD)
    try:
        prepared = _prepared(own, upload, keep, key)
    except HareError as exc:
        st.error(_one_line(exc))
        return
    model = prepared.model
    if getattr(model, "agreement", None) is not None:
        st.caption(f"Your model has no gradients: the searches that follow them use a stand-in "
                   f"fitted to its answers, which agrees with it on {model.agreement:.0%} of the "
                   "test rows. Every option shown is checked with your model itself.")
    _person_and_session(prepared, key)


def _one_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _spec_text(data: bytes, name: str, spec_file, key) -> str | None:
    """The uploaded spec's text, or the draft for the outcome the person picks."""
    if spec_file is not None:
        return spec_file.getvalue().decode("utf-8")
    frame = read_csv(data, name)
    columns = [str(c) for c in frame.columns]
    outcome = st.selectbox("The column the model predicts", columns, index=len(columns) - 1,
                           key=key("own", "outcome"))
    values = sorted(map(str, frame[outcome].unique()))
    if len(values) > 20:
        st.error(f"outcome {outcome!r} must have exactly two values (it has {len(values)})")
        return None
    positive = st.selectbox("The value a person wants", values, key=key("own", "positive"))
    draft = draft_from_file(data, outcome, positive, name)
    with st.expander("The draft spec: every feature changeable in either direction. Download, "
                     "edit (what cannot change, directions, limits) and upload it."):
        st.code(draft, language="toml")
        st.download_button("Download the draft", draft, file_name=name.rsplit(".", 1)[0] + ".toml",
                           key=key("own", "draft"))
    return draft


def _prepared(own: OwnData, upload, keep: bool, key) -> Prepared:
    """The dataset and model for these uploads, built once per session and upload."""
    model_bytes = upload.getvalue() if upload is not None else b""
    signature = (own.data_hash, own.spec_hash, upload.name if upload else "train",
                 hash(model_bytes), keep)
    held = st.session_state.get(key("own", "prepared"))
    if held is not None and held.signature == signature:
        return held
    st.session_state.pop(key("own", "run"), None)
    dataset = load_own(own, register=False)
    with st.spinner("Loading your model…" if upload else "Training a model on your data…"):
        if upload is not None:
            model = load_own_model_bytes(model_from_bytes(model_bytes, upload.name), dataset, own)
            name = model.name
        else:
            name, model = own_classifier(own, dataset, "ann", cache=keep, register=False)
    prepared = Prepared(signature, own, dataset, model, name)
    st.session_state[key("own", "prepared")] = prepared
    return prepared


def _person_and_session(prepared: Prepared, key) -> None:
    ds, model = prepared.dataset, prepared.model
    refused = refused_people(ds, model)
    if not refused:
        st.info("The model refuses none of the test rows (every fifth row of the file).")
        return
    asked = [c for c in ds.feature_names if ds.spec.fact(c).ask]

    def describe(i: int) -> str:
        row = profile_from_row(ds, refused[i])
        return f"#{i}: " + "; ".join(f"{label(ds, c)} {format_value(ds, c, row[c])}" for c in asked)

    chosen = st.selectbox(f"4. Who ({len(refused)} refused test rows)", range(len(refused)),
                          format_func=describe, key=key("own", "person"))
    names = [n for n in generator_names() if not make_live_generator(n).needs_gradients
             or model.gradient_note() is None]
    generator = st.selectbox("How the first option is found", names, format_func=generator_label,
                             index=names.index("gs") if "gs" in names else 0,
                             key=key("own", "generator"))
    run: LiveRun | None = st.session_state.get(key("own", "run"))
    words = ds.spec.outcome
    profile = profile_from_row(ds, refused[chosen])
    x = encode_profile(ds, profile)
    with torch.no_grad():
        p_now = float(model(x)[0])
    header(run, p_now, words)
    st.button("Find my recourse", type="primary", key=key("own", "start"), on_click=_start,
              args=(prepared, refused[chosen], generator, key))
    if st.session_state.get(key("own", "error")):
        st.error(st.session_state[key("own", "error")])
    if run is None or run.test_row != refused[chosen]:
        return
    if run.failed:
        st.warning(run.no_recourse_reason())
    elif not run.done:
        show_question(run, words, partial(_answer, run), lambda *parts: key("own", *parts))
    else:
        show_card(run, words)


def _start(prepared: Prepared, row: int, generator: str, key) -> None:
    """A session for test row ``row`` under the spec's rules for people."""
    ds, model = prepared.dataset, prepared.model
    st.session_state[key("own", "error")] = ""
    try:
        config = SessionConfig(dataset=ds.name, model=prepared.model_name, generator=generator,
                               seed=int(st.session_state.get(key("seed")) or 0))
        profile = profile_from_row(ds, row)
        preferences = Preferences.for_people(ds, profile)
        fitted = make_live_generator(generator).fit(ds, model, preferences.action_space(ds),
                                                    config.model_seed)
        st.session_state[key("own", "run")] = start_live_run(
            config, ds, model, fitted, encode_profile(ds, profile), preferences, row)
    except HareError as exc:
        st.session_state[key("own", "error")] = _one_line(exc)


def _answer(run: LiveRun, number: int, choice: bool) -> None:
    if run.is_pending(number):
        run.answer(choice)
