r"""Spin-torque nano-oscillator (neuron): universal auto-oscillator model.

Slavin & Tiberkevich, IEEE Trans. Magn. 45, 1875 (2009); physics.md §2.  Complex amplitude
``c``, power ``p = |c|^2``::

    dc/dt = -i w(p) c - G+(p) c + G-(p) c + kinj * (I(t) - Ilp(t)) + noise
    w(p)  = 2 pi (f0 + n p)          G+(p) = gamma_g (1 + Q p)
    G-(p) = sigma Ilp (1 - p)        sigma = gamma_g / ith

Above threshold (``zeta = I/ith > 1``) the stationary power is ``p0 = (zeta-1)/(zeta+Q)``, zero
below.  To the circuit the oscillator is a resistor ``R(t) = r + dr Re(c)``, so a DC current
``I`` through it produces the RF voltage ``I dr sqrt(p) cos(phi)``; in the tone-power
convention of the resonators (``P = |V|^2/(2 r)``) that tone carries ``I^2 dr^2 p / (2 r)``.

The paper's activation is a separate steady-state parameter set:
``P = A p0(I) R I^2`` with ``I = gm (V + vbias)`` clamped to ``[ith, imax]``.

Bias and injection: ``Ilp`` is the current through a first-order low-pass at ``f0/20`` (a
third state).  The gain follows it (the bias), so the oscillator's own RF current through it
leaves its power at ``p0`` of the bias, as ``.steady`` has it; only the RF part of the
current is injected (a DC bias would otherwise act as a constant force on ``c``).

Thermal noise: complex white noise of diffusion ``D = gamma_g kB T / e0`` added to ``dc/dt``
(``<|dc|^2> = 2 D dt``); ``e0`` is the energy of the oscillation at ``p = 1``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..errors import ParameterError
from .params import ParamSpec
from .params import bind as _bind

KB = 1.380649e-23

SPECS = (
    ParamSpec("f0", "Hz", 1e9, 1e6, 1e12, "linear (p = 0) oscillation frequency"),
    ParamSpec("n", "Hz", 0.0, -1e12, 1e12, "nonlinear frequency shift: f = f0 + n p"),
    ParamSpec("q", "", 2.0, 0.0, 1e3, "nonlinear damping coefficient Q"),
    ParamSpec("ith", "A", 10e-6, 0.0, 1.0, "threshold current", lo_open=True),
    ParamSpec("gamma_g", "1/s", 1e8, 1e3, 1e13, "linear (Gilbert) damping rate"),
    ParamSpec("r", "ohm", 1000.0, 1e-3, 1e9, "DC resistance"),
    ParamSpec("dr", "ohm", 500.0, 0.0, 1e9, "resistance swing at p = 1: R = r + dr Re(c)"),
    ParamSpec("a", "", 1.25, 0.0, 1e3, "activation prefactor A in P = A p0 R I^2",
              lo_open=True),
    ParamSpec("imax", "A", 40e-6, 0.0, 1.0, "upper clamp of the activation current",
              lo_open=True),
    ParamSpec("gm", "A/V", 3.4e-3, 0.0, 1e3, "transconductance of the neuron driver",
              lo_open=True),
    ParamSpec("vbias", "V", 11e-3, -100.0, 100.0, "bias voltage added before the driver"),
    ParamSpec("kinj", "1/(A s)", 0.0, -1e20, 1e20, "coupling of an injected RF current"),
    ParamSpec("temp", "K", 0.0, 0.0, 1e4, "temperature of the thermal noise"),
    ParamSpec("e0", "J", 1e-18, 0.0, 1.0, "oscillation energy at p = 1 (noise scale)",
              lo_open=True),
    ParamSpec("c0", "", 1e-3, 0.0, 1.0, "initial amplitude |c| (seeds the oscillation)"),
    ParamSpec("ilp0", "A", math.nan, -1.0, 1.0,
              "initial current of the bias low-pass (default: the device's current at the "
              "operating point)"),
)

STRING_PARAMS: tuple[str, ...] = ()


def _relations(device: str, p: dict) -> None:
    imax, ith = np.asarray(p["imax"]), np.asarray(p["ith"])
    if np.any(imax <= ith):
        raise ParameterError(device, "imax", p["imax"], "A", f"> ith = {p['ith']!r} A")


def bind(device: str, given: dict | None) -> dict:
    """Check and complete the parameters of oscillator ``device`` (see :data:`SPECS`)."""
    return _bind(device, SPECS, given, _relations)


# ----------------------------------------------------------------------------------------
# steady state
# ----------------------------------------------------------------------------------------

def p0(I, Ith=10e-6, Q=2.0):
    """Stationary normalised power ``(zeta-1)/(zeta+Q)`` above threshold, 0 below."""
    zeta = np.asarray(I, float) / np.asarray(Ith, float)
    return np.where(zeta > 1.0, (zeta - 1.0) / (zeta + np.asarray(Q, float)), 0.0)


def frequency(I, f0=1e9, n=0.0, Ith=10e-6, Q=2.0):
    """Oscillation frequency ``f0 + n p0(I)`` (Hz)."""
    return np.asarray(f0, float) + np.asarray(n, float) * p0(I, Ith, Q)


def emitted_power(I, Ith=10e-6, Q=2.0, R=1000.0, A=1.25):
    """The paper's emitted power ``A p0(I) R I^2`` (W), no clamp."""
    I = np.asarray(I, float)
    return np.asarray(A, float) * p0(I, Ith, Q) * np.asarray(R, float) * I * I


def drive_current(V, gm=3.4e-3, vbias=11e-3, Ith=10e-6, imax=40e-6):
    """Neuron input current ``gm (V + vbias)`` clamped to ``[Ith, imax]`` (A)."""
    return np.clip(np.asarray(gm, float) * (np.asarray(V, float) + vbias), Ith, imax)


def activation(V, gm=3.4e-3, vbias=11e-3, A=1.25, R=1000.0, Q=2.0, Ith=10e-6, imax=40e-6):
    """Emitted power of a neuron whose input voltage is ``V``: ``A p0(I) R I^2`` (W)."""
    I = drive_current(V, gm, vbias, Ith, imax)
    return emitted_power(I, Ith, Q, R, A)


def dactivation_dv(V, gm=3.4e-3, vbias=11e-3, A=1.25, R=1000.0, Q=2.0, Ith=10e-6,
                   imax=40e-6):
    """Derivative of :func:`activation` with respect to ``V`` (W/V); 0 where clamped."""
    V = np.asarray(V, float)
    Iu = np.asarray(gm, float) * (V + vbias)
    inside = (Iu > Ith) & (Iu < imax)
    I = np.clip(Iu, Ith, imax)
    zeta = I / Ith
    # d/dI [p0 I^2] with p0 = (zeta-1)/(zeta+Q): (1+Q)/(Ith (zeta+Q)^2) I^2 + 2 I p0
    dp0 = (1.0 + Q) / (Ith * (zeta + Q) ** 2)
    d = A * R * (dp0 * I * I + 2.0 * I * (zeta - 1.0) / (zeta + Q))
    return np.where(inside, d * gm, 0.0)


def threshold(Ith=10e-6):
    """Threshold current (A): ``p0 > 0`` exactly for ``I > Ith``."""
    return float(Ith)


# ----------------------------------------------------------------------------------------
# time-domain kernel
# ----------------------------------------------------------------------------------------

N_STATES = 3
#: Corner of the low-pass that separates the DC bias from an injected RF current, in units
#: of f0: far below the oscillation, so the RF passes (|H| <= 1/20 at f0).
INJ_CORNER = 1.0 / 20.0
#: packed columns: the parameters, ``diff`` (the noise diffusion) and ``held`` (1 while a
#: transient holds the oscillator: see :func:`deriv`)
COLS = ("f0", "n", "q", "ith", "gamma_g", "r", "dr", "kinj", "diff", "c0", "imax", "ilp0",
        "held")
F0, NSHIFT, Q_, ITH, GG, RR, DR, KINJ, DIFF, C0, IMAX, ILP0, HELD = range(len(COLS))


def emission_current(current, imax):
    """The current that sets an oscillator's power, frequency and emitted EMF: ``I``
    clamped at ``imax`` (the neuron's activation clamp).  Both analyses use it: the
    steady state's emission ``min(I, imax) dr sqrt(p0(min(I, imax)))``, the kernel's
    gain (of the low-passed current) and EMF ``dr Re(c) min(I, imax)`` (the DC drop
    stays ``r I``)."""
    return np.minimum(current, imax)


def growth_rate(row, current) -> float:
    """Linear growth rate (1/s) of the amplitude at ``p = 0``: ``gamma_g (|I|/ith - 1)``.

    An implicit step ``h`` follows the start of the oscillation only while
    ``growth_rate * h`` stays below :data:`IMPLICIT_GROWTH_LIMIT` of its method: beyond
    it backward Euler turns the growth into decay (the oscillator dies, p = 0) and the
    trapezoidal rule into a sign flip per step (p stays at its seed).
    """
    return float(row[GG] * (min(abs(float(current)), row[IMAX]) / row[ITH] - 1.0))


#: Largest ``growth_rate * h`` at which an implicit method's amplification still grows
#: monotonically: ``1/(1 - x)`` (backward Euler) and ``(1 + x/2)/(1 - x/2)`` (trapezoidal)
#: are positive and above 1 for ``0 < x < 1`` and ``0 < x < 2``.
IMPLICIT_GROWTH_LIMIT = {"be": 1.0, "trap": 2.0}


def pack(params_list) -> np.ndarray:
    """Rows of packed parameters (see :data:`COLS`); ``diff`` = D = gamma_g kB T / e0."""
    rows = np.zeros((len(params_list), len(COLS)))
    for i, p in enumerate(params_list):
        diff = p["gamma_g"] * KB * p["temp"] / p["e0"]
        rows[i] = (p["f0"], p["n"], p["q"], p["ith"], p["gamma_g"], p["r"], p["dr"],
                   p["kinj"], diff, p["c0"], p["imax"], p["ilp0"], 0.0)
    return rows


@njit(cache=True)
def initial_state(row):
    """``c = c0`` (real): a seed so that a noiseless oscillator can start; ``Ilp = 0``
    (the transient sets it with :func:`initial_filter`)."""
    s = np.zeros(N_STATES)
    s[0] = row[C0]
    return s


@njit(cache=True)
def initial_filter(row, current):
    """The bias low-pass's current at ``t = 0``: ``ilp0`` where given, else ``current``
    (the device's current at the operating point: the bias has been on before
    ``t = 0``, as every other DC quantity of the operating point)."""
    return current if np.isnan(row[ILP0]) else row[ILP0]


@njit(cache=True)
def resistance(row, state):
    """``r + dr Re(c)`` (ohm)."""
    return row[RR] + row[DR] * state[0]


@njit(cache=True)
def deriv(row, state, current, dfr, out):
    """Write ``d(Re c, Im c, I_lp)/dt`` for the current ``current`` (A) through the device.

    The gain follows the bias, the low-passed current ``I_lp`` (third state), clamped at
    ``imax`` (the activation clamp, as in :func:`emission_current`): the oscillator's own
    RF current, which flows back through it from the line it drives and can be as large
    as the bias, does not change its power (``.steady``'s ``p0`` of the DC current); an
    RF current acts on ``c`` only through ``kinj``.  ``dfr`` shifts ``f0`` (Hz), so a
    field line may tune an oscillator too.  A held oscillator (``row[HELD] != 0``, a
    transient preparing its initial state) keeps its amplitude and its bias low-pass:
    only the phase turns.
    """
    x, y = state[0], state[1]
    p = x * x + y * y
    w = 2.0 * np.pi * (row[F0] + dfr + row[NSHIFT] * p)
    if row[HELD] != 0.0:
        out[0] = w * y
        out[1] = -w * x
        out[2] = 0.0
        return
    gp = row[GG] * (1.0 + row[Q_] * p)
    gm = row[GG] / row[ITH] * min(state[2], row[IMAX]) * (1.0 - p)
    lam = gm - gp
    # -i w c = -i w (x + i y) = w y - i w x
    out[0] = w * y + lam * x + row[KINJ] * (current - state[2])
    out[1] = -w * x + lam * y
    out[2] = 2.0 * np.pi * INJ_CORNER * row[F0] * (current - state[2])


@njit(cache=True)
def noise(row, state, out):
    """Diffusion of each state component: ``sqrt(D)`` on ``Re c, Im c`` (additive complex
    white noise), none on the filter state."""
    s = np.sqrt(row[DIFF])
    out[0] = s
    out[1] = s
    out[2] = 0.0


def deriv_ref(row, state, current, dfr=0.0):
    """Pure-numpy reference of :func:`deriv` (vectorised over leading axes)."""
    row, state = np.asarray(row, float), np.asarray(state, float)
    c = state[..., 0] + 1j * state[..., 1]
    p = np.abs(c) ** 2
    w = 2 * np.pi * (row[..., F0] + dfr + row[..., NSHIFT] * p)
    gp = row[..., GG] * (1 + row[..., Q_] * p)
    gm = row[..., GG] / row[..., ITH] * np.minimum(state[..., 2], row[..., IMAX]) * (1 - p)
    held = row[..., HELD] != 0.0
    dc = -1j * w * c + np.where(held, 0.0, -gp * c + gm * c
                                + row[..., KINJ] * (current - state[..., 2]))
    dlp = np.where(held, 0.0, 2 * np.pi * INJ_CORNER * row[..., F0] * (current - state[..., 2]))
    return np.stack([dc.real, dc.imag, dlp], axis=-1)


def resistance_ref(row, state):
    """Pure-numpy reference of :func:`resistance`."""
    row, state = np.asarray(row, float), np.asarray(state, float)
    return row[..., RR] + row[..., DR] * state[..., 0]
