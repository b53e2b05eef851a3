//! `harness grade` (what `just grade` runs): MLflow up → every task's reference run with its fixed
//! seed → grade that state → reports. Given `--tracking-uri`, `--store`, `--mlruns` or
//! `--submissions`, it grades what it is given instead of running the reference.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::check::{Graded, Target, grade_target, open_target, report_date, write_reports};
use crate::error::Error;
use crate::progress::Progress;
use crate::reference::{self, RunOptions, Task, TaskSummary};
use crate::report::{self, PredictionRow, PredictionsView, ReportExtras, Screenshot};
use crate::server::{self, ServerTarget};
use crate::settings::{CheckTarget, Settings};
use crate::task::TaskSpec;

/// What `grade` does, decided by the settings layer.
#[derive(Debug, Clone)]
pub struct GradeOptions {
    pub out: PathBuf,
    pub screenshots: bool,
    pub run: RunOptions,
}

/// Runs the reference (when `source` is a server to start) or grades the given state, then writes
/// the reports and prints where they are and a one-line score.
pub fn grade(
    settings: &Settings,
    tasks: &[TaskSpec],
    source: &GradeSource,
    opts: &GradeOptions,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let progress = Progress::spinner(settings.quiet);
    let date = report_date();
    let graded =
        match source {
            GradeSource::Reference(target) => {
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
                let mut extras = extras_from(&summaries, &date);
                extras.mlflow_versions = client.server_version().ok().into_iter().collect();
                if opts.screenshots {
                    extras.screenshots = screenshots(&client, &summaries, &progress, out)?;
                }
                for g in &mut graded {
                    g.submission = "reference run".into();
                }
                progress.set_message("writing reports");
                write_reports(tasks, &graded, &opts.out, &date, &|_| extras.clone())?;
                let summary_path = opts.out.join("reference-run.json");
                let json = serde_json::to_vec_pretty(&summaries).map_err(std::io::Error::from)?;
                std::fs::write(&summary_path, json)?;
                graded
            }
            GradeSource::Given(target) => {
                let (target, _server) = open_target(target, &progress)?;
                let graded = grade_target(tasks, target)?;
                write_reports(tasks, &graded, &opts.out, &date, &|_| ReportExtras {
                    date: date.clone(),
                    ..Default::default()
                })?;
                graded
            }
        };
    progress.finish();
    summarize(&graded, opts, out)
}

/// Where `grade` gets its MLflow state.
#[derive(Debug)]
pub enum GradeSource {
    /// Start (or reuse) this server and run the reference into it.
    Reference(ServerTarget),
    /// Grade this state as it is.
    Given(CheckTarget),
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
    let report = opts.out.join("report.html");
    writeln!(
        out,
        "reports: {} ({} and report.md beside it)",
        opts.out.display(),
        report.display()
    )?;
    for g in graded {
        let pending = crate::output::text::awaiting_ta(&g.grade);
        writeln!(
            out,
            "{}: {}/{} points{}, {} awaiting a TA",
            g.submission,
            g.grade.points,
            g.grade.max_points,
            if g.grade.all_automatic_passed() {
                ", every automatic check passed"
            } else {
                ""
            },
            pending
        )?;
    }
    let ok = graded.iter().all(|g| g.grade.all_automatic_passed());
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What the reference run knows that MLflow state does not: predictions, seed, checksums.
fn extras_from(summaries: &[TaskSummary], date: &str) -> ReportExtras {
    let mut extras = ReportExtras {
        date: date.into(),
        ..Default::default()
    };
    let mut predictions = BTreeMap::new();
    for s in summaries {
        match s {
            TaskSummary::Wine(w) => {
                extras.seed = Some(u64::from(w.seed));
                extras
                    .data_checksums
                    .push(("wine_data.csv".into(), w.data_sha256.clone()));
                predictions.insert(
                    "wine".to_string(),
                    PredictionsView {
                        model: w.champion.uri.clone(),
                        rows: w
                            .champion
                            .predictions
                            .iter()
                            .map(|p| PredictionRow {
                                index: p.row,
                                predicted: p.predicted_class.clone(),
                                actual: p.actual_class.clone(),
                                confidence: None,
                                correct: p.predicted == p.actual,
                            })
                            .collect(),
                        test_accuracy: w.champion_result().map(|v| v.accuracy),
                    },
                );
            }
            TaskSummary::Mnist(m) => {
                extras.seed = extras.seed.or(Some(u64::from(m.seed)));
                extras
                    .data_checksums
                    .push(("mnist (images + labels)".into(), m.data.sha256.clone()));
                predictions.insert(
                    "mnist".to_string(),
                    PredictionsView {
                        model: m.champion.uri.clone(),
                        rows: m
                            .champion
                            .predictions
                            .iter()
                            .map(|p| PredictionRow {
                                index: p.row,
                                predicted: p.predicted.to_string(),
                                actual: p.actual.to_string(),
                                confidence: Some(f64::from(p.confidence)),
                                correct: p.predicted == p.actual,
                            })
                            .collect(),
                        test_accuracy: Some(m.champion.test_accuracy),
                    },
                );
            }
        }
    }
    extras.predictions = predictions;
    extras
}

/// MLflow UI screenshots of each task's registered model and runs; skipped with a note when no
/// browser is installed.
fn screenshots(
    client: &crate::mlflow::MlflowClient,
    summaries: &[TaskSummary],
    progress: &Progress,
    out: &mut dyn Write,
) -> Result<Vec<Screenshot>, Error> {
    let browser = match report::Browser::find() {
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
