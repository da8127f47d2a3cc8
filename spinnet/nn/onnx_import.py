"""Import a float CNN from ONNX (optional extra ``spinnet[onnx]``).

Supported graphs are the chains spinnet's networks are made of: ``Conv`` (square kernel,
no padding, no dilation, no groups, with or without bias) and ``Relu`` repeated, then
``Flatten`` (or ``Reshape`` to ``(N, -1)``) and ``Gemm`` / ``MatMul`` (+ ``Add``) layers with
``Relu`` between them, the last one giving the 10 class scores.  The input is a
``(N, 1, 28, 28)`` tensor of pixels in [0, 1].  The result is a ``baseline``-kind
:class:`~spinnet.nn.model.HardwareModel` (float weights, ReLU): ONNX's NCHW layout is
converted to spinnet's NHWC conventions (conv taps in ``(ky, kx, c)`` order, dense inputs
flattened ``(y, x, c)``), so ``forward`` gives the same logits as the ONNX graph.

Anything else -- a corrupted file, external tensor data, an unsupported operator or
attribute -- raises :class:`~spinnet.errors.DataError` naming the node.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import DataError
from .layers import make_specs
from .model import FORMAT, VERSION, HardwareModel


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise DataError("reading ONNX files needs the optional extra: pip install "
                        "'spinnet[onnx]'") from None
    return onnx, numpy_helper


def _attrs(node, onnx) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def import_onnx(path: str | os.PathLike) -> HardwareModel:
    """Read an ONNX CNN into a ``baseline`` :class:`HardwareModel` (see module docstring)."""
    onnx, numpy_helper = _onnx()
    where = str(path)
    try:
        proto = onnx.load(str(path), load_external_data=False)
        onnx.checker.check_model(proto)
    except FileNotFoundError:
        raise DataError(f"{where}: file not found") from None
    except Exception as exc:  # noqa: BLE001 - protobuf/checker raise many unrelated types
        raise DataError(f"{where}: not a valid ONNX model ({type(exc).__name__}: "
                        f"{str(exc)[:200]})") from None
    g = proto.graph
    inits = {}
    for t in g.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            raise DataError(f"{where}: tensor {t.name!r} stored as external data (refused)")
        inits[t.name] = numpy_helper.to_array(t).astype(np.float64)
    inputs = [i for i in g.input if i.name not in inits]
    if len(inputs) != 1:
        raise DataError(f"{where}: expected one data input, found {[i.name for i in inputs]}")
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    if dims[1:] != [1, 28, 28]:
        raise DataError(f"{where}: input shape {dims}, expected (N, 1, 28, 28)")

    arch, params = [], {}
    hw, ch, flat = (28, 28), 1, None
    pending = None  # the last linear layer, waiting for an optional Add / Relu
    for node in g.node:
        op = node.op_type
        a = _attrs(node, onnx)
        tag = f"{where}: node {node.name or op!r} ({op})"
        if op == "Conv":
            if flat is not None:
                raise DataError(f"{tag}: convolution after Flatten")
            W = _init(inits, node.input[1], tag)
            if W.ndim != 4 or W.shape[1] != ch or W.shape[2] != W.shape[3]:
                raise DataError(f"{tag}: weight shape {W.shape} unsupported")
            k = W.shape[2]
            strides = list(a.get("strides", [1, 1]))
            if (any(a.get("pads", [0, 0, 0, 0])) or a.get("group", 1) != 1
                    or any(d != 1 for d in a.get("dilations", [1, 1]))
                    or strides[0] != strides[1] or a.get("auto_pad", b"NOTSET") not in
                    (b"NOTSET", b"VALID", "NOTSET", "VALID")):
                raise DataError(f"{tag}: only unpadded, undilated, ungrouped convolutions "
                                f"with equal strides are supported ({a})")
            b = _init(inits, node.input[2], tag) if len(node.input) > 2 else np.zeros(len(W))
            nm = f"l{len(arch)}"
            arch.append({"type": "conv", "name": nm, "out_ch": int(W.shape[0]), "k": int(k),
                         "stride": int(strides[0])})
            params[f"{nm}.w"] = W.transpose(0, 2, 3, 1).reshape(len(W), -1)
            params[f"{nm}.b"] = b
            hw = ((hw[0] - k) // strides[0] + 1, (hw[1] - k) // strides[0] + 1)
            ch = int(W.shape[0])
            pending = nm
        elif op in ("Flatten", "Reshape"):
            if flat is not None:
                raise DataError(f"{tag}: second flatten")
            flat = (hw[0], hw[1], ch)
        elif op in ("Gemm", "MatMul"):
            if flat is None:
                flat = (hw[0], hw[1], ch) if not arch or arch[-1]["type"] == "conv" else None
            W = _init(inits, node.input[1], tag)
            if op == "Gemm":
                if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or a.get("transA", 0):
                    raise DataError(f"{tag}: only alpha = beta = 1, transA = 0 supported")
                if not a.get("transB", 0):
                    W = W.T
                b = _init(inits, node.input[2], tag) if len(node.input) > 2 else np.zeros(len(W))
            else:
                W, b = W.T, np.zeros(W.shape[1])
            n_in = W.shape[1]
            nm = f"l{len(arch)}"
            if arch and arch[-1]["type"] == "conv":
                # ONNX flattens NCHW as (c, y, x); spinnet flattens NHWC as (y, x, c)
                h, w_, c = flat
                if n_in != h * w_ * c:
                    raise DataError(f"{tag}: {n_in} inputs but the previous layer has "
                                    f"{h * w_ * c}")
                W = W.reshape(len(W), c, h, w_).transpose(0, 2, 3, 1).reshape(len(W), -1)
            arch.append({"type": "dense", "name": nm, "n_out": int(W.shape[0])})
            params[f"{nm}.w"], params[f"{nm}.b"] = W, b
            pending = nm
        elif op == "Add":
            if pending is None:
                raise DataError(f"{tag}: Add without a preceding linear layer")
            params[f"{pending}.b"] = params[f"{pending}.b"] + _init(inits, node.input[1], tag)
        elif op == "Relu":
            if pending is None:
                raise DataError(f"{tag}: Relu without a preceding linear layer")
            arch[-1]["_relu"] = True
            pending = None
        else:
            raise DataError(f"{tag}: operator not supported (Conv, Relu, Flatten, Reshape, "
                            f"Gemm, MatMul, Add)")
    if not arch or arch[-1]["type"] != "dense":
        raise DataError(f"{where}: the graph must end with a dense (Gemm/MatMul) layer")
    for i, item in enumerate(arch):
        last = i == len(arch) - 1
        if item.pop("_relu", False) == last:
            raise DataError(f"{where}: layer {i} must {'not ' if last else ''}be followed "
                            f"by Relu (hidden layers ReLU, class scores linear)")
    try:
        specs = make_specs(arch)
    except ValueError as exc:
        raise DataError(f"{where}: {exc}") from None
    model = HardwareModel({"format": FORMAT, "version": VERSION, "kind": "baseline",
                           "input": {"shape": [28, 28]}, "layers": specs,
                           "phys": {"p_in": 1e-6}, "training": {"imported_from": where}},
                          params)
    model.validate(where)
    return model


def _init(inits: dict, name: str, tag: str) -> np.ndarray:
    if name not in inits:
        raise DataError(f"{tag}: {name!r} is not a constant initializer")
    return inits[name]


def export_onnx(model: HardwareModel, path: str | os.PathLike) -> None:
    """Write a ``baseline`` model as an ONNX graph (the inverse of :func:`import_onnx`)."""
    onnx, numpy_helper = _onnx()
    from ..io import atomic_open

    if model.kind != "baseline":
        raise DataError("only baseline (float ReLU) models can be exported to ONNX")
    h = onnx.helper
    nodes, inits = [], []
    cur = "input"
    for i, spec in enumerate(model.layers):
        nm = spec["name"]
        W, b = model.params[f"{nm}.w"], model.params[f"{nm}.b"]
        if spec["type"] == "conv":
            k, c = spec["k"], spec["in_ch"]
            Wo = W.reshape(len(W), k, k, c).transpose(0, 3, 1, 2)
            inits += [numpy_helper.from_array(Wo.astype(np.float32), f"{nm}.w"),
                      numpy_helper.from_array(b.astype(np.float32), f"{nm}.b")]
            nodes.append(h.make_node("Conv", [cur, f"{nm}.w", f"{nm}.b"], [f"{nm}.y"],
                                     kernel_shape=[k, k], strides=[spec["stride"]] * 2,
                                     name=nm))
        else:
            if i and model.layers[i - 1]["type"] == "conv":
                prev = model.layers[i - 1]
                ho, wo = prev["out_hw"]
                nodes.append(h.make_node("Flatten", [cur], [f"{nm}.flat"], name=f"{nm}_flat"))
                cur = f"{nm}.flat"
                W = W.reshape(len(W), ho, wo, prev["out_ch"]).transpose(0, 3, 1, 2)
                W = W.reshape(len(W), -1)
            inits += [numpy_helper.from_array(W.astype(np.float32), f"{nm}.w"),
                      numpy_helper.from_array(b.astype(np.float32), f"{nm}.b")]
            nodes.append(h.make_node("Gemm", [cur, f"{nm}.w", f"{nm}.b"], [f"{nm}.y"],
                                     transB=1, name=nm))
        cur = f"{nm}.y"
        if spec["activation"]:
            nodes.append(h.make_node("Relu", [cur], [f"{nm}.r"], name=f"{nm}_relu"))
            cur = f"{nm}.r"
    n_cls = model.layers[-1]["n_out"]
    graph = h.make_graph(
        nodes, "spinnet", [h.make_tensor_value_info("input", onnx.TensorProto.FLOAT,
                                                    ["N", 1, 28, 28])],
        [h.make_tensor_value_info(cur, onnx.TensorProto.FLOAT, ["N", n_cls])], inits)
    proto = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)])
    with atomic_open(path, "wb") as fh:
        fh.write(proto.SerializeToString())
