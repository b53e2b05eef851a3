//! One task's part of a report: versions, metric comparison, champion and aliases,
//! predictions and training curves.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::grading::checks::Context;
use crate::grading::points::Grade;
use crate::snapshot::{ModelVersion, Run, Snapshot};
use crate::task::TaskSpec;

use super::*;
use crate::report::chart::{self, Series};

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
    pub(crate) layout: Layout,
    pub experiment: Option<String>,
    pub registered_model: Option<String>,
    /// False when the registered model is missing from the store.
    pub(crate) model_found: bool,
    /// Set when an interrupted `harness run` left the registered model incomplete.
    pub(crate) incomplete: Option<String>,
    pub versions: Vec<VersionRow>,
    /// The Metric × Version table (network layout).
    pub(crate) metric_table: Vec<MetricRow>,
    pub champion: Option<ChampionView>,
    pub aliases: Vec<AliasRow>,
    pub predictions: Option<PredictionsTable>,
    /// Why there are no predictions, when there are none.
    pub(crate) predictions_note: String,
    pub(crate) accuracy_chart: Option<String>,
    pub(crate) curves: Vec<CurveChart>,
}

/// [`PredictionsView`] with numbers formatted for display.
#[derive(Debug, Clone, Serialize)]
pub struct PredictionsTable {
    pub model: String,
    pub(crate) accuracy_text: Option<String>,
    pub(crate) has_confidence: bool,
    pub correct: usize,
    pub rows: Vec<PredictionCells>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PredictionCells {
    pub index: usize,
    pub predicted: String,
    pub actual: String,
    pub(crate) confidence_text: String,
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
    pub(crate) accuracy_text: String,
    pub(crate) f1_text: String,
    pub(crate) loss_text: String,
    pub(crate) parameters_text: String,
    pub(crate) training_time_text: String,
    pub(crate) model_size_text: String,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricRow {
    pub metric: String,
    /// One cell per version, in `versions` order.
    pub(crate) values: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChampionView {
    pub version: u32,
    pub algorithm: String,
    pub(crate) accuracy_text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AliasRow {
    pub alias: String,
    pub version: Option<u32>,
    pub algorithm: String,
    pub(crate) accuracy_text: String,
    /// The alias check's verdict (`pass`, `fail`), when the rubric has one.
    pub status: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurveChart {
    pub version: u32,
    pub algorithm: String,
    pub(crate) loss_svg: Option<String>,
    pub(crate) accuracy_svg: Option<String>,
}

/// First metric of `run` among `names` (exact, then case-insensitive, separators ignored).
pub(super) fn metric<'r>(run: &'r Run, names: &[&str]) -> Option<(&'r str, f64)> {
    for n in names {
        if let Some((k, v)) = run.metrics.get_key_value(*n) {
            return Some((k, *v));
        }
    }
    for n in names {
        let want = crate::grading::checks::normalize(n);
        if let Some((k, v)) = run
            .metrics
            .iter()
            .find(|(k, _)| crate::grading::checks::normalize(k) == want)
        {
            return Some((k, *v));
        }
    }
    None
}

/// Names a task file accepts for a required metric (`f1` → f1, f1_score, …), or `fallback`.
pub(super) fn metric_names<'s>(
    spec: &'s TaskSpec,
    name: &str,
    fallback: &[&'s str],
) -> Vec<&'s str> {
    spec.requirements
        .metrics
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.names().collect())
        .unwrap_or_else(|| fallback.to_vec())
}

pub(super) fn history_names<'s>(spec: &'s TaskSpec, name: &'s str) -> Vec<&'s str> {
    spec.requirements
        .histories
        .iter()
        .find(|h| h.name == name)
        .map(|h| h.names().collect())
        .unwrap_or_else(|| vec![name])
}

/// A value from version tags, then run tags, params, metrics (students put it anywhere).
pub(super) fn anywhere(v: &ModelVersion, run: Option<&Run>, key: &str) -> Option<String> {
    let norm = crate::grading::checks::normalize(key);
    let find = |m: &BTreeMap<String, String>| {
        m.iter()
            .find(|(k, _)| crate::grading::checks::normalize(k) == norm)
            .map(|(_, v)| v.clone())
    };
    find(&v.tags)
        .or_else(|| run.and_then(|r| find(&r.tags)))
        .or_else(|| run.and_then(|r| find(&r.params)))
        .or_else(|| {
            run.and_then(|r| {
                r.metrics
                    .iter()
                    .find(|(k, _)| crate::grading::checks::normalize(k) == norm)
                    .map(|(_, v)| format!("{v}"))
            })
        })
}

pub(super) fn task_view(
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
        incomplete: None,
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
        view.predictions_note = "Predictions are printed by the submitted code, not kept in the \
            MLflow state: the `predictions_shown` check of \"Model loading & testing\" reads them \
            from the hand-in's output."
            .into();
    }
    let Some(snapshot) = snapshot else {
        return view;
    };
    let ctx = Context::new(spec, snapshot);
    view.model_found = ctx.model.is_some();
    view.incomplete = ctx.incomplete_publish();
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

pub(super) fn curves(spec: &TaskSpec, version: u32, algorithm: &str, run: &Run) -> CurveChart {
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
