"""ONNX import/export (optional extra), checked against onnx's own reference evaluator."""

import numpy as np
import pytest

from spinnet.errors import DataError
from spinnet.nn import HardwareModel
from spinnet.nn.model import default_model_path
from spinnet.nn.onnx_import import export_onnx, import_onnx

onnx = pytest.importorskip("onnx")
from onnx.reference import ReferenceEvaluator  # noqa: E402


@pytest.fixture(scope="module")
def baseline():
    return HardwareModel.load(default_model_path().with_name("baseline.npz"))


def test_onnx_reference_evaluator_agrees_with_spinnet(baseline, tmp_path):
    path = tmp_path / "b.onnx"
    export_onnx(baseline, path)
    x = np.random.default_rng(0).random((16, 28, 28))
    # onnx's evaluator computes NCHW convolutions independently of spinnet's im2col
    ref = ReferenceEvaluator(str(path)).run(None, {"input": x[:, None].astype(np.float32)})[0]
    # weights stored as float32 in the ONNX file: ~1e-6 relative per product, logits O(10)
    np.testing.assert_allclose(baseline.forward(x), ref, rtol=1e-4, atol=1e-4)
    back = import_onnx(path)
    np.testing.assert_allclose(back.forward(x), ref, rtol=1e-4, atol=1e-4)
    assert [s["type"] for s in back.layers] == [s["type"] for s in baseline.layers]


def test_bad_onnx_files(tmp_path):
    p = tmp_path / "garbage.onnx"
    p.write_bytes(b"\x08\x07garbage that is not a protobuf" * 3)
    with pytest.raises(DataError):
        import_onnx(p)
    with pytest.raises(DataError, match="not found"):
        import_onnx(tmp_path / "missing.onnx")


def test_unsupported_operator(tmp_path):
    h = onnx.helper
    w = onnx.numpy_helper.from_array(np.ones((4, 1, 3, 3), np.float32), "w")
    nodes = [h.make_node("Conv", ["input", "w"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             h.make_node("Sigmoid", ["y"], ["z"])]
    g = h.make_graph(nodes, "g", [h.make_tensor_value_info("input", onnx.TensorProto.FLOAT,
                                                           ["N", 1, 28, 28])],
                     [h.make_tensor_value_info("z", onnx.TensorProto.FLOAT, ["N", 4, 28, 28])], [w])
    path = tmp_path / "pad.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), str(path))
    with pytest.raises(DataError, match="unpadded"):
        import_onnx(path)
    # the same graph without padding gets past the Conv and stops at the Sigmoid
    nodes[0] = h.make_node("Conv", ["input", "w"], ["y"], kernel_shape=[3, 3])
    g = h.make_graph(nodes, "g", [h.make_tensor_value_info("input", onnx.TensorProto.FLOAT,
                                                           ["N", 1, 28, 28])],
                     [h.make_tensor_value_info("z", onnx.TensorProto.FLOAT, ["N", 4, 26, 26])],
                     [w])
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), str(path))
    with pytest.raises(DataError, match="Sigmoid"):
        import_onnx(path)
