"""What the compiler reports: per-layer hardware summary, frequency plan, field lines."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from ..netlist import naming


@dataclass
class LayerReport:
    """Hardware of one layer (counts are devices in the netlist)."""

    name: str
    kind: str
    chains: int
    resonators: int
    resonators_per_chain: int
    oscillators: int
    field_lines: int
    frequencies: int                     # distinct tone frequencies on this layer's inputs
    tones_hz: list[float]                # the frequency plan (input tones + bias tone)
    fr_range_hz: tuple[float, float]     # resonances after tuning
    linewidth_hz: float                  # smallest half-width a = alpha * fr
    min_spacing_over_linewidth: float    # smallest tone spacing / a (inf for one tone)
    latency_s: float
    power_w: float                       # sources + oscillators + field lines, worst case
    # power_w by part: "lines" (input and bias sources), "oscillators" (bias + emission
    # at imax), "replicas" (the buffers' DC replica stages at imax), "field_lines"
    power_breakdown_w: dict = field(default_factory=dict)
    time_steps: int = 1                  # sequential scheme: positions streamed per layer
    sharing_error_rms: float = 0.0       # realised vs trained weight, relative to K
    sharing_error_max: float = 0.0
    fieldline_current_max_a: float = 0.0


@dataclass
class CompileReport:
    """Summary of a compilation (``layers`` in network order)."""

    scheme: str
    arrangement: str
    model: str
    layers: list[LayerReport] = field(default_factory=list)
    spread: float = 0.0
    seed: int | None = None
    inputs: int = 0
    outputs: int = 0
    notes: list[str] = field(default_factory=list)
    # realised weights per layer (W, b) for the software check; not serialised
    realised: list = field(default_factory=list, repr=False)
    # the compiled netlist, read by `structure`; not serialised
    netlist: object = field(default=None, repr=False, compare=False)
    _structure: object = field(default=None, repr=False, compare=False)

    @property
    def structure(self):
        """Layer -> chain -> junction map of the compiled netlist
        (:class:`spinnet.netlist.naming.Structure`, built on first use)."""
        if self._structure is None and self.netlist is not None:
            self._structure = naming.structure(self.netlist)
        return self._structure

    @property
    def totals(self) -> dict:
        keys = ("chains", "resonators", "oscillators", "field_lines")
        tot = {k: int(sum(getattr(r, k) for r in self.layers)) for k in keys}
        tot["latency_s"] = float(sum(r.latency_s for r in self.layers))
        tot["power_w"] = float(sum(r.power_w for r in self.layers))
        return tot

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)
             if f.name not in ("realised", "netlist", "_structure")}
        d["layers"] = [asdict(r) for r in self.layers]
        d["totals"] = self.totals
        return _plain(d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    def table(self) -> str:
        """The hardware summary as a fixed-width text table."""
        head = (f"{'layer':<8}{'chains':>8}{'res.':>9}{'res/ch':>8}{'STNOs':>7}{'f-lines':>8}"
                f"{'freqs':>6}{'steps':>6}{'latency':>11}{'power':>11}{'share err':>10}")
        rows = [f"scheme={self.scheme} arrangement={self.arrangement} model={self.model}"
                + (f" spread={self.spread:g} seed={self.seed}" if self.spread else ""), head]
        for r in self.layers:
            rows.append(f"{r.name:<8}{r.chains:>8}{r.resonators:>9}{r.resonators_per_chain:>8}"
                        f"{r.oscillators:>7}{r.field_lines:>8}{r.frequencies:>6}"
                        f"{r.time_steps:>6}{_eng(r.latency_s, 's'):>11}{_eng(r.power_w, 'W'):>11}"
                        f"{r.sharing_error_max:>10.2e}")
        t = self.totals
        rows.append(f"{'total':<8}{t['chains']:>8}{t['resonators']:>9}{'':>8}"
                    f"{t['oscillators']:>7}{t['field_lines']:>8}{'':>6}{'':>6}"
                    f"{_eng(t['latency_s'], 's'):>11}{_eng(t['power_w'], 'W'):>11}")
        for r in self.layers:
            tones = ", ".join(_eng(f, "Hz") for f in r.tones_hz[:6])
            more = f" ... ({len(r.tones_hz)} tones)" if len(r.tones_hz) > 6 else ""
            rows.append(f"  {r.name}: tones {tones}{more}; fr {_eng(r.fr_range_hz[0], 'Hz')}"
                        f"..{_eng(r.fr_range_hz[1], 'Hz')}; a = {_eng(r.linewidth_hz, 'Hz')};"
                        f" spacing/a = {r.min_spacing_over_linewidth:.3g}")
        rows.extend("note: " + n for n in self.notes)
        return "\n".join(rows)


def _eng(x: float, unit: str) -> str:
    if not np.isfinite(x):
        return f"{x} {unit}"
    if x == 0:
        return f"0 {unit}"
    for f, p in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"),
                 (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f")):
        if abs(x) >= f * 0.9995:
            return f"{x / f:.3g} {p}{unit}"
    return f"{x:.3g} {unit}"


def _plain(x):
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return str(x)
    return x
