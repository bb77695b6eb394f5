"""The answers store as research data: a long table (one row per question), a sessions table, a
codebook (every column: meaning, unit, values) and a datasheet, in the conventions of published
study logs (session id, pseudonymous participant id, event type, UTC timestamps).

Options are in original units under the dataset's own column names: ``a.<column>`` and
``b.<column>`` hold option A's and B's change (a signed amount in the column's unit, or the
category it changes to), A drawn on the left and B on the right.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from hare.data import load_dataset
from hare.errors import ConfigError
from hare.live.answers import SIDES, STATUSES, AnswerStore, change_in_units
from hare.live.consent import CONSENT, LICENCE, NEVER_STORED, QUESTIONS
from hare.live.sessions import TTL_SECONDS

FORMATS = ("csv", "parquet")
OPTIONS = ("a", "b")  # option A (left: the favourite so far), option B (right: the challenger)


@dataclass(frozen=True)
class Column:
    """One exported column, as the codebook describes it."""

    table: str
    name: str
    meaning: str
    unit: str = ""
    values: str = ""


_A = "answers"
_S = "sessions"
# The fixed columns of both tables, in order; the per-feature columns follow (feature_columns).
FIXED: tuple[Column, ...] = (
    Column(_A, "session_id", "the session (one person, one run of questions)", "", "32 hex digits"),
    Column(_A, "participant_id", "pseudonymous id of the visit (one-way hash of the page's "
           "token); one visit can hold several sessions", "", "16 hex digits"),
    Column(_A, "event_type", "what was asked", "",
           "compare: which of two options; accept: is this one good enough"),
    Column(_A, "timestamp_utc", "when the answer was given", "UTC, ISO 8601", ""),
    Column(_A, "shown_at_utc", "when the question was drawn", "UTC, ISO 8601", ""),
    Column(_A, "question", "the question's number in its session", "", "1, 2, ..."),
    Column(_A, "round", "the round the question belongs to", "", "1 ... rounds"),
    Column(_A, "step", "the question's number within its round", "", "1, 2, ..."),
    Column(_A, "dataset", "the data (and model) the options come from", "", "adult, compas, ..."),
    Column(_A, "a_side", "where option A was drawn", "", "left (compare), alone (accept)"),
    Column(_A, "b_side", "where option B was drawn", "", "right (compare); empty for accept"),
    Column(_A, "answer", "what the person answered", "",
           "A or B (compare); yes or no (accept)"),
    Column(_A, "chose_b", "compare: preferred option B (the challenger)", "", "true, false; "
           "empty for accept"),
    Column(_A, "said_yes", "accept: said the option is good enough", "", "true, false; empty "
           "for compare"),
    Column(_A, "response_seconds", "from drawing the question to the answer", "seconds", ""),
    Column(_S, "session_id", "the session", "", "32 hex digits"),
    Column(_S, "participant_id", "pseudonymous id of the visit", "", "16 hex digits"),
    Column(_S, "event_type", "the row's kind", "", "session"),
    Column(_S, "timestamp_utc", "when the session started", "UTC, ISO 8601", ""),
    Column(_S, "ended_utc", "when the session ended", "UTC, ISO 8601", "empty unless completed"),
    Column(_S, "last_event_utc", "the last answer (or the start)", "UTC, ISO 8601", ""),
    Column(_S, "status", "how far the session went", "",
           "completed; abandoned (left before its end, or not back within "
           f"{TTL_SECONDS // 3600} h); in_progress (may still continue)"),
    Column(_S, "ending", "how a completed session ended", "", "accepted (said good enough), "
           "not accepted (questions ran out or no in the last round), none work (said none "
           "of the options works), no recourse (nothing within the rules to ask about)"),
    Column(_S, "respondent", "who answered", "", "person; simulated:<user model> for sessions "
           "from hare answers simulate"),
    Column(_S, "dataset", "the data", "", ""),
    Column(_S, "model", "the classifier's kind", "", "ann, lr"),
    Column(_S, "model_hash", "sha256 of the classifier's parameters (first 16 hex digits)", "", ""),
    Column(_S, "generator", "how the first option was found (base recourse generator)", "", ""),
    Column(_S, "method", "how the questions were chosen", "", "hare (tournament), active"),
    Column(_S, "budget", "the most questions the session could ask", "questions", ""),
    Column(_S, "rounds", "rounds, each ending with 'good enough?'", "rounds", ""),
    Column(_S, "counting", "what counted as a question", "", "people, paper"),
    Column(_S, "bps", "which candidates were calibrated by boundary point search", "", "every"),
    Column(_S, "target", "the model's probability every option had to clear", "probability", ""),
    Column(_S, "seed", "seed of the candidates", "", ""),
    Column(_S, "questions", "questions answered", "questions", ""),
    Column(_S, "accepted", "said an option is good enough", "", "true, false"),
    Column(_S, "probability_after", "the model's probability for the final option",
           "probability", "empty when none"),
    Column(_S, "probability_before", "the model's probability for the profile", "probability",
           "empty unless the profile was stored"),
    Column(_S, "rules", "the person's rules: held fixed, ranges (original units), directions, "
           "at most k changes, difficulties", "", "JSON"),
    Column(_S, "profile_stored", "the person also ticked the profile box", "", "true, false"),
    Column(_S, "source", "where the profile came from", "", "test_row (picked), entered"),
    Column(_S, "test_row", "the picked person's test-set row", "", "empty unless the profile "
           "was stored"),
    Column(_S, "consent_version", "the version of the boxes' words the person ticked", "",
           "12 hex digits; empty for sessions stored before versions were recorded"),
    Column(_S, "app_version", "the hare package's version", "", ""),
    Column(_S, "engine_revision", "the package version and git commit that ran", "", ""),
)


@dataclass(frozen=True)
class Export:
    """The exported tables (pandas) and their codebook."""

    answers: pd.DataFrame
    sessions: pd.DataFrame
    codebook: pd.DataFrame


def _utc(value) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _status(row, now: dt.datetime) -> str:
    status = row["status"] if isinstance(row["status"], str) else "completed"
    last = row["last_event_at"]
    if status == "in_progress" and not pd.isna(last) and \
            (now - pd.Timestamp(last).to_pydatetime()).total_seconds() > TTL_SECONDS:
        return "abandoned"  # its page session has expired: it can no longer continue
    return status


def _option(stored, encoded, dataset) -> dict:
    """An option's change in original units: as stored, or (files from before it was stored)
    decoded from the encoded change."""
    if isinstance(stored, str):
        return json.loads(stored)
    if encoded is None or (not isinstance(encoded, (list, np.ndarray)) and pd.isna(encoded)):
        return {}
    return change_in_units(dataset, encoded)


def feature_columns(dataset) -> list[Column]:
    """The per-feature columns of a dataset: each option's change, the profile and the final
    option's change, under the dataset's own column names."""
    out = []
    for column in dataset.feature_names:
        fact = dataset.spec.fact(column)
        categorical = column in dataset.spec.categorical
        unit = "category" if categorical else (fact.unit or ("dollars" if fact.money else ""))
        values = (" or ".join(dataset.encoder.categories[dataset.spec.categorical.index(column)])
                  if categorical else "")
        change = ("the category it changes to; empty if unchanged" if categorical else
                  "signed change; 0 if unchanged")
        for option, where in zip(OPTIONS, ("A (left; alone for accept)", "B (right)")):
            out.append(Column(_A, f"{option}.{column}", f"{fact.label}: option {where}'s change",
                              unit, change))
        out.append(Column(_S, f"profile.{column}", f"{fact.label}: the person's value", unit,
                          (values or "original units") + "; empty unless the profile was stored"))
        out.append(Column(_S, f"final.{column}", f"{fact.label}: the final option's change",
                          unit, change))
    return out


def build(store: AnswerStore, now: dt.datetime | None = None) -> Export:
    """The export's tables from ``store`` (an older file is migrated first)."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    sessions, answers = store.sessions(), store.answers()
    if sessions.empty:
        raise ConfigError(f"no stored sessions in {store.path}")
    datasets = {name: load_dataset(name) for name in sessions["dataset"].unique()}
    features = [c for ds in datasets.values() for c in feature_columns(ds)]
    by_session = sessions.set_index("session_id")
    rows = []
    for a in answers.itertuples(index=False):
        s = by_session.loc[a.session_id]
        ds = datasets[s["dataset"]]
        row = {"session_id": a.session_id, "participant_id": s["participant"],
               "event_type": a.kind, "timestamp_utc": _utc(a.answered_at),
               "shown_at_utc": _utc(a.shown_at), "question": a.seq, "round": a.iteration,
               "step": a.step, "dataset": s["dataset"], "a_side": a.a_side, "b_side": a.b_side,
               "answer": (("B" if a.choice else "A") if a.kind == "compare"
                          else ("yes" if a.choice else "no")),
               "chose_b": bool(a.choice) if a.kind == "compare" else None,
               "said_yes": bool(a.choice) if a.kind == "accept" else None,
               "response_seconds": a.seconds}
        options = (_option(a.option_a, a.current_change, ds),
                   _option(a.option_b, a.challenger_change, ds) if a.kind == "compare" else None)
        for option, change in zip(OPTIONS, options):
            if change is not None:
                row |= _spread(ds, option, change)
        rows.append(row)
    answer_columns = [c.name for c in FIXED if c.table == _A] + list(dict.fromkeys(
        c.name for c in features if c.table == _A))
    session_rows = [_session_row(s, datasets[s["dataset"]], now) for _, s in sessions.iterrows()]
    session_columns = [c.name for c in FIXED if c.table == _S] + list(dict.fromkeys(
        c.name for c in features if c.table == _S))
    codebook = pd.DataFrame([vars(c) for c in FIXED + tuple(
        {(c.table, c.name): c for c in features}.values())])
    return Export(pd.DataFrame(rows, columns=answer_columns),
                  pd.DataFrame(session_rows, columns=session_columns), codebook)


def _spread(ds, option: str, change: dict) -> dict:
    """One option's change as a value per feature column (0 / empty where unchanged)."""
    return {f"{option}.{c}": change.get(c, None if c in ds.spec.categorical else 0.0)
            for c in ds.feature_names}


def _session_row(s, ds, now: dt.datetime) -> dict:
    row = {"session_id": s["session_id"], "participant_id": s["participant"],
           "event_type": "session", "timestamp_utc": _utc(s["started_at"]),
           "ended_utc": _utc(s["finished_at"]), "last_event_utc": _utc(s["last_event_at"]),
           "status": _status(s, now), "ending": s["ending"], "respondent": s["respondent"],
           "rounds": s["iterations"], "rules": s["rules"]}
    for name in ("dataset", "model", "model_hash", "generator", "method", "budget", "counting",
                 "bps", "target", "seed", "queries", "accepted", "probability_after",
                 "probability_before", "profile_stored", "source", "test_row",
                 "consent_version", "app_version", "engine_revision"):
        row["questions" if name == "queries" else name] = s[name]
    profile = json.loads(s["profile"]) if isinstance(s["profile"], str) else {}
    for c in ds.feature_names:
        row[f"profile.{c}"] = profile.get(c)
    final = s["recourse_change"]
    final = {} if final is None or (np.ndim(final) == 0 and pd.isna(final)) else \
        change_in_units(ds, final)
    for c in ds.feature_names:
        row[f"final.{c}"] = final.get(c, None if c in ds.spec.categorical else 0.0)
    return row


def datasheet(export: Export) -> str:
    """What a researcher needs beside the tables: what was asked, the consent, what is and is
    not stored, the licence, and the counts."""
    s = export.sessions
    counts = ", ".join(f"{int((s['status'] == k).sum())} {k}" for k in STATUSES)
    respondents = ", ".join(f"{n} {k}" for k, n in s["respondent"].value_counts().items())
    return "\n".join([
        "# Datasheet: people's answers to HARE's recourse questions", "",
        "## What was asked",
        "A person the model refused (picked from the test set, or their own profile) sets what "
        "they can change, then answers questions about options that would each get the model "
        "to the session's target:",
        f"- compare: \"{QUESTIONS['compare']}\" Option A (the favourite so far) on the "
        f"{SIDES['compare'][0]}, option B (a new one) on the {SIDES['compare'][1]}.",
        f"- accept: \"{QUESTIONS['accept']}\" One option, alone; yes ends the session on it.",
        "", "## Consent",
        f"Consent version {CONSENT.version}. The person ticked:",
        f"> {CONSENT.answers}", "",
        "and, for the profile only, a second box:", f"> {CONSENT.profile}", "",
        "## What is stored",
        "Only sessions whose person ticked the first box: each question's options as changes in "
        "original units (no profile value in them), their sides, the answer and its time; the "
        "session's settings and rules, its status and ending; the consent version, app version, "
        "engine revision and the model's hash. The profile (and the test row) only with the "
        "second box. A session is written after every answer, so one left half-way is kept as "
        "abandoned. A person can delete everything their visit stored from the page.",
        "", "## What is not stored", f"Never: {NEVER_STORED}.", "",
        "## Licence", LICENCE, "",
        "## This export",
        f"{len(s)} sessions ({counts}; respondents: {respondents}), "
        f"{len(export.answers)} answers. Files: answers (one row per question), sessions (one "
        "row per session), codebook (every column: meaning, unit, values).", ""])


def write(export: Export, out: Path, fmt: str) -> list[Path]:
    """The tables as ``fmt`` files and the datasheet as markdown in ``out``; returns the paths."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r} (valid: {', '.join(FORMATS)})")
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in (("answers", export.answers), ("sessions", export.sessions),
                        ("codebook", export.codebook)):
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:  # DuckDB writes Parquet itself: no pyarrow needed
            duckdb.from_df(frame).write_parquet(str(path))
        paths.append(path)
    sheet = out / "datasheet.md"
    sheet.write_text(datasheet(export), encoding="utf-8")
    return paths + [sheet]


def read(folder: Path) -> Export:
    """An export read back (CSV or Parquet, whichever the folder holds)."""
    fmt = next((f for f in FORMATS if (folder / f"answers.{f}").is_file()), None)
    if fmt is None:
        raise ConfigError(f"{folder} holds no answers.csv or answers.parquet: export first "
                          "(hare answers export --out DIR)")
    load = pd.read_csv if fmt == "csv" else (
        lambda p: duckdb.read_parquet(str(p)).df())
    return Export(*(load(folder / f"{n}.{fmt}") for n in ("answers", "sessions", "codebook")))
