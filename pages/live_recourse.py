"""Live recourse: a refused person picks who they are (or types their profile), says what they
can change, then chooses between options until one suits them, and keeps a card.

State lives in a LiveState kept by the server under a token in the URL (?s=…), so a reload or
Back returns to the same question; answers are applied only in button callbacks.
"""

import secrets
import time
from dataclasses import replace

import streamlit as st

from hare.data import DATASETS
from hare.errors import HareError, StoreError
from hare.live.answers import AnswerRecord, AnswerStore, participant_id
from hare.live.consent import CONSENT
from hare.live.form import PAGE_FIELDS, read_session, session_start
from hare.live.formatting import generator_help, generator_label
from hare.live.profile import (Preferences, check_profile, encode_profile, field_specs,
                               typical_profile)
from hare.live.run import probability, start_live_run
from hare.live.sessions import Busy, Full, LiveState
from hare.live.setup import METHODS, SessionConfig
from hare_app import cached
from hare_app.live_view import (about_models, header, rules_in_force, show_card, show_no_recourse,
                                show_question)
from hare_app.live_who import pick_person, profile_form, rules_entered, rules_section
from hare_app.own_data_view import own_data_page
from hare_app.paths import answers_db_path
from hare_app.shell import enter_page
from hare_app.visitor import this_visitor
from hare_app.views import field_error

enter_page()

MODEL_NAMES = {"ann": "Neural network", "lr": "Logistic regression"}
PICK, ENTERED = "Pick a refused person", "Enter my own profile"
RULE_KEYS = ("live:rule:", "live:lo:", "live:hi:", "live:difficulty:", "live:max_changes:")
# The sidebar's start: the session's declared defaults, and where the profile comes from.
SIDEBAR_START = session_start() | {"source": PICK}
SCHEMA = SessionConfig.schema()


def key(*parts: str) -> str:
    """Every widget key of this page, from one place."""
    return "live:" + ":".join(parts)


def state() -> LiveState:
    """This visitor's state: from st.session_state, else from the server by the URL's token
    when this browser started that session (a reload, or the link reopened), else new. A new
    state takes no place on the server until its first real action (``keep``); its token is in
    the URL from then on."""
    s = st.session_state.get(key("state"))
    if s is None:
        token = st.query_params.get("s")
        s = cached.live_sessions().get(token, this_visitor()) if token else None
        if s is None:
            s = LiveState(sidebar=dict(SIDEBAR_START))
            if token:
                s.store_error = ("That link's session has ended, or was started in another "
                                 "browser: a link opens only where its session began.")
        for name, value in s.sidebar.items():  # restore the sidebar's choices before drawing it
            st.session_state[key(name)] = value
        st.session_state[key("state")] = s
    if s.owner and st.query_params.get("s") != s.token:
        st.query_params["s"] = s.token
    elif not s.owner and "s" in st.query_params:
        del st.query_params["s"]
    return s


def keep(s: LiveState) -> bool:
    """Keep ``s`` on the server (its first real action), or say why it cannot be."""
    if not s.owner:
        try:
            cached.live_sessions().register(s, this_visitor())
        except Full as exc:
            s.store_error = str(exc)
            return False
    return True


def save(s: LiveState) -> None:
    """Write ``s`` after a change, so a restart within its expiry loses nothing."""
    cached.live_sessions().save(s)


def remember_sidebar() -> None:
    st_ = state()
    st_.sidebar = {name: st.session_state.get(key(name), start)
                   for name, start in SIDEBAR_START.items()}
    st_.run = None
    save(st_)


def change_dataset() -> None:
    remember_sidebar()
    st_ = state()
    st_.profile, st_.profile_key, st_.profile_errors = None, "", {}


def choices(name: str) -> list[str]:
    return list(SCHEMA.axes[name].choices())


def widget_label(name: str) -> str:
    """A sidebar field's label, with its range for a number: "Rounds (1–10)"."""
    label_ = SCHEMA.axes[name].label
    return label_ if SCHEMA.types[name] is str else f"{label_} ({SCHEMA.range_text(name)})"


def widget_help(name: str) -> str:
    text = SCHEMA.axes[name].help
    return text[0].upper() + text[1:] + "."


def read_sidebar(seed: int | None = None) -> tuple[SessionConfig, dict[str, str]]:
    """The sidebar's choices and typed numbers as a session (hare.live.form): a message per bad
    field, nothing silently changed. ``seed``: the session's candidates (default: the
    config's)."""
    s = st.session_state
    values = {name: s[key(name)] for name in PAGE_FIELDS if key(name) in s}
    return read_session(values | ({} if seed is None else {"seed": seed}))


def use_profile(profile_key: str) -> None:
    st_, ds = state(), cached.dataset(st.session_state[key("dataset")])
    raw = typical_profile(ds)  # fields a person is not asked keep the data's typical value
    raw |= {spec.name: st.session_state.get(key("pf", profile_key, spec.name))
            for spec in field_specs(ds) if ds.spec.fact(spec.name).ask}
    check = check_profile(ds, raw)
    st_.profile_key, st_.profile_errors, st_.run = profile_key, check.errors, None
    if check.ok:
        st_.profile = check.values


def start(test_row: int | None, preferences: Preferences | None = None) -> None:
    """Start a session with the sidebar's settings and the rules entered (or ``preferences``,
    when a "no recourse" card unlocks a feature: the rules' widgets are not drawn then)."""
    st_ = state()
    # A fresh draw for every session; tests and benchmarks pin it with key("seed").
    seed = st.session_state.get(key("seed"))
    seed = secrets.randbelow(int(SCHEMA.axes["seed"].maximum) + 1) if seed is None else seed
    config, errors = read_sidebar(seed)
    ds = cached.dataset(config.dataset)
    s = st.session_state
    if preferences is None:
        check = rules_entered(ds, st_.profile, key)
        if errors or not check.ok:
            return  # the messages are already beside the fields
        preferences = check.preferences
        st_.store_answers = bool(s.get(key("optin")))
        st_.store_profile = st_.store_answers and bool(s.get(key("optin_profile")))
    elif errors:
        return
    if not keep(st_):
        return
    leave(st_)
    try:
        with cached.live_sessions().work():
            model = cached.trained_model(config.dataset, config.model, config.model_seed).model
            generator = cached.fitted_generator(config.dataset, config.model, config.model_seed,
                                                config.generator, preferences)
            st_.run = start_live_run(config, ds, model, generator,
                                     encode_profile(ds, st_.profile), preferences, test_row)
        st_.store_error = ""
        store(st_)  # from its start, so a session left before its first answer is kept too
    except Busy as exc:
        st_.store_error = str(exc)
    save(st_)


def take_way_out(feature: str | None, generator: str) -> None:
    """From a "no recourse" card: let one held-fixed feature change, or search with another
    generator within the same limits, and start again for the same person."""
    run = state().run
    if run is None:
        return
    preferences = run.preferences
    if feature is not None:
        preferences = replace(preferences, frozen=tuple(f for f in preferences.frozen if f != feature))
    else:
        st.session_state[key("generator")] = generator
        st.session_state[key("full_rerun")] = True  # the sidebar shows the generator
    remember_sidebar()
    start(run.test_row, preferences)


def answer(number: int, choice: bool) -> None:
    # Server time from an answer to the next pair drawn, closed at the page's end
    # (benchmarks/app_latency.py reads it).
    st.session_state[key("answer_t0")] = time.perf_counter()
    st_ = state()
    run = st_.run
    if run is None or not run.is_pending(number):
        return
    run.answer(choice)
    store(st_)
    save(st_)


def store(st_: LiveState, status: str | None = None) -> None:
    """Write the run's answers so far when the person ticked the box (after every answer, so
    a session left half-way is kept as such); the profile only with its own box."""
    run = st_.run
    if run is None or not st_.store_answers:
        return
    try:
        AnswerStore(answers_db_path()).write(AnswerRecord.of(
            run, with_profile=st_.store_profile, status=status,
            participant=participant_id(st_.token)))
        if run.id not in st_.stored:
            st_.stored.append(run.id)
        run.saved = run.done
    except StoreError as exc:  # the card is shown whatever happens to the answers
        st_.store_error = f"Your answers could not be stored ({exc}); your recourse is unaffected."


def leave(st_: LiveState) -> None:
    """The person leaves a run before its end (start over, another person): stored as
    abandoned."""
    if st_.run is not None and not st_.run.done and st_.run.id in st_.stored:
        store(st_, "abandoned")


def delete_mine() -> None:
    """Take back every answer this visit stored; nothing more is stored until the box is
    ticked again for a new session."""
    st_ = state()
    try:
        AnswerStore(answers_db_path()).delete(st_.stored)
        st_.stored, st_.store_answers, st_.store_profile = [], False, False
        if st_.run is not None:
            st_.run.saved = False
        st_.store_error = ""
        st_.deleted = True
    except StoreError as exc:
        st_.store_error = f"Your answers could not be deleted ({exc}); please try again."
    save(st_)


def none_work() -> None:
    """The person says none of the options works for them: an ending that says what to loosen."""
    run = state().run
    if run is not None and not run.done:
        run.reject()
        store(state())


def start_over() -> None:
    st_ = state()
    leave(st_)
    st_.run = None
    save(st_)


# --- drawing -------------------------------------------------------------------------------

@st.fragment
def session_part(words, p_now: float) -> None:
    """The header, the rules in force and the question or the card. An answer reruns only this
    fragment, not the whole page (the sidebar, the picker's table of 300 refused people), so
    the next pair is drawn sooner; the header is in it, so it follows the card."""
    st_ = state()
    run = st_.run
    if run is None or st.session_state.pop(key("full_rerun"), False):
        st.rerun()  # started over, or the sidebar's generator changed: draw the whole page
    header(run, p_now, words)
    st.caption(about_models(run.dataset, words))
    st.subheader("2. Your options")
    st.caption(rules_in_force(run))
    if run.failed:
        show_no_recourse(run, words, take_way_out, key)
    elif not run.done:
        show_question(run, words, answer, key, none_work)
    else:
        show_card(run, words)
    if st_.store_error:
        st.error(st_.store_error)
    offer_delete(st_)
    st.button("Start over", on_click=start_over)
    record_latency()


def offer_delete(st_: LiveState) -> None:
    """While this visit has answers stored, the way to take them back."""
    if st_.stored:
        st.button("Delete the answers I stored", on_click=delete_mine, key=key("delete"),
                  help="Removes every answer this visit stored, now; nothing is kept.")
    elif st_.deleted:
        st.info("Your stored answers were deleted.")


def record_latency() -> None:
    """Close the answer → next pair clock started in ``answer`` (benchmarks read it)."""
    if key("answer_t0") in st.session_state:
        st.session_state.setdefault(key("latencies"), []).append(
            time.perf_counter() - st.session_state.pop(key("answer_t0")))


# --- page ----------------------------------------------------------------------------------

if st.sidebar.toggle("Your own data and model", key=key("own_data"),
                     help="Upload a CSV, its spec and a model file (or train one) instead of "
                          "the paper's datasets; kept in this browser session only"):
    own_data_page(key)
    st.stop()
st_ = state()
# The rules' widgets are not drawn while a profile is being typed or a session runs, and
# Streamlit forgets an undrawn widget's value: in a browser they then came back as "can change"
# with blank ranges, not the person's (or the spec's) rules. Re-setting keeps them.
for rule_key in [k for k in st.session_state if str(k).startswith(RULE_KEYS)]:
    st.session_state[rule_key] = st.session_state[rule_key]
with st.sidebar:
    st.header("Settings")
    name = st.selectbox(widget_label("dataset"), choices("dataset"), key=key("dataset"),
                        on_change=change_dataset, format_func=lambda n: DATASETS[n].title or n,
                        help=widget_help("dataset"))
    st.selectbox(widget_label("model"), choices("model"), format_func=MODEL_NAMES.get,
                 key=key("model"), on_change=remember_sidebar, help=widget_help("model"))
    names = choices("generator")
    st.selectbox(widget_label("generator"), names, key=key("generator"),
                 format_func=generator_label, on_change=remember_sidebar,
                 help="\n\n".join([widget_help("generator")] + [
                     f"**{generator_label(n)}**: {generator_help(n)}" for n in names]))
    st.caption(generator_help(st.session_state[key("generator")]))
    st.radio(widget_label("method"), choices("method"), key=key("method"),
             format_func=METHODS.get, on_change=remember_sidebar, help=widget_help("method"))
    config, sidebar_errors = read_sidebar()
    for field in PAGE_FIELDS:
        if SCHEMA.types[field] is not str:  # a number, typed
            st.text_input(widget_label(field), key=key(field), on_change=remember_sidebar,
                          help=widget_help(field))
            field_error(sidebar_errors, field)

try:
    cached.demo_ready(config.model)  # once per server: no visitor's click loads a dataset
    ds = cached.dataset(name)
    trained = cached.trained_model(name, config.model)
except HareError as exc:  # a missing or corrupt data file: the message says which
    st.error(str(exc))
    st.stop()
if notice := cached.shipped_models().notice():  # damaged demo files, rebuilt at start-up
    st.warning(notice)
words = ds.spec.outcome
st.title("What would change the decision?")
st.caption(f"{words.meaning} If it said no, this page finds changes that would get a yes, and "
           "lets you choose between them until one suits you.")

st.subheader("1. Who")
run = st_.run
with st.expander("Profile", expanded=run is None):
    source = st.radio("Profile", [PICK, ENTERED], horizontal=True, key=key("source"),
                      on_change=remember_sidebar, label_visibility="collapsed")
    if source == PICK:
        test_row = pick_person(ds, config.model, st_, key)
    else:
        test_row = None
        if not profile_form(ds, st_, key, use_profile):
            st.info("Fill in your profile and press **Use this profile**.")
            st.stop()

x = encode_profile(ds, st_.profile)
p_now = float(probability(trained.model, x)[0])
if run is not None:  # a session: its part of the page reruns alone on each answer
    session_part(words, p_now)
    st.stop()
header(None, p_now, words)
st.caption(about_models(ds, words))
if p_now >= config.target:
    st.success(f"The model already says {words.yes.lower()} at or above your target: nothing to change.")
    st.stop()

# --- no session yet: the rules, then start ---
check = rules_section(ds, st_.profile, key)
optin = st.checkbox(CONSENT.answers, key=key("optin"))
st.checkbox(CONSENT.profile, key=key("optin_profile"), disabled=not optin)
offer_delete(st_)
st.button("Find my recourse", type="primary", on_click=start, args=(test_row,),
          disabled=bool(check.errors or sidebar_errors))
if st_.store_error:
    st.error(st_.store_error)
