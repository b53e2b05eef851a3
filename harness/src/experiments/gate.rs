//! `harness gate`: the CI step of exercise 5. A registered model is downloaded the way a
//! deployment gets it (`models:/NAME@alias`), loaded natively, scored on a task's test rows,
//! and its figures compared with the thresholds.

use std::time::Instant;

use super::config::ExperimentConfig;
use super::dataset::{self, Table};
use super::error::{ExperimentError, at};
use super::log::TREE_MODEL_FILE;
use super::trainer::{self, Model};
use crate::mlflow::MlflowClient;
use crate::model::mlmodel::{HARNESS_MLP_FLAVOR, HARNESS_TREE_FLAVOR, MLMODEL_FILE, MlModel};
use crate::train::ModelFile;

/// Whose test rows the model is scored on.
#[derive(Debug, Clone, PartialEq)]
pub enum GateData {
    /// The homework's wine split: `train_test_split(test_size=0.2, random_state=42)`.
    Wine,
    /// The homework's MNIST split of the embedded digits: 30 % test, `random_state=42`.
    Mnist,
    /// The test part of an experiment config's three-way split.
    Config(Box<ExperimentConfig>),
}

/// The metric a threshold applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateMetric {
    Accuracy,
    F1Weighted,
}

impl GateMetric {
    pub fn name(self) -> &'static str {
        match self {
            GateMetric::Accuracy => "accuracy",
            GateMetric::F1Weighted => "f1_weighted",
        }
    }
}

/// What the gate asks.
#[derive(Debug, Clone, PartialEq)]
pub struct GateSpec {
    pub model_uri: String,
    pub data: GateData,
    pub metric: GateMetric,
    pub min: Option<f64>,
    pub max_latency_ms: Option<f64>,
}

/// What the gate measured and decided.
#[derive(Debug, Clone, PartialEq)]
pub struct GateReport {
    pub model_uri: String,
    pub version: Option<String>,
    pub test_rows: usize,
    pub metric: GateMetric,
    pub value: f64,
    pub min: Option<f64>,
    /// Mean milliseconds to predict one row, one row at a time.
    pub latency_ms: f64,
    pub max_latency_ms: Option<f64>,
}

impl GateReport {
    pub fn metric_holds(&self) -> bool {
        self.min.is_none_or(|m| self.value >= m)
    }
    pub fn latency_holds(&self) -> bool {
        self.max_latency_ms.is_none_or(|m| self.latency_ms <= m)
    }
    pub fn passed(&self) -> bool {
        self.metric_holds() && self.latency_holds()
    }
}

/// Downloads, loads and scores the model.
///
/// # Errors
/// [`ExperimentError`] when the model cannot be downloaded or loaded, or does not fit the data.
pub fn gate(client: &MlflowClient, spec: &GateSpec) -> Result<GateReport, ExperimentError> {
    let uri = &spec.model_uri;
    let bad = |reason: String| ExperimentError::Model {
        uri: uri.clone(),
        reason,
    };
    let dir = tempfile::tempdir().map_err(|source| ExperimentError::Io {
        what: "creating a temporary directory".into(),
        source,
    })?;
    let (resolved, _) = client
        .download_model(uri, dir.path())
        .map_err(at(format!("downloading {uri}")))?;
    let text = std::fs::read_to_string(dir.path().join(MLMODEL_FILE))
        .map_err(|e| bad(format!("reading MLmodel: {e}")))?;
    let mlmodel = MlModel::from_yaml(&text).map_err(|e| bad(format!("MLmodel: {e}")))?;
    let model = if mlmodel.flavors.contains_key(HARNESS_TREE_FLAVOR) {
        let file =
            ModelFile::read(&dir.path().join(TREE_MODEL_FILE)).map_err(|e| bad(e.to_string()))?;
        Model::Tree(file.model)
    } else if mlmodel.flavors.contains_key(HARNESS_MLP_FLAVOR) {
        Model::Mlp(crate::nn::Mlp::load(dir.path()).map_err(|e| bad(e.to_string()))?)
    } else {
        return Err(bad(format!(
            "no harness flavor in MLmodel (flavors: {}); gate loads models harness logged",
            mlmodel
                .flavors
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let (table, test) = test_rows(&spec.data)?;
    let (x, y) = table.select(&test);
    let eval =
        trainer::evaluate(&model, &x, &y, table.n_features, table.n_classes()).map_err(bad)?;
    let value = match spec.metric {
        GateMetric::Accuracy => eval.accuracy,
        GateMetric::F1Weighted => eval.f1_weighted,
    };
    // One row at a time, as a serving endpoint answers, over at most 200 rows.
    let timed = test.len().min(200);
    let started = Instant::now();
    for &i in &test[..timed] {
        model
            .predict_proba(table.row(i), table.n_features, table.n_classes())
            .map_err(bad)?;
    }
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0 / timed.max(1) as f64;
    Ok(GateReport {
        model_uri: uri.clone(),
        version: resolved.version.map(|v| v.version),
        test_rows: test.len(),
        metric: spec.metric,
        value,
        min: spec.min,
        latency_ms,
        max_latency_ms: spec.max_latency_ms,
    })
}

fn test_rows(data: &GateData) -> Result<(Table, Vec<usize>), ExperimentError> {
    let split = |n: usize, size: f64| {
        crate::data::split::train_test_split(n, size, 42)
            .map(|s| s.test)
            .map_err(|e| ExperimentError::Data(e.to_string()))
    };
    Ok(match data {
        GateData::Wine => {
            let t = dataset::load(&super::config::DataSource::Wine)?;
            let test = split(t.n_rows(), 0.2)?;
            (t, test)
        }
        GateData::Mnist => {
            let t = dataset::load(&super::config::DataSource::Mnist)?;
            let test = split(t.n_rows(), 0.3)?;
            (t, test)
        }
        GateData::Config(c) => {
            let t = dataset::load(&c.source())?;
            let s = dataset::split(t.n_rows(), &c.data, c.split_seed())?;
            (t, s.test)
        }
    })
}

/// What `harness gate` prints.
///
/// # Errors
/// When `out` cannot be written.
pub fn render(r: &GateReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let verdict = |ok: bool| if ok { "ok" } else { "FAILED" };
    match &r.version {
        Some(v) => writeln!(out, "Model: {} (version {v})", r.model_uri)?,
        None => writeln!(out, "Model: {}", r.model_uri)?,
    }
    writeln!(out, "Test rows: {}", r.test_rows)?;
    match r.min {
        Some(min) => writeln!(
            out,
            "{}: {:.4} (min {min}) {}",
            r.metric.name(),
            r.value,
            verdict(r.metric_holds())
        )?,
        None => writeln!(out, "{}: {:.4}", r.metric.name(), r.value)?,
    }
    match r.max_latency_ms {
        Some(max) => writeln!(
            out,
            "latency: {:.3} ms per row (max {max}) {}",
            r.latency_ms,
            verdict(r.latency_holds())
        )?,
        None => writeln!(out, "latency: {:.3} ms per row", r.latency_ms)?,
    }
    writeln!(
        out,
        "Gate: {}",
        if r.passed() { "passed" } else { "FAILED" }
    )
}
