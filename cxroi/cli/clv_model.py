"""Output of ``cxroi clv --model bgnbd|sbg``: per customer (or cohort) records, or the fitted parameters
with standard errors, totals, percentiles and the holdout check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cxroi.cli.common import _emit, _err, _resolve_format, _stdout_is_tty, _warn, _width
from cxroi.pipeline.clv_purchases import ModelResult
from cxroi.report.formats import OutputFormat, json_safe, render_records

PARAMETER_FIELDS = ["model", "parameter", "value", "se", "loglik", "n"]
DECIMALS = {"value": 4, "se": 4, "loglik": 2}
HEADINGS = {"repeat_buyers": "repeat", "p_alive_mean": "P(alive)", "expected_purchases": "exp. purchases",
            "clv_total": "CLV total", "clv_mean": "CLV mean", "clv_p10": "p10", "clv_p50": "p50", "clv_p90": "p90",
            "derl_mean": "DERL", "residual_value": "residual value", "periods_observed": "periods",
            "value_per_period_mean": "value/period", "retention_observed": "r observed",
            "retention_model": "r model", "survival_model": "S model"}  # fmt: skip


def parameter_records(result: ModelResult) -> list[dict[str, Any]]:
    out = []
    for model, fit in result.fits.items():
        for name, value, se in zip(fit.names, fit.values, fit.se, strict=True):
            out.append(
                {
                    "model": model,
                    "parameter": name,
                    "value": value,
                    "se": se,
                    "loglik": fit.loglik,
                    "n": fit.n,
                }
            )
    return out


def explain_lines(result: ModelResult) -> list[str]:
    """``--explain``: the model, its fitted parameters and the inputs behind them."""
    s = result.summary
    lines = []
    for model, fit in result.fits.items():
        shown = ", ".join(
            f"{k} = {v:.4g} (se {e:.3g})" for k, v, e in zip(fit.names, fit.values, fit.se, strict=True)
        )
        lines.append(f"{model}: {shown}; log-likelihood {fit.loglik:.2f} on {fit.n:,} customers")
    if result.model == "bgnbd":
        lines.append(
            f"calibration up to {s['calibration_end']} (as of {s['as_of']}), time in weeks; CLV = gross margin "
            f"{s['gross_margin']:g} x expected value per purchase (Gamma-Gamma) x the expected purchases of the "
            f"next {s['horizon_months']} months (BG/NBD), discounted monthly at {s['discount_rate']:g} a year"
        )
    else:
        lines.append(
            f"renewals per {s['period']} from each subscription's start, fitted up to {s['calibration_end']}; "
            f"residual value = margin per {s['period']} x DERL at {s['period_discount_rate']:.4g} per {s['period']}"
        )
    return lines


def publish_model(
    result: ModelResult, fmt: OutputFormat | None, output: Path | None, no_color: bool, explain: bool
) -> None:
    for w in result.warnings:
        _warn(w)
    if explain:
        for line in explain_lines(result):
            _err(line)
    out_fmt = _resolve_format(fmt, output)
    if out_fmt is OutputFormat.json:
        _emit(
            json.dumps(json_safe(result.to_dict()), ensure_ascii=False, indent=2, allow_nan=False) + "\n",
            output,
        )
        return
    if out_fmt in (OutputFormat.csv, OutputFormat.ndjson):
        _emit(render_records(out_fmt, result.records, result.fields), output)
        return
    color = out_fmt is OutputFormat.table and output is None and _stdout_is_tty() and not no_color
    parts = [
        render_records(
            out_fmt,
            parameter_records(result),
            PARAMETER_FIELDS,
            title="Fitted parameters (MLE, se from the Hessian)",
            width=_width(),
            color=color,
            group_decimals={"None": DECIMALS},
        ),
        render_records(
            out_fmt, result.totals, result.totals_fields, title="CLV totals", width=_width(), color=color, headings=HEADINGS
        ),
    ]
    if result.curve:
        parts.append(
            render_records(
                out_fmt,
                result.curve[:12],
                list(result.curve[0]),
                title="Retention by period",
                width=_width(),
                color=color,
                headings=HEADINGS,
                group_decimals={"None": {"retention_observed": 4, "retention_model": 4, "survival_model": 4}},
            )
        )
        parts.append(
            render_records(
                out_fmt, result.records, result.fields, title="Cohorts", width=_width(), color=color, headings=HEADINGS
            )
        )
    if result.holdout is not None:
        h = result.holdout
        table = h.get("by_frequency") or h.get("by_renewals") or []
        title = (
            f"Holdout {h['start']}..{h['end']}: predicted {h['predicted']:,.1f} vs actual {h['actual']:,.0f} "
            f"({h['customers']:,} customers, mean absolute error {h['mean_absolute_error']:.3f})"
        )
        if table:
            parts.append(
                render_records(out_fmt, table, list(table[0]), title=title, width=_width(), color=color)
            )
    _emit("\n".join(parts), output)
