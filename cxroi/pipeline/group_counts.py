"""Histograms per group key, held as columns: the counts of one metric per (period, segment...) group.

A ``GroupCounts`` has one row per distinct key. Each key column is a list of distinct labels and an
integer code per row pointing into it; ``hist`` holds the counts per scale position of each row. Adding,
collapsing and sorting work on the code columns with numpy, so 100,000 groups cost about what 100 do:
no key is ever decoded into a Python tuple.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cxroi.pipeline.common import combine_codes

# product of the key columns' label counts up to which their codes combine into one int64
_RADIX_LIMIT = 1 << 62


@dataclass(frozen=True)
class GroupCounts:
    labels: tuple[tuple[Any, ...], ...]  # per key column: its distinct labels
    codes: np.ndarray  # (groups, key columns) int64: each row's label in each key column
    hist: np.ndarray  # (groups, scale width) int64

    def __len__(self) -> int:
        return int(self.hist.shape[0])

    @classmethod
    def build(
        cls, labels: Iterable[Iterable[Any]], codes: np.ndarray, hist: np.ndarray
    ) -> GroupCounts:
        """The counts of possibly repeated keys, summed per distinct key (rows of ``codes``)."""
        cols = tuple(tuple(lab) for lab in labels)
        codes = np.asarray(codes, dtype=np.int64).reshape(len(hist), len(cols))
        hist = np.asarray(hist, dtype=np.int64)
        if not len(hist):
            return cls(cols, codes, hist)
        out_codes, inverse = _distinct(cols, codes)
        if len(out_codes) == len(hist):  # already distinct: only put in order
            summed = np.empty_like(hist)
            summed[inverse] = hist
        else:
            summed = np.zeros((len(out_codes), hist.shape[1]), dtype=np.int64)
            np.add.at(summed, inverse, hist)
        return cls(cols, out_codes, summed)

    @classmethod
    def from_key_rows(
        cls,
        parts: Sequence[tuple[np.ndarray, Sequence[Any]]],
        rows: np.ndarray,
        pos: np.ndarray,
        n: np.ndarray,
        width: int,
    ) -> GroupCounts:
        """Counts ``n`` at scale position ``pos`` of key row ``rows``; key column ``k`` of the key rows is
        ``parts[k]`` (codes per key row, labels). Key rows sharing a key add up; keys without a count are
        left out."""
        cols = tuple(tuple(lab) for _, lab in parts)  # (a tuple stays the same object: shared labels)
        size = len(parts[0][0]) if parts else int(rows.max(initial=-1)) + 1
        codes = np.column_stack([c for c, _ in parts]) if parts else np.zeros((size, 0), dtype=np.int64)
        out_codes, group = _distinct(cols, codes.astype(np.int64))
        n = np.asarray(n, dtype=np.int64)
        flat = group[rows] * width + np.asarray(pos, dtype=np.int64)
        if int(n.sum()) < (1 << 53):  # bincount adds in float64: exact below 2**53
            summed = np.bincount(flat, weights=n, minlength=len(out_codes) * width)
            hist = np.rint(summed).astype(np.int64).reshape(len(out_codes), width)
        else:
            added = np.zeros(len(out_codes) * width, dtype=np.int64)
            np.add.at(added, flat, n)
            hist = added.reshape(len(out_codes), width)
        present = hist.any(axis=1)
        return cls(cols, out_codes[present], hist[present])

    def total(self) -> np.ndarray:
        out: np.ndarray = self.hist.sum(axis=0)
        return out

    def merge(self, other: GroupCounts) -> GroupCounts:
        """The counts of both, summed per key (labels are matched by value)."""
        if not len(other):
            return self
        if not len(self):
            return other
        labels: list[list[Any]] = []
        other_codes = np.empty_like(other.codes)
        for k, (mine, theirs) in enumerate(zip(self.labels, other.labels, strict=True)):
            index = {lab: i for i, lab in enumerate(mine)}
            joined = list(mine)
            lut = np.empty(len(theirs), dtype=np.int64)
            for j, lab in enumerate(theirs):
                if lab not in index:
                    index[lab] = len(joined)
                    joined.append(lab)
                lut[j] = index[lab]
            labels.append(joined)
            other_codes[:, k] = lut[other.codes[:, k]]
        return GroupCounts.build(
            labels, np.concatenate([self.codes, other_codes]), np.concatenate([self.hist, other.hist])
        )

    def select(self, columns: list[int]) -> GroupCounts:
        """Only the key columns ``columns`` (in that order), the counts summed over the others."""
        return GroupCounts.build([self.labels[k] for k in columns], self.codes[:, columns], self.hist)

    def order(self, by: list[tuple[int, Callable[[Sequence[Any]], np.ndarray]]]) -> np.ndarray:
        """Row order by the key columns of ``by`` (first the most significant); the function given with a
        column ranks its distinct labels (an integer per label), so no row is compared in Python."""
        sort_keys = []
        for k, ranks in reversed(by):  # np.lexsort: the last key is the primary one
            sort_keys.append(np.asarray(ranks(self.labels[k]), dtype=np.int64)[self.codes[:, k]])
        if not sort_keys:
            return np.arange(len(self), dtype=np.int64)
        out: np.ndarray = np.lexsort(sort_keys)
        return out

    def take(self, rows: np.ndarray) -> GroupCounts:
        return GroupCounts(self.labels, self.codes[rows], self.hist[rows])


def _distinct(cols: tuple[tuple[Any, ...], ...], codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``codes`` (in the order of their labels' codes) and each row's place in them."""
    if not len(codes):
        return np.zeros((0, len(cols)), dtype=np.int64), np.zeros(0, dtype=np.int64)
    if not cols:
        return np.zeros((1, 0), dtype=np.int64), np.zeros(len(codes), dtype=np.int64)
    sizes = [len(c) for c in cols]
    if math.prod(sizes) < _RADIX_LIMIT:
        combined, _radix = combine_codes([(codes[:, k], c) for k, c in enumerate(cols)], len(codes))
        uniq, inverse = np.unique(combined, return_inverse=True)
        out_codes = np.empty((len(uniq), len(cols)), dtype=np.int64)
        rest = uniq
        for k in range(len(cols) - 1, -1, -1):
            rest, out_codes[:, k] = np.divmod(rest, sizes[k])
    else:  # too many labels for one integer: rows of codes, compared column by column
        out_codes, inverse = np.unique(codes, axis=0, return_inverse=True)
    return np.asarray(out_codes, dtype=np.int64), np.asarray(inverse, dtype=np.int64).reshape(-1)

