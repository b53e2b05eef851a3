//! `harness run wine|mnist|all|EXERCISE`: perform the tasks (or an exercise's `[reference]`
//! steps) against a server and print what was done.

use std::io::Write;
use std::process::ExitCode;

use crate::error::Error;
use crate::progress::Progress;
use crate::reference::{self, RunOptions, Task};
use crate::server::{self, ServerTarget};
use crate::task::TaskSpec;

/// Connects to the server, runs each task and prints its tables. Progress goes to stderr.
pub(crate) fn run(
    tasks: &[TaskSpec],
    target: &ServerTarget,
    options: &RunOptions,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    // Ctrl-C or SIGTERM from here on marks the runs this command opened KILLED.
    reference::interrupt::install();
    let progress = Progress::spinner(quiet);
    progress.set_message("connecting to MLflow");
    let server = server::connect(target, &progress);
    progress.finish();
    let server = server?;
    let client = server.client()?;
    for (i, task) in tasks.iter().enumerate() {
        // A spinner per task (a bar while a network trains), cleared before the task's tables.
        let progress = Progress::spinner(quiet);
        if i > 0 {
            writeln!(out)?;
        }
        if Task::of(task).is_none() && crate::exercise::has_reference(task) {
            let summary = crate::exercise::run(&client, task, options, &progress);
            progress.finish();
            let summary = summary.map_err(|source| Error::Exercise {
                task: task.id.clone(),
                source,
            })?;
            crate::exercise::render(&summary, out)?;
            continue;
        }
        let summary = reference::run_task(&client, task, options, &progress);
        progress.finish();
        let summary = summary.map_err(|source| Error::Run {
            task: Task::of(task).map_or("?", Task::name),
            source,
        })?;
        crate::report::run_tables::render(&summary, out)?;
    }
    if server.owns_server() && !quiet {
        eprintln!(
            "note: harness started MLflow at {} for this command and stops it now; the store \
             keeps the results (`harness mlflow up` serves it for the UI)",
            server.uri
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `harness run --config FILE`: one experiment of the user's own, logged to the server.
pub(crate) fn run_config(
    config: &crate::experiments::ExperimentConfig,
    config_file: &crate::experiments::ConfigFile,
    target: &ServerTarget,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    reference::interrupt::install();
    let progress = Progress::spinner(quiet);
    progress.set_message("connecting to MLflow");
    let server = server::connect(target, &progress);
    let server = match server {
        Ok(s) => s,
        Err(e) => {
            progress.finish();
            return Err(e.into());
        }
    };
    let summary = server.client().map_err(Error::from).and_then(|client| {
        crate::experiments::run(&client, config, config_file, &progress).map_err(Error::from)
    });
    progress.finish();
    crate::experiments::render(config, &summary?, out)?;
    Ok(ExitCode::SUCCESS)
}

/// `harness run zoomcamp-hw2`: the MLOps Zoomcamp's week-2 homework on the diabetes data.
pub(crate) fn run_zoomcamp(
    options: &crate::experiments::zoomcamp::ZoomcampOptions,
    target: &ServerTarget,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    use crate::experiments::zoomcamp;
    reference::interrupt::install();
    let progress = Progress::spinner(quiet);
    progress.set_message("connecting to MLflow");
    let summary = server::connect(target, &progress)
        .map_err(Error::from)
        .and_then(|server| {
            let client = server.client()?;
            zoomcamp::run(&client, options, &progress).map_err(Error::from)
        });
    progress.finish();
    zoomcamp::render(&summary?, out)?;
    Ok(ExitCode::SUCCESS)
}

/// `harness run --print-defaults`: a config with every key and its default.
pub(crate) fn print_defaults(out: &mut dyn Write) -> Result<ExitCode, Error> {
    out.write_all(crate::experiments::DEFAULTS_YAML.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
