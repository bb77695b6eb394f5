"""Live recourse: a refused person picks or enters a profile, says what they will not change,
then answers HARE's questions until a recourse is good enough.

State lives in st.session_state["live"] (hare.live.run.LiveState) and is advanced only in
button callbacks, so a rerun, a reload or a trip to another page never replays an answer.
"""

import secrets
import time

import duckdb
import streamlit as st
import torch

from hare_app import cached
from hare.live.answers import AnswerStore
from hare_app.charts import changes_chart
from hare.live.formatting import changes_frame, profile_table
from hare.live.run import LiveRun, LiveSetup, LiveState, Option, probability
from hare_app.paths import answers_db_path
from hare.live.profile import (DIRECTIONS, check_preferences, check_profile, encode_profile,
                              field_specs, profile_from_row, typical_profile)
from hare_app.shell import enter_page
from hare_app.views import field_error
from hare.data import DATASETS
from hare.errors import HareError
from hare.generators import generator_names
from hare.models import MODEL_KINDS
from hare.rng import user_keys

enter_page()

MODEL_NAMES = {"ann": "Neural network (ANN)", "lr": "Logistic regression (LR)"}
FROM_TEST, ENTERED = "A refused person from the test set", "Enter my own profile"


def state() -> LiveState:
    return st.session_state.setdefault("live", LiveState())


def reset_run() -> None:
    state().run = None


def reset_all() -> None:
    st.session_state["live"] = LiveState()


# --- callbacks -----------------------------------------------------------------------------

def read_setup() -> tuple[LiveSetup, dict[str, str]]:
    s = st.session_state
    setup = LiveSetup(s["live_dataset"], s["live_model"], s["live_generator"],
                      int(s.get("live_budget") or 0), int(s.get("live_iterations") or 0))
    try:
        setup.settings()
    except HareError as exc:
        field = "live_iterations" if "iterations" in str(exc) else "live_budget"
        return setup, {field: str(exc)}
    return setup, {}


def read_preferences(ds, profile: dict):
    """The constraints as entered in the widgets below (read again in the start callback, so a
    value typed just before clicking Start is not missed)."""
    s, name = st.session_state, ds.name
    frozen = list(s.get(f"live_frozen:{name}", []))
    ranges, directions = {}, {}
    for spec in field_specs(ds):
        if spec.numeric and not spec.immutable and spec.name not in frozen:
            ranges[spec.name] = (s.get(f"lo:{name}:{spec.name}", spec.minimum),
                                 s.get(f"hi:{name}:{spec.name}", spec.maximum))
            directions[spec.name] = s.get(f"dir:{name}:{spec.name}", "either way")
    return check_preferences(ds, profile, frozen, ranges, directions)


def apply_profile(profile_key: str) -> None:
    st_, ds = state(), cached.dataset(st.session_state["live_dataset"])
    raw = {spec.name: st.session_state.get(f"pf:{profile_key}:{spec.name}") for spec in field_specs(ds)}
    check = check_profile(ds, raw)
    st_.profile_key, st_.profile_errors, st_.run = profile_key, check.errors, None
    if check.ok:
        st_.profile = check.values


def start_run(test_row: int | None) -> None:
    st_ = state()
    setup, errors = read_setup()
    ds = cached.dataset(setup.dataset)
    check = read_preferences(ds, st_.profile)
    if errors or not check.ok:
        return  # the messages are already beside the fields
    trained = cached.trained_model(setup.dataset, setup.model, setup.model_seed)
    generator = cached.fitted_generator(setup.dataset, setup.model, setup.model_seed,
                                        setup.generator, check.preferences)
    x = encode_profile(ds, st_.profile)
    # A fresh draw of candidates for every session; tests and benchmarks pin it with
    # st.session_state["live_seed"] to replay a session exactly.
    seed = st.session_state.get("live_seed")
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    r0 = generator.generate(x, user_keys(seed, torch.arange(1)))
    st_.run = LiveRun(setup, ds, trained.model, x, r0, generator.space, check.preferences,
                      "test_row" if test_row is not None else "entered", test_row, seed)
    st_.store_error = ""


def answer(number: int, choice: bool) -> None:
    # Server time from an answer to the next pair drawn: taken here, closed at the page's end
    # (benchmarks/app_latency.py reads it).
    st.session_state["live_answer_t0"] = time.perf_counter()
    st_ = state()
    run = st_.run
    # A stale button (double click, or a page restored from history) must not answer the
    # next question by accident.
    if run is None or run.done or run.used + 1 != number:
        return
    run.answer(choice)
    if run.done and st.session_state.get("live_optin") and not run.saved:
        try:
            AnswerStore(answers_db_path()).save(run)
            run.saved = True
        except duckdb.Error as exc:
            st_.store_error = f"Your answers could not be stored ({exc}); your recourse is unaffected."


# --- drawing -------------------------------------------------------------------------------

def show_option(title: str, option: Option) -> None:
    with st.container(border=True):
        st.markdown(f"**{title}**")
        if option.changes:
            st.markdown("\n".join(f"- {c.feature}: **{c.before} → {c.after}**" for c in option.changes))
        else:
            st.markdown("- no change you could see in these units")
        st.caption(f"Model's probability of approval: {option.probability:.0%}")


def answer_button(where, label: str, number: int, choice: bool, primary: bool = True) -> None:
    """A button that answers question ``number``; its key names the question, so a button left
    over from an earlier question is a different widget."""
    where.button(label, type="primary" if primary else "secondary", on_click=answer,
                 args=(number, choice), key=f"q{number}-{label}")


def show_question(run: LiveRun) -> None:
    q = run.question()
    st.progress(run.used / run.budget,
                text=f"Question {q.number} of {run.budget}: {run.used} used, {run.left} left · "
                     f"round {q.iteration} of {run.setup.iterations}")
    if q.kind == "compare" and q.same:
        st.info("No new alternative could be found this time (every sampled option failed the "
                "model or your constraints), so there is nothing to compare: continue with your "
                "current best.")
        show_option("Your current best", q.current)
        answer_button(st, "Continue", q.number, False)
    elif q.kind == "compare":
        st.subheader("Which of these two would you rather do?")
        st.caption("Each option is just enough for a yes (the model's probability sits near 50%): "
                   "pick the changes you would find easier to make.")
        left, right = st.columns(2)
        with left:
            show_option("Option A: your current best", q.current)
            answer_button(st, "I prefer A", q.number, False)
        with right:
            show_option("Option B: a new alternative", q.challenger)
            answer_button(st, "I prefer B", q.number, True)
        frame = changes_frame({"A (current)": list(q.current.changes),
                               "B (new)": list(q.challenger.changes)})
        if not frame.empty:
            st.altair_chart(changes_chart(frame), width="stretch")
    else:
        st.subheader("Is this good enough?")
        show_option("Your best option so far", q.current)
        if q.last_round:
            st.caption("This is the last round: either answer ends the session with this option.")
        yes, no = st.columns(2)
        answer_button(yes, "Yes, I can do this", q.number, True)
        answer_button(no, "No, keep looking", q.number, False, primary=False)


def show_card(run: LiveRun) -> None:
    st.subheader("Your recourse")
    after = run.probability_after()
    with st.container(border=True):
        table = profile_table(run.dataset, run.x[0].numpy(), run.recourse.numpy())
        st.dataframe(table[table["changed"]][["feature", "before", "after"]], hide_index=True)
        c1, c2 = st.columns(2)
        c1.metric("Model's probability before", f"{run.probability_before():.0%}")
        c2.metric("… and after these changes", f"{after:.0%}",
                  delta=f"{after - run.probability_before():+.0%}")
        ended = "you said it is good enough" if run.accepted else "the question budget ran out"
        st.caption(f"You answered {run.used} of {run.budget} questions; the session ended "
                   f"because {ended}.")
        with st.expander("Every feature, before → after"):
            st.dataframe(table[["feature", "before", "after"]], hide_index=True)
        st.download_button("Download (JSON)", run.card_json(), file_name="hare-recourse.json",
                           mime="application/json", on_click="ignore")
    if run.saved:
        st.success(f"Your answers were stored (anonymously) in `{answers_db_path().name}`. Thank you.")


# --- page ----------------------------------------------------------------------------------

st.title("Live recourse")
st.caption("For someone the model refused: find changes that would get a yes, and choose "
           "between them until one suits you.")

with st.sidebar:
    st.header("Setup")
    name = st.selectbox("Dataset", list(DATASETS), key="live_dataset", on_change=reset_all,
                        persist_state="session", help="The data the classifier was trained on")
    st.selectbox("Classifier", MODEL_KINDS, format_func=MODEL_NAMES.get, key="live_model",
                 on_change=reset_run, persist_state="session")
    names = generator_names()
    # Growing Spheres by default: no training and a fast search, so the first pair shows at once.
    st.selectbox("Base generator", names, index=names.index("gs") if "gs" in names else 0,
                 key="live_generator", on_change=reset_run, persist_state="session",
                 help="Finds the first recourse HARE then refines; some train a model on first use")
    st.number_input("Questions you will answer (budget B)", value=10, step=1, key="live_budget",
                    on_change=reset_run, persist_state="session")
    budget_error = st.empty()  # filled below, once both numbers are known
    st.number_input("Rounds (iterations T)", value=2, step=1, key="live_iterations",
                    on_change=reset_run, persist_state="session",
                    help="HARE is T = 1; Multi-HARE restarts around the winner T times")
    setup, setup_errors = read_setup()
    with budget_error:
        field_error(setup_errors, "live_budget")
    field_error(setup_errors, "live_iterations")

try:
    ds = cached.dataset(name)
    trained = cached.trained_model(name, setup.model)
except HareError as exc:  # a missing or corrupt data file: the message says which and where
    st.error(str(exc))
    st.stop()
st_ = state()
st.markdown(f"*{ds.spec.description}*")

st.subheader("1. Who")
# While a session runs the profile folds away, so the questions sit near the top.
with st.expander("Profile", expanded=st_.run is None):
    source = st.radio("Profile", [FROM_TEST, ENTERED], horizontal=True, key="live_source",
                      persist_state="session", on_change=reset_run, label_visibility="collapsed")
    test_row = None
    if source == FROM_TEST:
        test_row = st.selectbox("Refused person (row of the test set)",
                                cached.refused_rows(name, setup.model),
                                key=f"live_row:{name}:{setup.model}", persist_state="session",
                                on_change=reset_run)
        profile_key, start = f"{name}:row:{test_row}", profile_from_row(ds, test_row)
        if st_.profile_key != profile_key:  # a test row needs no "use" click
            st_.profile, st_.profile_key, st_.profile_errors = start, profile_key, {}
    else:
        profile_key, start = f"{name}:entered", typical_profile(ds)
    defaults = st_.profile if st_.profile_key == profile_key and st_.profile else start
    errors = st_.profile_errors if st_.profile_key == profile_key else {}

    with st.form(f"profile:{profile_key}", border=True):
        st.caption("Numbers in their real units, categories by name. 🔒 marks what nobody can change.")
        columns = st.columns(3)
        for i, spec in enumerate(field_specs(ds)):
            with columns[i % 3]:
                label = f"{spec.name} 🔒" if spec.immutable else spec.name
                key = f"pf:{profile_key}:{spec.name}"
                value = defaults.get(spec.name)
                if spec.numeric:
                    st.number_input(label, value=int(value) if spec.whole else float(value),
                                    step=1 if spec.whole else None, format=None if spec.whole else "%g",
                                    key=key, help=f"from {spec.range_text(ds)}")
                else:
                    st.selectbox(label, spec.options, index=spec.options.index(value), key=key)
                field_error(errors, spec.name)
        field_error(errors, "_form")
        st.form_submit_button("Use this profile", on_click=apply_profile, args=(profile_key,))

if st_.profile_key != profile_key or not st_.profile or errors:
    st.info("Fill in the profile and press **Use this profile**.")
    st.stop()

x = encode_profile(ds, st_.profile)
p_now = float(probability(trained.model, x)[0])
c1, c2 = st.columns(2)
c1.metric("The model's decision", "Refused" if p_now < 0.5 else "Approved")
c2.metric("Probability of approval", f"{p_now:.0%}")
if p_now >= 0.5:
    st.success("The model already approves this profile: there is nothing to change.")
    st.stop()

run = st_.run
if run is None:
    st.subheader("2. What you will not or cannot change")
    locked = [s.name for s in field_specs(ds) if s.immutable]
    st.caption("🔒 Locked for everyone (the dataset treats them as unchangeable): " + ", ".join(locked))
    movable = [s.name for s in field_specs(ds) if not s.immutable]
    st.multiselect("I will not change", movable, key=f"live_frozen:{name}", persist_state="session")
    check = read_preferences(ds, st_.profile)
    with st.expander("Ranges and directions (optional)", expanded=bool(check.errors)):
        for spec in field_specs(ds):
            if not spec.numeric or spec.immutable or spec.name in check.preferences.frozen:
                continue
            a, b, c = st.columns([2, 1, 1])
            a.radio(spec.name, list(DIRECTIONS), horizontal=True, key=f"dir:{name}:{spec.name}",
                    persist_state="session")
            b.number_input("lowest", value=spec.minimum, key=f"lo:{name}:{spec.name}", format="%g",
                           persist_state="session")
            c.number_input("highest", value=spec.maximum, key=f"hi:{name}:{spec.name}", format="%g",
                           persist_state="session")
            field_error(check.errors, spec.name)
    st.checkbox("Store my answers to help research (the questions shown, my choices and how long "
                "I took; nothing I type). They go to a separate file, not to the benchmark.",
                key="live_optin", persist_state="session")
    st.button("Find my recourse", type="primary", on_click=start_run, args=(test_row,),
              disabled=bool(check.errors or setup_errors))
    st.stop()

st.subheader("2. Your options")
st.caption(f"{run.setup.generator} on {run.setup.dataset}/{run.setup.model}; "
           f"won't change: {', '.join(run.preferences.frozen) or 'nothing beyond the locked features'}")
if run.failed:
    st.warning(f"No recourse found: the {run.setup.generator} generator found no change within "
               "your constraints that the model would approve. Allow more features to change, "
               "widen the ranges, or try another base generator.")
elif not run.done:
    show_question(run)
else:
    show_card(run)
if st_.store_error:
    st.error(st_.store_error)
st.button("Start over", on_click=reset_run)
if "live_answer_t0" in st.session_state:
    st.session_state.setdefault("live_latencies", []).append(
        time.perf_counter() - st.session_state.pop("live_answer_t0"))
