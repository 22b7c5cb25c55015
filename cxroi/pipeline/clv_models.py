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
