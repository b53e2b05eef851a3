//! harness: reproducible reference runs, grading and reports for the MLflow Model Registry homework.
//!
//! Layers, top to bottom; an import only ever points down (a test over the `use` lines keeps it
//! so):
//! - `main.rs` → [`run`] → `commands` (one file per command, orchestration only) → [`settings`]
//!   (plain settings from [`cli`] and the environment) and [`error`];
//! - `report` (view-models, templates, every output file) → `grading` (targets, checks, points,
//!   rescore) and [`reference`] (the reference runs and their publish flow);
//! - [`task`] (task files), [`source`] (stores → [`snapshot`]), [`onnx`] (our models as ONNX
//!   for the MLflow ecosystem, and tract to run them);
//! - [`server`] (MLflow and browser
//!   processes), [`mlflow`] (the REST client), [`train`], [`nn`], [`data`], [`progress`],
//!   [`handin`] (the one way to read a hand-in's files), `version`.
//!
//! Only [`mlflow`] talks to a tracking server; only [`source`] opens a store; only [`server`]
//! and the rescoring sandbox (`grading::rescore`) start processes.

pub mod cli;
mod commands;
pub mod data;
pub mod error;
pub mod exercise;
pub mod experiments;
pub mod grading;
pub mod handin;
pub mod mlflow;
pub mod model;
pub mod nn;
pub mod onnx;
pub mod progress;
pub mod reference;
pub mod report;
pub mod serve;
pub mod server;
pub mod settings;
pub mod snapshot;
pub mod source;
pub mod task;
pub mod train;
mod version;

pub use error::Error;

pub use version::VERSION;

/// Runs one command with its settings; output for the user goes to stdout.
pub fn run(settings: settings::Settings) -> Result<std::process::ExitCode, Error> {
    use settings::Action;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let s = &settings;
    s.limits.clone().install();
    match &s.action {
        Action::MlflowUp { instance } => {
            commands::mlflow::up(&s.home, instance, &s.python, s.quiet, &mut out)
        }
        Action::MlflowDown { instance } => commands::mlflow::down(&s.home, instance, &mut out),
        Action::MlflowStatus { instance } => commands::mlflow::status(&s.home, instance, &mut out),
        Action::Check {
            tasks,
            target,
            options,
        } => commands::check::execute(s, tasks, target, options, &mut out),
        Action::Grade {
            tasks,
            source,
            options,
        } => commands::grade::grade(s, tasks, source, options, &mut out),
        Action::Run {
            tasks,
            server,
            options,
        } => commands::run::run(tasks, server, options, s.quiet, &mut out),
        Action::RunConfig {
            config,
            config_file,
            server,
        } => commands::run::run_config(config, config_file, server, s.quiet, &mut out),
        Action::RunZoomcamp { options, server } => {
            commands::run::run_zoomcamp(options, server, s.quiet, &mut out)
        }
        Action::Gate { spec, server } => commands::gate::gate(spec, server, s.quiet, &mut out),
        Action::Sweep {
            plan,
            config_file,
            jobs,
            server,
        } => commands::sweep::sweep(plan, config_file, *jobs, server, s.quiet, &mut out),
        Action::PrintDefaults => commands::run::print_defaults(&mut out),
        Action::BenchTrain { epochs, engine } => {
            commands::bench::train(*epochs, *engine, s.quiet, &mut out)
        }
        Action::Serve(serve) => commands::serve::serve(serve, s.quiet, &mut out),
    }
}
