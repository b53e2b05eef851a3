//! The experiment config of `harness run --config` (exercise 3 of the course's MLOps day): its
//! schema, parsing (YAML, or TOML by extension) with the key path of every mistake, validation,
//! the defaults, and the config flattened into MLflow params (`training.learning_rate`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use crate::train::MaxFeatures;

/// One experiment: where the data comes from, what model, how it trains, where it is logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// The MLflow experiment (created when missing).
    pub experiment_name: String,
    /// The run's name [default: the architecture and the time].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    /// Seeds the model (initial weights, dropout, shuffles; tree feature sampling) and, unless
    /// `data.seed` says otherwise, the split.
    #[serde(default = "default_seed")]
    pub seed: u64,
    pub data: DataConfig,
    pub model: ModelConfig,
    #[serde(default)]
    pub training: TrainingConfig,
    /// Register the model under this name (and point `alias` at the new version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<RegisterConfig>,
}

fn default_seed() -> u64 {
    42
}

/// Which data and how it is split into train, validation and test parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// `wine`, `mnist` (the embedded 10 000 digits) or the path of a CSV file with a header.
    pub dataset: String,
    /// The CSV column holding the class or the value to predict (only for a CSV path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `classification` or `regression` [default: `diabetes` is regression, `wine` and `mnist`
    /// classification; a CSV is regression when its target is numeric and either has a
    /// fractional value or more than [`MAX_INFERRED_CLASSES`] distinct values].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskKind>,
    #[serde(default = "default_train_split")]
    pub train_split: f64,
    #[serde(default = "default_holdout_split")]
    pub val_split: f64,
    #[serde(default = "default_holdout_split")]
    pub test_split: f64,
    /// Seed of the split [default: the top-level `seed`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u32>,
}

fn default_train_split() -> f64 {
    0.7
}
fn default_holdout_split() -> f64 {
    0.15
}

/// What the model predicts: a class or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    Classification,
    Regression,
}

/// A CSV whose integer target has more distinct values than this is inferred to be regression
/// (set `data.task` to say otherwise).
pub const MAX_INFERRED_CLASSES: usize = 20;

/// The data source `data.dataset` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    Wine,
    Mnist,
    /// scikit-learn's diabetes data (regression), embedded.
    Diabetes,
    Csv {
        path: PathBuf,
        target: String,
        task: Option<TaskKind>,
    },
}

/// Model families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    Mlp,
    DecisionTree,
    RandomForest,
    GradientBoosting,
}

impl Architecture {
    pub fn name(self) -> &'static str {
        match self {
            Architecture::Mlp => "mlp",
            Architecture::DecisionTree => "decision_tree",
            Architecture::RandomForest => "random_forest",
            Architecture::GradientBoosting => "gradient_boosting",
        }
    }
}

/// The model and its hyperparameters; a key that does not belong to `architecture` is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub architecture: Architecture,
    /// MLP: hidden layer widths (ReLU after each) [default: 128].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden_sizes: Option<Vec<usize>>,
    /// MLP: dropout after every hidden layer, in [0, 1) [default: 0].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropout: Option<f32>,
    /// Trees: maximum depth [default: unlimited; gradient boosting 3].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<usize>,
    /// Forest and boosting: number of trees [default: 100].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_estimators: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_samples_split: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_samples_leaf: Option<usize>,
    /// Trees: `sqrt`, `log2`, `all` (scikit-learn's None) or `{count: N}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_features: Option<MaxFeatures>,
    /// Forest: bootstrap samples [default: true].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<bool>,
    /// Gradient boosting: shrinkage [default: 0.1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f64>,
}

/// How an MLP trains (trees train in one step and use none of this but the seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingConfig {
    pub batch_size: usize,
    pub learning_rate: f64,
    pub num_epochs: usize,
    pub optimizer: Optimizer,
    /// SGD momentum [default: 0, plain SGD, as PyTorch].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momentum: Option<f64>,
    /// AdamW's decoupled weight decay [default: 0.01, as PyTorch].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<f64>,
    pub scheduler: Scheduler,
    /// Step schedule: epochs between two decays (required with `scheduler: step`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_size: Option<usize>,
    /// Step schedule: factor of each decay [default: 0.1, as PyTorch].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gamma: Option<f64>,
    /// Stop when the validation accuracy has not improved for this many epochs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_stopping_patience: Option<usize>,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        TrainingConfig {
            batch_size: 32,
            learning_rate: 0.001,
            num_epochs: 10,
            optimizer: Optimizer::Adam,
            momentum: None,
            weight_decay: None,
            scheduler: Scheduler::None,
            step_size: None,
            gamma: None,
            early_stopping_patience: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Optimizer {
    Adam,
    Sgd,
    Adamw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheduler {
    None,
    Cosine,
    Step,
}

/// Registration of the trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterConfig {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// A config as `--print-defaults` shows it: every default spelled out.
pub const DEFAULTS_YAML: &str = "\
# harness run --config FILE.yaml   (also accepted as TOML: FILE.toml)
experiment_name: my-experiment
# run_name: baseline             # default: <architecture>-<seed>
seed: 42                         # model seed; also the split's unless data.seed is set
data:
  dataset: wine                  # wine | mnist | diabetes | path/to/file.csv (then `target: COLUMN`)
  # task: classification         # or regression [default: diabetes regression, wine/mnist
  #                              #  classification, a CSV inferred from its target column]
  train_split: 0.7
  val_split: 0.15
  test_split: 0.15
  # seed: 42
model:
  architecture: mlp              # mlp | decision_tree | random_forest | gradient_boosting
  #                              # (regression: the three tree models)
  hidden_sizes: [128]            # mlp
  dropout: 0.0                   # mlp, after every hidden layer
  # max_depth: 5                 # trees
  # n_estimators: 100            # random_forest, gradient_boosting
  # min_samples_split: 2         # trees
  # min_samples_leaf: 1          # trees
  # max_features: sqrt           # trees: sqrt | log2 | all | {count: N}
  # bootstrap: true              # random_forest
  # learning_rate: 0.1           # gradient_boosting
training:                        # mlp
  batch_size: 32
  learning_rate: 0.001
  num_epochs: 10
  optimizer: adam                # adam | sgd | adamw (PyTorch's update formulas)
  # momentum: 0.9                # sgd [default: 0]
  # weight_decay: 0.01           # adamw, decoupled [default: 0.01]
  scheduler: none                # none | cosine (to 0 over num_epochs) | step
  # step_size: 5                 # step: decay every this many epochs (required)
  # gamma: 0.1                   # step: decay factor [default: 0.1]
  # early_stopping_patience: 3   # stop after this many epochs without a better val_accuracy
# register:
#   name: my-model
#   alias: champion
";

impl ExperimentConfig {
    /// Reads `path`: TOML when it ends in `.toml`, YAML otherwise.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file and the key path of the first problem.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let is_toml = path.extension().is_some_and(|e| e == "toml");
        let config = Self::parse(&text, is_toml, &path.display().to_string())?;
        Ok(config.relative_to(path.parent().unwrap_or(Path::new(""))))
    }

    /// Parses config text; `origin` names it in errors.
    pub fn parse(text: &str, is_toml: bool, origin: &str) -> Result<Self, ConfigError> {
        let parse_err = |key: String, message: String| {
            let message = if key == "sweep" {
                "this is a sweep file: run it with `harness sweep --config`".to_owned()
            } else {
                message
            };
            ConfigError::Parse {
                origin: origin.to_owned(),
                key,
                message,
            }
        };
        let config: ExperimentConfig = if is_toml {
            let de = toml::Deserializer::parse(text)
                .map_err(|e| parse_err("<document>".into(), e.message().to_string()))?;
            serde_path_to_error::deserialize(de)
                .map_err(|e| parse_err(e.path().to_string(), e.inner().message().to_string()))?
        } else {
            let de = serde_yaml_ng::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let message = e.inner().to_string();
                parse_err(e.path().to_string(), message)
            })?
        };
        config.validate(origin)?;
        Ok(config)
    }

    /// This config with `overrides` (`training.learning_rate` → 0.01) applied and checked like
    /// a config file: an unknown key or a bad value is refused with its path.
    ///
    /// # Errors
    /// [`ConfigError`] naming the key.
    pub(crate) fn with_overrides(
        &self,
        overrides: &[(String, serde_json::Value)],
        origin: &str,
    ) -> Result<Self, ConfigError> {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        for (path, v) in overrides {
            let mut node = &mut value;
            let parts: Vec<&str> = path.split('.').collect();
            for (i, part) in parts.iter().enumerate() {
                let serde_json::Value::Object(map) = node else {
                    return Err(ConfigError::Invalid {
                        origin: origin.to_owned(),
                        key: path.clone(),
                        message: "is not a key of the config".into(),
                    });
                };
                if i + 1 == parts.len() {
                    map.insert((*part).to_owned(), v.clone());
                    break;
                }
                node = map
                    .entry((*part).to_owned())
                    .or_insert_with(|| serde_json::Value::Object(Default::default()));
            }
        }
        let config: ExperimentConfig =
            serde_path_to_error::deserialize(value).map_err(|e| ConfigError::Parse {
                origin: origin.to_owned(),
                key: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        config.validate(origin)?;
        Ok(config)
    }

    /// A CSV path in `data.dataset` is relative to the config file, as a user reading the file
    /// expects.
    pub(crate) fn relative_to(mut self, dir: &Path) -> Self {
        if let DataSource::Csv { path, .. } = self.source()
            && path.is_relative()
            && !dir.as_os_str().is_empty()
        {
            self.data.dataset = dir.join(path).display().to_string();
        }
        self
    }

    pub fn source(&self) -> DataSource {
        match self.data.dataset.as_str() {
            "wine" => DataSource::Wine,
            "mnist" => DataSource::Mnist,
            "diabetes" => DataSource::Diabetes,
            path => DataSource::Csv {
                path: PathBuf::from(path),
                target: self.data.target.clone().unwrap_or_default(),
                task: self.data.task,
            },
        }
    }

    /// Classification or regression, where the config alone says (a CSV without `data.task`
    /// is decided by its target column when loaded).
    pub fn task_hint(&self) -> Option<TaskKind> {
        match self.source() {
            DataSource::Wine | DataSource::Mnist => Some(TaskKind::Classification),
            DataSource::Diabetes => Some(TaskKind::Regression),
            DataSource::Csv { task, .. } => task,
        }
    }

    /// The seed of the split.
    pub fn split_seed(&self) -> u32 {
        self.data.seed.unwrap_or(self.seed as u32)
    }

    /// The run's name.
    pub fn run_name(&self) -> String {
        self.run_name
            .clone()
            .unwrap_or_else(|| format!("{}-seed{}", self.model.architecture.name(), self.seed))
    }

    /// What serde cannot say: values in range, keys that fit the architecture, fractions that
    /// add up. The first problem, with its key.
    fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| {
            Err(ConfigError::Invalid {
                origin: origin.to_owned(),
                key: key.to_owned(),
                message,
            })
        };
        if self.experiment_name.trim().is_empty() {
            return bad("experiment_name", "must not be empty".into());
        }
        let d = &self.data;
        if d.dataset.trim().is_empty() {
            return bad("data.dataset", "must not be empty".into());
        }
        match (self.source(), &d.target) {
            (DataSource::Csv { .. }, None) => {
                return bad(
                    "data.target",
                    "a CSV dataset needs the name of its class column".into(),
                );
            }
            (DataSource::Wine | DataSource::Mnist | DataSource::Diabetes, Some(_)) => {
                return bad(
                    "data.target",
                    format!(
                        "only a CSV dataset takes a target column, not `{}`",
                        d.dataset
                    ),
                );
            }
            _ => {}
        }
        if let Some(task) = d.task {
            let fixed = match self.source() {
                DataSource::Wine | DataSource::Mnist => Some(TaskKind::Classification),
                DataSource::Diabetes => Some(TaskKind::Regression),
                DataSource::Csv { .. } => None,
            };
            if fixed.is_some_and(|f| f != task) {
                return bad(
                    "data.task",
                    format!(
                        "`{}` is a {} dataset",
                        d.dataset,
                        serde_name(&fixed.unwrap_or(task))
                    ),
                );
            }
        }
        if self.task_hint() == Some(TaskKind::Regression)
            && self.model.architecture == Architecture::Mlp
        {
            return bad(
                "model.architecture",
                "`mlp` trains classifiers; for regression use decision_tree, random_forest or \
                 gradient_boosting"
                    .into(),
            );
        }
        for (key, value) in [
            ("data.train_split", d.train_split),
            ("data.val_split", d.val_split),
            ("data.test_split", d.test_split),
        ] {
            if !(value > 0.0 && value < 1.0) {
                return bad(
                    key,
                    format!("{value} must be a fraction strictly between 0 and 1"),
                );
            }
        }
        let sum = d.train_split + d.val_split + d.test_split;
        if (sum - 1.0).abs() > 1e-6 {
            return bad(
                "data",
                format!(
                    "train_split + val_split + test_split = {} + {} + {} = {sum}, not 1",
                    d.train_split, d.val_split, d.test_split
                ),
            );
        }
        self.validate_model(origin)?;
        let t = &self.training;
        if t.batch_size == 0 {
            return bad("training.batch_size", "must be at least 1".into());
        }
        if !(t.learning_rate > 0.0 && t.learning_rate.is_finite()) {
            return bad(
                "training.learning_rate",
                format!("{} must be a positive number", t.learning_rate),
            );
        }
        if t.num_epochs == 0 {
            return bad("training.num_epochs", "must be at least 1".into());
        }
        if t.early_stopping_patience == Some(0) {
            return bad(
                "training.early_stopping_patience",
                "must be at least 1".into(),
            );
        }
        self.validate_optimizer(origin)?;
        if let Some(r) = &self.register {
            if r.name.trim().is_empty() {
                return bad("register.name", "must not be empty".into());
            }
            if r.alias.as_deref().is_some_and(|a| a.trim().is_empty()) {
                return bad("register.alias", "must not be empty".into());
            }
        }
        Ok(())
    }

    /// Optimizer and schedule keys: each only with the optimizer or schedule it belongs to.
    fn validate_optimizer(&self, origin: &str) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| {
            Err(ConfigError::Invalid {
                origin: origin.to_owned(),
                key: format!("training.{key}"),
                message,
            })
        };
        let t = &self.training;
        let given: [(&str, bool, bool, String); 4] = [
            (
                "momentum",
                t.momentum.is_some(),
                t.optimizer == Optimizer::Sgd,
                format!(
                    "applies to optimizer sgd, not `{}`",
                    serde_name(&t.optimizer)
                ),
            ),
            (
                "weight_decay",
                t.weight_decay.is_some(),
                t.optimizer == Optimizer::Adamw,
                format!(
                    "applies to optimizer adamw, not `{}`",
                    serde_name(&t.optimizer)
                ),
            ),
            (
                "step_size",
                t.step_size.is_some(),
                t.scheduler == Scheduler::Step,
                format!(
                    "applies to scheduler step, not `{}`",
                    serde_name(&t.scheduler)
                ),
            ),
            (
                "gamma",
                t.gamma.is_some(),
                t.scheduler == Scheduler::Step,
                format!(
                    "applies to scheduler step, not `{}`",
                    serde_name(&t.scheduler)
                ),
            ),
        ];
        if let Some((key, _, _, message)) = given.iter().find(|(_, set, fits, _)| *set && !*fits) {
            return bad(key, message.clone());
        }
        if let Some(m) = t.momentum
            && !(0.0..1.0).contains(&m)
        {
            return bad("momentum", format!("{m} is outside [0, 1)"));
        }
        if let Some(w) = t.weight_decay
            && !(w >= 0.0 && w.is_finite())
        {
            return bad("weight_decay", format!("{w} must be 0 or more"));
        }
        if t.scheduler == Scheduler::Step {
            match t.step_size {
                None => {
                    return bad(
                        "step_size",
                        "scheduler step needs the number of epochs between decays".into(),
                    );
                }
                Some(0) => return bad("step_size", "must be at least 1".into()),
                Some(_) => {}
            }
        }
        if let Some(g) = t.gamma
            && !(g > 0.0 && g.is_finite())
        {
            return bad("gamma", format!("{g} must be a positive number"));
        }
        Ok(())
    }

    fn validate_model(&self, origin: &str) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| {
            Err(ConfigError::Invalid {
                origin: origin.to_owned(),
                key: format!("model.{key}"),
                message,
            })
        };
        let m = &self.model;
        let arch = m.architecture;
        let is_tree = arch != Architecture::Mlp;
        let given: [(&str, bool, bool); 9] = [
            ("hidden_sizes", m.hidden_sizes.is_some(), !is_tree),
            ("dropout", m.dropout.is_some(), !is_tree),
            ("max_depth", m.max_depth.is_some(), is_tree),
            (
                "n_estimators",
                m.n_estimators.is_some(),
                matches!(
                    arch,
                    Architecture::RandomForest | Architecture::GradientBoosting
                ),
            ),
            ("min_samples_split", m.min_samples_split.is_some(), is_tree),
            ("min_samples_leaf", m.min_samples_leaf.is_some(), is_tree),
            ("max_features", m.max_features.is_some(), is_tree),
            (
                "bootstrap",
                m.bootstrap.is_some(),
                arch == Architecture::RandomForest,
            ),
            (
                "learning_rate",
                m.learning_rate.is_some(),
                arch == Architecture::GradientBoosting,
            ),
        ];
        if let Some((key, ..)) = given.iter().find(|(_, set, fits)| *set && !*fits) {
            return bad(
                key,
                format!("does not apply to architecture `{}`", arch.name()),
            );
        }
        if let Some(sizes) = &m.hidden_sizes {
            if sizes.is_empty() {
                return bad("hidden_sizes", "must list at least one layer width".into());
            }
            if sizes.contains(&0) {
                return bad(
                    "hidden_sizes",
                    format!("{sizes:?}: widths must be positive"),
                );
            }
        }
        if let Some(p) = m.dropout
            && !(0.0..1.0).contains(&p)
        {
            return bad("dropout", format!("{p} is outside [0, 1)"));
        }
        if m.n_estimators == Some(0) {
            return bad("n_estimators", "must be at least 1".into());
        }
        if m.max_depth == Some(0) {
            return bad("max_depth", "must be at least 1".into());
        }
        if m.min_samples_split.is_some_and(|n| n < 2) {
            return bad("min_samples_split", "must be at least 2".into());
        }
        if m.min_samples_leaf == Some(0) {
            return bad("min_samples_leaf", "must be at least 1".into());
        }
        if let Some(lr) = m.learning_rate
            && !(lr > 0.0 && lr.is_finite())
        {
            return bad("learning_rate", format!("{lr} must be a positive number"));
        }
        Ok(())
    }

    /// The whole config as MLflow params, keys flattened with dots (`training.learning_rate`),
    /// lists as JSON (`[128, 64]`), sorted by key.
    pub fn params(&self) -> Vec<(String, String)> {
        let value = serde_json::to_value(self).unwrap_or_default();
        let mut out = Vec::new();
        flatten("", &value, &mut out);
        out.sort();
        out
    }
}

/// The name serde gives a unit variant (`adamw`).
fn serde_name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// A number as a param: an `f32` field (dropout) reaches here widened to `f64`, and is written
/// as the `f32` it was (`0.3`, not `0.30000001192092896`), so a param reads as it was configured
/// and compares equal to it.
fn number_text(x: f64) -> String {
    let narrow = x as f32;
    if f64::from(narrow) == x {
        narrow.to_string()
    } else {
        x.to_string()
    }
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        serde_json::Value::Number(n) if n.is_f64() => {
            out.push((
                prefix.to_owned(),
                number_text(n.as_f64().unwrap_or(f64::NAN)),
            ));
        }
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "experiment_name: e\ndata: {dataset: wine}\nmodel: {architecture: mlp}\n";

    fn parse(text: &str) -> Result<ExperimentConfig, ConfigError> {
        ExperimentConfig::parse(text, false, "c.yaml")
    }

    fn message(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn defaults_fill_what_is_missing() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.seed, 42);
        assert_eq!(c.training, TrainingConfig::default());
        assert_eq!(
            (c.data.train_split, c.data.val_split, c.data.test_split),
            (0.7, 0.15, 0.15)
        );
        assert_eq!(c.source(), DataSource::Wine);
        assert_eq!(c.split_seed(), 42);
    }

    #[test]
    fn print_defaults_is_itself_a_valid_config() {
        let c = parse(DEFAULTS_YAML).unwrap();
        assert_eq!(c.model.hidden_sizes, Some(vec![128]));
        assert_eq!(c.training, TrainingConfig::default());
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_key_path() {
        let m = message(&format!("{MINIMAL}training: {{learning_rat: 0.1}}\n"));
        assert!(m.contains("`training.learning_rat`"), "{m}");
        let m = message(&format!("{MINIMAL}training: {{batch_size: big}}\n"));
        assert!(m.contains("`training.batch_size`"), "{m}");
        let m = message(&format!("{MINIMAL}training: {{optimizer: rmsprop}}\n"));
        assert!(
            m.contains("`training.optimizer`") && m.contains("rmsprop"),
            "{m}"
        );
    }

    #[test]
    fn invalid_values_are_refused_with_their_key() {
        let m = message(&format!("{MINIMAL}training: {{learning_rate: -0.1}}\n"));
        assert!(
            m.contains("`training.learning_rate`") && m.contains("-0.1"),
            "{m}"
        );
        let m = message(
            "experiment_name: e\ndata: {dataset: wine, train_split: 0.8, val_split: 0.15, test_split: 0.15}\nmodel: {architecture: mlp}\n",
        );
        assert!(m.contains("not 1"), "{m}");
        let m = message(
            "experiment_name: e\ndata: {dataset: wine}\nmodel: {architecture: mlp, hidden_sizes: []}\n",
        );
        assert!(m.contains("`model.hidden_sizes`"), "{m}");
        let m = message(
            "experiment_name: e\ndata: {dataset: wine}\nmodel: {architecture: decision_tree, dropout: 0.2}\n",
        );
        assert!(
            m.contains("`model.dropout`") && m.contains("decision_tree"),
            "{m}"
        );
        let m = message("experiment_name: e\ndata: {dataset: x.csv}\nmodel: {architecture: mlp}\n");
        assert!(m.contains("`data.target`"), "{m}");
    }

    #[test]
    fn a_sweep_file_given_to_run_points_at_sweep() {
        let m = message(&format!(
            "{MINIMAL}sweep: {{strategy: grid, metric: val_accuracy, goal: maximize, parameters: {{}}}}\n"
        ));
        assert!(
            m.contains("`sweep`") && m.contains("harness sweep --config"),
            "{m}"
        );
    }

    #[test]
    fn optimizer_and_schedule_keys_belong_to_their_choice() {
        let c = parse(&format!(
            "{MINIMAL}training: {{optimizer: sgd, momentum: 0.9, scheduler: step, step_size: 3, gamma: 0.5}}\n"
        ))
        .unwrap();
        assert_eq!(
            (c.training.momentum, c.training.step_size, c.training.gamma),
            (Some(0.9), Some(3), Some(0.5))
        );
        parse(&format!(
            "{MINIMAL}training: {{optimizer: adamw, weight_decay: 0.1, scheduler: cosine}}\n"
        ))
        .unwrap();
        let m = message(&format!("{MINIMAL}training: {{momentum: 0.9}}\n"));
        assert!(
            m.contains("`training.momentum`") && m.contains("sgd") && m.contains("adam"),
            "{m}"
        );
        let m = message(&format!(
            "{MINIMAL}training: {{optimizer: sgd, weight_decay: 0.1}}\n"
        ));
        assert!(m.contains("`training.weight_decay`"), "{m}");
        let m = message(&format!("{MINIMAL}training: {{scheduler: step}}\n"));
        assert!(m.contains("`training.step_size`"), "{m}");
        let m = message(&format!(
            "{MINIMAL}training: {{scheduler: cosine, gamma: 0.5}}\n"
        ));
        assert!(
            m.contains("`training.gamma`") && m.contains("cosine"),
            "{m}"
        );
        let m = message(&format!(
            "{MINIMAL}training: {{optimizer: sgd, momentum: 1.5}}\n"
        ));
        assert!(
            m.contains("`training.momentum`") && m.contains("1.5"),
            "{m}"
        );
    }

    #[test]
    fn toml_is_accepted_with_the_same_paths() {
        let c = ExperimentConfig::parse(
            "experiment_name = \"e\"\n[data]\ndataset = \"wine\"\n[model]\narchitecture = \"random_forest\"\nn_estimators = 5\n",
            true,
            "c.toml",
        )
        .unwrap();
        assert_eq!(c.model.n_estimators, Some(5));
        let m = ExperimentConfig::parse(
            "experiment_name = \"e\"\n[data]\ndataset = \"wine\"\n[model]\narchitecture = \"mlp\"\n[training]\nepochs = 3\n",
            true,
            "c.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(m.contains("`training.epochs`"), "{m}");
    }

    #[test]
    fn params_are_the_config_flattened_with_dots() {
        let c = parse(&format!(
            "{MINIMAL}training: {{learning_rate: 0.01}}\nregister: {{name: m, alias: champion}}\n"
        ))
        .unwrap();
        let p: std::collections::BTreeMap<_, _> = c.params().into_iter().collect();
        assert_eq!(p["training.learning_rate"], "0.01");
        assert_eq!(p["training.optimizer"], "adam");
        assert_eq!(p["data.dataset"], "wine");
        assert_eq!(p["model.architecture"], "mlp");
        assert_eq!(p["register.alias"], "champion");
        assert_eq!(p["seed"], "42");
        let c = parse(
            "experiment_name: e\ndata: {dataset: wine}\nmodel: {architecture: mlp, dropout: 0.3}\ntraining: {learning_rate: 0.0001}\n",
        )
        .unwrap();
        let p: std::collections::BTreeMap<_, _> = c.params().into_iter().collect();
        assert_eq!(p["model.dropout"], "0.3", "an f32 is logged as written");
        assert_eq!(p["training.learning_rate"], "0.0001");
        assert_eq!(p["data.train_split"], "0.7");
        assert!(!p.contains_key("run_name"), "unset options are not logged");
    }
}
