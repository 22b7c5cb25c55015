"""Command-line interface: parse options -> load config -> call the pipeline -> render -> write.

Errors raised below (``CxroiError``) become ``Error: ...`` + a hint on stderr and their exit code here,
and only here. Data goes to stdout (or ``-o``, written atomically); everything else goes to stderr.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from cxroi import __version__
from cxroi.config import Config, load_config
from cxroi.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, CxroiError, UsageError
from cxroi.io import ReadOptions, open_sources
from cxroi.io.atomic import write_atomic
from cxroi.report.formats import EXTENSIONS, OutputFormat, render_records

app = typer.Typer(
    name="cxroi",
    help="CX ROI calculator: NPS, CSAT, CES, churn, CLV and programme ROI from survey and CRM exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

T = TypeVar("T")

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", metavar="FILE", help="YAML config file.", envvar="CXROI_CONFIG", show_default=False
    ),
]
FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="table|csv|json|ndjson|markdown [default: table on a terminal, else csv or the -o extension].",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write here (atomically) instead of stdout."),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show details and tracebacks on errors.")]
NoColorOpt = Annotated[
    bool, typer.Option("--no-color", help="No colour (also NO_COLOR=1).", envvar="NO_COLOR")
]
EncodingOpt = Annotated[
    str | None, typer.Option("--encoding", metavar="NAME", help="Input text encoding [default: sniffed].")
]
DelimiterOpt = Annotated[
    str | None,
    typer.Option("--delimiter", "-d", metavar="CHAR", help="Input delimiter: , ; tab | [default: sniffed]."),
]
SheetOpt = Annotated[
    str | None, typer.Option("--sheet", metavar="NAME", help="XLSX sheet name [default: the first].")
]
DateFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--date-format", metavar="FMT", help="strptime format of the date column [default: sniffed]."
    ),
]


def _err(message: str) -> None:
    sys.stderr.write(message + "\n")


def _guard(verbose: bool, fn: Callable[[], T]) -> T:
    """Run a command body, turning errors into one ``Error:`` line, a hint and an exit code."""
    try:
        return fn()
    except CxroiError as exc:
        if verbose:
            traceback.print_exc()
        _err(f"Error: {exc.message}")
        if exc.hint:
            _err(f"  hint: {exc.hint}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        _err("Error: interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        if verbose:
            traceback.print_exc()
        _err(f"Error: internal error: {type(exc).__name__}: {exc}")
        _err("  hint: this is a bug in cxroi; run again with --verbose and report the traceback")
        raise typer.Exit(EXIT_INTERNAL) from None


def _stdout_is_tty() -> bool:
    return sys.stdout.isatty()


def _resolve_format(fmt: OutputFormat | None, output: Path | None) -> OutputFormat:
    if fmt is not None:
        return fmt
    if output is not None:
        return EXTENSIONS.get(output.suffix.lower(), OutputFormat.csv)
    return OutputFormat.table if _stdout_is_tty() else OutputFormat.csv


def _width() -> int:
    try:
        return int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
    except (ValueError, OSError):
        return 120


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(output, text)


def _load(config: Path | None) -> Config:
    return load_config(config) if config is not None else Config()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cxroi {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """CX ROI calculator."""


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
        str | None, typer.Option("--nps", metavar="COL", help="NPS column (header, ImportId or question).")
    ] = None,
    csat: Annotated[str | None, typer.Option("--csat", metavar="COL", help="CSAT column.")] = None,
    ces: Annotated[str | None, typer.Option("--ces", metavar="COL", help="CES column.")] = None,
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
        from cxroi.pipeline.scores import DECIMALS, build_request, compute_scores, titles

        _check_choice("--period", period, ("week", "month", "quarter", "year"))
        _check_choice("--interval", interval, ("wald", "adjusted-wald"))
        _check_choice("--ces-value", ces_value, ("mean", "agree", "net"))
        cfg = _load(config)
        request = build_request(
            cfg,
            nps_col=nps,
            csat_col=csat,
            ces_col=ces,
            date=date,
            by=by,
            period=period,  # type: ignore[arg-type]
            strict=strict,
            interval=interval,
            ces_value=ces_value,
        )
        input_cfg = cfg.inputs.get(cfg.scores.input)
        files = list(paths or (input_cfg.path if input_cfg else []))
        if not files:
            raise UsageError(
                "no survey file given", "pass a path (or - for stdin), or name inputs.survey in -c"
            )
        opts = ReadOptions(
            encoding=encoding or (input_cfg.encoding if input_cfg else None),
            delimiter=delimiter or (input_cfg.delimiter if input_cfg else None),
            sheet=sheet or (input_cfg.sheet if input_cfg else None),
            date_format=date_format or (input_cfg.date_format if input_cfg else None),
        )
        out_fmt = _resolve_format(fmt, output)
        sources = open_sources(files, opts)
        if verbose:
            for s in sources:
                _err(
                    f"{s.display}: {s.kind}, {s.layout.kind} layout, delimiter {s.delimiter!r}, {s.encoding}"
                )
        result = compute_scores(sources, request)
        for w in result.warnings:
            _err(f"Warning: {w}")
        color = out_fmt is OutputFormat.table and output is None and _stdout_is_tty() and not no_color
        text = render_records(
            out_fmt,
            result.records,
            result.fields,
            title="Scores",
            width=_width(),
            color=color,
            titles=titles(request),
            group_decimals=DECIMALS,
        )
        _emit(text, output)

    _guard(verbose, body)


def _check_choice(option: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise UsageError(f"{option} must be one of {', '.join(choices)}, not {value!r}")


@app.command()
def check(
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Validate a config and the inputs it names (files readable, columns present) without computing."""

    def body() -> None:
        from cxroi.pipeline.check import check_config

        if config is None:
            raise UsageError("cxroi check needs a config", "pass it with -c FILE")
        for line in check_config(load_config(config)):
            typer.echo(line)
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


def main() -> NoReturn:
    """Console-script entry point."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `cxroi ... | head` ends quietly
    try:
        app()
    except KeyboardInterrupt:
        _err("Error: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(0)
