"""Backprop of every layer checked against central finite differences (float64)."""

import numpy as np
import pytest

from spinnet.nn import physics
from spinnet.nn.layers import fan_in, n_out, positions
from spinnet.nn.model import DEFAULT_PHYS
from spinnet.nn.train import Net, build_specs, softmax_xent

ARCH = [{"type": "conv", "name": "c1", "out_ch": 3, "k": 5, "stride": 2},
        {"type": "conv", "name": "c2", "out_ch": 4, "k": 3, "stride": 2},
        {"type": "dense", "name": "fc", "n_out": 10}]


def _net(kind, seed=1):
    rng = np.random.default_rng(seed)
    net = Net(build_specs(ARCH, DEFAULT_PHYS), DEFAULT_PHYS, kind, rng, dtype=np.float64)
    for k in net.theta:  # move off the initial point so biases and saturations are exercised
        net.theta[k] += rng.standard_normal(net.theta[k].shape) * 0.3
    return net, rng


@pytest.mark.parametrize("kind, scope", [("hardware", "weight"), ("hardware", "device"),
                                         ("hardware", None), ("baseline", None)])
def test_backprop_matches_finite_differences(kind, scope):
    net, rng = _net(kind)
    x = rng.random((4, 28, 28))
    y = rng.integers(0, 10, 4)
    noise = None
    if scope is not None:  # the fr-noise paths of variability-aware training are checked too
        noise = []
        for s in net.specs:
            shape = (n_out(s),) if scope == "weight" else (positions(s), n_out(s))
            noise.append((0.01 * rng.standard_normal(shape + (fan_in(s),)),
                          0.01 * rng.standard_normal(shape)))

    def loss():
        return softmax_xent(net.forward(x, noise)[0], y)[0]

    scores, cache = net.forward(x, noise)
    _, ds = softmax_xent(scores, y)
    grads = net.backward(ds, cache)
    checked = 0
    for k, th in net.theta.items():
        for j in rng.choice(th.size, min(6, th.size), replace=False):
            old = th.flat[j]
            h = 1e-6
            th.flat[j] = old + h
            lp = loss()
            th.flat[j] = old - h
            lm = loss()
            th.flat[j] = old
            fd = (lp - lm) / (2 * h)
            # central differences in float64 with h = 1e-6: truncation ~h^2*L''' and
            # round-off ~1e-16/h ~ 1e-10; 1e-6 relative (plus 1e-9 absolute for kinks of the
            # clamp/ReLU that a step may cross) is far above both and far below any bug
            assert fd == pytest.approx(grads[k].flat[j], rel=1e-5, abs=1e-9), (k, j)
            checked += 1
    assert checked >= 30


def test_device_derivatives_match_finite_differences():
    rng = np.random.default_rng(0)
    f = 1e9
    fr = f * (0.6 + 0.8 * rng.random(200))
    for s in (0.0, 0.3, 1.0):
        h = fr * 1e-7
        fd = (physics.weight(f, fr + h, 0.2, 8.8e3, s) - physics.weight(f, fr - h, 0.2, 8.8e3, s)
              ) / (2 * h)
        # relative 1e-6: central difference error ~ (h/a)^2 = (1e-7/0.2)^2, round-off ~1e-9
        np.testing.assert_allclose(physics.dweight_dfr(f, fr, 0.2, 8.8e3, s), fd, rtol=1e-6,
                                   atol=1e-12 * 8.8e3 / 1e9)
        # a field-line-tuned junction (fabricated at f, working at fr): the derivative
        # through the shift, with the fabricated resonance held
        for alpha in (0.2, 0.3):
            fd = (physics.weight(f, fr + h, alpha, 8.8e3, s, 1.0, f)
                  - physics.weight(f, fr - h, alpha, 8.8e3, s, 1.0, f)) / (2 * h)
            np.testing.assert_allclose(physics.dweight_dfr(f, fr, alpha, 8.8e3, s, 1.0, f), fd,
                                       rtol=1e-6, atol=1e-12 * 8.8e3 / 1e9)
    p = DEFAULT_PHYS
    gm, vbias = 1e-3, 0.01
    V = np.linspace(-0.05, 0.05, 401)
    V = V[np.abs(gm * (V + vbias) - p["Ith"]) > 1e-8]  # off the kinks of the clamp
    V = V[np.abs(gm * (V + vbias) - p["imax"]) > 1e-8]
    args = (gm, vbias, p["A"], p["R"], p["Q"], p["Ith"], p["imax"])
    h = 1e-9
    fd = (physics.activation(V + h, *args) - physics.activation(V - h, *args)) / (2 * h)
    np.testing.assert_allclose(physics.dactivation_dv(V, *args), fd, rtol=1e-6, atol=1e-15)
