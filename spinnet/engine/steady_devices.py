"""Device parameters and steady-state laws as the steady-state analysis uses them.

The device modules in :mod:`spinnet.devices` own the physics and the parameter ranges; this
module binds a flat element's parameters through :func:`spinnet.devices.registry.bind_element`
(model defaults < model card < instance values, range-checked) and calls the device
steady-state functions named in ``docs/architecture.md`` (``resonator.weight_exact`` or
``resonator.weight``, ``stno.p0``, ``stno.frequency``, ``fieldline.shift``).  Only the
scalar-parameter check (source amplitudes are the only values a batch may vary in
``.steady``) lives here.
"""

from __future__ import annotations

import numpy as np

from ..devices import fieldline, macrospin, resonator, stno
from ..errors import ParameterError


def _scalar(el, name: str, value) -> float:
    arr = np.asarray(value)
    if arr.ndim != 0:
        if arr.size and np.all(arr == arr.reshape(-1)[0]):
            return float(arr.reshape(-1)[0])
        raise ParameterError(el.name, name, "array", "",
                             "a scalar (in .steady only source amplitudes may vary across "
                             "a batch)")
    return float(arr)


_MODEL_CACHE: dict = {}


def bound(el) -> dict:
    """Bound, range-checked, scalar parameters of spintronic element ``el``.

    Resonators (the many devices) bind their model card once and check only their own
    instance parameters; anything unusual goes through the full registry binding.
    """
    if (el.model_type or "").lower() == "sdr":
        fast = _bound_resonator(el)
        if fast is not None:
            return fast
    return _bound_full(el)


_RES_SPECS = {s.name: s for s in resonator.SPECS}


def _bound_resonator(el):
    """Fast binding of the many resonators: the model card is bound once per distinct card,
    then only the instance parameters are range-checked (same specs, same errors)."""
    mp = el.model_params or {}
    try:
        key = tuple((k, float(v)) for k, v in mp.items())
    except (TypeError, ValueError):
        return None
    base = _MODEL_CACHE.get(key)
    if base is None:
        if any(str(k).lower() not in _RES_SPECS for k, _ in key):
            return None
        from ..devices.params import bind as _bind
        base = {k: _scalar(el, k, v) for k, v in _bind(el.name, resonator.SPECS,
                                                       dict(key)).items()}
        if len(_MODEL_CACHE) > 1024:
            _MODEL_CACHE.clear()
        _MODEL_CACHE[key] = base
    out = dict(base)
    for k, v in (el.params or {}).items():
        spec = _RES_SPECS.get(k) or _RES_SPECS.get(str(k).lower())
        if spec is None:
            return None
        try:
            fv = float(v)
        except (TypeError, ValueError):
            from ..devices.params import check_value
            fv = _scalar(el, spec.name, check_value(el.name, spec, v))
        if not spec.ok(fv):
            raise ParameterError(el.name, spec.name, fv, spec.unit, spec.allowed())
        out[spec.name] = fv
    if out["level"] != 1.0:
        return None
    return out


def _bound_full(el) -> dict:
    from ..devices.registry import bind_element

    p = bind_element(el.name, el.model_type, el.model_params, el.params)
    out = {k: _scalar(el, k, v) for k, v in p.items()}
    if (el.model_type or "").lower() == "sdr" and out.get("level", 1.0) == 2.0:
        # a macrospin junction: its stack sets its resistance and its response (as in .tran)
        row = level2_row(out)
        out["mrow"] = row
        out["r0"] = float(macrospin.resistance(row, macrospin.initial_state(row)))
    return out


def level2_row(p: dict) -> np.ndarray:
    """The packed macrospin row of a level-2 junction's bound parameters ``p``."""
    return macrospin.packed_row(p)


_LIN: dict = {}


def _linearised(row: np.ndarray, dfr: float):
    key = (row.tobytes(), float(dfr))
    lin = _LIN.get(key)
    if lin is None:
        if len(_LIN) > 65536:
            _LIN.clear()
        r = macrospin.shifted(row, dfr)
        J, B, g, _ = macrospin.linearise(r, r[macrospin.MX0:macrospin.MZ0 + 1])
        lin = _LIN[key] = (J, B, g)
    return lin


def weight_level2(f, rows: np.ndarray, r0: np.ndarray, dfr=0.0) -> np.ndarray:
    """Rectified volts per watt of tones ``f`` on level-2 (macrospin) junctions.

    The linearised LLGS at the equilibrium of each junction's stack (bias field shifted by
    ``dfr`` as in ``.tran``): a tone of amplitude ``A`` through the junction rectifies to
    ``A^2 H(f) / 2`` (:func:`spinnet.devices.macrospin.transfer`), so per watt of
    ``P = r0 A^2 / 2`` the weight is ``H / r0``.  ``f`` is ``(n,)`` or ``(n, b)`` for the
    ``n`` junctions of ``rows`` ``(n, ncols)`` and ``r0`` ``(n,)``; ``dfr`` broadcasts to
    ``f``'s shape.
    """
    f = np.asarray(f, float)
    f2 = f.reshape(len(rows), -1)
    d2 = np.broadcast_to(np.asarray(dfr, float), f.shape).reshape(f2.shape)
    out = np.empty(f2.shape)
    for i in range(len(rows)):
        for d in np.unique(d2[i]):
            m = d2[i] == d
            J, B, g = _linearised(rows[i], float(d))
            out[i, m] = macrospin.transfer_of(J, B, g, f2[i, m]) / r0[i]
    return out.reshape(f.shape)


RESPONSES = ("exact", "lorentzian")


def weight(f, fr, alpha, k, s, o, dfr=0.0, response: str = "exact"):
    """Rectified volts per watt of one tone at ``f`` on a junction of nominal resonance
    ``fr`` shifted by ``dfr``.

    ``response="exact"`` (default): the level-1 oscillator's periodic steady state
    ``resonator.weight_exact`` (what ``.tran`` integrates); ``"lorentzian"``: its
    narrow-line limit ``resonator.weight`` at ``fr + dfr``.
    """
    if response == "exact":
        return resonator.weight_exact(f, fr, alpha, k, s, o, dfr)
    return resonator.weight(f, fr + dfr, alpha, k, s, o)


def p0(current, ith, q):
    """Stationary normalised oscillator power (``stno.p0``)."""
    return stno.p0(current, ith, q)


def emission(current, p: dict):
    """``(amplitude, frequency, p0)`` of the tone an oscillator emits for DC ``current``.

    The EMF amplitude in series with the oscillator's resistance is ``I dr sqrt(p0(I))``
    (physics.md §2) with ``I`` clamped to ``imax`` (the activation clamp of the paper's
    network; set ``imax`` large to disable it).  The frequency is ``f0 + n p0``.
    """
    i = stno.emission_current(np.asarray(current, dtype=float), p["imax"])
    pw = stno.p0(i, p["ith"], p["q"])
    amp = i * p["dr"] * np.sqrt(pw)
    freq = stno.frequency(i, p["f0"], p["n"], p["ith"], p["q"])
    return amp, freq, pw


def shift(current, p: dict):
    """Resonance shift (Hz) of the targets of a field line carrying ``current``."""
    return fieldline.shift(current, p["w"], p["dfdh"], p["h0"], p["ms"], p["mode"])


def is_linear_shift(p: dict) -> bool:
    return int(p["mode"]) == 0
