//! Our models as ONNX, so the whole MLflow ecosystem can load them: `mlflow.pyfunc` (through
//! `mlflow.onnx` and onnxruntime), `mlflow models serve`, other languages — and tract here.
//!
//! Every exported classifier has the same interface (see [`graph`]): float input `input`
//! `[N, features]`, outputs `label` (int64 `[N]`) and `probability_<class>` (float `[N]`).
//! Tree models become one `ai.onnx.ml.TreeEnsembleClassifier` ([`trees`]); MLPs become
//! `Gemm`/`Relu`/`Softmax` ([`mlp`]). The protobuf messages are the official `onnx.proto`
//! compiled with prost (`tract_onnx::pb`), encoded by prost.

mod environment;
mod graph;
mod mlp;
mod proto;
mod runtime;
mod trees;

use prost::Message as _;

pub use environment::{
    CONDA_FILE, PYTHON_ENV_FILE, PYTHON_VERSION, REQUIREMENTS_FILE, conda_yaml, python_env_yaml,
    requirements, requirements_txt,
};
pub use graph::probability_output;
pub use runtime::{OnnxClassifier, Predictions};

/// The file name of the ONNX model inside a logged model (what `mlflow.onnx` uses).
pub const ONNX_FILE: &str = "model.onnx";

/// The opsets the exported files import: `(domain, version)`, `""` being the default domain.
pub const OPSETS: [(&str, i64); 2] = [("", proto::OPSET), (proto::ML_DOMAIN, proto::ML_OPSET)];

#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error("ONNX runtime (tract): {0}")]
    Runtime(String),
}

/// `model` (a task-1 tree model) as ONNX bytes.
pub fn export_tree_model(model: &crate::train::TreeModel) -> Vec<u8> {
    trees::tree_model(model).encode_to_vec()
}

/// A regression tree model as ONNX bytes (`TreeEnsembleRegressor`, output `variable`
/// `[N, 1]`). tract 0.23 does not run this operator; onnxruntime (through `mlflow.onnx`) does.
pub fn export_regressor(model: &crate::train::RegressionModel) -> Vec<u8> {
    trees::regressor_model(model).encode_to_vec()
}

/// The output name of an exported regressor.
pub const REGRESSION_OUTPUT: &str = trees::REGRESSION_OUTPUT;

/// `mlp` (a task-2 network, dropout removed) as ONNX bytes.
pub fn export_mlp(mlp: &crate::nn::Mlp) -> Vec<u8> {
    mlp::mlp(mlp).encode_to_vec()
}

#[cfg(test)]
mod tests;
