"""Device curves computed from a (flattened) netlist, then drawn by :mod:`.devices`.

The steady-state device models (``spinnet.devices``) give the curves directly: a resonator's
rectified voltage ``V_dc(f)`` at a probe power, a chain's series sum, its map over
field-line current, and an oscillator's power and frequency against its bias current.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..errors import ParameterError
from .devices import field_map, oscillator_curve, rectification_curve


def _flat(circuit):
    if hasattr(circuit, "elements") and isinstance(circuit.elements, list):
        return circuit
    from ..netlist.flatten import flatten
    return flatten(circuit)


def _numeric(params: dict) -> dict:
    return {k: v for k, v in params.items() if not isinstance(v, (str, tuple, list))}


def _matches(name: str, pattern: str) -> bool:
    """``pattern`` names the device, an instance holding it, or is a glob (``N1_0_*``)."""
    import fnmatch
    low, pat = name.lower(), pattern.lower()
    if any(ch in pat for ch in "*?["):
        return fnmatch.fnmatchcase(low, pat)
    return low == pat or low.startswith(pat + ".")


def _devices(flat, name: str, model_type: str, what: str):
    devs = [el for el in flat.elements if el.model_type == model_type
            and _matches(el.name, name)]
    if not devs:
        known = sorted({el.name.split(".")[0] for el in flat.elements
                        if el.model_type == model_type})
        raise ParameterError("plot", what, name, "",
                             f"a {model_type} device, a sub-circuit instance holding some, "
                             "or a glob such as N1_0_*: "
                             + (", ".join(known[:20]) or "this netlist has none"))
    return devs


def tuning_shifts(flat, names) -> dict[str, float]:
    """Resonance shift (Hz) that the field lines' DC currents give each named resonator.

    The currents come from one steady-state solve of the circuit with its inputs at 0
    (field lines are DC circuits, independent of the RF inputs).
    """
    from ..devices import fieldline
    wanted = {n.lower() for n in names}
    lines = [e for e in flat.elements if e.model_type == "fline"
             and wanted & {str(t).lower() for t in e.params.get("targets", ())}]
    if not lines:
        return {}
    from ..engine import steady
    res = steady(flat)
    current = dict(zip([str(n).lower() for n in res.fline_names],
                       np.asarray(res.fline_current, dtype=float).reshape(-1), strict=True))
    out: dict[str, float] = {}
    for e in lines:
        fp = fieldline.bind(e.name, _numeric({**e.model_params, **e.params}))
        df = float(fieldline.shift(current[e.name.lower()],
                                   **{k: fp[k] for k in ("w", "dfdh", "h0", "ms", "mode")}))
        for t in e.params.get("targets", ()):
            if str(t).lower() in wanted:
                out[str(t).lower()] = out.get(str(t).lower(), 0.0) + df
    return out


def resonator_params(flat, name: str) -> tuple[list, list[dict]]:
    """The ``sdr`` elements called ``name`` or inside instance ``name``, with bound params."""
    from ..devices import resonator
    devs = _devices(flat, name, "sdr", "resonator")
    return devs, [resonator.bind(el.name, {**el.model_params, **_numeric(el.params)})
                  for el in devs]


def _range(lo, hi, frs, widths):
    # +-6 half-widths shows the tails; broad lines (alpha ~ 0.2) would reach 0 Hz
    lo = float(max(np.min(frs - 6 * widths), 0.05 * np.min(frs))) if lo is None else float(lo)
    hi = float(np.max(frs + 6 * widths)) if hi is None else float(hi)
    if not hi > lo > 0:
        raise ParameterError("plot", "frequency range", (lo, hi), "Hz", "0 < fmin < fmax")
    return lo, hi


def chain_curve(circuit, name: str, *, power: float = 1e-6, points: int = 801,
                fmin: float | None = None, fmax: float | None = None) -> Figure:
    """Rectified voltage of resonator ``name`` or of every resonator in instance ``name``
    (plus their series sum, which is what a chain reads out), each junction driven by one
    tone of ``power`` watts swept over frequency.  ``name`` may be a glob (``N1_0_*``).
    Resonances include the shifts of the field lines that target them, at the DC
    currents of a steady-state solve."""
    from ..devices import resonator
    if not (np.isfinite(power) and power > 0):
        raise ParameterError("plot", "power", power, "W", "> 0")
    if not 2 <= points <= 100_000:
        raise ParameterError("plot", "points", points, "", "2 .. 100000")
    flat = _flat(circuit)
    devs, params = resonator_params(flat, name)
    shifts = tuning_shifts(flat, [el.name for el in devs])
    for el, p in zip(devs, params, strict=True):
        p["fr"] = p["fr"] + shifts.get(el.name.lower(), 0.0)  # tuned by its field lines
    frs = np.array([p["fr"] for p in params])
    widths = np.array([p["alpha"] * p["fr"] for p in params])
    lo, hi = _range(fmin, fmax, frs, widths)
    f = np.linspace(lo, hi, points)
    # f[:, None]: rectified() sums over the last (tone) axis; here each f is its own drive
    curves = np.array([resonator.rectified(f[:, None], power, p["fr"], p["alpha"], p["k"], p["s"],
                                           p["o"]) for p in params])
    labels = [el.name for el in devs]
    if len(devs) > 12:  # beyond a dozen individual curves the figure is just ink
        curves, labels = curves.sum(axis=0)[None], [f"{name} (series sum of {len(devs)})"]
    elif len(devs) > 1:
        curves = np.vstack([curves, curves.sum(axis=0)])
        labels.append(f"{name} (series sum)")
    return rectification_curve(f, curves, labels=labels, fr=frs if len(frs) <= 12 else None,
                               title=f"{name}: rectified voltage at {power:g} W per junction")


def resonator_field_map(circuit, name: str, line: str | None = None, *,
                        current: tuple[float, float] | None = None, power: float = 1e-6,
                        points: int = 201, fmin: float | None = None,
                        fmax: float | None = None) -> Figure:
    """Rectified voltage of resonator ``name`` over (frequency x field-line current).

    ``line`` is the field line tuning it (default: the one whose ``targets`` name it);
    ``current`` the range of line current in A (default: enough to shift the resonance by
    +-5 linewidths).
    """
    from ..devices import fieldline, resonator
    flat = _flat(circuit)
    devs, params = resonator_params(flat, name)
    if len(devs) != 1:
        raise ParameterError("plot", "resonator", name, "", "one resonator (not an instance)")
    el, p = devs[0], params[0]
    lines = [e for e in flat.elements if e.model_type == "fline"]
    if line is not None:
        chosen = [e for e in lines if e.name.lower() == line.lower()]
        if not chosen:
            raise ParameterError("plot", "field line", line, "",
                                 "a field line (fline) of this netlist: "
                                 + (", ".join(e.name for e in lines[:20]) or "none"))
    else:
        chosen = [e for e in lines if el.name.lower() in
                  {str(t).lower() for t in e.params.get("targets", ())}]
        if not chosen:
            raise ParameterError("plot", "field line", None, "",
                                 f"a field line whose targets include {el.name} "
                                 "(none does; name one explicitly)")
    fl = chosen[0]
    fp = fieldline.bind(fl.name, _numeric({**fl.model_params, **fl.params}))
    a = p["alpha"] * p["fr"]
    kw = {k: fp[k] for k in ("w", "dfdh", "h0", "ms", "mode")}
    if current is None:
        span = float(np.abs(fieldline.current_for_shift(5 * a, fp["w"], fp["dfdh"], fp["h0"],
                                                        fp["ms"])))
        current = (-span, span)
    i = np.linspace(current[0], current[1], 61)
    dfr = fieldline.shift(i, **kw)
    lo, hi = _range(fmin, fmax, np.array([p["fr"] + dfr.min(), p["fr"] + dfr.max()]),
                    np.array([a, a]))
    f = np.linspace(lo, hi, points)
    v = resonator.rectified(f[None, :, None], power, p["fr"] + dfr[:, None], p["alpha"],
                            p["k"], p["s"], p["o"])
    return field_map(f, i, v, field_label=f"current in {fl.name}",
                     title=f"{el.name}: rectified voltage at {power:g} W vs field-line "
                           "current")


def stno_curve(circuit, name: str, *, current: tuple[float, float] | None = None,
               points: int = 401) -> Figure:
    """Emitted power ``A p0(I) R I^2`` and frequency ``f0 + n p0(I)`` of oscillator ``name``
    over bias current (default 0 .. 1.2 imax)."""
    from ..devices import stno
    flat = _flat(circuit)
    devs = _devices(flat, name, "stno", "oscillator")
    if len(devs) != 1:
        raise ParameterError("plot", "oscillator", name, "", "one oscillator (not an instance)")
    el = devs[0]
    p = stno.bind(el.name, _numeric({**el.model_params, **el.params}))
    lo, hi = current if current is not None else (0.0, 1.2 * p["imax"])
    if not hi > lo:
        raise ParameterError("plot", "current", (lo, hi), "A", "I0 < I1")
    i = np.linspace(lo, hi, points)
    return oscillator_curve(i, stno.emitted_power(i, p["ith"], p["q"], p["r"], p["a"]),
                            stno.frequency(i, p["f0"], p["n"], p["ith"], p["q"]),
                            ith=p["ith"], title=f"{el.name}: power and frequency vs current")
