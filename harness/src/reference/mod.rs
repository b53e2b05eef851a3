//! Reference runs: the homework's tasks done the way a perfect submission does them, against a
//! real MLflow server, reproducibly (`harness run`). What each task trains comes from its task
//! file's `[training]` section (`tasks/wine.toml`, `tasks/mnist.toml`).
//!
//! - [`wine`] — task 1: three tree models, registered and aliased, champion loaded back.
//! - [`mnist`] — task 2: three MLPs, per-epoch metrics, champion loaded back and re-measured.
//! - [`publish`] — the task-independent flow: run → logged model (files + `MLmodel`) →
//!   registered version → tags → aliases; refuses or replaces an existing registered model.
//! - [`ranking`] — which version gets `champion`/`staging`/`baseline` (pure, tie rules).
//! - `provenance` — the run tags that say what made a run (version, data, seed, commit).

mod error;
pub(crate) mod interrupt;
pub mod mnist;
mod provenance;
pub mod publish;
pub(crate) mod ranking;
pub mod wine;

use std::path::PathBuf;

pub use error::RunError;
pub use mnist::{MnistRunSpec, MnistSummary};
pub use publish::{Published, PublishedVersion};
pub use ranking::{ALIAS_RULE, AliasAssignment, Role, Scored, assign_aliases, rank};
pub use wine::{WineRunSpec, WineSummary};

use crate::nn::DeviceKind;
use crate::task::{TaskSpec, Training};

/// A task `harness run` can perform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Task {
    /// Task 1: wine, three tree models ([`wine`]).
    Wine,
    /// Task 2: MNIST, three fully connected networks ([`mnist`]).
    Mnist,
}

impl Task {
    /// Every task the harness can run, in homework order (`harness run all`).
    pub(crate) const ALL: [Task; 2] = [Task::Wine, Task::Mnist];

    /// The task's name and the name of its task file (`wine` → `tasks/wine.toml`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Task::Wine => "wine",
            Task::Mnist => "mnist",
        }
    }

    /// Which reference run a task file's `[training]` section describes (`None`: no training).
    pub(crate) fn of(spec: &TaskSpec) -> Option<Task> {
        match spec.training {
            Some(Training::Sklearn(_)) => Some(Task::Wine),
            Some(Training::Mlp(_)) => Some(Task::Mnist),
            None => None,
        }
    }
}

/// What one task did, for printing and reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum TaskSummary {
    Wine(Box<WineSummary>),
    Mnist(Box<MnistSummary>),
}

/// How `harness run` varies a task's spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Overrides the spec's seed.
    pub seed: Option<u32>,
    /// Delete what an earlier run left (see [`publish`]) instead of refusing.
    pub replace: bool,
    /// Prepended to the experiment and registered-model names, so several runs can share one
    /// server (tests, a class's common server) without touching each other's models.
    pub name_prefix: Option<String>,
    /// The MNIST profile (`full`, `quick`); `None` = [`mnist::DEFAULT_PROFILE`].
    pub profile: Option<String>,
    /// Where the networks train.
    pub device: DeviceKind,
    /// MNIST IDX files instead of the embedded digits.
    pub data_dir: Option<PathBuf>,
    /// Train the networks on the first `n` training images only (tests).
    pub max_train_samples: Option<usize>,
}

/// Runs the task `spec` describes (its `[training]` section), varied by `options`.
///
/// # Errors
/// [`RunError::Spec`] for a task file without a usable `[training]` section; otherwise as the
/// task's own `run`.
pub fn run_task(
    client: &crate::mlflow::MlflowClient,
    spec: &TaskSpec,
    options: &RunOptions,
    progress: &crate::progress::Progress,
) -> Result<TaskSummary, RunError> {
    let prefixed = |name: &str| match &options.name_prefix {
        Some(prefix) => format!("{prefix}{name}"),
        None => name.to_owned(),
    };
    match Task::of(spec) {
        Some(Task::Wine) => {
            let mut run = WineRunSpec::from_task(spec)?;
            if let Some(seed) = options.seed {
                run.seed = seed;
            }
            run.experiment = prefixed(&run.experiment);
            run.registered_model = prefixed(&run.registered_model);
            wine::run(client, &run, options.replace, progress)
                .map(|s| TaskSummary::Wine(Box::new(s)))
        }
        Some(Task::Mnist) => {
            let profile = options.profile.as_deref().unwrap_or(mnist::DEFAULT_PROFILE);
            let mut run = MnistRunSpec::from_task(spec, profile)?;
            if let Some(seed) = options.seed {
                run.seed = seed;
            }
            run.experiment = prefixed(&run.experiment);
            run.registered_model = prefixed(&run.registered_model);
            run.device = options.device;
            run.data_dir = options.data_dir.clone();
            if options.max_train_samples.is_some() {
                run.max_train_samples = options.max_train_samples;
            }
            mnist::run(client, &run, options.replace, progress)
                .map(|s| TaskSummary::Mnist(Box::new(s)))
        }
        None => Err(RunError::Spec(format!(
            "task `{}` has no [training] section: there is nothing to run",
            spec.id
        ))),
    }
}
