"""Helpers shared by the pipelines: per-batch group codes and problem tallies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.io import Batch

BLANK_LABEL = "(blank)"


class Note(str):
    """A message that reports a fact (rows counted once, scheduled cancellations, a preset recognised),
    not a data problem: printed as ``Note:``, never fatal under ``--strict``."""

    __slots__ = ()


MAX_ROWS_SHOWN = 5


@dataclass
class Tally:
    """Rows that could not be used: how many, the first row numbers, a few example values."""

    count: int = 0
    rows: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.count = 0
        self.rows = []
        self.examples = []

    def add(self, batch: Batch, mask: np.ndarray, values: Sequence[str] = ()) -> None:
        hits = int(mask.sum())
        if not hits:
            return
        self.count += hits
        if len(self.rows) < MAX_ROWS_SHOWN:  # row 0: a database table's row, which has no number
            self.rows.extend(int(r) for r in batch.row_numbers(mask)[: MAX_ROWS_SHOWN - len(self.rows)] if r > 0)
        for v in values:
            if len(self.examples) >= 3:
                break
            if v not in self.examples:
                self.examples.append(v)

    def merge(self, other: Tally) -> None:
        self.count += other.count
        self.rows = (self.rows + other.rows)[:MAX_ROWS_SHOWN]
        self.examples = (self.examples + [e for e in other.examples if e not in self.examples])[:3]

    def where(self) -> str:
        if not self.rows:  # a database table: no row numbers
            return "e.g. " + ", ".join(repr(e) for e in self.examples) if self.examples else "no row numbers in a database"
        rows = ", ".join(map(str, self.rows))
        more = ", ..." if self.count > len(self.rows) else ""
        ex = "; e.g. " + ", ".join(repr(e) for e in self.examples) if self.examples else ""
        return f"row{'s' if self.count > 1 else ''} {rows}{more}{ex}"


def label_of(value: object) -> str:
    if value is None:
        return BLANK_LABEL
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def category_codes(arr: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Codes 0..k-1 per row and the k labels; blanks get the label ``(blank)``."""
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    labels = [label_of(v) for v in arr.dictionary.to_pylist()]
    trimmed = [lab.strip() or BLANK_LABEL for lab in labels]
    indices = pc.fill_null(arr.indices, len(trimmed))
    codes = np.asarray(indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes, [*trimmed, BLANK_LABEL]


def combine_codes(parts: Sequence[tuple[np.ndarray, Sequence[object]]], n: int) -> tuple[np.ndarray, int]:
    """Mixed-radix combination of several code arrays into one group code per row, and the radix total."""
    combined = np.zeros(n, dtype=np.int64)
    radix = 1
    for codes, labels in parts:
        combined = combined * len(labels) + codes
        radix *= len(labels)
    return combined, radix
