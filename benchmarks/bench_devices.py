"""Device kernels: compiled single-device driver vs the pure-numpy reference, and the
vectorised steady state.  Prints ratios to baselines measured in the same run.

    python benchmarks/bench_devices.py
"""

from __future__ import annotations

import time

import numpy as np

from spinnet.devices import drive, macrospin, resonator, stno


def numpy_rk4(module, row, current, dt, n, s0):
    s = np.array(s0, float)
    for k in range(n):
        t = k * dt
        ia, ib, ic = current(t), current(t + dt / 2), current(t + dt)
        k1 = module.deriv_ref(row, s, ia)
        k2 = module.deriv_ref(row, s + dt / 2 * k1, ib)
        k3 = module.deriv_ref(row, s + dt / 2 * k2, ib)
        k4 = module.deriv_ref(row, s + dt * k3, ic)
        s = s + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if module is macrospin:
            s /= np.linalg.norm(s)
    return s


def bench(name, module, row, wave, current, dt, n_numpy, n_numba):
    s0 = module.initial_state(row)
    drive.run_rk4(module, row, wave, dt, 10, 0, stride=10)     # compile outside the timing
    t0 = time.perf_counter()
    numpy_rk4(module, row, current, dt, n_numpy, s0)
    t_np = (time.perf_counter() - t0) / n_numpy
    t0 = time.perf_counter()
    drive.run_rk4(module, row, wave, dt, n_numba, 0, stride=n_numba)
    t_nb = (time.perf_counter() - t0) / n_numba
    print(f"{name:24s} numpy {t_np * 1e6:8.2f} us/step   numba {t_nb * 1e9:8.1f} ns/step   "
          f"speed-up x{t_np / t_nb:,.0f}")


def main():
    p = resonator.bind("N1", {})
    row = resonator.pack([p])[0]
    f, a = 1.01e9, 4e-5
    bench("resonator level 1", resonator, row, ("tones", (f, a, 0.0), 0.0),
          lambda t: a * np.sin(2 * np.pi * f * t), 1 / (64 * f), 2000, 2_000_000)
    q = stno.bind("N5", {})
    row = stno.pack([q])[0]
    bench("stno", stno, row, ("dc", (), 2e-5), lambda t: 2e-5, 2.5e-11, 2000, 2_000_000)
    m = macrospin.bind("N1", {"hoe": 50.0})
    row = macrospin.pack([m])[0]
    bench("macrospin (level 2)", macrospin, row, ("sin", (0.0, 1e-3, 3.2e9), 0.0),
          lambda t: 1e-3 * np.sin(2 * np.pi * 3.2e9 * t), 5e-12, 2000, 1_000_000)

    # steady state: 100 000 resonators x 64 tones, vectorised vs a Python loop over devices
    rng = np.random.default_rng(0)
    n_dev, n_tone = 100_000, 64
    fr = rng.uniform(0.9e9, 1.1e9, n_dev)
    ft = np.linspace(0.9e9, 1.1e9, n_tone)
    P = rng.uniform(0, 1e-6, n_tone)
    t0 = time.perf_counter()
    v = resonator.rectified(ft, P, fr, 0.01, resonator.K_DEFAULT)
    t_vec = time.perf_counter() - t0
    t0 = time.perf_counter()
    m_loop = 2000
    for i in range(m_loop):
        resonator.rectified(ft, P, fr[i], 0.01, resonator.K_DEFAULT)
    t_loop = (time.perf_counter() - t0) / m_loop * n_dev
    assert v.shape == (n_dev,)
    print(f"steady rectified 1e5 x 64: vectorised {t_vec * 1e3:.1f} ms, per-device loop "
          f"{t_loop * 1e3:.0f} ms (extrapolated), ratio x{t_loop / t_vec:,.0f}")


if __name__ == "__main__":
    main()
