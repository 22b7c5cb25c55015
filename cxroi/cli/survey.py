"""``cxroi scores``, ``cxroi check`` and ``cxroi init``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxroi.cli.common import (
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
    _document,
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
from cxroi.config import load_config
from cxroi.errors import UsageError
from cxroi.io import ReadOptions
from cxroi.pipeline.common import Note
from cxroi.pipeline.inputs import open_input


@app.command()
def scores(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PATH...",
            help="Survey export(s): CSV/TSV, XLSX, Parquet; - reads stdin. Several = one data set.",
        ),
    ] = None,
    nps: Annotated[
        list[str] | None,
        typer.Option("--nps", metavar="COL", help="NPS column (header, ImportId or question); repeatable."),
    ] = None,
    csat: Annotated[
        list[str] | None, typer.Option("--csat", metavar="COL", help="CSAT column; repeatable.")
    ] = None,
    ces: Annotated[
        list[str] | None, typer.Option("--ces", metavar="COL", help="CES column; repeatable.")
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", metavar="COL", help="Date column (needed by --period).")
    ] = None,
    by: Annotated[
        list[str] | None, typer.Option("--by", metavar="COL", help="Segment column; repeat for several.")
    ] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="Group by week|month|quarter|year.", metavar="PERIOD")
    ] = None,
    interval: Annotated[
        str | None, typer.Option("--interval", help="NPS interval: wald | adjusted-wald.", metavar="KIND")
    ] = None,
    ces_value: Annotated[
        str | None, typer.Option("--ces-value", help="CES value: mean | agree | net.", metavar="MODE")
    ] = None,
    strict: Annotated[
        bool | None, typer.Option("--strict/--no-strict", help="Fail on invalid answers or dates.")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", metavar="COL=VALUE", help="Keep only rows where COL is VALUE; repeatable."),
    ] = None,
    min_n: Annotated[
        int | None,
        typer.Option(
            "--min-n", metavar="N", min=0, help="Flag records with fewer answers as small [default: 30]."
        ),
    ] = None,
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
    """NPS, CSAT and CES with margins of error, per segment and period."""

    def body() -> None:
        from cxroi.pipeline.scores import DECIMALS, build_request, titles
        from cxroi.pipeline.survey import compute_questions, with_survey_preset

        _check_choice("--period", period, ("week", "month", "quarter", "year"))
        _check_choice("--interval", interval, ("wald", "adjusted-wald"))
        _check_choice("--ces-value", ces_value, ("mean", "agree", "net"))
        cfg = _load(config)
        request = build_request(
            cfg,
            nps_col=nps[0] if nps else None,
            csat_col=csat[0] if csat else None,
            ces_col=ces[0] if ces else None,
            date=date,
            by=by,
            period=period,  # type: ignore[arg-type]
            strict=strict,
            interval=interval,
            ces_value=ces_value,
            min_n=min_n,
        )
        flags = ReadOptions(encoding, delimiter, sheet, date_format, where=_where(where))
        sources = open_input(cfg, cfg.scores.input, paths, flags)
        if not sources:
            raise UsageError(
                "no survey file given", "pass a path (or - for stdin), or name inputs.survey in -c"
            )
        request, recognised = with_survey_preset(request, sources[0])
        if verbose:
            from dataclasses import replace

            request = replace(request, paths=[])
        if recognised:
            _warn(Note(recognised))
        out_fmt = None if _document(fmt, output) else _resolve_format(fmt, output)
        if verbose:
            for s in sources:
                dialect = getattr(s, "dialect", None)
                _err(
                    f"{s.display}: a {dialect} table, {len(s.columns)} columns" if dialect else
                    f"{s.display}: {s.kind}, {s.layout.kind} layout, delimiter {s.delimiter!r}, {s.encoding}"
                )
        given = {"nps": nps, "csat": csat, "ces": ces}
        configured = {m: list(getattr(cfg.scores, m).questions) for m in given}
        questions = {m: given[m] or configured[m] for m in given if given[m] or configured[m]}
        result = compute_questions(sources, request, questions)
        if verbose:
            for s in sources:
                for col, (found, why) in s.date_formats.items():
                    _err(f"{s.display}: dates in {col!r} read as {found} ({why})")
            for line in dict.fromkeys(request.paths or []):
                _err(f"engine: {line}")
        _publish(
            result.table,
            result.fields,
            result.warnings,
            out_fmt,
            output,
            no_color,
            "Scores",
            titles(request),
            DECIMALS,
        )

    _guard(verbose, body)


@app.command()
def check(
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Validate a config and the inputs it names (files readable, columns present) without computing."""

    def body() -> None:
        from cxroi.pipeline.check import check_config, require_something

        if config is None:
            raise UsageError("cxroi check needs a config", "pass it with -c FILE")
        cfg = load_config(config)
        for line in check_config(cfg):
            typer.echo(line)
        require_something(cfg)
        typer.echo(f"OK: {config} is valid")

    _guard(verbose, body)


@app.command()
def init(
    path: Annotated[
        str, typer.Argument(metavar="PATH", help="An export to look at (CSV/TSV, XLSX, Parquet).")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the config here instead of stdout."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing -o file.")] = False,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    sheet: SheetOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Look at an export, recognise its kind and likely columns, and write a starter config."""

    def body() -> None:
        from cxroi.pipeline.init import starter_config

        if output is not None and output.exists() and not force:
            raise UsageError(f"{output} already exists", "pass --force to overwrite it")
        base = output.resolve().parent if output is not None else Path.cwd()
        text, found = starter_config(path, ReadOptions(encoding, delimiter, sheet), base)
        _emit(text, output)
        for line in found:
            _err(line)

    _guard(verbose, body)
