"""What a CRM input is: the files of each role (customers, transactions, contracts, tickets), the export
each comes from (its preset, recognised from the header row) and which column plays which role.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from cxroi.config import Config, ContractsMap, CustomersMap, Period, TicketsMap, TransactionsMap
from cxroi.io import ReadOptions, TableSource
from cxroi.io.presets import find_column, recognise_preset
from cxroi.pipeline.common import Note
from cxroi.pipeline.inputs import open_input

EPOCH = date(1970, 1, 1)
DAYS_PER_YEAR = 365.25


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_date(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


@dataclass
class Source:
    """An input file and the preset that names its columns."""

    table: TableSource
    preset: str | None = None


@dataclass(frozen=True)
class CrmRequest:
    customers: Sequence[Source]
    customers_map: CustomersMap = field(default_factory=CustomersMap)
    transactions: Sequence[Source] = ()
    transactions_map: TransactionsMap = field(default_factory=TransactionsMap)
    contracts: Sequence[Source] = ()
    contracts_map: ContractsMap = field(default_factory=ContractsMap)
    tickets: Sequence[Source] = ()
    tickets_map: TicketsMap = field(default_factory=TicketsMap)
    period: Period = "quarter"
    by: tuple[str, ...] = ()
    from_: date | None = None
    to: date | None = None
    as_of: date | None = None
    strict: bool = False
    windows: tuple[tuple[int, int], ...] = ()  # [first day, day after last) to sum money per customer in
    purchases: bool = False  # keep every transaction's (spell, day, amount) for the per-customer models
    per_customer: bool = True  # sum the money of each customer (the link, the ROI); False: per segment only
    latest_elsewhere: date | None = (
        None  # the latest date of the other inputs (survey), for the default as-of
    )
    engine: str = "duckdb"  # "reader": cxroi's reader reads every input (engine.csv in the config)
    engine_settings: Any = None  # the config's engine: section (memory limit, temp folder, threads)
    paths: list[str] = field(default_factory=list)  # for -v: how each input was read, and the query


def role(src: Source, section: str, mapping: Any, role: str, required: bool = True) -> str | None:
    """The column of ``section.role`` in ``src``: the configured name, else recognised (preset, common names)."""
    return find_column(
        src.table,
        f"{section}.{role}",
        getattr(mapping, role, None),
        src.preset,
        required=required,
        key=f"crm.{section}.{role}",
    )


def customer_role(src: Source, section: str, mapping: Any, ids: Any) -> tuple[str, str | None]:
    """The customer id column of a transactions / contracts / tickets file and a note when it was chosen
    among several: an export may carry several id columns (Zendesk's own "Requester id" beside the CRM's
    "Requester external id"; HubSpot and Salesforce record ids beside the account id). Unless the config
    names it, the candidate whose first rows match most ids of the customer file is used."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from cxroi.io.presets import present_candidates

    chosen = role(src, section, mapping, "customer")
    assert chosen is not None
    if getattr(mapping, "customer", None):
        return chosen, None
    candidates = present_candidates(src.table, f"{section}.customer", src.preset)
    if len(candidates) < 2:
        return chosen, None
    shares: dict[str, float] = {}
    for col in candidates:
        values = [v.strip() for v in src.table.sample_values(col) if v.strip()]
        hits = pc.sum(pc.is_in(pa.array(values, pa.string()), value_set=ids)).as_py() if values else 0
        shares[col] = (hits or 0) / len(values) if values else 0.0
    best = max(candidates, key=lambda c: (shares[c], -candidates.index(c)))
    if best == chosen:
        return chosen, None
    others = ", ".join(f"{c!r} {shares[c]:.0%}" for c in candidates if c != best)
    return best, (
        f"{src.table.display}: customer ids taken from {best!r} ({shares[best]:.0%} of the first rows match the "
        f"customer file; {others}); set crm.{section}.customer to choose"
    )


def open_role(
    config: Any, name: str, paths: Sequence[str] | None, flags: Any, preset: str | None
) -> list[Source]:
    """Open one CRM input (see ``pipeline.inputs``); each file gets the given preset, the config's, or the
    one its header row is recognised as."""
    spec = config.inputs.get(name)
    chosen = preset or (spec.preset if spec else None)
    sources = []
    for t in open_input(config, name, paths, flags):
        found = chosen or recognise_preset(t.columns)
        if found and not chosen:
            t.warnings.append(
                Note(f"{t.display}: recognised as a {found} export (--preset to choose another)")
            )
        sources.append(Source(t, found))
    return sources


def build_crm_request(
    config: Config,
    options: ReadOptions,
    *,
    customers: Sequence[str] | None = None,
    transactions: Sequence[str] | None = None,
    contracts: Sequence[str] | None = None,
    tickets: Sequence[str] | None = None,
    preset: str | None = None,
    period: str | None = None,
    by: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    id_col: str | None = None,
    from_: date | None = None,
    to: date | None = None,
    as_of: date | None = None,
    strict: bool | None = None,
    cost_per_ticket: float | None = None,
    need: tuple[str, ...] = ("customers",),
) -> CrmRequest:
    """Merge flags over the config's ``crm:`` section and open the inputs (flags win)."""
    crm = config.crm
    cmap = crm.customers.model_copy(
        update={k: v for k, v in {"id": id_col, "start": start, "end": end}.items() if v is not None}
    )
    tmap = crm.tickets
    if cost_per_ticket is not None:
        tmap = tmap.model_copy(update={"cost_per_ticket": cost_per_ticket})
    wanted = set(need)
    return CrmRequest(
        customers=open_role(config, cmap.input, customers, options, preset),
        customers_map=cmap,
        transactions=open_role(config, crm.transactions.input, transactions, options, None)
        if "transactions" in wanted
        else (),
        transactions_map=crm.transactions,
        contracts=open_role(config, crm.contracts.input, contracts, options, None)
        if "contracts" in wanted
        else (),
        contracts_map=crm.contracts,
        tickets=open_role(config, tmap.input, tickets, options, None) if "tickets" in wanted else (),
        tickets_map=tmap,
        period=period or crm.period,  # type: ignore[arg-type]
        by=tuple(by) if by else tuple(crm.by),
        from_=from_ or crm.from_,
        to=to or crm.to,
        as_of=as_of or crm.as_of,
        strict=crm.strict if strict is None else strict,
        engine=os.environ.get("CXROI_ENGINE") or config.engine.csv,  # the env: to run a suite on each
        engine_settings=config.engine,
    )
