r"""Level-2 spin-diode resonator: macrospin Landau-Lifshitz-Gilbert-Slonczewski junction.

Free-layer unit magnetisation ``m`` (Cartesian, renormalised to ``|m| = 1`` after each step
by the driver; the kernel also projects out the radial part of ``dm/dt``), fixed layer ``p``::

    dm/dt = -gamma'/(1+alpha^2) [ m x H + alpha m x (m x H) ]  + spin torques
    H = Hext + (2 ku/(mu0 ms)) (m.e) e - ms (N m) + hoe I(t) u_oe
    torques (per ampere):  -gamma' aj I m x (m x p)  -  gamma' bj I m x p
    R(m) = rp + (rap - rp) (1 - m.p) / 2

``gamma' = gamma mu0 = 2.211e5 m/(A s)`` (the value cmtj uses).  Angles are in degrees:
``theta`` from +z, ``phi`` from +x in the plane.
"""

from __future__ import annotations

import numpy as np

from .params import ParamSpec
from .params import bind as _bind

#: gamma*mu0 (m/(A s)), the value cmtj uses, so that both simulators share it.
GYRO = 2.211e5
MU0 = 4e-7 * np.pi

SPECS = (
    ParamSpec("ms", "A/m", 1.0e6, 1e3, 1e7, "saturation magnetisation"),
    ParamSpec("ku", "J/m^3", 1.0e3, 0.0, 1e7, "uniaxial anisotropy energy density"),
    ParamSpec("theta_k", "deg", 90.0, 0.0, 180.0, "easy axis polar angle"),
    ParamSpec("phi_k", "deg", 0.0, -360.0, 360.0, "easy axis azimuth"),
    ParamSpec("nxx", "", 0.0, 0.0, 1.0, "demagnetising factor xx"),
    ParamSpec("nyy", "", 0.0, 0.0, 1.0, "demagnetising factor yy"),
    ParamSpec("nzz", "", 1.0, 0.0, 1.0, "demagnetising factor zz"),
    ParamSpec("damping", "", 0.01, 0.0, 1.0, "Gilbert damping", lo_open=True),
    ParamSpec("hext", "A/m", 8e3, 0.0, 1e8, "external bias field magnitude"),
    ParamSpec("theta_h", "deg", 90.0, 0.0, 180.0, "bias field polar angle"),
    ParamSpec("phi_h", "deg", 45.0, -360.0, 360.0, "bias field azimuth"),
    ParamSpec("theta_p", "deg", 90.0, 0.0, 180.0, "fixed-layer polar angle"),
    ParamSpec("phi_p", "deg", 0.0, -360.0, 360.0, "fixed-layer azimuth"),
    ParamSpec("rp", "ohm", 1000.0, 1e-3, 1e9, "parallel-state resistance"),
    ParamSpec("rap", "ohm", 2000.0, 1e-3, 1e9, "antiparallel-state resistance"),
    ParamSpec("aj", "(A/m)/A", 0.0, -1e12, 1e12, "damping-like torque field per ampere"),
    ParamSpec("bj", "(A/m)/A", 0.0, -1e12, 1e12, "field-like torque field per ampere"),
    ParamSpec("hoe", "(A/m)/A", 0.0, -1e12, 1e12, "Oersted field per ampere of RF current"),
    ParamSpec("theta_oe", "deg", 90.0, 0.0, 180.0, "Oersted field polar angle"),
    ParamSpec("phi_oe", "deg", 90.0, -360.0, 360.0, "Oersted field azimuth"),
)


def bind(device: str, given: dict | None) -> dict:
    """Check and complete the macrospin stack parameters of ``device``."""
    return _bind(device, SPECS, given)
