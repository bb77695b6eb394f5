"""End-to-end tests of the Streamlit app in a real browser (a package, so its conftest does not
shadow tests/conftest.py, which other tests import as ``conftest``)."""
