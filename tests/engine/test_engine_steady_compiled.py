"""The steady state on the compiled default network (the structure MNIST evaluation uses).

Pixel tone lines, 4-terminal resonator chains with bias tees, G + STNO neurons with
coupling capacitors, field lines tuning shared weights: the netlist's class scores must
equal the compiler's numpy reference forward pass of the same (realised) model.  Random
images (no dataset needed).  Tolerance: 1e-3 of the largest score -- the GMIN leaks of
floating chain nodes (1e-12 S against 1 kOhm junctions, ~1e-5 relative) and the
field-line linearisation the reference shares; a wrong sign, weight or power would be
off by order 1.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.slow
def test_compiled_default_network_matches_reference_forward():
    api = pytest.importorskip("spinnet.compiler.api")
    spec_mod = pytest.importorskip("spinnet.compiler.adapt")
    ref_mod = pytest.importorskip("spinnet.compiler.reference")
    try:
        model = api.load_model()
    except Exception as exc:  # noqa: BLE001 - no shipped model in this checkout
        pytest.skip(f"no default model: {exc}")
    nl, _ = api.compile_model(model)
    rng = np.random.default_rng(0)
    images = (rng.random((6, 28, 28)) ** 3 * 255).astype(np.uint8)
    scores = api.evaluate(nl, images)
    ref = ref_mod.forward(spec_mod.from_model(model), images)
    assert scores.shape == ref.shape
    scale = np.max(np.abs(ref))
    assert scale > 0
    np.testing.assert_allclose(scores, ref, rtol=0, atol=1e-3 * scale)
