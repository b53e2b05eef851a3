//! The general check vocabulary: checks a task file declares with their own arguments (which
//! experiment, which metric, which direction), so a new homework needs a TOML file and no Rust.
//! Each struct is one check kind's table; every one refuses unknown keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which runs a check looks at. Deleted runs are never looked at.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFilter {
    /// Experiment name; `*` and `?` match any text / one character (`hw2-*`). Absent: the task's
    /// `experiment`, or every experiment when the task names none.
    #[serde(default)]
    pub experiment: Option<String>,
    /// Only runs whose status is FINISHED (not RUNNING, FAILED or KILLED).
    #[serde(default)]
    pub finished: bool,
    #[serde(default)]
    pub level: RunLevel,
    /// Only runs that logged every one of these params (`a|b`: either name), e.g. the runs of a
    /// sweep are those that log its `dropout`, wherever the student put them.
    #[serde(default)]
    pub params: Vec<String>,
    /// Only runs that logged a finite value of every one of these metrics (`a|b`: either name):
    /// a homework's trials found by what they logged when the student renamed the experiment.
    #[serde(default)]
    pub metrics: Vec<String>,
}

/// Parent runs have no `mlflow.parentRunId` tag; child runs have one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunLevel {
    #[default]
    Any,
    Parent,
    Child,
}

/// Whether some selected run or every selected run must satisfy a per-run check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantifier {
    Any,
    #[default]
    Every,
}

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Lower is better (RMSE, loss).
    Min,
    /// Higher is better (accuracy).
    Max,
}

/// An experiment with this name (or pattern) exists, with at least `min_runs` runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentCheck {
    pub weight: u32,
    pub name: String,
    #[serde(default)]
    pub min_runs: usize,
}

/// The number of selected runs is within `[min, max]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunCountCheck {
    pub weight: u32,
    #[serde(default)]
    pub runs: RunFilter,
    #[serde(default = "one")]
    pub min: usize,
    #[serde(default)]
    pub max: Option<usize>,
}

fn one() -> usize {
    1
}

/// Params present (`keys`, each `a|b` for alternatives) and equal to values (`equal`, compared
/// as numbers when both sides are numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsCheck {
    pub weight: u32,
    #[serde(default)]
    pub runs: RunFilter,
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub equal: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub on: Quantifier,
}

/// Every combination of the listed values appears as some run's params (a sweep's grid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamGridCheck {
    pub weight: u32,
    #[serde(default)]
    pub runs: RunFilter,
    pub grid: BTreeMap<String, Vec<toml::Value>>,
}

/// A run was autologged by `flavor` (`sklearn`, `xgboost`, …): the tags and params its
/// autologging writes are present, and `params` besides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutologCheck {
    pub weight: u32,
    #[serde(default)]
    pub runs: RunFilter,
    pub flavor: String,
    #[serde(default)]
    pub params: Vec<String>,
}

/// A metric (`name` or one of `accepts`) is logged, optionally with a per-step history of at
/// least `min_steps` steps and a final value within `band`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricCheck {
    pub weight: u32,
    #[serde(default)]
    pub runs: RunFilter,
    pub name: String,
    #[serde(default)]
    pub accepts: Vec<String>,
    #[serde(default)]
    pub on: Quantifier,
    #[serde(default)]
    pub min_steps: Option<usize>,
    #[serde(default)]
    pub band: Option<[f64; 2]>,
}

impl MetricCheck {
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.accepts.iter().map(String::as_str))
    }
}

/// The run that is best by `metric` in `direction` (ties within `tolerance` all count) is the
/// one `marker` points at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BestRunCheck {
    pub weight: u32,
    #[serde(default)]
    pub runs: RunFilter,
    pub metric: String,
    #[serde(default)]
    pub accepts: Vec<String>,
    pub direction: Direction,
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    pub marker: Marker,
}

fn default_tolerance() -> f64 {
    1e-9
}

impl BestRunCheck {
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.metric.as_str()).chain(self.accepts.iter().map(String::as_str))
    }
}

/// What marks a run as the chosen one: a run tag (`tag`, optionally with `value`; a param of
/// that name counts too, and without `value` any value but `false`/`0`/`no`), or a
/// registered version of `model` (name or pattern; any model when absent), optionally only one
/// in `stage` or carrying `alias` (either is accepted when both are given).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub stage: Option<String>,
}

/// Some selected run holds a non-empty artefact at `path` (`*` and `?` allowed, `**/` for any
/// folder).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactCheck {
    pub weight: u32,
    #[serde(default)]
    pub runs: RunFilter,
    pub path: String,
    #[serde(default = "any")]
    pub on: Quantifier,
}

fn any() -> Quantifier {
    Quantifier::Any
}

/// Some selected run logged a model (an `MLmodel` among its artefacts, or a 3.x logged model)
/// with `flavor`, and a signature when `signature` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggedModelCheck {
    pub weight: u32,
    #[serde(default)]
    pub runs: RunFilter,
    #[serde(default)]
    pub flavor: Option<String>,
    #[serde(default)]
    pub signature: bool,
    #[serde(default = "any")]
    pub on: Quantifier,
}

/// A registered model (`name` or pattern; the task's `registered_model` when absent) with at
/// least `min_versions` live versions, a description when asked, and non-empty tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisteredCheck {
    pub weight: u32,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default = "one")]
    pub min_versions: usize,
    #[serde(default)]
    pub description: Option<usize>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub version_tags: Vec<String>,
}

/// A live version of `model` in `stage` or carrying `alias` (either accepted when both are
/// given; any version when neither), loadable when asked, whose source run satisfies `source`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelVersionCheck {
    pub weight: u32,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub loadable: bool,
    #[serde(default)]
    pub description: bool,
    #[serde(default)]
    pub source: Option<SourceRun>,
}

/// What a version's source run must be: in an experiment, with params and metrics logged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRun {
    #[serde(default)]
    pub experiment: Option<String>,
    #[serde(default)]
    pub params: Vec<String>,
    #[serde(default)]
    pub metrics: Vec<String>,
}

/// At least `min_parents` selected parent runs have at least `min_children` child runs each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NestedRunsCheck {
    pub weight: u32,
    #[serde(default)]
    pub runs: RunFilter,
    #[serde(default = "one")]
    pub min_children: usize,
    #[serde(default = "one")]
    pub min_parents: usize,
}

/// Flavors `autologged` knows the traces of (see the grading check).
pub(crate) const AUTOLOG_FLAVORS: [&str; 6] = [
    "sklearn",
    "xgboost",
    "lightgbm",
    "tensorflow",
    "keras",
    "pytorch",
];

/// Grids larger than this are not a homework's sweep; refusing them keeps grading fast.
const MAX_GRID: usize = 10_000;

/// What is wrong with a general check's arguments that serde cannot see; `None` when fine.
pub(crate) fn problem(check: &super::CheckSpec) -> Option<String> {
    use super::CheckSpec as C;
    let band = |b: &Option<[f64; 2]>| match b {
        Some([lo, hi]) if !(lo.is_finite() && hi.is_finite() && lo <= hi) => Some(format!(
            "`band` [{lo}, {hi}] needs two finite numbers, low first"
        )),
        _ => None,
    };
    match check {
        C::Experiment(c) if c.name.trim().is_empty() => Some("`name` is empty".into()),
        C::RunCount(c) if c.max.is_some_and(|m| m < c.min) => Some(format!(
            "`max` {} is below `min` {}",
            c.max.unwrap_or(0),
            c.min
        )),
        C::Params(c) if c.keys.is_empty() && c.equal.is_empty() => {
            Some("give `keys` or `equal`".into())
        }
        C::ParamGrid(c) => {
            let size = c
                .grid
                .values()
                .try_fold(1usize, |n, v| n.checked_mul(v.len()));
            match size {
                _ if c.grid.is_empty() => Some("`grid` is empty".into()),
                Some(0) => Some("every `grid` list needs a value".into()),
                Some(n) if n <= MAX_GRID => None,
                _ => Some(format!("`grid` has more than {MAX_GRID} combinations")),
            }
        }
        C::Autologged(c) if !AUTOLOG_FLAVORS.contains(&c.flavor.as_str()) => Some(format!(
            "unknown flavor `{}`; known: {}",
            c.flavor,
            AUTOLOG_FLAVORS.join(", ")
        )),
        C::Metric(c) => band(&c.band),
        C::BestRun(c) if !(c.tolerance.is_finite() && c.tolerance >= 0.0) => {
            Some("`tolerance` must be a finite number ≥ 0".into())
        }
        C::BestRun(c)
            if c.marker.tag.is_some()
                && (c.marker.model.is_some()
                    || c.marker.alias.is_some()
                    || c.marker.stage.is_some()) =>
        {
            Some(
                "`marker` is either a `tag` or a registered version (`model`, `alias`, `stage`)"
                    .into(),
            )
        }
        C::BestRun(c) if c.marker.value.is_some() && c.marker.tag.is_none() => {
            Some("`marker.value` needs `marker.tag`".into())
        }
        _ => None,
    }
}
