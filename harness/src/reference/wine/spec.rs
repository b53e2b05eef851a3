//! What task 1 trains and publishes, read from a task file's `[training.sklearn]`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::reference::RunError;
use crate::task::{TaskSpec, Training};
use crate::train::Hyperparameters;

/// What task 1 asks for, read from a task file's `[training.sklearn]`
/// ([`WineRunSpec::from_task`]); `Default` is the built-in `tasks/wine.toml`. `description` may
/// use `{seed}`, `{test_size}`, `{n_train}` and `{n_test}`, filled in at run time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WineRunSpec {
    pub experiment: String,
    pub registered_model: String,
    pub description: String,
    /// Registered-model tags.
    pub tags: BTreeMap<String, String>,
    /// `random_state` of the split and of every model (numpy seeds are below 2³²).
    pub seed: u32,
    pub test_size: f64,
    /// v1, v2, … in order; v1 is the baseline.
    pub versions: Vec<WineVersionSpec>,
    /// How many test rows the champion predicts after loading.
    pub predict_samples: usize,
    /// Training rows in `input_example.json`.
    pub input_example_rows: usize,
}

/// One model version of task 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WineVersionSpec {
    pub run_name: String,
    /// The algorithm and its hyperparameters (`{ algorithm = "RandomForest", n_estimators = 100 }`).
    pub model: Hyperparameters,
    /// The version's `model_type` tag.
    pub model_type: String,
}

impl Default for WineRunSpec {
    /// The homework: the built-in copy of `tasks/wine.toml` (tests check it parses).
    fn default() -> Self {
        let task = crate::task::TaskSource::Builtin
            .resolve("wine")
            .ok()
            .and_then(|mut t| t.pop())
            .expect("the built-in wine.toml parses (tested)");
        Self::from_task(&task).expect("the built-in wine.toml has a valid [training.sklearn]")
    }
}

impl WineRunSpec {
    /// The run described by `task`'s `[training.sklearn]` section and its names.
    ///
    /// # Errors
    /// [`RunError::Spec`] when the task has no scikit-learn training section, no experiment or
    /// registered model, a seed of 2³² or more, or a version without a `model_type` tag.
    pub fn from_task(task: &TaskSpec) -> Result<Self, RunError> {
        let Some(Training::Sklearn(t)) = &task.training else {
            return Err(RunError::Spec(format!(
                "task `{}` has no [training.sklearn] section",
                task.id
            )));
        };
        let named = |what: &str, v: &Option<String>| {
            v.clone()
                .ok_or_else(|| RunError::Spec(format!("task `{}` names no `{what}`", task.id)))
        };
        let seed = u32::try_from(t.seed).map_err(|_| {
            RunError::Spec(format!(
                "training.sklearn.seed = {} is not below 2^32 (numpy's RandomState)",
                t.seed
            ))
        })?;
        let versions = t
            .versions
            .iter()
            .map(|v| {
                let algorithm = v.algorithm;
                let mut model = Hyperparameters::default_for(algorithm);
                let n_estimators = v.n_estimators.map(|n| n as usize);
                let max_depth = v.max_depth.map(|d| d as usize);
                match &mut model {
                    Hyperparameters::DecisionTree(p) => {
                        p.max_depth = max_depth.or(p.max_depth);
                    }
                    Hyperparameters::RandomForest(p) => {
                        p.n_estimators = n_estimators.unwrap_or(p.n_estimators);
                        p.max_depth = max_depth.or(p.max_depth);
                    }
                    Hyperparameters::GradientBoosting(p) => {
                        p.n_estimators = n_estimators.unwrap_or(p.n_estimators);
                        p.max_depth = max_depth.or(p.max_depth);
                        p.learning_rate = v.learning_rate.unwrap_or(p.learning_rate);
                    }
                }
                let model_type = v.tags.get("model_type").cloned().ok_or_else(|| {
                    RunError::Spec(format!("version `{}` has no `model_type` tag", v.key))
                })?;
                Ok(WineVersionSpec {
                    run_name: v.run_name.clone(),
                    model,
                    model_type,
                })
            })
            .collect::<Result<Vec<_>, RunError>>()?;
        Ok(WineRunSpec {
            experiment: named("experiment", &task.experiment)?,
            registered_model: named("registered_model", &task.registered_model)?,
            description: t.registered_model.description.clone(),
            tags: t.registered_model.tags.clone(),
            seed,
            test_size: t.test_size,
            versions,
            predict_samples: t.predict_samples,
            input_example_rows: 5,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Algorithm;

    #[test]
    fn default_spec_is_the_homework() {
        let s = WineRunSpec::default();
        assert_eq!(s.experiment, "wine-quality-homework");
        assert_eq!(s.registered_model, "wine-quality-classifier");
        let names: Vec<&str> = s.versions.iter().map(|v| v.run_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "wine-v1-DecisionTree",
                "wine-v2-RandomForest",
                "wine-v3-GradientBoosting"
            ]
        );
        assert_eq!((s.seed, s.test_size), (42, 0.2));
        for k in ["task", "dataset", "team"] {
            assert!(s.tags.contains_key(k), "{k}");
        }
    }

    #[test]
    fn the_shipped_task_file_gives_the_default_spec_with_sklearn_defaults() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
        let task = crate::task::TaskSource::Dir(dir)
            .resolve("wine")
            .unwrap()
            .remove(0);
        let s = WineRunSpec::from_task(&task).unwrap();
        assert_eq!(s, WineRunSpec::default());
        // n_estimators = 100, learning_rate = 0.1, max_depth = 3 are scikit-learn's defaults.
        for (v, a) in s.versions.iter().zip(Algorithm::ALL) {
            assert_eq!(v.model, Hyperparameters::default_for(a));
        }
        let models: Vec<&str> = s.versions.iter().map(|v| v.model_type.as_str()).collect();
        assert_eq!(
            models,
            ["decision_tree", "random_forest", "gradient_boosting"]
        );
        assert_eq!((s.predict_samples, s.input_example_rows), (10, 5));
        assert!(s.description.contains("{n_train}"), "{}", s.description);
        let mut mnist = crate::task::TaskSource::Builtin
            .resolve("mnist")
            .unwrap()
            .remove(0);
        assert!(matches!(
            WineRunSpec::from_task(&mnist),
            Err(RunError::Spec(_))
        ));
        mnist.training = task.training.clone();
        mnist.experiment = None;
        let err = WineRunSpec::from_task(&mnist).unwrap_err().to_string();
        assert!(err.contains("experiment"), "{err}");
    }

    #[test]
    fn spec_round_trips_through_toml_and_refuses_unknown_keys() {
        let s = WineRunSpec::default();
        let text = toml::to_string(&s).unwrap();
        let back: WineRunSpec = toml::from_str(&text).unwrap();
        assert_eq!(back, s);
        let err = toml::from_str::<WineRunSpec>("sede = 1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sede"), "{err}");
        let partial: WineRunSpec = toml::from_str("seed = 7").unwrap();
        assert_eq!(partial.seed, 7);
        assert_eq!(partial.versions.len(), 3);
    }
}
