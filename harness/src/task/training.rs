//! The training half of a task file: what `harness run` trains and publishes. The grader reads
//! only names from here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::TaskError;
pub use crate::train::Algorithm;

/// What the reference run (`harness run`) trains; the grader reads only the names from here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Training {
    /// Tree models on a tabular dataset (task 1).
    Sklearn(SklearnTraining),
    /// Fully connected networks on images (task 2).
    Mlp(MlpTraining),
}

/// The registered model's description and tags as the reference run sets them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisteredModelSetup {
    pub description: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SklearnTraining {
    /// Dataset name under `tasks/data/` (`wine`).
    pub dataset: String,
    /// `random_state` of the split and of the models.
    pub seed: u64,
    /// Fraction held out, as `train_test_split(test_size=…)`.
    pub test_size: f64,
    /// How many test rows the champion predicts after it is loaded back by alias.
    #[serde(default = "ten")]
    pub predict_samples: usize,
    pub registered_model: RegisteredModelSetup,
    pub versions: Vec<SklearnVersion>,
}

fn ten() -> usize {
    10
}

fn twenty() -> usize {
    20
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SklearnVersion {
    /// Key of the matching `[[versions]]` entry.
    pub key: String,
    pub algorithm: Algorithm,
    /// `wine-v{n}-{Algorithm}`.
    pub run_name: String,
    #[serde(default)]
    pub(crate) n_estimators: Option<u32>,
    #[serde(default)]
    pub(crate) max_depth: Option<u32>,
    #[serde(default)]
    pub(crate) learning_rate: Option<f64>,
    /// Version tags to set (must cover `[registry].version_tags`).
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpTraining {
    pub dataset: String,
    pub seed: u64,
    /// Fraction of the samples used for training (the spec's 70 %); the rest is the test set.
    pub(crate) train_fraction: f64,
    /// Test metrics are logged on epochs 0, every, 2·every, … (0-based).
    pub(crate) test_every: u32,
    pub(crate) optimizer: String,
    pub loss: String,
    /// How many test images the champion predicts after it is loaded back by alias.
    #[serde(default = "twenty")]
    pub predict_samples: usize,
    /// Mean/std normalisation after scaling pixels to [0, 1] (the starter code's
    /// `Normalize(0.1307, 0.3081)`); absent = [0, 1] only, as the spec text says.
    #[serde(default)]
    pub normalize: Option<crate::data::mnist::Normalize>,
    pub registered_model: RegisteredModelSetup,
    /// Named run lengths: `full` = the spec's epochs, `quick` for CI.
    pub(crate) profiles: BTreeMap<String, Profile>,
    pub versions: Vec<MlpVersion>,
}

/// Epoch overrides per version key; a version not listed trains its spec epochs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub epochs: BTreeMap<String, u32>,
    /// Cap on training samples (quick runs); `None` = all.
    #[serde(default)]
    pub max_train_samples: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpVersion {
    pub key: String,
    pub run_name: String,
    pub hidden: Vec<usize>,
    /// One rate per hidden layer (0.0 = none).
    pub(crate) dropout: Vec<f64>,
    pub(crate) learning_rate: f64,
    pub(crate) batch_size: usize,
    pub epochs: u32,
    pub tags: BTreeMap<String, String>,
}

impl MlpTraining {
    /// Epochs for `version` under `profile`, or an error listing the profiles that exist.
    pub(crate) fn epochs_for(&self, profile: &str, version: &str) -> Result<u32, TaskError> {
        let p = self
            .profiles
            .get(profile)
            .ok_or_else(|| TaskError::Invalid {
                origin: "training.mlp".into(),
                key: format!("profiles.{profile}"),
                message: format!(
                    "unknown profile; available: {}",
                    self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            })?;
        let v = self
            .versions
            .iter()
            .find(|v| v.key == version)
            .ok_or_else(|| TaskError::Invalid {
                origin: "training.mlp".into(),
                key: "versions".into(),
                message: format!("no version `{version}`"),
            })?;
        Ok(p.epochs.get(version).copied().unwrap_or(v.epochs))
    }
}
