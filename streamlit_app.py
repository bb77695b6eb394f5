"""HARE's Streamlit app: live recourse for a person, a benchmark runner and a results dashboard.

Run with ``streamlit run streamlit_app.py``. The pages in ``pages/`` are thin faces over
``hare/``; the frame (pages, navigation) is declared once in ``hare_app/shell.py``.
"""

from hare_app.shell import run_app

run_app()
