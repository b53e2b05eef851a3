//! Tree models for task 1 (wine): decision tree, random forest and gradient boosting with
//! scikit-learn's semantics, written here rather than taken from linfa (whose tie-breaking is
//! random and whose training/prediction thresholds disagree; see `docs/crates.md`).
//!
//! Everything is deterministic from an explicit `seed` (ChaCha8 streams, no thread-count
//! dependence) and nothing prints: training returns the model and its metrics.
//!
//! The usual sequence for task 1:
//! ```
//! use harness::{data, train};
//! let wine = data::wine::load()?;
//! let split = data::split::train_test_split(wine.n_samples(), 0.2, 42)?;
//! let trained = train::wine::train(train::Algorithm::DecisionTree, &wine, &split, 42)?;
//! assert!(trained.accuracy > 0.85);
//! let file = train::ModelFile::new(trained.model, &wine);
//! let json = file.to_json();
//! let back = train::ModelFile::from_json(&json)?;
//! assert_eq!(back.model.predict(wine.row(0)), file.model.predict(wine.row(0)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod boosting;
pub(crate) mod decision_tree;
pub(crate) mod forest;
pub(crate) mod metrics;
pub mod model;
mod params;
pub mod regressor_file;
pub mod regressors;
pub(crate) mod tree;
pub mod wine;

pub use boosting::{GradientBoostingClassifier, GradientBoostingParams};
pub use decision_tree::{DecisionTreeClassifier, DecisionTreeParams};
pub use forest::{RandomForestClassifier, RandomForestParams};
pub use model::{
    Hyperparameters, MODEL_FORMAT, MODEL_FORMAT_VERSION, ModelFile, ModelFileError, TreeModel,
};
pub use params::{Algorithm, MaxFeatures, TrainError, UnknownAlgorithm};
pub use params::{argmax, check_common, check_data, py_bool, py_float, py_option};
pub use regressor_file::{REGRESSOR_FORMAT, REGRESSOR_FORMAT_VERSION, RegressorFile};
pub use regressors::{RegressionModel, RegressorParams};
