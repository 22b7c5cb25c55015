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
