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


# Labels that mean "no answer" (Zendesk offered a rating that was not given; Medallia N/A; German k.A.).
NO_ANSWER = frozenset(
    {"offered", "not offered", "unoffered", "n/a", "na", "n.a.", "k.a.", "k. a.", "keine angabe", "no answer"}
)

# Five-point label sets, 1 (worst) .. 5 (best), in English, Turkish, Hebrew and German.
_FIVE = {
    1: ("very dissatisfied", "very unsatisfied", "extremely dissatisfied", "hiç memnun değilim", "hiç memnun değil",
        "çok memnuniyetsiz", "לא מרוצה בכלל", "מאוד לא מרוצה", "sehr unzufrieden", "strongly disagree",
        "kesinlikle katılmıyorum", "מאוד לא מסכים", "stimme überhaupt nicht zu", "very difficult"),
    2: ("dissatisfied", "unsatisfied", "memnun değilim", "memnun değil", "לא מרוצה", "unzufrieden", "disagree",
        "katılmıyorum", "לא מסכים", "stimme nicht zu", "difficult"),
    3: ("neutral", "neither satisfied nor dissatisfied", "neither agree nor disagree", "kararsızım", "kararsız",
        "ne memnunum ne değilim", "nötr", "ניטרלי", "teils/teils", "weder noch"),
    4: ("satisfied", "memnunum", "memnun", "מרוצה", "zufrieden", "agree", "katılıyorum", "מסכים", "stimme zu",
        "easy"),
    5: ("very satisfied", "extremely satisfied", "çok memnunum", "çok memnun", "מרוצה מאוד", "מאוד מרוצה",
        "sehr zufrieden", "strongly agree", "kesinlikle katılıyorum", "מסכים מאוד", "stimme voll zu",
        "very easy"),
}  # fmt: skip
_SEVEN_AGREE = {
    1: ("strongly disagree", "kesinlikle katılmıyorum", "stimme überhaupt nicht zu", "מאוד לא מסכים"),
    2: ("disagree", "katılmıyorum", "stimme nicht zu", "לא מסכים"),
    3: ("somewhat disagree", "kısmen katılmıyorum", "stimme eher nicht zu", "די לא מסכים"),
    4: ("neither agree nor disagree", "neutral", "kararsızım", "nötr", "weder noch", "ניטרלי"),
    5: ("somewhat agree", "kısmen katılıyorum", "stimme eher zu", "די מסכים"),
    6: ("agree", "katılıyorum", "stimme zu", "מסכים"),
    7: ("strongly agree", "kesinlikle katılıyorum", "stimme voll zu", "מסכים מאוד"),
}
# Intercom conversation ratings: 😠 🙁 😐 😃 🤩 for 1-5.
_EMOJI = {"😠": 1, "🙁": 2, "😐": 3, "😃": 4, "🤩": 5}
# Zendesk satisfaction: Good / Bad (two points: the ends of the scale).
_GOOD_BAD = {"good": "high", "good, i'm satisfied": "high", "bad": "low", "bad, i'm unsatisfied": "low"}


def label_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def builtin_labels(low: int, high: int) -> dict[str, float]:
    """The built-in label map for a scale ``low..high``: five-point satisfaction/agreement and Intercom's
    emoji on 5-point scales, seven-point agreement on 7-point scales, Zendesk's Good/Bad on any scale
    (its ends). Config labels (``scores.<metric>.labels``) are added on top and win."""
    out: dict[str, float] = {}
    width = high - low + 1
    if width == 5:
        out.update({label_key(lab): low + v - 1 for v, labs in _FIVE.items() for lab in labs})
        out.update({e: low + v - 1 for e, v in _EMOJI.items()})
    elif width == 7:
        out.update({label_key(lab): low + v - 1 for v, labs in _SEVEN_AGREE.items() for lab in labs})
    out.update({k: float(high if end == "high" else low) for k, end in _GOOD_BAD.items()})
    return {k: float(v) for k, v in out.items()}


def parse_labelled(text: str | None, labels: dict[str, float]) -> float | None:
    """``parse_answer`` that also reads labels: "no answer" labels are blanks, known labels their score."""
    if text is None:
        return None
    key = label_key(text)
    if not key or key in NO_ANSWER:
        return None
    if key in labels:
        return labels[key]
    return parse_answer(text)
