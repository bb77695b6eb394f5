"""The live page's first two steps, drawn for it: who the person is (one of the people the
model refused, or a profile they type) and what they can change (a rule, a range and how hard
it is, per feature). The page's widget keys come in as ``key``; its state as a LiveState."""

from __future__ import annotations

import streamlit as st

from hare.live.form import DIFFICULTIES, RULES, default_range, read_rules, rule_options, rule_start
from hare.live.formatting import format_value, label, people_frame
from hare.live.profile import PEOPLE_MAX_CHANGES, field_specs, profile_from_row, typical_profile
from hare.live.sessions import LiveState
from hare_app import cached
from hare_app.views import field_error


def pick_person(ds, model_name: str, st_: LiveState, key) -> int:
    """The table of refused people to pick from; the picked person's profile becomes
    ``st_.profile``. Returns their test row (a reload mid-session keeps the session's)."""
    rows = cached.refused_rows(ds.name, model_name)
    st.caption(f"{len(rows)} people the model refused (search: the magnifier at the table's "
               "top right).")
    picked = st.dataframe(people_frame(ds, rows), hide_index=True, on_select="rerun",
                          selection_mode="single-row", key=key("picker", ds.name, model_name),
                          height=210)
    chosen = picked.selection.rows[0] if picked.selection.rows else 0
    if st_.run is not None and st_.run.test_row in rows:
        chosen = rows.index(st_.run.test_row)
    test_row = rows[chosen]
    profile_key = f"{ds.name}:row:{test_row}"
    if st_.profile_key != profile_key:
        st_.profile, st_.profile_key, st_.profile_errors = profile_from_row(ds, test_row), profile_key, {}
    st.caption(f"Person #{chosen}: " + "; ".join(
        f"{label(ds, c)} {format_value(ds, c, v)}" for c, v in st_.profile.items()
        if ds.spec.fact(c).ask))
    return test_row


def profile_form(ds, st_: LiveState, key, use_profile) -> bool:
    """The form a person types their profile in (real units; ``use_profile(profile_key)`` reads
    it on submit). Returns whether a checked profile is in ``st_.profile``."""
    profile_key = f"{ds.name}:entered"
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
                st.caption(f"{fact.label} is not asked ({fact.description.lower()}): the data's "
                           f"typical value {format_value(ds, spec.name, defaults[spec.name])} is used.")
        field_error(errors, "_form")
        st.form_submit_button("Use this profile", on_click=use_profile, args=(profile_key,))
    return st_.profile_key == profile_key and bool(st_.profile) and not errors


def rules_entered(ds, profile: dict, key):
    """The person's rules as entered in ``rules_section`` (read again in the page's start
    callback, so a value typed just before clicking is not missed)."""
    s, values = st.session_state, {}
    for spec in field_specs(ds):
        for kind in ("rule", "lo", "hi", "difficulty"):
            if key(kind, ds.name, spec.name) in s:
                values[f"{kind}:{spec.name}"] = s[key(kind, ds.name, spec.name)]
    values["max_changes"] = s.get(key("max_changes", ds.name), "")
    return read_rules(ds, profile, values)


def rules_section(ds, profile: dict, key):
    """What the person can change: per feature a rule (our suggestion for people first), a
    range in real units and how hard it is for them; at most how many features. Returns the
    rules as entered, checked (their messages are drawn beside the fields)."""
    st.subheader("2. What you can change")
    st.caption("🔒 Nobody can change: " + ", ".join(label(ds, s.name) for s in field_specs(ds)
                                                    if s.immutable) + ". The rules below are "
               "our suggestions for people; change any of them.")
    for spec in field_specs(ds):
        if spec.immutable:
            continue
        fact = ds.spec.fact(spec.name)
        a, b, c = st.columns([3, 1, 1]) if spec.numeric else (*st.columns([3, 2]), None)
        default = rule_start(ds, spec)
        k = key("rule", ds.name, spec.name)
        st.session_state.setdefault(k, default)
        a.selectbox(f"{fact.label}", rule_options(spec), format_func=RULES.get, key=k,
                    help=fact.description)
        if fact.reason:
            a.caption(f"Suggested: {RULES[default]}: {fact.reason}.")
        if fact.cost is not None and st.session_state[k] != "history":
            a.selectbox(f"How hard is changing {fact.label.lower()} for you?", DIFFICULTIES,
                        index=DIFFICULTIES.index("normal"), key=key("difficulty", ds.name, spec.name))
            a.caption(f"{fact.cost.reason}." + (f" Source: {fact.cost.source}." if fact.cost.source else ""))
        if spec.numeric and st.session_state[k] != "history":
            lo, hi = default_range(ds, spec, profile)
            st.session_state.setdefault(key("lo", ds.name, spec.name), lo)
            st.session_state.setdefault(key("hi", ds.name, spec.name), hi)
            b.text_input("lowest", key=key("lo", ds.name, spec.name))
            c.text_input("highest", key=key("hi", ds.name, spec.name))
        field_error(rules_entered(ds, profile, key).errors, spec.name)
    st.session_state.setdefault(key("max_changes", ds.name), str(PEOPLE_MAX_CHANGES))
    st.text_input("At most this many features changed (blank: no limit)",
                  key=key("max_changes", ds.name))
    check = rules_entered(ds, profile, key)
    field_error(check.errors, "_max_changes")
    return check
