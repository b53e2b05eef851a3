//! `harness check`: grade one MLflow state, or a folder of submissions.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use crate::error::Error;
use crate::grading::manual::ManualScores;
use crate::grading::rescore::{self, Sandbox};
use crate::grading::{self, Graded, Target};
use crate::progress::Progress;
use crate::report;
use crate::settings::{CheckOptions, CheckTarget, Settings};
use crate::task::TaskSpec;

/// `harness check`: connects to a server when one is the target, prepares the rescoring sandbox
/// when asked, grades, prints the chosen format and writes the reports.
pub(crate) fn execute(
    settings: &Settings,
    tasks: &[TaskSpec],
    target: &CheckTarget,
    options: &CheckOptions,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let progress = Progress::spinner(settings.quiet);
    let (target, _server) = open_target(target, &progress)?;
    let sandbox = if options.rescore {
        let sandbox = Sandbox::provision(&settings.home, &settings.python, &progress)?;
        Some(match &options.torch_python {
            Some(python) => sandbox.with_torch_python(python),
            None => sandbox,
        })
    } else {
        None
    };
    progress.finish();
    let mut graded = grading::grade_target(tasks, target)?;
    if let Some(sandbox) = &sandbox {
        for g in &mut graded {
            rescore::rescore(tasks, g, sandbox);
        }
    }
    let scores = merge_reviews(
        tasks,
        &mut graded,
        options.manual.as_deref(),
        options.out_dir.as_deref(),
    )?;
    report::print(tasks, &graded, options.format, options.audience, out)?;
    if let Some(dir) = &options.out_dir {
        let date = report::report_date();
        report::write_reports(
            tasks,
            &graded,
            dir,
            &date,
            &|_| report::ReportExtras {
                date: date.clone(),
                ..Default::default()
            },
            &scores,
        )?;
    }
    Ok(exit_code(&graded))
}

/// Reads the TA's review sheets (`--manual`), checks every row against the graded class and
/// merges the scores; then makes sure the review sheets already in `out` hold no filled row the
/// new ones would drop or blank. All of it happens before anything is written, so a bad row
/// leaves every output file as it was.
pub(crate) fn merge_reviews(
    tasks: &[TaskSpec],
    graded: &mut [Graded],
    manual: Option<&Path>,
    out: Option<&Path>,
) -> Result<ManualScores, Error> {
    let scores = match manual {
        Some(path) => {
            let rows = grading::manual::read(path)?;
            grading::manual::validate(&rows, graded, tasks)?
        }
        None => ManualScores::default(),
    };
    grading::manual::apply(&scores, graded, tasks);
    if let Some(dir) = out {
        report::guard_reviews(dir, tasks, graded, &scores)?;
    }
    Ok(scores)
}

/// 0 when every automatic check of every submission passed, 1 otherwise.
pub(crate) fn exit_code(graded: &[Graded]) -> ExitCode {
    if grading::all_passed(graded) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Turns a settings target into a grading target. A server it started comes back too: the caller
/// holds it until grading ends, since dropping it stops the server.
pub(crate) fn open_target(
    target: &CheckTarget,
    progress: &Progress,
) -> Result<(Target, Option<crate::server::TrackingServer>), Error> {
    Ok(match target {
        CheckTarget::Server(t) => {
            let server = crate::server::connect(t, progress)?;
            (Target::Server(server.client()?), Some(server))
        }
        CheckTarget::Store(p) => (Target::Store(p.clone()), None),
        CheckTarget::Mlruns(p) => (Target::Mlruns(p.clone()), None),
        CheckTarget::Submissions(p) => (Target::Submissions(p.clone()), None),
    })
}
