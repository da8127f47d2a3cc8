"""``PlanCache``: the component-wise transient reuses its plan across circuits that
differ only in source and oscillator values (the images of an evaluation).

The reference is the same run planned from scratch: reusing the plan must give the same
discrete equations, so the signals are compared bitwise.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from compiler_tiny import images, tiny_spec

from spinnet.compiler import compile_model
from spinnet.engine.bound import flat_circuit
from spinnet.engine.tran_components import PlanCache, tran_components

PROBES = ["v(c2_0_e)", "v(c2_1_e)", "v(c1_0_e)"]
RUN = dict(tstep=5e-12, tstop=3e-10)


@pytest.fixture(scope="module")
def net():
    nl, _ = compile_model(tiny_spec(seed=0))
    return nl


def _flat(nl, image, c0=None):
    x = images(3)[image].ravel() / 255.0
    flat = flat_circuit(nl, {n: float(x[int(n[1:])]) for n in nl.inputs})
    if c0 is not None:   # oscillators started elsewhere, as the network check seeds them
        flat = dataclasses.replace(flat, elements=[
            dataclasses.replace(e, params={**e.params, "c0": c0})
            if (e.model_type or "").lower() == "stno" else e for e in flat.elements])
    return flat


def _run(flat, cache=None):
    return tran_components(flat, RUN["tstep"], RUN["tstop"], save=PROBES, newton="once",
                           hold=1e-10, plan_cache=cache)


def _same_signals(a, b):
    assert a.signals.keys() == b.signals.keys()
    for k in a.signals:
        assert np.array_equal(np.asarray(a.signals[k]), np.asarray(b.signals[k])), k


def test_other_pixels_and_oscillator_starts_reuse_the_plan_exactly(net):
    cache = PlanCache()
    first = _run(_flat(net, 0), cache)
    assert not first.meta["plan_reused"]
    flat_b = _flat(net, 1, c0=0.3)
    again = _run(flat_b, cache)
    assert again.meta["plan_reused"] and cache.hits == 1
    fresh = _run(flat_b)
    _same_signals(again, fresh)
    # the images differ at the outputs: the reuse did not keep the first image's values
    assert not np.array_equal(np.asarray(again.signals["v(c2_0_e)"]),
                              np.asarray(first.signals["v(c2_0_e)"]))
    # and the stored plan is not changed by the runs that use it
    back = _run(_flat(net, 0), cache)
    assert back.meta["plan_reused"]
    _same_signals(back, first)


def test_other_values_plan_from_scratch(net):
    cache = PlanCache()
    flat = _flat(net, 0)
    _run(flat, cache)
    # a resistor's value enters its level's elaboration and may enter the partition's
    # decisions: not reused
    k = next(i for i, e in enumerate(flat.elements) if e.kind.upper() == "R")
    els = list(flat.elements)
    els[k] = dataclasses.replace(els[k], value=float(els[k].value) * 1.5)
    changed = dataclasses.replace(flat, elements=els)
    res = _run(changed, cache)
    assert not res.meta["plan_reused"] and cache.misses == 2
    _same_signals(res, _run(changed))
    # another step: not reused either
    other = tran_components(changed, 2.5e-12, RUN["tstop"], save=PROBES, newton="once",
                            hold=1e-10, plan_cache=cache)
    assert not other.meta["plan_reused"]
