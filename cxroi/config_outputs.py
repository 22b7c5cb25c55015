"""How a run reads, writes and checks, from the config: the engine settings (``engine:``), report specs
and their path templates (``reports:``) and alert thresholds (``alerts:``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ReportFormat = Literal["markdown", "html", "xlsx", "json", "csv", "sql"]
ALERT_METRICS = (
    "nps", "csat", "ces", "nps_delta", "csat_delta", "ces_delta", "churn_rate", "clv", "roi", "roi_discounted",
    "npv", "payback_months", "prob_roi_positive", "match_rate", "hazard_ratio", "theme_share",
)  # fmt: skip
PER_SEGMENT_METRICS = ("nps", "csat", "ces", "churn_rate", "clv")
PERCENT_METRICS = ("csat", "match_rate", "theme_share")  # fractions there are never meant: 0.9 must be 90
_ALERT = re.compile(
    r"^\s*([a-z_]+(?:\[[^\]]+\])?)\s*(<=|>=|<|>|==|!=)\s*(-?\d+(?:\.\d+)?)\s*(and\s+significant)?\s*$"
)


TEMPLATE_FIELDS = ("as_of", "date", "period", "table")
_DATE_FIELDS = ("as_of", "date")


def expand_template(template: str, values: Mapping[str, Any] | None = None) -> str:
    """A report path template with only the documented fields: ``{as_of}`` and ``{date}`` with an
    optional strftime spec (``{as_of:%Y-%m}``), ``{period}`` and ``{table}`` plain. Attribute or index
    access, conversions, nested specs and unknown names are refused (``ValueError``); with ``values``
    None the template is only checked."""
    import string

    out: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{template!r} is not a path template ({exc})") from None
    for literal, name, spec, conversion in parsed:
        out.append(literal)
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS:
            raise ValueError(
                f"{template!r}: {{{name}}} is not one of {{as_of}}, {{date}}, {{period}}, {{table}}"
            )
        if conversion is not None or "{" in (spec or ""):
            raise ValueError(f"{template!r}: {{{name}}} takes no conversion or nested field")
        if spec and name not in _DATE_FIELDS:
            raise ValueError(f"{template!r}: {{{name}}} takes no format (only as_of and date take strftime)")
        if values is None:
            continue
        value = values[name]
        out.append(value.strftime(spec) if spec else str(value))
    return "".join(out)


class ReportSpec(_Model):
    """One report written after a successful run; ``path`` may hold {as_of:%Y-%m}, {date}, {period}.
    ``format: sql`` writes to a database table instead (``connection`` and ``table``, no ``path``)."""

    format: ReportFormat
    path: str = ""
    connection: str | None = None  # sql: a URL or env:NAME
    table: str | None = None  # sql: schema.table, created when missing

    @field_validator("path")
    @classmethod
    def _template(cls, v: str) -> str:
        expand_template(v)
        return v

    @model_validator(mode="after")
    def _target(self) -> ReportSpec:
        from cxroi.io.connection import literal_secret

        if self.format != "sql":
            if not self.path:
                raise ValueError(f"a {self.format} report needs a path")
            if self.connection is not None or self.table is not None:
                raise ValueError("connection and table belong to format: sql")
            return self
        if self.path:
            raise ValueError("a sql report writes to connection and table, not to a path")
        if not self.connection or not self.table:
            raise ValueError("a sql report needs connection (a URL or env:NAME) and table (e.g. cx_results)")
        if literal_secret(self.connection):
            raise ValueError(
                "the connection URL holds a password: put the URL in an environment variable and write "
                "connection: env:NAME (passwords never sit in config files)"
            )
        return self


class AlertSpec(_Model):
    """``when``: ``METRIC OP NUMBER`` (e.g. ``nps < 20``), optionally ``and significant`` for a change."""

    when: str
    per_segment: bool = False
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, v: Any) -> Any:
        return {"when": v} if isinstance(v, str) else v

    @model_validator(mode="after")
    def _parse(self) -> AlertSpec:
        m = _ALERT.match(self.when)
        if not m:
            raise ValueError(f"{self.when!r} is not METRIC OP NUMBER [and significant], e.g. 'nps < 20'")
        metric, _op, _num, significant = m.groups()
        theme = metric.partition("[")[2].rstrip("]")
        metric = metric.partition("[")[0]
        if (metric == "theme_share") != bool(theme):
            raise ValueError(
                "theme_share names its theme, e.g. 'theme_share[delivery] > 20'; only it takes [...]"
            )
        if metric not in ALERT_METRICS:
            raise ValueError(f"unknown alert metric {metric!r}; one of {', '.join(ALERT_METRICS)}")
        if significant and not (metric.endswith("_delta") or metric == "hazard_ratio"):
            raise ValueError(
                "'and significant' applies to a change (nps_delta, csat_delta, ces_delta) or to hazard_ratio"
            )
        threshold = abs(float(_num))
        if metric in PERCENT_METRICS and 0 < threshold < 1:
            raise ValueError(
                f"{metric} is in percent (0-100), as in the output: write {threshold * 100:g}, not {threshold:g}"
            )
        if self.per_segment and metric not in PER_SEGMENT_METRICS:
            raise ValueError(f"per_segment works for {', '.join(PER_SEGMENT_METRICS)}, not {metric}")
        return self

    def parts(self) -> tuple[str, str, float, bool]:
        m = _ALERT.match(self.when)
        assert m is not None
        return m.group(1), m.group(2), float(m.group(3)), bool(m.group(4))


class EngineConfig(_Model):
    """How inputs are read and reduced: always by DuckDB; ``csv`` says who parses CSV files."""

    # duckdb: DuckDB's read_csv wherever it can express the file (else cxroi's reader feeds DuckDB);
    # reader: always cxroi's reader (pyarrow), for a file DuckDB's CSV scanner reads differently
    csv: Literal["duckdb", "reader"] = "duckdb"
    # spark: the count queries run on Apache Spark (master: local[*], spark://host:7077 or sc://host:15002)
    name: Literal["duckdb", "spark"] = "duckdb"
    master: str = "local[*]"
    spark_conf: dict[str, str] = {}  # extra Spark settings, e.g. {spark.executor.memory: 4g}
    memory_limit: str = "1GB"  # DuckDB spills to temp_directory beyond this
    temp_directory: str | None = None  # default: a fresh temporary folder, removed afterwards
    threads: int | None = Field(default=None, ge=1, le=1024)  # default: every core
    cache: str | bool = True  # cxroi run's count cache: true (the user cache dir), a folder, or false

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, v: str) -> str:
        if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", v, re.IGNORECASE):
            raise ValueError(f"{v!r} is not a size such as 1GB or 512MB")
        return v.strip()


__all__ = [
    "ALERT_METRICS",
    "PERCENT_METRICS",
    "PER_SEGMENT_METRICS",
    "TEMPLATE_FIELDS",
    "AlertSpec",
    "ReportFormat",
    "ReportSpec",
    "expand_template",
]
