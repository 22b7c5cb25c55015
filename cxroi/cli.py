"""Command-line interface: parse options -> load config -> call the pipeline -> render -> write.

Errors raised below (``CxroiError``) become ``Error: ...`` + a hint on stderr and their exit code here,
and only here. Data goes to stdout (or ``-o``, written atomically); everything else goes to stderr.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from cxroi import __version__
from cxroi.config import Config, load_config
from cxroi.errors import EXIT_ALERT, EXIT_INTERNAL, EXIT_INTERRUPTED, CxroiError, UsageError
from cxroi.io import ReadOptions
from cxroi.io.atomic import write_atomic
from cxroi.pipeline.common import Note
from cxroi.pipeline.inputs import open_input
from cxroi.report.formats import EXTENSIONS, OutputFormat, json_safe, render_records

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


def _warn(message: str) -> None:
    """A warning, or a note (a fact worth knowing, not a data problem)."""
    _err(f"{'Note' if isinstance(message, Note) else 'Warning'}: {message}")


def _stdout_is_tty() -> bool:
    return sys.stdout.isatty()


def _document(fmt: OutputFormat | None, output: Path | None) -> bool:
    """``-o x.xlsx`` / ``-o x.html`` without --format: a workbook or a page of the records."""
    return fmt is None and output is not None and output.suffix.lower() in {".xlsx", ".html", ".htm"}


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
        if recognised:
            _warn(Note(recognised))
        out_fmt = None if _document(fmt, output) else _resolve_format(fmt, output)
        if verbose:
            for s in sources:
                _err(
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
        _publish(
            result.records,
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


def _publish(
    records: list[dict[str, object]],
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


def main() -> NoReturn:
    """Console-script entry point."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `cxroi ... | head` ends quietly
    code: int = 0
    try:
        app()
    except SystemExit as exc:
        if isinstance(exc.code, str):
            _err(exc.code)
        code = 1 if isinstance(exc.code, str) else int(exc.code or 0)
    except KeyboardInterrupt:
        _err("Error: interrupted")
        code = EXIT_INTERRUPTED
    _leave(code)


def _leave(code: int) -> NoReturn:
    """Flush, run the atexit callbacks, then end the process without interpreter finalisation.

    pyarrow's streaming CSV reader can be released on one of its IO threads after the last batch (its
    read-ahead finishing late); if that happens while Python finalises, releasing our invalid-row handler
    needs the GIL and the process aborts ("terminate called without an active exception", exit 134).
    A command-line process has nothing left to finalise once its output is flushed.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(code)


# --- CRM economics -------------------------------------------------------------------------------------
CustomersArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="CUSTOMERS...",
        help="Customer export(s) (id, start, end dates, segments); default: the config's.",
    ),
]
PeriodOpt = Annotated[
    str | None, typer.Option("--period", metavar="PERIOD", help="month|quarter|year|week [default: quarter].")
]
ByOpt = Annotated[list[str] | None, typer.Option("--by", metavar="COL", help="Segment column; repeatable.")]
StartOpt = Annotated[str | None, typer.Option("--start", metavar="COL", help="Customer start date column.")]
EndOpt = Annotated[str | None, typer.Option("--end", metavar="COL", help="Customer end (churn) date column.")]
IdOpt = Annotated[str | None, typer.Option("--id", metavar="COL", help="Customer id column.")]
FromOpt = Annotated[
    str | None, typer.Option("--from", metavar="DATE", help="First period: the one holding DATE.")
]
ToOpt = Annotated[str | None, typer.Option("--to", metavar="DATE", help="Last period [default: --as-of's].")]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", metavar="DATE", help="'Now' [default: the latest date in the data].")
]
PresetOpt = Annotated[
    str | None,
    typer.Option(
        "--preset",
        metavar="NAME",
        help="Customer export preset: salesforce|hubspot|stripe-subscriptions.",
    ),
]
TransactionsOpt = Annotated[
    list[str] | None, typer.Option("--transactions", metavar="FILE", help="Orders/invoices/payments export.")
]
ContractsOpt = Annotated[
    list[str] | None, typer.Option("--contracts", metavar="FILE", help="Contracts/deals export.")
]
TicketsOpt = Annotated[
    list[str] | None, typer.Option("--tickets", metavar="FILE", help="Support tickets export.")
]
CostPerTicketOpt = Annotated[
    float | None, typer.Option("--cost-per-ticket", metavar="AMOUNT", help="Support cost of one ticket.")
]
StrictOpt = Annotated[
    bool | None, typer.Option("--strict/--no-strict", help="Fail on rows that cannot be used.")
]
GrossMarginOpt = Annotated[
    float | None, typer.Option("--gross-margin", metavar="FRACTION", help="Gross margin, 0-1 [default: 1].")
]
DiscountOpt = Annotated[
    float | None,
    typer.Option("--discount-rate", metavar="RATE", help="Annual discount rate [default: 0.10]."),
]
HorizonOpt = Annotated[
    int | None, typer.Option("--horizon", metavar="YEARS", help="Finite CLV horizon [default: infinite].")
]


def _clv_config(cfg: Config, **overrides: float | int | None) -> object:
    from pydantic import ValidationError

    from cxroi.config import ClvConfig, validation_message

    values = {**cfg.clv.model_dump(), **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return ClvConfig.model_validate(values)
    except ValidationError as exc:
        flags = {k: "--" + k.replace("_", "-") for k, v in overrides.items() if v is not None}
        raise UsageError(f"invalid CLV assumption: {validation_message(exc, flags)}") from None


def _say_dates(request: Any) -> None:
    """-v: the format chosen for every date column of every CRM input, and why."""
    for name in ("customers", "transactions", "contracts", "tickets"):
        for src in getattr(request, name):
            for col, (found, why) in src.table.date_formats.items():
                _err(f"{src.table.display}: dates in {col!r} read as {found} ({why})")


@app.command()
def churn(
    customers: CustomersArg = None,
    period: PeriodOpt = None,
    by: ByOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    id_col: IdOpt = None,
    from_: FromOpt = None,
    to: ToOpt = None,
    as_of: AsOfOpt = None,
    preset: PresetOpt = None,
    strict: StrictOpt = None,
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
    """Churn, retention and new customers per period and segment."""

    def body() -> None:
        from cxroi.pipeline import crm

        _check_choice("--period", period, ("week", "month", "quarter", "year"))
        cfg = _load(config)
        request = crm.build_crm_request(
            cfg,
            ReadOptions(encoding, delimiter, sheet, date_format),
            customers=customers,
            preset=preset,
            period=period,
            by=by,
            start=start,
            end=end,
            id_col=id_col,
            from_=_date("--from", from_),
            to=_date("--to", to),
            as_of=_date("--as-of", as_of),
            strict=strict,
            # churn from inactivity needs the purchases (inputs.transactions of the config)
            need=("customers", "transactions") if cfg.crm.customers.inactive_after_days else ("customers",),
        )
        data = crm.load(request)
        if verbose:
            _say_dates(request)
        records = crm.churn_records(data, request)
        fields = ["period", *request.by, *crm.CHURN_FIELDS]
        _publish(
            records,
            fields,
            data.warnings,
            fmt,
            output,
            no_color,
            f"Churn per {request.period}",
            headings={"value": "churn %"},
        )

    _guard(verbose, body)


@app.command()
def clv(
    customers: CustomersArg = None,
    transactions: TransactionsOpt = None,
    tickets: TicketsOpt = None,
    by: ByOpt = None,
    as_of: AsOfOpt = None,
    annual_margin: Annotated[
        float | None,
        typer.Option("--annual-margin", metavar="AMOUNT", help="Override: margin per customer-year."),
    ] = None,
    annual_revenue: Annotated[
        float | None,
        typer.Option("--annual-revenue", metavar="AMOUNT", help="Override: revenue per customer-year."),
    ] = None,
    retention: Annotated[
        float | None, typer.Option("--retention", metavar="FRACTION", help="Override: annual retention, 0-1.")
    ] = None,
    gross_margin: GrossMarginOpt = None,
    discount_rate: DiscountOpt = None,
    horizon: HorizonOpt = None,
    cost_per_ticket: CostPerTicketOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    id_col: IdOpt = None,
    preset: PresetOpt = None,
    strict: StrictOpt = None,
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
    """Customer lifetime value (simple and discounted) from the 12 months ending --as-of."""

    def body() -> None:
        from cxroi.pipeline import crm

        cfg = _load(config)
        clv_cfg = _clv_config(
            cfg,
            annual_margin=annual_margin,
            annual_revenue=annual_revenue,
            retention=retention,
            gross_margin=gross_margin,
            discount_rate=discount_rate,
            horizon=horizon,
        )
        request = crm.build_crm_request(
            cfg,
            ReadOptions(encoding, delimiter, sheet, date_format),
            customers=customers,
            transactions=transactions,
            tickets=tickets,
            preset=preset,
            by=by,
            start=start,
            end=end,
            id_col=id_col,
            as_of=_date("--as-of", as_of),
            strict=strict,
            cost_per_ticket=cost_per_ticket,
            need=("customers", "transactions", "tickets"),
        )
        data = crm.load(request)
        if verbose:
            _say_dates(request)
        records = crm.clv_records(data, request, clv_cfg)  # type: ignore[arg-type]
        _publish(
            records,
            [*request.by, *crm.CLV_FIELDS],
            data.warnings,
            fmt,
            output,
            no_color,
            "CLV",
            pivot=(None, list(request.by)),
        )

    _guard(verbose, body)


@app.command()
def economics(
    customers: CustomersArg = None,
    transactions: TransactionsOpt = None,
    contracts: ContractsOpt = None,
    tickets: TicketsOpt = None,
    period: PeriodOpt = None,
    by: ByOpt = None,
    from_: FromOpt = None,
    to: ToOpt = None,
    as_of: AsOfOpt = None,
    gross_margin: GrossMarginOpt = None,
    discount_rate: DiscountOpt = None,
    horizon: HorizonOpt = None,
    cost_per_ticket: CostPerTicketOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    id_col: IdOpt = None,
    preset: PresetOpt = None,
    strict: StrictOpt = None,
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
    """Segment profile per period: churn, CLV, transaction and contract value, support cost, response time."""

    def body() -> None:
        from cxroi.pipeline import crm

        _check_choice("--period", period, ("week", "month", "quarter", "year"))
        cfg = _load(config)
        clv_cfg = _clv_config(cfg, gross_margin=gross_margin, discount_rate=discount_rate, horizon=horizon)
        request = crm.build_crm_request(
            cfg,
            ReadOptions(encoding, delimiter, sheet, date_format),
            customers=customers,
            transactions=transactions,
            contracts=contracts,
            tickets=tickets,
            preset=preset,
            period=period,
            by=by,
            start=start,
            end=end,
            id_col=id_col,
            from_=_date("--from", from_),
            to=_date("--to", to),
            as_of=_date("--as-of", as_of),
            strict=strict,
            cost_per_ticket=cost_per_ticket,
            need=("customers", "transactions", "contracts", "tickets"),
        )
        data = crm.load(request)
        if verbose:
            _say_dates(request)
        records = crm.economics_records(data, request, clv_cfg)  # type: ignore[arg-type]
        fields = crm.fields_for(records, ["period", *request.by], crm.ECONOMICS_FIELDS)
        _publish(
            records,
            fields,
            data.warnings,
            fmt,
            output,
            no_color,
            "Economics",
            pivot=("period", list(request.by)),
        )

    _guard(verbose, body)


# --- the whole job ---------------------------------------------------------------------------------------
def _default_config(config: Path | None) -> Path:
    """-c, else $CXROI_CONFIG (via the option's envvar), else ./configs/default.yaml; never a packaged one."""
    if config is not None:
        return config
    here = Path("configs/default.yaml")
    if here.exists():
        return here
    raise UsageError(
        "no config given and no configs/default.yaml in this folder",
        "pass one with -c FILE (or CXROI_CONFIG); `cxroi init EXPORT -o cxroi.yaml` writes a starter config",
    )


RunFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format", "-f", metavar="FORMAT", help="table | json [default: table on a terminal, else json]."
    ),
]


def _run_format(fmt: str | None, output: Path | None) -> str:
    _check_choice("--format", fmt, ("table", "json"))
    if fmt:
        return fmt
    if output is not None:
        return "json" if output.suffix.lower() == ".json" else "table"
    return "table" if _stdout_is_tty() else "json"


@app.command()
def run(
    config: ConfigOpt = None,
    as_of: AsOfOpt = None,
    fmt: RunFormatOpt = None,
    output: OutputOpt = None,
    report: Annotated[
        str | None,
        typer.Option("--report", metavar="FORMAT", help="One-off report to -o: markdown|html|xlsx|json|csv."),
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show how each headline figure was computed (formula, inputs).")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No warnings or progress; errors and alerts only.")
    ] = False,
    wait: Annotated[
        float,
        typer.Option("--wait", metavar="SECONDS", help="Wait this long for another run on the same config."),
    ] = 600.0,
    no_color: NoColorOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """The main job: every section the config enables (scores, economics, link, ROI) as a scorecard or JSON;
    then the config's reports and alerts."""

    def body() -> None:
        import json

        from cxroi.io.lock import run_lock
        from cxroi.pipeline.alerts import check_alerts
        from cxroi.pipeline.run import run as run_all
        from cxroi.report.privacy import redact
        from cxroi.report.publish import render_report
        from cxroi.report.scorecard import render_scorecard

        _check_choice("--report", report, ("markdown", "html", "xlsx", "json", "csv"))
        if report and output is None:
            raise UsageError("--report needs -o PATH", "e.g. --report html -o cx.html")
        out_fmt = _run_format(fmt, output if not report else None)
        path = _default_config(config)
        cfg = load_config(path)
        with run_lock(path, wait), _progress(quiet):
            result = run_all(cfg, str(path), _date("--as-of", as_of))
            allow = set(cfg.privacy.allow)
            data = redact(json_safe(result.to_dict()), allow)  # personal data never leaves, unless allowed
            assert isinstance(data, dict)
            if not quiet:
                for w in result.warnings:
                    _warn(w)
            assumptions = cfg.model_dump(
                mode="json", include={"roi", "clv", "link", "crm", "scores"}, by_alias=True
            )
            today = date.today()
            if report:
                assert output is not None
                for target, content in render_report(report, str(output), data, assumptions, allow, today):
                    write_atomic(target, content)
            elif out_fmt == "json":
                _emit(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n", output)
            else:
                color = output is None and _stdout_is_tty() and not no_color
                _emit(render_scorecard(data, width=_width(), color=color, explain=explain), output)
            for spec in cfg.reports:
                for target, content in render_report(spec.format, spec.path, data, assumptions, allow, today):
                    if not target.parent.exists():
                        target.parent.mkdir(parents=True, exist_ok=True)
                    write_atomic(target, content)
                    if not quiet:
                        _err(f"Wrote {target}")
        breaches, alert_warnings = check_alerts(cfg.alerts, data, list(cfg.scores.by), list(cfg.crm.by))
        if not quiet:
            for w in alert_warnings:
                _warn(w)
        for breach in breaches:
            _err(f"Alert: {breach.message()}")
        if breaches:
            raise typer.Exit(EXIT_ALERT)

    _guard(verbose, body)


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[None]:
    """A progress bar on stderr while large inputs are read, on a terminal only."""
    from cxroi.io import reader

    if quiet or not sys.stderr.isatty() or os.environ.get("CI"):
        yield
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(), transient=True
    ) as bar:
        tasks: dict[str, Any] = {}

        def hook(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(f"reading {Path(name).name}", total=total)
            bar.update(tasks[name], completed=done)

        reader.PROGRESS = hook
        try:
            yield
        finally:
            reader.PROGRESS = None


@app.command()
def link(
    config: ConfigOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Survey answers joined to CRM customers: match rate, churn, revenue and CLV by NPS/CSAT/CES group."""

    def body() -> None:
        from cxroi.pipeline.link import FIELDS
        from cxroi.pipeline.run import link_only

        cfg = load_config(_default_config(config))
        result, warnings = link_only(cfg, _date("--as-of", as_of))
        s = result.summary
        _err(
            f"{s['matched']:,} of {s['answers']:,} answers matched a customer ({s['match_rate']:.1f}%); "
            f"{s['customers_without_answer']:,} customers without an answer; as of {s['as_of']}"
        )
        _publish(
            result.records,
            FIELDS,
            warnings,
            fmt,
            output,
            no_color,
            "Churn by group",
            headings={"churn": "churn %", "churn_low": "CI low", "churn_high": "CI high"},
        )

    _guard(verbose, body)


@app.command()
def roi(
    config: ConfigOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """ROI of the CX programme from the config's roi: section (data-driven or assumptions only)."""

    def body() -> None:
        import json

        from cxroi.pipeline.run import run as run_all
        from cxroi.report.scorecard import render_scorecard

        path = _default_config(config)
        cfg = load_config(path)
        if cfg.roi is None:
            raise UsageError(f"{path} has no roi: section", "see configs/default.yaml for one")
        result = run_all(cfg, str(path), _date("--as-of", as_of))
        assert result.roi is not None
        for w in result.warnings:
            _warn(w)
        out_fmt = _resolve_format(fmt, output)
        if out_fmt is OutputFormat.json:
            data = {"summary": result.roi.summary, "lines": result.roi.lines, "what_if": result.roi.what_if}
            text = json.dumps(json_safe(data), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
        elif out_fmt is OutputFormat.table:
            color = output is None and _stdout_is_tty() and not no_color
            text = render_scorecard(
                {"as_of": result.to_dict()["as_of"], "roi": result.to_dict()["roi"]},
                width=_width(),
                color=color,
            )
        else:
            rows = [
                {
                    "line": ln["line"],
                    "annual_benefit": ln["annual_benefit"],
                    "attributed": ln["attributed"],
                    "formula": ln["formula"],
                }
                for ln in result.roi.lines
            ] + [
                {"line": k, "annual_benefit": v}
                for k, v in result.roi.summary.items()
                if isinstance(v, int | float) and not isinstance(v, bool)
            ]
            text = render_records(out_fmt, rows, ["line", "annual_benefit", "attributed", "formula"])
        _emit(text, output)

    _guard(verbose, body)
