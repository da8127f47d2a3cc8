"""The internal SAMPLED law (the component-wise transient's coupling feeds) against
numpy's linear interpolation of the same grid, and against the PWL law it replaces."""

from __future__ import annotations

import numpy as np

from spinnet.devices.sources import PWL, SAMPLED, value_nb


def _sampled(t0, h, vals):
    return np.concatenate([[t0, h], vals])


def _pwl(t0, h, vals):
    ts = t0 + np.arange(len(vals)) * h
    c = np.zeros(1 + 2 * len(vals))
    c[1::2] = ts
    c[2::2] = vals
    return c


def test_grid_points_are_exact_and_between_is_linear():
    rng = np.random.default_rng(3)
    t0, h = 3.2e-10, 5e-12
    vals = rng.normal(size=65) * 1e-5
    c = _sampled(t0, h, vals)
    # the loop's own step times t0 + k h hit the samples exactly (the feeds must carry the
    # upstream solution, not an interpolation of it)
    for k in range(len(vals)):
        assert value_nb(SAMPLED, c, t0 + k * h) == vals[k]
    # between the samples, held outside: numpy's interp of the same grid
    ts = t0 + np.arange(len(vals)) * h
    tq = np.concatenate([rng.uniform(t0 - 3 * h, t0 + 66 * h, 400), [t0 - h, ts[-1] + h]])
    ref = np.interp(tq, ts, vals)
    got = np.array([value_nb(SAMPLED, c, t) for t in tq])
    # interpolation weights differ from numpy's only by rounding: 1e-12 of the range
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * np.ptp(vals))


def test_equals_the_pwl_of_the_same_points():
    rng = np.random.default_rng(4)
    t0, h = 0.0, 1e-11
    vals = rng.normal(size=9)
    s, p = _sampled(t0, h, vals), _pwl(t0, h, vals)
    # at the grid points the PWL interpolates its own segment end: within a few ulps of
    # the segment's values
    for k in range(len(vals)):
        t = t0 + k * h
        assert abs(value_nb(SAMPLED, s, t) - value_nb(PWL, p, t)) <= 1e-15 * np.ptp(vals)
    for t in rng.uniform(-h, 10 * h, 50):
        assert abs(value_nb(SAMPLED, s, t) - value_nb(PWL, p, t)) <= 1e-12 * np.ptp(vals)
