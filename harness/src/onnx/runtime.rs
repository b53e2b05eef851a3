//! Running an exported classifier (or any ONNX model with our output names) with tract, the
//! pure-Rust ONNX runtime.

use prost::Message as _;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::DimLike as _;

use super::OnnxError;
use super::graph::{LABEL, probability_output};

/// A loaded ONNX classifier: one float input `[N, n_features]`, a `label` output and one
/// `probability_<class>` output per class.
#[derive(Debug)]
pub struct OnnxClassifier {
    plan: Arc<TypedRunnableModel>,
    n_features: usize,
    /// Output position of `label` and of each class's probability.
    label_at: usize,
    probability_at: Vec<usize>,
}

/// Labels and class probabilities of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    pub labels: Vec<i64>,
    /// One row per input row, one probability per class.
    pub probabilities: Vec<Vec<f32>>,
}

impl OnnxClassifier {
    /// Parses and optimises `bytes` (an ONNX `ModelProto`) for a free batch size.
    ///
    /// # Errors
    /// [`OnnxError::Runtime`] when tract cannot read or plan the model, or it lacks the outputs.
    pub fn load(bytes: &[u8]) -> Result<Self, OnnxError> {
        let runtime = |e: TractError| OnnxError::Runtime(format!("{e:#}"));
        let proto = tract_onnx::pb::ModelProto::decode(bytes)
            .map_err(|e| OnnxError::Runtime(format!("not an ONNX model: {e}")))?;
        // tract's outputs follow the graph's output list.
        let names: Vec<String> = proto
            .graph
            .as_ref()
            .map(|g| g.output.iter().map(|o| o.name.clone()).collect())
            .unwrap_or_default();
        let model = tract_onnx::onnx()
            .model_for_proto_model(&proto)
            .map_err(runtime)?;
        let position = |name: &str| {
            names.iter().position(|n| n == name).ok_or_else(|| {
                OnnxError::Runtime(format!(
                    "the model has no output {name:?} (outputs: {names:?})"
                ))
            })
        };
        let label_at = position(LABEL)?;
        let mut probability_at = Vec::new();
        while let Some(i) = names
            .iter()
            .position(|n| *n == probability_output(probability_at.len()))
        {
            probability_at.push(i);
        }
        if probability_at.is_empty() {
            return Err(OnnxError::Runtime(format!(
                "the model has no probability_0 output (outputs: {names:?})"
            )));
        }
        let typed = model.into_optimized().map_err(runtime)?;
        let n_features = typed
            .input_fact(0)
            .map_err(runtime)?
            .shape
            .get(1)
            .and_then(|d| d.to_usize().ok())
            .ok_or_else(|| OnnxError::Runtime("the input has no fixed feature count".into()))?;
        let plan = typed.into_runnable().map_err(runtime)?;
        Ok(OnnxClassifier {
            plan,
            n_features,
            label_at,
            probability_at,
        })
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub fn n_classes(&self) -> usize {
        self.probability_at.len()
    }

    /// Predictions for row-major `rows` (a whole number of `n_features()` rows).
    ///
    /// # Errors
    /// [`OnnxError::Runtime`] when the batch has the wrong width or tract fails.
    pub fn predict(&self, rows: &[f32]) -> Result<Predictions, OnnxError> {
        let runtime = |e: TractError| OnnxError::Runtime(format!("{e:#}"));
        if !rows.len().is_multiple_of(self.n_features) {
            return Err(OnnxError::Runtime(format!(
                "{} values are not whole rows of {} features",
                rows.len(),
                self.n_features
            )));
        }
        let n = rows.len() / self.n_features;
        let input = Tensor::from_shape(&[n, self.n_features], rows).map_err(runtime)?;
        let out = self.plan.run(tvec!(input.into_tvalue())).map_err(runtime)?;
        let labels = out[self.label_at]
            .cast_to::<i64>()
            .map_err(runtime)?
            .try_as_plain_ram()
            .map_err(runtime)?
            .as_slice::<i64>()
            .map_err(runtime)?
            .to_vec();
        let mut probabilities = vec![Vec::with_capacity(self.n_classes()); n];
        for &at in &self.probability_at {
            let column = out[at].cast_to::<f32>().map_err(runtime)?;
            let values = column
                .try_as_plain_ram()
                .map_err(runtime)?
                .as_slice::<f32>()
                .map_err(runtime)?
                .to_vec();
            for (row, v) in probabilities.iter_mut().zip(values) {
                row.push(v);
            }
        }
        Ok(Predictions {
            labels,
            probabilities,
        })
    }
}
