//! The graph shape every exported classifier shares: one float input `input` `[N, features]`,
//! and outputs `label` (int64 `[N]`) and `probability_<class>` (float `[N]`, one per class).
//!
//! One-dimensional outputs are what makes MLflow's ONNX pyfunc useful: for a DataFrame it
//! flattens every output into a column, so `[N, classes]` probabilities would not fit beside
//! the labels; with these outputs `predict` returns a frame with a `label` column and a
//! probability column per class (for an ndarray, a dict of the same arrays).

use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{GraphProto, NodeProto, TensorProto};

use super::proto::{Dim, attr_int, int64_scalar, node, value_info};

pub(crate) const INPUT: &str = "input";
pub(crate) const LABEL: &str = "label";
/// The `[N, classes]` probabilities inside the graph, split into the per-class outputs.
pub(crate) const PROBABILITIES: &str = "probabilities";

/// The output name of class `class`'s probability.
pub fn probability_output(class: usize) -> String {
    format!("probability_{class}")
}

/// The graph around `body`, which must read [`INPUT`] and write [`LABEL`] and
/// [`PROBABILITIES`].
pub(crate) fn classifier_graph(
    name: &str,
    n_features: usize,
    n_classes: usize,
    mut body: Vec<NodeProto>,
    mut initializer: Vec<TensorProto>,
) -> GraphProto {
    let batch = Dim::Named("N");
    let mut output = vec![value_info(
        LABEL,
        DataType::Int64,
        std::slice::from_ref(&batch),
    )];
    for class in 0..n_classes {
        let index = format!("class_index_{class}");
        let out = probability_output(class);
        initializer.push(int64_scalar(&index, class as i64));
        body.push(node(
            "Gather",
            "",
            &[PROBABILITIES, &index],
            &[&out],
            vec![attr_int("axis", 1)],
        ));
        output.push(value_info(
            &out,
            DataType::Float,
            std::slice::from_ref(&batch),
        ));
    }
    GraphProto {
        node: body,
        name: name.to_owned(),
        initializer,
        input: vec![value_info(
            INPUT,
            DataType::Float,
            &[batch, Dim::Fixed(n_features as i64)],
        )],
        output,
        ..Default::default()
    }
}
