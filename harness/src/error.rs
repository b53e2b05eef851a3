//! The top-level error: one variant per area, each carrying its own context.

use crate::mlflow::MlflowError;
use crate::reference::RunError;
use crate::server::ServerError;

/// The exit code for output that could not be written (see [`Error::exit_code`]).
pub const EXIT_OUTPUT: u8 = 3;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line or its environment asks for something impossible.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error(transparent)]
    Mlflow(#[from] MlflowError),
    #[error(transparent)]
    Task(#[from] crate::task::TaskError),
    /// `harness run <task>` failed; the source says at which step.
    #[error("harness run {task}: {source}")]
    Run {
        task: &'static str,
        #[source]
        source: RunError,
    },
    /// `harness run --config`: a config that cannot be used (nothing was logged).
    #[error(transparent)]
    Config(#[from] crate::experiments::ConfigError),
    /// `harness run --config`: the experiment failed after its config was accepted.
    #[error("{0}")]
    Experiment(Box<crate::experiments::ExperimentError>),
    /// `harness run <exercise>` failed; the source says at which step.
    #[error("harness run {task}: {source}")]
    Exercise {
        task: String,
        #[source]
        source: crate::exercise::ExerciseError,
    },
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error(transparent)]
    Grading(#[from] crate::grading::GradingError),
    /// A TA's review sheet (`--manual`) that cannot be merged, or one in `--out` that writing
    /// the reports would overwrite.
    #[error(transparent)]
    Manual(#[from] crate::grading::manual::ManualError),
    /// `--rescore` could not prepare its sandbox.
    #[error("--rescore: {0}")]
    Rescore(#[from] crate::grading::rescore::sandbox::RescoreError),
    /// `harness bench train` failed.
    #[error("bench: {0}")]
    Bench(Box<crate::nn::NnError>),
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
    #[error(transparent)]
    Serve(Box<crate::serve::ServeError>),
}

impl From<crate::serve::ServeError> for Error {
    fn from(e: crate::serve::ServeError) -> Self {
        Error::Serve(Box::new(e))
    }
}

impl From<crate::experiments::ExperimentError> for Error {
    fn from(e: crate::experiments::ExperimentError) -> Self {
        Error::Experiment(Box::new(e))
    }
}

impl Error {
    /// 2 for usage errors (as clap uses) and for what the command line pointed at that cannot
    /// be used (a bad task file, a submissions folder with nothing in it, a review sheet with a
    /// bad row); 3 when the reports or
    /// the output could not be written (an unwritable `--out`), so a script can tell that from
    /// a failing check; 1 for everything else that went wrong while working (as a failing check
    /// exits).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_)
            | Error::Task(_)
            | Error::Config(_)
            | Error::Grading(_)
            | Error::Manual(_) => 2,
            Error::Exercise {
                source: crate::exercise::ExerciseError::Config { .. },
                ..
            } => 2,
            Error::Experiment(e)
                if matches!(
                    **e,
                    crate::experiments::ExperimentError::SweepChanged { .. }
                ) =>
            {
                2
            }
            Error::Serve(e) => e.exit_code(),
            Error::Output(_)
            | Error::Report(
                crate::report::ReportError::Write { .. } | crate::report::ReportError::Io(_),
            ) => EXIT_OUTPUT,
            _ => 1,
        }
    }
}

/// The error and its causes, one per line, for the terminal.
pub fn report(err: &Error) -> String {
    let mut out = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str("\n  caused by: ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
