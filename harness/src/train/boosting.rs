//! `GradientBoostingClassifier` with the log-loss — model v3 of task 1.
//!
//! No crate offers scikit-learn's semantics (see `docs/crates.md`), so this follows its
//! algorithm step by step. With K classes (K ≥ 3, multinomial):
//! - init: `F_k = log p_k − mean_j log p_j`, `p_k` the class priors clipped to `[ε, 1−ε]`
//!   (scikit-learn's `DummyClassifier(strategy="prior")` through the symmetric logit link);
//! - each stage: `p = softmax(F)` once, residuals `r_k = y_k − p_k`; for each k a regression tree
//!   (friedman_mse, best splitter) is fit to `r_k`, each leaf's value is replaced by the Newton
//!   step `(K−1)/K · Σr / Σ p(1−p)` (0 when the denominator is below 1e-150), and
//!   `F_k += learning_rate · leaf value`;
//! - `predict_proba = softmax(F)`.
//!
//! With two classes scikit-learn fits one tree per stage on the binomial log-loss
//! (`F = logit p_1`, leaf `Σr / Σ p(1−p)`, `predict_proba = [1 − σ(F), σ(F)]`); so does this.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::tree::{self, GrowParams, Node, Target, Tree};
use super::{MaxFeatures, TrainError, argmax, check_common, check_data};

/// Hyperparameters of [`GradientBoostingClassifier`]; `Default` is scikit-learn's default.
/// (`subsample` is fixed at 1.0 and `loss` at `log_loss`.)
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GradientBoostingParams {
    /// Boosting stages (≥ 1).
    pub(crate) n_estimators: usize,
    /// Shrinkage of every tree's contribution (> 0).
    pub(crate) learning_rate: f64,
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_samples_split: usize,
    pub(crate) min_samples_leaf: usize,
    pub(crate) max_features: MaxFeatures,
}

impl Default for GradientBoostingParams {
    fn default() -> Self {
        Self {
            n_estimators: 100,
            learning_rate: 0.1,
            max_depth: Some(3),
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: MaxFeatures::All,
        }
    }
}

impl GradientBoostingParams {
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
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(TrainError::Hyperparameter {
                name: "learning_rate",
                value: self.learning_rate.to_string(),
                reason: "must be a positive number",
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
            ("loss".into(), "log_loss".into()),
            ("n_estimators".into(), self.n_estimators.to_string()),
            ("learning_rate".into(), super::py_float(self.learning_rate)),
            ("subsample".into(), "1.0".into()),
            ("criterion".into(), "friedman_mse".into()),
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

/// A fitted boosted ensemble: `stages[i][k]` is stage i's tree for output column k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientBoostingClassifier {
    pub params: GradientBoostingParams,
    pub seed: u64,
    pub(crate) n_features: usize,
    pub(crate) n_classes: usize,
    /// Initial raw score per output column (K columns, or 1 for two classes).
    pub(crate) init: Vec<f64>,
    pub(crate) stages: Vec<Vec<Tree>>,
}

/// scikit-learn's `_safe_divide`.
fn safe_divide(numerator: f64, denominator: f64) -> f64 {
    if denominator.abs() < 1e-150 {
        0.0
    } else {
        numerator / denominator
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Softmax with the maximum subtracted first (no overflow).
fn softmax(z: &[f64]) -> Vec<f64> {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - max).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

impl GradientBoostingClassifier {
    /// Fits the ensemble; see [`super::DecisionTreeClassifier::fit`] for the data layout.
    ///
    /// # Errors
    /// As [`super::DecisionTreeClassifier::fit`], plus fewer than two classes or invalid
    /// `n_estimators` / `learning_rate`.
    pub(crate) fn fit(
        params: &GradientBoostingParams,
        x: &[f64],
        n_features: usize,
        y: &[usize],
        n_classes: usize,
        seed: u64,
    ) -> Result<Self, TrainError> {
        check_data(x, n_features, y, n_classes)?;
        if n_classes < 2 {
            return Err(TrainError::TooFewClasses { n_classes });
        }
        let grow = params.grow_params(n_features)?;
        let xg: Vec<f64> = x.iter().copied().map(tree::grid).collect();
        let n = y.len();
        let cols = if n_classes == 2 { 1 } else { n_classes };

        // Priors, clipped like scikit-learn's `fit_intercept_only`.
        let mut prior = vec![0.0; n_classes];
        for &c in y {
            prior[c] += 1.0;
        }
        let eps = f64::EPSILON;
        for p in &mut prior {
            *p = (*p / n as f64).clamp(eps, 1.0 - eps);
        }
        let init: Vec<f64> = if cols == 1 {
            vec![(prior[1] / (1.0 - prior[1])).ln()]
        } else {
            let logs: Vec<f64> = prior.iter().map(|p| p.ln()).collect();
            let mean = logs.iter().sum::<f64>() / n_classes as f64;
            logs.iter().map(|l| l - mean).collect()
        };

        let mut raw: Vec<Vec<f64>> = vec![init.clone(); n];
        let ones = vec![1.0; n];
        // One stream for all trees, as scikit-learn hands one RandomState to every tree.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut stages = Vec::with_capacity(params.n_estimators);
        let kf = n_classes as f64;
        for _ in 0..params.n_estimators {
            // Probabilities at the start of the stage: p[i][col].
            let prob: Vec<Vec<f64>> = raw
                .iter()
                .map(|r| {
                    if cols == 1 {
                        vec![sigmoid(r[0])]
                    } else {
                        softmax(r)
                    }
                })
                .collect();
            let mut trees = Vec::with_capacity(cols);
            for k in 0..cols {
                let class = if cols == 1 { 1 } else { k };
                let residual: Vec<f64> = (0..n)
                    .map(|i| f64::from(u8::from(y[i] == class)) - prob[i][k])
                    .collect();
                let mut t = tree::grow(
                    &xg,
                    n_features,
                    Target::FriedmanMse { y: &residual },
                    &ones,
                    (0..n).collect(),
                    grow,
                    &mut rng,
                );
                // Newton step per leaf.
                let leaf_of: Vec<usize> = (0..n)
                    .map(|i| t.leaf_index(&x[i * n_features..(i + 1) * n_features]))
                    .collect();
                let mut num = vec![0.0; t.nodes.len()];
                let mut den = vec![0.0; t.nodes.len()];
                for i in 0..n {
                    let p = prob[i][k];
                    num[leaf_of[i]] += residual[i];
                    den[leaf_of[i]] += p * (1.0 - p);
                }
                for (id, node) in t.nodes.iter_mut().enumerate() {
                    if let Node::Leaf { value } = node {
                        let numerator = if cols == 1 {
                            num[id]
                        } else {
                            num[id] * (kf - 1.0) / kf
                        };
                        *value = vec![safe_divide(numerator, den[id])];
                    }
                }
                for i in 0..n {
                    if let Node::Leaf { value } = &t.nodes[leaf_of[i]] {
                        raw[i][k] += params.learning_rate * value[0];
                    }
                }
                trees.push(t);
            }
            stages.push(trees);
        }
        Ok(Self {
            params: *params,
            seed,
            n_features,
            n_classes,
            init,
            stages,
        })
    }

    /// The raw scores `F` (scikit-learn's `decision_function`, one column for two classes).
    pub(crate) fn decision_function(&self, row: &[f64]) -> Vec<f64> {
        let mut raw = self.init.clone();
        for stage in &self.stages {
            for (r, t) in raw.iter_mut().zip(stage) {
                *r += self.params.learning_rate * t.leaf_value(row)[0];
            }
        }
        raw
    }

    /// Class probabilities: softmax of the raw scores (sigmoid for two classes).
    pub fn predict_proba(&self, row: &[f64]) -> Vec<f64> {
        let raw = self.decision_function(row);
        if self.n_classes == 2 {
            let p = sigmoid(raw[0]);
            vec![1.0 - p, p]
        } else {
            softmax(&raw)
        }
    }

    /// The most probable class, ties to the lower index.
    pub fn predict(&self, row: &[f64]) -> usize {
        argmax(&self.predict_proba(row))
    }
}
