"""``cxroi survival``: time from each linked survey answer to churn, by CX group."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cxroi.cli.common import (
    AsOfOpt,
    ConfigOpt,
    FormatOpt,
    NoColorOpt,
    OutputOpt,
    VerboseOpt,
    _check_choice,
    _date,
    _document,
    _emit,
    _err,
    _guard,
    _resolve_format,
    _stdout_is_tty,
    _warn,
    _width,
    app,
)
from cxroi.config import load_config
from cxroi.io.atomic import write_atomic
from cxroi.report.evidence import TABLE_DECIMALS
from cxroi.report.formats import OutputFormat, json_safe, render_records

MetricOpt = Annotated[
    str | None, typer.Option("--metric", help="nps, csat or ces (default: every configured score).")
]
AtOpt = Annotated[
    list[int] | None,
    typer.Option(
        "--at", help="Report retention this many days after the answer (repeat; default 90 180 365 730)."
    ),
]


@app.command()
def survival(
    config: ConfigOpt = None,
    as_of: AsOfOpt = None,
    metric: MetricOpt = None,
    at: AtOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Does a promoter stay longer? Kaplan–Meier retention, log-rank tests and Cox hazard ratios by CX group."""

    def body() -> None:
        import json

        from cxroi.cli.job import _default_config
        from cxroi.pipeline.linked import survival_only
        from cxroi.pipeline.survival import CURVE_FIELDS

        if metric is not None:
            _check_choice("--metric", metric, ("nps", "csat", "ces"))
        if at and any(d < 0 for d in at):
            from cxroi.errors import UsageError

            raise UsageError("--at: days after the answer must be 0 or more", "e.g. --at 365")
        cfg = load_config(_default_config(config))
        result, warnings = survival_only(cfg, _date("--as-of", as_of), metric, at)
        for w in warnings:
            _warn(w)
        s = result.summary
        counts = ", ".join(f"{m.upper()} {n:,}" for m, n in s.get("follow_ups", {}).items())
        _err(
            f"followed {counts} linked answers to churn or to {s['as_of']} (censored); none left out for "
            "being recent" + ("; robust errors clustered by customer" if s["robust"] else "")
        )
        if _document(fmt, output):
            assert output is not None
            from cxroi.report.documents import render_records_html, xlsx_workbook

            tables = _tables(result)
            if output.suffix.lower() == ".xlsx":
                sheets = [(n, r, f, TABLE_DECIMALS.get(n if n == "hazard_ratios" else f"survival_{n}"))
                          for n, (r, f) in tables.items()]  # fmt: skip
                write_atomic(output, xlsx_workbook(sheets))
            else:
                write_atomic(
                    output, render_records_html(tables["at"][0], tables["at"][1], "Retention by CX group")
                )
            return
        out_fmt = _resolve_format(fmt, output)
        if out_fmt is OutputFormat.json:
            doc = json_safe(result.to_dict())
            _emit(json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n", output)
            return
        if out_fmt in (OutputFormat.csv, OutputFormat.ndjson):
            _emit(render_records(out_fmt, result.survival, CURVE_FIELDS), output)
            return
        color = out_fmt is OutputFormat.table and output is None and _stdout_is_tty() and not no_color
        parts = []
        for name, (records, fields) in _tables(result).items():
            if name == "survival":
                continue
            parts.append(
                render_records(
                    out_fmt,
                    records,
                    fields,
                    title=TITLES[name],
                    width=_width(),
                    color=color,
                    titles={m: f"{TITLES[name]} — {m.upper()}" for m in ("nps", "csat", "ces")},
                    headings=HEADINGS,
                    group_decimals={
                        m: TABLE_DECIMALS[f"survival_{name}" if name != "hazard_ratios" else name]
                        for m in ("nps", "csat", "ces")
                    }
                    if name != "tests"
                    else None,
                )
            )
        _emit("\n".join(parts), output)

    _guard(verbose, body)


TITLES = {
    "groups": "Follow-ups by group",
    "at": "Retention after the answer",
    "hazard_ratios": "Hazard ratios (Cox, Efron ties)",
    "tests": "Log-rank tests",
    "survival": "Kaplan–Meier curves",
}
HEADINGS = {
    "median_days": "median days",
    "rmst_days": "RMST days",
    "exposure_days": "exposure days",
    "hazard_ratio": "HR",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "at_risk": "at risk",
    "survival": "retention",
}


def _tables(result: Any) -> dict[str, tuple[list[dict[str, Any]], list[str]]]:
    from cxroi.pipeline.survival import CURVE_FIELDS, GROUP_FIELDS, HR_FIELDS, TEST_FIELDS

    return {
        "groups": (result.groups, GROUP_FIELDS),
        "at": (result.at, CURVE_FIELDS),
        "hazard_ratios": (result.hazard_ratios, HR_FIELDS),
        "tests": (result.tests, TEST_FIELDS),
        "survival": (result.survival, CURVE_FIELDS),
    }
