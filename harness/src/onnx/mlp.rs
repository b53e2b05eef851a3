//! The MNIST MLPs as `Gemm` → `Relu` → … → `Gemm` → `Softmax`, with `ArgMax` of the logits for
//! the label. Dropout is training-only and is left out. The input is what the model's signature
//! and input example take: pixels already scaled (and normalised when the run normalised).

use tract_onnx::pb::ModelProto;

use super::graph::{INPUT, LABEL, PROBABILITIES, classifier_graph};
use super::proto::{attr_int, float_tensor, model, node};
use crate::nn::Mlp;

pub(crate) fn mlp(mlp: &Mlp) -> ModelProto {
    let sizes = mlp.layer_sizes();
    let n_layers = mlp.n_layers();
    let mut nodes = Vec::new();
    let mut initializers = Vec::new();
    let mut current = INPUT.to_owned();
    for l in 0..n_layers {
        let (w, b) = mlp.layer(l);
        let (weight, bias) = (format!("layers.{l}.weight"), format!("layers.{l}.bias"));
        // PyTorch's `nn.Linear` layout `[out, in]`: Gemm with transB.
        initializers.push(float_tensor(
            &weight,
            &[sizes[l + 1] as i64, sizes[l] as i64],
            w,
        ));
        initializers.push(float_tensor(&bias, &[sizes[l + 1] as i64], b));
        let last = l + 1 == n_layers;
        let z = if last {
            "logits".to_owned()
        } else {
            format!("linear_{l}")
        };
        nodes.push(node(
            "Gemm",
            "",
            &[&current, &weight, &bias],
            &[&z],
            vec![attr_int("transB", 1)],
        ));
        if last {
            current = z;
        } else {
            let a = format!("relu_{l}");
            nodes.push(node("Relu", "", &[&z], &[&a], vec![]));
            current = a;
        }
    }
    nodes.push(node(
        "Softmax",
        "",
        &[&current],
        &[PROBABILITIES],
        vec![attr_int("axis", 1)],
    ));
    nodes.push(node(
        "ArgMax",
        "",
        &[&current],
        &[LABEL],
        vec![attr_int("axis", 1), attr_int("keepdims", 0)],
    ));
    let graph = classifier_graph(
        &format!("harness_mlp_{}", mlp.name),
        mlp.input_size(),
        sizes[n_layers],
        nodes,
        initializers,
    );
    let hidden: Vec<String> = sizes[1..n_layers].iter().map(usize::to_string).collect();
    model(
        graph,
        false,
        format!(
            "MLP {} (hidden {}) exported by harness from its safetensors weights, dropout removed",
            mlp.name,
            hidden.join("-")
        ),
    )
}
