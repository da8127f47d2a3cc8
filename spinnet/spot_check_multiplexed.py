"""Time-domain spot check of one chain of a compiled multiplexed network.

In the ``multiplexed`` arrangement a layer-1 chain is one RF loop carrying every pixel of
its receptive field on its own tone plus the layer's bias tone, and every junction of the
loop rectifies every tone.  :func:`spot_check` cuts that loop out of the compiled netlist
(:func:`spinnet.plot.multiplex.chain_netlist`: its junctions, field lines, source
resistance and return capacitor -- resized to charge within the record -- and the pixel
tones of one test image in series) and
integrates it with ``engine.tran``; the chain end's DC level, a Hann-weighted mean over the
second half of the record, is compared with the steady state of the same loop
(``engine.steady``) and with the trained model's realised weights
(:func:`spinnet.nn.multiplexed.realised`).
"""

from __future__ import annotations

import time

import numpy as np

#: Relaxation times ``1 / (2 pi alpha f_min)`` the record spans (the loop's slowest
#: junction rings up with that time constant; 8 leave e^-4 ~ 2 % of a step after the first
#: half, whose DC part is not read).
SETTLE = 8.0
#: Steps per period of the highest tone: the trapezoidal rule's relative frequency error
#: ``(w h)^2 / 12`` is 8.2e-5 at 200 steps per period, under a hundredth of the half-width
#: at alpha 0.01 (docs/analyses.md).
#: Second half of the record, in inverse spacings of the closest tones.  Every junction
#: rectifies every tone, so the read-out carries beats at the tones' differences, the
#: slowest at that spacing.  A Hann-weighted mean over ``n`` beat periods leaks a fraction
#: of each that falls 18 dB per octave from -31 dB (about 2e-4 at n = 12), where a plain
#: mean or a least-squares fit of the tones alone leaks ~1/(pi n) (measured on the shipped
#: model at n = 6: 5.89 mV plain, 6.32 mV Hann, 6.40 mV steady).  The flat-top spectrum of
#: the line needs n >= 4.
RECORD_SPACINGS = 12.0
STEPS_PER_PERIOD = 200


def brightest_position(model, x: np.ndarray) -> int:
    """Output position (row-major) of layer 1 whose receptive field holds the most ink
    (``x``: one input, any shape holding its values in flat ``(y, x, c)`` order)."""
    from .nn.multiplexed import tap_inputs
    return int(np.argmax(np.asarray(x, float).reshape(-1)[tap_inputs(model.layers[0])]
                         .sum(axis=1)))


def spot_check(model, netlist, image: np.ndarray, rep=None, *, settle: float = SETTLE,
               steps_per_period: int = STEPS_PER_PERIOD) -> dict:
    """Integrate one layer-1 chain of a compiled multiplexed ``netlist`` on ``image``.

    The chain is output channel 0 at the position whose receptive field holds the most ink.
    Returns the chain end's DC level through ``engine.tran`` (``v_tran_dc``: the
    Hann-weighted mean of the second half of the record, see :data:`RECORD_SPACINGS`; and
    ``v_tran_dc_quarters``, the same over each half of that window: how much it wanders),
    through ``engine.steady`` (``v_steady``) and from the model's realised weights
    (``v_model``), with the record length, step and time.  With ``rep`` (a report folder)
    also writes the settling figure, the spectrum of the loop's multiplexed line (every
    tone resolved), the chain's response against frequency with its tones marked and the
    layer's frequency plan.
    """
    from dataclasses import replace

    from .engine import steady, tran
    from .netlist import naming
    from .nn import multiplexed
    from .plot import multiplex as PM

    lay = model.layers[0]
    xi = np.asarray(image, dtype=float).reshape(-1) / 255.0
    q = brightest_position(model, xi)
    j = q * int(lay["out_ch"])                    # compiler order: position-major, channel 0
    chain = PM.read_chain(netlist, 1, j)
    sub = PM.chain_netlist(netlist, 1, j, inputs={f"x{i}": float(v) for i, v in
                                                   enumerate(xi)})
    end = sub.elements[chain.junctions[-1].lower()].nodes[0]
    sub.outputs["y"] = f"v({end})"
    tones = np.array(sorted(set(chain.tones)))
    tau = 1.0 / (2.0 * np.pi * chain.alpha * tones.min())
    # The compiled loop returns its RF through a large capacitor that the loop resistance
    # would charge to the DC read-out in milliseconds.  Here it is sized to charge in one
    # ring-up time tau: its reactance at the lowest tone is then alpha times the loop
    # resistance, which changes the tones' power by ~alpha^2 / 2 (5e-5 at alpha 0.01);
    # engine.steady below solves the same loop.
    ct = naming.layer_element("CT", 1, j).lower()
    r_loop = chain.r_src + len(chain.junctions) * chain.r0
    c_return = tau / r_loop
    sub.elements[ct] = replace(sub.elements[ct], value=c_return)
    tstop = max(settle * tau, 2.0 * RECORD_SPACINGS / float(np.min(np.diff(tones))))
    tstep = 1.0 / (steps_per_period * tones.max())
    v_steady = float(steady(sub).outputs[0, 0])
    t0 = time.monotonic()
    res = tran(sub, tstep, tstop, save=["v(p)", f"v({end})"])
    elapsed = time.monotonic() - t0
    t = np.asarray(res.time)
    v = np.asarray(res[f"v({end})"])
    v_dc = hann_mean(v[t >= tstop / 2])
    # how much the level still wanders: the same mean over each quarter of the second half
    quarters = [hann_mean(v[(t >= a) & (t < b)]) for a, b in
                ((tstop / 2, 3 * tstop / 4), (3 * tstop / 4, tstop + 1.0))]
    nm = lay["name"]
    W, b = multiplexed.realised(lay, model.params[f"{nm}.fr"], model.params[f"{nm}.fr_bias"],
                                model.phys)
    taps = multiplexed.tap_inputs(lay)[q]
    v_model = float(W[q, 0] @ (xi[taps] * model.phys["p_in"]) + b[q, 0])
    if rep is not None:
        from .report import _settling_figure
        rep.figure("chain_settling", _settling_figure(
            t, v, v_steady, v_dc, float(tones.min()), f"v({end})", chain=j),
            f"layer-1 chain {j}'s rectified read-out settling in time (engine.tran) beside "
            "its steady value (engine.steady)")
        rep.figure("line_spectrum", PM.line_spectrum(
            res, sub, "v(p)", t_start=tstop / 2,
            title=f"multiplexed line of layer-1 chain {j}: {len(tones)} tones"),
            "spectrum of that chain's multiplexed RF line (engine.tran), every tone resolved")
        rep.figure("chain_response", PM.chain_response(netlist, 1, j),
                   f"layer-1 chain {j}: rectified voltage against frequency, input tones "
                   "marked (engine.steady of its junctions)")
        rep.figure("frequency_plan", PM.frequency_plan(netlist, 1),
                   "frequency plan of layer 1: tones per line and tuned resonances")
        res.save(rep._add("spot_check_tran.npz", "the spot check's transient (Result file)"))
    return {"chain": j, "position": q, "output": f"v({end})", "tones": len(tones),
            "v_model": v_model, "v_steady": v_steady, "v_tran_dc": v_dc,
            "v_tran_dc_quarters": quarters,
            "tran_vs_steady_rel": abs(v_dc - v_steady) / abs(v_steady) if v_steady
            else float("nan"),
            "c_return_f": c_return, "tstop_s": tstop, "tstep_s": float(tstep),
            "tran_seconds": round(elapsed, 2)}


def hann_mean(v: np.ndarray) -> float:
    """Mean of ``v`` weighted by a Hann window: rejects every component more than two
    record-frequencies from DC, with sidelobes falling 18 dB per octave."""
    n = len(v)
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / max(n - 1, 1))
    return float(np.sum(w * v) / np.sum(w))
