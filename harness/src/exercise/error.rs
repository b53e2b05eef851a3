//! What can stop an exercise's reference run.

/// A reference run that failed; the step says where.
#[derive(Debug, thiserror::Error)]
pub enum ExerciseError {
    /// The task file has no `[reference]` section.
    #[error("task `{task}` has no [reference] section: there is nothing to run")]
    NoReference { task: String },
    /// A config the task file names that the experiments layer refuses.
    #[error("step {step}: {source}")]
    Config {
        step: usize,
        #[source]
        source: crate::experiments::ConfigError,
    },
    /// A registered model that an earlier run left, without `--replace`.
    #[error(
        "registered model `{model}` already exists on {tracking_uri}; refusing to add to it. Pass --replace to delete it (all versions and aliases) and run again"
    )]
    AlreadyExists { model: String, tracking_uri: String },
    #[error("step {step}: {source}")]
    Experiment {
        step: usize,
        #[source]
        source: Box<crate::experiments::ExperimentError>,
    },
    #[error("step {step}: {what}: {source}")]
    Mlflow {
        step: usize,
        what: String,
        #[source]
        source: Box<crate::mlflow::MlflowError>,
    },
    /// A promotion whose source run logged no model.
    #[error("step {step}: run {run_id} has no logged model to register")]
    NoModel { step: usize, run_id: String },
}

/// Wraps an MLflow error with the step and what it was doing.
pub(super) fn at(
    step: usize,
    what: impl Into<String>,
) -> impl FnOnce(crate::mlflow::MlflowError) -> ExerciseError {
    let what = what.into();
    move |source| ExerciseError::Mlflow {
        step,
        what,
        source: Box::new(source),
    }
}
