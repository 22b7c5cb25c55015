"""``cxroi themes`` and ``cxroi drivers``: why customers score what they score."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cxroi.cli.common import (
    AsOfOpt,
    ConfigOpt,
    DateFormatOpt,
    DelimiterOpt,
    EncodingOpt,
    FormatOpt,
    NoColorOpt,
    OutputOpt,
    SheetOpt,
    VerboseOpt,
    _check_choice,
    _date,
    _emit,
    _err,
    _guard,
    _load,
    _publish,
    _resolve_format,
    _warn,
    _where,
    app,
)
from cxroi.errors import UsageError
from cxroi.io import ReadOptions
from cxroi.pipeline.inputs import open_input
from cxroi.report.formats import OutputFormat, json_safe

PathsArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="PATH...", help="Survey export(s) [default: the config's survey input]."),
]
NpsOpt = Annotated[
    str | None, typer.Option("--nps", metavar="COL", help="NPS column [default: scores.nps.column].")
]
ByOpt = Annotated[list[str] | None, typer.Option("--by", metavar="COL", help="Segment column; repeatable.")]
DateOpt = Annotated[
    str | None, typer.Option("--date", metavar="COL", help="Date column (--period, --as-of).")
]
PeriodOpt = Annotated[str | None, typer.Option("--period", metavar="PERIOD", help="week|month|quarter|year.")]
WhereOpt = Annotated[
    list[str] | None, typer.Option("--where", metavar="COL=VALUE", help="Keep only rows where COL is VALUE.")
]
DECIMALS = {"share": 1, "share_detractors": 1, "share_passives": 1, "share_promoters": 1, "lift": 2,
            "p_value": 3, "q_value": 3, "nps_with": 1, "nps_without": 1, "importance": 1, "ci_low": 1,
            "ci_high": 1, "performance": 2, "coefficient": 3, "r2": 3, "log_odds": 2, "z": 2}  # fmt: skip


HEADINGS = {"share_detractors": "% of detr.", "share_promoters": "% of prom.", "share_passives": "% of pass.",
            "nps_with": "NPS with", "nps_without": "NPS without", "answers_with_text": "with text",
            "detractors": "detr.", "promoters": "prom.", "p_value": "p", "q_value": "q"}  # fmt: skip


TABLE_HIDDEN = ("passives", "share_passives", "p_value", "answers_with_text", "detractors", "promoters")


def _sources(cfg: Any, paths: list[str] | None, flags: ReadOptions) -> list[Any]:
    sources = open_input(cfg, cfg.scores.input, paths, flags)
    if not sources:
        raise UsageError("no survey file given", "pass a path (or - for stdin), or name inputs.survey in -c")
    return sources


def _flat(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Example lists joined for one-cell formats (CSV, table, Markdown)."""
    return [{k: " | ".join(v) if isinstance(v, list) else v for k, v in r.items()} for r in records]


@app.command()
def themes(
    paths: PathsArg = None,
    text: Annotated[
        str | None, typer.Option("--text", metavar="COL", help="Open-ended answer column.")
    ] = None,
    nps: NpsOpt = None,
    by: ByOpt = None,
    date: DateOpt = None,
    period: PeriodOpt = None,
    as_of: AsOfOpt = None,
    language: Annotated[
        str | None,
        typer.Option("--language", metavar="LANG", help="en|tr|he [default: detected per answer]."),
    ] = None,
    examples: Annotated[
        int | None,
        typer.Option("--examples", metavar="N", min=0, max=50, help="Example comments per group [3]."),
    ] = None,
    terms: Annotated[
        bool, typer.Option("--terms", help="Terms most over-represented among detractors vs promoters.")
    ] = False,
    top: Annotated[
        int, typer.Option("--top", metavar="N", min=1, help="Terms shown each way (--terms).")
    ] = 15,
    discover: Annotated[
        bool, typer.Option("--discover", help="Suggest themes for uncovered text, as a themes: YAML block.")
    ] = False,
    topics: Annotated[
        int, typer.Option("--topics", metavar="K", min=1, max=50, help="Topics per language.")
    ] = 6,
    where: WhereOpt = None,
    config: ConfigOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    sheet: SheetOpt = None,
    date_format: DateFormatOpt = None,
    no_color: NoColorOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """NPS+: the open-ended reasons by theme, with their share per NPS group, lift and NPS effect."""

    def body() -> None:
        from cxroi.pipeline.why import TERM_FIELDS, build_why_request, compute_themes

        _check_choice("--period", period, ("week", "month", "quarter", "year"))
        _check_choice("--language", language, ("en", "tr", "he"))
        if terms and discover:
            raise UsageError("--terms and --discover are two views", "run one, then the other")
        cfg = _load(config)
        req = build_why_request(cfg, text=text, nps=nps, by=by, date=date, period=period,
                                until=_date("--as-of", as_of), language=language, examples=examples)  # fmt: skip
        flags = ReadOptions(encoding, delimiter, sheet, date_format, where=_where(where))
        result = compute_themes(_sources(cfg, paths, flags), req, terms=top if terms else None,
                                discover=topics if discover else None, seed=cfg.drivers.seed)  # fmt: skip
        s = result.summary
        langs = ", ".join(f"{k} {v:,}" for k, v in sorted(s["languages"].items(), key=lambda kv: -kv[1]))
        _err(
            f"{s['with_text']:,} of {s['answers']:,} answers have text ({s['distinct_texts']:,} distinct; {langs})"
        )
        out_fmt = _resolve_format(fmt, output) if not (discover and fmt is None) else None
        if discover:
            for w in result.warnings:
                _warn(w)
            if out_fmt in (OutputFormat.json, OutputFormat.ndjson):
                _emit(json.dumps(json_safe(result.discovered), ensure_ascii=False, indent=2) + "\n", output)
            else:
                _emit(result.yaml, output)
            return
        if terms:
            _publish(result.terms, TERM_FIELDS, result.warnings, fmt, output, no_color,  # type: ignore[arg-type]
                     "Terms over-represented among detractors (z > 0) and promoters (z < 0)",
                     decimals={"None": DECIMALS})  # fmt: skip
            return
        if out_fmt is OutputFormat.json:
            for w in result.warnings:
                _warn(w)
            records = [{f: r.get(f) for f in result.fields} for r in result.records]
            _emit(
                json.dumps(json_safe(records), ensure_ascii=False, indent=2, allow_nan=False) + "\n", output
            )
            return
        shown = result.fields
        records = _flat(result.records)
        if out_fmt is OutputFormat.table:  # examples are read in CSV, Markdown, JSON: too wide for columns
            shown = [f for f in shown if not f.startswith("examples_") and f not in TABLE_HIDDEN]
            records = [
                {**r, "q_value": "< 0.001" if (r["q_value"] or 1) < 0.001 else r["q_value"]} for r in records
            ]
        _publish(records, shown, result.warnings, fmt, output, no_color,  # type: ignore[arg-type]
                 "Themes of the open-ended answers", decimals={"None": DECIMALS}, headings=HEADINGS)  # fmt: skip

    _guard(verbose, body)


@app.command()
def drivers(
    paths: PathsArg = None,
    nps: NpsOpt = None,
    driver: Annotated[
        list[str] | None,
        typer.Option("--driver", metavar="COL", help="Rated item (or theme:NAME); repeat [drivers.columns]."),
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", metavar="COL", help="Text column (theme drivers).")
    ] = None,
    missing: Annotated[str | None, typer.Option("--missing", metavar="HOW", help="drop | mean.")] = None,
    performance: Annotated[
        str | None, typer.Option("--performance", metavar="HOW", help="mean | top2.")
    ] = None,
    method: Annotated[
        str | None, typer.Option("--method", metavar="M", help="auto | lmg | relative_weights.")
    ] = None,
    draws: Annotated[
        int | None, typer.Option("--draws", metavar="N", min=0, help="Bootstrap draws [200].")
    ] = None,
    date: DateOpt = None,
    as_of: AsOfOpt = None,
    where: WhereOpt = None,
    config: ConfigOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    sheet: SheetOpt = None,
    date_format: DateFormatOpt = None,
    no_color: NoColorOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Key-driver analysis: each rated item's share of the NPS answer's R² (LMG / Shapley), with intervals."""

    def body() -> None:
        from cxroi.pipeline.why import build_why_request, compute_drivers

        _check_choice("--missing", missing, ("drop", "mean"))
        _check_choice("--performance", performance, ("mean", "top2"))
        _check_choice("--method", method, ("auto", "lmg", "relative_weights"))
        cfg = _load(config)
        req = build_why_request(cfg, text=text, nps=nps, by=[], date=date, until=_date("--as-of", as_of),
                                drivers=driver, missing=missing, performance=performance, method=method,
                                draws=draws)  # fmt: skip
        flags = ReadOptions(encoding, delimiter, sheet, date_format, where=_where(where))
        result = compute_drivers(_sources(cfg, paths, flags), req)
        s = result.summary
        _err(f"R² {s['r2']:.3f} on {s['n']:,} answers ({s['method']}, {s['draws']} bootstrap draws)")
        out_fmt = _resolve_format(fmt, output)
        if out_fmt is OutputFormat.json:
            for w in result.warnings:
                _warn(w)
            doc = [{f: r.get(f) for f in result.fields} for r in result.records]
            _emit(json.dumps(json_safe(doc), ensure_ascii=False, indent=2, allow_nan=False) + "\n", output)
            return
        shown = result.fields
        if out_fmt is OutputFormat.table:  # n, R² and the method are on stderr's summary line
            shown = [f for f in shown if f not in ("n", "r2", "method", "coefficient")]
        _publish(result.records, shown, result.warnings, fmt, output, no_color,  # type: ignore[arg-type]
                 "Key drivers of the NPS answer (% of R²)", decimals={"None": DECIMALS})  # fmt: skip

    _guard(verbose, body)


__all__ = ["Path", "drivers", "themes"]
