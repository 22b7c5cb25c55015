"""ROI, NPV and payback against a case computed by hand (every line to the cent)."""

from __future__ import annotations

import pytest

from cxroi.metrics.roi import (
    annuity,
    cost_to_serve_benefit,
    expansion_benefit,
    referral_benefit,
    retention_benefit,
    roi,
    wilson_interval,
)


def test_hand_computed_case() -> None:
    # retention (0.20 - 0.15) x 1,000 x 1,200 = 60,000; cost to serve (50 - 40) x 1,000 = 10,000;
    # expansion (1,300 - 1,200) x 1,000 x 0.8 = 80,000; referrals 300 x 0.05 x 400 = 6,000.
    lines = [
        retention_benefit(0.20, 0.15, 1000, 1200),
        cost_to_serve_benefit(50, 40, 1000),
        expansion_benefit(1200, 1300, 1000, 0.8),
        referral_benefit(300, 0.05, 400),
    ]
    assert [round(x, 2) for x in lines] == [60000.00, 10000.00, 80000.00, 6000.00]
    annual = 0.5 * sum(lines)  # attribution 50 % -> 78,000 a year
    r = roi(annual, one_off=50_000, recurring=20_000, years=3, discount=0.10)
    assert r.total_benefit == pytest.approx(234_000.00, abs=0.005)
    assert r.total_cost == 110_000.00
    assert r.roi == pytest.approx(124_000 / 110_000 * 100)  # 112.73 %
    # NPV = 58,000 x (1/1.1 + 1/1.21 + 1/1.331) - 50,000 = 58,000 x 2.4868519910 - 50,000 = 94,237.42
    assert r.npv == pytest.approx(94_237.42, abs=0.005)
    assert r.payback_months == pytest.approx(50_000 / (58_000 / 12))  # 10.34 months
    # discounted: PV(B) = 78,000 x 2.48685 = 193,974.46; PV(costs) = 50,000 + 20,000 x 2.48685 = 99,737.04
    assert r.benefit_pv == pytest.approx(193_974.46, abs=0.005)
    assert r.cost_pv == pytest.approx(99_737.04, abs=0.005)


def test_negative_benefit_gives_negative_roi() -> None:
    r = roi(-10_000, one_off=20_000, recurring=0, years=2, discount=0.0)
    assert r.roi == pytest.approx((-20_000 - 20_000) / 20_000 * 100)  # -200 %
    assert r.payback_months is None


def test_zero_cost_is_an_error() -> None:
    with pytest.raises(ValueError, match="costs nothing"):
        roi(1000, one_off=0, recurring=0, years=3, discount=0.1)


def test_no_one_off_pays_back_at_once() -> None:
    assert roi(1000, one_off=0, recurring=500, years=1, discount=0).payback_months == 0.0


def test_annuity_and_wilson() -> None:
    assert annuity(3, 0.10) == pytest.approx(2.4868519910)
    assert annuity(2, 0.0) == 2.0
    low, high = wilson_interval(10, 100)  # published: 0.0552 .. 0.1744
    assert (low, high) == (pytest.approx(0.0552, abs=5e-5), pytest.approx(0.1744, abs=5e-5))
