//! Tiny ONNX models written by hand: a minimal protobuf writer, the ONNX messages it needs
//! (field numbers from onnx/onnx.proto) and the few models the plug-in tests load. Writing the
//! bytes here keeps the tests free of Python, exporters and downloaded weights: the only
//! installed file they need is the ONNX Runtime library.

// ---------------------------------------------------------------------------------------------
// Protobuf.
// ---------------------------------------------------------------------------------------------

/// One protobuf message under construction.
#[derive(Default)]
pub struct Proto(pub Vec<u8>);

impl Proto {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire_type: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wire_type));
    }

    /// An int32/int64/enum field (wire type 0; negative values take ten bytes, as protobuf says).
    pub fn int(mut self, field: u32, v: i64) -> Self {
        self.key(field, 0);
        self.varint(v as u64);
        self
    }

    /// A repeated int64 field, unpacked (the proto2 default; parsers accept both forms).
    pub fn ints(self, field: u32, vs: &[i64]) -> Self {
        vs.iter().fold(self, |p, &v| p.int(field, v))
    }

    /// A string, bytes or embedded-message field (wire type 2).
    pub fn bytes(mut self, field: u32, data: &[u8]) -> Self {
        self.key(field, 2);
        self.varint(data.len() as u64);
        self.0.extend_from_slice(data);
        self
    }

    pub fn str(self, field: u32, s: &str) -> Self {
        self.bytes(field, s.as_bytes())
    }

    pub fn msg(self, field: u32, m: Proto) -> Self {
        self.bytes(field, &m.0)
    }
}

// ---------------------------------------------------------------------------------------------
// ONNX messages.
// ---------------------------------------------------------------------------------------------

// ModelProto
const MODEL_IR_VERSION: u32 = 1;
const MODEL_GRAPH: u32 = 7;
const MODEL_OPSET_IMPORT: u32 = 8;
// OperatorSetIdProto
const OPSET_DOMAIN: u32 = 1;
const OPSET_VERSION: u32 = 2;
// GraphProto
const GRAPH_NODE: u32 = 1;
const GRAPH_NAME: u32 = 2;
const GRAPH_INITIALIZER: u32 = 5;
const GRAPH_INPUT: u32 = 11;
const GRAPH_OUTPUT: u32 = 12;
// NodeProto
const NODE_INPUT: u32 = 1;
const NODE_OUTPUT: u32 = 2;
const NODE_NAME: u32 = 3;
const NODE_OP_TYPE: u32 = 4;
const NODE_ATTRIBUTE: u32 = 5;
// AttributeProto and its AttributeType
const ATTR_NAME: u32 = 1;
const ATTR_I: u32 = 3;
const ATTR_S: u32 = 4;
const ATTR_INTS: u32 = 8;
const ATTR_TYPE: u32 = 20;
const ATTR_TYPE_INT: i64 = 2;
const ATTR_TYPE_STRING: i64 = 3;
const ATTR_TYPE_INTS: i64 = 7;
// TensorProto
const TENSOR_DIMS: u32 = 1;
const TENSOR_DATA_TYPE: u32 = 2;
const TENSOR_NAME: u32 = 8;
const TENSOR_RAW_DATA: u32 = 9;
// ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, TensorShapeProto.Dimension
const VALUE_INFO_NAME: u32 = 1;
const VALUE_INFO_TYPE: u32 = 2;
const TYPE_TENSOR_TYPE: u32 = 1;
const TENSOR_ELEM_TYPE: u32 = 1;
const TENSOR_SHAPE: u32 = 2;
const SHAPE_DIM: u32 = 1;
const DIM_VALUE: u32 = 1;
const DIM_PARAM: u32 = 2;

/// TensorProto.DataType of the tensors the test models use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    Float = 1,
    Int32 = 6,
    Int64 = 7,
}

/// One dimension of a graph input or output.
#[derive(Clone, Copy)]
pub enum Dim {
    Fixed(i64),
    Named(&'static str),
}

/// A tensor's ValueInfoProto.
pub fn value_info(name: &str, elem: Elem, dims: &[Dim]) -> Proto {
    let shape = dims.iter().fold(Proto::default(), |shape, d| {
        let dim = match *d {
            Dim::Fixed(v) => Proto::default().int(DIM_VALUE, v),
            Dim::Named(p) => Proto::default().str(DIM_PARAM, p),
        };
        shape.msg(SHAPE_DIM, dim)
    });
    let tensor = Proto::default()
        .int(TENSOR_ELEM_TYPE, elem as i64)
        .msg(TENSOR_SHAPE, shape);
    Proto::default()
        .str(VALUE_INFO_NAME, name)
        .msg(VALUE_INFO_TYPE, Proto::default().msg(TYPE_TENSOR_TYPE, tensor))
}

/// A constant float tensor of the graph (its weights), row-major, little-endian raw data.
pub fn float_initializer(name: &str, dims: &[i64], values: &[f32]) -> Proto {
    assert_eq!(
        dims.iter().product::<i64>() as usize,
        values.len(),
        "{name}: {dims:?} does not hold {} values",
        values.len()
    );
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    Proto::default()
        .ints(TENSOR_DIMS, dims)
        .int(TENSOR_DATA_TYPE, Elem::Float as i64)
        .str(TENSOR_NAME, name)
        .bytes(TENSOR_RAW_DATA, &raw)
}

/// An integer attribute.
pub fn attr_int(name: &str, v: i64) -> Proto {
    Proto::default()
        .str(ATTR_NAME, name)
        .int(ATTR_TYPE, ATTR_TYPE_INT)
        .int(ATTR_I, v)
}

/// A list-of-integers attribute.
pub fn attr_ints(name: &str, vs: &[i64]) -> Proto {
    Proto::default()
        .str(ATTR_NAME, name)
        .int(ATTR_TYPE, ATTR_TYPE_INTS)
        .ints(ATTR_INTS, vs)
}

/// A string attribute.
pub fn attr_str(name: &str, s: &str) -> Proto {
    Proto::default()
        .str(ATTR_NAME, name)
        .int(ATTR_TYPE, ATTR_TYPE_STRING)
        .str(ATTR_S, s)
}

/// A NodeProto: `op` from `inputs` to `outputs`.
pub fn node(name: &str, op: &str, inputs: &[&str], outputs: &[&str], attributes: Vec<Proto>) -> Proto {
    let node = inputs.iter().fold(Proto::default(), |n, i| n.str(NODE_INPUT, i));
    let node = outputs.iter().fold(node, |n, o| n.str(NODE_OUTPUT, o));
    let node = node.str(NODE_NAME, name).str(NODE_OP_TYPE, op);
    attributes.into_iter().fold(node, |n, a| n.msg(NODE_ATTRIBUTE, a))
}

/// The ONNX bytes (IR 8, opset 17) of a graph.
pub fn model(
    name: &str,
    nodes: Vec<Proto>,
    initializers: Vec<Proto>,
    inputs: Vec<Proto>,
    outputs: Vec<Proto>,
) -> Vec<u8> {
    let graph = nodes.into_iter().fold(Proto::default(), |g, n| g.msg(GRAPH_NODE, n));
    let graph = graph.str(GRAPH_NAME, name);
    let graph = initializers.into_iter().fold(graph, |g, t| g.msg(GRAPH_INITIALIZER, t));
    let graph = inputs.into_iter().fold(graph, |g, i| g.msg(GRAPH_INPUT, i));
    let graph = outputs.into_iter().fold(graph, |g, o| g.msg(GRAPH_OUTPUT, o));
    let opset = Proto::default().str(OPSET_DOMAIN, "").int(OPSET_VERSION, 17);
    Proto::default()
        .int(MODEL_IR_VERSION, 8)
        .msg(MODEL_GRAPH, graph)
        .msg(MODEL_OPSET_IMPORT, opset)
        .0
}

// ---------------------------------------------------------------------------------------------
// The test models.
// ---------------------------------------------------------------------------------------------

/// Side of the square input the image models take.
pub const SIDE: i64 = 16;

/// Layout of an image model's input.
#[derive(Clone, Copy)]
pub enum Layout {
    /// "pixels" [N, 3, 16, 16], mean over axes 2 and 3.
    Nchw,
    /// "pixels" [N, 16, 16, 3], mean over axes 1 and 2.
    Nhwc,
}

impl Layout {
    /// The spec's name of the layout.
    pub fn spec_name(self) -> &'static str {
        match self {
            Layout::Nchw => "nchw",
            Layout::Nhwc => "nhwc",
        }
    }
}

/// An image encoder that maps "pixels" to "embedding" [N, 3], the mean of each channel over
/// the image: the output of a solid-colour image is exactly its normalised colour.
pub fn mean_color_model(layout: Layout) -> Vec<u8> {
    let n = Dim::Named("N");
    let (c, s) = (Dim::Fixed(3), Dim::Fixed(SIDE));
    let (input_dims, axes) = match layout {
        Layout::Nchw => ([n, c, s, s], [2, 3]),
        Layout::Nhwc => ([n, s, s, c], [1, 2]),
    };
    // Opset 17's ReduceMean takes its axes as an attribute (opset 18 made them an input).
    let mean = node(
        "mean_color",
        "ReduceMean",
        &["pixels"],
        &["embedding"],
        vec![attr_ints("axes", &axes), attr_int("keepdims", 0)],
    );
    model(
        "tiny_encoder",
        vec![mean],
        vec![],
        vec![value_info("pixels", Elem::Float, &input_dims)],
        vec![value_info("embedding", Elem::Float, &[n, c])],
    )
}

/// A text tower: "input_ids" [N, L] (`ids` of int64 or int32) to "text_embeds" [N, dim], where
/// `table[id]` is the `dim`-long embedding of token `id`.
///
/// Without a mask the output is the mean of the sequence's rows (`Gather` then `ReduceMean`
/// over the sequence): a zero row for the padding token leaves its direction unchanged. With
/// `with_mask` the graph also takes "attention_mask" [N, L] and sums only the rows the mask
/// keeps (`Cast` to float, then `Einsum` "nl,nld->nd"), so padding of any row is ignored.
pub fn text_model(table: &[Vec<f32>], ids: Elem, with_mask: bool) -> Vec<u8> {
    let dim = table.first().map_or(0, Vec::len);
    assert!(dim > 0 && table.iter().all(|row| row.len() == dim), "ragged table");
    let flat: Vec<f32> = table.iter().flatten().copied().collect();
    let weights = float_initializer("token_table", &[table.len() as i64, dim as i64], &flat);
    let (n, l, d) = (Dim::Named("N"), Dim::Named("L"), Dim::Fixed(dim as i64));
    let gather = node("lookup", "Gather", &["token_table", "input_ids"], &["tokens"], vec![]);
    let mut inputs = vec![value_info("input_ids", ids, &[n, l])];
    let nodes = if with_mask {
        inputs.push(value_info("attention_mask", ids, &[n, l]));
        vec![
            gather,
            node(
                "mask_to_float",
                "Cast",
                &["attention_mask"],
                &["mask"],
                vec![attr_int("to", Elem::Float as i64)],
            ),
            node(
                "masked_sum",
                "Einsum",
                &["mask", "tokens"],
                &["text_embeds"],
                vec![attr_str("equation", "nl,nld->nd")],
            ),
        ]
    } else {
        vec![
            gather,
            node(
                "sequence_mean",
                "ReduceMean",
                &["tokens"],
                &["text_embeds"],
                vec![attr_ints("axes", &[1]), attr_int("keepdims", 0)],
            ),
        ]
    };
    model(
        "tiny_text_tower",
        nodes,
        vec![weights],
        inputs,
        vec![value_info("text_embeds", Elem::Float, &[n, d])],
    )
}
