r"""Level-2 spin-diode resonator: macrospin Landau-Lifshitz-Gilbert-Slonczewski junction.

Free-layer unit magnetisation ``m`` (Cartesian, renormalised to ``|m| = 1`` after each step
by the driver; the kernel also projects out the radial part of ``dm/dt``), fixed layer ``p``::

    dm/dt = -gamma'/(1+alpha^2) [ m x H + alpha m x (m x H) ]  + spin torques
    H = Hext + (2 ku/(mu0 ms)) (m.e) e - ms (N m) + hoe I(t) u_oe
    torques (per ampere):  -gamma' aj I m x (m x p)  -  gamma' bj I m x p
    R(m) = rp + (rap - rp) (1 - m.p) / 2

Thermal noise (``temp > 0``): Brown's random field added to ``H`` (precession and damping
act on it), each component white with ``<h_i(t) h_j(t')> = 2 alpha kB T / (gamma' mu0 ms V)
delta_ij delta(t - t')`` (Stratonovich; integrated by stochastic Heun in
:func:`spinnet.devices.drive.heun_macrospin`); the equilibrium is Boltzmann's.

``gamma' = gamma_e mu0 = 2.2128e5 m/(A s)`` (CODATA; cmtj's default is 2.2088e5, the
comparison test sets cmtj's constants to spinnet's).  Angles are in degrees:
``theta`` from +z, ``phi`` from +x in the plane.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .params import ParamSpec
from .params import bind as _bind

#: gamma_e*mu0 (m/(A s)) from CODATA 2018 (gamma_e = 1.76085963e11 rad/(s T)).
GYRO = 1.76085963023e11 * 4e-7 * np.pi
MU0 = 4e-7 * np.pi
#: Boltzmann constant (J/K), exact in the 2019 SI.
KB = 1.380649e-23

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
    ParamSpec("temp", "K", 0.0, 0.0, 1e4, "temperature of the thermal field (0: none)"),
    ParamSpec("volume", "m^3", 1e-23, 1e-30, 1e-12,
              "free-layer volume (sets the thermal field)"),
)


def bind(device: str, given: dict | None) -> dict:
    """Check and complete the macrospin stack parameters of ``device``."""
    return _bind(device, SPECS, given)


def macrospin_specs():
    """The stack parameters (for tools that list every parameter of a resonator)."""
    return SPECS


def _unit(theta_deg, phi_deg):
    t, p = np.deg2rad(theta_deg), np.deg2rad(phi_deg)
    return np.array([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)])


# ----------------------------------------------------------------------------------------
# time-domain kernel
# ----------------------------------------------------------------------------------------

N_STATES = 3
COLS = ("ex", "ey", "ez", "hx", "hy", "hz", "px", "py", "pz", "ox", "oy", "oz",
        "ms", "hk", "nxx", "nyy", "nzz", "damping", "rp", "rap", "aj", "bj", "hoe",
        "mx0", "my0", "mz0", "dhdf", "dth")
(EX, EY, EZ, HX, HY, HZ, PX, PY, PZ, OX, OY, OZ, MS, HK, NXX, NYY, NZZ, DAMP, RP, RAP,
 AJ, BJ, HOE, MX0, MY0, MZ0, DHDF, DTH) = range(len(COLS))


def _row_base(p: dict) -> np.ndarray:
    row = np.zeros(len(COLS))
    row[EX:EZ + 1] = _unit(p["theta_k"], p["phi_k"])
    row[HX:HZ + 1] = p["hext"] * _unit(p["theta_h"], p["phi_h"])
    row[PX:PZ + 1] = _unit(p["theta_p"], p["phi_p"])
    row[OX:OZ + 1] = _unit(p["theta_oe"], p["phi_oe"])
    row[MS] = p["ms"]
    row[HK] = 2.0 * p["ku"] / (MU0 * p["ms"])
    row[NXX], row[NYY], row[NZZ] = p["nxx"], p["nyy"], p["nzz"]
    row[DAMP] = p["damping"]
    row[RP], row[RAP] = p["rp"], p["rap"]
    row[AJ], row[BJ], row[HOE] = p["aj"], p["bj"], p["hoe"]
    row[DTH] = thermal_diffusion(p)
    return row


def thermal_diffusion(p: dict) -> float:
    """Brown's thermal field strength ``2 alpha kB T / (gamma' mu0 ms V)`` ((A/m)^2 s).

    Each Cartesian component of the thermal field is white noise with
    ``<h_i(t) h_j(t')> = D delta_ij delta(t - t')``; over a step ``dt`` it is a constant
    field of standard deviation ``sqrt(D / dt)`` (:func:`thermal_sigma`).  ``gamma' mu0 ms
    V`` with ``gamma' = gamma_e mu0`` because the field is in A/m.
    """
    # .get: parameter dicts bound before temp/volume existed mean no noise
    return (2.0 * p["damping"] * KB * p.get("temp", 0.0)
            / (GYRO * MU0 * p["ms"] * p.get("volume", 1e-23)))


def field_ref(row, m, current=0.0, dh=0.0):
    """Effective field (A/m) at ``m`` (numpy): bias (+ ``dh``), anisotropy, demag, Oersted."""
    row, m = np.asarray(row, float), np.asarray(m, float)
    h = row[HX:HZ + 1].copy()
    nh = np.linalg.norm(h)
    if nh > 0:
        h = h * (1.0 + dh / nh)
    e = row[EX:EZ + 1]
    h = h + row[HK] * (m @ e) * e
    h = h - row[MS] * np.array([row[NXX], row[NYY], row[NZZ]]) * m
    return h + row[HOE] * current * row[OX:OZ + 1]


def energy_ref(row, m):
    """Energy density / (mu0 ms) (A/m) of direction ``m``: what the equilibrium minimises."""
    row, m = np.asarray(row, float), np.asarray(m, float)
    e = row[EX:EZ + 1]
    return (-(m @ row[HX:HZ + 1]) - 0.5 * row[HK] * (m @ e) ** 2
            + 0.5 * row[MS] * (row[NXX] * m[0] ** 2 + row[NYY] * m[1] ** 2 + row[NZZ] * m[2] ** 2))


def equilibrium(row, start=None) -> np.ndarray:
    """Equilibrium direction nearest to ``start`` (default: the bias field direction).

    A local minimum of :func:`energy_ref` found from ``start`` (quasi-Newton in the tangent
    plane of the current estimate, re-centred until the torque ``m x H`` vanishes), i.e.
    the state an LLG simulation starting at ``start`` relaxes to.
    """
    from scipy.optimize import minimize

    row = np.asarray(row, float)
    m = np.asarray(start if start is not None else row[HX:HZ + 1], float).copy()
    if np.linalg.norm(m) == 0:
        m = row[EX:EZ + 1].copy()
    if np.linalg.norm(m) == 0:
        m = np.array([0.0, 0.0, 1.0])
    m = m / np.linalg.norm(m)
    scale = row[HK] + row[MS] + np.linalg.norm(row[HX:HZ + 1]) + 1.0
    for _ in range(20):
        a, b = _tangent(m)

        def energy(x, m=m, a=a, b=b):
            v = m + x[0] * a + x[1] * b
            nv = np.linalg.norm(v)
            u = v / nv
            # dE/dm = -H_eff(m); chain rule through the normalisation
            h = field_ref(row, u)
            grad = [-(h @ (d - u * (u @ d))) / nv for d in (a, b)]
            return energy_ref(row, u) / scale, np.array(grad) / scale

        x = minimize(energy, np.zeros(2), jac=True, method="BFGS",
                     options={"gtol": 1e-14}).x
        m = m + x[0] * a + x[1] * b
        m /= np.linalg.norm(m)
        h = field_ref(row, m)
        if np.linalg.norm(_cross(m, h)) < 1e-10 * scale:
            break
    return m


def _cross(a, b):
    """``a x b`` of two 3-vectors (``np.cross`` costs ~20x more on vectors this short)."""
    a0, a1, a2 = a[0], a[1], a[2]
    b0, b1, b2 = b[0], b[1], b[2]
    return np.array([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])


def _tangent(m0):
    a = _cross(m0, [1.0, 0.0, 0.0])
    if np.linalg.norm(a) < 0.5:
        a = _cross(m0, [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    return a, _cross(m0, a)


def linearise(row, m0=None, eps=1e-6):
    """Linearised LLGS at equilibrium in the tangent plane ``(a, b)`` of ``m0``.

    Returns ``(J, B, g, m0)``: ``du/dt = J u + B I`` for the tangent coordinates ``u`` and the
    current ``I`` (torques and Oersted field), and ``g = dR/du`` (ohm).  Central differences
    with step ``eps`` (relative error ~eps^2).
    """
    row = np.asarray(row, float)
    m0 = equilibrium(row) if m0 is None else np.asarray(m0, float)
    a, b = _tangent(m0)
    J = np.zeros((2, 2))
    g = np.zeros(2)
    for j, d in enumerate((a, b)):
        mp, mm = m0 + eps * d, m0 - eps * d
        mp, mm = mp / np.linalg.norm(mp), mm / np.linalg.norm(mm)
        df = (deriv_ref(row, mp, 0.0) - deriv_ref(row, mm, 0.0)) / (2 * eps)
        J[0, j], J[1, j] = df @ a, df @ b
        g[j] = (resistance_ref(row, mp) - resistance_ref(row, mm)) / (2 * eps)
    di = 1e-6
    db = (deriv_ref(row, m0, di) - deriv_ref(row, m0, -di)) / (2 * di)
    return J, np.array([db @ a, db @ b]), g, m0


def small_signal(row, dh=0.0) -> tuple[float, float]:
    """Resonance frequency (Hz) and linewidth HWHM (Hz) of the linearised LLG at equilibrium.

    From the eigenvalues ``lambda = -G +- i w`` of the Jacobian of the LLG in the tangent
    plane; the rectified spectrum of a weakly driven junction peaks near ``w/2pi`` with
    half-width ``G/2pi``.
    """
    row = np.asarray(row, float).copy()
    m0 = equilibrium(row)
    nh = np.linalg.norm(row[HX:HZ + 1])
    if dh and nh > 0:
        row[HX:HZ + 1] *= 1.0 + dh / nh
        m0 = equilibrium(row, m0)
    J, _, _, _ = linearise(row, m0)
    lam = np.linalg.eigvals(J)
    return abs(lam[0].imag) / (2 * np.pi), -lam[0].real / (2 * np.pi)


def shifted(row, dfr):
    """``row`` with its bias field moved by a resonance shift ``dfr`` (Hz) as :func:`deriv`
    moves it (``|H| -> |H| + dfr * dhdf``), its equilibrium re-found from the packed one."""
    row = np.asarray(row, float).copy()
    nh = np.linalg.norm(row[HX:HZ + 1])
    if dfr and nh > 0:
        row[HX:HZ + 1] *= 1.0 + dfr * row[DHDF] / nh
        start = row[MX0:MZ0 + 1] if np.any(row[MX0:MZ0 + 1]) else None
        row[MX0:MZ0 + 1] = equilibrium(row, start)
    return row


def transfer(row, freqs, dfr=0.0):
    """Rectification transfer ``H(f) = Re(g . (i w - J)^-1 B)`` (ohm/A) of the linearised LLGS.

    A drive ``A sin(2 pi f t)`` through the junction rectifies to ``V_dc = A^2 H(f) / 2``
    (exact to second order in ``A``), with the bias field shifted as by a field line's
    ``dfr`` (Hz; see :func:`shifted`).  ``freqs`` broadcasts; the result has its shape.
    """
    row = shifted(row, dfr)
    m0 = row[MX0:MZ0 + 1] if np.any(row[MX0:MZ0 + 1]) else None
    J, B, g, _ = linearise(row, m0)
    return transfer_of(J, B, g, freqs)


def transfer_of(J, B, g, freqs):
    """``Re(g . (i w - J)^-1 B)`` for one linearisation ``(J, B, g)`` (2x2 closed form)."""
    w = 2j * np.pi * np.asarray(freqs, float)
    det = (w - J[0, 0]) * (w - J[1, 1]) - J[0, 1] * J[1, 0]
    u0 = ((w - J[1, 1]) * B[0] + J[0, 1] * B[1]) / det
    u1 = (J[1, 0] * B[0] + (w - J[0, 0]) * B[1]) / det
    return np.real(g[0] * u0 + g[1] * u1)


def linear_vdc(row, freqs, amplitude):
    """Rectified voltage (V) of a weak drive ``amplitude sin(2 pi f t)`` from linear response.

    Frequency-domain counterpart of the time-domain ``<R(t) I(t)>``: with
    ``U = (i w - J)^-1 B amplitude``, ``V_dc = amplitude/2 Re(g . U)``; exact to second order
    in the amplitude.
    """
    return 0.5 * amplitude ** 2 * np.atleast_1d(transfer(row, freqs))


def pack(params_list) -> np.ndarray:
    """Rows of packed macrospin parameters (see :data:`COLS`).

    Includes the equilibrium direction (initial state) and ``dhdf``, the bias-field change
    (A/m) per hertz of resonance shift, used to turn a field-line ``dfr`` into a field.
    """
    rows = np.zeros((len(params_list), len(COLS)))
    for i, p in enumerate(params_list):
        row = _row_base(p)
        row[MX0:MZ0 + 1] = equilibrium(row)
        row[DHDF] = 0.0                # no bias field: a field line has no direction to act
        if p["hext"] > 0:
            h = float(p["hext"]) * 1e-3
            f1, _ = small_signal(row, -h)
            f2, _ = small_signal(row, h)
            row[DHDF] = 2 * h / (f2 - f1) if f2 != f1 else 0.0
        rows[i] = row
    return rows


_PACKED: dict = {}


def packed_row(p: dict) -> np.ndarray:
    """The packed row of one junction's bound stack parameters ``p`` (:func:`pack`),
    memoised on the stack's values: a netlist elaborated again (one spot-check run per
    image) finds its equilibria and ``dhdf`` already computed."""
    key = tuple(float(p[s.name]) for s in SPECS)
    row = _PACKED.get(key)
    if row is None:
        if len(_PACKED) > 65536:
            _PACKED.clear()
        row = _PACKED[key] = pack([{s.name: p[s.name] for s in SPECS}])[0]
    return row.copy()


@njit(cache=True)
def initial_state(row):
    """The equilibrium direction computed by :func:`pack`."""
    s = np.zeros(N_STATES)
    s[0], s[1], s[2] = row[MX0], row[MY0], row[MZ0]
    return s


@njit(cache=True)
def resistance(row, state):
    """TMR resistance ``rp + (rap - rp)(1 - m.p)/2`` (ohm), with ``m`` normalised."""
    mx, my, mz = state[0], state[1], state[2]
    nm = math.sqrt(mx * mx + my * my + mz * mz)
    mp = (mx * row[PX] + my * row[PY] + mz * row[PZ]) / nm
    return row[RP] + (row[RAP] - row[RP]) * 0.5 * (1.0 - mp)


@njit(cache=True, inline="always")
def _llgs(row, mx, my, mz, current, dfr, thx, thy, thz):
    """``dm/dt`` on scalars, with an extra field ``th`` (A/m) in the field term only."""
    hx, hy, hz = row[HX], row[HY], row[HZ]
    nh = math.sqrt(hx * hx + hy * hy + hz * hz)
    if dfr != 0.0 and nh > 0.0:
        sc = 1.0 + dfr * row[DHDF] / nh
        hx, hy, hz = hx * sc, hy * sc, hz * sc
    me = mx * row[EX] + my * row[EY] + mz * row[EZ]
    hx += row[HK] * me * row[EX] - row[MS] * row[NXX] * mx + row[HOE] * current * row[OX]
    hy += row[HK] * me * row[EY] - row[MS] * row[NYY] * my + row[HOE] * current * row[OY]
    hz += row[HK] * me * row[EZ] - row[MS] * row[NZZ] * mz + row[HOE] * current * row[OZ]
    # (x + 0.0 is x exactly: without a thermal field the values are deriv's of before)
    hx += thx
    hy += thy
    hz += thz
    a = row[DAMP]
    # precession m x H and damping m x (m x H)
    cx, cy, cz = my * hz - mz * hy, mz * hx - mx * hz, mx * hy - my * hx
    dx, dy, dz = my * cz - mz * cy, mz * cx - mx * cz, mx * cy - my * cx
    # spin torque T = -g aj I m x (m x p) - g bj I m x p  (g = GYRO)
    px, py, pz = row[PX], row[PY], row[PZ]
    qx, qy, qz = my * pz - mz * py, mz * px - mx * pz, mx * py - my * px
    rx, ry, rz = my * qz - mz * qy, mz * qx - mx * qz, mx * qy - my * qx
    ta, tb = GYRO * row[AJ] * current, GYRO * row[BJ] * current
    tx, ty, tz = -ta * rx - tb * qx, -ta * ry - tb * qy, -ta * rz - tb * qz
    # m x T
    ux, uy, uz = my * tz - mz * ty, mz * tx - mx * tz, mx * ty - my * tx
    k = 1.0 / (1.0 + a * a)
    return (k * (-GYRO * cx - GYRO * a * dx + tx + a * ux),
            k * (-GYRO * cy - GYRO * a * dy + ty + a * uy),
            k * (-GYRO * cz - GYRO * a * dz + tz + a * uz))


@njit(cache=True)
def deriv(row, state, current, dfr, out):
    """Write ``dm/dt`` (1/s) of the LLGS equation (Gilbert form solved for dm/dt).

    ``current`` is the current through the junction (A): it drives the spin torques and the
    Oersted field; ``dfr`` (Hz) is applied as a bias-field change ``dfr * dhdf``.
    """
    out[0], out[1], out[2] = _llgs(row, state[0], state[1], state[2], current, dfr,
                                   0.0, 0.0, 0.0)


@njit(cache=True)
def deriv_th(row, state, current, dfr, th, out):
    """:func:`deriv` with the thermal field ``th`` (A/m, 3 components) added to the
    effective field (precession and damping act on it, the spin torques do not)."""
    out[0], out[1], out[2] = _llgs(row, state[0], state[1], state[2], current, dfr,
                                   th[0], th[1], th[2])


@njit(cache=True)
def thermal_torque(row, mx, my, mz, thx, thy, thz):
    """The part of ``dm/dt`` (1/s) due to a field ``th`` (A/m) alone,
    ``-gamma'/(1+alpha^2) [m x th + alpha m x (m x th)]``: the LLGS is linear in the
    field, so ``deriv_th = deriv + thermal_torque`` (the circuit engine adds it to the
    noiseless kernel)."""
    a = row[DAMP]
    cx, cy, cz = my * thz - mz * thy, mz * thx - mx * thz, mx * thy - my * thx
    dx, dy, dz = my * cz - mz * cy, mz * cx - mx * cz, mx * cy - my * cx
    k = 1.0 / (1.0 + a * a)
    return (k * (-GYRO * cx - GYRO * a * dx), k * (-GYRO * cy - GYRO * a * dy),
            k * (-GYRO * cz - GYRO * a * dz))


@njit(cache=True)
def thermal_sigma(row, dt):
    """Standard deviation (A/m) of each thermal-field component held over a step ``dt``:
    ``sqrt(D / dt)``, ``D`` from :func:`thermal_diffusion` (0 at ``temp = 0``)."""
    return math.sqrt(row[DTH] / dt)


@njit(cache=True)
def renormalise(state):
    """Project ``m`` back onto the unit sphere (call after each integrator step)."""
    nm = math.sqrt(state[0] * state[0] + state[1] * state[1] + state[2] * state[2])
    state[0] /= nm
    state[1] /= nm
    state[2] /= nm


def deriv_ref(row, state, current, dfr=0.0, th=None):
    """Pure-numpy reference of :func:`deriv` (vector form of the same equation); ``th``:
    thermal field (A/m) as in :func:`deriv_th`."""
    row, m = np.asarray(row, float), np.asarray(state, float)
    dh = dfr * row[DHDF]
    h = field_ref(row, m, current, dh)
    if th is not None:
        h = h + np.asarray(th, float)
    a = row[DAMP]
    p = row[PX:PZ + 1]
    T = -GYRO * row[AJ] * current * _cross(m, _cross(m, p)) \
        - GYRO * row[BJ] * current * _cross(m, p)
    mxh = _cross(m, h)
    return (-GYRO * mxh - GYRO * a * _cross(m, mxh) + T + a * _cross(m, T)) / (1 + a * a)


def resistance_ref(row, state):
    """Pure-numpy reference of :func:`resistance`."""
    row, m = np.asarray(row, float), np.asarray(state, float)
    m = m / np.linalg.norm(m)
    return row[RP] + (row[RAP] - row[RP]) * 0.5 * (1 - m @ row[PX:PZ + 1])
