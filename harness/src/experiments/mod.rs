//! The course's experiment workflow on harness's own trainers (`harness run --config`, exercise
//! 3 of the MLOps day): a config file says which data, which model and how it trains; one
//! command loads and splits the data (validation kept apart from test), trains with per-epoch
//! train/validation metrics, keeps the best epoch, scores it on the test rows and logs
//! everything to MLflow.
//!
//! - [`config`]: the schema, parsing with key paths, validation, defaults, params;
//! - [`dataset`]: wine, MNIST or a CSV as one table, and the three-way split;
//! - [`trainer`]: training, early stopping, the best epoch, test metrics;
//! - [`charts`]: `training_history.png` and `confusion_matrix.png` (a regressor:
//!   `predicted_vs_actual.png`);
//! - [`log`]: the run, its artefacts, the logged model and its registration;
//! - [`sweep`]: `harness sweep` over a [`space`] (grid, random, or TPE's proposals from `tpe.rs`).
//!
//! This layer sits above `reference` and uses its `MLmodel` writing and interrupt handling as
//! they are, so an experiment's model reads like a reference run's.

pub mod charts;
pub mod config;
pub mod dataset;
mod error;
mod gate;
pub mod log;
pub mod space;
pub mod sweep;
mod tpe;
pub mod trainer;
pub mod zoomcamp;

use std::io::Write;

pub use config::{DEFAULTS_YAML, ExperimentConfig};
pub use error::{ConfigError, ExperimentError};
pub use gate::{GateData, GateMetric, GateReport, GateSpec, gate, render as render_gate};
pub use log::{ConfigFile, Logged};

use crate::mlflow::MlflowClient;
use crate::progress::Progress;

/// What one experiment did.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentSummary {
    pub trained: trainer::Trained,
    pub logged: Logged,
    pub rows: (usize, usize, usize),
}

/// Loads, splits, trains, draws and logs the experiment `config` describes.
///
/// # Errors
/// [`ExperimentError`] naming the step that failed.
pub fn run(
    client: &MlflowClient,
    config: &ExperimentConfig,
    config_file: &ConfigFile,
    progress: &Progress,
) -> Result<ExperimentSummary, ExperimentError> {
    progress.set_message(format!("loading {}", config.data.dataset));
    let table = dataset::load(&config.source())?;
    run_on(client, config, config_file, &table, &[], progress)
}

/// [`run`] on loaded data, with extra run tags (a sweep's trials).
pub(crate) fn run_on(
    client: &MlflowClient,
    config: &ExperimentConfig,
    config_file: &ConfigFile,
    table: &dataset::Table,
    extra_tags: &[crate::mlflow::KeyValue],
    progress: &Progress,
) -> Result<ExperimentSummary, ExperimentError> {
    let split = dataset::split(table.n_rows(), &config.data, config.split_seed())?;
    progress.set_message(format!(
        "training {} on {} rows",
        config.model.architecture.name(),
        split.train.len()
    ));
    let trained = trainer::train(config, table, &split)?;
    progress.set_message("drawing charts");
    let images = match &trained.regression {
        // One fit, no epochs: the chart that says something is the test rows' fit.
        Some(r) => vec![(
            "predicted_vs_actual.png",
            charts::predicted_vs_actual(&r.test_targets, &r.test_predictions, &table.target_name)?,
        )],
        None => vec![
            (
                "training_history.png",
                charts::training_history(&trained.history, trained.best_epoch)?,
            ),
            (
                "confusion_matrix.png",
                charts::confusion_matrix(&trained.test.confusion_matrix, &table.class_names)?,
            ),
        ],
    };
    progress.set_message("logging to MLflow");
    let logged = log::log(
        client,
        config,
        config_file,
        table,
        &trained,
        images,
        extra_tags,
    )?;
    Ok(ExperimentSummary {
        rows: (split.train.len(), split.val.len(), split.test.len()),
        trained,
        logged,
    })
}

/// What `harness run --config` prints.
///
/// # Errors
/// When `out` cannot be written.
pub fn render(
    config: &ExperimentConfig,
    summary: &ExperimentSummary,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let t = &summary.trained;
    let (train, val, test) = summary.rows;
    writeln!(
        out,
        "Experiment `{}`, run `{}` ({})",
        config.experiment_name,
        config.run_name(),
        summary.logged.run_id
    )?;
    writeln!(
        out,
        "Data: {} ({train} train / {val} validation / {test} test rows)",
        config.data.dataset
    )?;
    if let Some(r) = &t.regression {
        writeln!(out, "part         rmse       mae      r2")?;
        for (part, m) in [("train", r.train), ("validation", r.val), ("test", r.test)] {
            writeln!(
                out,
                "{part:<10} {:>8.4} {:>9.4} {:>7.4}",
                m.rmse, m.mae, m.r2
            )?;
        }
        if let Some((name, version, alias)) = &summary.logged.registered {
            match alias {
                Some(a) => writeln!(out, "Registered `{name}` version {version} as @{a}")?,
                None => writeln!(out, "Registered `{name}` version {version}")?,
            }
        }
        return writeln!(out, "Final test RMSE: {:.4}", r.test.rmse);
    }
    writeln!(out, "epoch  train_loss  train_acc  val_loss  val_acc")?;
    for r in &t.history {
        let mark = if r.epoch == t.history[t.best_epoch].epoch {
            "  <- kept"
        } else {
            ""
        };
        writeln!(
            out,
            "{:>5}  {:>10.4}  {:>9.4}  {:>8.4}  {:>7.4}{mark}",
            r.epoch, r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy
        )?;
    }
    if t.stopped_early {
        writeln!(
            out,
            "Early stopping after {} epochs (no better val_accuracy for {} epochs)",
            t.history.len(),
            config.training.early_stopping_patience.unwrap_or(0)
        )?;
    }
    if let Some((name, version, alias)) = &summary.logged.registered {
        match alias {
            Some(a) => writeln!(out, "Registered `{name}` version {version} as @{a}")?,
            None => writeln!(out, "Registered `{name}` version {version}")?,
        }
    }
    writeln!(out, "Final test accuracy: {:.4}", t.test.accuracy)
}
