"""The device laws the network uses == the laws of physics.md written out independently."""

import numpy as np
import pytest

from spinnet.nn import physics


def test_weight_equals_reference_formula():
    rng = np.random.default_rng(0)
    f = 1.5e9
    fr = f * (0.5 + rng.random(500))
    o = rng.choice([-1.0, 1.0], 500)
    for s in (0.0, 0.25, 1.0):
        for fab in (None, f, f * (0.9 + 0.2 * rng.random(500))):
            args = (f, fr, 0.2, physics.K_DEFAULT, s, o, fab)
            # same law, real algebra vs complex response: round-off only
            np.testing.assert_allclose(physics.weight(*args), physics.weight_ref(*args),
                                       rtol=1e-12, atol=1e-9)
            np.testing.assert_allclose(physics.dweight_dfr(*args),
                                       physics.dweight_dfr_ref(*args), rtol=1e-9, atol=1e-18)


def test_weight_closed_form_points():
    """The exact law (level-1 oscillator) meets the Lorentzian of physics.md §1 where its
    coefficients are fitted: w = s K at resonance and antisymmetric part (1 - s) K at
    detuning +-a (s = 0); the Lorentzian itself has its extremes +-K there."""
    K, alpha, fr = physics.K_DEFAULT, 0.2, 1e9
    a = alpha * fr
    assert physics.weight(fr, fr, alpha, K) == pytest.approx(0.0, abs=1e-9)
    anti = (physics.weight(fr + a, fr, alpha, K) - physics.weight(fr - a, fr, alpha, K)) / 2
    assert anti == pytest.approx(K, rel=1e-12)
    assert physics.weight(fr, fr, alpha, K, s=0.4) == pytest.approx(0.4 * K, rel=1e-12)
    assert physics.weight_lorentzian(fr + a, fr, alpha, K) == pytest.approx(K, rel=1e-12)
    assert physics.weight_lorentzian(fr - a, fr, alpha, K) == pytest.approx(-K, rel=1e-12)
    # the two laws differ by the counter-rotating response: a few % of K at alpha 0.2, and
    # they converge in the narrow-line limit (the difference shrinks ~ alpha)
    f = fr * (1 + alpha * np.linspace(-3, 3, 601))
    gap = [np.max(np.abs(physics.weight(f * al / alpha + fr * (1 - al / alpha), fr, al, K)
                         - physics.weight_lorentzian(f * al / alpha + fr * (1 - al / alpha),
                                                     fr, al, K))) / K
           for al in (0.2, 0.02)]
    assert 0.02 < gap[0] < 0.3 and gap[1] < gap[0] / 5
    # K of physics.md: about 8.8 mV per µW
    assert K * 1e-6 == pytest.approx(8.84e-3, rel=1e-3)


def test_activation_equals_reference_and_paper_values():
    V = np.linspace(-0.02, 0.05, 1001)
    args = (1.1e-3, 9e-3, 1.25, 1e3, 2.0, 10e-6, 40e-6)
    np.testing.assert_allclose(physics.activation(V, *args), physics.activation_ref(V, *args),
                               rtol=1e-12, atol=1e-20)
    np.testing.assert_allclose(physics.dactivation_dv(V, *args),
                               physics.dactivation_dv_ref(V, *args), rtol=1e-12, atol=1e-15)
    # physics.md §2: at the clamp imax = 4 Ith, p0 = 3/6 and P = 1.25*0.5*1e3*(40e-6)^2 = 1 µW
    assert physics.activation(1.0, *args) == pytest.approx(1e-6, rel=1e-12)
    assert physics.activation(-1.0, *args) == 0.0
