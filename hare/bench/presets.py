"""Named sweeps that reproduce the paper's tables (grids as in its captions) and two studies
beyond it: noisy users and weighted-cost users.

Each preset is a dict of grid options for ``expand_grid``; seeds and users can be overridden
(a reduced preset for CI). Runs shared between presets (Table 4 is a slice of Table 1, the
far/B30 cells recur in Tables 2, 3, 5, 6) have the same run id and are computed once.
"""

from __future__ import annotations

from hare.bench.config import USER_MODELS, RunConfig, expand_grid
from hare.errors import ConfigError
from hare.generators import generator_names
from hare.protocol import DEFAULT as DEFAULT_PROTOCOL, get_protocol

ALL_DATASETS = ["adult", "compas", "credit"]
ALL_GENERATORS = list(generator_names())  # every registered one, in registry (paper) order
ABLATION_GENERATORS = ["wachter", "gs", "face"]  # the three the paper's ablations use

PRESETS: dict[str, dict] = {
    # Table 1: the main grid, far ground truth, B 30, T 5 for Multi-HARE.
    "table1": dict(dataset=ALL_DATASETS, model=["ann", "lr"], generator=ALL_GENERATORS,
                   variant=["base", "hare", "multi_hare"], budget=[30], iterations=[5]),
    # Table 2: HARE (T = 1) with budgets 10/30/70/100, ANN.
    "table2": dict(dataset=ALL_DATASETS, model=["ann"], generator=ABLATION_GENERATORS,
                   variant=["base", "hare"], budget=[10, 30, 70, 100], iterations=[1]),
    # Table 3: iterations 1/3/5/10 at B 30, ANN.
    # (T = 1 is HARE itself, so it is the "hare" variant and shares Table 1's runs.)
    "table3": dict(dataset=ALL_DATASETS, model=["ann"], generator=ABLATION_GENERATORS,
                   variant=["hare", "multi_hare"], budget=[30], iterations=[3, 5, 10]),
    # Table 4: classical metrics of base / HARE / Multi-HARE, ANN (a slice of Table 1).
    "table4": dict(dataset=ALL_DATASETS, model=["ann"], generator=ABLATION_GENERATORS,
                   variant=["base", "hare", "multi_hare"], budget=[30], iterations=[5]),
    # Table 5: BoundaryPointSearch on the chosen candidate only vs every candidate, T 5.
    "table5": dict(dataset=ALL_DATASETS, model=["ann"], generator=ABLATION_GENERATORS,
                   variant=["base", "multi_hare"], budget=[30], iterations=[5],
                   bps=["best", "every"]),
    # Table 6: ground truth near / intermediate / far.
    "table6": dict(dataset=ALL_DATASETS, model=["ann"], generator=ABLATION_GENERATORS,
                   variant=["base", "hare", "multi_hare"], budget=[30], iterations=[5],
                   scale=["near", "intermediate", "far"]),
}
# Beyond the paper: users who answer comparisons with noise (SPEC §6) ...
PRESETS["noise"] = [
    dict(dataset=ALL_DATASETS, model=["ann"], generator=ABLATION_GENERATORS,
         variant=["hare", "multi_hare"], budget=[30], iterations=[5], noise=["bernoulli"],
         noise_param=[0.05, 0.1, 0.2]),
    # β = 10: a distance gap of 0.1 (encoded units) is answered right 73 % of the time.
    dict(dataset=ALL_DATASETS, model=["ann"], generator=ABLATION_GENERATORS,
         variant=["hare", "multi_hare"], budget=[30], iterations=[5], noise=["logistic"],
         noise_param=[10.0]),
]
# ... and users who judge by a weighted L1 cost of change instead of a hidden recourse.
PRESETS["prefs"] = dict(dataset=ALL_DATASETS, model=["ann"], generator=ABLATION_GENERATORS,
                        variant=["base", "hare", "multi_hare"], budget=[30], iterations=[5],
                        user_model=["weighted_cost"])

# Beyond the paper: active_hare, which learns each user's preferred recourse from the answers,
# against HARE and Multi-HARE on every Table 1 cell at B 30 and 10 (B 10 is the first round of
# B 30's session, so it costs nothing more); Multi-HARE under people counting too; noisy users
# with parameters other than the method's own (its likelihood is logistic in β 10 or 30 with
# a lapse of 0.02 to 0.25); and every kind of simulated person (hare.user_models) on the
# Growing Spheres and Wachter cells, every seed; the noisy users at the protocol's first seed.
_ACTIVE_CELLS = dict(dataset=ALL_DATASETS, model=["ann", "lr"], generator=ALL_GENERATORS)
_KIND_CELLS = dict(dataset=ALL_DATASETS, model=["ann", "lr"], generator=["gs", "wachter"],
                   user_model=list(USER_MODELS))
_NOISY = dict(dataset=ALL_DATASETS, model=["ann"], generator=["gs", "wachter"],
              user_model=["ground_truth", "weighted_cost", "fewest_changes"], first_seeds=1)
_PEOPLE_MULTI = [dict(variant=["multi_hare"], budget=[30], iterations=[5], counting=["people"]),
                 dict(variant=["multi_hare"], budget=[10], iterations=[2], counting=["people"])]
_ACTIVE_ARMS = [dict(variant=["active_hare"], budget=[30], iterations=[3]),
                dict(variant=["active_hare"], budget=[10], iterations=[1])]
PRESETS["active"] = [
    dict(_ACTIVE_CELLS, variant=["base", "hare", "multi_hare"], budget=[30], iterations=[5]),
    *(dict(_ACTIVE_CELLS, **arm) for arm in _ACTIVE_ARMS + _PEOPLE_MULTI[:1]),
    dict(_KIND_CELLS, variant=["base"]),
    *(dict(_KIND_CELLS, **arm) for arm in _ACTIVE_ARMS + _PEOPLE_MULTI),
    *(dict(_NOISY, noise=[noise], noise_param=[param], **arm)
      for noise, param in (("bernoulli", 0.3), ("logistic", 5.0))
      for arm in _ACTIVE_ARMS[:1] + _PEOPLE_MULTI[:1]),
]


def preset_grid(name: str, seeds: list[int] | None = None, users: int | None = None,
                datasets: list[str] | None = None, generators: list[str] | None = None,
                protocol: str | None = None) -> list[RunConfig]:
    """The runs of a named preset; ``seeds``/``users``/``datasets``/``generators`` narrow it.
    ``protocol`` (hare.protocol; default ours) also sets the default seeds and users: the
    authors' protocol and its single-choice switches run seeds 1–4 with 100 users, as they did."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r} (valid: {', '.join(PRESETS)})")
    chosen = get_protocol(protocol or DEFAULT_PROTOCOL)
    parts = PRESETS[name] if isinstance(PRESETS[name], list) else [PRESETS[name]]
    grid, seen = [], set()
    for part in parts:
        # a part may run only the protocol's first ``first_seeds`` seeds unless seeds are given
        part = dict(part)
        default_seeds = list(chosen.seeds)[:part.pop("first_seeds", None)]
        options = dict(part, seed=seeds if seeds is not None else default_seeds,
                       users=[users if users is not None else chosen.users],
                       protocol=[protocol or DEFAULT_PROTOCOL])
        if datasets is not None:
            options["dataset"] = [d for d in part["dataset"] if d in datasets] or datasets
        if generators is not None:
            options["generator"] = generators
        for cfg in expand_grid(**options):
            if cfg.run_id not in seen:
                seen.add(cfg.run_id)
                grid.append(cfg)
    return grid
