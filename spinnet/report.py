"""Report folders: every output of a job in one place, each file written atomically, with a
``README.md`` index that says what each file is and a ``summary.json`` for scripts.

Used by ``spinnet mnist``; any job can use it::

    rep = ReportFolder("spinnet-out")
    rep.text("accuracy.txt", table, "accuracy and hardware table")
    rep.figure("confusion", fig, "confusion matrix of the netlist's predictions")
    rep.finish("MNIST through the compiled netlist", summary)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .errors import ParameterError
from .io import save_npz, write_text


def prepare_folder(path: str | os.PathLike) -> Path:
    """Create ``path`` (and parents) and check that it is a writable folder.

    Raises :class:`ParameterError` (exit 1 on the command line) before any long work starts.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ParameterError("report", "output folder", str(path), "",
                             "a folder (this is an existing file)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError("report", "output folder", str(path), "",
                             f"a folder that can be created ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ParameterError("report", "output folder", str(path), "", "a writable folder")
    return path


def _jsonable(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


class ReportFolder:
    """A folder of results with an index.

    Parameters
    ----------
    path : path-like
        Created if missing; must be writable.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = prepare_folder(path)
        self.entries: list[tuple[str, str]] = []

    def _add(self, name: str, what: str) -> Path:
        if os.sep in name or name.startswith("."):
            raise ParameterError("report", "file name", name, "", "a plain file name")
        self.entries = [e for e in self.entries if e[0] != name] + [(name, what)]
        return self.path / name

    def text(self, name: str, text: str, what: str) -> Path:
        """Write a text file."""
        p = self._add(name, what)
        write_text(p, text)
        return p

    def json(self, name: str, obj, what: str) -> Path:
        """Write ``obj`` as indented JSON (numpy scalars and arrays converted)."""
        return self.text(name, json.dumps(obj, indent=1, sort_keys=True, default=_jsonable)
                         + "\n", what)

    def arrays(self, name: str, what: str, **arrays) -> Path:
        """Write arrays as ``.npz`` (no pickles)."""
        p = self._add(name, what)
        save_npz(p, **arrays)
        return p

    def figure(self, stem: str, fig, what: str, formats=(".png", ".svg")) -> list[Path]:
        """Write a matplotlib figure in each format (PNG and SVG by default)."""
        from .plot import save_figure
        out = []
        for fmt in formats:
            p = self._add(stem + fmt, what)
            out.append(save_figure(fig, p))
        return out

    def finish(self, title: str, summary: dict, notes: list[str] = ()) -> Path:
        """Write ``summary.json`` and the ``README.md`` index; returns the index path."""
        self.json("summary.json", summary, "the numbers of this report, for scripts")
        lines = [f"# {title}", ""]
        lines += [f"- {n}" for n in notes]
        if notes:
            lines.append("")
        lines += ["| file | what it is |", "|---|---|"]
        lines += [f"| [{n}]({n}) | {w} |" for n, w in self.entries]
        p = self.path / "README.md"
        write_text(p, "\n".join(lines) + "\n")
        return p


# ----------------------------------------------------------------------------------------
# the main job: MNIST through the compiled netlist
# ----------------------------------------------------------------------------------------

class _Null:
    def write(self, _text):
        pass

    def flush(self):
        pass

    def isatty(self):
        return False


def _fingerprint(netlist_text: str, images: np.ndarray) -> str:
    import hashlib
    h = hashlib.sha256(netlist_text.encode())
    h.update(np.ascontiguousarray(images).tobytes())
    return h.hexdigest()


def _read_checkpoint(path: Path, fp: str, n: int, n_out: int) -> np.ndarray:
    """Scores saved in an evaluation checkpoint for fingerprint ``fp`` (empty when made
    for other inputs); DataError when it is unreadable or inconsistent."""
    from .errors import DataError
    from .io import read_npz

    z = read_npz(path, 16 * (n + 1) * (n_out + 1) + 4096, "evaluation checkpoint")
    f, scores = z.get("fingerprint"), z.get("scores")
    if f is None or scores is None or f.shape != () or f.dtype.kind != "U":
        raise DataError(f"{path}: not an evaluation checkpoint")
    if str(f) != fp:
        return np.zeros((0, n_out))
    if (scores.ndim != 2 or scores.shape[0] > n or scores.shape[1] != n_out
            or scores.dtype.kind not in "fiu" or not np.all(np.isfinite(scores))):
        raise DataError(f"{path}: checkpoint scores of shape {scores.shape} and dtype "
                        f"{scores.dtype} do not fit {n} images x {n_out} outputs")
    return np.array(scores, dtype=float)


def evaluate_resumable(netlist, netlist_text: str, images: np.ndarray, checkpoint: Path,
                       chunk: int = 1000, batch: int = 500, quiet: bool = False
                       ) -> tuple[np.ndarray, int]:
    """Scores of ``images`` through the netlist, saving progress after every ``chunk``.

    An interrupted run resumes from ``checkpoint`` when it was made for the same netlist
    and images (a SHA-256 fingerprint of both); returns ``(scores, images_resumed)``.
    """
    import sys

    from .compiler import evaluate
    from .errors import DataError
    from .progress import Progress

    n = len(images)
    fp = _fingerprint(netlist_text, images)
    done = np.zeros((0, len(netlist.outputs)))
    if checkpoint.is_file():
        try:
            done = _read_checkpoint(checkpoint, fp, n, len(netlist.outputs))
        except DataError as exc:  # a checkpoint is only a cache: start over, say why
            if not quiet:
                print(f"{exc}; evaluating from the start", file=sys.stderr)
    resumed = len(done)
    parts = [done]
    with Progress(n, "evaluating the netlist", unit="images",
                  stream=_Null() if quiet else None) as bar:
        bar.update(resumed)
        unsaved = [0]

        def on_batch(scores):
            # one evaluate() call for all the images: the netlist meets the checks once
            parts.append(scores)
            unsaved[0] += len(scores)
            done_now = sum(len(p) for p in parts)
            if unsaved[0] >= chunk or done_now == n:
                save_npz(checkpoint, fingerprint=np.array(fp), scores=np.concatenate(parts))
                unsaved[0] = 0
            bar.update(done_now)

        if resumed < n:
            evaluate(netlist, images[resumed:], batch=min(batch, chunk), on_batch=on_batch)
    return np.concatenate(parts), resumed


def chain_resonances(netlist, layer: int = 1, chain: int = 0) -> tuple[list[str], np.ndarray,
                                                                      np.ndarray]:
    """Names, tuned resonances (Hz) and orientations of one compiled chain's resonators
    (compiler naming ``N<layer>_<chain>_<tap>``, field-line shifts included)."""
    from .compiler.realised import resonances
    fr = resonances(netlist)
    prefix = f"N{layer}_{chain}_"
    names = [n for n in fr if n.upper().startswith(prefix.upper())]
    o = np.array([float(netlist.elements[n.lower()].params.get("o", 1.0)) for n in names])
    return names, np.array([fr[n] for n in names]), o


def mnist_report(out: str | os.PathLike, *, limit: int | None = None, model_path=None,
                 batch: int = 500, tran: bool = True, quiet: bool = False) -> dict:
    """Compile the shipped model, evaluate MNIST through the netlist, write a report folder.

    Returns the summary dict (also written as ``summary.json``).
    """
    import time

    from . import plot as P
    from .compiler import compile_model
    from .data import mnist
    from .netlist import write
    from .nn import HardwareModel

    t_all = time.monotonic()
    rep = ReportFolder(out)
    timings = {}

    def timed(key, label):
        class _T:
            def __enter__(self_inner):
                self_inner.t = time.monotonic()
                if not quiet:
                    print(f"{label} ...", flush=True)

            def __exit__(self_inner, *exc):
                timings[key] = round(time.monotonic() - self_inner.t, 3)
                if not quiet and exc[0] is None:
                    print(f"    done in {timings[key]:.1f} s", flush=True)
        return _T()

    with timed("load", "loading the model and MNIST"):
        model = HardwareModel.load(model_path)
        images, labels = mnist.load("test")
        if limit is not None:
            images, labels = images[:limit], labels[:limit]
    with timed("compile", "compiling the network to a netlist"):
        netlist, crep = compile_model(model)
        text = write(netlist)
    rep.text("network.cir", text, "the compiled netlist (spinnet netlist language)")
    rep.text("hardware.txt", crep.table() + "\n", "hardware summary of the compiled netlist")
    rep.json("hardware.json", crep.to_dict(), "hardware summary, machine-readable")

    with timed("evaluate", "evaluating through the netlist (engine.steady)"):
        scores, resumed = evaluate_resumable(netlist, text, images,
                                             rep.path / ".evaluation-checkpoint.npz",
                                             batch=batch, quiet=quiet)
    with timed("software", "software forward pass (nn)"):
        soft = model.forward(images)
    pred, pred_sw = scores.argmax(axis=1), soft.argmax(axis=1)
    cm = P.confusion_matrix(labels, pred, scores.shape[1])
    acc, acc_sw = P.accuracy(cm), float(np.mean(pred_sw == labels))
    agree = float(np.mean(pred == pred_sw))
    dev = float(np.max(np.abs(scores - soft))) if len(soft) else 0.0
    tot = crep.totals
    table = P.format_table([
        ["netlist (engine.steady)", len(labels), int(np.sum(pred == labels)), 100 * acc],
        ["software model (nn.forward)", len(labels), int(np.sum(pred_sw == labels)),
         100 * acc_sw],
    ], ["evaluated by", "images", "correct", "accuracy %"])
    table += (f"\nnetlist and software agree on {100 * agree:.2f} % of predictions; largest "
              f"score difference {dev:.3g} V\n\n" + crep.table() + "\n")
    rep.text("accuracy.txt", table, "accuracy (netlist vs software) and hardware table")
    rep.text("per_class.txt", P.per_class_table(cm), "per-class recall of the netlist")
    rep.arrays("scores.npz", "class scores (V) of every image: netlist and software",
               netlist=scores, software=soft, labels=labels)
    rep.figure("confusion", P.confusion(cm), "confusion matrix of the netlist's predictions")

    mux = model.arrangement == "multiplexed"
    if not mux:     # a multiplexed chain's own figures come with its spot check
        with timed("curve", "rectification curve of a chain"):
            names, frs, o = chain_resonances(netlist, 1, 0)
            ph = model.phys
            f_in = float(model.layers[0]["f_in"])
            a = ph["alpha"] * frs
            f = np.linspace(float(np.min(frs - 3 * a)), float(np.max(frs + 3 * a)), 1201)
            from .devices import resonator
            v = np.array([resonator.rectified(f[:, None], ph["p_in"], r, ph["alpha"], ph["K"],
                                              ph["s"], oo) for r, oo in zip(frs, o, strict=True)])
            fig = P.rectification_curve(
                f, v.sum(axis=0)[None], labels=[f"chain N1_0_* ({len(names)} resonators)"],
                tones=[f_in], title="layer-1 chain 0: series sum of rectified voltages, "
                f"{ph['p_in']:g} W per junction")
        rep.figure("chain_curve", fig, "rectified voltage of one layer-1 chain vs frequency")

    notes = []
    with timed("layout", "drawing one convolution's chains and field lines"):
        layout, note = _layout_figure(netlist, quiet)
    if layout is not None:
        rep.figure("conv_layout", layout, "layer-1 convolution: chains, input lines and "
                   "field lines (first 8 chains)")
    if note:
        notes.append(note)

    spot = None
    if tran:
        with timed("tran", "time-domain spot check (engine.tran)"):
            if mux:
                from .spot_check_multiplexed import spot_check as spot_check_mux
                spot = spot_check_mux(model, netlist, images[0], rep)
            else:
                spot = spot_check(model, images[0], rep)
    network = None
    if tran and not mux and len(labels):
        # every layer of the netlist from its own text; a multiplexed network (alpha
        # 0.01) relaxes in tens of ns per layer, too long for the main job
        with timed("tran_network", "whole network in the time domain on test image 0 "
                   "(engine.tran, component-wise)"):
            network = network_spot_check(netlist, images[:1], scores[:1], labels[:1])
        rep.json("network_tran.json", network, "test image 0 through the whole netlist in "
                 ".tran against .steady (spinnet eval --time-domain, network mode)")
        notes.append(
            f"whole network in .tran (test image 0, every layer from the netlist's text, "
            f"trap at {network['dt_s'] * 1e12:g} ps for {network['t_stop_s'] * 1e9:.3g} ns, "
            f"oscillators held for the first {network['hold_s'] * 1e9:.3g} ns, Newton "
            f"{network['newton']}): argmax {'=' if network['agree'] else '!='} "
            f".steady's, score deviation {network['dev_max_of_range']:.3f} of the score "
            f"range (drift {network['settle_drift_v'] * 1e3:.3g} mV between the last two "
            f"windows), {network['seconds_per_image']:.0f} s")
    if spot is not None and mux:
        notes.append(
            f"spot check (layer-1 chain {spot['chain']}, {spot['tones']} tones on its line, "
            f"test image 0): chain end DC {spot['v_tran_dc'] * 1e3:.4f} mV through "
            f"engine.tran ({spot['tstop_s'] * 1e9:.0f} ns at {spot['tstep_s'] * 1e12:.2f} ps, "
            f"second half) vs {spot['v_steady'] * 1e3:.4f} mV engine.steady vs "
            f"{spot['v_model'] * 1e3:.4f} mV model equations")
    elif spot is not None:
        notes.append(
            f"spot check (one layer-1 chain, test image 0): read-out "
            f"{spot['v_steady'] * 1e3:.4f} mV (engine.steady) vs "
            f"{spot['v_model'] * 1e3:.4f} mV (model equations); RF line tone "
            f"{spot['line_tone_dbm']:.3f} dBm (engine.tran, {spot['tstop_s'] * 1e9:g} ns) vs "
            f"{spot['line_tone_expected_dbm']:.3f} dBm (closed form); the chain's "
            f"rectified read-out through engine.tran {spot['v_tran_dc'] * 1e3:.4f} mV (DC "
            f"part of the last half of the record)")
    summary = {
        "images": int(len(labels)), "accuracy_netlist": acc, "accuracy_software": acc_sw,
        "agreement": agree, "max_score_difference_v": dev, "resumed_images": resumed,
        "hardware": tot, "timings_s": timings, "spot_check": spot,
        "network_spot_check": network,
        "model": str(model_path or "spinnet/models/default.npz"),
    }
    summary["timings_s"]["total"] = round(time.monotonic() - t_all, 3)
    rep.finish("spinnet mnist: the shipped network compiled to a netlist", summary, notes=[
        f"{len(labels)} MNIST test images: netlist accuracy {100 * acc:.2f} %, software "
        f"{100 * acc_sw:.2f} %, agreement {100 * agree:.2f} %",
        f"{tot['resonators']} resonators in {tot['chains']} chains, {tot['oscillators']} "
        f"oscillators, {tot['field_lines']} field lines",
    ] + notes)
    (rep.path / ".evaluation-checkpoint.npz").unlink(missing_ok=True)
    return summary


#: What the main job's whole-network check keeps of ``timedomain.spot_check``'s result.
NETWORK_KEYS = ("mode", "scope", "start", "newton", "images", "agree", "agreement",
                "accuracy_tran", "accuracy_steady", "score_range", "dev_max_of_range",
                "dev_mean_of_range", "settle_drift_v", "scores_tran", "scores_steady",
                "seconds_per_image", "timing_s", "dt_s", "hold_s", "t_start_s", "t_stop_s")


def network_spot_check(netlist, images, steady_scores, labels, settle: float | None = None,
                       hold: float | None = None) -> dict:
    """``images`` through the whole compiled netlist in ``.tran`` against its
    ``.steady`` scores (:func:`spinnet.compiler.timedomain.spot_check`, network mode,
    oscillators started at their steady amplitude and held ``hold`` relaxation times,
    then ``settle`` more; the defaults of ``spinnet eval NET --time-domain K``): what
    that command reports, as a dict."""
    from .compiler.timedomain import NETWORK_HOLD, NETWORK_SETTLE_AFTER_HOLD
    from .compiler.timedomain import spot_check as td_spot_check

    hold = NETWORK_HOLD if hold is None else hold
    settle = NETWORK_SETTLE_AFTER_HOLD if settle is None else settle
    out = td_spot_check(netlist, images, steady_scores, settle=settle, hold=hold,
                        mode="network", labels=labels, start="steady")
    return {k: out[k] for k in NETWORK_KEYS if k in out}


def _layout_figure(netlist, quiet: bool):
    """The compiler's drawing of the first convolution (:mod:`spinnet.plot.layout`).

    Returns ``(figure or None, note or None)``: a drawing that fails must not cost the
    report everything else, so the failure becomes a note in its index instead.
    """
    try:
        from .plot.layout import draw_layer
    except ImportError:
        return None, "no layout drawing: spinnet.plot.layout is not available"
    try:
        return draw_layer(netlist, 1, max_chains=8), None
    except Exception as exc:  # noqa: BLE001 - reported in the README, see docstring
        if not quiet:
            print(f"note: the layout drawing failed: {exc!r}")
        return None, f"the layout drawing failed: {exc!r} (please report)"


def chain_model(model, layer: int = 0, channel: int = 0, at: tuple[int, int] = (0, 0)):
    """A one-chain hardware model: output ``channel`` of convolution ``layer`` of ``model``
    at patch position ``at`` (pixel row, column of the patch's corner), written as a dense
    784 -> 1 layer whose taps outside the patch read pixels that will be bound to 0.

    Compiled, it is the exact circuit of one chain of the first layer (its resonances,
    orientations, bias resonator and RF lines) at a size a transient can afford.
    """
    from .errors import ParameterError
    from .nn import HardwareModel
    lay = model.layers[layer]
    if lay["type"] != "conv" or layer != 0:
        raise ParameterError("spot check", "layer", layer, "", "0 (the first convolution)")
    k, h, w = lay["k"], *model.arch["input"]["shape"]
    y0, x0 = at
    taps = np.array([(y0 + i) * w + (x0 + j) for i in range(k) for j in range(k)])
    nm = lay["name"]
    fr = np.full((1, h * w), float(lay["f_in"]))
    o = np.ones((1, h * w))
    fr[0, taps] = model.params[f"{nm}.fr"][channel]
    o[0, taps] = model.params[f"{nm}.o"][channel]
    arch = {"format": model.arch.get("format", "spinnet-model"), "version":
            model.arch.get("version", 1), "input": {"shape": [h, w]}, "kind": "hardware",
            "response": model.arch.get("response"), "phys": dict(model.phys), "layers": [
                {"type": "dense", "name": "chain", "n_in": h * w, "n_out": 1,
                 "activation": False, "f_in": float(lay["f_in"])}]}
    params = {"chain.fr": fr, "chain.o": o,
              "chain.fr_bias": model.params[f"{nm}.fr_bias"][channel:channel + 1],
              "chain.o_bias": model.params[f"{nm}.o_bias"][channel:channel + 1]}
    tiny = HardwareModel(arch, params)
    tiny.validate("spot-check chain")
    return tiny, taps


def spot_check(model, image: np.ndarray, rep: ReportFolder | None = None, *,
               tstop: float = 10e-9, tstep: float = 10e-12) -> dict:
    """Spot check of one compiled chain of the first layer on one image.

    The chain (output channel 0 of the first convolution, at the patch with the most ink)
    is compiled on its own.  Checked:

    - its steady-state read-out (``engine.steady``) against the trained model's equations;
    - a transient (``engine.tran``) of its RF input lines: the tone on the brightest pixel's
      line, read from a flat-top spectrum, against the closed form of the line (a source of
      amplitude ``A`` behind ``r_src`` into zero-impedance drive segments and ``r_term``:
      ``A r_term / (r_src + r_term)`` at the line's first node, ``A`` from
      :meth:`spinnet.compiler.Design.tone_amplitude` for the power ``x p_in``).

    - the chain's rectified read-out ``v(c1_0_e)`` in the same transient: its settling in
      time beside the steady value (figure ``chain_settling``), and its DC part over the
      second half of the record (``v_tran_dc``: least-squares constant plus every tone of
      the netlist's sources and their 2nd/3rd harmonics).  The level-1 junction departs
      from the steady state's Lorentzian by order ``alpha`` of the peak
      (docs/devices.md), so the two are not expected to coincide.

    All chains' rectified read-outs are compared in the time domain by
    ``spinnet eval NET --time-domain K`` (:func:`spinnet.compiler.timedomain.spot_check`:
    the compiled last layer itself through ``.tran``, about a minute per image), not
    here, to keep this report quick.
    Writes the line's waveform and spectrum into ``rep``.
    """
    import time

    from . import plot as P
    from .compiler import Design, compile_model
    from .compiler.timedomain import _dc_part
    from .engine import steady, tran

    lay = model.layers[0]
    k, stride = lay["k"], lay["stride"]
    x = np.asarray(image, dtype=float).reshape(model.arch["input"]["shape"]) / 255.0
    corners = [(r, c) for r in range(0, x.shape[0] - k + 1, stride)
               for c in range(0, x.shape[1] - k + 1, stride)]
    at = max(corners, key=lambda rc: x[rc[0]:rc[0] + k, rc[1]:rc[1] + k].sum())
    tiny, taps = chain_model(model, 0, 0, at)
    design = Design()
    netlist, _ = compile_model(tiny, design=design)
    xi = np.zeros(x.size)
    xi[taps] = x.reshape(-1)[taps]
    v_model = float(tiny.forward(xi.reshape(1, *x.shape))[0, 0])
    bind = {f"x{i}": float(xi[i]) for i in range(x.size)}
    v_steady = float(steady(netlist, {n: np.array([v]) for n, v in bind.items()})
                     .outputs[0, 0])
    brightest = int(taps[np.argmax(xi[taps])])
    line = f"v(l1_{brightest}_0)"
    out_probe = next(iter(netlist.outputs.values()))
    t0 = time.monotonic()
    res = tran(netlist, tstep, tstop, bindings=bind, save=[line, out_probe])
    elapsed = time.monotonic() - t0
    tones = np.array(sorted({float(el.source.args[0]) for el in netlist.elements.values()
                             if el.source is not None and el.source.kind == "tones"}))
    half = np.asarray(res.time) >= tstop / 2
    v_out = np.asarray(res[out_probe])
    v_tran_dc = _dc_part(np.asarray(res.time)[half], v_out[half], tones)
    f_in = float(lay["f_in"])
    amp = design.tone_amplitude(xi[brightest] * model.phys["p_in"])
    expected_v = amp * design.r_term / (design.r_src + design.r_term)
    expected_dbm = 10.0 * np.log10(expected_v**2 / (2 * 50.0) / 1e-3)
    # the line is resistive, so it is in steady state from t = 0: use the whole record
    # (more periods under the flat-top window's wide main lobe)
    f, level = P.power_spectrum(res.time, res[line], window="flattop")
    near = np.abs(f - f_in) <= 0.1 * f_in
    measured_dbm = float(level[near].max())
    if rep is not None:
        z = (tstop - 3.0 / f_in, tstop)
        rep.figure("rf_waveform", P.waveform(res, line, zoom=[z], title=(
            f"RF input line of pixel {brightest} (layer 1, chain 0), {tstop * 1e9:g} ns")),
            "waveform of one RF input line of a layer-1 chain (engine.tran)")
        # the figure uses a Hann window: its main lobe (+-2 bins of 1/tstop) draws the tone
        # as a line; the flat-top above (+-5 bins) reads its amplitude
        rep.figure("rf_spectrum", P.spectrum(
            res, line, tones={"f_in": f_in}, window="hann",
            title=f"spectrum of {line} (pixel {brightest}, layer 1, chain 0), "
                  f"{tstop * 1e9:g} ns record: {1 / tstop / 1e6:.3g} MHz bins"),
            "spectrum of that RF line in dBm (Hann window), tone grid marked")
        rep.figure("chain_settling", _settling_figure(
            res.time, v_out, v_steady, v_tran_dc, float(tones.min()), out_probe),
            "one layer-1 chain's rectified read-out settling in time (engine.tran) beside "
            "its steady value (engine.steady)")
        res.save(rep._add("spot_check_tran.npz", "the spot check's transient (Result file)"))
    return {"patch_corner": list(at), "line": line, "v_model": v_model,
            "v_steady": v_steady,
            "steady_vs_model_rel": abs(v_steady - v_model) / abs(v_model) if v_model
            else float("nan"),
            "line_tone_dbm": measured_dbm, "line_tone_expected_dbm": float(expected_dbm),
            "output": out_probe, "v_tran_dc": v_tran_dc,
            "tstop_s": tstop, "tstep_s": tstep, "tran_seconds": round(elapsed, 2)}


def _settling_figure(t, v, v_steady, v_dc, f_low, probe, chain: int = 0):
    """Two panels: the read-out ``v(t)`` with its RF, and (zoomed on the DC level) its
    running mean over one period of the lowest tone beside the steady value."""
    from .plot.common import new_figure
    t = np.asarray(t)
    fig, axes = new_figure(2, 1, height=5.2, sharex=True)
    top, bot = axes[0, 0], axes[1, 0]
    top.plot(t * 1e9, v * 1e3, lw=0.5, color="0.5")
    top.set_ylabel(f"{probe} (mV)")
    top.set_title(f"layer-1 chain {chain}: read-out through engine.tran (RF + rectified DC)")
    n = max(int(round(1.0 / (f_low * (t[1] - t[0])))), 1) if len(t) > 1 else 1
    levels = [v_steady, v_dc]
    if len(v) > n:
        run = np.convolve(v, np.ones(n) / n, mode="valid")
        bot.plot(t[n - 1:] * 1e9, run * 1e3, color="C0",
                 label="running mean over one period (tran)")
        levels += list(run[len(run) // 4:])
    bot.axhline(v_steady * 1e3, color="C3", ls="--", label="steady state (engine.steady)")
    bot.axhline(v_dc * 1e3, color="C0", ls=":", label="DC part of the second half (tran)")
    lo, hi = min(levels) * 1e3, max(levels) * 1e3
    pad = 0.5 * max(hi - lo, 0.2 * max(abs(lo), abs(hi)), 1e-6)
    bot.set_ylim(lo - pad, hi + pad)
    bot.set_xlabel("time (ns)")
    bot.set_ylabel("rectified read-out (mV)")
    bot.legend(fontsize=7, loc="best")
    return fig
