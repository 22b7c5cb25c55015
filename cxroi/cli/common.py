"""The Typer app and what every command shares: options, errors as exit codes, output rendering."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from cxroi import __version__
from cxroi.config import Config, load_config
from cxroi.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    CxroiError,
    UsageError,
    interrupted_by,
)
from cxroi.io.atomic import write_atomic, write_stdout
from cxroi.pipeline.common import Note
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
    """A line on stderr; passwords of the database URLs in use never appear (``cxroi.io.connection``)."""
    conn = sys.modules.get("cxroi.io.connection")
    if conn is not None:
        message = conn.scrub_secrets(message)
    sys.stderr.write(message + "\n")


def _guard(verbose: bool, fn: Callable[[], T]) -> T:
    """Run a command body, turning errors into one ``Error:`` line, a hint and an exit code; database
    connections opened for it are closed at the end."""
    try:
        return fn()
    except CxroiError as exc:
        if verbose:
            _err(traceback.format_exc().rstrip())
        _err(f"Error: {exc.message}")
        if exc.hint:
            _err(f"  hint: {exc.hint}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:
        raise _stopped(exc) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        if interrupted_by(exc) is not None:
            raise _stopped(exc) from None
        if verbose:
            _err(traceback.format_exc().rstrip())
        _err(f"Error: internal error: {type(exc).__name__}: {exc}")
        _err("  hint: this is a bug in cxroi; run again with --verbose and report the traceback")
        raise typer.Exit(EXIT_INTERNAL) from None
    finally:
        from cxroi.io.connection import close_all

        close_all()


def _stopped(exc: BaseException) -> typer.Exit:
    code = interrupted_by(exc) or EXIT_INTERRUPTED
    _err("Error: terminated (SIGTERM)" if code == EXIT_TERMINATED else "Error: interrupted")
    return typer.Exit(code)


def _warn(message: str) -> None:
    """A warning, or a note (a fact worth knowing, not a data problem). Customer values quoted in it (an
    invalid answer's example that is an e-mail address, say) are redacted as in the reports; cxroi's own
    words, dates, periods and counts never match the patterns (``cxroi.report.privacy``)."""
    from cxroi.report.privacy import scrub_text

    _err(f"{'Note' if isinstance(message, Note) else 'Warning'}: {scrub_text(message)}")


def _stdout_is_tty() -> bool:
    return sys.stdout.isatty()


# output suffixes that make a document (a workbook or a web page), not text in an OutputFormat
DOCUMENTS = {".xlsx": "xlsx", ".html": "html", ".htm": "html"}


def _document(fmt: OutputFormat | None, output: Path | None) -> bool:
    """``-o x.xlsx`` / ``-o x.html`` without --format: a workbook or a page of the records."""
    return fmt is None and output is not None and output.suffix.lower() in DOCUMENTS


def _resolve_format(fmt: OutputFormat | None, output: Path | None) -> OutputFormat:
    if fmt is not None:
        return fmt
    if output is not None:
        found = EXTENSIONS.get(output.suffix.lower())
        if found is None:
            raise UsageError(
                f"cannot tell the output format from the extension of {output.name!r}",
                "name it .csv .json .ndjson .jsonl .md .txt .xlsx or .html, or give --format",
            )
        return found
    return OutputFormat.table if _stdout_is_tty() else OutputFormat.csv


def _width() -> int:
    try:
        return int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
    except (ValueError, OSError):
        return 120


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        write_stdout(text)
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


def _publish(
    records: Sequence[dict[str, Any]],
    fields: list[str],
    warnings: list[str],
    fmt: OutputFormat | None,
    output: Path | None,
    no_color: bool,
    title: str,
    titles: dict[str, str] | None = None,
    decimals: dict[str, dict[str, int]] | None = None,
    headings: dict[str, str] | None = None,
    pivot: tuple[str | None, list[str]] | None = None,
) -> None:
    """Warnings to stderr, then the records rendered to stdout or written atomically to ``output``
    (``.xlsx`` and ``.html`` outputs are a sheet and a self-contained page of the same records)."""
    for w in warnings:
        _warn(w)
    if _document(fmt, output):
        assert output is not None
        from cxroi.report.documents import render_records_html, render_records_xlsx

        safe = [{k: v for k, v in r.items()} for r in records]
        if output.suffix.lower() == ".xlsx":
            write_atomic(output, render_records_xlsx(safe, fields, title))
        else:
            write_atomic(output, render_records_html(safe, fields, title))
        return
    out_fmt = _resolve_format(fmt, output)
    color = out_fmt is OutputFormat.table and output is None and _stdout_is_tty() and not no_color
    text = render_records(
        out_fmt,
        records,
        fields,
        title=title,
        width=_width(),
        color=color,
        titles=titles,
        group_decimals=decimals,
        headings=headings,
        pivot=pivot,
    )
    _emit(text, output)


def _where(rules: list[str] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``--where COL=VALUE`` (repeatable; the same COL twice keeps either value)."""
    out: dict[str, list[str]] = {}
    for rule in rules or []:
        col, sep, value = rule.partition("=")
        if not sep or not col.strip():
            raise UsageError(
                f"--where {rule!r} is not COL=VALUE", "e.g. --where Finished=1 --where Status=paid"
            )
        out.setdefault(col.strip(), []).append(value.strip())
    return tuple((c, tuple(v)) for c, v in out.items())


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} must be a date like 2025-12-31, not {value!r}") from None


def _check_choice(option: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise UsageError(f"{option} must be one of {', '.join(choices)}, not {value!r}")


AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", metavar="DATE", help="'Now' [default: the latest date in the data].")
]
