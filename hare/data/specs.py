"""Schemas of the three benchmark datasets (SPEC §1): columns, target, immutables, files, and
the facts a person reads (names, units, what the outcome means, default rules for people).

Encoded column order is: continuous features in the listed (model) order, then one 0/1 column
per binary categorical in the listed order.
"""

from __future__ import annotations

from dataclasses import dataclass

from hare.errors import ConfigError


PEOPLE_RULES = ("free", "up", "down", "history")


@dataclass(frozen=True)
class Feature:
    """How a person reads one column, and its default rule for people (not the paper's space).

    ``people``: "free", "up" (only up), "down" (only down) or "history" (a fact about the past,
    not a thing to change: held fixed by default); ``reason`` says why in one line. A person
    may edit these rules; the dataset's immutables stay fixed for everyone.
    """

    column: str
    label: str
    description: str
    unit: str = ""  # shown after the value: "years", "hours a week"
    money: bool = False  # shown with a dollar sign
    ask: bool = True  # False: a person cannot know it, so it is filled from the data
    people: str = "free"
    reason: str = ""
    # a realistic range for people (original units), widened to include their current value;
    # None: the data's range. Outliers in the data should not become advice.
    span: tuple[float, float] | None = None


@dataclass(frozen=True)
class Outcome:
    """The model's decision in the dataset's own words."""

    yes: str  # the desired decision, as a headline: "Approved"
    no: str  # "Refused"
    probability: str  # "chance of approval"
    meaning: str  # one line: what the desired outcome is


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
    title: str = ""  # the dataset as a person names it
    outcome: Outcome | None = None
    facts: tuple[Feature, ...] = ()

    def fact(self, column: str) -> Feature:
        """The reading facts of ``column`` (its raw name, if the spec has none)."""
        for feature in self.facts:
            if feature.column == column:
                return feature
        return Feature(column, column, "")

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
    title="Income (US census)",
    outcome=Outcome("Income over $50K", "Income $50K or less", "chance of an income over $50K",
                    "The model predicts whether a person earns more than $50,000 a year."),
    facts=(
        Feature("age", "Age", "Your age", "years"),
        Feature("fnlwgt", "Census sampling weight",
                "A weight the census gave each record; nobody knows their own", ask=False),
        Feature("education-num", "Years of education",
                "Years of schooling completed (12 = high school, 16 = bachelor's)", "years",
                people="up", reason="Education you have completed cannot be undone"),
        Feature("capital-gain", "Capital gains", "Profit from selling investments in a year",
                money=True),
        Feature("hours-per-week", "Hours worked a week", "Usual working hours", "hours",
                people="up", reason="Working fewer hours is not a way to earn more"),
        Feature("capital-loss", "Capital losses", "Losses from selling investments in a year",
                money=True, people="history",
                reason="Last year's investment losses are history, not a plan"),
        Feature("marital-status", "Marital status", "Married or not", people="history",
                reason="Whether to marry is not advice about income"),
        Feature("native-country", "Country of birth", "US or elsewhere"),
        Feature("occupation", "Occupation", "Managerial or specialist work, or other"),
        Feature("race", "Race", "As recorded by the census"),
        Feature("relationship", "Relationship in household", "Husband or not"),
        Feature("sex", "Sex", "As recorded by the census"),
        Feature("workclass", "Employer", "Private company or not (government, self-employed)"),
    ),
)

COMPAS = DatasetSpec(
    name="compas",
    file_stem="compas",
    target="score",
    continuous=("age", "two_year_recid", "priors_count", "length_of_stay"),
    categorical=("c_charge_degree", "race", "sex"),
    immutable=("age", "race", "sex"),
    description="ProPublica COMPAS: not being rated high risk is the desired outcome.",
    title="Risk score (COMPAS, Broward County)",
    outcome=Outcome("Not rated high risk", "Rated high risk", "chance of not being rated high risk",
                    "The model predicts whether COMPAS rates a defendant high risk of reoffending."),
    facts=(
        Feature("age", "Age", "Your age", "years"),
        Feature("two_year_recid", "Reoffended within two years",
                "1 if charged again within two years, else 0", people="history",
                reason="A fact about your past"),
        Feature("priors_count", "Prior offences", "Number of earlier convictions",
                people="up", reason="A criminal record cannot be erased; it can only grow"),
        Feature("length_of_stay", "Days in jail", "Length of the jail stay for this charge",
                "days", people="history", reason="A past jail stay cannot be changed"),
        Feature("c_charge_degree", "Charge degree", "F = felony, M = misdemeanour",
                people="history", reason="The charge has been made"),
        Feature("race", "Race", "As recorded in the court file"),
        Feature("sex", "Sex", "As recorded in the court file"),
    ),
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
    title="Credit (Give Me Some Credit)",
    outcome=Outcome("Approved", "Refused", "chance of approval",
                    "The model predicts whether a borrower avoids falling 90 days behind within "
                    "two years; a yes approves the loan."),
    facts=(
        Feature("RevolvingUtilizationOfUnsecuredLines", "Share of credit limits in use",
                "Credit-card and personal-line balances divided by their limits (0.3 = 30 %)",
                span=(0.0, 1.0), reason="Balances within your limits"),
        Feature("age", "Age", "Your age", "years"),
        Feature("NumberOfTime30-59DaysPastDueNotWorse", "Times 30–59 days late",
                "Payments 30–59 days late in the last two years", people="down",
                reason="Late payments only age out; being late again adds to the count"),
        Feature("DebtRatio", "Debt ratio",
                "Monthly debt payments and living costs divided by monthly income",
                span=(0.0, 2.0), reason="Debts of at most twice your income"),
        Feature("MonthlyIncome", "Monthly income", "Income before tax, per month", money=True,
                people="up", reason="Earning less is not a way to be approved"),
        Feature("NumberOfOpenCreditLinesAndLoans", "Open loans and credit lines",
                "Car loans, mortgages, credit cards and personal lines"),
        Feature("NumberOfTimes90DaysLate", "Times 90+ days late",
                "Payments 90 days or more late", people="down",
                reason="Late payments only age out; being late again adds to the count"),
        Feature("NumberRealEstateLoansOrLines", "Mortgages and real-estate loans",
                "Including home-equity lines"),
        Feature("NumberOfTime60-89DaysPastDueNotWorse", "Times 60–89 days late",
                "Payments 60–89 days late in the last two years", people="down",
                reason="Late payments only age out; being late again adds to the count"),
        Feature("NumberOfDependents", "Dependants", "People in your family you support"),
    ),
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
