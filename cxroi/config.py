"""The YAML config: read with ``yaml.safe_load`` into a typed, validated model.

Unknown keys and wrong types are rejected with ``path.to.key: message``. Relative input paths are resolved
against the config file's own folder, so a config works from any working directory.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cxroi.config_yaml import read_yaml
from cxroi.errors import ConfigError
from cxroi.metrics.bands import Range, band_problems

Period = Literal["week", "month", "quarter", "year"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# where the data comes from (files, databases), and what a run writes and checks (reports, their path
# templates, alerts): in their own modules
from cxroi.config_inputs import InputConfig, database_file  # noqa: E402
from cxroi.config_outputs import (  # noqa: E402
    AlertSpec,
    EngineConfig,
    ReportSpec,
)


class _ScoreColumn(_Model):
    """The column(s) of one metric and its answer labels."""

    column: str | None = None
    questions: tuple[str, ...] = ()  # several columns (``column: [Q5, Q12]``): each its own score
    labels: dict[str, float] = {}  # answer label -> score on the scale (adds to the built-in labels)

    @model_validator(mode="before")
    @classmethod
    def _several(cls, v: Any) -> Any:
        return _column_list(v)


class NpsConfig(_ScoreColumn):
    scale: Range = (0, 10)
    detractors: Range = (0, 6)
    passives: Range = (7, 8)
    promoters: Range = (9, 10)
    interval: Literal["wald", "adjusted-wald"] = "adjusted-wald"

    @model_validator(mode="after")
    def _bands(self) -> NpsConfig:
        bands = {"detractors": self.detractors, "passives": self.passives, "promoters": self.promoters}
        _raise_band_problems(self.scale, bands, partition=True)
        return self


class CsatConfig(_ScoreColumn):
    scale: Range = (1, 5)
    satisfied: Range = (4, 5)
    interval: Literal["wilson", "wald"] = "wilson"

    @model_validator(mode="after")
    def _bands(self) -> CsatConfig:
        _raise_band_problems(self.scale, {"satisfied": self.satisfied}, partition=False)
        return self


class CesConfig(_ScoreColumn):
    scale: Range = (1, 7)
    disagree: Range = (1, 3)
    neutral: Range | None = (4, 4)
    agree: Range = (5, 7)
    value: Literal["mean", "agree", "net"] = "mean"
    interval: Literal["t", "z"] = "t"  # the mean's interval: Student t (n - 1 df) or normal

    @model_validator(mode="after")
    def _bands(self) -> CesConfig:
        bands = {"disagree": self.disagree, "neutral": self.neutral, "agree": self.agree}
        _raise_band_problems(self.scale, bands, partition=True)
        return self


def _column_list(v: Any) -> Any:
    """``column: [Q5, Q12]`` -> column Q5 (the first) and questions (Q5, Q12)."""
    if isinstance(v, dict) and isinstance(v.get("column"), list):
        cols = [str(c) for c in v["column"]]
        if not cols:
            raise ValueError("column: give at least one column")
        return {**v, "column": cols[0], "questions": tuple(dict.fromkeys(cols))}
    return v


def _raise_band_problems(scale: Range, bands: Mapping[str, Range | None], partition: bool) -> None:
    problems = band_problems(scale, bands, partition=partition)
    if problems:
        raise ValueError("; ".join(problems))


class TextConfig(_Model):
    """The open-ended answer ("what is the main reason for your score?") read by ``cxroi themes``."""

    column: str | None = None
    language: Literal["en", "tr", "he"] | None = None  # None: detected per answer
    examples: int = Field(default=3, ge=0, le=50)  # example comments per theme and NPS group


class ScoresConfig(_Model):
    """What ``cxroi scores`` computes; every key can be overridden by a command-line flag."""

    input: str = "survey"
    nps: NpsConfig = NpsConfig()
    csat: CsatConfig = CsatConfig()
    ces: CesConfig = CesConfig()
    date: str | None = None
    by: list[str] = []
    period: Period | None = None
    strict: bool = False
    min_n: int = Field(default=30, ge=0)  # records with fewer answers are flagged small (0: off)
    text: TextConfig = TextConfig()


class CustomersMap(_Model):
    """Columns of the customer file; ``None`` = recognise them (preset or common names)."""

    input: str = "customers"
    id: str | None = None
    start: str | None = None
    end: str | None = None
    mrr: str | None = None
    reactivation_days: int = Field(default=0, ge=0, le=3650)  # a gap up to this between two rows: no churn
    inactive_after_days: int | None = Field(default=None, ge=1, le=3650)  # no end column: churn after N days


class TransactionsMap(_Model):
    input: str = "transactions"
    id: str | None = None  # order / invoice id: each id counted once (Shopify line items repeat the total)
    customer: str | None = None
    date: str | None = None
    amount: str | None = None
    refunded: str | None = None  # an amount refunded, subtracted (Stripe "Amount Refunded")
    cost: str | None = None
    status: str | None = None  # only rows whose status is one of paid_values count as revenue
    paid_values: list[str] | None = None
    decimal: Literal[".", ","] | None = None


class ContractsMap(_Model):
    input: str = "contracts"
    id: str | None = None  # contract / opportunity id: each id counted once
    customer: str | None = None
    date: str | None = None
    value: str | None = None
    status: str | None = None  # only rows whose status is one of won_values count (Salesforce "Stage")
    won_values: list[str] | None = None
    decimal: Literal[".", ","] | None = None


class TicketsMap(_Model):
    input: str = "tickets"
    customer: str | None = None
    created: str | None = None
    first_response_at: str | None = None
    first_response: str | None = None
    first_response_unit: Literal["minutes", "hours", "seconds"] | None = (
        None  # None: the preset's, else minutes
    )
    cost: str | None = None
    cost_per_ticket: float | None = Field(default=None, ge=0)
    decimal: Literal[".", ","] | None = None


class CrmConfig(_Model):
    """CRM inputs and how economics are grouped."""

    customers: CustomersMap = CustomersMap()
    transactions: TransactionsMap = TransactionsMap()
    contracts: ContractsMap = ContractsMap()
    tickets: TicketsMap = TicketsMap()
    period: Period = "quarter"
    by: list[str] = []
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    as_of: date | None = None
    strict: bool = False

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ClvConfig(_Model):
    """CLV assumptions. ``None`` = derive from the data over the 12 months ending ``as_of``."""

    gross_margin: float = Field(default=1.0, gt=0, le=1)
    discount_rate: float = Field(default=0.10, ge=0, lt=10)
    horizon: int | None = Field(default=None, ge=1, le=100)
    annual_margin: float | None = None
    retention: float | None = Field(default=None, ge=0, le=1)
    annual_revenue: float | None = None
    annual_cost_to_serve: float | None = Field(default=None, ge=0)
    model: Literal["average", "bgnbd", "sbg"] = "average"  # per-customer models: cxroi clv --model
    renewal_period: Literal["month", "quarter", "year"] = "month"  # sbg's period


class LinkConfig(_Model):
    """How survey answers are joined to CRM customers."""

    survey_key: str | None = None  # survey column holding the customer id, e.g. ExternalReference
    answers: Literal["latest", "first", "each"] = "latest"
    window_days: int = Field(default=365, ge=1, le=3650)
    full_window: bool = True  # only answers followed for the whole window (answer + window <= as_of)
    min_match_rate: float = Field(default=50.0, ge=0, le=100)  # % of answers; warn below this

    @field_validator("min_match_rate")
    @classmethod
    def _percent(cls, v: float) -> float:
        if 0 < v < 1:
            raise ValueError(f"rates are in percent (0-100), as in the output: write {v * 100:g} for {v:g}")
        return v


class SurvivalConfig(_Model):
    """``cxroi survival``: time from each linked answer to churn, by CX group."""

    horizon_days: int = Field(default=1095, ge=1, le=36500)  # restricted mean survival time up to this
    at: list[int] = [90, 180, 365, 730]  # retention reported at these days after the answer
    covariates: list[str] = []  # Cox adjustment: customer or survey columns, or tenure / revenue

    @field_validator("at")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if any(d < 0 for d in v):
            raise ValueError("days after the answer must be 0 or more")
        return sorted(set(v))


class Window(_Model):
    from_: date = Field(alias="from")
    to: date

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.to < self.from_:
            raise ValueError(f"to {self.to} is before from {self.from_}")
        return self


def _assumption(v: Any) -> Any:
    """A number, or a range ``[low, high]`` drawn uniformly in the bootstrap (its midpoint is the estimate)."""
    if isinstance(v, list | tuple):
        if len(v) != 2:
            raise ValueError("a range is [low, high]")
        low, high = (_number(x) for x in v)
        if low > high:
            raise ValueError(f"range [{low}, {high}]: low is above high")
        return (low, high)
    return v


def _number(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        raise ValueError(f"{x!r} is not a number (give a number or a range [low, high])")
    return float(x)


Assumption = float | tuple[float, float]


def _refuse(v: Any, old: str, replacement: str) -> Any:
    """A key of an earlier cxroi is refused with what replaced it, not "extra inputs are not permitted"."""
    if isinstance(v, dict) and old in v:
        raise ValueError(f"{old} was replaced by {replacement}")
    return v


class RetentionLine(_Model):
    enabled: bool = True
    baseline_churn: float | None = Field(default=None, ge=0, le=1)  # fractions per year
    current_churn: float | None = Field(default=None, ge=0, le=1)
    customers: float | None = Field(default=None, ge=0)
    annual_margin: Assumption | None = None  # margin per saved customer per year

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, v: Any) -> Any:
        return _refuse(v, "value_per_customer", "annual_margin: a saved customer earns the annual margin in "
                       "each year they stay, within the horizon")  # fmt: skip

    @field_validator("annual_margin", mode="before")
    @classmethod
    def _range(cls, v: Any) -> Any:
        return _assumption(v)


class CostToServeLine(_Model):
    enabled: bool = True
    baseline: float | None = None  # support cost per customer per year
    current: float | None = None
    customers: float | None = Field(default=None, ge=0)


class ExpansionLine(_Model):
    enabled: bool = True
    baseline_revenue: float | None = None  # revenue per customer per year (then no segment split)
    current_revenue: float | None = None
    customers: float | None = Field(default=None, ge=0)
    gross_margin: float | None = Field(default=None, ge=0, le=1)


class ReferralLine(_Model):
    enabled: bool = True
    baseline_promoter_share: float | None = Field(default=None, ge=0, le=1)
    current_promoter_share: float | None = Field(default=None, ge=0, le=1)
    customers: float | None = Field(default=None, ge=0)
    referral_rate: Assumption = 0.0  # new customers won per promoter per year
    acquisition_cost: Assumption = 0.0  # paid acquisition cost avoided per new customer

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, v: Any) -> Any:
        return _refuse(v, "promoters", "baseline_promoter_share / current_promoter_share: only the change in "
                       "the promoter share is credited")  # fmt: skip

    @field_validator("referral_rate", "acquisition_cost", mode="before")
    @classmethod
    def _range(cls, v: Any) -> Any:
        return _assumption(v)


class CxMixLine(_Model):
    enabled: bool = True
    customers: float | None = Field(default=None, ge=0)  # N (default: customers at the start of current)


class Benefits(_Model):
    cx_mix: CxMixLine = CxMixLine()
    retention: RetentionLine = RetentionLine()
    cost_to_serve: CostToServeLine = CostToServeLine()
    expansion: ExpansionLine = ExpansionLine()
    referrals: ReferralLine = ReferralLine()


class RoiCost(_Model):
    one_off: float = Field(default=0.0, ge=0)
    recurring: float = Field(default=0.0, ge=0)  # per year


class RoiConfig(_Model):
    """The CX programme's ROI model; measured inputs come from the baseline and current windows."""

    method: Literal["evidence", "pre-post"] | None = None  # default: evidence when answers link to customers
    metric: Literal["nps", "csat", "ces"] = "nps"  # whose groups the CX mix is made of
    cost: RoiCost = RoiCost()
    horizon_years: int = Field(default=3, ge=1, le=30)
    discount_rate: float = Field(default=0.10, ge=0, lt=10)
    attribution: Assumption = 1.0
    ramp_months: int = Field(default=0, ge=0, le=360)
    baseline: Window | None = None
    current: Window | None = None
    target_mix: dict[str, float] | None = None  # planned shift in group shares, e.g. {detractors: -0.05, ...}
    benefits: Benefits = Benefits()
    uncertainty: Literal["bootstrap", "none"] = "bootstrap"
    draws: int = Field(default=2_000, ge=100, le=1_000_000)
    seed: int = 42
    what_if_shift: float = Field(default=0.10, gt=0, le=1)  # share of detractors moved in the what-if

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, v: Any) -> Any:
        if isinstance(v, dict) and v.get("uncertainty") == "monte-carlo":
            raise ValueError("uncertainty: monte-carlo was replaced by bootstrap (resampling customers)")
        return _refuse(v, "value_per_customer", "benefits.retention.annual_margin (cash within the horizon)")

    @field_validator("attribution", mode="before")
    @classmethod
    def _attribution(cls, v: Any) -> Any:
        out = _assumption(v)
        for x in out if isinstance(out, tuple) else (out,):
            if not 0 <= _number(x) <= 1:
                raise ValueError("attribution is a share from 0 to 1")
        return out

    @field_validator("target_mix")
    @classmethod
    def _mix(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is not None and abs(sum(v.values())) > 1e-9:
            raise ValueError(
                f"the shifts must add up to 0 (shares move between groups); they add up to {sum(v.values()):+g}"
            )
        return v


def mid(value: Assumption) -> float:
    """The point value of an assumption: the number, or a range's midpoint."""
    return (value[0] + value[1]) / 2.0 if isinstance(value, tuple) else float(value)


ThemeLanguage = Literal["en", "tr", "he", "any"]


class DriversConfig(_Model):
    """Key-driver analysis of the NPS answer (``cxroi drivers``)."""

    columns: list[str] = []  # rated items (header, ImportId or question) or theme:NAME
    missing: Literal["drop", "mean"] = "drop"  # an answer without a driver: left out, or the driver's mean
    performance: Literal["mean", "top2"] = "mean"  # mean on the item's scale, or % in its top two values
    method: Literal["auto", "lmg", "relative_weights"] = "auto"  # auto: LMG up to 15 drivers
    draws: int = Field(default=200, ge=0, le=10000)  # bootstrap draws for the intervals (0: none)
    seed: int = 42


def _theme_spec(value: Any) -> Any:
    return {"any": value} if isinstance(value, list) else value


class PrivacyConfig(_Model):
    allow: list[str] = []  # columns that look personal but may appear in reports


class Config(_Model):
    version: Literal[1] = 1
    inputs: dict[str, InputConfig] = {}
    scores: ScoresConfig = ScoresConfig()
    crm: CrmConfig = CrmConfig()
    clv: ClvConfig = ClvConfig()
    link: LinkConfig = LinkConfig()
    survival: SurvivalConfig = SurvivalConfig()
    roi: RoiConfig | None = None
    reports: list[ReportSpec] = []
    reports_dir_escape: bool = False  # report paths may use .. to leave the config's folder
    alerts: list[AlertSpec] = []
    privacy: PrivacyConfig = PrivacyConfig()
    engine: EngineConfig = EngineConfig()
    # theme -> keywords: a list (every language) or per language (en, tr, he, any); "re:..." = a regex
    themes: dict[str, dict[ThemeLanguage, list[str]]] = {}
    drivers: DriversConfig = DriversConfig()

    @model_validator(mode="after")
    def _report_folders(self) -> Config:
        for name, source in self.inputs.items():
            if source.table is not None and source.connection is None and self.engine.name != "spark":
                raise ValueError(
                    f"inputs.{name}: a table without a connection is a Spark catalog table: set "
                    "engine: {name: spark}, or give connection: (a database URL or env:NAME)"
                )
        for spec in self.reports:
            if spec.path and ".." in Path(spec.path).parts and not self.reports_dir_escape:
                raise ValueError(
                    f"reports: {spec.path!r} leaves the config's folder (..); set reports_dir_escape: true to allow it"
                )
        return self

    @field_validator("themes", mode="before")
    @classmethod
    def _themes(cls, v: Any) -> Any:
        return {k: _theme_spec(x) for k, x in v.items()} if isinstance(v, dict) else v

    @field_validator("themes")
    @classmethod
    def _patterns(cls, v: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        for name, spec in v.items():
            for items in spec.values():
                for kw in items:
                    if kw.startswith("re:"):
                        try:
                            re.compile(kw[3:])
                        except re.error as exc:
                            raise ValueError(
                                f"theme {name!r}: {kw!r} is not a valid regular expression ({exc})"
                            ) from exc
                    elif not kw.strip():
                        raise ValueError(f"theme {name!r}: an empty keyword")
        return v


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts[-1:] = [f"{parts[-1]}[{p}]"] if parts else [f"[{p}]"]
        else:
            parts.append(p)
    return ".".join(parts) or "(top level)"


def parse_config(data: Any, source: str = "config") -> Config:
    """Validate an already-parsed mapping; errors become one ``ConfigError`` naming each key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of keys", "see configs/default.yaml")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"{source}: " + validation_message(exc), "see configs/default.yaml for every key"
        ) from exc
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a check that met a type it did not expect
        raise ConfigError(
            f"{source}: a value has the wrong type ({exc})", "see configs/default.yaml for every key"
        ) from exc


def validation_message(exc: ValidationError, names: Mapping[str, str] | None = None) -> str:
    """``path.to.key: message`` for each error, in our words (never pydantic's own text and links);
    ``names`` renames top-level keys (e.g. to the command-line flag that set them)."""
    lines = []
    for err in exc.errors():
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        loc = tuple(err["loc"])
        if names and loc and str(loc[0]) in names:
            loc = (names[str(loc[0])], *loc[1:])
        lines.append(f"{_location(loc)}: {msg}")
    return "; ".join(lines)


def load_config(path: str | Path) -> Config:
    """Read and validate a YAML config, resolving relative input paths against its folder."""
    p = Path(path)
    data = read_yaml(p, path)
    config = parse_config(data, f"config {path}")
    base = p.resolve().parent
    inputs = {
        name: spec.model_copy(
            update={
                "path": [
                    q if q == "-" or Path(q).is_absolute() else os.path.relpath(base / q) for q in spec.path
                ],
                "connection": database_file(spec.connection, base),
            }
        )
        for name, spec in config.inputs.items()
    }
    reports = [
        r.model_copy(
            update={"path": r.path if not r.path or Path(r.path).is_absolute() else os.path.relpath(base / r.path),
                    "connection": database_file(r.connection, base)}
        )
        for r in config.reports
    ]
    return config.model_copy(update={"inputs": inputs, "reports": reports})
