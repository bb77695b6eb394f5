"""``hare recourse`` on bad input: each case one ``hare: error:`` line, exit 2, no card and
nothing written (no model trained into an empty cache), and the strict number reading the page
shares (hare.live.profile)."""

from __future__ import annotations

import io
import json

import pytest

from hare.cli import main
from hare.live.profile import _number, profile_from_row

@pytest.fixture
def good(adult):
    return profile_from_row(adult, 0)


def _without(profile, name):
    return {k: v for k, v in profile.items() if k != name}


CASES = {
    "a list": lambda p: "[1, 2]",
    "a string": lambda p: '"age"',
    "a number": lambda p: "3",
    "null": lambda p: "null",
    "deep nesting": lambda p: "[" * 100_000 + "]" * 100_000,
    "an empty object": lambda p: "{}",
    "no age": lambda p: json.dumps(_without(p, "age")),
    "digits split by commas": lambda p: json.dumps(p | {"capital-gain": "5,2,0,0"}),
    "a boolean for a number": lambda p: json.dumps(p | {"capital-gain": True}),
    "an unknown column": lambda p: json.dumps(p | {"salary": 1}),
}
EXPECTED = {"a list": "holds a JSON list", "a string": "holds a JSON string",
            "a number": "holds a JSON number", "null": "holds a JSON null",
            "deep nesting": "nested too deeply", "an empty object": "missing: age, education-num",
            "no age": "missing: age", "digits split by commas": "capital-gain: enter a number",
            "a boolean for a number": "capital-gain: enter a number",
            "an unknown column": "not columns of adult: salary"}


def _fails(args, capsys, expected: str) -> None:
    assert main(args) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hare: error:") and expected in lines[0], out.err


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("HARE_CACHE_DIR", str(cache))
    yield cache
    assert not cache.exists() or not any(cache.rglob("*")), "something was written"


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_profile_file_is_one_line_and_nothing_is_written(case, good, tmp_path, capsys,
                                                                empty_cache):
    path = tmp_path / "profile.json"
    path.write_text(CASES[case](good))
    _fails(["recourse", "--profile", str(path), "--answers", "simulated"], capsys, EXPECTED[case])


def test_a_profile_that_is_not_utf8_or_absent(tmp_path, capsys, empty_cache):
    path = tmp_path / "profile.json"
    path.write_bytes(b"\xff\xfe{}")
    _fails(["recourse", "--profile", str(path)], capsys, "is not UTF-8 text")
    _fails(["recourse", "--profile", str(tmp_path / "none.json")], capsys, "cannot read the profile")


@pytest.mark.parametrize("seed", ["-1", "4294967295", "1e30", "1.5", "x"])
def test_the_seed_is_bounded_as_the_session_declares(seed, capsys, empty_cache):
    with pytest.raises(SystemExit) as exit_:
        main(["recourse", "--row", "0", f"--seed={seed}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hare: error: argument --seed")


def test_a_closed_standard_input_is_said_plainly(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    # refused person 3 has a recourse within the people defaults, so a question is asked
    assert main(["recourse", "--row", "3", "--answers", "ask", "--budget", "2", "--rounds", "1"]) == 2
    out = capsys.readouterr()
    assert out.out == ""  # no card, no prompt on standard output
    assert out.err.strip().splitlines()[-1] == (
        "hare: error: standard input closed before question 1 was answered: answer in a "
        "terminal, or use --answers simulated")


def test_a_complete_profile_file_with_grouped_thousands_works(good, tmp_path, capsys):
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(_without(good, "fnlwgt") | {"capital-gain": "$5,200"}))
    assert main(["recourse", "--profile", str(path), "--answers", "simulated", "--json",
                 "--budget", "2", "--rounds", "1"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["profile"]["capital-gain"] == 5200  # fnlwgt, not asked, from the data


@pytest.mark.parametrize("text, number", [("5,200", 5200.0), ("$52,000.50", 52000.5),
                                          ("1e3", 1000.0), (" 7 ", 7.0), (3, 3.0), (2.5, 2.5)])
def test_numbers_read_as_written(text, number):
    assert _number(text) == number


@pytest.mark.parametrize("text", ["5,2,0,0", "52,00", ",5", "1,2345", True, False, "nan", "inf",
                                  "", "five", [5], {"v": 5}])
def test_what_is_not_one_number_is_refused(text):
    assert _number(text) is None
