"""The app's frame: its pages, their order and the shared sidebar, declared once.

``streamlit_app.py`` calls :func:`run_app`. Every page file starts with :func:`enter_page`, so a
page opened before the app's navigation exists (a deep link such as ``/results`` as the first
request of a fresh server, which Streamlit then runs as a plain ``pages/`` script) still gets
the app's menu and layout: it runs the app's navigation itself, which shows the same page.
Public Streamlit API only.
"""

from __future__ import annotations

from contextvars import ContextVar

import streamlit as st
import torch

# Set while run_app() runs a page, so that page knows it is inside the app's frame.
_IN_FRAME: ContextVar[bool] = ContextVar("hare_in_frame", default=False)

PAGES = (
    ("pages/live_recourse.py", "Live recourse", ":material/explore:"),
    ("pages/benchmark.py", "Benchmark", ":material/tune:"),
    ("pages/results.py", "Results", ":material/bar_chart:"),
)


def run_app() -> None:
    """Page config, navigation over ``pages/`` and the page the URL asks for."""
    # One thread: a live session is a single person (N = 1), and the server may share its
    # cores with a background sweep.
    torch.set_num_threads(1)
    st.set_page_config(page_title="HARE: recourse with a human in the loop",
                       page_icon=":material/explore:", layout="wide")
    page = st.navigation([st.Page(path, title=title, icon=icon, default=(i == 0))
                          for i, (path, title, icon) in enumerate(PAGES)])
    token = _IN_FRAME.set(True)
    try:
        page.run()
    finally:
        _IN_FRAME.reset(token)


def enter_page() -> None:
    """Call first in every page file: outside the app's frame, draw the app (and so this page)
    through its navigation, then stop this bare run."""
    if not _IN_FRAME.get():
        run_app()
        st.stop()
