"""``cxroi churn``, ``cxroi clv`` and ``cxroi economics``."""

from __future__ import annotations

from dataclasses import replace
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
    _err,
    _guard,
    _load,
    _publish,
    _warn,
    app,
)
from cxroi.config import Config
from cxroi.errors import UsageError
from cxroi.io import ReadOptions

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
    for line in dict.fromkeys(request.paths):
        _err(f"engine: {line}")


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
    model: Annotated[
        str | None,
        typer.Option("--model", help="average (default), bgnbd (purchases) or sbg (subscription renewals)."),
    ] = None,
    calibration_end: Annotated[
        str | None, typer.Option("--calibration-end", metavar="DATE", help="Fit on data up to DATE [default: --as-of].")
    ] = None,
    holdout_start: Annotated[
        str | None,
        typer.Option("--holdout-start", metavar="DATE", help="Fit before DATE; check predictions from DATE to --as-of."),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option("--period", metavar="PERIOD", help="sbg: renewal period month|quarter|year [default: month]."),
    ] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Say the model, its parameters and inputs (stderr).")] = False,
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
    """Customer lifetime value: the segment average from the 12 months ending --as-of, or per customer
    from a fitted model (--model bgnbd: BG/NBD + Gamma-Gamma on purchases; --model sbg: renewals)."""

    def body() -> None:
        from cxroi.pipeline import crm

        cfg = _load(config)
        chosen = model or cfg.clv.model
        _check_choice("--model", chosen, ("average", "bgnbd", "sbg"))
        if chosen == "average" and (calibration_end or holdout_start or period):
            raise UsageError("--calibration-end, --holdout-start and --period need --model bgnbd or sbg")
        need = {"average": ("customers", "transactions", "tickets"), "bgnbd": ("customers", "transactions"),
                "sbg": ("customers",)}[chosen]  # fmt: skip
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
            need=need,
        )
        if chosen != "average":
            _model_body(cfg, chosen, request)
            return
        clv_cfg = _clv_config(
            cfg,
            annual_margin=annual_margin,
            annual_revenue=annual_revenue,
            retention=retention,
            gross_margin=gross_margin,
            discount_rate=discount_rate,
            horizon=horizon,
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

    def _model_body(cfg: Config, chosen: str, request: Any) -> None:
        from cxroi.cli.clv_model import publish_model
        from cxroi.pipeline.clv_models import fit_model, model_options

        options = model_options(
            cfg, chosen, _date("--calibration-end", calibration_end), _date("--holdout-start", holdout_start),
            period, horizon, gross_margin, discount_rate,
        )
        result, warnings = fit_model(request, chosen, options)
        if verbose:
            _say_dates(request)
        for w in warnings:
            _warn(w)
        publish_model(result, fmt, output, no_color, explain)

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
        request = replace(request, per_customer=False)  # economics reports per segment only
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
