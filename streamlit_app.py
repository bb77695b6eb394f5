"""HARE's Streamlit app: live recourse for a person, a benchmark runner and a results dashboard.

Run with ``streamlit run streamlit_app.py``. The pages in ``pages/`` are thin faces over
``hare/``: they collect input, call the engine and show what comes back.
"""

import streamlit as st
import torch

from hare_app.paths import answers_db_path, results_db_path

# One thread: a live session is a single person (N = 1), and the server may share its cores
# with a background sweep.
torch.set_num_threads(1)

st.set_page_config(page_title="HARE: recourse with a human in the loop", page_icon=":material/explore:",
                   layout="wide")

page = st.navigation([
    st.Page("pages/live_recourse.py", title="Live recourse", icon=":material/explore:", default=True),
    st.Page("pages/benchmark.py", title="Benchmark", icon=":material/tune:"),
    st.Page("pages/results.py", title="Results", icon=":material/bar_chart:"),
])

with st.sidebar:
    st.caption(f"Results database: `{results_db_path()}`  \n"
               f"Opt-in answers: `{answers_db_path()}`")

page.run()
