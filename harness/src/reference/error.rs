//! Errors of `harness run`: each says which task, which step and which MLflow object.

use crate::data::mnist::MnistError;
use crate::data::split::SplitError;
use crate::data::wine::WineError;
use crate::mlflow::MlflowError;
use crate::nn::NnError;
use crate::train::{ModelFileError, TrainError};

use super::ranking::RankError;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The registry or experiment already holds what this run would create.
    #[error(
        "{what} on {tracking_uri}; refusing to add to it. Pass --replace to delete the \
         registered model `{registered_model}` (all versions and aliases) and the experiment's \
         runs named {run_names} (with their logged models), then run again"
    )]
    AlreadyExists {
        what: String,
        tracking_uri: String,
        registered_model: String,
        run_names: String,
    },
    /// An MLflow call failed; `step` says what the run was doing.
    #[error("{step}: {source}")]
    Mlflow {
        step: String,
        /// Boxed: MLflow's errors carry a URL, a message and codes, and would make every
        /// `Result` of this module large.
        #[source]
        source: Box<MlflowError>,
    },
    #[error(
        "experiment `{name}` (id {id}) is deleted; restore it in the MLflow UI or purge it with `mlflow gc`"
    )]
    ExperimentDeleted { name: String, id: String },
    #[error("loading the wine data: {0}")]
    Data(#[from] WineError),
    #[error("loading MNIST: {0}")]
    Mnist(#[from] MnistError),
    #[error("{what}: {source}")]
    Nn {
        what: String,
        /// Boxed: candle's errors are large.
        #[source]
        source: Box<NnError>,
    },
    #[error(
        "the champion loaded from {uri} scores {measured} on the test split, but its run logged \
         final_test_accuracy {logged}"
    )]
    AccuracyMismatch {
        uri: String,
        measured: f64,
        logged: f64,
    },
    #[error("splitting the data: {0}")]
    Split(#[from] SplitError),
    #[error("training {what}: {source}")]
    Train {
        what: String,
        #[source]
        source: TrainError,
    },
    #[error("assigning aliases: {0}")]
    Rank(#[from] RankError),
    #[error("the run spec is invalid: {0}")]
    Spec(String),
    /// The registry handed back a version number other than the one the plan expects.
    #[error(
        "registering `{run_name}` created version {got} of `{name}`, expected {expected}: something else is writing to this registered model"
    )]
    UnexpectedVersion {
        name: String,
        run_name: String,
        expected: u32,
        got: String,
    },
    #[error("model loaded from {uri}: {reason}")]
    LoadedModel { uri: String, reason: String },
    #[error("model file loaded from {uri}: {source}")]
    ModelFile {
        uri: String,
        #[source]
        source: ModelFileError,
    },
    #[error(
        "the champion loaded from {uri} predicts {loaded:?} for test rows {rows:?}, but the \
         model trained in memory predicts {expected:?}"
    )]
    PredictionMismatch {
        uri: String,
        rows: Vec<usize>,
        loaded: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// `map_err` helper: an MLflow failure during `step`.
pub(super) fn at(step: impl Into<String>) -> impl FnOnce(MlflowError) -> RunError {
    let step = step.into();
    move |source| RunError::Mlflow {
        step,
        source: Box::new(source),
    }
}
