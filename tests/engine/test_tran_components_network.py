"""The component-wise transient on a compiled network (tests/compiler_tiny.py) against the
monolithic one, and the memory its level matrices take.

Tolerance 1e-8 of each signal's range: the same discrete equations on the same grid
(see test_tran_components.py); the network adds the kernel-device Newton of the
field-line-shifted junctions and oscillators (:mod:`spinnet.engine.implicit_dev`),
which stops on a state change below ``reltol`` = 1e-6 relative; measured differences
are ~1e-9 of the outputs' range at 400 steps.
"""

from __future__ import annotations

import numpy as np
import pytest
from compiler_tiny import images, tiny_spec

from spinnet.compiler import compile_model
from spinnet.engine import mna
from spinnet.engine.bound import bind_circuit, flat_circuit
from spinnet.engine.components import DRIVE, FLINE, VCCS, VCVS, partition
from spinnet.engine.elaborate import elaborate
from spinnet.engine.tran import tran
from spinnet.engine.tran_components import tran_components


@pytest.fixture(scope="module")
def tiny_flat():
    nl, _ = compile_model(tiny_spec(seed=0))
    x = images(1)[0].ravel() / 255.0
    return nl, flat_circuit(nl, {n: float(x[int(n[1:])]) for n in nl.inputs})


def _band_bytes(s) -> int:
    kl, ku = int(s.arrays.dims[mna.DKL]), int(s.arrays.dims[mna.DKU])
    return s.n * (2 * kl + ku + 1) * 8


def test_network_components_are_layers_of_chains_and_oscillators(tiny_flat):
    _nl, flat = tiny_flat
    part = partition(bind_circuit(flat, bind_params=False))
    kinds = {c.kind for c in part.couplings}
    assert kinds == {DRIVE, FLINE, VCCS, VCVS}
    assert not part.merged
    # pixel/bias/field lines -> layer-1 chains -> oscillators -> (their buffers into)
    # layer-2 lines -> layer-2 chains
    assert len(part.levels) == 5


def test_level_matrices_are_a_fraction_of_the_monolithic_band(tiny_flat):
    _nl, flat = tiny_flat
    mono = elaborate(flat, 5e-12, 1e-9)
    res = tran_components(flat, 5e-12, 2e-11, save=["v(c2_0_e)"])
    assert res.meta["bandwidth"] < 64
    n = res.meta["level_unknowns"]
    bw = res.meta["level_bandwidth"]
    # band storage of band_lu: n x (2 kl + ku + 1) <= n x (2 bw) per level
    levels_bytes = sum(2 * a * b * 8 for a, b in zip(n, bw, strict=True))
    assert levels_bytes * 5 < _band_bytes(mono)   # measured 1.7 MB vs 12.3 MB


@pytest.mark.slow
def test_tiny_network_equals_monolithic(tiny_flat):
    nl, flat = tiny_flat
    probes = list(nl.outputs.values()) + ["v(s1_0)", "state(no1_0,p)", "v(r1_0)",
                                          "state(n2_0_0,r)", "i(n1_0_0,drive)"]
    mono = tran(flat, 5e-12, 1e-9, save=probes)
    comp = tran_components(flat, 5e-12, 1e-9, save=probes)
    np.testing.assert_array_equal(mono.time, comp.time)
    for k, u in mono.signals.items():
        scale = max(float(np.max(np.abs(u))), 1e-30)
        assert float(np.max(np.abs(u - comp.signals[k]))) <= 1e-8 * scale, k


def test_level_pieces_and_threads_do_not_change_the_result(tiny_flat, monkeypatch):
    """Levels split into pieces (:func:`split_levels`) integrate the same block-diagonal
    equations: against the unsplit run to the Newton tolerance (each piece stops on its
    own components, 1e-9 of each signal's range), and bit for bit whatever the number of
    threads that runs the pieces."""
    from spinnet.engine import tran_components as tc

    nl, flat = tiny_flat
    probes = list(nl.outputs.values()) + ["v(s1_0)", "state(n2_0_0,r)", "i(n1_0_0,drive)",
                                          "v(r1_1)"]
    whole = tran_components(flat, 5e-12, 2e-10, save=probes, threads=1)
    monkeypatch.setattr(tc, "PIECE_ELEMENTS", 40)
    part = partition(bind_circuit(flat, bind_params=False))
    split, stage = tc.split_levels(part)
    # every level of more than 40 elements is split, in order, nothing lost or repeated
    assert len(split.levels) > len(part.levels)
    assert stage == sorted(stage) and len(set(stage)) == len(part.levels)
    for d, comps in enumerate(part.levels):
        pieces = [c for lv, st in zip(split.levels, stage, strict=True) if st == d
                  for c in lv]
        assert pieces == list(comps)
    one = tran_components(flat, 5e-12, 2e-10, save=probes, threads=1)
    two = tran_components(flat, 5e-12, 2e-10, save=probes, threads=2)
    assert one.meta["levels"] == len(split.levels) and two.meta["threads"] == 2
    for k, u in whole.signals.items():
        np.testing.assert_array_equal(one.signals[k], two.signals[k])
        scale = max(float(np.max(np.abs(u))), 1e-30)
        assert float(np.max(np.abs(u - one.signals[k]))) <= 1e-9 * scale, k
    # unfolded, a field line's targets spread over several pieces: one copy per piece
    bc = bind_circuit(flat, bind_params=False)
    pieces_of: dict[str, list[int]] = {}
    for lev in tc._plan_levels(bc, split, fold=False):
        for el in lev.flat.elements:
            if str(el.name).endswith("#fl"):
                pieces_of.setdefault(str(el.name), []).append(lev.index)
    assert any(len(v) > 1 for v in pieces_of.values())
    monkeypatch.setattr(tc, "PIECE_ELEMENTS", 10**9)
    whole = tran_components(flat, 5e-12, 1e-10, save=probes, threads=1, fold=False)
    monkeypatch.setattr(tc, "PIECE_ELEMENTS", 40)
    two = tran_components(flat, 5e-12, 1e-10, save=probes, threads=2, fold=False)
    assert two.meta["levels"] > whole.meta["levels"]
    for k, u in whole.signals.items():
        scale = max(float(np.max(np.abs(u))), 1e-30)
        assert float(np.max(np.abs(u - two.signals[k]))) <= 1e-9 * scale, k
