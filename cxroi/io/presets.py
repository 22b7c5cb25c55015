"""Column names of common CRM, billing and support exports (../shared/formats.md).

Each role (``customers.start``, ``tickets.first_response`` ...) has candidate headers per preset; when the
config does not name a column, the preset's candidates are tried, then the generic ones, case-insensitively.
"""

from __future__ import annotations

from cxroi.errors import DataError
from cxroi.io.reader import TableSource

GENERIC: dict[str, tuple[str, ...]] = {
    "customers.id": ("Customer ID", "customer_id", "CustomerID", "Account ID", "Record ID", "Customer", "id"),
    "customers.start": (
        "Signup Date",
        "Sign-up Date",
        "Start Date",
        "Customer Since",
        "Became a Customer Date",
        "Created Date",
        "Create Date",
        "signup_date",
        "start_date",
        "created_at",
        "Start (UTC)",
    ),
    "customers.end": (
        "Churn Date",
        "Churned Date",
        "End Date",
        "Cancellation Date",
        "Canceled At",
        "Cancelled At",
        "churn_date",
        "end_date",
        "churned_at",
        "canceled_at",
        "Ended At (UTC)",
    ),
    "customers.mrr": ("MRR", "mrr", "Monthly Recurring Revenue", "Monthly Revenue"),
    "transactions.customer": ("Customer ID", "customer_id", "CustomerID", "Account ID", "Customer"),
    "transactions.date": (
        "Invoice Date",
        "Order Date",
        "Transaction Date",
        "Payment Date",
        "Date",
        "Created (UTC)",
        "created_at",
        "date",
    ),
    "transactions.amount": ("Amount", "Total", "Revenue", "Net Amount", "amount", "total"),
    "transactions.cost": ("Cost", "COGS", "cost"),
    "transactions.refunded": ("Amount Refunded",),
    "transactions.status": ("Status", "Financial Status"),
    "transactions.id": ("Invoice ID", "Order ID", "Transaction ID", "Payment ID"),
    "contracts.id": ("Contract ID", "Opportunity ID", "Deal ID"),
    "contracts.status": ("Stage", "Deal Stage", "Status"),
    "contracts.customer": (
        "Customer ID",
        "customer_id",
        "Account ID",
        "Associated Company IDs",
        "Account Name",
    ),
    "contracts.date": ("Signed Date", "Contract Date", "Close Date", "Signed", "signed_at", "close_date"),
    "contracts.value": ("Value", "Contract Value", "Amount", "ACV", "TCV", "value", "amount"),
    "tickets.customer": ("Customer ID", "Requester id", "Contact ID", "Organization", "customer_id"),
    "tickets.created": ("Created at", "Created time", "Created", "Created Date", "created_at"),
    "tickets.first_response_at": ("First response at", "First Reply At", "Initial response time"),
    "tickets.first_response": (
        "First reply time in minutes",
        "First response time (in hrs)",
        "First Response Minutes",
        "first_response_minutes",
    ),
    "tickets.cost": ("Cost", "Ticket Cost", "cost"),
}

PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "salesforce": {
        "customers.id": ("Account ID", "Account Name"),
        "customers.start": ("Customer Since", "Created Date"),
        "customers.end": ("Churn Date", "Cancellation Date"),
        "contracts.customer": ("Account ID", "Account Name"),
        "contracts.date": ("Close Date",),
        "contracts.value": ("Amount", "Total Contract Value"),
    },
    "hubspot": {
        "customers.id": ("Record ID",),
        "customers.start": ("Became a Customer Date", "Create Date"),
        "customers.end": ("Churn Date", "Churned Date"),
    },
    "hubspot-deals": {
        "contracts.customer": ("Associated Company IDs", "Associated Company", "Record ID"),
        "contracts.date": ("Close Date",),
        "contracts.value": ("Amount",),
    },
    "stripe-payments": {
        "transactions.id": ("id",),
        "transactions.customer": ("Customer ID",),
        "transactions.date": ("Created (UTC)", "Created date (UTC)"),
        "transactions.amount": ("Amount",),
        "transactions.refunded": ("Amount Refunded",),
        "transactions.status": ("Status",),
    },
    "stripe-subscriptions": {
        "customers.id": ("Customer ID",),
        "customers.start": ("Start (UTC)", "Created (UTC)"),
        "customers.end": ("Ended At (UTC)", "Canceled At (UTC)"),
        "customers.mrr": ("Amount",),
    },
    "salesforce-opportunities": {
        "contracts.id": ("Opportunity ID",),
        "contracts.customer": ("Account ID", "Account Name"),
        "contracts.date": ("Close Date",),
        "contracts.value": ("Amount", "Total Contract Value"),
        "contracts.status": ("Stage",),
    },
    "stripe-invoices": {
        "transactions.id": ("id", "Number"),
        "transactions.customer": ("Customer", "Customer ID"),
        "transactions.date": ("Date (UTC)", "Paid At (UTC)", "Created (UTC)"),
        "transactions.amount": ("Amount Paid",),
        "transactions.status": ("Status",),
    },
    "stripe-customers": {
        "customers.id": ("id",),
        "customers.start": ("Created (UTC)",),
    },
    "chargebee": {
        "customers.id": ("subscriptions.customer_id", "customers.id"),
        "customers.start": ("subscriptions.started_at", "subscriptions.created_at"),
        "customers.end": ("subscriptions.cancelled_at",),
        "customers.mrr": ("subscriptions.mrr",),
    },
    "shopify-orders": {
        "transactions.id": ("Name", "Id"),
        "transactions.customer": ("Email",),
        "transactions.date": ("Created at",),
        "transactions.amount": ("Total",),
        "transactions.refunded": ("Refunded Amount",),
        "transactions.status": ("Financial Status",),
    },
    "shopify-customers": {
        "customers.id": ("Email",),
        "customers.start": ("Created At", "Created at"),
    },
    "zendesk": {
        # a real export has Zendesk's own user id in "Requester id" and the CRM's in "Requester external id"
        "tickets.customer": ("Requester external id", "Requester id", "Organization"),
        "tickets.created": ("Created at",),
        "tickets.first_response": ("First reply time in minutes",),
    },
    "freshdesk": {
        "tickets.customer": ("Contact ID", "Company Name"),
        "tickets.created": ("Created time",),
        "tickets.first_response_at": ("Initial response time",),
        "tickets.first_response": ("First response time (in hrs)",),
    },
}

# Units of duration columns a preset knows (minutes unless listed).
PRESET_UNITS = {"freshdesk": "hours"}


def find_column(
    source: TableSource, role: str, configured: str | None, preset: str | None, *, required: bool, key: str
) -> str | None:
    """The column playing ``role``: the configured name (resolved), else the first candidate present."""
    if configured:
        return source.resolve(configured)
    lowered = {c.casefold(): c for c in source.columns}
    candidates = [*PRESETS.get(preset or "", {}).get(role, ()), *GENERIC.get(role, ())]
    for cand in candidates:
        if cand.casefold() in lowered:
            return lowered[cand.casefold()]
    if required:
        raise DataError(
            f"{source.display}: no {role.replace('.', ' ')} column found (looked for "
            + ", ".join(repr(c) for c in candidates[:5])
            + ")",
            f"name it with {key} in the config, or a flag; " + source.layout.suggest(candidates[0]),
        )
    return None


def present_candidates(source: TableSource, role: str, preset: str | None) -> list[str]:
    """Every column of ``source`` that could play ``role`` (preset names first, then common names)."""
    lowered = {c.casefold(): c for c in source.columns}
    candidates = [*PRESETS.get(preset or "", {}).get(role, ()), *GENERIC.get(role, ())]
    return list(dict.fromkeys(lowered[c.casefold()] for c in candidates if c.casefold() in lowered))


def recognise_preset(columns: tuple[str, ...]) -> str | None:
    """Guess which export a header row comes from (named on stderr, and by ``cxroi init``)."""
    names = {c.casefold() for c in columns}
    if {"first reply time in minutes", "requester id"} & names:
        return "zendesk"
    if {"first response time (in hrs)", "initial response time"} & names:
        return "freshdesk"
    if {"financial status", "lineitem name"} <= names or {"financial status", "name", "total"} <= names:
        return "shopify-orders"
    if {"amount paid", "amount due"} <= names and "status" in names:
        return "stripe-invoices"
    if "amount refunded" in names and "customer id" in names:
        return "stripe-payments"
    if "current period end (utc)" in names or "cancel at period end" in names:
        return "stripe-subscriptions"
    if "subscriptions.customer_id" in names or "subscriptions.started_at" in names:
        return "chargebee"
    if {"id", "created (utc)", "delinquent"} <= names:
        return "stripe-customers"
    if {"customer id", "email", "created at"} <= names and (
        "accepts email marketing" in names or "total spent" in names
    ):
        return "shopify-customers"
    if columns and columns[0] == "Record ID":
        return "hubspot-deals" if "deal stage" in names else "hubspot"
    if {"stage", "close date"} <= names and ("opportunity name" in names or "opportunity owner" in names):
        return "salesforce-opportunities"
    if "account id" in names or "account name" in names:
        return "salesforce"
    return None


# Survey exports whose score columns are known: used when neither a flag nor the config names a score
# column. Each: the header names that recognise it (all present, case-insensitive), then the columns.
SURVEY_PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "zendesk-satisfaction": {"signature": ("satisfaction",), "csat": ("Satisfaction",),
                             "date": ("Created at", "Solved at")},
    "intercom-ratings": {"signature": ("rating", "rated at"), "csat": ("Rating",), "date": ("Rated at",)},
    "delighted": {"signature": ("score", "delighted source"), "nps": ("Score",),
                  "date": ("Created At (UTC)", "Created At")},
    "medallia": {"signature": ("likelihood to recommend (0-10)",), "nps": ("Likelihood to Recommend (0-10)",),
                 "csat": ("Overall Satisfaction (1-5)",), "ces": ("Ease of Doing Business (1-7)",),
                 "date": ("Response Date",)},
    "medallia-agent-connect": {"signature": ("star_rating", "response_received_at"), "csat": ("star_rating",),
                               "date": ("response_received_at",)},
}  # fmt: skip


def recognise_survey(columns: tuple[str, ...]) -> tuple[str, dict[str, str]] | None:
    """The survey export a header row comes from, and its columns by role (nps, csat, ces, date)."""
    lowered = {c.casefold(): c for c in columns}
    for name, spec in SURVEY_PRESETS.items():
        if all(sig in lowered for sig in spec["signature"]):
            roles = {}
            for role in ("nps", "csat", "ces", "date"):
                found = next(
                    (lowered[c.casefold()] for c in spec.get(role, ()) if c.casefold() in lowered), None
                )
                if found:
                    roles[role] = found
            return name, roles
    return None
