"""Model semantics, files and reproducibility."""

import json
import zipfile

import numpy as np
import pytest

from spinnet.errors import DataError, ParameterError
from spinnet.nn import physics
from spinnet.nn.layers import col2im, im2col
from spinnet.nn.model import DEFAULT_PHYS, HardwareModel
from spinnet.nn.train import Net, build_specs, train

ARCH = [{"type": "conv", "name": "c1", "out_ch": 2, "k": 5, "stride": 2},
        {"type": "conv", "name": "c2", "out_ch": 3, "k": 3, "stride": 2},
        {"type": "dense", "name": "fc", "n_out": 10}]


def _images(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28)).astype(np.uint8)


def _labels(n, seed=0):
    return np.random.default_rng(seed + 1).integers(0, 10, n).astype(np.uint8)


@pytest.fixture(scope="module")
def small():
    return train(_images(64), _labels(64), epochs=1, batch=32, arch=ARCH, seed=3)


def test_im2col_matches_direct_convolution():
    rng = np.random.default_rng(0)
    x = rng.random((2, 12, 12, 3))
    w = rng.random((4, 3, 3, 3))  # (C_out, ky, kx, c)
    cols = im2col(x, 3, 2)
    y = cols @ w.reshape(4, -1).T
    for oy in range(5):
        for ox in range(5):
            ref = np.einsum("nijc,oijc->no", x[:, 2 * oy: 2 * oy + 3, 2 * ox: 2 * ox + 3], w)
            np.testing.assert_allclose(y[:, oy, ox], ref, rtol=1e-12)


def test_col2im_is_adjoint_of_im2col():
    rng = np.random.default_rng(1)
    x = rng.random((2, 12, 12, 3))
    g = rng.random((2, 5, 5, 27))
    # <im2col(x), g> == <x, col2im(g)> to round-off
    lhs = np.sum(im2col(x, 3, 2) * g)
    rhs = np.sum(x * col2im(g, x.shape, 3, 2))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_forward_is_the_device_physics(small):
    """Scores recomputed by hand, chain by chain, from weight() and activation().

    Conv junctions are fabricated at the layer's tone and tuned by a field line (the
    compiler's geometry), dense ones fabricated at their resonance."""
    m = small
    p = m.phys
    img = _images(1, seed=7)
    a = img[0].astype(float)[..., None] / 255 * p["p_in"]
    for spec in m.layers:
        nm = spec["name"]
        fab = spec["f_in"] if spec["type"] == "conv" else None
        W = physics.weight(spec["f_in"], m.params[f"{nm}.fr"], p["alpha"], p["K"], p["s"],
                           m.params[f"{nm}.o"], fab)
        wb = physics.weight(spec["f_in"], m.params[f"{nm}.fr_bias"], p["alpha"], p["K"],
                            p["s"], m.params[f"{nm}.o_bias"], fab)
        if spec["type"] == "conv":
            k, s = spec["k"], spec["stride"]
            ho, wo = spec["out_hw"]
            V = np.zeros((ho, wo, spec["out_ch"]))
            for y in range(ho):
                for x in range(wo):
                    patch = a[s * y: s * y + k, s * x: s * x + k, :].ravel()
                    for j in range(spec["out_ch"]):
                        V[y, x, j] = sum(patch[i] * W[j, i] for i in range(len(patch))) \
                            + p["p_bias"] * wb[j]
        else:
            V = W @ a.ravel() + p["p_bias"] * wb
        if spec["activation"]:
            a = physics.activation(V, spec["gm"], spec["vbias"], p["A"], p["R"], p["Q"],
                                   p["Ith"], p["imax"])
        else:
            a = V
    # float64 sums in a different order: 1e-12 relative is round-off
    np.testing.assert_allclose(m.forward(img)[0], a, rtol=1e-10, atol=1e-15)


def test_spread_forward_matches_per_device_loop(small):
    """forward(spread=...) == a loop building each position's chain from realise()."""
    m = small
    p = m.phys
    img = _images(2, seed=9)
    real = m.realise(0.02, seed=5)
    out = []
    for n in range(2):
        a = img[n].astype(float)[..., None] / 255 * p["p_in"]
        for li, spec in enumerate(m.layers):
            r = real[li]
            if spec["type"] == "conv":
                k, s = spec["k"], spec["stride"]
                ho, wo = spec["out_hw"]
                patches = [a[s * y: s * y + k, s * x: s * x + k, :].ravel()
                           for y in range(ho) for x in range(wo)]
            else:
                ho = wo = 1
                patches = [a.ravel()]
            V = np.zeros((len(patches), r["fr"].shape[1]))
            nm = spec["name"]
            for q, patch in enumerate(patches):
                # a tuned (conv) junction is fabricated at f_in plus its own spread
                fab = fab_b = None
                if spec["type"] == "conv":
                    fab = spec["f_in"] + r["fr"][q] - m.params[f"{nm}.fr"]
                    fab_b = spec["f_in"] + r["fr_bias"][q] - m.params[f"{nm}.fr_bias"]
                W = physics.weight(spec["f_in"], r["fr"][q], p["alpha"], p["K"], p["s"],
                                   m.params[f"{nm}.o"], fab)
                wb = physics.weight(spec["f_in"], r["fr_bias"][q], p["alpha"], p["K"], p["s"],
                                    m.params[f"{nm}.o_bias"], fab_b)
                V[q] = W @ patch + p["p_bias"] * wb
                if spec["activation"]:
                    V[q] = physics.activation(V[q], spec["gm"], spec["vbias"], r["A"][q],
                                              r["R"][q], r["Q"][q], r["Ith"][q], p["imax"])
            a = V.reshape(ho, wo, -1)
        out.append(a.ravel())
    np.testing.assert_allclose(m.forward(img, spread=0.02, seed=5), np.array(out),
                               rtol=1e-10, atol=1e-15)
    # a different seed is a different chip; the same seed the same chip
    assert not np.allclose(m.forward(img, spread=0.02, seed=6), out)
    np.testing.assert_array_equal(m.forward(img, spread=0.02, seed=5),
                                  m.forward(img, spread=0.02, seed=5))


def test_sequential_spread_shares_devices_across_positions(small):
    real = small.realise(0.01, seed=1, scheme="sequential")
    assert all(r["fr"].shape[0] == 1 for r in real)
    real_p = small.realise(0.01, seed=1, scheme="parallel")
    assert real_p[0]["fr"].shape[0] == 144


def test_net_forward_equals_model_forward():
    rng = np.random.default_rng(2)
    net = Net(build_specs(ARCH, DEFAULT_PHYS), DEFAULT_PHYS, "hardware", rng, dtype=np.float64)
    x = rng.random((3, 28, 28))
    scores, _ = net.forward(x)
    model = net.to_model({})
    # the trainer's logits are the chain voltages in units of K * p_in; float64 round-off
    np.testing.assert_allclose(scores * DEFAULT_PHYS["K"] * DEFAULT_PHYS["p_in"],
                               model.forward(x), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("kind", ["hardware", "baseline"])
def test_same_seed_same_model(kind):
    kw = dict(epochs=1, batch=32, arch=ARCH, kind=kind)
    a = train(_images(64), _labels(64), seed=11, **kw)
    b = train(_images(64), _labels(64), seed=11, **kw)
    c = train(_images(64), _labels(64), seed=12, **kw)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert any(not np.array_equal(a.params[k], c.params[k]) for k in a.params)


def test_save_load_round_trip(small, tmp_path):
    path = tmp_path / "m.npz"
    small.save(path)
    back = HardwareModel.load(path)
    assert back.arch == small.arch
    for k in small.params:
        np.testing.assert_array_equal(back.params[k], small.params[k])
    img = _images(4)
    np.testing.assert_array_equal(back.forward(img), small.forward(img))


def _rewrite(src, dst, change):
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    np.savez(dst, **arrays)


def _set(key, value):
    def f(a):
        a[key] = value
    return f


def _arch(mutate):
    def f(a):
        arch = json.loads(str(a["arch"]))
        mutate(arch)
        a["arch"] = np.array(json.dumps(arch))
    return f


@pytest.mark.parametrize("change, match", [
    (_set("c1.fr", np.ones((3, 25))), "shape"),
    (_set("c1.fr", np.ones((2, 25), dtype=np.float32)), "dtype"),
    (_set("c1.fr", np.full((2, 25), np.nan)), "NaN"),
    (_set("c1.fr", -np.ones((2, 25))), "non-positive"),
    (_set("c1.o", np.full((2, 25), 0.5)), "orientation"),
    (_set("arch", np.array("{not json")), "JSON"),
    (_set("arch", np.array([1.0, 2.0])), "arch"),
    (lambda a: a.pop("fc.fr_bias"), "missing"),
    (_set("extra", np.zeros(3)), "unexpected"),
    (_arch(lambda d: d.update(version=99)), "version"),
    (_arch(lambda d: d.pop("response")), "lorentzian .*retrain"),
    (_arch(lambda d: d.update(response="lorentzian")), "'lorentzian'.*retrain"),
    (_arch(lambda d: d["layers"][0].update(k=4)), "malformed"),
    (_arch(lambda d: d["phys"].update(alpha=-1.0)), "malformed"),
    (_arch(lambda d: d.pop("layers")), "malformed"),
])
def test_corrupted_model_files_raise_data_error(small, tmp_path, change, match):
    good = tmp_path / "good.npz"
    small.save(good)
    bad = tmp_path / "bad.npz"
    _rewrite(good, bad, change)
    with pytest.raises(DataError, match=match):
        HardwareModel.load(bad)


def test_truncated_garbage_and_pickled_files(small, tmp_path):
    good = tmp_path / "good.npz"
    small.save(good)
    raw = good.read_bytes()
    for name, data in (("trunc.npz", raw[: len(raw) // 2]), ("garbage.npz", b"\x00" * 100),
                       ("empty.npz", b"")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DataError):
            HardwareModel.load(tmp_path / name)
    # an object array inside the zip needs a pickle: it must be refused, never unpickled
    pick = tmp_path / "pickled.npz"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(pick, "w") as zout:
        for item in zin.namelist():
            zout.writestr(item, zin.read(item))
        import io
        buf = io.BytesIO()
        np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
        zout.writestr("payload.npy", buf.getvalue())
    with pytest.raises(DataError):
        HardwareModel.load(pick)
    with pytest.raises(DataError, match="not found"):
        HardwareModel.load(tmp_path / "missing.npz")


def test_bad_forward_arguments(small):
    with pytest.raises(DataError):
        small.forward(np.zeros((2, 27, 28), np.uint8))
    with pytest.raises(DataError):
        small.forward(np.full((1, 28, 28), 2.0))
    with pytest.raises(ParameterError, match="seed"):
        small.forward(_images(1), spread=0.01)
    with pytest.raises(ParameterError, match="spread"):
        small.forward(_images(1), spread=-0.1, seed=0)
    with pytest.raises(ParameterError, match="scheme"):
        small.forward(_images(1), scheme="diagonal")
    with pytest.raises(ParameterError, match="batch"):
        small.forward(_images(1), batch=0)


def test_counts_formula(small):
    c = small.counts()
    # conv 5x5/2 (1->2): 12x12 positions, 2 chains each of 25 + 1 bias resonators
    assert c["layers"][0]["resonators"] == 144 * 2 * 26
    assert c["layers"][1]["resonators"] == 25 * 3 * (9 * 2 + 1)
    assert c["layers"][2]["resonators"] == 10 * (75 + 1)
    assert c["oscillators"] == 144 * 2 + 25 * 3
    s = small.counts("sequential")
    assert s["layers"][0]["chains"] == 2 and s["layers"][0]["time_steps"] == 144


N_FLIPS = int(__import__("os").environ.get("SPINNET_FLIPS", 200))


def test_byte_flipped_model_files_never_escape(small, tmp_path):
    """Random corruption of a model file: it loads (and validates) or raises DataError."""
    good = tmp_path / "good.npz"
    small.save(good)
    raw = bytearray(good.read_bytes())
    rng = np.random.default_rng(0)
    bad = tmp_path / "bad.npz"
    outcomes = {"loaded": 0, "DataError": 0}
    for _ in range(N_FLIPS):
        data = bytearray(raw)
        for pos in rng.integers(0, len(data), rng.integers(1, 4)):
            data[pos] = rng.integers(0, 256)
        if rng.random() < 0.3:
            data = data[: rng.integers(0, len(data))]
        bad.write_bytes(bytes(data))
        try:
            HardwareModel.load(bad)
            outcomes["loaded"] += 1
        except DataError:
            outcomes["DataError"] += 1
    assert outcomes["DataError"] > 100  # most corruptions are caught (zip CRCs, validation)
