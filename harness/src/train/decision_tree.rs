//! `DecisionTreeClassifier` (gini, best splitter) — model v1 of task 1.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::tree::{self, GrowParams, Target, Tree};
use super::{MaxFeatures, TrainError, argmax, check_common, check_data};

/// Hyperparameters of [`DecisionTreeClassifier`]; `Default` is scikit-learn's default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionTreeParams {
    /// `None`: grow until leaves are pure or too small.
    pub(crate) max_depth: Option<usize>,
    /// A node with fewer rows is not split (≥ 2).
    pub(crate) min_samples_split: usize,
    /// Each child keeps at least this many rows (≥ 1).
    pub(crate) min_samples_leaf: usize,
    /// Features examined per node.
    pub(crate) max_features: MaxFeatures,
}

impl Default for DecisionTreeParams {
    fn default() -> Self {
        Self {
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: MaxFeatures::All,
        }
    }
}

impl DecisionTreeParams {
    /// Checks the values and resolves `max_features` for `n_features` columns.
    pub(crate) fn grow_params(&self, n_features: usize) -> Result<GrowParams, TrainError> {
        check_common(
            self.max_depth,
            self.min_samples_split,
            self.min_samples_leaf,
        )?;
        Ok(GrowParams {
            max_depth: self.max_depth,
            min_samples_split: self.min_samples_split,
            min_samples_leaf: self.min_samples_leaf,
            max_features: self.max_features.resolve(n_features)?,
        })
    }

    /// `(sklearn name, value)` pairs, values written as Python's `str()` would.
    pub(crate) fn hyperparameters(&self) -> Vec<(String, String)> {
        vec![
            ("criterion".into(), "gini".into()),
            ("splitter".into(), "best".into()),
            ("max_depth".into(), super::py_option(self.max_depth)),
            (
                "min_samples_split".into(),
                self.min_samples_split.to_string(),
            ),
            ("min_samples_leaf".into(), self.min_samples_leaf.to_string()),
            ("max_features".into(), self.max_features.sklearn_value()),
        ]
    }
}

/// A fitted classification tree; leaves hold class probabilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionTreeClassifier {
    pub params: DecisionTreeParams,
    /// The seed the feature order was drawn from (`random_state`).
    pub seed: u64,
    pub(crate) n_features: usize,
    pub(crate) n_classes: usize,
    pub(crate) tree: Tree,
}

impl DecisionTreeClassifier {
    /// Fits on row-major `x` (`y.len()` rows of `n_features`) with labels `< n_classes`.
    ///
    /// # Errors
    /// [`TrainError`] for inconsistent shapes, labels out of range, non-finite features or
    /// invalid hyperparameters.
    pub(crate) fn fit(
        params: &DecisionTreeParams,
        x: &[f64],
        n_features: usize,
        y: &[usize],
        n_classes: usize,
        seed: u64,
    ) -> Result<Self, TrainError> {
        check_data(x, n_features, y, n_classes)?;
        let grow = params.grow_params(n_features)?;
        let xg: Vec<f64> = x.iter().copied().map(tree::grid).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let tree = tree::grow(
            &xg,
            n_features,
            Target::Gini { y, n_classes },
            &vec![1.0; y.len()],
            (0..y.len()).collect(),
            grow,
            &mut rng,
        );
        Ok(Self {
            params: *params,
            seed,
            n_features,
            n_classes,
            tree,
        })
    }

    /// Class probabilities of the leaf `row` falls into.
    pub fn predict_proba(&self, row: &[f64]) -> Vec<f64> {
        self.tree.leaf_value(row).to_vec()
    }

    /// The most probable class; ties go to the lower index (numpy's `argmax`).
    pub fn predict(&self, row: &[f64]) -> usize {
        argmax(self.tree.leaf_value(row))
    }
}
