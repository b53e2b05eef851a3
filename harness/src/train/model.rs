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
    pub(crate) fn fit(
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

    #[cfg(test)]
    /// "DecisionTree", "RandomForest" or "GradientBoosting".
    pub(crate) fn algorithm_name(&self) -> &'static str {
        self.algorithm().name()
    }

    pub(crate) fn hyperparameters_struct(&self) -> Hyperparameters {
        match self {
            Self::DecisionTree(m) => Hyperparameters::DecisionTree(m.params),
            Self::RandomForest(m) => Hyperparameters::RandomForest(m.params),
            Self::GradientBoosting(m) => Hyperparameters::GradientBoosting(m.params),
        }
    }

    /// Every hyperparameter under scikit-learn's name, values as Python prints them, including
    /// `random_state` (the seed) — ready to log as MLflow params.
    pub(crate) fn hyperparameters(&self) -> Vec<(String, String)> {
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

    pub(crate) fn n_features(&self) -> usize {
        match self {
            Self::DecisionTree(m) => m.n_features,
            Self::RandomForest(m) => m.n_features,
            Self::GradientBoosting(m) => m.n_features,
        }
    }

    pub(crate) fn n_classes(&self) -> usize {
        match self {
            Self::DecisionTree(m) => m.n_classes,
            Self::RandomForest(m) => m.n_classes,
            Self::GradientBoosting(m) => m.n_classes,
        }
    }

    /// Checks the internal consistency of a model read from a file, so that predicting with it
    /// cannot index out of bounds or loop.
    ///
    /// # Errors
    /// A message naming the first inconsistency (e.g. `trees[3]: node 5: …`).
    pub(crate) fn validate(&self) -> Result<(), String> {
        let (nf, nc) = (self.n_features(), self.n_classes());
        if nf == 0 || nc == 0 {
            return Err("n_features and n_classes must be at least 1".into());
        }
        match self {
            Self::DecisionTree(m) => m.tree.validate(nf, nc).map_err(|e| format!("tree: {e}")),
            Self::RandomForest(m) => {
                if m.trees.is_empty() {
                    return Err("trees: the forest has no trees".into());
                }
                for (i, t) in m.trees.iter().enumerate() {
                    t.validate(nf, nc).map_err(|e| format!("trees[{i}]: {e}"))?;
                }
                Ok(())
            }
            Self::GradientBoosting(m) => {
                let cols = if nc == 2 { 1 } else { nc };
                if nc < 2 {
                    return Err("gradient boosting needs at least 2 classes".into());
                }
                if m.init.len() != cols || m.init.iter().any(|v| !v.is_finite()) {
                    return Err(format!("init: expected {cols} finite values"));
                }
                if !(m.params.learning_rate.is_finite() && m.params.learning_rate > 0.0) {
                    return Err("params.learning_rate must be a positive number".into());
                }
                for (i, stage) in m.stages.iter().enumerate() {
                    if stage.len() != cols {
                        return Err(format!("stages[{i}]: expected {cols} trees"));
                    }
                    for (k, t) in stage.iter().enumerate() {
                        t.validate(nf, 1)
                            .map_err(|e| format!("stages[{i}][{k}]: {e}"))?;
                    }
                }
                Ok(())
            }
        }
    }

    /// [`Self::predict`] for rows from outside (user input): checks the length first.
    ///
    /// # Errors
    /// [`TrainError::RowLength`] if `row` does not have `n_features()` values.
    pub(crate) fn try_predict(&self, row: &[f64]) -> Result<usize, TrainError> {
        self.check_row(row)?;
        Ok(self.predict(row))
    }

    #[cfg(test)]
    /// [`Self::predict_proba`] with the row length checked.
    ///
    /// # Errors
    /// [`TrainError::RowLength`] if `row` does not have `n_features()` values.
    pub(crate) fn try_predict_proba(&self, row: &[f64]) -> Result<Vec<f64>, TrainError> {
        self.check_row(row)?;
        Ok(self.predict_proba(row))
    }

    fn check_row(&self, row: &[f64]) -> Result<(), TrainError> {
        if row.len() == self.n_features() {
            Ok(())
        } else {
            Err(TrainError::RowLength {
                expected: self.n_features(),
                found: row.len(),
            })
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
    pub(crate) fn predict_rows(&self, x: &[f64]) -> Vec<usize> {
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
    pub(crate) format_version: u32,
    /// Input column names, in order (the model signature's inputs).
    pub(crate) feature_names: Vec<String>,
    /// Output class names, by class index.
    pub(crate) class_names: Vec<String>,
    /// sha256 of the dataset the model was trained on.
    pub(crate) dataset_sha256: String,
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
        Self::with_names(
            model,
            dataset.feature_names.clone(),
            dataset.class_names.clone(),
            dataset.digest().to_owned(),
        )
    }

    /// Wraps a fitted model with explicit names (for data that is not a [`Dataset`]).
    pub(crate) fn with_names(
        model: TreeModel,
        feature_names: Vec<String>,
        class_names: Vec<String>,
        dataset_sha256: String,
    ) -> Self {
        Self {
            format: MODEL_FORMAT.to_owned(),
            format_version: MODEL_FORMAT_VERSION,
            feature_names,
            class_names,
            dataset_sha256,
            model,
        }
    }

    /// Compact JSON (on wine: tree ≈1 kB, forest ≈110 kB, boosting ≈270 kB).
    pub(crate) fn to_json(&self) -> String {
        // Cannot fail: plain structs and finite floats (fit rejects non-finite input).
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
        let file: Self =
            serde_path_to_error::deserialize(de).map_err(|e| ModelFileError::Invalid {
                path: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        file.validate()?;
        Ok(file)
    }

    /// Checks that names match the model's shape and the model itself is consistent.
    fn validate(&self) -> Result<(), ModelFileError> {
        let invalid = |path: &str, message: String| ModelFileError::Invalid {
            path: path.to_owned(),
            message,
        };
        if self.feature_names.len() != self.model.n_features() {
            return Err(invalid(
                "feature_names",
                format!(
                    "{} names for a model with {} features",
                    self.feature_names.len(),
                    self.model.n_features()
                ),
            ));
        }
        if self.class_names.len() != self.model.n_classes() {
            return Err(invalid(
                "class_names",
                format!(
                    "{} names for a model with {} classes",
                    self.class_names.len(),
                    self.model.n_classes()
                ),
            ));
        }
        self.model.validate().map_err(|m| invalid("model", m))
    }

    #[cfg(test)]
    /// Writes the JSON to `path`.
    ///
    /// # Errors
    /// [`ModelFileError::Write`] with the path.
    pub(crate) fn write(&self, path: &Path) -> Result<(), ModelFileError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::tree::{Node, Tree};

    fn small_model() -> ModelFile {
        // 1-D, two classes: x <= 6.5 → class 0.
        let x = [1.0, 2.0, 3.0, 10.0, 11.0];
        let y = [0, 0, 0, 1, 1];
        let hp = Hyperparameters::default_for(Algorithm::DecisionTree);
        let model = TreeModel::fit(&hp, &x, 1, &y, 2, 0).unwrap();
        ModelFile::with_names(
            model,
            vec!["x".into()],
            vec!["a".into(), "b".into()],
            "d".into(),
        )
    }

    #[test]
    fn tiny_tree_predicts_by_hand() {
        let file = small_model();
        let m = &file.model;
        assert_eq!(m.predict(&[6.5]), 0);
        assert_eq!(m.predict(&[6.6]), 1);
        assert_eq!(m.predict_proba(&[0.0]), [1.0, 0.0]);
        assert_eq!(
            m.try_predict(&[1.0, 2.0]),
            Err(TrainError::RowLength {
                expected: 1,
                found: 2
            })
        );
        assert_eq!(m.try_predict_proba(&[20.0]), Ok(vec![0.0, 1.0]));
        let TreeModel::DecisionTree(dt) = m else {
            panic!("a decision tree")
        };
        assert_eq!(
            dt.tree.nodes[0],
            Node::Split {
                feature: 0,
                threshold: 6.5,
                left: 1,
                right: 2
            }
        );
    }

    #[test]
    fn foreign_and_broken_files_are_refused() {
        assert!(matches!(
            ModelFile::from_json("nope"),
            Err(ModelFileError::NotJson(_))
        ));
        assert!(matches!(
            ModelFile::from_json(r#"{"format": "other"}"#),
            Err(ModelFileError::WrongFormat { found: Some(_) })
        ));
        assert!(matches!(
            ModelFile::from_json(r#"{"format": "harness-tree-model", "format_version": 99}"#),
            Err(ModelFileError::UnsupportedVersion { found: Some(99) })
        ));
        let good = small_model();
        // Missing field: the error names where.
        let mut v: serde_json::Value = serde_json::from_str(&good.to_json()).unwrap();
        v["model"].as_object_mut().unwrap().remove("tree");
        match ModelFile::from_json(&v.to_string()) {
            Err(ModelFileError::Invalid { message, .. }) => {
                assert!(message.contains("tree"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        // A structurally valid file whose tree loops is refused before it can hang a prediction.
        let mut bad = good.clone();
        if let TreeModel::DecisionTree(dt) = &mut bad.model {
            dt.tree = Tree {
                nodes: vec![Node::Split {
                    feature: 0,
                    threshold: 1.0,
                    left: 0,
                    right: 0,
                }],
            };
        }
        match ModelFile::from_json(&bad.to_json()) {
            Err(ModelFileError::Invalid { path, message }) => {
                assert_eq!(path, "model");
                assert!(message.contains("node 0"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // Names must match the model's shape.
        let mut bad = good;
        bad.class_names.pop();
        assert!(matches!(
            ModelFile::from_json(&bad.to_json()),
            Err(ModelFileError::Invalid { path, .. }) if path == "class_names"
        ));
    }

    #[test]
    fn hyperparameters_read_from_json_refuse_unknown_keys() {
        let hp: Hyperparameters =
            serde_json::from_str(r#"{"algorithm": "RandomForest", "n_estimators": 10}"#).unwrap();
        assert_eq!(
            hp,
            Hyperparameters::RandomForest(crate::train::RandomForestParams {
                n_estimators: 10,
                ..Default::default()
            })
        );
        assert!(
            serde_json::from_str::<Hyperparameters>(
                r#"{"algorithm": "RandomForest", "n_trees": 10}"#
            )
            .is_err()
        );
        assert_eq!(hp.algorithm(), Algorithm::RandomForest);
    }

    /// Small random data sets: rows with distinct values in column 0, labels in 0..3.
    fn small_data() -> impl proptest::strategy::Strategy<Value = (Vec<f64>, Vec<usize>)> {
        use proptest::prelude::*;
        (3usize..25).prop_flat_map(|n| {
            (
                proptest::collection::vec(-100i32..100, n * 2),
                proptest::collection::vec(0usize..3, n),
            )
                .prop_map(move |(cells, y)| {
                    // Column 0 is the row index (distinct), column 1 random.
                    let x = (0..n)
                        .flat_map(|i| [i as f64 * 0.5, f64::from(cells[2 * i + 1]) / 7.0])
                        .collect();
                    (x, y)
                })
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        /// A fully grown tree separates distinct rows, so it reproduces its training labels.
        #[test]
        fn full_tree_fits_distinct_rows((x, y) in small_data(), seed in 0u64..1000) {
            let hp = Hyperparameters::default_for(Algorithm::DecisionTree);
            let m = TreeModel::fit(&hp, &x, 2, &y, 3, seed).unwrap();
            proptest::prop_assert_eq!(m.predict_rows(&x), y);
        }

        /// Every model's probabilities are a distribution whose argmax is the prediction.
        #[test]
        fn probabilities_are_distributions((x, y) in small_data(), seed in 0u64..1000) {
            let hps = [
                Hyperparameters::default_for(Algorithm::DecisionTree),
                Hyperparameters::RandomForest(crate::train::RandomForestParams {
                    n_estimators: 5,
                    ..Default::default()
                }),
                Hyperparameters::GradientBoosting(crate::train::GradientBoostingParams {
                    n_estimators: 5,
                    ..Default::default()
                }),
            ];
            for hp in hps {
                let m = TreeModel::fit(&hp, &x, 2, &y, 3, seed).unwrap();
                for row in x.chunks(2) {
                    let p = m.predict_proba(row);
                    proptest::prop_assert_eq!(p.len(), 3);
                    proptest::prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
                    proptest::prop_assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
                    proptest::prop_assert_eq!(m.predict(row), crate::train::argmax(&p));
                }
            }
        }
    }
}
