"""The per-customer CLV models behind one call: load the CRM inputs (keeping every purchase for BG/NBD),
fit, score. ``cxroi clv --model``, the run's CLV section and the ROI's ``value_per_customer: model`` use it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from cxroi.errors import UsageError
from cxroi.pipeline.clv_contracts import MONTHS, sbg_model
from cxroi.pipeline.clv_purchases import ModelOptions, ModelResult, bgnbd_model
from cxroi.pipeline.sources import CrmRequest

DEFAULT_HORIZON_YEARS = 5


def model_options(
    config: Any,
    model: str,
    calibration_end: date | None = None,
    holdout_start: date | None = None,
    period: str | None = None,
    horizon_years: int | None = None,
    gross_margin: float | None = None,
    discount_rate: float | None = None,
) -> ModelOptions:
    """Flags over the config's ``clv:`` section (flags win)."""
    clv = config.clv
    chosen = period or clv.renewal_period
    if model == "sbg" and chosen not in MONTHS:
        raise UsageError(f"--period {chosen!r} is not a renewal period", "use month, quarter or year")
    if model == "bgnbd" and period:
        raise UsageError(
            "--period is the renewal period of --model sbg", "drop it for bgnbd (time is in weeks)"
        )
    years = horizon_years or clv.horizon or DEFAULT_HORIZON_YEARS
    margin = gross_margin if gross_margin is not None else clv.gross_margin
    rate = discount_rate if discount_rate is not None else clv.discount_rate
    if not 0 < margin <= 1:
        raise UsageError(f"--gross-margin {margin:g} must be in (0, 1]", "e.g. --gross-margin 0.6")
    if not 0 <= rate < 10:
        raise UsageError(f"--discount-rate {rate:g} must be in [0, 10)", "e.g. --discount-rate 0.1")
    return ModelOptions(calibration_end, holdout_start, int(years) * 12, margin, rate, chosen)


def fit_model(request: CrmRequest, model: str, options: ModelOptions) -> tuple[ModelResult, list[str]]:
    """Load as of the request's as-of day, fit ``model`` and score every customer (or cohort)."""
    from cxroi.pipeline import crm

    data = crm.load(replace(request, purchases=model == "bgnbd"))
    result = bgnbd_model(data, request, options) if model == "bgnbd" else sbg_model(data, request, options)
    return result, list(data.warnings)


BY_GROUP_FIELDS = [
    "metric",
    "group",
    "customers",
    "clv_mean",
    "ci_low",
    "ci_high",
    "clv_total",
    "no_model_value",
]


def clv_by_group(
    result: ModelResult, answers: Any, request: Any, data: Any, policy: str
) -> list[dict[str, Any]]:
    """The model's CLV per CX group (promoters, passives, detractors ...): each customer's latest (or
    first, per ``link.answers``) answer names the group; mean with its 95% t interval
    mean +- t_{0.975, n-1} s / sqrt(n), and the total. Customers the model did not value (no purchase by
    the calibration end, or not active for sBG) are counted in ``no_model_value``."""
    import math

    import numpy as np

    from cxroi.metrics.stats import t_quantile
    from cxroi.pipeline.link import GROUPS, _band_of, _choose

    out: list[dict[str, Any]] = []
    customer_of = data.customers.spell_id
    for metric, cfg in request.metrics().items():
        pos = answers.positions.get(metric)
        if pos is None:
            continue
        chosen = _choose(answers.row, answers.day, pos >= 0, "latest" if policy == "each" else policy)
        band = _band_of(metric, cfg)[pos[chosen]]
        ids = customer_of[answers.row[chosen]]
        values = np.array([result.value_of.get(int(i), math.nan) for i in ids.tolist()])
        for gi, (name, _key) in enumerate(GROUPS[metric]):
            in_group = band == gi
            v = values[in_group & np.isfinite(values)]
            n = len(v)
            rec: dict[str, Any] = {"metric": metric, "group": name, "customers": n}
            mean = float(v.mean()) if n else math.nan
            half = t_quantile(n - 1) * float(v.std(ddof=1)) / math.sqrt(n) if n > 1 else math.nan
            rec.update(clv_mean=mean, ci_low=mean - half, ci_high=mean + half, clv_total=float(v.sum()))
            rec["no_model_value"] = int(np.sum(in_group & ~np.isfinite(values)))
            out.append(rec)
    return out


def mix_value(
    model_doc: dict[str, Any], roi_lines: list[dict[str, Any]], metric: str
) -> dict[str, Any] | None:
    """The measured CX mix shift valued at the model's CLV per group (a cross-check of the evidence ROI,
    which values cash within its horizon from measured margins and survival; this is lifetime value):

      value = N x sum_g (share_g,current - share_g,baseline) x CLV_g  (CLV_g: the model's mean per group).
    """
    line = next((ln for ln in roi_lines if ln.get("line") == "cx_mix"), None)
    groups = {r["group"]: r for r in model_doc.get("by_group") or [] if r["metric"] == metric}
    if line is None or not groups:
        return None
    inputs = line["inputs"]
    n = float(inputs["customers"]["value"])
    parts = {}
    for name, rec in groups.items():
        shift = inputs.get(f"shift:{name}")
        if shift is None:
            return None
        parts[name] = {
            "shift": shift["value"],
            "clv_mean": rec["clv_mean"],
            "value": n * shift["value"] * rec["clv_mean"],
        }
    return {
        "metric": metric,
        "customers": n,
        "groups": parts,
        "value": sum(p["value"] for p in parts.values()),
        "formula": "customers x sum_g (share_g,current - share_g,baseline) x model CLV_g",
    }
