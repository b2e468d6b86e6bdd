"""The page-speed curve (sim/journey/pagespeed.py) against CALIBRATION W4/W5."""

from __future__ import annotations

import numpy as np
import pytest

from sim.journey import pagespeed as ps


def test_refit_gives_the_recorded_constants() -> None:
    from scipy.optimize import curve_fit
    t = np.array([p[0] for p in ps.POINTS])
    y = np.array([p[1] for p in ps.POINTS])
    fitted, _ = curve_fit(ps.hill, t, y, p0=[0.3, 2.0, 3.0],
                          bounds=([0.0, 0.3, 1.0], [1.0, 10.0, 20.0]))
    assert fitted == pytest.approx([ps.FLOOR, ps.T50, ps.N], rel=0.01)


def test_points_within_tolerance() -> None:
    """W4 and W5 disagree, so each point within 0.22 and the root-mean-square under 0.12."""
    err = [ps.stay(t) - y for t, y in ps.POINTS]
    assert max(abs(e) for e in err) < 0.22
    assert float(np.sqrt(np.mean(np.square(err)))) < 0.12


def test_saturating_shape() -> None:
    """Flat at the optimum (W4: +100 ms costs a few percent), falling, and floored."""
    assert ps.stay(0.5) == 1.0 and ps.stay(1.0) == 1.0
    assert 0.95 < ps.stay(1.1) < 1.0
    loads = np.linspace(1.0, 20.0, 50)
    values = [ps.stay(x) for x in loads]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))
    assert values[-1] > ps.FLOOR
    # slope near the optimum is smaller than around T50 (unlike the old power law)
    assert ps.stay(1.0) - ps.stay(1.2) < ps.stay(2.0) - ps.stay(2.2)
