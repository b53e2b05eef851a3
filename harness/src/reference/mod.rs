//! Reference runs: the homework's tasks done the way a perfect submission does them, against a
//! real MLflow server, reproducibly (`harness run`).
//!
//! - [`wine`] — task 1: three tree models, registered and aliased, champion loaded back.
//! - [`publish`] — the task-independent flow: run → logged model (files + `MLmodel`) →
//!   registered version → tags → aliases; refuses or replaces an existing registered model.
//! - [`ranking`] — which version gets `champion`/`staging`/`baseline` (pure, tie rules).
//! - [`mlmodel`] — the `MLmodel` YAML, signatures and input examples.

mod error;
pub mod mlmodel;
pub mod publish;
pub mod ranking;
pub mod wine;

pub use error::RunError;
pub use publish::{Published, PublishedVersion};
pub use ranking::{ALIAS_RULE, AliasAssignment, Role, Scored, assign_aliases, rank};
pub use wine::{WineRunSpec, WineSummary};

/// A task `harness run` can perform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Task 1: wine, three tree models ([`wine`]).
    Wine,
}

impl Task {
    /// Every task the harness can run, in homework order (`harness run all`).
    pub const ALL: [Task; 1] = [Task::Wine];

    pub fn name(self) -> &'static str {
        match self {
            Task::Wine => "wine",
        }
    }
}

/// What one task did, for printing and reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum TaskSummary {
    Wine(Box<WineSummary>),
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
}

/// Runs `task` with its default spec (the homework) varied by `options`.
///
/// # Errors
/// As the task's own `run`.
pub fn run_task(
    client: &crate::mlflow::MlflowClient,
    task: Task,
    options: &RunOptions,
    progress: &crate::progress::Progress,
) -> Result<TaskSummary, RunError> {
    match task {
        Task::Wine => {
            let mut spec = WineRunSpec::default();
            if let Some(seed) = options.seed {
                spec.seed = seed;
            }
            if let Some(prefix) = &options.name_prefix {
                spec.experiment = format!("{prefix}{}", spec.experiment);
                spec.registered_model = format!("{prefix}{}", spec.registered_model);
            }
            wine::run(client, &spec, options.replace, progress)
                .map(|s| TaskSummary::Wine(Box::new(s)))
        }
    }
}
