#!/usr/bin/env python3
"""Convert dlib's face recognition ResNet to ONNX without using dlib.

Reads `dlib_face_recognition_resnet_model_v1.dat` (the `anet_type` network of
dlib's examples/dnn_face_recognition_ex.cpp) straight from dlib's binary
serialisation and writes an equivalent ONNX graph:

    input      float32 [N,3,150,150]  RGB, raw pixel values 0..255
    embedding  float32 [N,128]        dlib's face descriptor, not re-normalised

The input layer's mean subtraction and 1/256 scaling are part of the graph.
The output file is byte-for-byte reproducible for a given .dat file.

Usage: python dlib_resnet_to_onnx.py --dat PATH --out PATH
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
# Opset 17 belongs to IR version 8; pinning it keeps the file loadable by older
# ONNX Runtime builds and stops the bytes changing with the onnx package version.
IR_VERSION = 8
PRODUCER_NAME = "glint-dlib-resnet-to-onnx"
PRODUCER_VERSION = "1"
INPUT_SIZE = 150


class FormatError(Exception):
    """The file is not a dlib anet_type network this converter understands."""


# --------------------------------------------------------------------------------------
# dlib/serialize.h primitives


class Reader:
    """Sequential reader for dlib's serialisation format."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise FormatError(f"unexpected end of file at byte {self.pos} (wanted {n} more)")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def int(self) -> int:
        """Any integral type: a control byte (0x80 = negative, low nibble = byte
        count) followed by the magnitude in little-endian order."""
        control = self.take(1)[0]
        size = control & 0x0F
        if size > 8 or control & 0x70:
            raise FormatError(f"bad integer control byte 0x{control:02x} at byte {self.pos - 1}")
        value = int.from_bytes(self.take(size), "little")
        return -value if control & 0x80 else value

    def uint(self) -> int:
        value = self.int()
        if value < 0:
            raise FormatError(f"negative value {value} where an unsigned one was expected")
        return value

    def bool(self) -> bool:
        ch = self.take(1)
        if ch not in (b"0", b"1"):
            raise FormatError(f"bad bool byte {ch!r} at byte {self.pos - 1}")
        return ch == b"1"

    def string(self) -> str:
        n = self.uint()
        raw = self.take(n)
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise FormatError(f"non-ASCII string at byte {self.pos - n}") from exc

    def float(self) -> float:
        """float/double as float_details: signed mantissa then int16 exponent,
        value = mantissa * 2**exponent (serialize.h's header comment claims the
        exponent comes first; the code writes the mantissa first)."""
        if self.pos < len(self.data) and self.data[self.pos] & 0x70:
            # Pre-2013 dlib wrote floats as ASCII text; no network file uses it.
            raise FormatError(f"legacy ASCII float encoding at byte {self.pos}")
        mantissa = self.int()
        exponent = self.int()
        specials = {32000: math.inf, 32001: -math.inf, 32002: math.nan}
        if exponent in specials:
            return specials[exponent]
        if not -32768 <= exponent < 32000:
            raise FormatError(f"float exponent {exponent} out of range")
        return math.ldexp(mantissa, exponent)

    def tensor(self) -> np.ndarray:
        """resizable_tensor: version, then num_samples, k, nr, nc, then the values."""
        version = self.int()
        shape = tuple(self.int() for _ in range(4))
        if min(shape) < 0:
            raise FormatError(f"negative tensor dimension {shape}")
        count = math.prod(shape)
        if version == 2:
            # Version 2 stores raw little-endian IEEE float32 values.
            values = np.frombuffer(self.take(4 * count), dtype="<f4")
        elif version == 1:
            values = np.array([self.float() for _ in range(count)], dtype=np.float64)
        else:
            raise FormatError(f"unknown tensor version {version}")
        # The format has no checksum; non-finite weights are the one sure sign of damage.
        if not np.isfinite(values).all():
            raise FormatError(f"non-finite value in tensor ending at byte {self.pos}")
        return values.astype(np.float32).reshape(shape)

    def alias_tensor(self) -> tuple[int, int, int, int]:
        version = self.int()
        if version != 1:
            raise FormatError(f"unknown alias_tensor version {version}")
        return tuple(self.int() for _ in range(4))

    def version_string(self, layer: str, accepted: tuple[str, ...]) -> str:
        version = self.string()
        if version not in accepted:
            raise FormatError(f"expected a {layer} layer ({' or '.join(accepted)}), found {version!r}")
        return version


# --------------------------------------------------------------------------------------
# The network definition, mirroring examples/dnn_face_recognition_ex.cpp.  dlib stores
# no layer types, tag ids or sizes for the wrappers, so the structure has to come from
# the C++ type; the file is checked against it while reading.  Lists run from the top
# of the network (the loss) down to the input, which is the order dlib writes them.


@dataclass
class Layer:
    kind: str  # con, affine, relu, max_pool, avg_pool, add_prev, tag, skip, fc, input
    args: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)  # filled in from the file


def con(n: int, size: int, stride: int) -> Layer:
    # dlib's default padding: size//2 for stride 1, none otherwise.
    pad = size // 2 if stride == 1 else 0
    return Layer("con", dict(filters=n, size=size, stride=stride, pad=pad))


def pool(kind: str, size: int, stride: int) -> Layer:
    pad = size // 2 if stride == 1 else 0
    return Layer(kind, dict(size=size, stride=stride, pad=pad))


def block(n: int, stride: int, sub: list[Layer]) -> list[Layer]:
    # BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>> with BN = affine
    return [Layer("affine"), con(n, 3, 1), Layer("relu"), Layer("affine"), con(n, 3, stride)] + sub


def ares(n: int, sub: list[Layer]) -> list[Layer]:
    # relu<add_prev1<block<N,affine,1,tag1<SUBNET>>>>
    return [Layer("relu"), Layer("add_prev", dict(tag=1))] + block(n, 1, [Layer("tag", dict(id=1))] + sub)


def ares_down(n: int, sub: list[Layer]) -> list[Layer]:
    # relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,affine,2,tag1<SUBNET>>>>>>>
    return ([Layer("relu"), Layer("add_prev", dict(tag=2)), pool("avg_pool", 2, 2),
             Layer("skip", dict(id=1)), Layer("tag", dict(id=2))]
            + block(n, 2, [Layer("tag", dict(id=1))] + sub))


def anet_type() -> list[Layer]:
    # max_pool<3,3,2,2,relu<affine<con<32,7,7,2,2,input_rgb_image_sized<150>>>>>
    net = [pool("max_pool", 3, 2), Layer("relu"), Layer("affine"), con(32, 7, 2), Layer("input")]
    for _ in range(3):                        # alevel4: ares<32> x3
        net = ares(32, net)
    net = ares_down(64, net)                  # alevel3: ares<64> x3 over ares_down<64>
    for _ in range(3):
        net = ares(64, net)
    for n in (128, 256):                      # alevel2, alevel1: ares<n> x2 over ares_down<n>
        net = ares(n, ares(n, ares_down(n, net)))
    net = ares_down(256, net)                 # alevel0
    # fc_no_bias<128, avg_pool_everything<...>>; the loss layer is read separately.
    return [Layer("fc", dict(outputs=128)), pool("avg_pool_everything", 0, 1)] + net


# --------------------------------------------------------------------------------------
# Reading the layers (dlib/dnn/core.h, layers.h, input.h, loss.h)


def read_details(r: Reader, layer: Layer) -> None:
    """Read one layer's `details` object, check it against the definition and keep
    what inference needs in layer.params."""
    a = layer.args
    if layer.kind == "con":
        version = r.version_string("con", ("con_4", "con_5", "con_6"))
        params = r.tensor()
        filters, nr, nc, sy, sx, py, px = (r.int() for _ in range(7))
        shape = r.alias_tensor()
        bias_shape = r.alias_tensor()
        for _ in range(4):  # learning-rate and weight-decay multipliers
            r.float()
        use_bias = r.bool() if version in ("con_5", "con_6") else True
        use_relu = r.bool() if version == "con_6" else False
        expected = (a["filters"], a["size"], a["size"], a["stride"], a["stride"], a["pad"], a["pad"])
        if (filters, nr, nc, sy, sx, py, px) != expected:
            raise FormatError(f"con layer is {(filters, nr, nc, sy, sx, py, px)}, expected {expected}")
        if shape[0] != filters or shape[2:] != (nr, nc):
            raise FormatError(f"con filter shape {shape} does not match the layer")
        n_weights = math.prod(shape)
        n_bias = filters if use_bias else 0
        if params.size != n_weights + n_bias or (use_bias and math.prod(bias_shape) != filters):
            raise FormatError(f"con parameter count {params.size} does not match filters {shape}")
        flat = params.reshape(-1)
        layer.params = dict(weight=flat[:n_weights].reshape(shape),
                            bias=flat[n_weights:] if use_bias else None, relu=use_relu)
    elif layer.kind == "affine":
        version = r.version_string("affine", ("affine_", "affine_2"))
        params = r.tensor().reshape(-1)
        gamma, beta = r.alias_tensor(), r.alias_tensor()
        mode = r.int()
        disabled = r.bool() if version == "affine_2" else False
        # CONV_MODE (0): one scale and shift per channel, gamma shaped (1,k,1,1).
        if mode != 0 or gamma != beta or gamma[0] != 1 or gamma[2:] != (1, 1):
            raise FormatError(f"affine layer is not per-channel (mode {mode}, gamma {gamma})")
        k = gamma[1]
        if disabled:
            raise FormatError("disabled affine layers are not supported")
        if params.size != 2 * k:
            raise FormatError(f"affine parameter count {params.size}, expected {2 * k}")
        layer.params = dict(gamma=params[:k], beta=params[k:])
    elif layer.kind in ("max_pool", "avg_pool", "avg_pool_everything"):
        prefix = "max_pool" if layer.kind == "max_pool" else "avg_pool"
        r.version_string(layer.kind, (prefix + "_2",))
        got = tuple(r.int() for _ in range(6))
        expected = (a["size"], a["size"], a["stride"], a["stride"], a["pad"], a["pad"])
        if got != expected:
            raise FormatError(f"{layer.kind} is {got}, expected {expected}")
    elif layer.kind == "relu":
        r.version_string("relu", ("relu_",))
    elif layer.kind == "add_prev":
        r.version_string("add_prev", ("add_prev_",))
    elif layer.kind == "fc":
        version = r.version_string("fc", ("fc_2", "fc_3"))
        outputs, inputs = r.uint(), r.uint()
        params = r.tensor()
        weights = r.alias_tensor()
        r.alias_tensor()  # biases: unused by fc_no_bias
        bias_mode = r.int()
        for _ in range(4):
            r.float()
        if version == "fc_3":
            r.bool()  # use_bias: irrelevant when bias_mode is FC_NO_BIAS
        if outputs != a["outputs"] or bias_mode != 1:  # 1 = FC_NO_BIAS
            raise FormatError(f"fc layer has {outputs} outputs, bias mode {bias_mode}")
        if weights != (inputs, outputs, 1, 1) or params.size != inputs * outputs:
            raise FormatError(f"fc weights {weights} do not match {inputs}x{outputs}")
        layer.params = dict(weight=params.reshape(inputs, outputs))
    else:
        raise AssertionError(layer.kind)


def read_input_layer(r: Reader, layer: Layer) -> None:
    r.version_string("input", ("input_rgb_image_sized",))
    means = [r.float() for _ in range(3)]  # avg_red, avg_green, avg_blue
    nr, nc = r.uint(), r.uint()
    if (nr, nc) != (INPUT_SIZE, INPUT_SIZE):
        raise FormatError(f"input layer is sized {nr}x{nc}, expected {INPUT_SIZE}x{INPUT_SIZE}")
    layer.params = dict(means=np.array(means, dtype=np.float32))


def read_subnet(r: Reader, layers: list[Layer]) -> None:
    """Deserialise layers[0] and everything below it, as core.h nests them: each
    wrapper writes its version, then its whole subnetwork, then its own state."""
    layer, below = layers[0], layers[1:]
    version = r.int()
    if layer.kind in ("tag", "skip"):  # add_tag_layer / add_skip_layer
        if version != 1:
            raise FormatError(f"{layer.kind}{layer.args['id']} has unknown version {version}")
        read_subnet(r, below)
        return
    on_input = below[0].kind == "input"
    # add_layer over an input layer is versions 2-3, any other add_layer 1-2.
    if version not in ((2, 3) if on_input else (1, 2)):
        raise FormatError(f"{layer.kind} add_layer has unknown version {version}")
    if on_input:
        read_input_layer(r, below[0])
    else:
        read_subnet(r, below)
    read_details(r, layer)
    for _ in range(3):  # setup called, gradient stale, output getters disabled
        r.bool()
    r.tensor()  # x_grad
    r.tensor()  # cached_output
    if on_input:
        r.tensor()  # grad_final
        if version == 3:
            r.uint()  # sample_expansion_factor
    elif version == 2:
        r.tensor()  # params_grad


def read_network(data: bytes) -> list[Layer]:
    r = Reader(data)
    if r.int() != 1:
        raise FormatError("not a dlib add_loss_layer (bad version)")
    loss = r.version_string("loss", ("loss_metric_", "loss_metric_2"))
    if loss == "loss_metric_2":
        r.float()  # margin
        r.float()  # distance threshold
    layers = anet_type()
    read_subnet(r, layers)
    if r.pos != len(data):
        raise FormatError(f"{len(data) - r.pos} unexpected trailing bytes")
    return layers


# --------------------------------------------------------------------------------------
# ONNX graph


class GraphBuilder:
    def __init__(self):
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.count = 0

    def const(self, hint: str, value: np.ndarray) -> str:
        name = f"{hint}_{len(self.initializers)}"
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], output: str | None = None, **attrs) -> str:
        self.count += 1
        name = f"{op_type.lower()}_{self.count}"
        output = output or name
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=name, **attrs))
        return output


@dataclass
class Value:
    name: str
    shape: tuple[int, int, int]  # (k, nr, nc); the batch dimension is dynamic


def pad_to(g: GraphBuilder, v: Value, shape: tuple[int, int, int]) -> str:
    """Zero-pad at the end of each axis, which is how dlib's tt::add combines
    tensors of different sizes (both anchored at index 0)."""
    extra = [t - s for s, t in zip(v.shape, shape)]
    if not any(extra):
        return v.name
    pads = np.array([0, 0, 0, 0, 0] + extra, dtype=np.int64)
    return g.op("Pad", [v.name, g.const("pads", pads)], mode="constant")


def conv_out(size: int, kernel: int, stride: int, pad: int) -> int:
    return 1 + (size + 2 * pad - kernel) // stride


def build_graph(layers: list[Layer]) -> onnx.ModelProto:
    g = GraphBuilder()
    means = layers[-1].params["means"].reshape(1, 3, 1, 1)
    # input_rgb_image: (pixel - avg) / 256, channel planes in R, G, B order.
    x = g.op("Sub", ["input", g.const("mean", means)])
    x = g.op("Mul", [x, g.const("scale", np.full((1, 1, 1, 1), 1 / 256, np.float32))])
    cur = Value(x, (3, INPUT_SIZE, INPUT_SIZE))
    tags: dict[int, Value] = {}

    for layer in reversed(layers[:-1]):  # bottom-up, i.e. in execution order
        a, p = layer.args, layer.params
        k, nr, nc = cur.shape
        if layer.kind == "con":
            if p["weight"].shape[1] != k:
                raise FormatError(f"con filters take {p['weight'].shape[1]} channels, input has {k}")
            inputs = [cur.name, g.const("conv_w", p["weight"])]
            if p["bias"] is not None:
                inputs.append(g.const("conv_b", p["bias"]))
            name = g.op("Conv", inputs, kernel_shape=[a["size"]] * 2,
                        strides=[a["stride"]] * 2, pads=[a["pad"]] * 4)
            if p["relu"]:
                name = g.op("Relu", [name])
            size = (conv_out(nr, a["size"], a["stride"], a["pad"]),
                    conv_out(nc, a["size"], a["stride"], a["pad"]))
            cur = Value(name, (a["filters"],) + size)
        elif layer.kind == "affine":
            if p["gamma"].size != k:
                raise FormatError(f"affine layer has {p['gamma'].size} channels, input has {k}")
            name = g.op("Mul", [cur.name, g.const("gamma", p["gamma"].reshape(1, k, 1, 1))])
            name = g.op("Add", [name, g.const("beta", p["beta"].reshape(1, k, 1, 1))])
            cur = Value(name, cur.shape)
        elif layer.kind == "relu":
            cur = Value(g.op("Relu", [cur.name]), cur.shape)
        elif layer.kind in ("max_pool", "avg_pool"):
            op = "MaxPool" if layer.kind == "max_pool" else "AveragePool"
            # Both pools in this network have no padding, so AveragePool's
            # count_include_pad question does not arise.
            name = g.op(op, [cur.name], kernel_shape=[a["size"]] * 2,
                        strides=[a["stride"]] * 2, pads=[a["pad"]] * 4)
            cur = Value(name, (k, conv_out(nr, a["size"], a["stride"], a["pad"]),
                               conv_out(nc, a["size"], a["stride"], a["pad"])))
        elif layer.kind == "avg_pool_everything":
            cur = Value(g.op("GlobalAveragePool", [cur.name]), (k, 1, 1))
        elif layer.kind == "tag":
            tags[a["id"]] = cur
        elif layer.kind == "skip":
            cur = tags[a["id"]]
        elif layer.kind == "add_prev":
            # In ares_down the shortcut has fewer channels and, from 8x8 down,
            # more rows/columns than the strided block (avg_pool 2/2 gives 4x4 where
            # the unpadded 3x3/2 conv gives 3x3); dlib zero-pads the smaller one.
            other = tags[a["tag"]]
            shape = tuple(max(s, t) for s, t in zip(cur.shape, other.shape))
            cur = Value(g.op("Add", [pad_to(g, cur, shape), pad_to(g, other, shape)]), shape)
        elif layer.kind == "fc":
            inputs = k * nr * nc
            if p["weight"].shape[0] != inputs:
                raise FormatError(f"fc expects {p['weight'].shape[0]} inputs, network gives {inputs}")
            flat = g.op("Flatten", [cur.name], axis=1)
            g.op("MatMul", [flat, g.const("fc_w", p["weight"])], output="embedding")
            cur = Value("embedding", (a["outputs"], 1, 1))
        else:
            raise AssertionError(layer.kind)

    graph = helper.make_graph(
        g.nodes, "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", cur.shape[0]])],
        initializer=g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name=PRODUCER_NAME, producer_version=PRODUCER_VERSION)
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dat", required=True, type=Path,
                        help="dlib_face_recognition_resnet_model_v1.dat")
    parser.add_argument("--out", required=True, type=Path, help="ONNX file to write")
    args = parser.parse_args()

    try:
        data = args.dat.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.dat}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        layers = read_network(data)
        model = build_graph(layers)
    except (FormatError, onnx.checker.ValidationError) as exc:
        print(f"error: {args.dat} is not a usable dlib face recognition model: {exc}",
              file=sys.stderr)
        return 1

    blob = model.SerializeToString()
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(blob)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    n_params = sum(math.prod(t.dims) for t in model.graph.initializer)
    n_conv = sum(node.op_type == "Conv" for node in model.graph.node)
    print(f"wrote {args.out}: {n_conv} conv layers, {n_params} parameters, "
          f"{len(blob)} bytes, sha256 {hashlib.sha256(blob).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
