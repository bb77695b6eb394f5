"""Recourse for one person: the session's declared settings (setup) and the page's forms read
from plain values (form), their profile and limits, the live HARE session wrapped for a person
(options in original units, the transcript, the card), and the opt-in answer store.

Plain Python over the engine: the Streamlit page and ``python -m hare recourse`` both use it.
"""
