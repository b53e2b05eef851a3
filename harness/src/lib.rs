//! harness: reproducible reference runs, grading and reports for the MLflow Model Registry homework.
//!
//! Data flows one way: `tasks/*.toml` → training (`train`, `nn`) → [`mlflow`] client → MLflow server;
//! and MLflow state → snapshot → checks → grade → report. Only [`mlflow`] touches the network and
//! only [`server`] starts processes.

pub mod app;
pub mod checks;
pub mod cli;
pub mod data;
pub mod error;
pub mod grade;
pub mod mlflow;
pub mod nn;
pub mod output;
pub mod progress;
pub mod reference;
pub mod report;
pub mod rescore;
pub mod server;
pub mod settings;
pub mod snapshot;
pub mod source;
pub mod submission;
pub mod task;
pub mod train;

pub use error::Error;

/// harness's own version, recorded in provenance tags and reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Runs one command with its settings; output for the user goes to stdout.
pub fn run(settings: settings::Settings) -> Result<std::process::ExitCode, Error> {
    use settings::Action;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let s = &settings;
    match &s.action {
        Action::MlflowUp { instance } => {
            app::mlflow::up(&s.home, instance, &s.python, s.quiet, &mut out)
        }
        Action::MlflowDown { instance } => app::mlflow::down(&s.home, instance, &mut out),
        Action::MlflowStatus { instance } => app::mlflow::status(&s.home, instance, &mut out),
        Action::Check {
            tasks,
            target,
            options,
            rescore,
        } => app::check::execute(s, tasks, target, options, *rescore, &mut out),
        Action::Grade {
            tasks,
            source,
            options,
        } => app::grade::grade(s, tasks, source, options, &mut out),
        Action::Run {
            tasks,
            server,
            options,
        } => app::run::run(tasks, server, options, s.quiet, &mut out),
        Action::BenchTrain { epochs, engine } => {
            app::bench::train(*epochs, *engine, s.quiet, &mut out)
        }
    }
}
