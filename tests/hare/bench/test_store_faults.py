"""A store that fails under a sweep: a full disk, a file left half-written. Each ends in one
line that names the cause and what was kept, and a later run resumes without duplicates."""

import resource
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from hare.bench.store import ResultStore
from hare.errors import StoreError

ROOT = Path(__file__).resolve().parents[3]
GRID = ["run", "--dataset", "compas", "--generator", "gs", "--users", "3", "--seeds", "0", "1",
        "--variant", "base", "hare", "--quiet", "--workers", "1"]


def hare(args: list[str], file_limit: int | None = None) -> subprocess.CompletedProcess:
    def limit():  # what a full disk does to a write: EFBIG past this many bytes
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))
    return subprocess.run([sys.executable, "-m", "hare", *args], cwd=ROOT, capture_output=True,
                          text=True, preexec_fn=limit if file_limit else None, timeout=600)


@pytest.mark.parametrize("kib", [16, 100])
def test_a_full_disk_ends_in_one_line_and_the_sweep_resumes(tmp_path, kib):
    assert hare([*GRID, "--db", str(tmp_path / "warm.duckdb")]).returncode == 0  # models cached
    db = tmp_path / "runs.duckdb"
    full = hare([*GRID, "--db", str(db)], file_limit=kib * 1024)
    lines = [line for line in full.stderr.splitlines() if line.startswith("hare:")]
    assert full.returncode == 2 and len(lines) == 1, full.stderr
    assert "cannot be checkpointed (file too large)" in lines[0]
    assert "runs stored by this sweep: 1" in lines[0] and "run the same command again" in lines[0]
    assert hare([*GRID, "--db", str(db)]).returncode == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT run_id) FROM runs").fetchone() == (4, 4)


def test_a_half_written_store_is_named_with_the_way_out(tmp_path):
    half = tmp_path / "half.duckdb"
    half.write_bytes((ROOT / "results" / "hare.duckdb").read_bytes()[:8192])
    with pytest.raises(StoreError, match=r"cannot be read as a results store .*remove it \(rm "):
        ResultStore(half).stored_run_ids()
    assert half.stat().st_size == 8192  # nothing was changed


def test_a_file_that_is_not_duckdb_is_not_called_half_written(tmp_path):
    notes = tmp_path / "notes.duckdb"
    notes.write_text("my notes\n")
    with pytest.raises(StoreError) as raised:
        ResultStore(notes).stored_run_ids()
    assert "remove it" not in str(raised.value)
