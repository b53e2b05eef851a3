//! The rubric half of a task file: the MLflow state to expect (experiment, versions, aliases,
//! registry) and the items that earn points, each a list of weighted checks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::general::{
    ArtifactCheck, AutologCheck, BestRunCheck, ExperimentCheck, LoggedModelCheck, MetricCheck,
    ModelVersionCheck, NestedRunsCheck, ParamGridCheck, ParamsCheck, RegisteredCheck,
    RunCountCheck, RunFilter,
};

/// Which metric is "the accuracy" and how close two accuracies must be to count as a tie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccuracySpec {
    /// Accepted metric names, in order of preference (students name it differently).
    pub metric: Vec<String>,
    /// Accuracies closer than this are a tie; on 36 test samples 1/36 ≈ 0.028 is the resolution.
    #[serde(default = "default_tie_tolerance")]
    pub(crate) tie_tolerance: f64,
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
    pub(crate) min_params: usize,
    /// Metrics every run must log besides the accuracy.
    #[serde(default)]
    pub(crate) metrics: Vec<MetricReq>,
    /// Per-step series; their required length follows the epochs the run logged.
    #[serde(default)]
    pub(crate) histories: Vec<HistoryReq>,
    /// Param names that hold the number of epochs (for history lengths).
    #[serde(default)]
    pub(crate) epochs_param: Vec<String>,
    /// Params of which any one shows the data preparation was recorded (split, seed, samples).
    #[serde(default)]
    pub(crate) data_params: Vec<String>,
}

/// A metric with the names students give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricReq {
    pub name: String,
    #[serde(default)]
    pub(crate) accepts: Vec<String>,
}

impl MetricReq {
    /// The canonical name followed by the accepted alternatives.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.accepts.iter().map(String::as_str))
    }
}

/// A metric logged as a series: at least `ceil(epochs / every)` points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryReq {
    pub name: String,
    #[serde(default)]
    pub(crate) accepts: Vec<String>,
    #[serde(default = "one")]
    pub(crate) every: u32,
}

fn one() -> u32 {
    1
}

impl HistoryReq {
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
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
    pub(crate) model_tags: Vec<String>,
    /// Tags every expected version must carry, non-empty.
    #[serde(default)]
    pub(crate) version_tags: Vec<String>,
}

/// A "clear description": long enough and naming the models it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptionSpec {
    #[serde(default = "default_min_chars")]
    pub(crate) min_chars: usize,
    /// How many expected versions the description must mention (by their keywords).
    #[serde(default)]
    pub(crate) min_mentions: usize,
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
    pub(crate) keywords: Vec<String>,
    /// Params this version's run must log in addition to `[requirements].params`.
    #[serde(default)]
    pub params: Vec<String>,
    /// Plausible accuracy range `[low, high]` as fractions.
    #[serde(default)]
    pub(crate) accuracy_band: Option<[f64; 2]>,
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
    pub(crate) stage: Option<String>,
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
    /// The hand-in's code calls `call` (`a|b`: any of them; a dotted name or its last part)
    /// with these constant arguments (by keyword, constants and variables followed).
    CodeCall {
        weight: u32,
        call: String,
        #[serde(default)]
        args: BTreeMap<String, ArgValue>,
    },
    /// The numbers (`142`, `36`) were printed by the hand-in or logged as params of a run:
    /// the homework's "record" accepts either.
    Shown {
        weight: u32,
        what: String,
        numbers: Vec<f64>,
    },
    /// The hand-in's code loads the registered model: through `alias` (`models:/NAME@ALIAS`,
    /// or `get_model_version_by_alias` and a load) when given, by any reference otherwise.
    ModelLoaded {
        weight: u32,
        #[serde(default)]
        alias: Option<String>,
    },
    /// At least `count` predictions printed next to the actual values (and a confidence).
    PredictionsShown {
        weight: u32,
        count: usize,
        #[serde(default)]
        confidence: bool,
    },
    /// A printed table with a row per expected version; its accuracies must match what the
    /// runs logged, within the printing's rounding.
    ComparisonTable {
        weight: u32,
        /// The task whose versions (and logged accuracies) the table compares.
        task: String,
    },
    /// At least `min` images in the hand-in (files, or embedded in a notebook).
    Screenshots {
        weight: u32,
        min: usize,
    },
    // The general vocabulary (see `general.rs`): each names its own experiment, metric or model.
    Experiment(ExperimentCheck),
    RunCount(RunCountCheck),
    Params(ParamsCheck),
    ParamGrid(ParamGridCheck),
    Autologged(AutologCheck),
    Metric(MetricCheck),
    BestRun(BestRunCheck),
    Artifact(ArtifactCheck),
    LoggedModel(LoggedModelCheck),
    Registered(RegisteredCheck),
    ModelVersion(ModelVersionCheck),
    NestedRuns(NestedRunsCheck),
}

/// A constant a [`CheckSpec::CodeCall`] argument must equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ArgValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl CheckSpec {
    pub(crate) fn weight(&self) -> u32 {
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
            | Self::Manual { weight, .. }
            | Self::CodeCall { weight, .. }
            | Self::Shown { weight, .. }
            | Self::ModelLoaded { weight, .. }
            | Self::PredictionsShown { weight, .. }
            | Self::ComparisonTable { weight, .. }
            | Self::Screenshots { weight, .. } => *weight,
            Self::Experiment(c) => c.weight,
            Self::RunCount(c) => c.weight,
            Self::Params(c) => c.weight,
            Self::ParamGrid(c) => c.weight,
            Self::Autologged(c) => c.weight,
            Self::Metric(c) => c.weight,
            Self::BestRun(c) => c.weight,
            Self::Artifact(c) => c.weight,
            Self::LoggedModel(c) => c.weight,
            Self::Registered(c) => c.weight,
            Self::ModelVersion(c) => c.weight,
            Self::NestedRuns(c) => c.weight,
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
            Self::CodeCall { .. } => "code_call",
            Self::Shown { .. } => "shown",
            Self::ModelLoaded { .. } => "model_loaded",
            Self::PredictionsShown { .. } => "predictions_shown",
            Self::ComparisonTable { .. } => "comparison_table",
            Self::Screenshots { .. } => "screenshots",
            Self::Experiment(_) => "experiment",
            Self::RunCount(_) => "run_count",
            Self::Params(_) => "params",
            Self::ParamGrid(_) => "param_grid",
            Self::Autologged(_) => "autologged",
            Self::Metric(_) => "metric",
            Self::BestRun(_) => "best_run",
            Self::Artifact(_) => "artifact",
            Self::LoggedModel(_) => "logged_model",
            Self::Registered(_) => "registered",
            Self::ModelVersion(_) => "model_version",
            Self::NestedRuns(_) => "nested_runs",
        };
        if let Some(arg) = self.general_argument() {
            return format!("{kind}:{arg}");
        }
        match self.argument() {
            Some(arg) => format!("{kind}:{arg}"),
            None => kind.to_string(),
        }
    }

    /// The argument that tells two general checks of one kind apart in results.
    fn general_argument(&self) -> Option<String> {
        // The experiment tells runs apart, else what the runs are chosen by.
        let exp = |r: &RunFilter| match r.experiment.as_deref() {
            Some(e) if e != "*" => Some(e.to_string()),
            e if !r.metrics.is_empty() => Some(r.metrics.join(",")).or(e.map(str::to_string)),
            e if !r.params.is_empty() => Some(r.params.join(",")).or(e.map(str::to_string)),
            e => e.map(str::to_string),
        };
        match self {
            Self::Experiment(c) => Some(c.name.clone()),
            Self::RunCount(c) => exp(&c.runs),
            Self::Params(c) => exp(&c.runs),
            Self::ParamGrid(c) => Some(c.grid.keys().cloned().collect::<Vec<_>>().join("×")),
            Self::Autologged(c) => Some(c.flavor.clone()),
            Self::Metric(c) => Some(c.name.clone()),
            Self::BestRun(c) => Some(c.metric.clone()),
            Self::Artifact(c) => Some(c.path.clone()),
            Self::LoggedModel(c) => c.flavor.clone(),
            Self::Registered(c) => c.name.clone(),
            Self::ModelVersion(c) => c.alias.clone().or_else(|| c.stage.clone()),
            Self::NestedRuns(c) => exp(&c.runs),
            _ => None,
        }
    }

    /// A check of the general vocabulary: it names what it looks at itself, so it needs neither
    /// `[[versions]]` nor (unless it says so) the task's `registered_model`.
    pub(crate) fn is_general(&self) -> bool {
        matches!(
            self,
            Self::Experiment(_)
                | Self::RunCount(_)
                | Self::Params(_)
                | Self::ParamGrid(_)
                | Self::Autologged(_)
                | Self::Metric(_)
                | Self::BestRun(_)
                | Self::Artifact(_)
                | Self::LoggedModel(_)
                | Self::Registered(_)
                | Self::ModelVersion(_)
                | Self::NestedRuns(_)
        )
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
            Self::CodeCall { call, .. } => Some(call),
            Self::Shown { what, .. } => Some(what),
            Self::ModelLoaded { alias, .. } => Some(alias.as_deref().unwrap_or("any")),
            Self::ComparisonTable { task, .. } => Some(task),
            _ => None,
        }
    }

    /// Checks that read the hand-in's files rather than (only) its MLflow store; they are
    /// graded even when there is no store.
    pub(crate) fn reads_hand_in(&self) -> bool {
        matches!(
            self,
            Self::CodeCall { .. }
                | Self::Shown { .. }
                | Self::ModelLoaded { .. }
                | Self::PredictionsShown { .. }
                | Self::ComparisonTable { .. }
                | Self::Screenshots { .. }
        )
    }

    pub(crate) fn is_manual(&self) -> bool {
        matches!(self, Self::Manual { .. })
    }
}
