//! `harness grade` (what `just grade` runs): MLflow up → every task's reference run with its fixed
//! seed → grade that state → reports. Given `--tracking-uri`, `--store`, `--mlruns` or
//! `--submissions`, it grades what it is given instead of running the reference.

use std::io::Write;
use std::process::ExitCode;

use super::check::{exit_code, merge_reviews, open_target};
use crate::error::Error;
use crate::grading::{Graded, Target, grade_target};
use crate::progress::Progress;
use crate::reference::{self, Task, TaskSummary};
use crate::report::{self, ReportExtras, Screenshot};
use crate::server;
use crate::settings::{GradeOptions, GradeSource, Settings};
use crate::task::TaskSpec;

/// Runs the reference (when `source` is a server to start) or grades the given state, then writes
/// the reports and prints where they are and a one-line score.
pub(crate) fn grade(
    settings: &Settings,
    tasks: &[TaskSpec],
    source: &GradeSource,
    opts: &GradeOptions,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let progress = Progress::spinner(settings.quiet);
    let date = report::report_date();
    let graded =
        match source {
            GradeSource::Reference(target) => {
                reference::interrupt::install();
                let server = server::connect(target, &progress)?;
                let client = server.client()?;
                let mut summaries = Vec::new();
                for (task, spec) in reference_tasks(tasks) {
                    progress.set_message(format!("reference run: {}", task.name()));
                    let summary = reference::run_task(&client, spec, &opts.run, &progress)
                        .map_err(|source| Error::Run {
                            task: task.name(),
                            source,
                        })?;
                    summaries.push(summary);
                }
                progress.set_message("grading the reference state");
                let mut graded = grade_target(tasks, Target::Server(client.clone()))?;
                let mut extras = ReportExtras::from_reference(&summaries, &date);
                extras.mlflow_versions = client.server_version().ok().into_iter().collect();
                if opts.screenshots {
                    extras.screenshots =
                        screenshots(&settings.home, &client, &summaries, &progress, out)?;
                }
                for g in &mut graded {
                    g.submission = "reference run".into();
                }
                let scores =
                    merge_reviews(tasks, &mut graded, opts.manual.as_deref(), Some(&opts.out))?;
                progress.set_message("writing reports");
                report::write_reports(
                    tasks,
                    &graded,
                    &opts.out,
                    &date,
                    &|_| extras.clone(),
                    &scores,
                )?;
                report::files::write_reference_summary(&opts.out, &summaries)?;
                let exercises = exercise_references(&client, opts, &progress)?;
                report::files::write_exercise_results(&opts.out, &exercises)?;
                progress.finish();
                report::print::grade_summary(&graded, &opts.out, out)?;
                report::print::exercise_summary(&exercises, out)?;
                let passed = crate::grading::all_passed(&graded)
                    && exercises
                        .iter()
                        .all(|(_, g)| g.grade.all_automatic_passed());
                return Ok(if passed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                });
            }
            GradeSource::Given(target) => {
                let (target, _server) = open_target(target, &progress)?;
                let mut graded = grade_target(tasks, target)?;
                let scores =
                    merge_reviews(tasks, &mut graded, opts.manual.as_deref(), Some(&opts.out))?;
                report::write_reports(
                    tasks,
                    &graded,
                    &opts.out,
                    &date,
                    &|_| ReportExtras {
                        date: date.clone(),
                        ..Default::default()
                    },
                    &scores,
                )?;
                graded
            }
        };
    progress.finish();
    summarize(&graded, opts, out)
}

/// Each exercise's reference run (replacing what an earlier `grade` registered), graded on
/// what that run made only.
fn exercise_references(
    client: &crate::mlflow::MlflowClient,
    opts: &GradeOptions,
    progress: &Progress,
) -> Result<Vec<(crate::exercise::ExerciseSummary, Graded)>, Error> {
    let run = reference::RunOptions {
        seed: opts.run.seed,
        replace: true,
        ..Default::default()
    };
    let mut rows = Vec::new();
    for spec in &opts.exercises {
        progress.set_message(format!("reference run: {}", spec.id));
        let summary = crate::exercise::run(client, spec, &run, progress).map_err(|source| {
            Error::Exercise {
                task: spec.id.clone(),
                source,
            }
        })?;
        let scope = crate::source::rest::Scope::only(
            summary.experiments.clone(),
            summary.registered_models.clone(),
        );
        let mut graded =
            crate::grading::grade_server(std::slice::from_ref(spec), client.clone(), &scope);
        for g in &mut graded {
            g.submission = format!("reference run of {}", spec.id);
        }
        rows.extend(graded.into_iter().map(|g| (summary.clone(), g)));
    }
    Ok(rows)
}

/// The tasks that have a reference run, in task-file order.
fn reference_tasks(tasks: &[TaskSpec]) -> Vec<(Task, &TaskSpec)> {
    tasks
        .iter()
        .filter_map(|t| Task::of(t).map(|task| (task, t)))
        .collect()
}

fn summarize(
    graded: &[Graded],
    opts: &GradeOptions,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    report::print::grade_summary(graded, &opts.out, out)?;
    Ok(exit_code(graded))
}

/// MLflow UI screenshots of each task's registered model and runs. The browser is installed
/// when it is missing and harness may install it; otherwise the screenshots are skipped with a
/// note that says what to install.
fn screenshots(
    home: &server::Home,
    client: &crate::mlflow::MlflowClient,
    summaries: &[TaskSummary],
    progress: &Progress,
    out: &mut dyn Write,
) -> Result<Vec<Screenshot>, Error> {
    let browser =
        match server::Browser::find_or_install(home, progress).map_err(report::ReportError::from) {
            Ok(b) => b,
            Err(e) if e.is_no_browser() => {
                writeln!(out, "screenshots skipped: {e}")?;
                return Ok(Vec::new());
            }
            Err(e) => return Err(e.into()),
        };
    let uri = client
        .tracking_uri()
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let mut shots = Vec::new();
    for s in summaries {
        let published = match s {
            TaskSummary::Wine(w) => &w.published,
            TaskSummary::Mnist(m) => &m.published,
        };
        progress.set_message(format!("screenshots of {}", published.registered_model));
        shots.extend(report::mlflow_ui_screenshots(
            &browser,
            &uri,
            &published.registered_model,
            Some(&published.experiment_id),
            report::screenshot::DEFAULT_BUDGET_MS,
        )?);
    }
    Ok(shots)
}
