//! Shared vocabulary of the tree trainers: the error type, the algorithm names, `max_features`,
//! and the checks and Python-style formatting every model uses.

use serde::{Deserialize, Serialize};

/// Why a model could not be trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    #[error("no training rows")]
    NoRows,
    #[error("n_features must be at least 1")]
    NoFeatures,
    #[error(
        "the feature matrix has {len} values, which is not {n_rows} rows × {n_features} features"
    )]
    Shape {
        len: usize,
        n_rows: usize,
        n_features: usize,
    },
    #[error("label {label} of row {row} is out of range for {n_classes} classes")]
    LabelOutOfRange {
        row: usize,
        label: usize,
        n_classes: usize,
    },
    #[error("feature {feature} of row {row} is not a finite number ({value})")]
    NonFinite {
        row: usize,
        feature: usize,
        value: f64,
    },
    #[error("target of row {row} is not a finite number ({value})")]
    NonFiniteTarget { row: usize, value: f64 },
    #[error("row index {index} is out of range for a dataset of {n_samples} rows")]
    RowOutOfRange { index: usize, n_samples: usize },
    #[error("a row has {found} values, the model expects {expected} features")]
    RowLength { expected: usize, found: usize },
    #[error("gradient boosting needs at least 2 classes, got {n_classes}")]
    TooFewClasses { n_classes: usize },
    #[error("invalid hyperparameter {name}={value}: {reason}")]
    Hyperparameter {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
}

/// The three algorithms of task 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    DecisionTree,
    RandomForest,
    GradientBoosting,
}

impl Algorithm {
    /// All algorithms, in the order of the homework's model versions (v1, v2, v3).
    pub const ALL: [Algorithm; 3] = [
        Algorithm::DecisionTree,
        Algorithm::RandomForest,
        Algorithm::GradientBoosting,
    ];

    /// Short name: "DecisionTree", "RandomForest", "GradientBoosting".
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::DecisionTree => "DecisionTree",
            Algorithm::RandomForest => "RandomForest",
            Algorithm::GradientBoosting => "GradientBoosting",
        }
    }

    /// The scikit-learn class this algorithm reproduces.
    pub(crate) fn sklearn_class(self) -> &'static str {
        match self {
            Algorithm::DecisionTree => "DecisionTreeClassifier",
            Algorithm::RandomForest => "RandomForestClassifier",
            Algorithm::GradientBoosting => "GradientBoostingClassifier",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown algorithm name; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown algorithm `{0}`; expected one of DecisionTree, RandomForest, GradientBoosting \
     (or the scikit-learn class name)"
)]
pub struct UnknownAlgorithm(pub String);

impl std::str::FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Accepts the short name or the scikit-learn class name, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| s.eq_ignore_ascii_case(a.name()) || s.eq_ignore_ascii_case(a.sklearn_class()))
            .ok_or_else(|| UnknownAlgorithm(s.to_owned()))
    }
}

/// How many features a split examines (scikit-learn's `max_features`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxFeatures {
    /// All features (`None`).
    #[default]
    All,
    /// `max(1, ⌊√n_features⌋)` (`"sqrt"`).
    Sqrt,
    /// `max(1, ⌊log2 n_features⌋)` (`"log2"`).
    Log2,
    /// A fixed count in `1..=n_features`.
    Count(usize),
}

impl MaxFeatures {
    /// The number of features to examine for `n_features` columns.
    ///
    /// # Errors
    /// [`TrainError::Hyperparameter`] for a count of 0 or above `n_features`.
    pub fn resolve(self, n_features: usize) -> Result<usize, TrainError> {
        let n = n_features as f64;
        Ok(match self {
            MaxFeatures::All => n_features,
            MaxFeatures::Sqrt => (n.sqrt().floor() as usize).max(1),
            MaxFeatures::Log2 => (n.log2().floor() as usize).max(1),
            MaxFeatures::Count(c) if (1..=n_features).contains(&c) => c,
            MaxFeatures::Count(c) => {
                return Err(TrainError::Hyperparameter {
                    name: "max_features",
                    value: c.to_string(),
                    reason: "must be between 1 and the number of features",
                });
            }
        })
    }

    /// The value as scikit-learn's parameter would print: `None`, `sqrt`, `log2` or the count.
    pub(crate) fn sklearn_value(self) -> String {
        match self {
            MaxFeatures::All => "None".into(),
            MaxFeatures::Sqrt => "sqrt".into(),
            MaxFeatures::Log2 => "log2".into(),
            MaxFeatures::Count(c) => c.to_string(),
        }
    }
}

/// Python's `str()` of an optional integer.
pub fn py_option(v: Option<usize>) -> String {
    v.map_or_else(|| "None".to_owned(), |d| d.to_string())
}

/// Python's `str()` of a bool.
pub fn py_bool(v: bool) -> String {
    if v { "True" } else { "False" }.to_owned()
}

/// Python's `str()` of a float: shortest round-trip digits, always with a decimal point.
pub fn py_float(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains(['.', 'e', 'i', 'N']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// Index of the first maximum (numpy's `argmax`).
pub fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Checks shared by all tree hyperparameters.
pub fn check_common(
    max_depth: Option<usize>,
    min_samples_split: usize,
    min_samples_leaf: usize,
) -> Result<(), TrainError> {
    if max_depth == Some(0) {
        return Err(TrainError::Hyperparameter {
            name: "max_depth",
            value: "0".into(),
            reason: "must be at least 1 (or None)",
        });
    }
    if min_samples_split < 2 {
        return Err(TrainError::Hyperparameter {
            name: "min_samples_split",
            value: min_samples_split.to_string(),
            reason: "must be at least 2",
        });
    }
    if min_samples_leaf < 1 {
        return Err(TrainError::Hyperparameter {
            name: "min_samples_leaf",
            value: min_samples_leaf.to_string(),
            reason: "must be at least 1",
        });
    }
    Ok(())
}

/// Checks the training data's shape, labels and values.
pub fn check_data(
    x: &[f64],
    n_features: usize,
    y: &[usize],
    n_classes: usize,
) -> Result<(), TrainError> {
    if n_features == 0 {
        return Err(TrainError::NoFeatures);
    }
    if y.is_empty() {
        return Err(TrainError::NoRows);
    }
    if x.len() != y.len() * n_features {
        return Err(TrainError::Shape {
            len: x.len(),
            n_rows: y.len(),
            n_features,
        });
    }
    if let Some((row, &label)) = y.iter().enumerate().find(|(_, l)| **l >= n_classes) {
        return Err(TrainError::LabelOutOfRange {
            row,
            label,
            n_classes,
        });
    }
    if let Some((i, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(TrainError::NonFinite {
            row: i / n_features,
            feature: i % n_features,
            value,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_round_trip() {
        for a in Algorithm::ALL {
            assert_eq!(a.name().parse::<Algorithm>(), Ok(a));
            assert_eq!(a.sklearn_class().parse::<Algorithm>(), Ok(a));
        }
        let e = "svm".parse::<Algorithm>().unwrap_err();
        assert!(e.to_string().contains("DecisionTree, RandomForest"));
    }

    #[test]
    fn max_features_like_sklearn() {
        assert_eq!(MaxFeatures::Sqrt.resolve(13), Ok(3));
        assert_eq!(MaxFeatures::Log2.resolve(13), Ok(3));
        assert_eq!(MaxFeatures::All.resolve(13), Ok(13));
        assert_eq!(MaxFeatures::Sqrt.resolve(1), Ok(1));
        assert!(MaxFeatures::Count(14).resolve(13).is_err());
        assert!(MaxFeatures::Count(0).resolve(13).is_err());
    }

    #[test]
    fn python_style_values() {
        assert_eq!(py_float(0.1), "0.1");
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_option(None), "None");
        assert_eq!(py_bool(true), "True");
        assert_eq!(argmax(&[0.2, 0.4, 0.4]), 1);
    }

    #[test]
    fn data_checks() {
        assert_eq!(check_data(&[], 1, &[], 2), Err(TrainError::NoRows));
        assert!(matches!(
            check_data(&[1.0], 2, &[0], 2),
            Err(TrainError::Shape { .. })
        ));
        assert!(matches!(
            check_data(&[1.0], 1, &[2], 2),
            Err(TrainError::LabelOutOfRange { label: 2, .. })
        ));
        assert!(matches!(
            check_data(&[1.0, f64::NAN], 1, &[0, 1], 2),
            Err(TrainError::NonFinite { row: 1, .. })
        ));
        assert!(check_common(Some(0), 2, 1).is_err());
        assert!(check_common(None, 1, 1).is_err());
    }
}
