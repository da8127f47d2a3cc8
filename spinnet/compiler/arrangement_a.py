"""Parallel scheme, arrangement A: unique tones within each receptive field.

Convolution layers (dense layers keep the local input lines of arrangement B):

- *frequency plan*: input neuron ``(y, x, c)`` emits on grid slot
  ``m = ((y mod K) K + (x mod K)) C + c`` of the geometric grid
  ``f_m = f_in r^(m - M/2)``, ``M = K*K*C`` (+1 slot for the bias tone), ``r = 1 + g alpha``
  (tone spacing ``g`` half-widths).  Any ``K x K`` window holds ``M`` distinct slots, and
  a slot is reused by neurons that are ``K`` apart, which never share a chain;
- *chains*: every output position's chain is one RF loop: VCVS buffers (E elements) in
  series copy the tones of its receptive field (and the bias tone) into the loop, which
  runs through the chain's 2-terminal junctions and closes through the RF arm of the
  bias tee; every junction therefore sees every tone of its window (crosstalk included
  exactly in the realised weights);
- *loop design*: loop resistance ``R_loop = r_src + (K*K*C + 1) r0``; a pixel
  source of amplitude ``R_loop sqrt(2 x p_in / r0)`` (buffer gain 1) or an oscillator line
  terminated in ``r_term`` sensed with gain ``R_loop / r_term`` puts ``P = x p_in`` (resp.
  the activation ``A p0 R I^2``, same ``dr`` as arrangement B) in every junction;
- *weights*: the resonator of kernel weight ``w`` at position ``q`` sees its tone at
  ``f_q``; it is fabricated at resonance (``fr = f_q``) and one field line per kernel weight
  shifts all its resonators by the same absolute ``df``, chosen by least squares over the
  positions (``sum_q (w(f_q, f_q + df) - w_trained)^2``).  The linewidth ``alpha fr``
  differs across positions, so the realised weights differ: the weight-sharing error.
  Bias resonators all see the same bias tone and are tuned exactly.
"""

from __future__ import annotations

import math

import numpy as np

from ..netlist import naming
from ..netlist.model import Analysis, Element, Expr, Model, Netlist, Waveform
from .circuit import Design
from .lower import _chain_head, _fieldline, _layer_report, _res, _sdr_model, _stno, layer_taps
from .report import CompileReport
from .spec import NetSpec

C_LOOP = 1e-6    # F, RF return of each loop (bias-tee RF arm)
C_READ = 1e-9    # F, shunt of the read-out node (low-pass with the tee's inductor)


def color_plan(lay, shape_in, spacing: float):
    """Tone slot of every input neuron and the grid frequencies ``(slots (n_in,), f (M+1,))``
    of a conv layer, or of a hidden dense layer (input ``i`` on slot ``i``)."""
    from ..nn.multiplexed import input_slots, slot_grid, tone_grid
    h, w, c = shape_in
    if lay.tone_spacing is not None:      # the grid the layer was trained on
        spacing = lay.tone_spacing
    if lay.kind != "conv":
        return (np.arange(lay.n_taps),
                slot_grid(lay.n_taps, float(lay.f_in[0]), lay.res["alpha"], spacing))
    return (input_slots(h, w, c, lay.k),
            tone_grid(lay.k, c, float(lay.f_in[0]), lay.res["alpha"], spacing))


def multiplexed_layer(lay) -> bool:
    """Conv layers and hidden dense layers put their inputs on one loop per chain."""
    return lay.kind == "conv" or lay.act is not None


def _fit_shift(f_q: np.ndarray, w_target: float, res: dict, o: float, phys) -> float:
    """Common absolute shift ``df`` minimising ``sum_q (w(f_q, f_q + df) - w_target)^2``."""
    alpha, K, s = res["alpha"], res["K"], res.get("s", 0.0)
    # exact per-position shifts bracket the optimum; search a grid there, then refine
    ratio = _ratio_for(w_target, res, o, phys)
    exact = (ratio - 1.0) * f_q
    lo, hi = float(exact.min()), float(exact.max())
    if hi - lo < 1e-12 * float(f_q.max()):
        return float(exact.mean())
    best = None
    for _ in range(3):
        grid = np.linspace(lo, hi, 201)
        err = np.sum((phys.weight(f_q[None, :], f_q[None, :] + grid[:, None], alpha, K, s, o)
                      - w_target) ** 2, axis=1)
        i = int(np.argmin(err))
        best = grid[i]
        step = grid[1] - grid[0]
        lo, hi = best - step, best + step
    return float(best)


def _ratio_for(w_target, res, o, phys):
    """``fr/f`` giving weight ``w_target`` on the branch used by training (|fr/f - 1| < 1)."""
    alpha, K, s = res["alpha"], res["K"], res.get("s", 0.0)
    rho = np.linspace(0.5, 1.5, 20001)
    w = phys.weight(1.0, rho, alpha, K, s, o)
    # w(1, rho) is monotonic between its extremes around rho = 1; nearest sample is enough
    # for a starting bracket (the search above refines the shift itself)
    return float(rho[int(np.argmin(np.abs(w - w_target)))])


def lower_parallel_a(spec: NetSpec, draw: list[dict] | None = None,
                     design: Design | None = None, spacing: float | None = None
                     ) -> tuple[Netlist, CompileReport]:
    from ..errors import ParameterError
    from ..nn import physics
    kinds = [lay.kind for lay in spec.layers]
    if not multiplexed_layer(spec.layers[0]):
        raise ParameterError("compile", "arrangement", "multiplexed", "",
                             "local-lines for this network: the multiplexed lowering needs "
                             "one hidden layer or more before the output layer, got "
                             + "-".join(kinds))
    d = design or Design()
    spacing = d.tone_spacing if spacing is None else spacing
    nl = Netlist(title=f"spinnet compiled {spec.name}: parallel scheme, "
                       "multiplexed arrangement (A)")
    rep = CompileReport(scheme="parallel", arrangement="A", model=spec.name)
    taps = layer_taps(spec)
    shapes = spec.shapes()
    plans = [color_plan(lay, shapes[i], spacing) if multiplexed_layer(lay) else None
             for i, lay in enumerate(spec.layers)]

    def r_loop(lay):
        # the loop closes through the RF arm of the bias tee: C_LOOP (|Z| < 0.1 ohm at the
        # lowest tone of the grids used here, negligible next to the junctions' k-ohms)
        return d.r_src + (lay.n_taps + 1) * d.r0

    def tone_of(li, i_in):
        """Frequency on which input neuron ``i_in`` of layer ``li`` must arrive."""
        lay = spec.layers[li]
        if plans[li] is not None:
            slot, f = plans[li]
            return float(f[slot[i_in]])
        return float(lay.f_in[i_in % lay.c_in] if lay.kind == "conv" else lay.f_in[i_in])

    n_pix = int(np.prod(spec.in_shape))
    first = spec.layers[0]
    if plans[0] is not None:
        nl.params["ain"] = r_loop(first) * math.sqrt(2.0 * spec.p_in / d.r0)
        for i in range(n_pix):
            nl.inputs.append(f"x{i}")
            nl.add(Element(f"VX{i}", (f"xa{i}", "0"),
                           source=Waveform("tones", (tone_of(0, i), Expr(f"ain*sqrt(x{i})"),
                                                     0.0))))
    else:
        raise NotImplementedError("arrangement A applies to networks starting with a conv")
    for li, lay in enumerate(spec.layers):
        l = li + 1
        last = lay.act is None
        sin, sout, idx = taps[li]
        npos, ntap = idx.shape
        real = draw[li] if draw is not None else None
        fr_tr = lay.fr.reshape(lay.c_out, ntap)
        fr_cls = lay.fr_classes                                 # (classes, C_out, taps)
        o_tr = lay.o.reshape(lay.c_out, ntap)
        r = lay.res
        if plans[li] is None:
            # dense after conv: local input lines, as arrangement B (4-terminal junctions)
            _dense_b(nl, spec, li, lay, idx, real, d, tone_of)
            rep.layers.append(_layer_report(spec, li, lay, npos, ntap, 0, d, nl, l, None, None,
                                            len(spec.layers)))
            continue
        slot, fgrid = plans[li]
        f_bias = float(fgrid[-1])
        mname = f"sdr{l}"
        nl.add_model(Model(mname, "sdr", {"alpha": float(r["alpha"]), "k": float(r["K"]),
                                         "s": float(r.get("s", 0.0)), "r0": d.r0}))
        # bias tone of the layer, at its own grid slot, copied into every loop
        nl.add(Element(f"VB{l}", (f"ba{l}", "0"), source=Waveform(
            "tones", (f_bias, r_loop(lay) * math.sqrt(2.0 * lay.bias_p / d.r0), 0.0))))
        f_q = fgrid[slot[idx]]                                  # (npos, ntap)
        # junction orientation by grid slot, as the model was trained (+1 otherwise)
        from ..nn.multiplexed import slot_orientation
        alt = spec.arrangement == "multiplexed" and lay.orientation == "alternate"
        o_slot = slot_orientation(slot[idx], alt)               # (npos, ntap)
        o_slot_b = float(slot_orientation(len(fgrid) - 1, alt))
        w_tr = np.asarray(physics.weight(lay.f_in[np.arange(ntap) % lay.c_in][None, :], fr_tr,
                                         r["alpha"], r["K"], r.get("s", 0.0), o_tr))
        shift = np.empty((len(fr_cls), lay.c_out, ntap))
        cls = spec.position_classes(li) if lay.fr_class is not None else np.zeros(npos, int)
        if spec.arrangement == "multiplexed":
            # trained with this arrangement: fr is the resonance at the nominal tone, and the
            # absolute shift is the trained parameter itself
            shift[:] = fr_cls - float(lay.f_in[0])
        else:
            for co in range(lay.c_out):
                for t in range(ntap):
                    shift[0, co, t] = _fit_shift(f_q[:, t], float(w_tr[co, t]), r, o_tr[co, t],
                                              physics)
        # bias: weight depends on f/fr only, so scaling the trained resonance is exact
        bshift = lay.bias_fr * (f_bias / lay.bias_f) - f_bias
        i_fl = d.fline_current(shift)
        i_flb = d.fline_current(bshift)
        gain_in = 1.0 if li == 0 else r_loop(lay) / d.r_term
        targets: dict = {}
        for q in range(npos):
            qd = q if (real is not None and real["fr"].shape[0] > 1) else 0
            for co in range(lay.c_out):
                j = q * lay.c_out + co
                node = _chain_head(nl, l, j, lay)
                for t in range(ntap):
                    i_in = int(idx[q, t])
                    sense = f"xa{i_in}" if li == 0 else f"u{l}_{i_in}"
                    nxt = f"e{l}_{j}_{t}"
                    nl.add(Element(f"E{l}_{j}_{t}", (nxt, node, sense, "0"), value=gain_in))
                    node = nxt
                nxt = f"e{l}_{j}_b"
                nl.add(Element(f"E{l}_{j}_b", (nxt, node, f"ba{l}", "0"), value=1.0))
                nl.add(Element(f"RS{l}_{j}", (nxt, f"c{l}_{j}_1"), value=d.r_src))
                node = f"c{l}_{j}_1"
                c = int(cls[q])
                for t in range(ntap):
                    fr_q = fr_cls[c, co, t]
                    fr_dev = fr_q if real is None else real["fr"][qd, co, t]
                    name = f"N{l}_{j}_{t}"
                    fab = f_q[q, t] + (fr_dev - fr_q) * f_q[q, t] / lay.f_in[0]
                    nxt = f"c{l}_{j}_{t + 2}"
                    nl.add(Element(name, (nxt, node), model=mname,
                                   params={"fr": float(fab),
                                           "o": float(o_tr[co, t] * o_slot[q, t])}))
                    targets.setdefault((c, co, t), []).append(name)
                    node = nxt
                frb_dev = lay.bias_fr[co] if real is None else real["fr_bias"][qd, co]
                end = f"c{l}_{j}_e"
                name = f"N{l}_{j}_b"
                fab = f_bias + (frb_dev - lay.bias_fr[co]) * f_bias / lay.bias_f
                nl.add(Element(name, (end, node), model=mname,
                               params={"fr": float(fab),
                                       "o": float(lay.bias_o[co] * o_slot_b)}))
                targets.setdefault((0, co, "b"), []).append(name)
                # RF arm of the bias tee: a large capacitor closes the loop, so the loop's
                # tones leave almost no RF voltage at its end (which would otherwise reach
                # the transconductance stage through the DC arm)
                nl.add(Element(f"CT{l}_{j}", (end, "0"), value=C_LOOP))
                if last:
                    nl.outputs[f"y{j}"] = f"v({end})"
                    continue
                nl.add(Element(f"LT{l}_{j}", (end, f"r{l}_{j}"), value=d.l_tee))
                nl.add(Element(f"CR{l}_{j}", (f"r{l}_{j}", "0"), value=C_READ))
                s = f"s{l}_{j}"
                nl.add(Element(f"G{l}_{j}", ("0", s, f"r{l}_{j}", "0"), value=float(lay.act["gm"])))
                _stno(nl, f"NO{l}_{j}", s, l, j, lay.act, real, qd, co, d, tone_of(li + 1, j))
                if plans[li + 1] is not None:       # next conv in arrangement A: sensed node
                    nl.add(Element(f"CC{l}_{j}", (s, f"u{l + 1}_{j}"), value=d.c_couple))
                    nl.add(Element(f"RU{l}_{j}", (f"u{l + 1}_{j}", "0"), value=d.r_term))
                else:                               # next layer on local lines
                    nl.add(Element(f"CC{l}_{j}", (s, f"L{l + 1}_{j}_0"), value=d.c_couple))
        nl.add_model(Model(f"fl{l}", "fline", d.fline_model()))
        n_fl = 0
        for (c, co, t), names in targets.items():
            cur = float(i_flb[co]) if t == "b" else float(i_fl[c, co, t])
            per = t != "b" and lay.fr_class is not None
            _fieldline(nl, naming.fieldline_tag(l, co, t, c if per else None), l, cur, names)
            n_fl += 1
        lr = _layer_report(spec, li, lay, npos, ntap, n_fl, d, nl, l, i_fl, i_flb,
                           len(spec.layers))
        lr.tones_hz = [float(f) for f in fgrid]
        lr.frequencies = len(fgrid)
        lr.min_spacing_over_linewidth = float(np.min(np.diff(fgrid) / (r["alpha"] * fgrid[1:])))
        rep.layers.append(lr)
    nl.analyses.append(Analysis("steady"))
    rep.inputs, rep.outputs = len(nl.inputs), len(nl.outputs)
    if spec.arrangement == "multiplexed":
        grids = ", ".join(f"{lay.tone_spacing:g}" for lay in spec.layers
                          if multiplexed_layer(lay))
        orient = ", ".join(lay.orientation for lay in spec.layers if multiplexed_layer(lay))
        rep.notes.append(f"multiplexed (trained for it): geometric grids r = 1 + g alpha with g "
                         f"= {grids} half-widths per hidden layer; junction orientation {orient}; "
                         + ("one field line per kernel weight and position class"
                            if any(lay.fr_class is not None for lay in spec.layers)
                            else "one field line per kernel weight")
                         + " applies the trained absolute shift; "
                         "crosstalk of every tone in a loop included, as in training")
    else:
        rep.notes.append(f"multiplexed: geometric grid r = 1 + {spacing:g} alpha per conv "
                         "layer; one field line per kernel weight shifts resonators at "
                         "different fr by a common least-squares df fitted to own-tone "
                         "weights; crosstalk of every tone in a loop included (the model was "
                         "trained without it)")
    return nl, rep


def _dense_b(nl, spec, li, lay, idx, real, d: Design, tone_of):
    """A dense layer on local input lines (4-terminal junctions), fed by oscillator lines."""
    from .lower import _Lines
    l = li + 1
    last = lay.act is None
    mname = _sdr_model(nl, l, lay, d)
    lines = _Lines()
    bline = f"B{l}"
    nl.add(Element(f"VB{l}", (f"ba{l}", "0"), source=Waveform(
        "tones", (float(lay.bias_f), d.tone_amplitude(lay.bias_p), 0.0))))
    nl.add(Element(f"RB{l}", (f"ba{l}", f"{bline}_0"), value=d.r_src))
    ntap = idx.shape[1]
    fr_tr = lay.fr.reshape(lay.c_out, ntap)
    for co in range(lay.c_out):
        j = co
        node = f"c{l}_{j}_0"
        if not last:
            raise NotImplementedError("arrangement A: hidden dense layers")
        node = "0"
        for t in range(ntap):
            ia, ib = lines.segment(f"L{l}_{t}")
            nxt = f"c{l}_{j}_{t + 1}"
            fr_dev = fr_tr[co, t] if real is None else real["fr"][0, co, t]
            _res(nl, f"N{l}_{j}_{t}", node, nxt, ia, ib, mname, fr_dev, lay.o.reshape(
                lay.c_out, ntap)[co, t])
            node = nxt
        ia, ib = lines.segment(bline)
        end = f"c{l}_{j}_e"
        frb = lay.bias_fr[co] if real is None else real["fr_bias"][0, co]
        _res(nl, f"N{l}_{j}_b", node, end, ia, ib, mname, frb, lay.bias_o[co])
        nl.outputs[f"y{j}"] = f"v({end})"
    for t in range(ntap):
        nl.add(Element(f"RL{l}_{t}", (lines.end(f"L{l}_{t}"), "0"), value=d.r_term))
    nl.add(Element(f"RLB{l}", (lines.end(bline), "0"), value=d.r_term))


def realised_weights(nl, spec: NetSpec, phys, npos_list, fr: dict):
    """Realised ``(W, b, act)`` per layer of an arrangement-A netlist, crosstalk included.

    In a conv loop every junction rectifies every tone of the loop, so the effective weight
    of tap ``t`` at position ``q`` is ``sum_k w(f_qt, fr_k)`` over all junctions ``k`` of the
    chain (bias junction included), and the bias ``p_bias sum_k w(f_bias, fr_k)``.
    """
    from .realised import _stno_params
    out = []
    taps = layer_taps(spec)
    for li, lay in enumerate(spec.layers):
        l = li + 1
        npos, ntap = taps[li][2].shape
        r = lay.res
        al, K, s = r["alpha"], r["K"], r.get("s", 0.0)
        if not multiplexed_layer(lay):
            frm = np.array([[fr[f"N{l}_{co}_{t}"] for t in range(ntap)]
                            for co in range(lay.c_out)])
            om = np.array([[nl.elements[f"n{l}_{co}_{t}"].params["o"] for t in range(ntap)]
                           for co in range(lay.c_out)])
            frb = np.array([fr[f"N{l}_{co}_b"] for co in range(lay.c_out)])
            ob = np.array([nl.elements[f"n{l}_{co}_b"].params["o"] for co in range(lay.c_out)])
            W = np.asarray(phys.weight(lay.f_in[None, :], frm, al, K, s, om))[None]
            b = lay.bias_p * np.asarray(phys.weight(lay.bias_f, frb, al, K, s, ob))[None]
            out.append((W, b, _stno_params(nl, l, lay, npos)))
            continue
        idx = taps[li][2]
        f_bias = float(nl.elements[f"vb{l}"].source.args[0])
        W = np.empty((npos, lay.c_out, ntap))
        b = np.empty((npos, lay.c_out))
        for q in range(npos):
            if li == 0:
                f_t = np.array([float(nl.elements[f"vx{i}"].source.args[0]) for i in idx[q]])
            else:
                f_t = np.array([float(nl.elements[f"no{li}_{i}"].params["f0"]) for i in idx[q]])
            tones = np.append(f_t, f_bias)
            for co in range(lay.c_out):
                j = q * lay.c_out + co
                names = [f"N{l}_{j}_{t}" for t in range(ntap)] + [f"N{l}_{j}_b"]
                frs = np.array([fr[n] for n in names])
                os_ = np.array([nl.elements[n.lower()].params["o"] for n in names])
                # fabricated at the instance fr, tuned by the field lines (exact response)
                fab = np.array([float(nl.elements[n.lower()].params["fr"]) for n in names])
                wk = np.asarray(phys.weight(tones[:, None], frs[None, :], al, K, s, os_[None, :],
                                            fab[None, :]))
                tot = wk.sum(axis=1)
                W[q, co] = tot[:-1]
                b[q, co] = lay.bias_p * tot[-1]
        out.append((W, b, _stno_params(nl, l, lay, npos)))
    return out


def own_tone_weights(nl, spec: NetSpec, phys, fr: dict):
    """As :func:`realised_weights` but each junction rectifying only its own input's tone.

    Separates the weight-sharing error of arrangement A (one absolute field-line shift for
    junctions at different resonances) from its crosstalk (every tone of a loop in every
    junction).  Biases are the trained ones.
    """
    from .reference import layer_matrix
    full = realised_weights(nl, spec, phys, None, fr)
    out = []
    taps = layer_taps(spec)
    for li, lay in enumerate(spec.layers):
        if not multiplexed_layer(lay):
            out.append(full[li])
            continue
        l = li + 1
        idx = taps[li][2]
        npos, ntap = idx.shape
        _, b0 = layer_matrix(lay, phys)
        o = lay.o.reshape(lay.c_out, ntap)
        W = np.empty((npos, lay.c_out, ntap))
        for q in range(npos):
            if li == 0:
                f_t = np.array([float(nl.elements[f"vx{i}"].source.args[0]) for i in idx[q]])
            else:
                f_t = np.array([float(nl.elements[f"no{li}_{i}"].params["f0"]) for i in idx[q]])
            for co in range(lay.c_out):
                j = q * lay.c_out + co
                frs = np.array([fr[f"N{l}_{j}_{t}"] for t in range(ntap)])
                fab = np.array([float(nl.elements[f"n{l}_{j}_{t}"].params["fr"])
                                for t in range(ntap)])
                W[q, co] = phys.weight(f_t, frs, lay.res["alpha"], lay.res["K"],
                                       lay.res.get("s", 0.0), o[co], fab)
        out.append((W, np.broadcast_to(b0, (npos, lay.c_out)), full[li][2]))
    return out


def trained_weights(spec: NetSpec, li: int) -> tuple[np.ndarray, np.ndarray]:
    """``(W (P, C_out, taps), b (P, C_out))`` that conv layer ``li`` of a model trained for
    this arrangement computes in training (:func:`spinnet.nn.multiplexed.realised`): the
    reference a compiled netlist's realised weights are compared with."""
    from ..nn import multiplexed
    lay = spec.layers[li]
    phys = {"alpha": lay.res["alpha"], "K": lay.res["K"], "s": lay.res.get("s", 0.0),
            "p_bias": lay.bias_p}
    fr = lay.fr.reshape(lay.c_out, -1) if lay.fr_class is None else lay.fr_classes
    return multiplexed.realised(spec.nn_layer(li), fr, lay.bias_fr, phys)
