//! Task files (`tasks/<id>.toml`): one declarative file per homework part that drives both the
//! reference run (`[training]`) and grading (`[[versions]]`, `[[aliases]]`, `[[rubric]]`), so the
//! two can never disagree about names, tags or versions.
//!
//! Parsing goes through `serde_path_to_error` and every table refuses unknown keys, so a typo in a
//! task file fails loudly with the key path (`rubric[2].checks[0].weight`) instead of silently
//! grading with a default. [`TaskSpec::validate`] then checks cross-references that serde cannot
//! (a check naming a version key that does not exist, weights that do not add up to the points).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Errors while finding, reading, parsing or validating a task file.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("cannot read task file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: invalid value at `{key}`: {message}")]
    Parse {
        origin: String,
        key: String,
        message: String,
    },
    #[error("{origin}: `{key}`: {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
    #[error("no task named `{name}` in {dir}; available: {}", available.join(", "))]
    NotFound {
        name: String,
        dir: PathBuf,
        available: Vec<String>,
    },
}

/// One homework part: what to train, what MLflow state to expect, and how points are earned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Short id used on the command line and in results (`wine`, `mnist`, `overall`).
    pub id: String,
    pub title: String,
    /// Experiment the runs are expected in; `None` for parts with no MLflow state (overall).
    #[serde(default)]
    pub experiment: Option<String>,
    /// Registered model the versions are expected under.
    #[serde(default)]
    pub registered_model: Option<String>,
    #[serde(default)]
    pub accuracy: AccuracySpec,
    #[serde(default)]
    pub requirements: Requirements,
    #[serde(default)]
    pub registry: RegistrySpec,
    #[serde(default)]
    pub versions: Vec<VersionSpec>,
    #[serde(default)]
    pub aliases: Vec<AliasRule>,
    #[serde(default)]
    pub training: Option<Training>,
    pub rubric: Vec<RubricItem>,
}

/// Which metric is "the accuracy" and how close two accuracies must be to count as a tie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccuracySpec {
    /// Accepted metric names, in order of preference (students name it differently).
    pub metric: Vec<String>,
    /// Accuracies closer than this are a tie; on 36 test samples 1/36 ≈ 0.028 is the resolution.
    #[serde(default = "default_tie_tolerance")]
    pub tie_tolerance: f64,
}

fn default_tie_tolerance() -> f64 {
    1e-6
}

impl Default for AccuracySpec {
    fn default() -> Self {
        Self {
            metric: vec!["accuracy".into()],
            tie_tolerance: default_tie_tolerance(),
        }
    }
}

/// What every expected version's run must have logged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    /// Param keys every run must log (matched case-insensitively, `-`/`_`/space ignored).
    #[serde(default)]
    pub params: Vec<String>,
    /// At least this many params, whatever their names (the homework asks for "params").
    #[serde(default)]
    pub min_params: usize,
    /// Metrics every run must log besides the accuracy.
    #[serde(default)]
    pub metrics: Vec<MetricReq>,
    /// Per-step series; their required length follows the epochs the run logged.
    #[serde(default)]
    pub histories: Vec<HistoryReq>,
    /// Param names that hold the number of epochs (for history lengths).
    #[serde(default)]
    pub epochs_param: Vec<String>,
    /// Params of which any one shows the data preparation was recorded (split, seed, samples).
    #[serde(default)]
    pub data_params: Vec<String>,
}

/// A metric with the names students give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricReq {
    pub name: String,
    #[serde(default)]
    pub accepts: Vec<String>,
}

impl MetricReq {
    /// The canonical name followed by the accepted alternatives.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.accepts.iter().map(String::as_str))
    }
}

/// A metric logged as a series: at least `ceil(epochs / every)` points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryReq {
    pub name: String,
    #[serde(default)]
    pub accepts: Vec<String>,
    #[serde(default = "one")]
    pub every: u32,
}

fn one() -> u32 {
    1
}

impl HistoryReq {
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.accepts.iter().map(String::as_str))
    }
}

/// Registry expectations beyond the versions themselves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySpec {
    #[serde(default)]
    pub description: DescriptionSpec,
    /// Registered-model tags that must be present and non-empty.
    #[serde(default)]
    pub model_tags: Vec<String>,
    /// Tags every expected version must carry, non-empty.
    #[serde(default)]
    pub version_tags: Vec<String>,
}

/// A "clear description": long enough and naming the models it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptionSpec {
    #[serde(default = "default_min_chars")]
    pub min_chars: usize,
    /// How many expected versions the description must mention (by their keywords).
    #[serde(default)]
    pub min_mentions: usize,
}

fn default_min_chars() -> usize {
    30
}

impl Default for DescriptionSpec {
    fn default() -> Self {
        Self {
            min_chars: default_min_chars(),
            min_mentions: 0,
        }
    }
}

/// One expected model version and how to recognise it in a student's registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionSpec {
    /// Key used by checks and `[training]` (`dt`, `rf`, `shallow`).
    pub key: String,
    /// The version number the homework gives it; used only when no keyword identifies it.
    pub version: u32,
    pub title: String,
    /// Matched against version tags, description, run params and run name (normalised:
    /// lowercase, separators dropped; keywords of ≤3 chars must match a whole word).
    pub keywords: Vec<String>,
    /// Params this version's run must log in addition to `[requirements].params`.
    #[serde(default)]
    pub params: Vec<String>,
    /// Plausible accuracy range `[low, high]` as fractions.
    #[serde(default)]
    pub accuracy_band: Option<[f64; 2]>,
}

/// Where an alias must point: a fixed expected version, or a rank in measured accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasRule {
    pub alias: String,
    /// Key of the expected version (`baseline` → `dt`).
    #[serde(default)]
    pub version: Option<String>,
    /// 1 = highest accuracy, 2 = next; ties make several versions correct.
    #[serde(default)]
    pub rank: Option<u32>,
    /// Stage accepted instead of the alias (`Production`, `Staging`) when the task allows it.
    #[serde(default)]
    pub stage: Option<String>,
}

/// A rubric line: its points are earned by the weights of the checks that pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricItem {
    pub id: String,
    pub title: String,
    pub points: u32,
    pub checks: Vec<CheckSpec>,
}

/// The closed set of checks a task file can ask for. `weight` is in rubric points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case", deny_unknown_fields)]
pub enum CheckSpec {
    /// The experiment exists and holds at least one run.
    ExperimentExists {
        weight: u32,
    },
    /// Some run logged one of `[requirements].data_params` or a dataset input.
    DataLogged {
        weight: u32,
    },
    RegisteredModelExists {
        weight: u32,
    },
    Description {
        weight: u32,
    },
    ModelTags {
        weight: u32,
    },
    /// Every expected version carries `[registry].version_tags`.
    VersionTags {
        weight: u32,
    },
    VersionRegistered {
        weight: u32,
        version: String,
    },
    RunParams {
        weight: u32,
        version: String,
    },
    RunMetrics {
        weight: u32,
        version: String,
    },
    MetricHistory {
        weight: u32,
        version: String,
    },
    AccuracyBand {
        weight: u32,
        version: String,
    },
    ModelArtifact {
        weight: u32,
        version: String,
    },
    Alias {
        weight: u32,
        alias: String,
    },
    /// The alias resolves to a version whose artefact has a loadable MLmodel.
    AliasLoadable {
        weight: u32,
        alias: String,
    },
    /// Judged by a person; scored 0 until then.
    Manual {
        weight: u32,
        note: String,
    },
}

impl CheckSpec {
    pub fn weight(&self) -> u32 {
        match self {
            Self::ExperimentExists { weight }
            | Self::DataLogged { weight }
            | Self::RegisteredModelExists { weight }
            | Self::Description { weight }
            | Self::ModelTags { weight }
            | Self::VersionTags { weight }
            | Self::VersionRegistered { weight, .. }
            | Self::RunParams { weight, .. }
            | Self::RunMetrics { weight, .. }
            | Self::MetricHistory { weight, .. }
            | Self::AccuracyBand { weight, .. }
            | Self::ModelArtifact { weight, .. }
            | Self::Alias { weight, .. }
            | Self::AliasLoadable { weight, .. }
            | Self::Manual { weight, .. } => *weight,
        }
    }

    /// Stable id for results: the kind plus its argument (`alias:champion`, `run_params:dt`).
    pub fn id(&self) -> String {
        let kind = match self {
            Self::ExperimentExists { .. } => "experiment_exists",
            Self::DataLogged { .. } => "data_logged",
            Self::RegisteredModelExists { .. } => "registered_model_exists",
            Self::Description { .. } => "description",
            Self::ModelTags { .. } => "model_tags",
            Self::VersionTags { .. } => "version_tags",
            Self::VersionRegistered { .. } => "version_registered",
            Self::RunParams { .. } => "run_params",
            Self::RunMetrics { .. } => "run_metrics",
            Self::MetricHistory { .. } => "metric_history",
            Self::AccuracyBand { .. } => "accuracy_band",
            Self::ModelArtifact { .. } => "model_artifact",
            Self::Alias { .. } => "alias",
            Self::AliasLoadable { .. } => "alias_loadable",
            Self::Manual { .. } => "manual",
        };
        match self.argument() {
            Some(arg) => format!("{kind}:{arg}"),
            None => kind.to_string(),
        }
    }

    fn argument(&self) -> Option<&str> {
        match self {
            Self::VersionRegistered { version, .. }
            | Self::RunParams { version, .. }
            | Self::RunMetrics { version, .. }
            | Self::MetricHistory { version, .. }
            | Self::AccuracyBand { version, .. }
            | Self::ModelArtifact { version, .. } => Some(version),
            Self::Alias { alias, .. } | Self::AliasLoadable { alias, .. } => Some(alias),
            _ => None,
        }
    }

    pub fn is_manual(&self) -> bool {
        matches!(self, Self::Manual { .. })
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    DecisionTree,
    RandomForest,
    GradientBoosting,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DecisionTree => "DecisionTree",
            Self::RandomForest => "RandomForest",
            Self::GradientBoosting => "GradientBoosting",
        }
    }
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
    pub n_estimators: Option<u32>,
    #[serde(default)]
    pub max_depth: Option<u32>,
    #[serde(default)]
    pub learning_rate: Option<f64>,
    /// Version tags to set (must cover `[registry].version_tags`).
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpTraining {
    pub dataset: String,
    pub seed: u64,
    /// Fraction of the samples used for training (the spec's 70 %); the rest is the test set.
    pub train_fraction: f64,
    /// Test metrics are logged on epochs 0, every, 2·every, … (0-based).
    pub test_every: u32,
    pub optimizer: String,
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
    pub profiles: BTreeMap<String, Profile>,
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
    pub dropout: Vec<f64>,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub epochs: u32,
    pub tags: BTreeMap<String, String>,
}

impl MlpTraining {
    /// Epochs for `version` under `profile`, or an error listing the profiles that exist.
    pub fn epochs_for(&self, profile: &str, version: &str) -> Result<u32, TaskError> {
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

impl TaskSpec {
    /// Reads and parses a task file; errors carry the path and the key.
    pub fn load(path: &Path) -> Result<Self, TaskError> {
        let text = std::fs::read_to_string(path).map_err(|source| TaskError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses task-file text; `origin` names it in errors (a path or `<test>`).
    pub fn parse(text: &str, origin: &str) -> Result<Self, TaskError> {
        let de = toml::Deserializer::parse(text).map_err(|e| TaskError::Parse {
            origin: origin.into(),
            key: "<document>".into(),
            message: e.message().to_string(),
        })?;
        let spec: TaskSpec =
            serde_path_to_error::deserialize(de).map_err(|e| TaskError::Parse {
                origin: origin.into(),
                key: e.path().to_string(),
                message: e.inner().message().to_string(),
            })?;
        spec.validate(origin)?;
        Ok(spec)
    }

    /// Cross-reference checks serde cannot express.
    pub fn validate(&self, origin: &str) -> Result<(), TaskError> {
        let invalid = |key: String, message: String| TaskError::Invalid {
            origin: origin.into(),
            key,
            message,
        };
        let keys: BTreeSet<&str> = self.versions.iter().map(|v| v.key.as_str()).collect();
        if keys.len() != self.versions.len() {
            return Err(invalid("versions".into(), "duplicate version key".into()));
        }
        let aliases: BTreeSet<&str> = self.aliases.iter().map(|a| a.alias.as_str()).collect();
        for (i, a) in self.aliases.iter().enumerate() {
            match (&a.version, a.rank) {
                (Some(v), None) if keys.contains(v.as_str()) => {}
                (Some(v), None) => {
                    return Err(invalid(
                        format!("aliases[{i}].version"),
                        format!("unknown version key `{v}`"),
                    ));
                }
                (None, Some(r)) if r >= 1 => {}
                _ => {
                    return Err(invalid(
                        format!("aliases[{i}]"),
                        "give exactly one of `version` or `rank` (≥ 1)".into(),
                    ));
                }
            }
        }
        if !(0.0..1.0).contains(&self.accuracy.tie_tolerance) {
            return Err(invalid(
                "accuracy.tie_tolerance".into(),
                "must be in [0, 1)".into(),
            ));
        }
        let mut ids = BTreeSet::new();
        for (i, item) in self.rubric.iter().enumerate() {
            if !ids.insert(item.id.as_str()) {
                return Err(invalid(
                    format!("rubric[{i}].id"),
                    format!("duplicate id `{}`", item.id),
                ));
            }
            let sum: u32 = item.checks.iter().map(CheckSpec::weight).sum();
            if sum != item.points {
                return Err(invalid(
                    format!("rubric[{i}].checks"),
                    format!(
                        "weights add up to {sum}, but the item is worth {}",
                        item.points
                    ),
                ));
            }
            for (j, c) in item.checks.iter().enumerate() {
                let bad = match c {
                    CheckSpec::VersionRegistered { version, .. }
                    | CheckSpec::RunParams { version, .. }
                    | CheckSpec::RunMetrics { version, .. }
                    | CheckSpec::MetricHistory { version, .. }
                    | CheckSpec::AccuracyBand { version, .. }
                    | CheckSpec::ModelArtifact { version, .. }
                        if !keys.contains(version.as_str()) =>
                    {
                        Some(format!("unknown version key `{version}`"))
                    }
                    CheckSpec::Alias { alias, .. } | CheckSpec::AliasLoadable { alias, .. }
                        if !aliases.contains(alias.as_str()) =>
                    {
                        Some(format!("no [[aliases]] rule for `{alias}`"))
                    }
                    CheckSpec::ExperimentExists { .. } | CheckSpec::DataLogged { .. }
                        if self.experiment.is_none() =>
                    {
                        Some("needs `experiment`".into())
                    }
                    c if !c.is_manual()
                        && !matches!(
                            c,
                            CheckSpec::ExperimentExists { .. } | CheckSpec::DataLogged { .. }
                        )
                        && self.registered_model.is_none() =>
                    {
                        Some("needs `registered_model`".into())
                    }
                    _ => None,
                };
                if let Some(message) = bad {
                    return Err(invalid(format!("rubric[{i}].checks[{j}]"), message));
                }
            }
        }
        match &self.training {
            Some(Training::Sklearn(t)) => {
                self.validate_training_versions(
                    origin,
                    t.versions.iter().map(|v| (v.key.as_str(), &v.tags)),
                )?;
                if !(0.0..1.0).contains(&t.test_size) || t.test_size == 0.0 {
                    return Err(invalid(
                        "training.sklearn.test_size".into(),
                        "must be in (0, 1)".into(),
                    ));
                }
                self.validate_model_tags(origin, "training.sklearn", &t.registered_model)?;
            }
            Some(Training::Mlp(t)) => {
                self.validate_training_versions(
                    origin,
                    t.versions.iter().map(|v| (v.key.as_str(), &v.tags)),
                )?;
                for (i, v) in t.versions.iter().enumerate() {
                    if v.dropout.len() != v.hidden.len() {
                        return Err(invalid(
                            format!("training.mlp.versions[{i}].dropout"),
                            "needs one rate per hidden layer".into(),
                        ));
                    }
                }
                for (name, p) in &t.profiles {
                    if let Some(k) = p.epochs.keys().find(|k| !keys.contains(k.as_str())) {
                        return Err(invalid(
                            format!("training.mlp.profiles.{name}.epochs.{k}"),
                            "unknown version key".into(),
                        ));
                    }
                }
                if !t.profiles.contains_key("full") {
                    return Err(invalid(
                        "training.mlp.profiles".into(),
                        "a `full` profile is required".into(),
                    ));
                }
                self.validate_model_tags(origin, "training.mlp", &t.registered_model)?;
            }
            None => {}
        }
        Ok(())
    }

    fn validate_training_versions<'a>(
        &self,
        origin: &str,
        versions: impl Iterator<Item = (&'a str, &'a BTreeMap<String, String>)>,
    ) -> Result<(), TaskError> {
        let mut seen = BTreeSet::new();
        for (key, tags) in versions {
            if !self.versions.iter().any(|v| v.key == key) || !seen.insert(key) {
                return Err(TaskError::Invalid {
                    origin: origin.into(),
                    key: "training.versions".into(),
                    message: format!("`{key}` is unknown or repeated"),
                });
            }
            if let Some(t) = self
                .registry
                .version_tags
                .iter()
                .find(|t| !tags.contains_key(*t))
            {
                return Err(TaskError::Invalid {
                    origin: origin.into(),
                    key: format!("training.versions.{key}.tags"),
                    message: format!("missing required version tag `{t}`"),
                });
            }
        }
        if seen.len() != self.versions.len() {
            return Err(TaskError::Invalid {
                origin: origin.into(),
                key: "training.versions".into(),
                message: "every [[versions]] entry needs a training entry".into(),
            });
        }
        Ok(())
    }

    fn validate_model_tags(
        &self,
        origin: &str,
        prefix: &str,
        setup: &RegisteredModelSetup,
    ) -> Result<(), TaskError> {
        match self
            .registry
            .model_tags
            .iter()
            .find(|t| !setup.tags.contains_key(*t))
        {
            Some(t) => Err(TaskError::Invalid {
                origin: origin.into(),
                key: format!("{prefix}.registered_model.tags"),
                message: format!("missing required tag `{t}`"),
            }),
            None => Ok(()),
        }
    }

    pub fn version(&self, key: &str) -> Option<&VersionSpec> {
        self.versions.iter().find(|v| v.key == key)
    }

    pub fn alias_rule(&self, alias: &str) -> Option<&AliasRule> {
        self.aliases.iter().find(|a| a.alias == alias)
    }

    /// Sum of the rubric points.
    pub fn max_points(&self) -> u32 {
        self.rubric.iter().map(|i| i.points).sum()
    }

    /// `tasks/<name>.toml` under `dir`, or an error listing the tasks that exist.
    pub fn find(dir: &Path, name: &str) -> Result<PathBuf, TaskError> {
        let path = dir.join(format!("{name}.toml"));
        if path.is_file() {
            return Ok(path);
        }
        let available = Self::list(dir)?
            .iter()
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        Err(TaskError::NotFound {
            name: name.into(),
            dir: dir.to_path_buf(),
            available,
        })
    }

    /// All `*.toml` task files in `dir`, sorted by name so runs and reports are deterministic.
    pub fn list(dir: &Path) -> Result<Vec<PathBuf>, TaskError> {
        let io = |source| TaskError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
                out.push(path);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Loads every task in `dir`, in name order.
    pub fn load_all(dir: &Path) -> Result<Vec<Self>, TaskError> {
        Self::list(dir)?.iter().map(|p| Self::load(p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks")
    }

    #[test]
    fn shipped_task_files_parse_and_validate() {
        let all = TaskSpec::load_all(&tasks_dir()).unwrap();
        let ids: Vec<_> = all.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["mnist", "overall", "wine"]);
        // The homework's rubric: 70 + 70 + 30 points.
        let pts: Vec<_> = all.iter().map(TaskSpec::max_points).collect();
        assert_eq!(pts, [70, 30, 70]);
    }

    #[test]
    fn wine_training_section_matches_the_homework() {
        let t = TaskSpec::load(&TaskSpec::find(&tasks_dir(), "wine").unwrap()).unwrap();
        assert_eq!(t.experiment.as_deref(), Some("wine-quality-homework"));
        assert_eq!(
            t.registered_model.as_deref(),
            Some("wine-quality-classifier")
        );
        let Some(Training::Sklearn(tr)) = &t.training else {
            panic!("wine trains with sklearn")
        };
        assert_eq!((tr.seed, tr.test_size), (42, 0.2));
        let algos: Vec<_> = tr
            .versions
            .iter()
            .map(|v| (v.algorithm, v.run_name.as_str()))
            .collect();
        assert_eq!(
            algos,
            [
                (Algorithm::DecisionTree, "wine-v1-DecisionTree"),
                (Algorithm::RandomForest, "wine-v2-RandomForest"),
                (Algorithm::GradientBoosting, "wine-v3-GradientBoosting"),
            ]
        );
        let tags: Vec<_> = tr
            .registered_model
            .tags
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(tags, ["dataset", "task", "team"]);
    }

    #[test]
    fn mnist_profiles_give_spec_and_quick_epochs() {
        let t = TaskSpec::load(&TaskSpec::find(&tasks_dir(), "mnist").unwrap()).unwrap();
        let Some(Training::Mlp(tr)) = &t.training else {
            panic!("mnist trains an MLP")
        };
        let full: Vec<_> = ["shallow", "medium", "deep"]
            .iter()
            .map(|k| tr.epochs_for("full", k).unwrap())
            .collect();
        assert_eq!(full, [50, 100, 150]);
        let quick: Vec<_> = ["shallow", "medium", "deep"]
            .iter()
            .map(|k| tr.epochs_for("quick", k).unwrap())
            .collect();
        assert_eq!(quick, [3, 2, 2]);
        let deep = tr.versions.iter().find(|v| v.key == "deep").unwrap();
        assert_eq!(deep.hidden, [512, 256, 128]);
        assert_eq!(deep.dropout, [0.2, 0.2, 0.1]);
        let err = tr.epochs_for("slow", "deep").unwrap_err().to_string();
        assert!(err.contains("full") && err.contains("quick"), "{err}");
    }

    #[test]
    fn unknown_task_lists_the_available_ones() {
        let err = TaskSpec::find(&tasks_dir(), "iris")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("iris") && err.contains("mnist, overall, wine"),
            "{err}"
        );
    }

    const MINIMAL: &str = r#"
id = "t"
title = "T"
registered_model = "m"
[[versions]]
key = "a"
version = 1
title = "A"
keywords = ["alpha"]
[[rubric]]
id = "t.a"
title = "A"
points = 3
checks = [{ check = "version_registered", version = "a", weight = 3 }]
"#;

    #[test]
    fn minimal_file_parses() {
        let t = TaskSpec::parse(MINIMAL, "<test>").unwrap();
        assert_eq!(t.rubric[0].checks[0].id(), "version_registered:a");
    }

    #[test]
    fn unknown_key_names_its_path() {
        let text = MINIMAL.replace(
            "keywords = [\"alpha\"]",
            "keywords = [\"alpha\"]\nkeyword = 1",
        );
        let err = TaskSpec::parse(&text, "<test>").unwrap_err();
        match &err {
            TaskError::Parse { key, message, .. } => {
                assert_eq!(key, "versions[0].keyword");
                assert!(message.contains("unknown field `keyword`"), "{message}");
            }
            other => panic!("expected a parse error, got {other}"),
        }
    }

    #[test]
    fn unknown_key_in_a_check_is_refused() {
        let text = MINIMAL.replace("weight = 3 }", "weight = 3, wieght = 1 }");
        let err = TaskSpec::parse(&text, "<test>").unwrap_err().to_string();
        assert!(
            err.contains("rubric[0].checks[0]") && err.contains("wieght"),
            "{err}"
        );
    }

    #[test]
    fn wrong_type_names_its_path() {
        let text = MINIMAL.replace("points = 3", "points = \"three\"");
        let err = TaskSpec::parse(&text, "<test>").unwrap_err();
        match &err {
            TaskError::Parse { key, .. } => assert_eq!(key, "rubric[0].points"),
            other => panic!("expected a parse error, got {other}"),
        }
        assert!(err.to_string().contains("<test>"));
    }

    #[test]
    fn errors_inside_the_training_section_name_their_path() {
        let wine = std::fs::read_to_string(tasks_dir().join("wine.toml")).unwrap();
        let text = wine.replace("seed = 42", "seed = \"forty-two\"");
        match TaskSpec::parse(&text, "wine.toml").unwrap_err() {
            TaskError::Parse { key, .. } => assert_eq!(key, "training.sklearn.seed"),
            other => panic!("expected a parse error, got {other}"),
        }
        let text = wine.replace("training.sklearn", "training.keras");
        let err = TaskSpec::parse(&text, "wine.toml").unwrap_err().to_string();
        assert!(
            err.contains("keras") && err.contains("sklearn") && err.contains("mlp"),
            "{err}"
        );
        // Training tags must cover the tags the grader requires.
        let text = wine.replace(
            "tags = { model_type = \"decision_tree\", status = \"baseline\" }",
            "tags = { model_type = \"decision_tree\" }",
        );
        let err = TaskSpec::parse(&text, "wine.toml").unwrap_err().to_string();
        assert!(
            err.contains("training.versions.dt.tags") && err.contains("status"),
            "{err}"
        );
    }

    #[test]
    fn weights_must_add_up_to_points() {
        let text = MINIMAL.replace("points = 3", "points = 4");
        let err = TaskSpec::parse(&text, "<test>").unwrap_err().to_string();
        assert!(
            err.contains("rubric[0].checks") && err.contains("add up to 3"),
            "{err}"
        );
    }

    #[test]
    fn check_naming_an_unknown_version_is_refused() {
        let text = MINIMAL.replace("version = \"a\"", "version = \"b\"");
        let err = TaskSpec::parse(&text, "<test>").unwrap_err().to_string();
        assert!(
            err.contains("rubric[0].checks[0]") && err.contains("`b`"),
            "{err}"
        );
    }
}
