//! `RandomForestClassifier` — model v2 of task 1.
//!
//! As in scikit-learn: each tree sees a bootstrap sample (drawn as per-row counts that act as
//! sample weights), examines `max_features` randomly chosen features at *every* split, and the
//! forest predicts the argmax of the mean of the trees' class probabilities (soft vote).
//! Every tree gets its own ChaCha8 stream, seeded from the forest's seed, so the result does not
//! depend on how (or whether) trees are trained in parallel.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::tree::{self, GrowParams, Target, Tree, below};
use super::{MaxFeatures, TrainError, argmax, check_common, check_data};

/// Hyperparameters of [`RandomForestClassifier`]; `Default` is scikit-learn's default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandomForestParams {
    /// Number of trees (≥ 1).
    pub(crate) n_estimators: usize,
    /// Draw a bootstrap sample per tree; `false` trains every tree on all rows.
    pub(crate) bootstrap: bool,
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_samples_split: usize,
    pub(crate) min_samples_leaf: usize,
    /// Features examined per split (default √n_features).
    pub(crate) max_features: MaxFeatures,
}

impl Default for RandomForestParams {
    fn default() -> Self {
        Self {
            n_estimators: 100,
            bootstrap: true,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: MaxFeatures::Sqrt,
        }
    }
}

impl RandomForestParams {
    fn grow_params(&self, n_features: usize) -> Result<GrowParams, TrainError> {
        check_common(
            self.max_depth,
            self.min_samples_split,
            self.min_samples_leaf,
        )?;
        if self.n_estimators == 0 {
            return Err(TrainError::Hyperparameter {
                name: "n_estimators",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
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
            ("n_estimators".into(), self.n_estimators.to_string()),
            ("criterion".into(), "gini".into()),
            ("max_depth".into(), super::py_option(self.max_depth)),
            (
                "min_samples_split".into(),
                self.min_samples_split.to_string(),
            ),
            ("min_samples_leaf".into(), self.min_samples_leaf.to_string()),
            ("max_features".into(), self.max_features.sklearn_value()),
            ("bootstrap".into(), super::py_bool(self.bootstrap)),
        ]
    }
}

/// A fitted forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomForestClassifier {
    pub params: RandomForestParams,
    pub seed: u64,
    pub(crate) n_features: usize,
    pub(crate) n_classes: usize,
    pub(crate) trees: Vec<Tree>,
}

impl RandomForestClassifier {
    /// Fits `n_estimators` trees; see [`super::DecisionTreeClassifier::fit`] for the data layout.
    ///
    /// # Errors
    /// As [`super::DecisionTreeClassifier::fit`], plus `n_estimators = 0`.
    pub(crate) fn fit(
        params: &RandomForestParams,
        x: &[f64],
        n_features: usize,
        y: &[usize],
        n_classes: usize,
        seed: u64,
    ) -> Result<Self, TrainError> {
        check_data(x, n_features, y, n_classes)?;
        let grow = params.grow_params(n_features)?;
        let xg: Vec<f64> = x.iter().copied().map(tree::grid).collect();
        let n = y.len();
        let mut forest_rng = ChaCha8Rng::seed_from_u64(seed);
        let tree_seeds: Vec<u64> = (0..params.n_estimators)
            .map(|_| forest_rng.next_u64())
            .collect();
        let trees = tree_seeds
            .into_iter()
            .map(|tree_seed| {
                let mut rng = ChaCha8Rng::seed_from_u64(tree_seed);
                let weights = if params.bootstrap {
                    let mut counts = vec![0.0; n];
                    for _ in 0..n {
                        counts[below(&mut rng, n)] += 1.0;
                    }
                    counts
                } else {
                    vec![1.0; n]
                };
                // Rows drawn zero times are not in the tree at all (scikit-learn drops
                // zero-weight rows), so min_samples_* count the distinct rows drawn.
                let samples: Vec<usize> = (0..n).filter(|&i| weights[i] > 0.0).collect();
                tree::grow(
                    &xg,
                    n_features,
                    Target::Gini { y, n_classes },
                    &weights,
                    samples,
                    grow,
                    &mut rng,
                )
            })
            .collect();
        Ok(Self {
            params: *params,
            seed,
            n_features,
            n_classes,
            trees,
        })
    }

    /// Mean of the trees' class probabilities.
    pub fn predict_proba(&self, row: &[f64]) -> Vec<f64> {
        let mut sum = vec![0.0; self.n_classes];
        for t in &self.trees {
            for (s, p) in sum.iter_mut().zip(t.leaf_value(row)) {
                *s += p;
            }
        }
        let n = self.trees.len() as f64;
        sum.iter().map(|s| s / n).collect()
    }

    /// Soft vote: argmax of [`Self::predict_proba`], ties to the lower class index.
    pub fn predict(&self, row: &[f64]) -> usize {
        argmax(&self.predict_proba(row))
    }
}
