//! `harness sweep --config SWEEP.yaml [--jobs N]`: run or resume a sweep and print its
//! trials sorted by the metric.

use std::io::Write;
use std::process::ExitCode;

use crate::error::Error;
use crate::experiments::ConfigFile;
use crate::experiments::sweep::{self, SweepPlan};
use crate::progress::Progress;
use crate::reference;
use crate::server::{self, ServerTarget};

pub(crate) fn sweep(
    plan: &SweepPlan,
    config_file: &ConfigFile,
    jobs: usize,
    target: &ServerTarget,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    reference::interrupt::install();
    let progress = Progress::spinner(quiet);
    progress.set_message("connecting to MLflow");
    // The handle lives until the sweep is done: an embedded server it started stops when it is
    // dropped.
    let server = match server::connect(target, &progress) {
        Ok(server) => server,
        Err(e) => {
            progress.finish();
            return Err(e.into());
        }
    };
    let summary = server.client().map_err(Error::from).and_then(|client| {
        sweep::run(&client, plan, config_file, jobs, &progress).map_err(Error::from)
    });
    progress.finish();
    sweep::render(&summary?, out)?;
    Ok(ExitCode::SUCCESS)
}
