"""Turn raw survey answers into positions on an integer scale.

Answers arrive as text (``"9"``, ``" 9 "``, ``"9,0"``, ``"10 - Extremely likely"``) or numbers. A valid
answer is a whole number within the scale; anything else is *invalid* and must be reported, never dropped
in silence. Blank cells are not answers at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

# a number, optionally followed by a label such as "10 - Extremely likely" or "5 = Very satisfied"
_ANSWER = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*(?:(?:[-=:–—]|\s)\s*\D.*)?$", re.DOTALL)

BLANK = -2
INVALID = -1


def parse_answer(text: str | None) -> float | None:
    """The number an answer stands for, ``None`` for a blank, NaN for text that is not a number."""
    if text is None:
        return None
    stripped = text.strip()
    if not stripped:
        return None
    m = _ANSWER.match(stripped)
    if not m:
        return math.nan
    return float(m.group(1).replace(",", "."))


def scale_positions(values: Sequence[float | None], low: int, high: int) -> np.ndarray:
    """Map each value to its 0-based position on the integer scale low..high.

    Returns int64 codes: position >= 0; ``BLANK`` (-2) for None; ``INVALID`` (-1) for non-numbers,
    non-integers and values outside the scale.
    """
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        if v is None:
            out[i] = BLANK
        elif math.isnan(v) or not float(v).is_integer() or not (low <= v <= high):
            out[i] = INVALID
        else:
            out[i] = int(v) - low
    return out


def numeric_positions(values: np.ndarray, low: int, high: int) -> np.ndarray:
    """Vectorised ``scale_positions`` for a float array where NaN marks a blank."""
    out = np.full(values.shape, INVALID, dtype=np.int64)
    blank = np.isnan(values)
    ok = ~blank & (values >= low) & (values <= high) & (np.floor(values) == values)
    out[ok] = values[ok].astype(np.int64) - low
    out[blank] = BLANK
    return out
