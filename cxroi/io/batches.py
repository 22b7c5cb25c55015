"""What the reader hands out: read options, column kinds and batches of rows; merging small batches and
reading one batch ahead in a thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_BLOCK_SIZE = 2 << 20


class ColumnKind(StrEnum):
    CATEGORY = "category"
    TEXT = "text"
    DATE = "date"


@dataclass(frozen=True)
class ReadOptions:
    """How to read an input; ``None`` means sniff it."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    date_format: str | None = None
    block_size: int = DEFAULT_BLOCK_SIZE
    # row filters: keep rows whose column (header, ImportId or question) holds one of the values
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass
class Batch:
    """A slice of rows: the requested columns plus where they sit in the file."""

    source: str
    columns: dict[str, pa.Array]
    first_row: int  # spreadsheet row number of the batch's first data row
    num_rows: int
    bad_dates: dict[str, np.ndarray] = field(default_factory=dict)  # column -> bool mask of unparseable dates
    rows: np.ndarray | None = None  # spreadsheet row of each row, once rows were filtered out

    def row_numbers(self, mask: np.ndarray) -> np.ndarray:
        if self.rows is not None:
            out: np.ndarray = self.rows[mask]
            return out
        return np.flatnonzero(mask) + self.first_row

    def keep_rows(self, keep: np.ndarray, columns: Sequence[str] | None = None) -> Batch:
        """This batch with only the ``keep`` rows (and only ``columns``, when given); row numbers kept."""
        names = list(self.columns) if columns is None else list(columns)
        mask = pa.array(keep)
        return Batch(
            self.source,
            {c: pc.filter(self.columns[c], mask) for c in names},
            self.first_row,
            int(keep.sum()),
            {c: m[keep] for c, m in self.bad_dates.items() if c in names},
            self.row_numbers(np.ones(self.num_rows, dtype=bool))[keep],
        )


def _merge(batches: list[Batch]) -> Batch:
    if len(batches) == 1:
        return batches[0]
    first = batches[0]
    columns = {
        name: pa.chunked_array([b.columns[name] for b in batches]).combine_chunks() for name in first.columns
    }
    bad = {name: np.concatenate([b.bad_dates[name] for b in batches]) for name in first.bad_dates}
    rows = None
    if any(b.rows is not None for b in batches):
        rows = np.concatenate([b.row_numbers(np.ones(b.num_rows, dtype=bool)) for b in batches])
    return Batch(first.source, columns, first.first_row, sum(b.num_rows for b in batches), bad, rows)


def rebatch(stream: Iterator[Batch], min_rows: int) -> Iterator[Batch]:
    """Merge consecutive batches until each holds at least ``min_rows`` rows (the last may hold fewer)."""
    pending: list[Batch] = []
    rows = 0
    for batch in stream:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= min_rows:
            yield _merge(pending)
            pending, rows = [], 0
    if pending:
        yield _merge(pending)


_DONE = object()


def prefetch(source: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """Run ``source`` in a worker thread, ``depth`` items ahead; re-raise its exceptions here, in order."""
    items: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            items.put(exc)

    worker = threading.Thread(target=work, name="cxroi-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)
