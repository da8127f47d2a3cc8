"""Recording of the series-loop fast path with exp4 on long loops (``loop._record_fused``).

From ``loop._FUSE_MIN`` resonators on, exp4 records node voltages by adding each tone's
periodic part to the junction drops, while the states are assembled as ``u = z + u_p``
(the path short loops use for everything).  Independent check: Ohm's law at every
junction, between the recorded node voltages and the recorded junction resistances and
loop current -- two different assemblies of the same sample.
"""

from __future__ import annotations

import sys

import numpy as np
from repo_paths import BENCHMARKS

from spinnet.engine import series_loop as loop
from spinnet.engine.tran import tran
from spinnet.netlist import parse

sys.path.insert(0, str(BENCHMARKS))
import bench_chain as bc  # noqa: E402

N_LONG = loop._FUSE_MIN + 6
# a second loop through ground with its own tones: the per-tone terms must stay in it
SECOND = """V2 m0 0 TONES(1.005e9 0.03 20; 0.995e9 0.01 0)
RS2 m0 m1 30
M1 m1 m2 res fr=1.0e9 o=-1
M2 m2 0 res fr=1.01e9
"""


def test_fused_recording_obeys_ohms_law_at_every_junction():
    text = bc.netlist(N_LONG).replace(".end", SECOND + ".end")
    # rename the second loop's junctions to resonator elements (N prefix)
    text = text.replace("M1 m1", "NM1 m1").replace("M2 m2", "NM2 m2")
    net = parse(text)
    save = [f"v(n{k})" for k in range(N_LONG)] + ["v(m0)", "v(m1)", "v(m2)"]
    save += [f"state(n{k + 1},r)" for k in range(N_LONG)] + ["state(nm1,r)", "state(nm2,r)"]
    r = tran(net, 1e-10, 20e-9, method="exp4", dt=1e-10, save=save)
    assert r.meta["path"] == "loop" and r.meta["loops"] == 2
    # loop 1: current through RS = (V1 - v(n0)) / RS, V1 from the source definition
    t = r.time
    v1 = sum(bc.AMP * np.sin(2 * np.pi * f * t) for f in bc.TONES)
    i1 = (v1 - r["v(n0)"]) / bc.RS
    v2 = (0.03 * np.sin(2 * np.pi * 1.005e9 * t + np.radians(20))
          + 0.01 * np.sin(2 * np.pi * 0.995e9 * t))
    i2 = (v2 - r["v(m1)"]) / 30.0
    np.testing.assert_allclose(r["v(m0)"], v2, rtol=0, atol=1e-15)
    nodes = [f"v(n{k})" for k in range(N_LONG)]
    worst = 0.0
    for k in range(N_LONG):
        vj = r[nodes[k]] - (r[nodes[k + 1]] if k + 1 < N_LONG else 0.0)
        ohm = r[f"state(n{k + 1},r)"] * i1
        worst = max(worst, float(np.max(np.abs(vj - ohm))))
    for a, b, name in (("v(m1)", "v(m2)", "nm1"), ("v(m2)", None, "nm2")):
        vj = r[a] - (r[b] if b else 0.0)
        worst = max(worst, float(np.max(np.abs(vj - r[f"state({name},r)"] * i2))))
    # rounding only: the drops are ~1e-5 V and the loop sums 70 of them; 1e-12 of the
    # source amplitude (~3e-14 V) fails any missing or misplaced tone term (>= 1e-7 V)
    assert worst < 1e-12 * bc.AMP * 3, worst
