"""Per-person comparison of active HARE (hare.bench.person_shares) and `hare merge`: exact
shares on hand-made rows, the table outliving the per-user rows through compaction and merge,
a merge that replaces a variant wholesale, and the report's and results page's per-person
lines."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from hare.bench import person_shares
from hare.bench.active_report import people_lines
from hare.bench.merge import merge_stores
from hare.bench.store import ResultStore, export_compact
from hare.cli import main
from hare.errors import StoreError
from hare_app.person_view import filtered, outcome_frame
from hare_app.results import Filters

GROUP = dict(dataset="compas", model="ann", generator="gs", scale="far", noise="none",
             noise_param=0.0, user_model="fewest_changes", protocol="hare", users=4, seed=0)


def _rows(costs: dict[tuple[str, float | None, str], list[float]]) -> pd.DataFrame:
    """Per-user rows of one group: (variant, budget, counting) → each user's own cost."""
    frames = []
    for (variant, budget, counting), values in costs.items():
        frames.append(pd.DataFrame({**GROUP, "variant": variant, "budget": budget,
                                    "counting": counting, "user_index": range(len(values)),
                                    "user_cost": values}))
    return pd.concat(frames, ignore_index=True)


def test_shares_count_each_person_against_multi_hare_and_the_base():
    rows = _rows({("base", None, "paper"): [2.0, 2.0, 2.0, 2.0],
                  ("multi_hare", 30, "people"): [1.0, 1.5, 1.0, 2.0],
                  ("multi_hare", 30, "paper"): [0.0, 0.0, 0.0, 0.0],  # not the reference
                  ("active_hare", 30, "paper"): [0.5, 1.5, 1.2, 2.5]})
    table = person_shares.person_shares(rows)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["people"] == 4 and row["budget"] == 30
    assert row["worse_than_multi"] == 0.5  # users 2 and 3
    assert row["better_than_multi"] == 0.25  # user 0; user 1 ties
    assert row["costlier_than_base"] == 0.25  # user 3
    assert row["multi_costlier_than_base"] == 0.0
    # a tie computed twice in floating point is still a tie
    noisy = _rows({("base", None, "paper"): [1.0], ("multi_hare", 30, "people"): [0.3],
                   ("active_hare", 30, "paper"): [0.1 + 0.2]})
    row = person_shares.person_shares(noisy).iloc[0]
    assert row["worse_than_multi"] == row["better_than_multi"] == 0.0


def test_by_kind_weights_each_group_by_its_people():
    one = dict(GROUP, budget=30, people=100, worse_than_multi=0.1, better_than_multi=0.9,
               costlier_than_base=0.0, multi_costlier_than_base=0.0)
    other = dict(one, seed=1, people=300, worse_than_multi=0.5, better_than_multi=0.5)
    table = person_shares.by_kind(pd.DataFrame([one, other]))
    assert len(table) == 1 and table["people"].iloc[0] == 400
    assert table["worse_than_multi"].iloc[0] == pytest.approx(0.4)


SMALL = ["--dataset", "compas", "--model", "lr", "--generator", "gs", "--users", "12",
         "--seeds", "0", "--user-model", "fewest_changes", "--quiet"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A small store with base, Multi-HARE (people counting) and active HARE runs."""
    db = tmp_path_factory.mktemp("sweep") / "sweep.duckdb"
    for arm in (["--variant", "base"],
                ["--variant", "multi_hare", "--budget", "10", "--iterations", "2",
                 "--counting", "people"],
                ["--variant", "active_hare", "--budget", "10", "--iterations", "1"]):
        assert main(["run", *SMALL, *arm, "--db", str(db)]) == 0
    return db


def test_compaction_keeps_the_shares_the_user_rows_gave(sweep, tmp_path):
    with duckdb.connect(str(sweep), read_only=True) as con:
        expected = person_shares.from_store(con)
    assert len(expected) == 1 and expected["people"].iloc[0] == 12
    compact = export_compact(sweep, tmp_path / "compact.duckdb", with_users=False)
    with duckdb.connect(str(compact), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM user_results").fetchone()[0] == 0
    pd.testing.assert_frame_equal(ResultStore(compact).person_shares(), expected,
                                  check_dtype=False)
    # and the report's per-person lines are made from them
    lines = people_lines(ResultStore(compact).person_shares())
    assert lines and any("| fewest changes | consistent | 10 | 12 |" in line for line in lines)


def test_merge_adds_replaces_a_variant_and_keeps_the_shares(sweep, tmp_path, capsys):
    target = tmp_path / "target.duckdb"
    # the target holds the base and Multi-HARE runs, and an active run of another setting
    assert main(["run", *SMALL, "--variant", "base", "--db", str(target)]) == 0
    other = [a if a != "fewest_changes" else "weighted_cost" for a in SMALL]
    assert main(["run", *other, "--variant", "active_hare", "--budget", "10", "--iterations",
                 "1", "--db", str(target)]) == 0
    before = set(ResultStore(target).runs()["run_id"])
    assert main(["merge", str(sweep), "--into", str(target), "--replace-variant",
                 "active_hare", "--runs-only"]) == 0
    assert "2 runs added, 1 already held and kept, 1 removed first" in capsys.readouterr().err
    runs = ResultStore(target).runs()
    assert set(runs["run_id"]) == set(ResultStore(sweep).runs()["run_id"])
    assert len(before - set(runs["run_id"])) == 1  # the other active run went
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM user_results").fetchone()[0] == 12  # base's
    assert len(ResultStore(target).person_shares()) == 1
    # merging again changes nothing; a store into itself is one clear error
    result = merge_stores(sweep, target, with_users=False)
    assert (result.added, result.kept, result.removed) == (0, 3, 0)
    with pytest.raises(StoreError, match="name two different files"):
        merge_stores(sweep, sweep)


def test_the_results_page_filters_and_charts_the_shares():
    shares = pd.DataFrame([dict(GROUP, budget=30, people=10, worse_than_multi=0.2,
                                better_than_multi=0.7, costlier_than_base=0.0,
                                multi_costlier_than_base=0.1),
                           dict(GROUP, dataset="adult", budget=30, people=10,
                                worse_than_multi=0.0, better_than_multi=1.0,
                                costlier_than_base=0.0, multi_costlier_than_base=0.0)])
    kept = filtered(shares, Filters(datasets=("compas",)))
    assert list(kept["dataset"]) == ["compas"]
    long = outcome_frame(person_shares.by_kind(kept))
    assert dict(zip(long["outcome"], long["share"].round(6))) == {
        "worse than Multi-HARE": 0.2, "the same": 0.1, "better than Multi-HARE": 0.7}
    assert set(long["person"]) == {"fewest changes"}


def test_merge_refuses_bad_stores_in_one_line_and_writes_nothing(tmp_path, capsys):
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database")
    for argv in (["merge", str(tmp_path / "missing.duckdb"), "--into", str(tmp_path / "t.duckdb")],
                 ["merge", str(text), "--into", str(tmp_path / "t.duckdb")]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("hare: error: ") and "\n" not in err, err
    assert not (tmp_path / "t.duckdb").exists() and text.read_text() == "not a database"


def test_noisy_answers_are_compared_with_the_noise_free_base_run():
    rows = _rows({("base", None, "paper"): [2.0, 2.0]})
    noisy = _rows({("multi_hare", 30, "people"): [1.0, 1.0],
                   ("active_hare", 30, "paper"): [0.5, 3.0]}).assign(noise="bernoulli",
                                                                     noise_param=0.3)
    table = person_shares.person_shares(pd.concat([rows, noisy], ignore_index=True))
    assert len(table) == 1 and table["noise"].iloc[0] == "bernoulli"
    assert table["costlier_than_base"].iloc[0] == 0.5
