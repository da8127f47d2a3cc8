""".meas ac against ngspice's own ``meas ac`` on the same .ac result (its 7 printed
digits: 1e-5 relative), the card's round trip and its refusals."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from spinnet.engine.run import run
from spinnet.errors import NetlistError, NetlistErrors
from spinnet.netlist import parse, write

NGSPICE = shutil.which("ngspice")
BODY = "V1 1 0 DC 0 AC 1\nR1 1 2 1k\nC1 2 0 1u\nR2 2 3 500\nC2 3 0 0.2u\n"
CARD = ".ac dec 10 1 1meg"
MEAS = ["m1 max vm(2)", "f3 when vdb(2)=-3", "ph find vp(3) when vdb(2)=-3",
        "m2 min vdb(3) from=10 to=1k", "x avg vm(2) from=10 to=1k", "rr max v(2)",
        "fr when vp(3)=-1 fall=1", "dd find vm(3) when vm(2)=0.5", "im max vi(2)"]


@pytest.mark.ngspice
def test_meas_ac_matches_ngspice(tmp_path):
    control = "\n".join(f"meas ac {m}" for m in MEAS)
    (tmp_path / "m.cir").write_text(f"m\n{BODY}{CARD}\n.control\nrun\n{control}\n.endc\n"
                                    ".end\n")
    out = subprocess.run([NGSPICE, "-b", "m.cir"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60).stdout
    ng = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "=" and parts[0] in {m.split()[0] for m in MEAS}:
            ng[parts[0]] = float(parts[2])
    assert len(ng) == len(MEAS), out
    cards = "".join(f".meas ac {m}\n" for m in MEAS)
    res = run(parse(f"m\n{BODY}{CARD}\n{cards}.end\n"))["ac"]
    got = res.meta["measures"]
    for k, v in ng.items():
        assert got[k] == pytest.approx(v, rel=1e-5, abs=1e-12), (k, got[k], v)


def test_meas_ac_card_round_trip_and_refusals():
    text = f"m\n{BODY}{CARD}\n.meas ac f3 when vdb(2)=-3\n.meas ac m1 max vm(2)\n.end\n"
    n = parse(text)
    assert parse(write(n)) == n
    for bad, msg in ((".meas ac t trig v(2) val=0.5 targ v(3) val=0.5", "trig"),
                     (".meas dc m max v(2)", "only .meas tran and .meas ac"),
                     (".meas tran m max vdb(2)", "malformed probe")):
        with pytest.raises(NetlistErrors, match=msg) as exc:
            parse(f"m\n{BODY}{bad}\n.end\n", file="m.cir")
        assert "m.cir:7:" in str(exc.value)
    with pytest.raises(NetlistError, match=r"\.meas ac needs a \.ac card"):
        run(parse(f"m\n{BODY}.op\n.meas ac m max vm(2)\n.end\n"))
    with pytest.raises(NetlistErrors, match="no net"):
        run(parse(f"m\n{BODY}{CARD}\n.meas ac m max vm(9)\n.end\n"))
