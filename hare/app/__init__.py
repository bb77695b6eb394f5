"""Helpers behind the Streamlit pages: formatting in original units, profile and grid
validation, the live HARE session wrapper, background sweeps and the opt-in answer store.

Everything here except ``cached`` is plain Python, testable without a Streamlit server.
"""
