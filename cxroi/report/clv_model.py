"""Report tables of the per-customer CLV model (``clv.model``): parameters, value by CX group, totals and
the measured mix shift at the model's CLV."""

from __future__ import annotations

from typing import Any

from cxroi.report.formats import table_fields as _fields

Table = tuple[list[dict[str, Any]], list[str]]


CLV_MODEL_DECIMALS = {
    "clv_model_parameters": {"value": 4, "se": 4, "loglik": 2},
    "clv_model_mix_value": {"shift": 4, "clv_mean": 2, "value": 2},
    "clv_model_by_group": {"clv_mean": 2, "ci_low": 2, "ci_high": 2, "clv_total": 2},
    "clv_model_totals": {"derl_mean": 2, "residual_value": 2, "p_alive_mean": 3},
}


def clv_model_tables(model: dict[str, Any] | None) -> dict[str, Table]:
    """The per-customer CLV model of ``clv.model``: parameters, value by CX group, totals."""
    if not model:
        return {}
    params = [
        {"model": name, "parameter": k, "value": v["value"], "se": v["se"], "loglik": fit["loglik"], "n": fit["n"]}
        for name, fit in model["parameters"].items()
        for k, v in fit.items()
        if isinstance(v, dict)
    ]
    out: dict[str, Table] = {"clv_model_parameters": (params, ["model", "parameter", "value", "se", "loglik", "n"])}
    if model.get("by_group"):
        out["clv_model_by_group"] = (model["by_group"], _fields(model["by_group"], ["metric", "group"]))
    out["clv_model_totals"] = (model["totals"], _fields(model["totals"], ["segment"]))
    mix = model.get("mix_value")
    if mix:
        rows = [{"group": g, **v} for g, v in mix["groups"].items()]
        rows.append({"group": "total", "value": mix["value"]})
        out["clv_model_mix_value"] = (rows, ["group", "shift", "clv_mean", "value"])
    return out
