//! The report's view-model: everything a template shows, computed here so templates only lay
//! it out. Built from a grade, the snapshot it was graded on (when the store could be read) and
//! the extras only a reference run knows (predictions, seed, data checksums, screenshots).
//!
//! Numbers are pre-formatted into `*_text` fields so Markdown and HTML show the same digits.

mod class;
mod review;
mod task;

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde::Serialize;

use crate::grading::checks::CheckStatus;
use crate::grading::points::Grade;
use crate::grading::submission::Identity;
use crate::snapshot::Snapshot;
use crate::task::TaskSpec;

pub use class::{ClassView, PassRate, StudentRow, class};
use task::task_view;
pub use task::{
    AliasRow, ChampionView, CurveChart, Layout, MetricRow, PredictionCells, PredictionsTable,
    TaskView, VersionRow,
};

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
    /// Notices about the hand-in (which store was graded and why, what was passed over).
    pub notes: &'a [String],
    /// What the hand-in folder shows, when one was read (evidence beside the TA's items).
    pub hand_in: Option<&'a crate::grading::evidence::HandInEvidence>,
    /// The hand-in folder, to read its image files for thumbnails.
    pub root: Option<&'a std::path::Path>,
}

impl<'a> From<&'a crate::grading::Graded> for SubmissionInput<'a> {
    fn from(g: &'a crate::grading::Graded) -> Self {
        SubmissionInput {
            submission: &g.submission,
            identity: &g.identity,
            grade: &g.grade,
            snapshot: g.snapshot.as_ref(),
            problem: g.problem.as_deref(),
            notes: &g.notes,
            hand_in: g.hand_in.as_deref(),
            root: match &g.files {
                crate::grading::ModelFiles::Local(root) => Some(root.as_path()),
                crate::grading::ModelFiles::Remote(_) => None,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmissionView {
    pub(crate) header: Header,
    pub problem: Option<String>,
    /// What the grade could not earn for want of a readable store, in one line.
    pub(crate) needs_store: Option<String>,
    /// Notices about the hand-in and its store (not check results).
    pub(crate) notes: Vec<String>,
    pub points: u32,
    pub max_points: u32,
    pub(crate) percent_text: String,
    /// The total scaled to the task files' `scale_to` (`58.82/100`), when they state one.
    pub(crate) scaled_text: Option<String>,
    /// Whether any TA review was merged (the score is then more than the automatic checks').
    pub(crate) reviewed: bool,
    /// Tasks with MLflow state (tables, charts); tasks without (overall) only have rubric items.
    pub tasks: Vec<TaskView>,
    pub(crate) rubric: Vec<RubricTask>,
    pub screenshots: Vec<ScreenshotView>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Header {
    pub tasks: Vec<String>,
    pub submission: String,
    pub name: String,
    pub(crate) student_id: String,
    pub date: String,
    pub(crate) harness_version: String,
    pub mlflow_versions: Vec<String>,
    pub seed: Option<u64>,
    /// The seed as text, `—` when unknown (templates cannot tell 0 from "none").
    pub(crate) seed_text: String,
    pub data_checksums: Vec<Checksum>,
    pub origin: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Checksum {
    pub name: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RubricTask {
    pub task: String,
    pub title: String,
    pub points: u32,
    pub max_points: u32,
    pub(crate) scaled_text: Option<String>,
    pub items: Vec<RubricItemView>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RubricItemView {
    pub id: String,
    pub title: String,
    pub points: u32,
    pub max_points: u32,
    pub status: String,
    /// Points only a TA can award (manual checks' weights).
    pub(crate) manual_points: u32,
    /// Whether any check is automatic (an item of manual checks only has no evidence to show).
    pub(crate) has_automatic: bool,
    /// What the TA is asked to judge (the manual checks' notes).
    pub(crate) manual_notes: Vec<String>,
    /// The merged review's points (of `manual_points`) and its comment.
    pub(crate) ta_points: Option<u32>,
    pub(crate) ta_comment: String,
    pub checks: Vec<CheckView>,
    /// The hand-in's code, outputs and images bearing on the TA's part of the item.
    pub(crate) review: Option<review::ReviewView>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CheckView {
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
    pub(crate) data_uri: String,
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
pub(crate) fn slug(s: &str) -> String {
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
        harness_version: crate::version::VERSION.to_string(),
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
                if o.contains("://") {
                    crate::mlflow::redact_str(&o)
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
        needs_store: input.grade.needs_store.as_ref().map(|n| n.line()),
        notes: input
            .notes
            .iter()
            .chain(input.snapshot.iter().flat_map(|s| s.notes.iter()))
            .cloned()
            .collect(),
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
        scaled_text: g.scaled.map(|s| s.text()),
        reviewed: g
            .tasks
            .iter()
            .flat_map(|t| &t.items)
            .any(|i| i.ta.is_some()),
        tasks: task_views,
        rubric: rubric(tasks, g, input.hand_in, input.root),
        screenshots,
    }
}

fn rubric(
    tasks: &[TaskSpec],
    g: &Grade,
    hand_in: Option<&crate::grading::evidence::HandInEvidence>,
    root: Option<&std::path::Path>,
) -> Vec<RubricTask> {
    g.tasks
        .iter()
        .map(|t| {
            let spec = tasks.iter().find(|s| s.id == t.task);
            RubricTask {
                task: t.task.clone(),
                title: spec.map_or_else(|| t.task.clone(), |s| s.title.clone()),
                points: t.points,
                max_points: t.max_points,
                scaled_text: t.scaled.map(|s| s.text()),
                items: t
                    .items
                    .iter()
                    .map(|i| {
                        let manual_points = spec
                            .and_then(|s| s.rubric.iter().find(|r| r.id == i.id))
                            .map_or(0, |r| {
                                // What is left to the TA in this grade: manual checks, and
                                // hand-in checks when there was no hand-in to read.
                                r.checks
                                    .iter()
                                    .zip(&i.checks)
                                    .filter(|(_, result)| {
                                        result.status == crate::grading::checks::CheckStatus::Manual
                                    })
                                    .map(|(c, _)| c.weight())
                                    .sum()
                            });
                        let review = match (spec, hand_in) {
                            (Some(spec), Some(e)) if manual_points > 0 => spec
                                .rubric
                                .iter()
                                .find(|r| r.id == i.id)
                                .and_then(|item| review::review(item, spec, e, root)),
                            _ => None,
                        };
                        RubricItemView {
                            review,
                            id: i.id.clone(),
                            title: i.title.clone(),
                            points: i.points,
                            max_points: i.max_points,
                            status: status_text(&i.status),
                            manual_points,
                            has_automatic: i.checks.iter().any(|c| c.status != CheckStatus::Manual),
                            manual_notes: i
                                .checks
                                .iter()
                                .filter(|c| c.status == CheckStatus::Manual)
                                .map(|c| {
                                    c.message
                                        .strip_prefix("for the TA: ")
                                        .unwrap_or(&c.message)
                                        .to_string()
                                })
                                .collect(),
                            ta_points: i.ta.as_ref().map(|ta| ta.points),
                            ta_comment: i
                                .ta
                                .as_ref()
                                .map(|ta| ta.comment.clone())
                                .unwrap_or_default(),
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
