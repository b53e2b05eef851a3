//! What can go wrong in an experiment: the config (before anything is logged), the data, the
//! training, or MLflow.

use std::path::PathBuf;

/// A config file that cannot be used; nothing has been logged when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: invalid value at `{key}`: {message}")]
    Parse {
        origin: String,
        key: String,
        message: String,
    },
    #[error("{origin}: `{key}`: {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
}

/// An experiment that failed after its config was accepted.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    #[error("data: {0}")]
    Data(String),
    #[error("training: {0}")]
    Train(String),
    /// A rerun of a sweep whose file no longer matches the parent run's search space: resuming
    /// would mix two sweeps (and MLflow refuses to change a logged param).
    #[error(
        "sweep `{sweep}` was started with `{key}` = {was}, the file now says {now}: give the changed sweep another `sweep.name` (or experiment), or restore the file"
    )]
    SweepChanged {
        sweep: String,
        key: String,
        was: String,
        now: String,
    },
    #[error("{what}: {source}")]
    Mlflow {
        what: String,
        #[source]
        source: Box<crate::mlflow::MlflowError>,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("drawing {chart}: {message}")]
    Chart {
        chart: &'static str,
        message: String,
    },
    #[error("model {uri}: {reason}")]
    Model { uri: String, reason: String },
}

/// Wraps an MLflow error with what was being done.
pub(crate) fn at(
    what: impl Into<String>,
) -> impl FnOnce(crate::mlflow::MlflowError) -> ExperimentError {
    let what = what.into();
    move |source| ExperimentError::Mlflow {
        what,
        source: Box::new(source),
    }
}
