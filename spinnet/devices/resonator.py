r"""Spin-diode resonator (synapse): steady state and the level-1 time-domain kernel.

Steady state (physics.md §1).  With resonance ``fr``, half-width ``a = alpha*fr`` and detuning
``D = f - fr``::

    V_dc = o * P * K * [ s*L(D) + (1 - s)*A(D) ]
    L(D) = a^2 / (a^2 + D^2)         A(D) = 2 a D / (a^2 + D^2)

``P`` is the RF power of the tone in the junction, ``P = R0*|I|^2/2`` (``|I|`` the amplitude of
the current through the junction, or of ``kappa`` times the drive-line current for a
4-terminal device).  Several tones add.

Level-1 time domain: a driven damped oscillator whose state modulates the resistance,

    x'' + 2*G*x' + (wr^2 + G^2)*x = wr^2 * kappa * I(t),     G = alpha*wr,  wr = 2*pi*(fr+dfr)
    R(t) = R0 + rho_x * x + rho_v * x' / (2*pi*fr)

``x`` is in amperes (its static response to a DC current is that current).  The stiffness
``wr^2 + G^2`` puts the pole pair at ``+-wr + iG`` so the co-rotating response is centred
exactly on ``fr``.  ``rho_x`` and ``rho_v`` (ohm per ampere) are the unique pair for which the
time-averaged ``<R(t) I(t)>`` of one tone equals the steady-state formula *exactly* at
``f = fr`` and in its antisymmetric part at ``f = fr +- a``; elsewhere the oscillator's
counter-rotating response adds a nearly constant offset of about ``alpha`` times the peak
(the formula is the narrow-line limit of the oscillator; see docs/devices.md).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..errors import ParameterError
from .params import ParamSpec
from .params import bind as _bind

#: K of physics.md: (dR/R) tan(gamma_p) / (8 sqrt 2) * beta_s / I_th with dR/R = 1,
#: gamma_p = pi/4, beta_s = 1, I_th = 10 uA.
K_DEFAULT = 1.0 * math.tan(math.pi / 4) / (8.0 * math.sqrt(2.0)) * 1.0 / 10e-6

SPECS = (
    ParamSpec("fr", "Hz", 1e9, 1e6, 1e12, "resonance frequency"),
    ParamSpec("alpha", "", 0.01, 0.0, 0.5, "half-width at half-maximum / fr (linewidth ratio)",
              lo_open=True),
    ParamSpec("k", "V/W", K_DEFAULT, 0.0, 1e8, "sensitivity: peak rectified volts per watt",
              lo_open=True),
    ParamSpec("s", "", 0.0, -1.0, 1.0,
              "symmetric (Lorentzian) fraction; s < 0: opposite sign to the antisymmetric part"),
    ParamSpec("o", "", 1.0, -1.0, 1.0, "orientation in the chain", choices=(-1.0, 1.0)),
    ParamSpec("r0", "ohm", 1000.0, 1e-3, 1e9, "DC resistance of the junction"),
    ParamSpec("kappa", "", 1.0, 0.0, 10.0,
              "coupling of the drive-line current (4-terminal devices)"),
    ParamSpec("level", "", 1.0, 1.0, 2.0,
              "junction model: 1 oscillator (fr, alpha, k, s, o, r0), 2 macrospin stack",
              choices=(1.0, 2.0)),
)

STRING_PARAMS: tuple[str, ...] = ()


def all_specs() -> tuple[ParamSpec, ...]:
    """Every parameter an ``sdr`` model accepts: :data:`SPECS` plus the macrospin stack."""
    from . import macrospin

    return SPECS + macrospin.SPECS


def kernel_module(level: float):
    """The module whose kernel simulates a resonator of ``level`` (1: this one, 2: macrospin).

    Both export the same interface (``N_STATES``, ``pack``, ``initial_state``,
    ``resistance``, ``deriv``); the macrospin kernel also needs ``renormalise`` after each
    step.
    """
    import sys

    if int(level) == 2:
        from . import macrospin
        return macrospin
    return sys.modules[__name__]


def _relations(device: str, p: dict) -> None:
    # The level-2 (macrospin) parameters live in macrospin.SPECS; bind() there.
    del device, p


def bind(device: str, given: dict | None) -> dict:
    """Check and complete the parameters of resonator ``device`` (see :data:`SPECS`).

    Level-2 junctions also accept the macrospin stack parameters of
    :mod:`spinnet.devices.macrospin`.
    """
    given = {str(k).lower(): v for k, v in (given or {}).items()}
    from . import macrospin  # local import: macrospin imports this module

    own = {s.name for s in SPECS}
    mine = {k: v for k, v in given.items() if k in own}
    rest = {k: v for k, v in given.items() if k not in own}
    out = _bind(device, SPECS, mine, _relations)
    mspecs = {s.name for s in macrospin.SPECS}
    unknown = [k for k in rest if k not in mspecs]
    if unknown:
        raise ParameterError(device, unknown[0], rest[unknown[0]], "",
                             "known parameters: " + ", ".join(sorted(own | mspecs)))
    if rest or np.any(np.asarray(out["level"]) == 2.0):
        out.update(macrospin.bind(device, rest))
    return out


# ----------------------------------------------------------------------------------------
# steady state
# ----------------------------------------------------------------------------------------

def lorentzian(f, fr, alpha):
    """Symmetric Lorentzian ``a^2/(a^2 + (f-fr)^2)``, ``a = alpha*fr``; peak 1 at ``fr``."""
    f, fr, alpha = np.asarray(f, float), np.asarray(fr, float), np.asarray(alpha, float)
    a = alpha * fr
    d = f - fr
    return a * a / (a * a + d * d)


def antilorentzian(f, fr, alpha):
    """Anti-Lorentzian ``2 a (f-fr)/(a^2 + (f-fr)^2)``; extremes +-1 at ``f = fr +- a``."""
    f, fr, alpha = np.asarray(f, float), np.asarray(fr, float), np.asarray(alpha, float)
    a = alpha * fr
    d = f - fr
    return 2.0 * a * d / (a * a + d * d)


def weight(f, fr, alpha, K, s=0.0, o=1.0):
    """Rectified volts per watt of one tone at ``f`` (broadcasting).

    Returns ``o*K*(s*L + (1-s)*A)`` in V/W.
    """
    f, fr = np.asarray(f, float), np.asarray(fr, float)
    a = np.asarray(alpha, float) * fr
    d = f - fr
    num = 2.0 * a * d
    if np.any(s):
        s = np.asarray(s, float)
        num = s * a * a + (1.0 - s) * num
    # one division for both shapes: (s a^2 + (1-s) 2 a d) / (a^2 + d^2)
    return (np.asarray(o, float) * np.asarray(K, float)) * num / (a * a + d * d)


def rectified(f, P, fr, alpha, K, s=0.0, o=1.0):
    """DC voltage rectified from a set of tones.

    Parameters
    ----------
    f, P : array_like
        Tone frequencies (Hz) and powers in the junction (W); their **last axis is the tone
        axis** and is summed over (a scalar is one tone).
    fr, alpha, K, s, o : array_like
        Device parameters; they broadcast against the leading axes of ``f``/``P`` (a trailing
        tone axis is added to them).

    Returns
    -------
    ndarray
        ``V_dc`` in volts, shape ``broadcast(leading axes of f/P, device parameter shape)``.
    """
    f = np.atleast_1d(np.asarray(f, float))
    P = np.atleast_1d(np.asarray(P, float))
    ex = [np.asarray(v, float)[..., None] for v in (fr, alpha, K, s, o)]
    return np.sum(P * weight(f, *ex), axis=-1)


def oscillator_uv(alpha, s=0.0):
    """Vectorised :func:`oscillator_coefficients`: dimensionless ``(u, v)`` arrays.

    Cramer's rule on the same 2x2 system (rows ``[Re h, -nu Im h]`` at ``nu = 1`` and the
    difference of ``nu = 1 + alpha`` and ``nu = 1 - alpha``; right-hand side
    ``[s, 2 (1 - s)]``), broadcasting over ``alpha`` and ``s``.
    """
    alpha, s = np.asarray(alpha, float), np.asarray(s, float)

    def row(nu):
        h = 1.0 / (1.0 + alpha * alpha - nu * nu + 2j * alpha * nu)
        return h.real, -nu * h.imag

    a11, a12 = row(1.0)
    p1, p2 = row(1.0 + alpha)
    m1, m2 = row(1.0 - alpha)
    a21, a22 = p1 - m1, p2 - m2
    b1, b2 = s, 2.0 * (1.0 - s)
    det = a11 * a22 - a12 * a21
    return (b1 * a22 - a12 * b2) / det, (a11 * b2 - a21 * b1) / det


def weight_exact(f, fr, alpha, K, s=0.0, o=1.0, dfr=0.0):
    """Rectified volts per watt of one tone in the level-1 oscillator's periodic steady
    state (exact; broadcasting).

    For a drive ``I(t) = |I| cos(w t)`` the kernel's periodic state is
    ``x = kappa |I| Re(h e^{iwt})`` with ``h = 1/(1 + alpha^2 - nu^2 + 2i alpha nu)``,
    ``nu = f/(fr + dfr)``; the time average of ``(R(t) - R0) I(t)`` over a period is

        V_dc / P = o K [ u Re h - v (f/fr) Im h ]

    with ``(u, v) = oscillator_uv(alpha, s)`` and ``P = R0 kappa^2 |I|^2 / 2``.  ``fr`` is
    the nominal resonance (the kernel's resistance normalises ``x'`` by ``2 pi fr``),
    ``dfr`` the field-line shift (the kernel's ``G = alpha 2 pi (fr + dfr)``).  Near
    ``fr`` this is :func:`weight` plus the counter-rotating pole's response; it equals
    :func:`weight` exactly at ``f = fr`` and in the antisymmetric part at ``f = fr +- a``
    (no shift).
    """
    f, fr, dfr = np.asarray(f, float), np.asarray(fr, float), np.asarray(dfr, float)
    alpha = np.asarray(alpha, float)
    u, v = oscillator_uv(alpha, s)
    nu = f / (fr + dfr)
    d = 1.0 + alpha * alpha - nu * nu
    b = 2.0 * alpha * nu
    den = d * d + b * b
    # Re h = d/den, Im h = -b/den
    return (np.asarray(o, float) * np.asarray(K, float)) * (u * d + v * (f / fr) * b) / den


def rectified_exact(f, P, fr, alpha, K, s=0.0, o=1.0, dfr=0.0):
    """DC voltage of a set of tones in the level-1 oscillator's periodic steady state.

    Same arguments and broadcasting as :func:`rectified` (``dfr`` like the device
    parameters).  The kernel is linear in the drive, so distinct tones superpose and their
    cross products average to zero over a long read-out: the sum of :func:`weight_exact`
    times each tone's power is exact for distinct frequencies.  A DC current through the
    junction adds ``rho_x kappa I_dc^2 / (1 + alpha^2)``, which is not included.
    """
    f = np.atleast_1d(np.asarray(f, float))
    P = np.atleast_1d(np.asarray(P, float))
    ex = [np.asarray(v, float)[..., None] for v in (fr, alpha, K, s, o, dfr)]
    return np.sum(P * weight_exact(f, *ex), axis=-1)


def dweight_exact(f, fr, alpha, K, s=0.0, o=1.0, dfr=0.0, wrt="dfr"):
    """Derivative of :func:`weight_exact` (V/W per Hz; broadcasting).

    ``wrt="dfr"``: with respect to the field-line shift, the fabricated ``fr`` held (a tuned
    junction); ``wrt="fr"``: with respect to the fabricated resonance, the shift held (at
    ``dfr = 0`` the derivative of a junction fabricated at its working resonance).  In both
    the linewidth follows the shifted resonance, as in the kernel.

    With ``nu = f/(fr + dfr)``, ``c = f/fr``, ``d = 1 + alpha^2 - nu^2``, ``b = 2 alpha nu``
    the weight is ``o K (u d + v c b) / (d^2 + b^2)``; ``nu`` moves as ``-nu/(fr + dfr)``
    under either change and ``c`` as ``-c/fr`` under a change of ``fr`` only.
    """
    if wrt not in ("dfr", "fr"):
        raise ValueError(f"wrt must be 'dfr' or 'fr', not {wrt!r}")
    f, fr, dfr = np.asarray(f, float), np.asarray(fr, float), np.asarray(dfr, float)
    alpha = np.asarray(alpha, float)
    u, v = oscillator_uv(alpha, s)
    F = fr + dfr
    nu = f / F
    c = f / fr
    d = 1.0 + alpha * alpha - nu * nu
    b = 2.0 * alpha * nu
    den = d * d + b * b
    num = u * d + v * c * b
    dnu = -nu / F
    dc = -c / fr if wrt == "fr" else 0.0
    dd = -2.0 * nu * dnu
    db = 2.0 * alpha * dnu
    dnum = u * dd + v * (dc * b + c * db)
    dden = 2.0 * (d * dd + b * db)
    return (np.asarray(o, float) * np.asarray(K, float)) * (dnum * den - num * dden) / (
        den * den)


def dweight_dfr(f, fr, alpha, K, s=0.0, o=1.0, fixed_linewidth=False):
    """Derivative of :func:`weight` with respect to ``fr`` (V/W per Hz).

    By default the linewidth follows the resonance (``a = alpha*fr`` with ``alpha`` fixed),
    which is what a field-line shift does; ``fixed_linewidth=True`` holds ``a`` constant.
    """
    f, fr, alpha = np.asarray(f, float), np.asarray(fr, float), np.asarray(alpha, float)
    s = np.asarray(s, float)
    a = alpha * fr
    d = f - fr
    den = (a * a + d * d) ** 2
    dL_da = 2.0 * a * d * d / den
    dL_dd = -2.0 * a * a * d / den
    dA_da = 2.0 * d * (d * d - a * a) / den
    dA_dd = 2.0 * a * (a * a - d * d) / den
    da = 0.0 if fixed_linewidth else alpha
    dL = dL_da * da - dL_dd
    dA = dA_da * da - dA_dd
    return np.asarray(o, float) * np.asarray(K, float) * (s * dL + (1.0 - s) * dA)


# ----------------------------------------------------------------------------------------
# level-1 time-domain kernel
# ----------------------------------------------------------------------------------------

N_STATES = 2
#: Row layout of :func:`pack`.
COLS = ("fr", "alpha", "rho_x", "rho_v", "r0", "kappa")
FR, ALPHA, RHO_X, RHO_V, R0, KAPPA = range(len(COLS))


def _h(nu: float, alpha: float) -> complex:
    """Normalised oscillator response ``wr^2 X / I`` at ``nu = w/wr``."""
    return 1.0 / (1.0 + alpha * alpha - nu * nu + 2j * alpha * nu)


def oscillator_coefficients(alpha: float, s: float) -> tuple[float, float]:
    """Dimensionless ``(u, v)`` with ``rho_x = o K R0 u`` and ``rho_v = o K R0 v``.

    Solves the 2x2 linear system: exact value at ``f = fr`` (``s``) and exact antisymmetric
    part at ``f = fr +- a`` (``2(1-s)``), for the averaged ``<R I>`` of one tone.
    """
    def row(nu):
        h = _h(nu, alpha)
        return np.array([h.real, -nu * h.imag])

    M = np.vstack([row(1.0), row(1.0 + alpha) - row(1.0 - alpha)])
    u, v = np.linalg.solve(M, np.array([s, 2.0 * (1.0 - s)]))
    return float(u), float(v)


def oscillator_vdc(f, P, fr, alpha, K, s=0.0, o=1.0):
    """Exact time-averaged ``<R I>`` of the level-1 oscillator for one tone (closed form).

    This is the linear-response result of the time-domain kernel, used to separate
    integrator error from model (narrow-line) error in tests.
    """
    u, v = oscillator_coefficients(float(alpha), float(s))
    nu = np.asarray(f, float) / fr
    h = 1.0 / (1.0 + alpha * alpha - nu * nu + 2j * alpha * nu)
    return o * K * np.asarray(P, float) * (u * h.real - v * nu * h.imag)


def pack(params_list) -> np.ndarray:
    """Rows of packed level-1 parameters (see :data:`COLS`) from bound parameter dicts."""
    rows = np.zeros((len(params_list), len(COLS)))
    for i, p in enumerate(params_list):
        u, v = oscillator_coefficients(float(p["alpha"]), float(p["s"]))
        scale = float(p["o"]) * float(p["k"]) * float(p["r0"])
        rows[i] = (p["fr"], p["alpha"], scale * u, scale * v, p["r0"], p["kappa"])
    return rows


@njit(cache=True)
def initial_state(row):
    """At rest: ``x = x' = 0``."""
    return np.zeros(N_STATES)


@njit(cache=True)
def resistance(row, state):
    """Instantaneous resistance ``R0 + rho_x x + rho_v x'/wr`` (ohm).

    ``wr`` here is the nominal ``2 pi fr``: the model is defined with the unshifted
    normalisation so that the resistance does not depend on the field-line current.
    """
    wr = 2.0 * np.pi * row[FR]
    return row[R0] + row[RHO_X] * state[0] + row[RHO_V] * state[1] / wr


@njit(cache=True)
def deriv(row, state, current, dfr, out):
    """Write ``d(x, x')/dt`` for drive ``current`` (A) and resonance shift ``dfr`` (Hz)."""
    wr = 2.0 * np.pi * (row[FR] + dfr)
    g = row[ALPHA] * wr
    out[0] = state[1]
    out[1] = wr * wr * row[KAPPA] * current - 2.0 * g * state[1] - (wr * wr + g * g) * state[0]


def deriv_ref(row, state, current, dfr=0.0):
    """Pure-numpy reference of :func:`deriv` (vectorised over leading axes)."""
    row, state = np.asarray(row, float), np.asarray(state, float)
    wr = 2.0 * np.pi * (row[..., FR] + dfr)
    g = row[..., ALPHA] * wr
    x, v = state[..., 0], state[..., 1]
    acc = wr * wr * row[..., KAPPA] * current - 2.0 * g * v - (wr * wr + g * g) * x
    return np.stack([v, acc], axis=-1)


def resistance_ref(row, state):
    """Pure-numpy reference of :func:`resistance`."""
    row, state = np.asarray(row, float), np.asarray(state, float)
    wr = 2.0 * np.pi * row[..., FR]
    return row[..., R0] + row[..., RHO_X] * state[..., 0] + row[..., RHO_V] * state[..., 1] / wr
