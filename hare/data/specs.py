"""Schemas of the three benchmark datasets (SPEC §1): columns, target, immutables, files.

Encoded column order is: continuous features in the listed (model) order, then one 0/1 column
per binary categorical in the listed order.
"""

from __future__ import annotations

from dataclasses import dataclass

from hare.errors import ConfigError


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset looks like; carries no data."""

    name: str
    file_stem: str  # CARLA's processed file name without ``.csv``
    target: str
    continuous: tuple[str, ...]
    categorical: tuple[str, ...]
    immutable: tuple[str, ...]
    description: str = ""

    @property
    def features(self) -> tuple[str, ...]:
        """Feature names in encoded (model) order."""
        return self.continuous + self.categorical

    @property
    def files(self) -> dict[str, str]:
        """Split name -> CSV file name under ``carla/``."""
        return {
            "all": f"{self.file_stem}.csv",
            "train": f"{self.file_stem}_train.csv",
            "test": f"{self.file_stem}_test.csv",
        }


ADULT = DatasetSpec(
    name="adult",
    file_stem="adult",
    target="income",
    continuous=("age", "fnlwgt", "education-num", "capital-gain", "hours-per-week", "capital-loss"),
    categorical=(
        "marital-status", "native-country", "occupation", "race", "relationship", "sex", "workclass",
    ),
    immutable=("age", "sex", "fnlwgt", "native-country", "race", "relationship"),
    description="UCI Adult income: income > $50K is the desired outcome.",
)

COMPAS = DatasetSpec(
    name="compas",
    file_stem="compas",
    target="score",
    continuous=("age", "two_year_recid", "priors_count", "length_of_stay"),
    categorical=("c_charge_degree", "race", "sex"),
    immutable=("age", "race", "sex"),
    description="ProPublica COMPAS: not being rated high risk is the desired outcome.",
)

CREDIT = DatasetSpec(
    name="credit",
    file_stem="give_me_some_credit",
    target="SeriousDlqin2yrs",
    continuous=(
        "RevolvingUtilizationOfUnsecuredLines", "age", "NumberOfTime30-59DaysPastDueNotWorse",
        "DebtRatio", "MonthlyIncome", "NumberOfOpenCreditLinesAndLoans", "NumberOfTimes90DaysLate",
        "NumberRealEstateLoansOrLines", "NumberOfTime60-89DaysPastDueNotWorse", "NumberOfDependents",
    ),
    categorical=(),
    immutable=("age", "NumberOfDependents"),
    description="Kaggle Give Me Some Credit: no serious delinquency in two years is desired.",
)

DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in (ADULT, COMPAS, CREDIT)}


def get_spec(name: str) -> DatasetSpec:
    """The spec for ``name``, or a ConfigError listing the valid names."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ConfigError(
            f"unknown dataset {name!r} (valid: {', '.join(DATASETS)})"
        ) from None
