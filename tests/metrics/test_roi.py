"""ROI, NPV and payback against the issue's worked example (reviewed against Forrester TEI) and hand cases."""

from __future__ import annotations

import numpy as np
import pytest

from cxroi.metrics.roi import (
    cash_flows,
    payback_months,
    ramp_factors,
    retention_stock,
    terminal_value,
)
from cxroi.metrics.stats import wilson_interval


def worked_example() -> tuple[np.ndarray, np.ndarray]:
    """C0 100,000; R 50,000 a year; T 4; d 8%; attribution 0.6; retention dc 0.03, N 2,000, m 500,
    current churn 0.15; cost to serve (60 - 45) x 2,000; expansion (1,050 - 1,000) x 2,000 x 0.7;
    referrals (0.45 - 0.40) x 2,000 x 0.04 x 500."""
    stock = retention_stock(np.array(0.03), np.array(2000.0), np.array(0.85), 4)
    retention = 500 * stock
    others = (60 - 45) * 2000 + (1050 - 1000) * 2000 * 0.7 + (0.45 - 0.40) * 2000 * 0.04 * 500
    return retention, 0.6 * (retention + others)


def test_retention_is_a_stock_of_saved_customers() -> None:
    retention, _ = worked_example()
    assert retention.tolist() == pytest.approx([30_000, 55_500, 77_175, 95_598.75], abs=1e-9)


def test_worked_example() -> None:
    _, benefits = worked_example()
    assert benefits.tolist() == pytest.approx([79_200, 94_500, 107_505, 118_559.25], abs=1e-9)
    r = cash_flows(benefits, one_off=100_000, recurring=50_000, discount=0.08)
    assert float(r.roi) == pytest.approx(33.25, abs=0.005)
    assert float(r.roi_discounted) == pytest.approx(23.05, abs=0.005)
    assert float(r.npv) == pytest.approx(61_231.03, abs=0.005)
    assert float(r.payback_months) == pytest.approx(29.49, abs=0.005)
    # payback by hand: -100,000 + 12 x 2,433.33 + 12 x 3,708.33 = -26,300 after 24 months, then
    # 4,792.08 a month: 26,300 / 4,792.08 = 5.4883 -> 29.4883
    assert float(r.payback_months) == pytest.approx(24 + 26_300 / ((107_505 - 50_000) / 12), rel=1e-12)


def test_terminal_value_is_apart() -> None:
    # S_4 = 191.1975 saved customers; S_T m r / (1 + d - r) = 191.1975 x 500 x 0.85 / 0.23, / 1.08^4
    v = terminal_value(np.array(191.1975), np.array(500.0), np.array(0.85), 0.08, 4)
    assert float(v) == pytest.approx(191.1975 * 500 * 0.85 / 0.23 / 1.08**4, rel=1e-12)


def test_draws_are_rows() -> None:
    _, benefits = worked_example()
    r = cash_flows(np.stack([benefits, benefits * 0]), 100_000, 50_000, 0.08)
    assert r.roi.shape == (2,)
    assert np.isnan(r.payback_months[1])  # never pays back


def test_ramp_months_earn_nothing() -> None:
    assert ramp_factors(2, 3).tolist() == [0.75, 1.0]
    # 12,000 a year after a 3-month ramp: 9,000 in year 1 over 9 months (1,000 a month), no costs but C0 5,000
    b = np.array([12_000.0, 12_000.0]) * ramp_factors(2, 3)
    assert float(payback_months(b, 5_000, 0.0, 3)) == pytest.approx(8.0)


def test_no_one_off_pays_back_at_once() -> None:
    assert float(cash_flows(np.array([1000.0]), 0, 500, 0).payback_months) == 0.0


def test_zero_cost_is_an_error() -> None:
    with pytest.raises(ValueError, match="costs nothing"):
        cash_flows(np.array([1000.0, 1000.0]), 0, 0, 0.1)


def test_wilson() -> None:
    low, high = wilson_interval(10, 100)  # published: 0.0552 .. 0.1744
    assert (low, high) == (pytest.approx(0.0552, abs=5e-5), pytest.approx(0.1744, abs=5e-5))
