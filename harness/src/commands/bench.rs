//! `harness bench train`: training throughput of the three MNIST architectures.

use std::io::Write;
use std::process::ExitCode;

use crate::error::Error;
use crate::nn::{Engine, bench};
use crate::progress::Progress;

/// Trains each architecture for `epochs` on the embedded digits and prints one line each
/// (`shallow: params=101770 epochs=2 1.23s 11382 samples/s test_acc=0.9213`).
pub(crate) fn train(
    epochs: usize,
    engine: Engine,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let progress = Progress::spinner(quiet);
    progress.set_message(format!(
        "training shallow, medium and deep for {epochs} epoch(s) each ({engine:?})"
    ));
    let results = bench::run(epochs, engine);
    progress.finish();
    for t in results.map_err(|e| Error::Bench(Box::new(e)))? {
        writeln!(out, "{}", bench::format_line(&t))?;
    }
    Ok(ExitCode::SUCCESS)
}
