from __future__ import annotations

import math

import numpy as np
import pytest

from cxroi.metrics.answers import BLANK, INVALID, numeric_positions, parse_answer, scale_positions
from cxroi.metrics.bands import band_problems


def test_default_nps_bands_partition() -> None:
    assert band_problems((0, 10), {"d": (0, 6), "p": (7, 8), "pr": (9, 10)}) == []


@pytest.mark.parametrize(
    ("bands", "fragment"),
    [
        ({"d": (0, 6), "p": (6, 8), "pr": (9, 10)}, "overlaps"),
        ({"d": (0, 5), "p": (7, 8), "pr": (9, 10)}, "gap at 6"),
        ({"d": (0, 6), "p": (7, 8), "pr": (9, 11)}, "outside the scale"),
        ({"d": (6, 0), "p": (7, 8), "pr": (9, 10)}, "backwards"),
    ],
)
def test_bad_bands(bands: dict[str, tuple[int, int]], fragment: str) -> None:
    problems = band_problems((0, 10), bands)
    assert problems and fragment in problems[0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("9", 9.0),
        (" 9 ", 9.0),
        ("4,0", 4.0),
        ("10 - Extremely likely", 10.0),
        ("0 = Not at all", 0.0),
        ("6.5", 6.5),
    ],
)
def test_parse_answer(text: str, value: float) -> None:
    assert parse_answer(text) == value


def test_parse_answer_blank_and_text() -> None:
    assert parse_answer("") is None and parse_answer(None) is None
    assert math.isnan(parse_answer("N/A") or 0.0)
    assert math.isnan(parse_answer("eleven") or 0.0)


def test_positions_reject_half_points_and_out_of_scale() -> None:
    # 6.5 and 8.5 must not fall between bands: they are invalid, not silently dropped
    pos = scale_positions([0.0, 6.5, 8.5, 10.0, 11.0, None, math.nan], 0, 10)
    assert pos.tolist() == [0, INVALID, INVALID, 10, INVALID, BLANK, INVALID]
    arr = numeric_positions(np.array([1.0, 7.0, 7.5, np.nan, 0.0]), 1, 7)
    assert arr.tolist() == [0, 6, INVALID, BLANK, INVALID]


def test_period_keys_and_labels() -> None:
    from datetime import datetime

    import pyarrow as pa

    from cxroi.metrics.periods import period_bounds, period_keys, period_label

    ts = pa.array(
        [
            datetime(2025, 1, 1, 0, 0),
            datetime(2024, 12, 31, 23, 59, 59),
            None,
            datetime(2025, 3, 31, 12),
            datetime(1969, 12, 31, 23),
        ],
        type=pa.timestamp("us"),
    )
    assert [period_label(int(k), "month") for k in period_keys(ts, "month") if k >= 0] == [
        "2025-01",
        "2024-12",
        "2025-03",
        "1969-12",
    ]
    assert period_keys(ts, "quarter").tolist() == [20251, 20244, -1, 20251, 19694]
    # ISO weeks: 2024-12-31 is in 2025-W01; 2025-01-01 too
    assert [period_label(int(k), "week") for k in period_keys(ts, "week")[:2]] == ["2025-W01", "2025-W01"]
    assert period_keys(ts, "year").tolist()[:2] == [2025, 2024]
    assert period_bounds(20254, "quarter") == (datetime(2025, 10, 1).date(), datetime(2026, 1, 1).date())
    assert period_bounds(202512, "month")[1] == datetime(2026, 1, 1).date()
