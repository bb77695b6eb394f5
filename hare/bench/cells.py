"""One results layer: stored runs and the paper's numbers turned into cells, the rows that the
``summary`` after a run, the ``report`` and ``cells`` commands and the results page all read.

A cell is a run config without its seed; runs of different settings (users included) are never
pooled. Which cells belong to a paper table is read from that table's preset.
"""

from __future__ import annotations

import math
import re
from dataclasses import fields, replace
from functools import lru_cache

import pandas as pd

from hare.bench.config import CONFIG_FIELDS, RunConfig
from hare.bench.measures import REPORTED
from hare.bench.paper import PAPER_METRIC, paper_results
from hare.bench.presets import PRESETS, preset_grid
from hare.bench.protocol_groups import title
from hare.bench.store import ResultStore

TOLERANCE = 0.10  # a cell is within when |ours − paper| ≤ max(paper std, TOLERANCE)
TOLERANCE_TEXT = f"|ours − paper| ≤ max(paper std, {TOLERANCE:.2f})"  # the rule, for people
KEY = tuple(f for f in CONFIG_FIELDS if f != "seed")
# Fields a preset is run at any value of (preset_grid takes them as arguments): a 20-user run of
# a Table 1 cell is still Table 1, and the paper's number applies to it, in its own cell.
FREE = tuple(f for f in ("seed", "users", "protocol") if f in CONFIG_FIELDS)
METRICS = REPORTED  # hare.bench.measures
PAPER_KEY = ("model", "dataset", "generator", "variant", "budget", "iterations", "bps", "scale")
COLUMNS = ["cell_id", *KEY, "seeds", "seeds_with_value", "n_users", "metric", "mean", "std",
           "paper_mean", "paper_std", "within", "presets"]
DEFAULTS = {f.name: f.default for f in fields(RunConfig) if f.name not in ("dataset", "model",
                                                                            "generator", "variant")}
# Paper tables are the presets named "tableN"; N is the paper's table number.
PAPER_TABLES = {name: int(name[5:]) for name in PRESETS if re.fullmatch(r"table\d+", name)}


def _plain(value):
    """pandas' NA/NaN -> None, numpy scalars -> Python ones (RunConfig compares them)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _config(values: dict) -> RunConfig:
    """The normalised config of a cell (seed 0 stands for every seed)."""
    kwargs = {f: _plain(values.get(f, DEFAULTS.get(f))) for f in KEY}
    for name in ("budget", "iterations", "users"):
        if kwargs[name] is not None:
            kwargs[name] = int(kwargs[name])
    for name in ("noise_param",):
        kwargs[name] = float(kwargs[name]) if kwargs[name] is not None else DEFAULTS[name]
    return RunConfig(**kwargs, seed=0).normalised()


def _membership(cfg: RunConfig) -> tuple:
    return tuple(getattr(cfg, f) for f in KEY if f not in FREE)


@lru_cache(maxsize=1)
def _preset_members() -> dict[str, frozenset]:
    return {name: frozenset(_membership(replace(c, seed=0)) for c in preset_grid(name, seeds=[0]))
            for name in PRESETS}


def presets_of(cfg: RunConfig) -> list[str]:
    """The presets whose grid holds this cell, whatever its seeds and users."""
    key = _membership(cfg.normalised())
    return [name for name, members in _preset_members().items() if key in members]


def _paper_applies(cfg: RunConfig) -> bool:
    """The paper ran noiseless ground-truth users only: every field it does not name but a
    free one must be at its default."""
    return all(getattr(cfg, f) == DEFAULTS[f] for f in KEY
               if f not in PAPER_KEY and f not in FREE)


@lru_cache(maxsize=1)
def _paper_lookup() -> dict[tuple, dict[int, tuple[float, float]]]:
    """(paper key..., our metric) -> {table: (mean, std)}."""
    ours = {paper: our for our, paper in PAPER_METRIC.items()}
    table: dict[tuple, dict[int, tuple[float, float]]] = {}
    for row in paper_results().itertuples(index=False):
        key = tuple(_plain(getattr(row, f)) for f in PAPER_KEY)
        key = tuple(int(v) if isinstance(v, float) else v for v in key) + (ours[row.metric],)
        table.setdefault(key, {})[int(row.table)] = (float(row.mean), float(row.std))
    return table


def paper_numbers(cfg: RunConfig, metric: str, table: int | None = None) -> tuple[float, float] | None:
    """(mean, std) the paper reports for this cell: from ``table``, or the first table that has
    it (Tables 1 and 4 repeat each other's cells); None where it has none."""
    if not _paper_applies(cfg):
        return None
    found = _paper_lookup().get(tuple(getattr(cfg, f) for f in PAPER_KEY) + (metric,))
    if not found:
        return None
    if table is None:
        return found[min(found)]
    return found.get(table)


def within(mean: float, paper: tuple[float, float] | None) -> bool | None:
    """Whether ``mean`` is within the paper's tolerance (TOLERANCE_TEXT): the one rule the
    summary, the report and the results page use; None where there is nothing to compare."""
    if paper is None or mean is None or math.isnan(mean):
        return None
    std = paper[1] if not math.isnan(paper[1]) else 0.0
    return bool(abs(mean - paper[0]) <= max(std, TOLERANCE))


def stored_runs(store: ResultStore) -> pd.DataFrame:
    """The ``runs`` table with every config field: a column a store lacks (a field added after it
    was written) holds that field's default (ResultStore.runs fills it)."""
    return store.runs()


def cells(runs: pd.DataFrame, metrics=METRICS) -> pd.DataFrame:
    """One row per (cell, metric) of the given runs, a cell's rows together and the cells in the
    order of their first run (``cell_id``: the id of the cell's config at seed 0): mean and population std over the seeds that
    have a value (a run whose every user failed has none: counted in ``seeds``, not averaged),
    ``n_users`` the fewest users any seed actually used, the paper's first number for the cell
    and whether ours is within it, and the presets that hold the cell."""
    if runs.empty:
        return _typed(pd.DataFrame(columns=COLUMNS))
    groups: dict[RunConfig, list[int]] = {}
    for position, values in enumerate(runs[list(KEY)].to_dict("records")):
        groups.setdefault(_config(values), []).append(position)
    rows = []
    for cfg, positions in groups.items():
        part = runs.iloc[positions]
        base = {"cell_id": cfg.run_id, **{f: getattr(cfg, f) for f in KEY}}
        base.update(seeds=len(positions), n_users=int(part["n_users"].min()),
                    presets=" ".join(presets_of(cfg)))
        for metric in metrics:
            if metric not in part.columns:
                continue
            present = part[metric].dropna().astype(float)
            mean = float(present.mean()) if len(present) else math.nan
            std = float(present.std(ddof=0)) if len(present) else math.nan
            paper = paper_numbers(cfg, metric)
            rows.append(dict(base, metric=metric, seeds_with_value=len(present), mean=mean,
                             std=std, paper_mean=paper[0] if paper else math.nan,
                             paper_std=paper[1] if paper else math.nan,
                             within=within(mean, paper)))
    return _typed(pd.DataFrame(rows, columns=COLUMNS))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole-number fields as nullable integers, so a budget reads 30, not 30.0."""
    for name in ("budget", "iterations", "users", "n_users", "seeds", "seeds_with_value"):
        frame[name] = pd.to_numeric(frame[name]).astype("Int64")
    return frame


def store_cells(store: ResultStore, metrics=METRICS) -> pd.DataFrame:
    return cells(stored_runs(store), metrics)


def config_of(row) -> RunConfig:
    """The cell's config back from one of its rows (a dict or a namedtuple)."""
    values = row if isinstance(row, dict) else row._asdict()
    return _config(values)


def preset_rows(frame: pd.DataFrame, preset: str, with_paper_only: bool = True) -> pd.DataFrame:
    """The rows of one preset's view: our cells in its grid, with the paper's numbers from its
    own table (for a paper table), and, with ``with_paper_only``, a row (``seeds`` 0, ``mean``
    NaN) for every paper cell of that table we have no run for in any setting."""
    member = frame["presets"].map(lambda names: preset in str(names).split()).astype(bool)
    ours = frame[member].copy()
    table = PAPER_TABLES.get(preset)
    if table is None:
        ours[["paper_mean", "paper_std"]] = math.nan
        ours["within"] = None
        return ours.reset_index(drop=True)
    numbers = [paper_numbers(config_of(row), row["metric"], table) for row in
               ours.to_dict("records")]
    ours["paper_mean"] = [p[0] if p else math.nan for p in numbers]
    ours["paper_std"] = [p[1] if p else math.nan for p in numbers]
    ours["within"] = [within(m, p) for m, p in zip(ours["mean"], numbers)]
    if not with_paper_only:
        return ours.reset_index(drop=True)
    return pd.concat([ours, _paper_only(ours, table, preset)], ignore_index=True)


def _paper_only(ours: pd.DataFrame, table: int, preset: str) -> pd.DataFrame:
    have = {tuple(_plain(v) for v in row) for row in
            ours[list(PAPER_KEY) + ["metric"]].itertuples(index=False)}
    ours_metric = {paper: our for our, paper in PAPER_METRIC.items()}
    rows = []
    paper = paper_results()
    for row in paper[paper["table"] == table].to_dict("records"):
        cfg = _config(row)
        metric = ours_metric[row["metric"]]
        if tuple(getattr(cfg, f) for f in PAPER_KEY) + (metric,) in have:
            continue
        rows.append(dict({f: getattr(cfg, f) for f in KEY}, cell_id="", users=None, seeds=0,
                         seeds_with_value=0, n_users=None, metric=metric, mean=math.nan,
                         std=math.nan, paper_mean=float(row["mean"]),
                         paper_std=float(row["std"]), within=None, presets=preset))
    return _typed(pd.DataFrame(rows, columns=COLUMNS))


def settings(frame: pd.DataFrame) -> list[dict]:
    """The distinct values of the free fields (seeds aside) among our cells: one verdict each."""
    free = [f for f in FREE if f != "seed"]
    mine = frame[frame["seeds"] > 0]
    if mine.empty or not free:
        return []
    return [dict(zip(free, values if isinstance(values, tuple) else (values,)))
            for values in mine[free].drop_duplicates().sort_values(free, ascending=False)
            .itertuples(index=False, name=None)]


def setting_label(setting: dict) -> str:
    """E.g. "150 users" (our protocol is not named) or "100 users, the authors' code, replayed"
    (hare.bench.protocol_groups names the protocols for people)."""
    return ", ".join(title(value) if name == "protocol" else f"{value} {name}"
                     for name, value in setting.items()
                     if not (name == "protocol" and value == DEFAULTS["protocol"]))


def in_setting(frame: pd.DataFrame, setting: dict) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    for name, value in setting.items():
        keep &= frame[name] == value
    return frame[keep]


def select(frame: pd.DataFrame, presets: tuple[str, ...] = (), paper: bool = True,
           metrics: tuple[str, ...] = (), **chosen: tuple) -> pd.DataFrame:
    """The rows a view shows, and ``python -m hare cells`` prints: with ``presets``, the union of
    their views (``paper`` False: ours only, no paper numbers); without, every cell of ours.
    ``chosen`` keeps rows whose field's value (as text) is one of those given."""
    if presets:
        parts = [preset_rows(frame, p, with_paper_only=paper) for p in presets]
        rows = pd.concat(parts, ignore_index=True) if parts else frame.iloc[:0]
        mine = rows[rows["seeds"] > 0].drop_duplicates(["cell_id", "metric"])
        rest = rows[rows["seeds"] == 0].drop_duplicates([*KEY, "metric"])
        rows = pd.concat([mine, rest], ignore_index=True)
        if not paper:
            rows[["paper_mean", "paper_std"]] = math.nan
            rows["within"] = None
    else:
        rows = frame
    if metrics:
        rows = rows[rows["metric"].isin(metrics)]
    for field, values in chosen.items():
        if values:
            rows = rows[rows[field].map(lambda v: _matches(v, values)).astype(bool)]
    return rows.reset_index(drop=True)


def _matches(value, wanted) -> bool:
    """Whether a field's value is one of the texts given: "30" matches 30.0, "-" matches none."""
    value = _plain(value)
    for text in map(str, wanted):
        if value is None:
            if text in ("-", "none", "None"):
                return True
        elif str(value) == text:
            return True
        elif not isinstance(value, str):
            try:
                if float(value) == float(text):
                    return True
            except ValueError:
                pass  # a word against a number: not this one
    return False
