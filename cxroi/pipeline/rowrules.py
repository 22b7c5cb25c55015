"""What a transaction or contract row means: counted once per id, and only when its status says it was paid
(or won).

* **Ids**: a Shopify orders export has one row per line item, with the order's total repeated on each line;
  a Stripe export may list a payment twice. With an id column (``crm.transactions.id``, or the preset's:
  Shopify ``Name``, Stripe ``id``) each id counts once (its first row) and the duplicate rows are reported.
* **Status**: only paid invoices and payments (``paid_values``) and won opportunities (``won_values``) are
  revenue or contract value; open, void, uncollectible, refunded-in-full, lost and open deals are counted
  and reported, never summed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.io import Batch
from cxroi.pipeline.common import Tally

# Default status values that mean "the money came in" / "the deal was won", per preset (case-insensitive).
PAID_VALUES: dict[str, tuple[str, ...]] = {
    "stripe-payments": ("paid", "succeeded", "refunded", "partially_refunded"),
    "stripe-invoices": ("paid",),
    "shopify-orders": ("paid", "partially_paid", "partially_refunded", "refunded"),
}
DEFAULT_PAID = ("paid", "succeeded", "complete", "completed", "settled", "captured")
WON_VALUES: dict[str, tuple[str, ...]] = {"salesforce-opportunities": ("closed won",)}
DEFAULT_WON = ("closed won", "won", "closedwon")


def status_ok(column: pa.Array, values: Sequence[str]) -> np.ndarray:
    """Rows whose status (trimmed, case-insensitive) is one of ``values``; blank statuses are not."""
    status = pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))
    wanted = pa.array([v.strip().casefold() for v in values], type=pa.string())
    return np.asarray(
        pc.fill_null(pc.is_in(status, wanted), False).to_numpy(zero_copy_only=False), dtype=bool
    )


class FirstOfId:
    """Marks the first row of each id across every batch of a file (64-bit hashes of the trimmed text)."""

    def __init__(self) -> None:
        self.seen = np.array([], dtype=np.uint64)
        self.duplicates = 0

    def reset(self) -> None:
        self.seen = np.array([], dtype=np.uint64)
        self.duplicates = 0

    def first(self, column: pa.Array, candidates: np.ndarray) -> np.ndarray:
        """Of the ``candidates`` rows, those whose id was not seen before (blank ids always count)."""
        text = pc.utf8_trim_whitespace(column.cast(pa.string()))
        values = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
        blank = pd.isna(values) | (values == "")
        use = candidates & ~blank
        hashes = pd.util.hash_array(values[use].astype(str)).astype(np.uint64)
        _, first_idx = np.unique(hashes, return_index=True)
        fresh = np.zeros(len(hashes), dtype=bool)
        fresh[first_idx] = True
        if len(self.seen):
            fresh &= ~np.isin(hashes, self.seen, assume_unique=False)
        out = candidates.copy()
        rows = np.flatnonzero(use)
        out[rows[~fresh]] = False
        self.duplicates += int((~fresh).sum())
        self.seen = np.union1d(self.seen, hashes[fresh])
        return out


class RowRules:
    """The status and id rules of one transactions or contracts file, applied batch by batch."""

    def __init__(self, status_col: str | None, values: Sequence[str], id_col: str | None, kind: str) -> None:
        self.status_col, self.values, self.id_col, self.kind = status_col, tuple(values), id_col, kind
        self.rejected = Tally()
        self.once = FirstOfId()

    @property
    def columns(self) -> list[str]:
        return [c for c in (self.status_col, self.id_col) if c]

    def reset(self) -> None:
        self.rejected.reset()
        self.once.reset()

    def apply(self, batch: Batch, keep: np.ndarray) -> np.ndarray:
        """``keep`` narrowed to rows with an accepted status, each id's first row only."""
        if self.status_col:
            column = batch.columns[self.status_col]
            ok = status_ok(column, self.values)
            rejected = keep & ~ok
            examples = (
                pc.filter(column.cast(pa.string()), pa.array(rejected)).unique().slice(0, 3).to_pylist()
            )
            self.rejected.add(batch, rejected, [str(v) for v in examples])
            keep = keep & ok
        if self.id_col:
            keep = self.once.first(batch.columns[self.id_col], keep)
        return keep

    def notes(self, display: str) -> list[str]:
        """What was left out (``kind``: ``revenue`` or ``contract value``) and what was counted once."""
        out = []
        n = self.rejected.count
        if n:
            out.append(
                f"{display}: {n:,} row{'' if n == 1 else 's'} with a status in {self.status_col!r} other than "
                f"{', '.join(self.values)} ({self.rejected.where()}); not {self.kind}"
            )
        d = self.once.duplicates
        if d:
            out.append(
                f"{display}: {d:,} row{'' if d == 1 else 's'} repeat an id in {self.id_col!r} (line items or "
                "duplicates); each id counted once"
            )
        return out
