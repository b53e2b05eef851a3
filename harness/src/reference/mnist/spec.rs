//! What task 2 trains and publishes, read from a task file's `[training.mlp]` and varied by
//! the command line (device, data, names).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::data::mnist;
use crate::nn::{self, DeviceKind, Engine, MlpConfig, N_CLASSES};
use crate::reference::RunError;
use crate::task::{TaskSpec, Training};
use crate::train::py_float;

/// The profile `harness run mnist` trains when none is given: the homework's epochs.
pub const DEFAULT_PROFILE: &str = "full";

/// What task 2 asks for, read from a task file's `[training.mlp]` ([`MnistRunSpec::from_task`])
/// and varied by the command line (device, data, names).
#[derive(Debug, Clone, PartialEq)]
pub struct MnistRunSpec {
    pub experiment: String,
    pub registered_model: String,
    /// May use `{seed}`, `{test_size}`, `{train_percent}`, `{test_percent}`, `{n_train}`,
    /// `{n_test}`, `{profile}` and `{framework}`.
    pub description: String,
    /// Registered-model tags; `{framework}` is filled in with what trains the networks.
    pub tags: BTreeMap<String, String>,
    /// Seed of the split (numpy's `RandomState`) and of each network's RNG.
    pub seed: u32,
    /// Fraction of the pool held out for testing (the spec's 30 %).
    pub test_size: f64,
    /// Test metrics on 0-based epochs 0, k, 2k, …
    pub(crate) test_every: usize,
    /// The profile the epochs come from (`full`, `quick`), recorded as a param.
    pub profile: String,
    /// v1, v2, … in order; v1 is the baseline.
    pub versions: Vec<MnistVersionSpec>,
    /// Test images the champion predicts after loading.
    pub predict_samples: usize,
    /// Training images in `input_example.json`.
    pub input_example_rows: usize,
    /// Train on the first `n` training images only (the profile's cap, or tests).
    pub max_train_samples: Option<usize>,
    pub device: DeviceKind,
    pub(crate) engine: Engine,
    /// MNIST IDX files to use instead of the embedded 10 000 digits.
    pub data_dir: Option<PathBuf>,
    /// Mean/std normalisation after scaling to [0, 1]; recorded as params and in the model.
    pub normalize: Option<mnist::Normalize>,
}

/// One network of task 2.
#[derive(Debug, Clone, PartialEq)]
pub struct MnistVersionSpec {
    /// Key of the task file's `[[versions]]` entry (`shallow`, `medium`, `deep`).
    pub key: String,
    pub run_name: String,
    pub(crate) hidden: Vec<usize>,
    /// One rate per hidden layer.
    pub(crate) dropout: Vec<f64>,
    pub(crate) learning_rate: f64,
    pub(crate) batch_size: usize,
    /// Epochs under [`MnistRunSpec::profile`].
    pub epochs: usize,
    /// Version tags; `{num_parameters}` and `{training_time_seconds}` are filled in, `status`
    /// comes from the role the measured accuracy gives the version.
    pub tags: BTreeMap<String, String>,
}

impl MnistRunSpec {
    /// The run described by `task`'s `[training.mlp]`, with the epochs of `profile`.
    ///
    /// # Errors
    /// [`RunError::Spec`] when the task has no MLP training section, names an unknown profile,
    /// asks for an optimizer or loss the harness does not train with, or a seed above 2³².
    pub fn from_task(task: &TaskSpec, profile: &str) -> Result<Self, RunError> {
        let Some(Training::Mlp(t)) = &task.training else {
            return Err(RunError::Spec(format!(
                "task `{}` has no [training.mlp] section",
                task.id
            )));
        };
        let named = |what: &str, v: &Option<String>| {
            v.clone()
                .ok_or_else(|| RunError::Spec(format!("task `{}` names no `{what}`", task.id)))
        };
        if !t.optimizer.eq_ignore_ascii_case("adam") {
            return Err(RunError::Spec(format!(
                "training.mlp.optimizer = `{}`: the harness trains with Adam only",
                t.optimizer
            )));
        }
        if !t.loss.eq_ignore_ascii_case("crossentropyloss") {
            return Err(RunError::Spec(format!(
                "training.mlp.loss = `{}`: the harness trains with CrossEntropyLoss only",
                t.loss
            )));
        }
        if !(t.train_fraction > 0.0 && t.train_fraction < 1.0) {
            return Err(RunError::Spec(format!(
                "training.mlp.train_fraction = {} must be in (0, 1)",
                t.train_fraction
            )));
        }
        let seed = u32::try_from(t.seed).map_err(|_| {
            RunError::Spec(format!(
                "training.mlp.seed = {} is not below 2^32 (numpy's RandomState)",
                t.seed
            ))
        })?;
        let p = t.profiles.get(profile).ok_or_else(|| {
            RunError::Spec(format!(
                "unknown profile `{profile}`; {} has: {}",
                task.id,
                t.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        let versions = t
            .versions
            .iter()
            .map(|v| {
                Ok(MnistVersionSpec {
                    key: v.key.clone(),
                    run_name: v.run_name.clone(),
                    hidden: v.hidden.clone(),
                    dropout: v.dropout.clone(),
                    learning_rate: v.learning_rate,
                    batch_size: v.batch_size,
                    epochs: t
                        .epochs_for(profile, &v.key)
                        .map_err(|e| RunError::Spec(e.to_string()))?
                        as usize,
                    tags: v.tags.clone(),
                })
            })
            .collect::<Result<Vec<_>, RunError>>()?;
        Ok(MnistRunSpec {
            experiment: named("experiment", &task.experiment)?,
            registered_model: named("registered_model", &task.registered_model)?,
            description: t.registered_model.description.clone(),
            tags: t.registered_model.tags.clone(),
            seed,
            // 1 - 0.7 is 0.30000000000000004 in binary, and scikit-learn's ceil(test_size · n)
            // would then hold out one image too many: round to a decimal fraction.
            test_size: ((1.0 - t.train_fraction) * 1e9).round() / 1e9,
            test_every: t.test_every as usize,
            profile: profile.to_owned(),
            versions,
            predict_samples: t.predict_samples,
            input_example_rows: 2,
            max_train_samples: p.max_train_samples,
            device: DeviceKind::Cpu,
            engine: Engine::Auto,
            data_dir: None,
            normalize: t.normalize,
        })
    }

    /// The engine that will train on [`Self::device`] (what `Engine::Auto` resolves to).
    pub(crate) fn resolved_engine(&self) -> Engine {
        match (self.engine, self.device) {
            (Engine::Auto, DeviceKind::Cpu) => Engine::Fused,
            (Engine::Auto, DeviceKind::Cuda(_)) => Engine::Candle,
            (e, _) => e,
        }
    }

    /// The `framework` tag: what actually trains the networks.
    pub(crate) fn framework(&self) -> String {
        match self.resolved_engine() {
            Engine::Candle => format!("harness-rust (candle, {})", self.device),
            _ => "harness-rust (fused CPU kernels, gemm)".to_owned(),
        }
    }
}

impl MnistVersionSpec {
    /// `784-128-10`.
    pub(crate) fn architecture(&self) -> String {
        std::iter::once(nn::MNIST_INPUTS)
            .chain(self.hidden.iter().copied())
            .chain(std::iter::once(N_CLASSES))
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The trainer's configuration for this version.
    pub fn config(&self, spec: &MnistRunSpec) -> MlpConfig {
        MlpConfig {
            name: self.key.clone(),
            hidden: self.hidden.clone(),
            dropout: self.dropout.iter().map(|&d| d as f32).collect(),
            learning_rate: self.learning_rate,
            batch_size: self.batch_size,
            epochs: self.epochs,
            seed: u64::from(spec.seed),
            eval_every: spec.test_every,
            engine: spec.engine,
            ..MlpConfig::default()
        }
    }

    /// `dropout_rate`: one value when every layer has the same rate, else each in layer order.
    pub(super) fn dropout_param(&self) -> String {
        match self.dropout.first() {
            Some(&d) if self.dropout.iter().all(|&x| x == d) => py_float(d),
            None => py_float(0.0),
            _ => self
                .dropout
                .iter()
                .map(|&d| py_float(d))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::data::split::train_test_split;
    use crate::task::TaskSource;
    use std::path::Path;

    pub(in crate::reference::mnist) fn task() -> TaskSpec {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
        TaskSource::Dir(dir).resolve("mnist").unwrap().remove(0)
    }

    #[test]
    fn the_task_file_is_the_homework() {
        let full = MnistRunSpec::from_task(&task(), "full").unwrap();
        assert_eq!(full.experiment, "mnist-pytorch-homework");
        assert_eq!(full.registered_model, "mnist-digit-classifier");
        assert_eq!((full.seed, full.test_size, full.test_every), (42, 0.3, 5));
        assert_eq!(full.predict_samples, 20);
        let arch: Vec<(String, f64, usize, usize)> = full
            .versions
            .iter()
            .map(|v| (v.architecture(), v.learning_rate, v.batch_size, v.epochs))
            .collect();
        assert_eq!(
            arch,
            [
                ("784-128-10".to_string(), 0.001, 64, 50),
                ("784-256-128-10".to_string(), 0.001, 32, 100),
                ("784-512-256-128-10".to_string(), 0.0005, 32, 150),
            ]
        );
        assert_eq!(full.versions[2].dropout, [0.2, 0.2, 0.1]);
        assert_eq!(full.versions[2].dropout_param(), "0.2,0.2,0.1");
        assert_eq!(full.versions[0].dropout_param(), "0.0");
        let params: Vec<usize> = full
            .versions
            .iter()
            .map(|v| v.config(&full).n_parameters())
            .collect();
        assert_eq!(params, [101_770, 235_146, 567_434]);
        let quick = MnistRunSpec::from_task(&task(), "quick").unwrap();
        let epochs: Vec<usize> = quick.versions.iter().map(|v| v.epochs).collect();
        assert_eq!(epochs, [3, 2, 2]);
        let err = MnistRunSpec::from_task(&task(), "fast").unwrap_err();
        assert!(err.to_string().contains("quick"), "{err}");
        // 70 % of 10 000 is 7 000 training images, not 6 999.
        let split = train_test_split(10_000, quick.test_size, 42).unwrap();
        assert_eq!((split.train.len(), split.test.len()), (7000, 3000));
    }

    #[test]
    fn a_task_without_mlp_training_is_refused() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
        let wine = TaskSource::Dir(dir).resolve("wine").unwrap().remove(0);
        assert!(matches!(
            MnistRunSpec::from_task(&wine, "full"),
            Err(RunError::Spec(_))
        ));
    }
}
