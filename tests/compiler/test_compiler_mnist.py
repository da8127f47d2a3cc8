"""Compiler: the shipped hardware model, compiled, against the same model in software."""

from __future__ import annotations

import os

import numpy as np
import pytest

from spinnet.compiler import compile_model, evaluate, from_model, load_model, reference
from spinnet.compiler.spread import draw
from spinnet.netlist import parse, write


@pytest.fixture(scope="module")
def model():
    return load_model()


def test_compiled_counts_match_the_model_and_the_formulas(model):
    for scheme in ("parallel", "sequential"):
        nl, rep = compile_model(model, scheme=scheme)
        want = model.counts(scheme)
        assert rep.totals["resonators"] == want["resonators"]
        assert [r.chains for r in rep.layers] == [r["chains"] for r in want["layers"]]
        assert [r.time_steps for r in rep.layers] == [r["time_steps"] for r in want["layers"]]
        n_res = sum(1 for e in nl.elements.values()
                    if e.kind == "N" and e.name.upper().startswith("N")
                    and e.model and e.model.lower().startswith("sdr"))
        assert n_res == want["resonators"]
    nl, rep = compile_model(model)
    # conv1: 12*12*8 chains of 5*5*1 (+1 bias); conv2: 5*5*32 chains of 3*3*8 (+1)
    assert (rep.layers[0].chains, rep.layers[0].resonators_per_chain) == (1152, 26)
    assert (rep.layers[1].chains, rep.layers[1].resonators_per_chain) == (800, 73)
    # one field line per shared weight and per channel bias
    assert rep.layers[0].field_lines == 8 * 25 + 8
    assert rep.layers[1].field_lines == 32 * 72 + 32
    assert len(nl.inputs) == 784 and len(nl.outputs) == 10


def test_spread_draw_is_the_models_own(model):
    spec = from_model(model)
    for scheme in ("parallel", "sequential"):
        mine, theirs = draw(spec, 0.01, 11, scheme), model.realise(0.01, 11, scheme)
        for a, b in zip(mine, theirs, strict=True):
            assert a.keys() == b.keys()
            for k in a:
                np.testing.assert_array_equal(a[k], b[k])


def test_realised_weights_reproduce_the_software_model(model):
    """Weights read back from the netlist (field lines included) give the model's scores."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (20, 28, 28)).astype(np.uint8)
    spec = from_model(model)
    for kw in ({}, {"spread": 0.01, "seed": 3}):
        _, rep = compile_model(model, **kw)
        got = reference.forward(spec, x, weights=rep.realised)
        want = model.forward(x, **kw)
        # float64 rounding of fr_nominal + shift(I): ~1e-16 relative
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * np.max(np.abs(want)))


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("SPINNET_DATA"), reason="SPINNET_DATA not set")
def test_netlist_agrees_with_software_on_mnist_slice(model):
    from spinnet.data import mnist
    images, labels = mnist.load("test")
    images = images[:100]
    nl, _ = compile_model(model)
    nl = parse(write(nl))             # what `spinnet compile` writes and `eval` reads
    got = evaluate(nl, images, batch=100)
    want = model.forward(images)
    # steady engine vs software: the engine's GMIN (1e-12 S per node, as SPICE) leaks
    # current out of the 801-junction output chains (1 kOhm each): ~ r0 N^2 GMIN V / 2 =
    # 3e-5 V of a 0.2 V score range (measured 2.5e-4 relative); 1e-3 leaves margin
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-3 * np.max(np.abs(want)))
    assert np.array_equal(got.argmax(1), want.argmax(1))
