"""The component-wise transient (spinnet.engine.tran_components) against the monolithic one.

Both integrate the same discrete equations (theta method on one time grid); the
component-wise run substitutes each upstream unknown by its solved value at the step
times (piecewise-linear feeds with a breakpoint at every step, evaluated only there).
What separates the two is where Newton stops (``reltol`` 1e-6 on the last correction,
which is quadratically smaller than the error it leaves) and rounding (the feed's
interpolation ``v0 + (v1 - v0) * 1`` is within an ulp of ``v1``): differences are
bounded here by 1e-9 of each signal's range (measured: ~3e-14 on the linear/junction
circuits, ~1e-9 on the tiny compiled network's outputs).
"""

from __future__ import annotations

import numpy as np
import pytest

from spinnet.engine.bound import bind_circuit, flat_circuit
from spinnet.engine.components import DRIVE, FLINE, VCCS, VCVS, partition
from spinnet.engine.tran import tran
from spinnet.engine.tran_components import tran_components
from spinnet.errors import ParameterError, SimulationError
from spinnet.netlist import flatten, parse

RTOL = 1e-9

# a tone line driving two 4-terminal junctions of a DC-biased chain; the chain's read-out
# drives a VCCS (into an RC) and that a VCVS: four components, one way
COUPLED = """coupled components
.model sdr1 sdr(alpha=0.05 k=8000 s=0.2 r0=1000 kappa=1.0)
V1 in 0 DC 0 TONES(1e9 0.02 0; 1.3e9 0.01 30)
R1 in l0 50
N1 c1 c0 l0 l1 sdr1 fr=1.05e9
N2 c2 c1 l1 l2 sdr1 fr=0.95e9
R2 l2 0 50
VB c0 0 DC 0.01
L1 c2 r 1u
R3 r 0 2k
C3 r 0 1p
G1 0 s r 0 1m
R4 s 0 1k
C4 s 0 2p
E1 e 0 s 0 2
R5 e 0 100
"""
PROBES = ["v(r)", "v(s)", "v(e)", "v(c2,r)", "v(s,l0)", "i(n1)", "i(n1,drive)",
          "state(n2,r)", "i(e1)", "i(r3)"]


def _same(a, b, rtol=RTOL):
    assert set(a.signals) == set(b.signals)
    np.testing.assert_array_equal(a.time, b.time)
    for k, u in a.signals.items():
        scale = max(float(np.max(np.abs(u))), 1e-30)
        err = float(np.max(np.abs(u - b.signals[k])))
        assert err <= rtol * scale, (k, err, scale)


def test_partition_finds_the_one_way_couplings():
    bc = bind_circuit(flat_circuit(parse(COUPLED)), bind_params=False)
    part = partition(bc)
    kinds = sorted(c.kind for c in part.couplings)
    assert kinds == sorted([DRIVE, DRIVE, VCCS, VCVS])
    # line -> chain -> VCCS output -> VCVS output
    assert [len(lv) for lv in part.levels] == [1, 1, 1, 1]
    assert not part.merged
    for c in part.couplings:
        assert all(part.level[s] < part.level[c.target] for s in c.sources)


def test_controlled_source_reading_its_own_component_is_internal():
    nl = parse("internal\nV1 a 0 SIN(0 1 1g)\nR1 a b 1k\nG1 b 0 a 0 1m\nR2 b 0 1k\n")
    part = partition(bind_circuit(flat_circuit(nl), bind_params=False))
    assert part.couplings == [] and part.n_components == 1


@pytest.mark.parametrize("method", ["trap", "be"])
def test_coupled_circuit_equals_monolithic(method):
    nl = parse(COUPLED)
    mono = tran(nl, 2e-11, 4e-9, method=method, save=PROBES)
    comp = tran_components(nl, 2e-11, 4e-9, method=method, save=PROBES, chunk=16)
    assert comp.meta["path"] == "components" and comp.meta["levels"] == 4
    _same(mono, comp)


def test_clamped_vccs_feed_equals_monolithic():
    # flattened without the netlist checks, as tran() takes it (the checks do not yet
    # accept the documented imin=/imax= of a G)
    flat = flatten(parse(COUPLED.replace("G1 0 s r 0 1m", "G1 0 s r 0 1m imax=3u")))
    mono = tran(flat, 2e-11, 3e-9, save=PROBES)
    vs = mono.signals["v(s)"]   # 3 uA into 1 kOhm || 2 pF at most: the clamp is active
    assert 2.9e-3 < np.max(vs) <= 3e-3 * (1 + 1e-6)
    _same(mono, tran_components(flat, 2e-11, 3e-9, save=PROBES, chunk=16))


def test_chunk_length_does_not_change_the_answer():
    nl = parse(COUPLED)
    runs = [tran_components(nl, 2e-11, 2e-9, save=PROBES, chunk=c) for c in (1, 7, 100)]
    for r in runs[1:]:
        _same(runs[0], r, rtol=1e-12)


def test_output_interval_tstart_and_uic_as_monolithic():
    nl = parse(COUPLED)
    kw = dict(dt=1e-11, tstart=1e-9, uic=True, save=PROBES)
    _same(tran(nl, 3e-11, 3e-9, **kw), tran_components(nl, 3e-11, 3e-9, chunk=5, **kw))


FIELD = """field line into another component
.model sdr1 sdr(alpha=0.05 k=8000 s=0.0 r0=1000 kappa=1.0)
.model fl1 fline(w=1e-06 h0=800.0 ms=1000000.0 mode=0.0 r=10.0)
V1 in 0 DC 0 TONES(1e9 0.02 0)
R1 in l0 50
N1 c1 0 l0 l1 sdr1 fr=1.0e9
N2 c2 c1 l1 l2 sdr1 fr=1.1e9
R2 l2 0 50
R3 c2 0 10k
IF 0 f PULSE(0 0.5m 0.2n 0.3n 0.3n 1n 3n)
NFL f 0 fl1 targets="N1 N2"
"""


def test_field_line_feed_equals_monolithic():
    nl = parse(FIELD)
    bc = bind_circuit(flat_circuit(nl), bind_params=False)
    assert {c.kind for c in partition(bc).couplings} == {DRIVE, FLINE}
    probes = ["v(c2)", "state(n1,r)", "state(n2,r)", "i(nfl)", "v(f)"]
    _same(tran(nl, 2e-11, 3e-9, save=probes),
          tran_components(nl, 2e-11, 3e-9, save=probes, chunk=9))


LOOP = """two components in a loop of VCCSs
V1 a 0 SIN(0 1 1g)
R1 a b 1k
C1 b 0 1p
G1 0 c b 0 1m
R2 c 0 1k
C2 c 0 2p
G2 0 b c 0 0.1m
"""


def test_loop_of_controlled_sources_is_merged_or_refused():
    nl = parse(LOOP)
    part = partition(bind_circuit(flat_circuit(nl), bind_params=False))
    assert len(part.merged) == 1 and part.couplings == []
    comp = tran_components(nl, 1e-11, 2e-9, save=["v(b)", "v(c)"])
    assert comp.meta["merged"] == 1 and comp.meta["levels"] == 1
    _same(tran(nl, 1e-11, 2e-9, save=["v(b)", "v(c)"]), comp)
    with pytest.raises(SimulationError, match=r"loop through controlled sources.*G1"):
        tran_components(nl, 1e-11, 2e-9, cycles="refuse")


def test_unsupported_method_and_options_are_refused():
    nl = parse(COUPLED)
    with pytest.raises(ParameterError, match="method"):
        tran_components(nl, 1e-11, 1e-9, method="rk4")
    with pytest.raises(ParameterError, match="chunk"):
        tran_components(nl, 1e-11, 1e-9, chunk=0)
    with pytest.raises(ParameterError, match="cycles"):
        tran_components(nl, 1e-11, 1e-9, cycles="ignore")


def test_default_probes_are_the_monolithic_ones():
    nl = parse(COUPLED)
    mono = tran(nl, 2e-11, 1e-9)
    comp = tran_components(nl, 2e-11, 1e-9)
    # the component-wise run has no private probes ('#' names) and no missing ones
    assert set(comp.signals) <= set(mono.signals)
    missing = set(mono.signals) - set(comp.signals)
    assert all(k.startswith("i(") for k in missing), missing  # i(g1) only on a replaced G
    _same(type(mono)("tran", mono.time, {k: mono.signals[k] for k in comp.signals}, {}),
          comp)


def test_tran_path_option_and_auto_switch(monkeypatch):
    import sys

    from spinnet.engine.run import run

    nl = parse(COUPLED)
    assert tran(nl, 2e-11, 1e-9, save=PROBES).meta["path"] == "mna"
    via = tran(nl, 2e-11, 1e-9, save=PROBES, path="components")
    assert via.meta["path"] == "components"
    _same(tran_components(nl, 2e-11, 1e-9, save=PROBES), via, rtol=0.0)
    with pytest.raises(ParameterError, match="path"):
        tran(nl, 2e-11, 1e-9, method="rk4", path="components")
    with pytest.raises(ParameterError, match="path"):
        tran(nl, 2e-11, 1e-9, path="sideways")
    # a band above the cap switches trap/be over by itself
    monkeypatch.setattr(sys.modules["spinnet.engine.tran"], "MAX_BAND_BYTES", 0)
    assert tran(nl, 2e-11, 1e-9, save=PROBES).meta["path"] == "components"
    assert tran(nl, 2e-11, 1e-9, save=PROBES, path="mna").meta["path"] == "mna"
    monkeypatch.undo()
    card = parse(COUPLED + ".tran 20p 1n path=components\n.save v(e)\n")
    out = run(card, None)
    res = next(iter(out.values()))
    assert res.meta["path"] == "components"


def test_seeded_trnoise_is_the_same_waveform_component_wise():
    # the noise samples are drawn from (seed, source name): both paths integrate one waveform
    nl = parse("""* noise into a G stage
V1 a 0 DC 0 TRNOISE(10m 1n 0 0)
R1 a 0 1k
G1 0 b a 0 1m
R2 b 0 1k
C2 b 0 1p
.end
""")
    mono = tran(nl, 0.1e-9, 20e-9, path="mna", seed=3).signals["v(b)"]
    comp = tran(nl, 0.1e-9, 20e-9, path="components", seed=3).signals["v(b)"]
    other = tran(nl, 0.1e-9, 20e-9, path="components", seed=4).signals["v(b)"]
    assert np.max(np.abs(comp - mono)) <= 1e-9 * np.ptp(mono)
    assert np.max(np.abs(other - mono)) > 0.1 * np.ptp(mono)
