"""Device-parameter rejection: NaN, inf, negative, zero, absurd, unknown, relations.

Every rejection must be a ParameterError whose message names the device, the parameter,
the offending value, its unit and the allowed range.
"""

import math
from dataclasses import dataclass, field

import pytest
from repo_paths import ROOT

from spinnet.devices import diode, fieldline, macrospin, registry, resonator, stno, vccs
from spinnet.devices.params import ParamSpec, bind, spec_table
from spinnet.errors import ParameterError, SpinnetError

BAD = [
    # (module, parameter, value, a fragment of the allowed range printed)
    (resonator, "fr", float("nan"), "[1e+06, 1e+12] Hz"),
    (resonator, "fr", float("inf"), "Hz"),
    (resonator, "fr", 1.0, "[1e+06, 1e+12] Hz"),          # a resonance at 1 Hz
    (resonator, "fr", -1e9, "Hz"),
    (resonator, "fr", 0.0, "Hz"),
    (resonator, "alpha", 1.5, "(0, 0.5]"),                # linewidth larger than frequency
    (resonator, "alpha", 0.0, "(0, 0.5]"),
    (resonator, "k", -8.8e3, "(0, 1e+08] V/W"),
    (resonator, "k", 0.0, "V/W"),
    (resonator, "o", 0.5, "one of {-1, 1}"),
    (resonator, "r0", 0.0, "ohm"),
    (resonator, "s", 2.0, "[-1, 1]"),
    (resonator, "damping", -0.01, "(0, 1]"),              # level-2 stack parameter
    (resonator, "ms", float("-inf"), "A/m"),
    (stno, "ith", 0.0, "(0, 1] A"),
    (stno, "ith", float("nan"), "A"),
    (stno, "q", -1.0, "[0, 1000]"),
    (stno, "f0", 1.0, "Hz"),
    (stno, "temp", -5.0, "K"),
    (stno, "gm", 0.0, "A/V"),
    (fieldline, "w", 0.0, "m"),
    (fieldline, "mode", 3.0, "one of {0, 1}"),
    (diode, "is", -1e-14, "(0, 1] A"),
    (diode, "is", 0.0, "A"),
    (diode, "n", float("nan"), ""),
    (diode, "m", 1.0, "[0, 0.99]"),
    (diode, "bv", -5.0, "V"),
]


@pytest.mark.parametrize("module,name,value,allowed", BAD)
def test_rejected_with_name_value_unit_range(module, name, value, allowed):
    with pytest.raises(ParameterError) as info:
        module.bind("X1.N7", {name: value})
    err = info.value
    msg = str(err)
    assert isinstance(err, SpinnetError)
    assert err.name == name and err.device == "X1.N7"
    assert "X1.N7" in msg and f"parameter {name} =" in msg
    assert repr(float(value)) in msg
    assert allowed in msg
    if math.isnan(value):
        assert "nan" in msg


def test_defaults_are_accepted_and_complete():
    for module in (resonator, stno, fieldline, diode, macrospin):
        p = module.bind("N1", {})
        assert set(s.name for s in module.SPECS) <= set(p)
        # two defaults are not numbers of their own: a diode without breakdown, and an
        # oscillator's low-pass starting at the circuit's operating point (NaN)
        assert all(math.isfinite(v) or (k == "bv" and v == math.inf)
                   or (k == "ilp0" and math.isnan(v)) for k, v in p.items())


def test_default_k_value():
    # physics.md: (dR/R) tan(pi/4) / (8 sqrt 2) * 1 / 10 uA = 8838.83 V/W
    assert resonator.bind("N1", {})["k"] == pytest.approx(8838.834764831841, rel=1e-12)


def test_unknown_parameter_lists_known_ones():
    with pytest.raises(ParameterError, match=r"parameter frr = .*known parameters: .*fr"):
        resonator.bind("N1", {"frr": 1e9})


def test_text_value_rejected():
    with pytest.raises(ParameterError, match="a number"):
        stno.bind("N5", {"q": "two"})


def test_relations_between_parameters():
    with pytest.raises(ParameterError, match=r"imax = 5e-06 A .*> ith"):
        stno.bind("N5", {"imax": 5e-6, "ith": 10e-6})
    with pytest.raises(ParameterError, match="imax"):
        vccs.bind("G1", {"gm": 1e-3, "imin": 1.0, "imax": 0.5})


def test_case_insensitive_names_and_aliases():
    assert resonator.bind("N1", {"FR": 2e9})["fr"] == 2e9
    assert diode.bind("D1", {"CJ0": 1e-12, "PB": 0.7})["cjo"] == 1e-12


def test_array_values_checked_elementwise():
    import numpy as np
    p = resonator.bind("N1", {"fr": np.array([1e9, 2e9])})
    assert p["fr"].shape == (2,)
    with pytest.raises(ParameterError, match="nan"):
        resonator.bind("N1", {"fr": np.array([1e9, np.nan])})


def test_required_parameter_missing():
    spec = ParamSpec("td", "s", None, 0.0, 1.0, "delay", lo_open=True)
    with pytest.raises(ParameterError, match="required"):
        bind("T1", [spec], {})


@dataclass
class FakeElement:
    name: str
    kind: str
    value: object = None
    model_type: str | None = None
    model_params: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


def test_validate_flat_collects_all_problems():
    els = [
        FakeElement("R1", "R", 0.0),
        FakeElement("C1", "C", -1e-12),
        FakeElement("L1", "L", float("nan")),
        FakeElement("R2", "R", 1e3),
        FakeElement("N1", "N", None, "sdr", {"fr": 1.0}),
        FakeElement("N2", "N", None, "sdr", {"fr": 1e9}, {"alpha": 2.0}),
        FakeElement("N5", "N", None, "stno", {"ith": -1e-5}),
        FakeElement("NFL1", "N", None, "fline", {"w": 1e-6}, {"targets": "N1 N2"}),
        FakeElement("D1", "D", None, "d", {"is": float("inf")}),
        FakeElement("N9", "N", None, "xyz", {}),
    ]
    problems = registry.validate_flat(els)
    names = sorted(p.device for p in problems)
    assert names == ["C1", "D1", "L1", "N1", "N2", "N5", "N9", "R1"]
    assert all(isinstance(p, ParameterError) for p in problems)
    by = {p.device: p for p in problems}
    assert by["N2"].name == "alpha" and by["N2"].value == 2.0
    assert "model type" in str(by["N9"])


def test_spec_table_lists_every_parameter():
    table = spec_table(resonator.SPECS)
    for s in resonator.SPECS:
        assert f"`{s.name}`" in table


def test_validate_flat_on_a_parsed_netlist():
    from spinnet.netlist import flatten, parse
    text = """t
V1 a 0 TONES(1g 0.1 0; 1.01g 0.05 0)
R1 a b 0
N1 b c res1 fr=1
N2 c 0 res1 o=-1
N5 d 0 osc1
R2 d 0 1k
NFL1 e 0 fl1 targets="N1 N2"
R3 e 0 10
D1 a 0 dm area=2
.model res1 sdr(alpha=0.01 k=8.8k)
.model osc1 stno(ith=-1u)
.model fl1 fline(w=1u)
.model dm D(is=1e-14 cj0=1p)
.end
"""
    problems = registry.validate_flat(flatten(parse(text, file="t.cir")))
    assert [(p.device, p.name) for p in problems] == [("R1", "value"), ("N1", "fr"),
                                                       ("N5", "ith")]
    assert all(p.loc is not None and p.loc.file == "t.cir" for p in problems)
    assert [p.loc.line for p in problems] == [3, 4, 6]


def test_generated_device_tables_are_current():
    # docs/netlist.md and docs/devices.md carry tables generated from the ParamSpecs; a
    # parameter change without `python -m spinnet.devices.doc` must fail here

    from spinnet.devices import doc
    docs = ROOT / "docs"
    assert doc.main(["--check", "--docs", str(docs)]) == 0
    text = (docs / "devices.md").read_text(encoding="utf-8")
    for _, specs in doc.sections():
        for s in specs:
            assert f"`{s.name}`" in text
