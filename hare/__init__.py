"""HARE: human-in-the-loop algorithmic recourse.

The engine behind the Streamlit app and the ``python -m hare`` command line: real datasets,
torch classifiers, base recourse generators, the HARE question/answer session, simulated users,
metrics and a DuckDB-backed sweep runner.
"""

__version__ = "0.1.0"
