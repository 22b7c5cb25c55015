"""``cxroi run`` (the whole job, reports, alerts, lock), ``cxroi link`` and ``cxroi roi``."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from cxroi.cli.common import (
    DOCUMENTS,
    AsOfOpt,
    ConfigOpt,
    FormatOpt,
    NoColorOpt,
    OutputOpt,
    VerboseOpt,
    _check_choice,
    _date,
    _emit,
    _err,
    _guard,
    _publish,
    _resolve_format,
    _stdout_is_tty,
    _warn,
    _width,
    app,
)
from cxroi.config import load_config
from cxroi.errors import EXIT_ALERT, UsageError
from cxroi.io.atomic import write_atomic
from cxroi.report.formats import EXTENSIONS, OutputFormat, json_safe, render_records


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


def _report_of(output: Path) -> str | None:
    """The report ``-o`` names by its suffix (with no --format): a document, Markdown or CSV; else None
    (``.json`` is the run's JSON, anything else the scorecard)."""
    suffix = output.suffix.lower()
    found = EXTENSIONS.get(suffix)
    return DOCUMENTS.get(suffix) or (found.value if found in (OutputFormat.markdown, OutputFormat.csv) else None)


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
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Read every input again, even when the count cache holds it.")
    ] = False,
    no_color: NoColorOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """The main job: every section the config enables (scores, economics, link, ROI) as a scorecard or JSON;
    then the config's reports and alerts."""

    def body() -> None:
        import json

        from cxroi.io.lock import run_lock
        from cxroi.pipeline.alerts import check_alerts
        from cxroi.pipeline.run import run_or_reuse
        from cxroi.report.privacy import redact
        from cxroi.report.publish import render_report
        from cxroi.report.scorecard import render_scorecard

        _check_choice("--report", report, ("markdown", "html", "xlsx", "json", "csv"))
        chosen = report or (_report_of(output) if output is not None and not fmt else None)
        if report and output is None:
            raise UsageError("--report needs -o PATH", "e.g. --report html -o cx.html")
        out_fmt = _run_format(fmt, output if not report else None)
        path = _default_config(config)
        cfg = load_config(path)
        with run_lock(path, wait), _progress(quiet):
            result = run_or_reuse(cfg, str(path), _date("--as-of", as_of), cache=not no_cache)
            if verbose:
                for line in dict.fromkeys(result.engine):  # the CRM inputs are read again for new windows
                    _err(f"engine: {line}")
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
            if chosen:
                assert output is not None
                for target, content in render_report(chosen, str(output), data, assumptions, allow, today):
                    write_atomic(target, content)
            elif out_fmt == "json":
                _emit(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n", output)
            else:
                color = output is None and _stdout_is_tty() and not no_color
                _emit(render_scorecard(data, width=_width(), color=color, explain=explain), output)
            for spec in cfg.reports:
                if spec.format == "sql":
                    written = _sql_report(spec, data, str(path))
                    if not quiet:
                        _err(f"Wrote {written:,} rows to {spec.table} ({_shown(spec.connection)})")
                    continue
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


def _sql_report(spec: Any, data: dict[str, Any], config_name: str) -> int:
    """Write the run's results (already redacted) to the spec's database table; the rows written."""
    import datetime as dt
    import uuid

    from cxroi.io.sql_results import write_results
    from cxroi.report.long_form import results_table

    rows = results_table(data, str(uuid.uuid4()), str(Path(config_name).resolve()), dt.datetime.now().replace(microsecond=0))
    return write_results(spec.connection, spec.table, rows, f"reports ({spec.table})")


def _shown(connection: str | None) -> str:
    from cxroi.io.connection import redact

    return "" if connection is None else connection if connection.startswith("env:") else redact(connection)


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
        from cxroi.pipeline.linked import link_only

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
            data = {
                "summary": result.roi.summary,
                "lines": result.roi.lines,
                "tornado": result.roi.tornado,
                "what_if": result.roi.what_if,
            }
            text = json.dumps(json_safe(data), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
        elif out_fmt is OutputFormat.table:
            color = output is None and _stdout_is_tty() and not no_color
            whole = result.to_dict()
            text = render_scorecard(
                {"as_of": whole["as_of"], "roi": whole["roi"], "survival": whole["survival"]},
                width=_width(),
                color=color,
            )
        else:
            years = result.roi.summary["horizon_years"]
            fields = ["line", *[f"year_{t}" for t in range(1, years + 1)], "total", "credited", "formula"]
            rows: list[dict[str, Any]] = [
                {"line": ln["line"], **{f"year_{t}": v for t, v in enumerate(ln["by_year"], start=1)},
                 "total": ln["total"], "credited": ln["attributed"], "formula": ln["formula"]}
                for ln in result.roi.lines
            ]  # fmt: skip
            rows += [
                {"line": k, "total": v}
                for k, v in result.roi.summary.items()
                if isinstance(v, int | float) and not isinstance(v, bool)
            ]
            text = render_records(out_fmt, rows, fields)
        _emit(text, output)

    _guard(verbose, body)
