//! The report's view-model: everything a template shows, computed here so templates only lay
//! it out. Built from a grade, the snapshot it was graded on (when the store could be read) and
//! the extras only a reference run knows (predictions, seed, data checksums, screenshots).
//!
//! Numbers are pre-formatted into `*_text` fields so Markdown and HTML show the same digits.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde::Serialize;

use crate::checks::{CheckStatus, Context};
use crate::grade::Grade;
use crate::snapshot::{ModelVersion, Run, Snapshot};
use crate::submission::Identity;
use crate::task::TaskSpec;

use super::chart::{self, Series};

/// What the reference run (or the caller) knows beyond the MLflow state.
#[derive(Debug, Clone, Default)]
pub struct ReportExtras {
    /// Shown in the header; passed in so tests can fix it.
    pub date: String,
    pub seed: Option<u64>,
    /// (file or dataset, SHA-256).
    pub data_checksums: Vec<(String, String)>,
    /// MLflow versions known besides those read from `MLmodel` files (e.g. the server's).
    pub mlflow_versions: Vec<String>,
    /// Where the state was read from, shown as text; defaults to the snapshot's origin.
    /// Any `user:password@` part is removed before it is shown.
    pub tracking_uri: Option<String>,
    /// Task id → the champion's predictions on test samples.
    pub predictions: BTreeMap<String, PredictionsView>,
    pub screenshots: Vec<Screenshot>,
}

/// Sample predictions of a task's champion next to the true labels.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PredictionsView {
    /// What produced them, e.g. "champion (v2 RandomForest) loaded by alias".
    pub model: String,
    pub rows: Vec<PredictionRow>,
    /// Accuracy of the champion on the whole test set, as a fraction, when known.
    pub test_accuracy: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PredictionRow {
    pub index: usize,
    pub predicted: String,
    pub actual: String,
    /// Probability of the predicted class (softmax), when the model gives one.
    pub confidence: Option<f64>,
    pub correct: bool,
}

/// A PNG to embed (MLflow UI captures).
#[derive(Debug, Clone)]
pub struct Screenshot {
    pub title: String,
    pub png: Vec<u8>,
}

/// The input the builder reads; `From<&Graded>` fills it from `harness check`'s result.
#[derive(Debug, Clone, Copy)]
pub struct SubmissionInput<'a> {
    pub submission: &'a str,
    pub identity: &'a Identity,
    pub grade: &'a Grade,
    pub snapshot: Option<&'a Snapshot>,
    /// Why the store could not be read, if it could not.
    pub problem: Option<&'a str>,
}

impl<'a> From<&'a crate::app::check::Graded> for SubmissionInput<'a> {
    fn from(g: &'a crate::app::check::Graded) -> Self {
        SubmissionInput {
            submission: &g.submission,
            identity: &g.identity,
            grade: &g.grade,
            snapshot: g.snapshot.as_ref(),
            problem: g.problem.as_deref(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmissionView {
    pub header: Header,
    pub problem: Option<String>,
    pub points: u32,
    pub max_points: u32,
    pub percent_text: String,
    /// Tasks with MLflow state (tables, charts); tasks without (overall) only have rubric items.
    pub tasks: Vec<TaskView>,
    pub rubric: Vec<RubricTask>,
    pub screenshots: Vec<ScreenshotView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Header {
    pub tasks: Vec<String>,
    pub submission: String,
    pub name: String,
    pub student_id: String,
    pub date: String,
    pub harness_version: String,
    pub mlflow_versions: Vec<String>,
    pub seed: Option<u64>,
    /// The seed as text, `—` when unknown (templates cannot tell 0 from "none").
    pub seed_text: String,
    pub data_checksums: Vec<Checksum>,
    pub origin: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Checksum {
    pub name: String,
    pub sha256: String,
}

/// How a task's comparison table is laid out: the homework asks for different columns for
/// classic models (accuracy, F1) and neural networks (loss, parameters, training time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Classic,
    Network,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    pub id: String,
    pub title: String,
    pub layout: Layout,
    pub experiment: Option<String>,
    pub registered_model: Option<String>,
    /// False when the registered model is missing from the store.
    pub model_found: bool,
    pub versions: Vec<VersionRow>,
    /// The Metric × Version table (network layout).
    pub metric_table: Vec<MetricRow>,
    pub champion: Option<ChampionView>,
    pub aliases: Vec<AliasRow>,
    pub predictions: Option<PredictionsTable>,
    /// Why there are no predictions, when there are none.
    pub predictions_note: String,
    pub accuracy_chart: Option<String>,
    pub curves: Vec<CurveChart>,
}

/// [`PredictionsView`] with numbers formatted for display.
#[derive(Debug, Clone, Serialize)]
pub struct PredictionsTable {
    pub model: String,
    pub accuracy_text: Option<String>,
    pub has_confidence: bool,
    pub correct: usize,
    pub rows: Vec<PredictionCells>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PredictionCells {
    pub index: usize,
    pub predicted: String,
    pub actual: String,
    pub confidence_text: String,
    pub correct: bool,
}

impl From<&PredictionsView> for PredictionsTable {
    fn from(p: &PredictionsView) -> Self {
        PredictionsTable {
            model: p.model.clone(),
            accuracy_text: p.test_accuracy.map(pct),
            has_confidence: p.rows.iter().any(|r| r.confidence.is_some()),
            correct: p.rows.iter().filter(|r| r.correct).count(),
            rows: p
                .rows
                .iter()
                .map(|r| PredictionCells {
                    index: r.index,
                    predicted: r.predicted.clone(),
                    actual: r.actual.clone(),
                    confidence_text: r
                        .confidence
                        .map_or_else(dash, |c| format!("{:.1} %", c * 100.0)),
                    correct: r.correct,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionRow {
    pub version: u32,
    /// The expected model it was recognised as (`dt`, `shallow`), if any.
    pub key: Option<String>,
    pub algorithm: String,
    pub accuracy: Option<f64>,
    pub accuracy_text: String,
    pub f1_text: String,
    pub loss_text: String,
    pub parameters_text: String,
    pub training_time_text: String,
    pub model_size_text: String,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricRow {
    pub metric: String,
    /// One cell per version, in `versions` order.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChampionView {
    pub version: u32,
    pub algorithm: String,
    pub accuracy_text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AliasRow {
    pub alias: String,
    pub version: Option<u32>,
    pub algorithm: String,
    pub accuracy_text: String,
    /// The alias check's verdict (`pass`, `fail`), when the rubric has one.
    pub status: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurveChart {
    pub version: u32,
    pub algorithm: String,
    pub loss_svg: Option<String>,
    pub accuracy_svg: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RubricTask {
    pub task: String,
    pub title: String,
    pub points: u32,
    pub max_points: u32,
    pub items: Vec<RubricItemView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RubricItemView {
    pub id: String,
    pub title: String,
    pub points: u32,
    pub max_points: u32,
    pub status: String,
    /// Points only a TA can award (manual checks' weights).
    pub manual_points: u32,
    pub checks: Vec<CheckView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub id: String,
    pub status: String,
    pub message: String,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScreenshotView {
    pub title: String,
    /// Relative path written by `write_submission_dir` (`screenshots/1-….png`).
    pub file: String,
    pub data_uri: String,
}

fn pct(v: f64) -> String {
    format!("{:.2} %", v * 100.0)
}

fn dash() -> String {
    "—".to_string()
}

fn status_text<T: Serialize>(s: &T) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A safe file-name fragment (screenshots, sub-folders).
pub fn slug(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with('.') {
        format!("_{out}")
    } else {
        out
    }
}

/// Builds one submission's view.
pub fn submission(
    tasks: &[TaskSpec],
    input: SubmissionInput<'_>,
    extras: &ReportExtras,
) -> SubmissionView {
    let g = input.grade;
    let mut mlflow_versions: BTreeSet<String> = extras.mlflow_versions.iter().cloned().collect();
    if let Some(s) = input.snapshot {
        mlflow_versions.extend(
            s.model_versions
                .iter()
                .filter_map(|v| v.artifact.mlmodel.as_ref()?.mlflow_version.clone()),
        );
    }
    let header = Header {
        tasks: tasks.iter().map(|t| t.title.clone()).collect(),
        submission: input.submission.to_string(),
        name: input.identity.name.clone().unwrap_or_else(dash),
        student_id: input.identity.student_id.clone().unwrap_or_else(dash),
        date: extras.date.clone(),
        harness_version: crate::VERSION.to_string(),
        mlflow_versions: mlflow_versions.into_iter().collect(),
        seed: extras.seed,
        seed_text: extras.seed.map_or_else(dash, |s| s.to_string()),
        data_checksums: extras
            .data_checksums
            .iter()
            .map(|(n, h)| Checksum {
                name: n.clone(),
                sha256: h.clone(),
            })
            .collect(),
        // Credentials are cut from any URL here too: a report is shared, a tracking URI may
        // carry a password.
        origin: extras
            .tracking_uri
            .clone()
            .or_else(|| input.snapshot.map(|s| s.origin.clone()))
            .filter(|o| !o.is_empty())
            .map(|o| {
                if o.starts_with("http://") || o.starts_with("https://") {
                    super::screenshot::strip_credentials(&o).unwrap_or_else(|_| "(a URL)".into())
                } else {
                    o
                }
            }),
    };
    let task_views = tasks
        .iter()
        .filter(|t| t.registered_model.is_some() || t.experiment.is_some())
        .map(|t| task_view(t, input.snapshot, g, extras))
        .collect();
    let screenshots = extras
        .screenshots
        .iter()
        .enumerate()
        .map(|(i, s)| ScreenshotView {
            title: s.title.clone(),
            file: format!("screenshots/{}-{}.png", i + 1, slug(&s.title)),
            data_uri: format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(&s.png)
            ),
        })
        .collect();
    SubmissionView {
        header,
        problem: input.problem.map(str::to_string),
        points: g.points,
        max_points: g.max_points,
        percent_text: if g.max_points == 0 {
            dash()
        } else {
            format!(
                "{:.1} %",
                f64::from(g.points) * 100.0 / f64::from(g.max_points)
            )
        },
        tasks: task_views,
        rubric: rubric(tasks, g),
        screenshots,
    }
}

fn rubric(tasks: &[TaskSpec], g: &Grade) -> Vec<RubricTask> {
    g.tasks
        .iter()
        .map(|t| {
            let spec = tasks.iter().find(|s| s.id == t.task);
            RubricTask {
                task: t.task.clone(),
                title: spec.map_or_else(|| t.task.clone(), |s| s.title.clone()),
                points: t.points,
                max_points: t.max_points,
                items: t
                    .items
                    .iter()
                    .map(|i| {
                        let manual_points = spec
                            .and_then(|s| s.rubric.iter().find(|r| r.id == i.id))
                            .map_or(0, |r| {
                                r.checks
                                    .iter()
                                    .filter(|c| c.is_manual())
                                    .map(|c| c.weight())
                                    .sum()
                            });
                        RubricItemView {
                            id: i.id.clone(),
                            title: i.title.clone(),
                            points: i.points,
                            max_points: i.max_points,
                            status: status_text(&i.status),
                            manual_points,
                            checks: i
                                .checks
                                .iter()
                                .map(|c| CheckView {
                                    id: c.id.clone(),
                                    status: status_text(&c.status),
                                    message: c.message.clone(),
                                    evidence: c.evidence.clone(),
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// First metric of `run` among `names` (exact, then case-insensitive, separators ignored).
fn metric<'r>(run: &'r Run, names: &[&str]) -> Option<(&'r str, f64)> {
    for n in names {
        if let Some((k, v)) = run.metrics.get_key_value(*n) {
            return Some((k, *v));
        }
    }
    for n in names {
        let want = crate::checks::normalize(n);
        if let Some((k, v)) = run
            .metrics
            .iter()
            .find(|(k, _)| crate::checks::normalize(k) == want)
        {
            return Some((k, *v));
        }
    }
    None
}

/// Names a task file accepts for a required metric (`f1` → f1, f1_score, …), or `fallback`.
fn metric_names<'s>(spec: &'s TaskSpec, name: &str, fallback: &[&'s str]) -> Vec<&'s str> {
    spec.requirements
        .metrics
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.names().collect())
        .unwrap_or_else(|| fallback.to_vec())
}

fn history_names<'s>(spec: &'s TaskSpec, name: &'s str) -> Vec<&'s str> {
    spec.requirements
        .histories
        .iter()
        .find(|h| h.name == name)
        .map(|h| h.names().collect())
        .unwrap_or_else(|| vec![name])
}

/// A value from version tags, then run tags, params, metrics (students put it anywhere).
fn anywhere(v: &ModelVersion, run: Option<&Run>, key: &str) -> Option<String> {
    let norm = crate::checks::normalize(key);
    let find = |m: &BTreeMap<String, String>| {
        m.iter()
            .find(|(k, _)| crate::checks::normalize(k) == norm)
            .map(|(_, v)| v.clone())
    };
    find(&v.tags)
        .or_else(|| run.and_then(|r| find(&r.tags)))
        .or_else(|| run.and_then(|r| find(&r.params)))
        .or_else(|| {
            run.and_then(|r| {
                r.metrics
                    .iter()
                    .find(|(k, _)| crate::checks::normalize(k) == norm)
                    .map(|(_, v)| format!("{v}"))
            })
        })
}

fn fmt_count(s: &str) -> String {
    match s.trim().parse::<f64>() {
        Ok(n) if n.fract() == 0.0 && n >= 0.0 => {
            let digits = format!("{n:.0}");
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(c);
            }
            out
        }
        _ => s.to_string(),
    }
}

fn fmt_seconds(s: &str) -> String {
    match s.trim().parse::<f64>() {
        Ok(n) => format!("{n:.1} s"),
        Err(_) => s.to_string(),
    }
}

fn task_view(
    spec: &TaskSpec,
    snapshot: Option<&Snapshot>,
    g: &Grade,
    extras: &ReportExtras,
) -> TaskView {
    let layout = if spec.requirements.histories.is_empty() {
        Layout::Classic
    } else {
        Layout::Network
    };
    let mut view = TaskView {
        id: spec.id.clone(),
        title: spec.title.clone(),
        layout,
        experiment: spec.experiment.clone(),
        registered_model: spec.registered_model.clone(),
        model_found: false,
        versions: Vec::new(),
        metric_table: Vec::new(),
        champion: None,
        aliases: Vec::new(),
        predictions: extras.predictions.get(&spec.id).map(PredictionsTable::from),
        predictions_note: String::new(),
        accuracy_chart: None,
        curves: Vec::new(),
    };
    if view.predictions.is_none() {
        view.predictions_note = "Predictions are printed by the submitted code and are not part of \
            the MLflow state; check the notebook output (manual part of \"Model loading & testing\")."
            .into();
    }
    let Some(snapshot) = snapshot else {
        return view;
    };
    let ctx = Context::new(spec, snapshot);
    view.model_found = ctx.model.is_some();
    let title_of = |version: u32| -> String {
        let v = ctx.versions.iter().find(|v| v.version == version);
        ctx.kind_of
            .get(&version)
            .and_then(|k| spec.versions.iter().find(|s| &s.key == k))
            .map(|s| s.title.clone())
            .or_else(|| v.and_then(|v| v.tags.get("model_type").cloned()))
            .unwrap_or_else(|| "unrecognised".into())
    };
    let aliases_of = |version: u32| -> Vec<String> {
        ctx.model.map_or_else(Vec::new, |m| {
            m.aliases
                .iter()
                .filter(|(_, v)| **v == version)
                .map(|(a, _)| a.clone())
                .collect()
        })
    };
    let f1_names = metric_names(spec, "f1", &["f1", "f1_score"]);
    let loss_names = metric_names(spec, "final_test_loss", &["final_test_loss", "test_loss"]);
    let size_names = metric_names(spec, "model_size_mb", &["model_size_mb"]);
    for v in &ctx.versions {
        let run = ctx.run_of(v);
        let acc = ctx.accuracy.get(&v.version).map(|a| a.value);
        let metric_text = |names: &[&str], f: &dyn Fn(f64) -> String| {
            run.and_then(|r| metric(r, names))
                .map_or_else(dash, |(_, x)| f(x))
        };
        view.versions.push(VersionRow {
            version: v.version,
            key: ctx.kind_of.get(&v.version).cloned(),
            algorithm: title_of(v.version),
            accuracy: acc,
            accuracy_text: acc.map_or_else(dash, pct),
            f1_text: metric_text(&f1_names, &|x| format!("{x:.4}")),
            loss_text: metric_text(&loss_names, &|x| format!("{x:.4}")),
            parameters_text: anywhere(v, run, "num_parameters")
                .as_deref()
                .map_or_else(dash, fmt_count),
            training_time_text: anywhere(v, run, "training_time_seconds")
                .as_deref()
                .map_or_else(dash, fmt_seconds),
            model_size_text: metric_text(&size_names, &|x| format!("{x:.3} MB")),
            aliases: aliases_of(v.version),
        });
        if layout == Layout::Network
            && let Some(run) = run
        {
            view.curves
                .push(curves(spec, v.version, &title_of(v.version), run));
        }
    }
    if layout == Layout::Network && !view.versions.is_empty() {
        let row = |metric: &str, f: fn(&VersionRow) -> String| MetricRow {
            metric: metric.into(),
            values: view.versions.iter().map(f).collect(),
        };
        view.metric_table = vec![
            row("Accuracy", |r| r.accuracy_text.clone()),
            row("Loss", |r| r.loss_text.clone()),
            row("Parameters", |r| r.parameters_text.clone()),
            row("Training time", |r| r.training_time_text.clone()),
            row("Model size", |r| r.model_size_text.clone()),
        ];
    }
    if let Some(model) = ctx.model {
        if let Some(&cv) = model.aliases.get("champion") {
            view.champion = Some(ChampionView {
                version: cv,
                algorithm: title_of(cv),
                accuracy_text: ctx.accuracy.get(&cv).map_or_else(dash, |a| pct(a.value)),
            });
        }
        let task_grade = g.task(&spec.id);
        let alias_check = |alias: &str| {
            task_grade
                .into_iter()
                .flat_map(|t| &t.items)
                .flat_map(|i| &i.checks)
                .find(|c| c.id == format!("alias:{alias}"))
        };
        let mut names: Vec<String> = spec.aliases.iter().map(|a| a.alias.clone()).collect();
        names.extend(
            model
                .aliases
                .keys()
                .filter(|a| !names.contains(a))
                .cloned()
                .collect::<Vec<_>>(),
        );
        for alias in names {
            let version = model.aliases.get(&alias).copied();
            let check = alias_check(&alias);
            view.aliases.push(AliasRow {
                alias,
                version,
                algorithm: version.map_or_else(|| "not set".into(), title_of),
                accuracy_text: version
                    .and_then(|v| ctx.accuracy.get(&v))
                    .map_or_else(dash, |a| pct(a.value)),
                status: check.map(|c| status_text(&c.status)),
                message: check.map(|c| c.message.clone()).unwrap_or_default(),
            });
        }
    }
    let bars: Vec<(String, f64)> = view
        .versions
        .iter()
        .filter_map(|r| Some((format!("v{}", r.version), r.accuracy? * 100.0)))
        .collect();
    view.accuracy_chart = chart::bar_chart(
        &format!("{}: test accuracy per version", spec.id),
        "accuracy (%)",
        &bars,
        100.0,
    );
    view
}

fn curves(spec: &TaskSpec, version: u32, algorithm: &str, run: &Run) -> CurveChart {
    let series = |name: &'static str, label: &str, markers_only: bool| -> Option<Series> {
        let names = history_names(spec, name);
        let h = names.iter().find_map(|n| run.histories.get(*n))?;
        // Accuracy may be logged in percent; plot fractions like the tables do.
        let percent = name.contains("accuracy") && h.iter().any(|p| p.value > 1.0);
        Some(Series {
            name: label.into(),
            points: h
                .iter()
                .map(|p| {
                    (
                        p.step as f64,
                        if percent { p.value / 100.0 } else { p.value },
                    )
                })
                .collect(),
            markers_only,
        })
    };
    let loss: Vec<Series> = [
        series("train_loss", "train loss", false),
        series("test_loss", "test loss", true),
    ]
    .into_iter()
    .flatten()
    .collect();
    let acc: Vec<Series> = [
        series("train_accuracy", "train accuracy", false),
        series("test_accuracy", "test accuracy", true),
    ]
    .into_iter()
    .flatten()
    .collect();
    let title = format!("v{version} {algorithm}");
    CurveChart {
        version,
        algorithm: algorithm.into(),
        loss_svg: chart::line_chart(&format!("{title}: loss"), "epoch", "loss", &loss),
        accuracy_svg: chart::line_chart(&format!("{title}: accuracy"), "epoch", "accuracy", &acc),
    }
}

// ---------------------------------------------------------------------------------------------
// Class view

#[derive(Debug, Clone, Serialize)]
pub struct ClassView {
    pub date: String,
    pub harness_version: String,
    pub tasks: Vec<String>,
    pub students: Vec<StudentRow>,
    pub mean_text: String,
    pub median_text: String,
    pub max_points: u32,
    pub histogram: Option<String>,
    pub items: Vec<PassRate>,
    pub checks: Vec<PassRate>,
    /// Relative link to the CSV the gradebook writer puts beside the report.
    pub gradebook: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StudentRow {
    pub submission: String,
    pub name: String,
    pub student_id: String,
    pub points: u32,
    pub max_points: u32,
    pub percent_text: String,
    pub folder: String,
    pub report_md: String,
    pub report_html: String,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PassRate {
    pub id: String,
    pub title: String,
    pub passed: usize,
    /// Submissions where it was graded automatically (manual-only items count none).
    pub graded: usize,
    pub rate: Option<f64>,
    pub rate_text: String,
}

/// Builds the class summary from every submission's input.
pub fn class(tasks: &[TaskSpec], subs: &[SubmissionInput<'_>], date: &str) -> ClassView {
    let mut used = BTreeSet::new();
    let students: Vec<StudentRow> = subs
        .iter()
        .map(|s| {
            // Two names can share a slug (`a b`, `a_b`); each student needs a folder of their own.
            let base = slug(s.submission);
            let mut folder = base.clone();
            let mut n = 2;
            while !used.insert(folder.clone()) {
                folder = format!("{base}-{n}");
                n += 1;
            }
            StudentRow {
                submission: s.submission.to_string(),
                name: s.identity.name.clone().unwrap_or_else(dash),
                student_id: s.identity.student_id.clone().unwrap_or_else(dash),
                points: s.grade.points,
                max_points: s.grade.max_points,
                percent_text: if s.grade.max_points == 0 {
                    dash()
                } else {
                    format!(
                        "{:.1} %",
                        f64::from(s.grade.points) * 100.0 / f64::from(s.grade.max_points)
                    )
                },
                report_md: format!("{folder}/report.md"),
                report_html: format!("{folder}/report.html"),
                folder,
                problem: s.problem.map(str::to_string),
            }
        })
        .collect();
    let mut scores: Vec<f64> = subs.iter().map(|s| f64::from(s.grade.points)).collect();
    scores.sort_by(f64::total_cmp);
    let max_points = subs.iter().map(|s| s.grade.max_points).max().unwrap_or(0);
    let mean = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    let median = (!scores.is_empty()).then(|| {
        let n = scores.len();
        if n % 2 == 1 {
            scores[n / 2]
        } else {
            (scores[n / 2 - 1] + scores[n / 2]) / 2.0
        }
    });
    let rate = |passed: usize, graded: usize| -> (Option<f64>, String) {
        if graded == 0 {
            (None, "manual".into())
        } else {
            let r = passed as f64 / graded as f64;
            (Some(r), format!("{:.0} %", r * 100.0))
        }
    };
    // Items and checks in rubric order, keyed by id.
    let mut items: Vec<PassRate> = Vec::new();
    let mut checks: Vec<PassRate> = Vec::new();
    for t in tasks {
        for item in &t.rubric {
            let grades: Vec<_> = subs
                .iter()
                .filter_map(|s| s.grade.task(&t.id)?.item(&item.id))
                .collect();
            // An item with a manual part never reaches `pass` before the TA scores it, so the
            // rate counts items whose automatic checks all passed.
            let automatic = |i: &&crate::grade::ItemGrade| {
                i.checks
                    .iter()
                    .filter(|c| c.status != CheckStatus::Manual)
                    .map(|c| c.status)
                    .collect::<Vec<_>>()
            };
            let graded = grades.iter().filter(|i| !automatic(i).is_empty()).count();
            let passed = grades
                .iter()
                .filter(|i| {
                    let a = automatic(i);
                    !a.is_empty() && a.iter().all(|s| *s == CheckStatus::Pass)
                })
                .count();
            let (r, text) = rate(passed, graded);
            items.push(PassRate {
                id: item.id.clone(),
                title: item.title.clone(),
                passed,
                graded,
                rate: r,
                rate_text: text,
            });
            for c in item.checks.iter().filter(|c| !c.is_manual()) {
                let id = c.id();
                let results: Vec<_> = grades
                    .iter()
                    .filter_map(|i| i.checks.iter().find(|r| r.id == id))
                    .collect();
                let passed = results
                    .iter()
                    .filter(|r| r.status == CheckStatus::Pass)
                    .count();
                let (r, text) = rate(passed, results.len());
                checks.push(PassRate {
                    id: format!("{}/{id}", item.id),
                    title: item.title.clone(),
                    passed,
                    graded: results.len(),
                    rate: r,
                    rate_text: text,
                });
            }
        }
    }
    ClassView {
        date: date.to_string(),
        harness_version: crate::VERSION.to_string(),
        tasks: tasks.iter().map(|t| t.title.clone()).collect(),
        histogram: chart::histogram(
            "Score distribution",
            "points",
            &scores,
            0.0,
            f64::from(max_points.max(1)),
            10,
        ),
        students,
        mean_text: mean.map_or_else(dash, |m| format!("{m:.1}")),
        median_text: median.map_or_else(dash, |m| format!("{m:.1}")),
        max_points,
        items,
        checks,
        gradebook: "gradebook.csv".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(fmt_count("567434"), "567,434");
        assert_eq!(fmt_count("12730"), "12,730");
        assert_eq!(fmt_count("100"), "100");
        assert_eq!(fmt_count("about 1k"), "about 1k");
    }

    #[test]
    fn slugs_never_escape_their_folder() {
        assert_eq!(slug("../x"), "_.._x");
        assert_eq!(slug("a b/c"), "a_b_c");
        assert_eq!(slug(""), "_");
    }
}
