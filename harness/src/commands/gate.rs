//! `harness gate MODEL_URI --task … --min …`: score a registered model and pass or fail.

use std::io::Write;
use std::process::ExitCode;

use crate::error::Error;
use crate::experiments::{self, GateSpec};
use crate::progress::Progress;
use crate::server::{self, ServerTarget};

/// Connects, scores the model, prints the figures; exit 1 when a threshold fails.
pub(crate) fn gate(
    spec: &GateSpec,
    target: &ServerTarget,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let progress = Progress::spinner(quiet);
    progress.set_message("connecting to MLflow");
    // The server handle lives until scoring is done: an embedded server it started stops
    // when it is dropped.
    let server = match server::connect(target, &progress) {
        Ok(server) => server,
        Err(e) => {
            progress.finish();
            return Err(e.into());
        }
    };
    let report = server.client().map_err(Error::from).and_then(|client| {
        progress.set_message(format!("scoring {}", spec.model_uri));
        experiments::gate(&client, spec).map_err(Error::from)
    });
    progress.finish();
    let report = report?;
    experiments::render_gate(&report, out)?;
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
