"""The Streamlit app's own code: caches, page pieces, the sweep launcher, the results views and
charts. Lives beside ``pages/`` so that ``import hare`` never needs Streamlit.
"""
