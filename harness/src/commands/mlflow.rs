//! `harness mlflow up|down|status`.

use std::io::Write;
use std::process::ExitCode;

use crate::error::Error;
use crate::progress::Progress;
use crate::server::{self, Home};

/// Starts the embedded server (or finds the running one) and leaves it running.
/// Stdout gets exactly `MLFLOW_TRACKING_URI=…`, so `eval "$(harness mlflow up)"` works.
pub(crate) fn up(
    home: &Home,
    instance: &str,
    python: &str,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let progress = Progress::spinner(quiet);
    let (state, started) = server::up(home, instance, python, &progress)?;
    progress.finish();
    let reused = started.is_none();
    if let Some(started) = started {
        started.detach();
    }
    if !quiet {
        eprintln!(
            "MLflow {} {} at {} (pid {}, store {}, log {}); stop it with `harness mlflow down`",
            state.mlflow_version,
            if reused { "already running" } else { "started" },
            state.tracking_uri,
            state.pid,
            state.backend_store.display(),
            state.log.display()
        );
    }
    writeln!(out, "MLFLOW_TRACKING_URI={}", state.tracking_uri)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn down(home: &Home, instance: &str, out: &mut dyn Write) -> Result<ExitCode, Error> {
    match server::down(home, instance)? {
        Some(state) => writeln!(
            out,
            "stopped MLflow at {} (pid {})",
            state.tracking_uri, state.pid
        )?,
        None => writeln!(
            out,
            "no embedded MLflow server `{instance}` is recorded under {}",
            home.root.display()
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit 0 when running and healthy, 1 when not.
pub(crate) fn status(home: &Home, instance: &str, out: &mut dyn Write) -> Result<ExitCode, Error> {
    match server::status(home, instance)? {
        Some(s) => {
            writeln!(out, "running: MLFLOW_TRACKING_URI={}", s.tracking_uri)?;
            writeln!(
                out,
                "pid {} · mlflow {} · store {} · artefacts {} · log {}",
                s.pid,
                s.mlflow_version,
                s.backend_store.display(),
                s.artifacts.display(),
                s.log.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let recorded = server::read_state(home, instance)?;
            match recorded {
                Some(s) => writeln!(
                    out,
                    "not running (recorded pid {} at {} does not answer; `harness mlflow down` clears it)",
                    s.pid, s.tracking_uri
                )?,
                None => writeln!(out, "not running")?,
            }
            Ok(ExitCode::from(1))
        }
    }
}
