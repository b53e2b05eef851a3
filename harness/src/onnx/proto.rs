//! Small constructors for the ONNX protobuf messages (the `onnx.proto` types tract-onnx compiles
//! with prost), so the graph builders read as graphs rather than as struct literals.

use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::tensor_shape_proto::{Dimension, dimension};
use tract_onnx::pb::type_proto::{self, Tensor};
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// The IR version the files declare: the newest the compiled `onnx.proto` knows (ONNX 1.10+,
/// onnxruntime ≥ 1.10 and tract read it).
const IR_VERSION: i64 = 8;
/// The default-domain opset (`Gemm`, `Relu`, `Softmax`, `ArgMax`, `Gather`).
pub(crate) const OPSET: i64 = 15;
/// The `ai.onnx.ml` opset (`TreeEnsembleClassifier`).
pub(crate) const ML_OPSET: i64 = 3;
pub(crate) const ML_DOMAIN: &str = "ai.onnx.ml";

/// One dimension of a value's shape: a fixed size or a named free one (the batch).
#[derive(Debug, Clone)]
pub(crate) enum Dim {
    Fixed(i64),
    Named(&'static str),
}

/// A tensor-typed graph input or output.
pub(crate) fn value_info(name: &str, elem: DataType, shape: &[Dim]) -> ValueInfoProto {
    let dim = shape
        .iter()
        .map(|d| Dimension {
            denotation: String::new(),
            value: Some(match d {
                Dim::Fixed(n) => dimension::Value::DimValue(*n),
                Dim::Named(s) => dimension::Value::DimParam((*s).to_owned()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: name.to_owned(),
        r#type: Some(TypeProto {
            denotation: String::new(),
            value: Some(type_proto::Value::TensorType(Tensor {
                elem_type: elem as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
        }),
        ..Default::default()
    }
}

/// A float initializer of shape `dims`.
pub(crate) fn float_tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.to_owned(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: values.to_vec(),
        ..Default::default()
    }
}

/// A scalar int64 initializer (an index for `Gather`).
pub(crate) fn int64_scalar(name: &str, value: i64) -> TensorProto {
    TensorProto {
        name: name.to_owned(),
        dims: vec![],
        data_type: DataType::Int64 as i32,
        int64_data: vec![value],
        ..Default::default()
    }
}

pub(crate) fn node(
    op_type: &str,
    domain: &str,
    inputs: &[&str],
    outputs: &[&str],
    attribute: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| (*s).to_owned()).collect(),
        output: outputs.iter().map(|s| (*s).to_owned()).collect(),
        name: outputs
            .first()
            .map(|s| format!("{op_type}_{s}"))
            .unwrap_or_default(),
        op_type: op_type.to_owned(),
        domain: domain.to_owned(),
        attribute,
        ..Default::default()
    }
}

fn attr(name: &str, kind: AttributeType) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        r#type: kind as i32,
        ..Default::default()
    }
}

pub(crate) fn attr_int(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        i,
        ..attr(name, AttributeType::Int)
    }
}

pub(crate) fn attr_string(name: &str, s: &str) -> AttributeProto {
    AttributeProto {
        s: s.as_bytes().to_vec(),
        ..attr(name, AttributeType::String)
    }
}

pub(crate) fn attr_ints(name: &str, ints: Vec<i64>) -> AttributeProto {
    AttributeProto {
        ints,
        ..attr(name, AttributeType::Ints)
    }
}

pub(crate) fn attr_floats(name: &str, floats: Vec<f32>) -> AttributeProto {
    AttributeProto {
        floats,
        ..attr(name, AttributeType::Floats)
    }
}

pub(crate) fn attr_strings(name: &str, strings: &[&str]) -> AttributeProto {
    AttributeProto {
        strings: strings.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..attr(name, AttributeType::Strings)
    }
}

/// The model around `graph`, importing the default opset and, when `ml`, `ai.onnx.ml`.
pub(crate) fn model(graph: GraphProto, ml: bool, doc: String) -> ModelProto {
    let mut opset_import = vec![OperatorSetIdProto {
        domain: String::new(),
        version: OPSET,
    }];
    if ml {
        opset_import.push(OperatorSetIdProto {
            domain: ML_DOMAIN.to_owned(),
            version: ML_OPSET,
        });
    }
    ModelProto {
        ir_version: IR_VERSION,
        opset_import,
        producer_name: "harness".to_owned(),
        producer_version: crate::version::VERSION.to_owned(),
        doc_string: doc,
        graph: Some(graph),
        ..Default::default()
    }
}
