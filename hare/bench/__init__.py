"""Benchmarks: run configs and grids, the runner, the DuckDB results store, the paper's numbers."""
