"""The live page's drawing pieces that need no page state: an option, a question (its buttons
call back into the page), the header, the card, the "no recourse" panel and the rules in force;
the own-data page draws its questions and cards with them too."""

from __future__ import annotations

import streamlit as st

from hare.live.consent import QUESTIONS
from hare.live.costs import costs_frame, plan_sentence
from hare.live.endings import best_plans, what_to_loosen
from hare.live.formatting import format_value, generator_label, label, profile_table
from hare.live.run import LiveRun, Option
from hare.live.unlock import ways_out
from hare_app.charts import changes_chart


def about_models(ds, words) -> str:
    """What the model is and what its numbers mean, in one caption under the header."""
    source = ds.spec.data_source or "public data"
    return (f"A research model trained on {source}, not a real lender's, court's or "
            f"employer's decision. A {words.probability} of 60 % means that of people the "
            "model scores like this, about 6 in 10 had the desired outcome in its data; changes "
            "are in percentage points.")


def show_option(title: str, option: Option, words) -> None:
    """One option: its changes in original units and the model's probability for it."""
    with st.container(border=True):
        st.markdown(f"**{title}**")
        if option.costs:
            st.markdown("\n".join(
                f"- {c.label}: **{_value(option, c)}** · {c.time} · {c.effort}"
                + (" · needs money" if c.money else "") for c in option.costs))
            st.caption(option.plan)
        elif option.changes:
            st.markdown("\n".join(f"- {c.feature}: **{c.before} → {c.after}**" for c in option.changes))
        else:
            st.markdown("- no change")
        st.caption(f"The model's {words.probability}: {option.probability:.0%}")


def show_question(run: LiveRun, words, answer, key, none_work=None) -> None:
    """``run``'s pending question: a pair to choose from, with its changes side by side, or
    "good enough?" about the best option so far. ``answer(number, choice)`` is the buttons'
    callback, ``none_work`` the "None of these work for me" button's (not drawn without one);
    ``key(...)`` names the widgets, each after its question, so a stale button answers nothing."""
    q = run.question()

    def button(where, text: str, choice: bool, primary: bool = True) -> None:
        where.button(text, type="primary" if primary else "secondary", on_click=answer,
                     args=(q.number, choice), key=key("q", str(q.number), text))

    st.progress(min(1.0, run.used / run.budget),
                text=f"Question {q.number} of at most {run.budget} · round {q.iteration} of "
                     f"{run.config.rounds}")
    if q.kind == "compare":
        st.subheader(QUESTIONS["compare"])
        st.caption(f"Both would get the model to at least {run.config.target:.0%}. Pick the "
                   "changes you would find easier to make.")
        left, right = st.columns(2)
        with left:
            show_option("Option A", q.current, words)
            button(st, "I prefer A", False)
        with right:
            show_option("Option B", q.challenger, words)
            button(st, "I prefer B", True)
        frame = costs_frame({"A": list(q.current.costs), "B": list(q.challenger.costs)})
        if not frame.empty:
            st.altair_chart(changes_chart(frame), width="stretch")
        return
    st.subheader(QUESTIONS["accept"])
    if q.new_options == 0:
        st.info("The search ran out of new options this round: this is the best one found.")
    show_option("Your best option so far", q.current, words)
    if q.last_round:
        st.caption("This is the last round: a yes ends on this option as your plan; a no ends "
                   "on it as the closest option, with what you could loosen.")
    yes, no, *none = st.columns(2 if none_work is None else 3)
    button(yes, "Yes, I can do this", True)
    button(no, "No, keep looking", False, primary=False)
    if none:
        none[0].button("None of these work for me", on_click=none_work,
                       key=key("none", str(q.number)))


def _value(option: Option, cost) -> str:
    """"before → after" for one change of an option, as the option formats it."""
    shown = next((c for c in option.changes if c.feature == cost.label), None)
    return f"{shown.before} → {shown.after}" if shown else f"{cost.before} → {cost.after}"


def show_plans(run: LiveRun, words) -> None:
    """The best few options the person saw, side by side, each with its time and effort."""
    plans = best_plans(run)
    if len(plans) < 2:
        return
    st.markdown("**Plans you saw**, side by side (keep the ones you could follow):")
    for column, (n, plan) in zip(st.columns(len(plans)), enumerate(plans, 1)):
        with column.container(border=True):
            st.markdown(f"**Plan {n}** · {plan.time}")
            st.markdown(plan.sentence)
            st.caption(f"Effort: about {plan.effort_weeks:.0f} weeks of steady work · "
                       f"{words.probability}: {plan.probability:.0%}")


def show_loosen(run: LiveRun) -> None:
    """What would have to move for the options to work for the person."""
    items = what_to_loosen(run)
    st.markdown("**What you could loosen** (press **Start over** and change it): "
                + "; ".join(items) + ".")


def show_no_recourse(run: LiveRun, words, take_way_out, key) -> None:
    """The honest "no recourse", with what would have to change and a button for each way out
    (``take_way_out(feature or None, generator)``; ``key`` names the page's widgets)."""
    ds = run.dataset
    st.warning(run.no_recourse_reason())
    ways = ways_out(run)
    held = [label(ds, f) for f in run.preferences.frozen]
    if not ways:
        if held:
            st.info(f"Letting any one of {', '.join(held)} change would not be enough either. "
                    "More than one would have to change, or a lower target: **Start over** to "
                    "change your rules.")
        else:
            st.info("Nothing you hold fixed stands in the way: the model asks for more than your "
                    "ranges and directions allow. **Start over** to widen them or lower the target.")
        return
    st.markdown("**What would have to change**")
    for way in ways:
        example = "; ".join(c.text for c in way.example)
        with st.container(border=True):
            if way.feature is None:
                name = generator_label(way.generator)
                st.markdown(f"Within your limits, **{name}** finds one: {example} "
                            f"({words.yes}: {way.probability:.0%}).")
                st.button(f"Search with {name}", on_click=take_way_out, args=(None, way.generator),
                          key=key("way", way.generator))
            else:
                fact = ds.spec.fact(way.feature)
                why = f" ({fact.reason.lower()})" if fact.reason else ""
                st.markdown(f"**{fact.label}** is held fixed{why}. If it could change: {example} "
                            f"would get **{words.yes}: {way.probability:.0%}**.")
                st.button(f"Let {fact.label.lower()} change and search again", type="primary",
                          on_click=take_way_out, args=(way.feature, run.config.generator),
                          key=key("way", way.feature))


def header(run: LiveRun | None, p_now: float, words) -> None:
    """The model's decision now, or with the changes once the card says approved."""
    c1, c2 = st.columns(2)
    if run is not None and run.done and run.approved and run.ending == "accepted":
        # the header follows the card: a yes only for a plan the person said they can do
        p_after = run.probability_after()
        c1.metric("The model's decision with your changes", words.yes)
        c2.metric(f"The model's {words.probability}", f"{p_after:.0%}",
                  delta=f"{100 * (p_after - p_now):+.0f} percentage points")
    else:
        c1.metric("The model's decision now", words.no if p_now < 0.5 else words.yes)
        c2.metric(f"The model's {words.probability}", f"{p_now:.0%}")


def show_card(run: LiveRun, words) -> None:
    """The recourse card: the verdict in words, the changes, and the JSON download."""
    after = run.probability_after()
    verdict = words.yes if run.approved else words.no
    text = (f"With these changes the model's decision would be **{verdict}: {after:.0%}** "
            f"(target {run.config.target:.0%}; now {run.probability_before():.0%}).")
    if run.ending == "none work":
        st.subheader("None of these work for you")
        st.warning("You said none of the options you saw is a change you can make, so there is "
                   "no recourse here for you within your limits.")
        show_loosen(run)
        show_plans(run, words)
        return
    costs = run.change_costs(run.recourse)
    # a fact of the past the person unlocked to see what the model weighs is not a plan
    past = [c.label.lower() for c in costs if run.dataset.spec.fact(c.column).people == "history"]
    if run.ending == "accepted" and past:
        st.subheader("What the model weighs, not a plan")
        st.warning(text + f" It changes {', '.join(past)}: a fact of the past that no one can "
                   "change, so this shows what the model weighs rather than a step you can take.")
    elif run.ending == "accepted":
        st.subheader("Your recourse")
        st.success(text)
    else:  # the questions ran out, or "no" in the last round: the closest, not a success
        st.subheader("Your recourse? The closest option you saw")
        st.info(text + " You did not say you can do this.")
        show_loosen(run)
    if costs:
        st.markdown("\n".join(f"- {c.words[0].upper()}{c.words[1:]}: {c.time}, {c.effort}"
                               + (", needs money" if c.money else "") + (f" — {c.reason}" if c.reason else "")
                               for c in costs))
        st.markdown(f"**In one sentence:** {plan_sentence(costs)}")
    with st.container(border=True):
        table = profile_table(run.dataset, run.x[0].numpy(), run.recourse.numpy())
        st.dataframe(table[table["changed"]][["feature", "before", "after"]], hide_index=True)
        # a session can end before its budget: a comparison with nothing new is skipped, free
        ended = ("you said it is good enough" if run.accepted else "the questions ran out"
                 if run.used >= run.budget else
                 "the search found no other options within your limits")
        st.caption(f"You answered {run.used} questions (at most {run.budget}); it ended because "
                   f"{ended}.")
        with st.expander("Every feature, before → after"):
            st.dataframe(table[["feature", "before", "after"]], hide_index=True)
        st.download_button("Download the card (JSON)", run.card_json(), file_name="recourse.json",
                           mime="application/json", on_click="ignore")
    show_plans(run, words)
    if run.saved:
        st.success("Your answers were stored for research, as the box said. Thank you.")


def rules_in_force(run: LiveRun) -> str:
    """The session's method, target and every rule in force, in one line (always visible)."""
    ds, p = run.dataset, run.preferences
    rules = [f"{label(ds, f)} won't change" for f in p.frozen]
    rules += [f"{label(ds, f)} only {'up' if s > 0 else 'down'}" for f, s in p.directions]
    rules += [f"{label(ds, f)} {format_value(ds, f, lo)}–{format_value(ds, f, hi)}"
              for f, lo, hi in p.ranges]
    if p.max_changes:
        rules.append(f"at most {p.max_changes} features changed")
    asking = "learns your preference" if run.config.method == "active" else "tournament"
    return (f"{generator_label(run.config.generator)} · questions: {asking} · target "
            f"{run.config.target:.0%} · your rules: "
            + ("; ".join(rules) or "none beyond the locked features"))
