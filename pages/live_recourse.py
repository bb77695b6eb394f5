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
from hare.generators import generator_names
from hare.live.answers import AnswerStore
from hare.live.formatting import (changes_frame, format_value, generator_help, generator_label,
                                  label, people_frame)
from hare.live.profile import (Preferences, check_preferences, check_profile, encode_profile,
                               field_specs, profile_from_row, typical_profile)
from hare.live.run import (MAX_BUDGET, MAX_ROUNDS, METHODS, LiveRun, LiveSetup, probability,
                           start_live_run)
from hare.live.sessions import Busy, LiveState
from hare.models import MODEL_KINDS
from hare_app import cached
from hare_app.charts import changes_chart
from hare_app.live_view import header, rules_in_force, show_card, show_no_recourse, show_option
from hare_app.paths import answers_db_path
from hare_app.shell import enter_page
from hare_app.views import field_error

enter_page()

MODEL_NAMES = {"ann": "Neural network", "lr": "Logistic regression"}
PICK, ENTERED = "Pick a refused person", "Enter my own profile"
RULES = {"free": "can change", "up": "only up", "down": "only down", "history": "won't change"}
RULE_KEYS = ("live:rule:", "live:lo:", "live:hi:", "live:max_changes:")
SETUP_DEFAULTS = {"dataset": "adult", "model": "ann", "generator": "gs", "budget": "10",
                  "rounds": "2", "target": "60", "method": "hare", "source": PICK}


def key(*parts: str) -> str:
    """Every widget key of this page, from one place."""
    return "live:" + ":".join(parts)


def state() -> LiveState:
    """This visitor's state: from st.session_state, else from the server by the URL's token
    (a reload), else new, with its token put in the URL."""
    s = st.session_state.get(key("state"))
    if s is None:
        s = cached.live_sessions().get(st.query_params.get("s"))
        if s is None:
            s = LiveState(setup=dict(SETUP_DEFAULTS))
            cached.live_sessions().put(s)
        for name, value in s.setup.items():  # restore the sidebar's choices before drawing it
            st.session_state[key(name)] = value
        st.session_state[key("state")] = s
    if st.query_params.get("s") != s.token:
        st.query_params["s"] = s.token
    return s


def remember_setup() -> None:
    st_ = state()
    st_.setup = {name: st.session_state.get(key(name), default)
                 for name, default in SETUP_DEFAULTS.items()}
    st_.run = None


def change_dataset() -> None:
    remember_setup()
    st_ = state()
    st_.profile, st_.profile_key, st_.profile_errors = None, "", {}


def read_setup() -> tuple[LiveSetup, dict[str, str]]:
    """The sidebar's typed numbers, checked: a message per bad field, nothing silently changed."""
    s, errors, numbers = st.session_state, {}, {}
    for name, whole in (("budget", True), ("rounds", True), ("target", False)):
        text = str(s.get(key(name), SETUP_DEFAULTS[name])).strip().rstrip("%")
        try:
            value = float(text)
            if whole and not value.is_integer():
                raise ValueError
            numbers[name] = value
        except ValueError:
            errors[name] = f"{text!r} is not a {'whole ' if whole else ''}number"
    setup = LiveSetup(s.get(key("dataset"), "adult"), s.get(key("model"), "ann"),
                      s.get(key("generator"), "gs"), int(numbers.get("budget", 10)),
                      int(numbers.get("rounds", 2)), target=numbers.get("target", 60) / 100,
                      method=s.get(key("method"), "hare"))
    checked = setup.check()
    for name, field in (("budget", "budget"), ("iterations", "rounds"), ("target", "target")):
        if name in checked and field not in errors:
            errors[field] = checked[name]
    return setup, errors


def read_rules(ds, profile: dict):
    """The person's rules as entered below (read again in the start callback, so a value typed
    just before clicking is not missed)."""
    s, frozen, ranges, directions = st.session_state, [], {}, {}
    for spec in field_specs(ds):
        if spec.immutable:
            continue
        rule = s.get(key("rule", ds.name, spec.name), ds.spec.fact(spec.name).people)
        if rule == "history":
            frozen.append(spec.name)
        elif spec.numeric:
            directions[spec.name] = {"up": "only up", "down": "only down"}.get(rule, "either way")
            lo, hi = default_range(ds, spec, profile)
            ranges[spec.name] = (s.get(key("lo", ds.name, spec.name), lo),
                                 s.get(key("hi", ds.name, spec.name), hi))
    return check_preferences(ds, profile, frozen, ranges, directions,
                             s.get(key("max_changes", ds.name), ""))


def default_range(ds, spec, profile: dict) -> tuple[str, str]:
    """The range a person starts from: the spec's realistic one (around their value) or the
    data's, as text in original units."""
    people = dict((n, (lo, hi)) for n, lo, hi in Preferences.for_people(ds, profile).ranges)
    lo, hi = people.get(spec.name, (spec.minimum, spec.maximum))
    return f"{lo:g}", f"{hi:g}"


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
    """Start a session with the sidebar's setup and the rules entered (or ``preferences``,
    when a "no recourse" card unlocks a feature: the rules' widgets are not drawn then)."""
    st_ = state()
    setup, errors = read_setup()
    ds = cached.dataset(setup.dataset)
    s = st.session_state
    if preferences is None:
        check = read_rules(ds, st_.profile)
        if errors or not check.ok:
            return  # the messages are already beside the fields
        preferences = check.preferences
        st_.store_answers = bool(s.get(key("optin")))
        st_.store_profile = st_.store_answers and bool(s.get(key("optin_profile")))
    elif errors:
        return
    # A fresh draw for every session; tests and benchmarks pin it with key("seed").
    seed = st.session_state.get(key("seed"))
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    try:
        with cached.live_sessions().work():
            model = cached.trained_model(setup.dataset, setup.model, setup.model_seed).model
            generator = cached.fitted_generator(setup.dataset, setup.model, setup.model_seed,
                                                setup.generator, preferences)
            st_.run = start_live_run(setup, ds, model, generator, encode_profile(ds, st_.profile),
                                     preferences, seed, test_row)
        st_.store_error = ""
    except Busy as exc:
        st_.store_error = str(exc)


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
    remember_setup()
    start(run.test_row, preferences)


def answer(number: int, choice: bool) -> None:
    # Server time from an answer to the next pair drawn, closed at the page's end
    # (benchmarks/app_latency.py reads it).
    st.session_state[key("answer_t0")] = time.perf_counter()
    st_ = state()
    run = st_.run
    # A stale button (double click, a page restored from history) must not answer the next one.
    if run is None or run.done or run.used + 1 != number:
        return
    run.answer(choice)
    if run.done and st_.store_answers and not run.saved:
        try:
            AnswerStore(answers_db_path()).save(run, with_profile=st_.store_profile)
            run.saved = True
        except StoreError as exc:  # the card is shown whatever happens to the answers
            st_.store_error = f"Your answers could not be stored ({exc}); your recourse is unaffected."


def start_over() -> None:
    state().run = None


# --- drawing -------------------------------------------------------------------------------

def answer_button(where, text: str, number: int, choice: bool, primary: bool = True) -> None:
    """A button that answers question ``number`` (its key names the question)."""
    where.button(text, type="primary" if primary else "secondary", on_click=answer,
                 args=(number, choice), key=key("q", str(number), text))


def show_question(run: LiveRun, words) -> None:
    q = run.question()
    st.progress(min(1.0, run.used / run.budget),
                text=f"Question {q.number} of at most {run.budget} · round {q.iteration} of "
                     f"{run.setup.iterations}")
    if q.kind == "compare":
        st.subheader("Which of these two would you rather do?")
        st.caption(f"Both would get the model to at least {run.setup.target:.0%}. Pick the changes "
                   "you would find easier to make.")
        left, right = st.columns(2)
        with left:
            show_option("Option A", q.current, words)
            answer_button(st, "I prefer A", q.number, False)
        with right:
            show_option("Option B", q.challenger, words)
            answer_button(st, "I prefer B", q.number, True)
        frame = changes_frame({"A": list(q.current.changes), "B": list(q.challenger.changes)})
        if not frame.empty:
            st.altair_chart(changes_chart(frame), width="stretch")
        return
    st.subheader("Is this good enough?")
    if q.new_options == 0:
        st.info("The search ran out of new options this round: this is the best one found.")
    show_option("Your best option so far", q.current, words)
    if q.last_round:
        st.caption("This is the last round: either answer ends with this option.")
    yes, no = st.columns(2)
    answer_button(yes, "Yes, I can do this", q.number, True)
    answer_button(no, "No, keep looking", q.number, False, primary=False)


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
    st.subheader("2. Your options")
    st.caption(rules_in_force(run))
    if run.failed:
        show_no_recourse(run, words, take_way_out, key)
    elif not run.done:
        show_question(run, words)
    else:
        show_card(run, words)
    if st_.store_error:
        st.error(st_.store_error)
    st.button("Start over", on_click=start_over)
    record_latency()


def record_latency() -> None:
    """Close the answer → next pair clock started in ``answer`` (benchmarks read it)."""
    if key("answer_t0") in st.session_state:
        st.session_state.setdefault(key("latencies"), []).append(
            time.perf_counter() - st.session_state.pop(key("answer_t0")))


# --- page ----------------------------------------------------------------------------------

st_ = state()
# The rules' widgets are not drawn while a profile is being typed or a session runs, and
# Streamlit forgets an undrawn widget's value: in a browser they then came back as "can change"
# with blank ranges, not the person's (or the spec's) rules. Re-setting keeps them.
for rule_key in [k for k in st.session_state if str(k).startswith(RULE_KEYS)]:
    st.session_state[rule_key] = st.session_state[rule_key]
with st.sidebar:
    st.header("Settings")
    name = st.selectbox("Dataset", list(DATASETS), key=key("dataset"), on_change=change_dataset,
                        format_func=lambda n: DATASETS[n].title or n)
    st.selectbox("Model", MODEL_KINDS, format_func=MODEL_NAMES.get, key=key("model"),
                 on_change=remember_setup)
    names = list(generator_names())
    st.selectbox("How the first option is found", names, key=key("generator"),
                 format_func=generator_label, on_change=remember_setup,
                 help="\n\n".join(f"**{generator_label(n)}**: {generator_help(n)}" for n in names))
    st.caption(generator_help(st.session_state[key("generator")]))
    st.radio("How the questions are chosen", list(METHODS), key=key("method"),
             format_func=METHODS.get, on_change=remember_setup,
             help="The tournament keeps your favourite and puts one new option against it each "
                  "time. Learning your preference treats every answer as a clue to what you would "
                  "find easiest and asks the pair that tells most (beyond the paper; see README).")
    setup, setup_errors = read_setup()
    st.text_input(f"Questions you will answer, at most (2–{MAX_BUDGET})", key=key("budget"),
                  on_change=remember_setup)
    field_error(setup_errors, "budget")
    st.text_input(f"Rounds (1–{MAX_ROUNDS})", key=key("rounds"), on_change=remember_setup,
                  help="Each round looks for new options around your favourite so far")
    field_error(setup_errors, "rounds")
    st.text_input("Target chance of a yes (%)", key=key("target"), on_change=remember_setup,
                  help="A recourse must clear this, not sit at a coin flip")
    field_error(setup_errors, "target")

try:
    cached.demo_ready(setup.model)  # once per server: no visitor's click loads a dataset
    ds = cached.dataset(name)
    trained = cached.trained_model(name, setup.model)
except HareError as exc:  # a missing or corrupt data file: the message says which
    st.error(str(exc))
    st.stop()
words = ds.spec.outcome
st.title("What would change the decision?")
st.caption(f"{words.meaning} If it said no, this page finds changes that would get a yes, and "
           "lets you choose between them until one suits you.")

st.subheader("1. Who")
run = st_.run
with st.expander("Profile", expanded=run is None):
    source = st.radio("Profile", [PICK, ENTERED], horizontal=True, key=key("source"),
                      on_change=remember_setup, label_visibility="collapsed")
    test_row = None
    if source == PICK:
        rows = cached.refused_rows(name, setup.model)
        st.caption(f"{len(rows)} people the model refused (search: the magnifier at the table's top right).")
        picked = st.dataframe(people_frame(ds, rows), hide_index=True, on_select="rerun",
                              selection_mode="single-row", key=key("picker", name, setup.model),
                              height=210)
        chosen = picked.selection.rows[0] if picked.selection.rows else 0
        if run is not None and run.test_row in rows:  # a reload mid-session: keep its person
            chosen = rows.index(run.test_row)
        test_row = rows[chosen]
        profile_key = f"{name}:row:{test_row}"
        if st_.profile_key != profile_key:
            st_.profile, st_.profile_key, st_.profile_errors = profile_from_row(ds, test_row), profile_key, {}
        st.caption(f"Person #{chosen}: " + "; ".join(
            f"{label(ds, c)} {format_value(ds, c, v)}" for c, v in st_.profile.items()
            if ds.spec.fact(c).ask))
    else:
        profile_key = f"{name}:entered"
        defaults = st_.profile if st_.profile_key == profile_key and st_.profile else typical_profile(ds)
        errors = st_.profile_errors if st_.profile_key == profile_key else {}
        with st.form(key("form", profile_key), border=True):
            st.caption("Numbers in their real units. 🔒 marks what nobody can change.")
            columns = st.columns(3)
            asked = [s for s in field_specs(ds) if ds.spec.fact(s.name).ask]
            for i, spec in enumerate(asked):
                fact = ds.spec.fact(spec.name)
                with columns[i % 3]:
                    text = f"{fact.label}{' (' + fact.unit + ')' if fact.unit else ''}"
                    text += " 🔒" if spec.immutable else ""
                    k = key("pf", profile_key, spec.name)
                    if spec.numeric:
                        st.session_state.setdefault(k, f"{defaults[spec.name]:g}")
                        st.text_input(text, key=k, help=f"{fact.description}; from {spec.range_text(ds)}")
                    else:
                        st.selectbox(text, spec.options, index=spec.options.index(defaults[spec.name]),
                                     key=k, help=fact.description)
                    field_error(errors, spec.name)
            for spec in field_specs(ds):
                fact = ds.spec.fact(spec.name)
                if not fact.ask:
                    st.caption(f"{fact.label} is not asked ({fact.description.lower()}): "
                               f"the data's typical value {format_value(ds, spec.name, defaults[spec.name])} is used.")
            field_error(errors, "_form")
            st.form_submit_button("Use this profile", on_click=use_profile, args=(profile_key,))
        if st_.profile_key != profile_key or not st_.profile or errors:
            st.info("Fill in your profile and press **Use this profile**.")
            st.stop()

x = encode_profile(ds, st_.profile)
p_now = float(probability(trained.model, x)[0])
if run is not None:  # a session: its part of the page reruns alone on each answer
    session_part(words, p_now)
    st.stop()
header(None, p_now, words)
if p_now >= setup.target:
    st.success(f"The model already says {words.yes.lower()} at or above your target: nothing to change.")
    st.stop()

# --- no session yet: the rules, then start ---
st.subheader("2. What you can change")
st.caption("🔒 Nobody can change: " + ", ".join(label(ds, s.name) for s in field_specs(ds)
                                                if s.immutable) + ". The rules below are "
           "our suggestions for people; change any of them.")
for spec in field_specs(ds):
    if spec.immutable:
        continue
    fact = ds.spec.fact(spec.name)
    a, b, c = st.columns([3, 1, 1]) if spec.numeric else (*st.columns([3, 2]), None)
    options = list(RULES) if spec.numeric else ["free", "history"]
    default = fact.people if fact.people in options else "free"
    k = key("rule", name, spec.name)
    st.session_state.setdefault(k, default)
    a.selectbox(f"{fact.label}", options, format_func=RULES.get, key=k,
                help=fact.description)
    if fact.reason:
        a.caption(f"Suggested: {RULES[default]}: {fact.reason}.")
    if spec.numeric and st.session_state[k] != "history":
        lo, hi = default_range(ds, spec, st_.profile)
        st.session_state.setdefault(key("lo", name, spec.name), lo)
        st.session_state.setdefault(key("hi", name, spec.name), hi)
        b.text_input("lowest", key=key("lo", name, spec.name))
        c.text_input("highest", key=key("hi", name, spec.name))
    check = read_rules(ds, st_.profile)
    field_error(check.errors, spec.name)
st.text_input("At most this many features changed (blank: no limit)", key=key("max_changes", name))
check = read_rules(ds, st_.profile)
field_error(check.errors, "_max_changes")
optin = st.checkbox("Store my answers for research: the changes each question showed, my "
                    "choices and how long I took. Not my profile.", key=key("optin"))
st.checkbox("Also store my profile (the values above), so the answers can be studied with it.",
            key=key("optin_profile"), disabled=not optin)
st.button("Find my recourse", type="primary", on_click=start, args=(test_row,),
          disabled=bool(check.errors or setup_errors))
if st_.store_error:
    st.error(st_.store_error)
