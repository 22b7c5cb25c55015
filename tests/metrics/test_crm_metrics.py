"""Churn, retention and CLV against hand calculations and published values (../shared/metrics.md)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxroi.metrics.amounts import guess_decimal, parse_amounts, parse_durations
from cxroi.metrics.churn import NO_END, PeriodChurn, active_days, annualize, churn_counts, churn_rate
from cxroi.metrics.clv import clv_discounted, clv_simple, margin_per_year


def d(s: str) -> int:
    return (date.fromisoformat(s) - date(1970, 1, 1)).days


@pytest.mark.parametrize(
    ("horizon", "expected"), [(None, 266.67), (1, 72.73), (3, 164.09), (5, 212.41), (10, 255.63)]
)
def test_gupta_lehmann(horizon: int | None, expected: float) -> None:
    assert clv_discounted(100, 0.8, 0.10, horizon) == pytest.approx(expected, abs=0.005)


def test_infinite_clv_exact() -> None:
    assert clv_discounted(100, 0.8, 0.10) == pytest.approx(80 / 0.3, rel=1e-15)
    # margin at the start of each period instead: m (1 + d) / (1 + d - r) = 366.67 = m + end-of-period CLV
    assert 100 + clv_discounted(100, 0.8, 0.10) == pytest.approx(366.67, abs=0.005)
    assert math.isnan(clv_discounted(100, 1.0, 0.0))


def test_simple_clv_and_lifespan() -> None:
    assert clv_simple(1200.0, 0.25) == 4800.0  # 4-year lifespan
    assert math.isnan(clv_simple(1200.0, 0.0))
    assert margin_per_year(1000.0, 0.8, 50.0) == 750.0


def test_annualize() -> None:
    assert annualize(0.05, 12) == pytest.approx(0.4596, abs=5e-5)  # not 60 %
    assert annualize(0.1, 4) == pytest.approx(1 - 0.9**4)
    assert math.isnan(annualize(math.nan, 12))
    assert churn_rate(5, 100) == 0.05 and math.isnan(churn_rate(0, 0))


def test_churn_boundary_days() -> None:
    # Period Q1 2025 = [2025-01-01, 2025-04-01)
    ps, pe = d("2025-01-01"), d("2025-04-01")
    customers = [
        ("2024-06-01", None),  # at start, stays
        ("2024-06-01", "2025-01-01"),  # end on the first day: churned in this period
        ("2024-06-01", "2025-03-31"),  # churned on the last day
        ("2024-06-01", "2025-04-01"),  # ends on the next period's first day: not churned here
        ("2024-06-01", "2024-12-31"),  # gone before the period
        ("2025-01-01", None),  # starts on the first day: new
        ("2025-02-10", "2025-03-01"),  # new and churned
        ("2025-04-01", None),  # starts after
        ("2024-12-31", None),  # at the start
    ]
    start = np.array([d(s) for s, _ in customers])
    end = np.array([d(e) if e else NO_END for _, e in customers])
    groups = np.zeros(len(customers), dtype=np.int64)
    table = PeriodChurn(start, end, groups, 1, np.array([d("2024-10-01"), ps, pe, d("2025-07-01")]))
    for c in (churn_counts(start, end, ps, pe, groups, 1), table.counts(ps, pe)):
        assert (c.customers_start[0], c.churned[0], c.new[0], c.new_and_churned[0], c.customers_end[0]) == (
            5, 2, 2, 1, 4)  # fmt: skip
    with pytest.raises(ValueError):
        table.counts(ps, ps + 1)  # not one of the bounds
    c = churn_counts(start, end, ps, pe, groups, 1)
    assert c.customers_start[0] == 5
    assert c.churned[0] == 2
    assert c.new[0] == 2
    assert c.new_and_churned[0] == 1
    assert c.customers_end[0] == 4
    assert c.customers_end[0] == c.customers_start[0] - c.churned[0] + c.new[0] - c.new_and_churned[0]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-20, 120), st.one_of(st.none(), st.integers(-30, 140)), st.integers(0, 2)),
             max_size=60),
    st.lists(st.integers(-25, 130), min_size=2, max_size=8, unique=True),
)  # fmt: skip
def test_period_churn_is_churn_counts_for_every_pair_of_bounds(
    customers: list[tuple[int, int | None, int]], bounds: list[int]
) -> None:
    """Ends before starts, no end, days on the bounds: the one-pass table gives the five masks' counts
    for every (ps, pe) pair of its bounds with ps <= pe, not only consecutive ones."""
    start = np.array([s for s, _, _ in customers], dtype=np.int64)
    end = np.array([NO_END if e is None else e for _, e, _ in customers], dtype=np.int64)
    groups = np.array([g for *_, g in customers], dtype=np.int64)
    table = PeriodChurn(start, end, groups, 3, np.array(bounds))
    for ps in bounds:
        for pe in (b for b in bounds if b >= ps):
            got, want = table.counts(ps, pe), churn_counts(start, end, ps, pe, groups, 3)
            for name in ("customers_start", "churned", "new", "new_and_churned", "customers_end"):
                assert getattr(got, name).tolist() == getattr(want, name).tolist(), (name, ps, pe)


def test_active_days() -> None:
    start = np.array([d("2025-01-01"), d("2025-01-10")])
    end = np.array([NO_END, d("2025-01-15")])
    got = active_days(start, end, d("2025-01-01"), d("2025-02-01"), np.array([0, 1]), 2)
    assert got.tolist() == [31.0, 5.0]


def test_amounts_and_durations() -> None:
    import pyarrow as pa

    values, bad = parse_amounts(pa.array(["$1,250.00", "(12.50)", "-3.5", "USD 7", "n/a", "", None, "100-"]))
    assert values.to_pylist() == [1250.0, -12.5, -3.5, 7.0, None, None, None, -100.0]
    assert bad.tolist() == [False, False, False, False, True, False, False, False]
    values, bad = parse_amounts(pa.array(["1.250,00 €", "12,5", "-3,5"]), ",")
    assert values.to_pylist() == [1250.0, 12.5, -3.5]
    _, bad = parse_amounts(pa.array(["1.250,00"]), ".")
    assert bad.tolist() == [True]  # a European amount read with "." is flagged, not read as 1.25
    assert guess_decimal(["1.250,00 €", "12,5"]) == "," and guess_decimal(["$1,250.00"]) == "."
    assert guess_decimal(["1,250", "2,500"]) == "."  # ambiguous thousands: keep "."
    hours, bad = parse_durations(pa.array(["01:30:00", "90", "2:15", "x", "-5", None]), "minutes")
    assert hours.to_pylist() == [1.5, 1.5, 2.25, None, None, None]
    assert bad.tolist() == [False, False, False, True, True, False]
    assert parse_durations(pa.array([3.0]), "hours")[0].to_pylist() == [3.0]
    values, bad = parse_amounts(pa.array(["12.5", "nan", "inf", ""]))
    assert values.to_pylist() == [12.5, None, None, None] and bad.tolist() == [False, True, True, False]


def test_amounts_by_their_own_form_scientific_notation_and_signs() -> None:
    """Each amount read by its own form: Excel's scientific notation (1.25E+06 for a wide number), ``.5``,
    ``+5`` and ``5.`` as written; scientific notation among currency signs is not guessed at (dropping
    the letter would read 1.2506); overflows are not amounts. Values by hand."""
    import pyarrow as pa

    cells = ["1.25E+06", "1e3", "1E-2", ".5", "+5", "5.", " 7 ", "$1.25E+06", "1e999", "-2.5e1", "12"]
    values, bad = parse_amounts(pa.array(cells))
    assert values.to_pylist() == [1_250_000.0, 1000.0, 0.01, 0.5, 5.0, 5.0, 7.0, None, None, -25.0, 12.0]
    assert bad.tolist() == [False] * 7 + [True, True, False, False]


@settings(max_examples=200, deadline=None)
@given(
    cell=st.sampled_from(["1.25E+06", "1e3", "1E-2", ".5", "+5", "5.", "12", "-3.5", "$1,250.00", "(12.50)",
                          "USD 7", "100-", "n/a", "", "1.250,00", "nan", "$1.25E+06", " 9 "]),
    others=st.lists(st.sampled_from(["12", "3.5", "$1,250.00", "(2)", "x", "", "1e3"]), max_size=5),
)  # fmt: skip
def test_an_amount_reads_the_same_whatever_the_other_cells(cell: str, others: list[str]) -> None:
    """A cell's amount (or its being unreadable) does not depend on the cells read with it: a batch of
    plain numbers takes one cast, a batch with currency signs the cleaning rules, and both give each
    cell the same value (once, ``1e3`` read as 1000 beside plain numbers and as 13 beside ``$12``)."""
    import pyarrow as pa

    alone_value, alone_bad = parse_amounts(pa.array([cell]))
    values, bad = parse_amounts(pa.array([*others, cell]))
    assert values.to_pylist()[-1] == alone_value.to_pylist()[0]
    assert bool(bad[-1]) == bool(alone_bad[0])
