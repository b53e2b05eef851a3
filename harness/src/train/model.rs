//! One closed type over the three task-1 models, and the JSON model file it is saved in.
//!
//! The model file is what gets logged to MLflow as the model artefact; loading it back must give
//! identical predictions, so floats are written with round-trip precision (serde_json's
//! `float_roundtrip`) and the file carries a format name and version to refuse foreign files.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{
    Algorithm, DecisionTreeClassifier, DecisionTreeParams, GradientBoostingClassifier,
    GradientBoostingParams, RandomForestClassifier, RandomForestParams, TrainError,
};
use crate::data::wine::Dataset;

/// The hyperparameters of one of the three algorithms (the variant picks the algorithm).
///
/// In a task file: `{ "algorithm": "RandomForest", "n_estimators": 100, … }`, unknown keys refused.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "algorithm")]
pub enum Hyperparameters {
    DecisionTree(DecisionTreeParams),
    RandomForest(RandomForestParams),
    GradientBoosting(GradientBoostingParams),
}

impl Hyperparameters {
    /// scikit-learn's defaults for `algorithm` (with `n_estimators=100`, as the homework asks).
    pub fn default_for(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::DecisionTree => Self::DecisionTree(DecisionTreeParams::default()),
            Algorithm::RandomForest => Self::RandomForest(RandomForestParams::default()),
            Algorithm::GradientBoosting => {
                Self::GradientBoosting(GradientBoostingParams::default())
            }
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            Self::DecisionTree(_) => Algorithm::DecisionTree,
            Self::RandomForest(_) => Algorithm::RandomForest,
            Self::GradientBoosting(_) => Algorithm::GradientBoosting,
        }
    }

    /// `(sklearn name, value)` pairs, without `random_state`.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        match self {
            Self::DecisionTree(p) => p.hyperparameters(),
            Self::RandomForest(p) => p.hyperparameters(),
            Self::GradientBoosting(p) => p.hyperparameters(),
        }
    }
}

/// A fitted task-1 model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "algorithm")]
pub enum TreeModel {
    DecisionTree(DecisionTreeClassifier),
    RandomForest(RandomForestClassifier),
    GradientBoosting(GradientBoostingClassifier),
}

impl TreeModel {
    /// Fits the algorithm `hyperparameters` names on row-major `x` (`y.len()` rows of
    /// `n_features`), labels `< n_classes`, every random choice drawn from `seed`.
    ///
    /// # Errors
    /// [`TrainError`] for inconsistent data or invalid hyperparameters.
    pub fn fit(
        hyperparameters: &Hyperparameters,
        x: &[f64],
        n_features: usize,
        y: &[usize],
        n_classes: usize,
        seed: u64,
    ) -> Result<Self, TrainError> {
        Ok(match hyperparameters {
            Hyperparameters::DecisionTree(p) => Self::DecisionTree(DecisionTreeClassifier::fit(
                p, x, n_features, y, n_classes, seed,
            )?),
            Hyperparameters::RandomForest(p) => Self::RandomForest(RandomForestClassifier::fit(
                p, x, n_features, y, n_classes, seed,
            )?),
            Hyperparameters::GradientBoosting(p) => Self::GradientBoosting(
                GradientBoostingClassifier::fit(p, x, n_features, y, n_classes, seed)?,
            ),
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            Self::DecisionTree(_) => Algorithm::DecisionTree,
            Self::RandomForest(_) => Algorithm::RandomForest,
            Self::GradientBoosting(_) => Algorithm::GradientBoosting,
        }
    }

    /// "DecisionTree", "RandomForest" or "GradientBoosting".
    pub fn algorithm_name(&self) -> &'static str {
        self.algorithm().name()
    }

    pub fn hyperparameters_struct(&self) -> Hyperparameters {
        match self {
            Self::DecisionTree(m) => Hyperparameters::DecisionTree(m.params),
            Self::RandomForest(m) => Hyperparameters::RandomForest(m.params),
            Self::GradientBoosting(m) => Hyperparameters::GradientBoosting(m.params),
        }
    }

    /// Every hyperparameter under scikit-learn's name, values as Python prints them, including
    /// `random_state` (the seed) — ready to log as MLflow params.
    pub fn hyperparameters(&self) -> Vec<(String, String)> {
        let mut pairs = self.hyperparameters_struct().to_pairs();
        pairs.push(("random_state".into(), self.seed().to_string()));
        pairs
    }

    pub fn seed(&self) -> u64 {
        match self {
            Self::DecisionTree(m) => m.seed,
            Self::RandomForest(m) => m.seed,
            Self::GradientBoosting(m) => m.seed,
        }
    }

    pub fn n_features(&self) -> usize {
        match self {
            Self::DecisionTree(m) => m.n_features,
            Self::RandomForest(m) => m.n_features,
            Self::GradientBoosting(m) => m.n_features,
        }
    }

    pub fn n_classes(&self) -> usize {
        match self {
            Self::DecisionTree(m) => m.n_classes,
            Self::RandomForest(m) => m.n_classes,
            Self::GradientBoosting(m) => m.n_classes,
        }
    }

    /// Predicted class of one row of `n_features()` values.
    ///
    /// # Panics
    /// If `row` is shorter than `n_features()`.
    pub fn predict(&self, row: &[f64]) -> usize {
        match self {
            Self::DecisionTree(m) => m.predict(row),
            Self::RandomForest(m) => m.predict(row),
            Self::GradientBoosting(m) => m.predict(row),
        }
    }

    /// Class probabilities of one row (sum 1).
    ///
    /// # Panics
    /// If `row` is shorter than `n_features()`.
    pub fn predict_proba(&self, row: &[f64]) -> Vec<f64> {
        match self {
            Self::DecisionTree(m) => m.predict_proba(row),
            Self::RandomForest(m) => m.predict_proba(row),
            Self::GradientBoosting(m) => m.predict_proba(row),
        }
    }

    /// Predictions for every row of a row-major matrix.
    ///
    /// # Panics
    /// If `x.len()` is not a multiple of `n_features()`.
    pub fn predict_rows(&self, x: &[f64]) -> Vec<usize> {
        let nf = self.n_features();
        assert!(x.len().is_multiple_of(nf), "predict_rows: ragged matrix");
        x.chunks_exact(nf).map(|row| self.predict(row)).collect()
    }
}

/// Name in the `format` field of every model file.
pub const MODEL_FORMAT: &str = "harness-tree-model";
/// Version in the `format_version` field; bumped on incompatible changes.
pub const MODEL_FORMAT_VERSION: u32 = 1;

/// The JSON model file: the fitted model plus what a reader needs to use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub format: String,
    pub format_version: u32,
    /// Input column names, in order (the model signature's inputs).
    pub feature_names: Vec<String>,
    /// Output class names, by class index.
    pub class_names: Vec<String>,
    /// sha256 of the dataset the model was trained on.
    pub dataset_sha256: String,
    pub model: TreeModel,
}

/// Why a model file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error("cannot read model file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write model file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("model file is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    #[error("not a harness tree model: format is {found:?}, expected \"{MODEL_FORMAT}\"")]
    WrongFormat { found: Option<String> },
    #[error(
        "model file format_version {found:?} is not supported (this harness reads version {MODEL_FORMAT_VERSION})"
    )]
    UnsupportedVersion { found: Option<u64> },
    #[error("invalid model file at `{path}`: {message}")]
    Invalid { path: String, message: String },
}

impl ModelFile {
    /// Wraps a fitted model with the dataset's names and digest.
    pub fn new(model: TreeModel, dataset: &Dataset) -> Self {
        Self {
            format: MODEL_FORMAT.to_owned(),
            format_version: MODEL_FORMAT_VERSION,
            feature_names: dataset.feature_names.clone(),
            class_names: dataset.class_names.clone(),
            dataset_sha256: dataset.digest().to_owned(),
            model,
        }
    }

    /// Compact JSON (a 100-tree forest is a few hundred kB).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a model file always serializes")
    }

    /// Parses a model file, checking `format` and `format_version` first so a foreign or newer
    /// file gets a clear message instead of a field error.
    ///
    /// # Errors
    /// [`ModelFileError`] naming what is wrong (and where, for malformed content).
    pub fn from_json(text: &str) -> Result<Self, ModelFileError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(ModelFileError::NotJson)?;
        let format = value.get("format").and_then(|v| v.as_str());
        if format != Some(MODEL_FORMAT) {
            return Err(ModelFileError::WrongFormat {
                found: format.map(str::to_owned),
            });
        }
        let version = value.get("format_version").and_then(|v| v.as_u64());
        if version != Some(u64::from(MODEL_FORMAT_VERSION)) {
            return Err(ModelFileError::UnsupportedVersion { found: version });
        }
        // Deserialize from the text (not the Value) to keep float round-trip precision.
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| ModelFileError::Invalid {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }

    /// Writes the JSON to `path`.
    ///
    /// # Errors
    /// [`ModelFileError::Write`] with the path.
    pub fn write(&self, path: &Path) -> Result<(), ModelFileError> {
        std::fs::write(path, self.to_json()).map_err(|source| ModelFileError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads and parses `path`.
    ///
    /// # Errors
    /// [`ModelFileError::Read`] with the path, or a parse error as [`Self::from_json`].
    pub fn read(path: &Path) -> Result<Self, ModelFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text)
    }
}
