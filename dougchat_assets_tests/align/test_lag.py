"""The lag prior is a proper density with the documented location."""

from __future__ import annotations

import numpy as np
import pytest

from dougchat_assets.align import LagPrior


def test_density_integrates_to_one_and_is_zero_before_the_minimum():
    lag = LagPrior()
    x, d = lag.grid
    assert np.sum(d) * (x[1] - x[0]) == pytest.approx(1.0, abs=1e-3)
    assert lag.density(0.5) == 0.0  # nobody reacts faster than latency_min


def test_location_follows_its_parameters():
    base = LagPrior()
    # latency 2.5 s + reaction median 1.8 s (skewed) -> median a little above 4.3 s
    assert 4.1 < base.median_s < 4.6
    slower = LagPrior(latency_mean_s=3.5)
    assert slower.median_s == pytest.approx(base.median_s + 1.0, abs=0.05)
    lo, hi = base.support_s
    assert lo < base.quantile(0.25) < base.median_s < base.quantile(0.75) < hi
