"""Schemas of the three benchmark datasets (SPEC §1): columns, target, immutables, files, and
the facts a person reads (names, units, what the outcome means, default rules for people).

Encoded column order is: continuous features in the listed (model) order, then one 0/1 column
per binary categorical in the listed order.
"""

from __future__ import annotations

from dataclasses import dataclass

from hare.errors import ConfigError


# "locked": changeable in principle but held fixed by default, since it needs what a refused
# person rarely has (investments to sell, a home to buy); "label": the outcome the model
# predicts, recorded beside the features, which is never a thing to change.
PEOPLE_RULES = ("free", "up", "down", "history", "locked", "label")


@dataclass(frozen=True)
class Cost:
    """What one person pays to change a feature, for the people path (never the paper's space).

    ``effort``: weeks of steady work per unit of change in original units (a year of school is
    about 40). ``months``: time per unit; ``lead_months``: time before any change counts (a
    late payment ages out of its window whatever the count). The limits say how far one person
    can realistically go from their own value: ``most_up`` / ``most_down`` units, ``times`` a
    multiple of the current value, ``ceiling`` / ``floor`` absolute bounds. ``up`` / ``down``
    word a change ("work {delta} more hours a week"; {delta}, {before}, {after} are filled in).
    """

    effort: float
    months: float = 0.0
    lead_months: float = 0.0
    money: bool = False
    most_up: float | None = None
    most_down: float | None = None
    times: float | None = None
    ceiling: float | None = None
    floor: float | None = None
    up: str = ""
    down: str = ""
    reason: str = ""  # one line a person reads: why these limits and this time
    source: str = ""  # the public fact it rests on, where there is one


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
    cost: Cost | None = None  # what a change costs a person; None where they cannot change it


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
    data_source: str = ""  # the public data the research model was trained on, named for people

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
    data_source="the 1994 US census (UCI Adult)",
    outcome=Outcome("Income over $50K", "Income $50K or less", "chance of an income over $50K",
                    "The model predicts whether a person earns more than $50,000 a year."),
    facts=(
        Feature("age", "Age", "Your age", "years"),
        Feature("fnlwgt", "Census sampling weight",
                "A weight the census gave each record; nobody knows their own", ask=False),
        Feature("education-num", "Years of education",
                "Years of schooling completed (12 = high school, 16 = bachelor's)", "years",
                people="up", reason="Education you have completed cannot be undone",
                cost=Cost(effort=40, months=12, money=True, most_up=4,
                          up="complete {delta} more years of education",
                          reason="A year of school takes a year; a bachelor's degree is four "
                                 "years of full-time study, and costs tuition",
                          source="US NCES, Digest of Education Statistics")),
        Feature("capital-gain", "Capital gains", "Profit from selling investments in a year",
                money=True, people="locked",
                reason="Needs investments you would already own: gains come from selling them",
                cost=Cost(effort=0.005, lead_months=12, money=True, up="make {delta} of "
                          "capital gains (profit from selling investments)",
                          reason="A gain needs money already invested and a year to realise")),
        Feature("hours-per-week", "Hours worked a week", "Usual working hours", "hours",
                people="up", reason="Working fewer hours is not a way to earn more",
                cost=Cost(effort=1, lead_months=1, ceiling=60,
                          up="work {delta} more hours a week",
                          reason="More hours take a month or so to arrange; beyond 60 a week "
                                 "harms health",
                          source="WHO/ILO 2021: working 55 or more hours a week raises the "
                                 "risk of stroke and heart disease")),
        Feature("capital-loss", "Capital losses", "Losses from selling investments in a year",
                money=True, people="history",
                reason="Last year's investment losses are history, not a plan"),
        Feature("marital-status", "Marital status", "Married or not", people="history",
                reason="Whether to marry is not advice about income"),
        Feature("native-country", "Country of birth", "US or elsewhere"),
        Feature("occupation", "Occupation", "Managerial or specialist work, or other",
                cost=Cost(effort=30, months=18, up="move into {after} work",
                          down="move into {after} work",
                          reason="A move into managerial or specialist work usually takes a "
                                 "year or more of training or promotion")),
        Feature("race", "Race", "As recorded by the census"),
        Feature("relationship", "Relationship in household", "Husband or not"),
        Feature("sex", "Sex", "As recorded by the census"),
        Feature("workclass", "Employer", "Private company or not (government, self-employed)",
                cost=Cost(effort=8, months=3, up="find a job with a {after} employer",
                          down="find a job with a {after} employer",
                          reason="Changing employer means a job search: about three months",
                          source="US BLS, Current Population Survey: median weeks of "
                                 "job search")),
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
    data_source="Broward County, Florida court records of 2013-2014 (ProPublica's COMPAS data)",
    outcome=Outcome("Not rated high risk", "Rated high risk", "chance of not being rated high risk",
                    "The model predicts whether COMPAS rates a defendant high risk of reoffending."),
    facts=(
        Feature("age", "Age", "Your age", "years"),
        Feature("two_year_recid", "Reoffended within two years",
                "1 if charged again within two years, else 0", people="label",
                reason="What the score predicts, recorded after the fact: not yours to change"),
        Feature("priors_count", "Prior offences", "Number of earlier convictions",
                people="history",
                reason="A criminal record cannot be erased, and adding to it is not a plan"),
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
    data_source="a public Kaggle credit set (Give Me Some Credit, 2011)",
    outcome=Outcome("Approved", "Refused", "chance of approval",
                    "The model predicts whether a borrower avoids falling 90 days behind within "
                    "two years; a yes approves the loan."),
    facts=(
        Feature("RevolvingUtilizationOfUnsecuredLines", "Share of credit limits in use",
                "Credit-card and personal-line balances divided by their limits (0.3 = 30 %)",
                span=(0.0, 1.0), people="down",
                reason="Using more of your credit is not a way to be approved",
                cost=Cost(effort=10, months=10, money=True,
                          down="pay your card balances down to {after} of their limits",
                          reason="Paying balances down takes money saved over months: about a "
                                 "month for each 10 % of your limits")),
        Feature("age", "Age", "Your age", "years"),
        Feature("NumberOfTime30-59DaysPastDueNotWorse", "Times 30–59 days late",
                "Payments 30–59 days late in the last two years", people="down",
                reason="Late payments only age out; being late again adds to the count",
                cost=Cost(effort=2, lead_months=24, down="let {delta} of these late payments "
                          "age out by paying every bill on time",
                          reason="A late payment leaves this count once it is two years old")),
        Feature("DebtRatio", "Debt ratio",
                "Monthly debt payments and living costs divided by monthly income",
                span=(0.0, 2.0), people="down", reason="More debt is not a way to be approved",
                cost=Cost(effort=20, months=24, money=True,
                          down="bring your debt payments down to {after} of your income",
                          reason="Paying debt down takes money saved over months: about two "
                                 "and a half months for each 0.1")),
        Feature("MonthlyIncome", "Monthly income", "Income before tax, per month", money=True,
                people="up", reason="Earning less is not a way to be approved",
                cost=Cost(effort=0.01, months=0.01, times=1.3,
                          up="raise your monthly income by {delta}",
                          reason="A raise or a second job: at most about 30 % more, and typical "
                                 "yearly raises are 3-6 %",
                          source="Federal Reserve Bank of Atlanta, Wage Growth Tracker")),
        Feature("NumberOfOpenCreditLinesAndLoans", "Open loans and credit lines",
                "Car loans, mortgages, credit cards and personal lines",
                cost=Cost(effort=1, months=1, most_up=1, most_down=2,
                          up="open {delta} more credit line", down="close {delta} credit lines",
                          reason="Opening or closing an account takes a few weeks; several new "
                                 "accounts at once count against you")),
        Feature("NumberOfTimes90DaysLate", "Times 90+ days late",
                "Payments 90 days or more late", people="down",
                reason="Late payments only age out; being late again adds to the count",
                cost=Cost(effort=2, lead_months=84, down="let {delta} of these late payments "
                          "age out by paying every bill on time",
                          reason="Serious late payments stay on a credit report for seven years",
                          source="US Fair Credit Reporting Act, 15 U.S.C. 1681c(a)(4)")),
        Feature("NumberRealEstateLoansOrLines", "Mortgages and real-estate loans",
                "Including home-equity lines", people="locked",
                reason="Buying, selling or refinancing a home is not a step towards a loan",
                cost=Cost(effort=30, months=6, money=True, most_up=1, most_down=1,
                          up="take out {delta} more mortgage", down="pay off {delta} mortgage",
                          reason="A mortgage follows a home purchase or sale: months and money")),
        Feature("NumberOfTime60-89DaysPastDueNotWorse", "Times 60–89 days late",
                "Payments 60–89 days late in the last two years", people="down",
                reason="Late payments only age out; being late again adds to the count",
                cost=Cost(effort=2, lead_months=24, down="let {delta} of these late payments "
                          "age out by paying every bill on time",
                          reason="A late payment leaves this count once it is two years old")),
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
