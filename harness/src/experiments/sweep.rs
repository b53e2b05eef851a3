//! `harness sweep --config SWEEP.yaml` (exercise 4): a grid, random draws or TPE over the
//! search space of `sweep.parameters` (see [`super::space`]; TPE in `tpe.rs`), each trial
//! a child run (`mlflow.parentRunId`) of one parent run named after the sweep, trials side by
//! side on `--jobs` threads, finished trials kept on a rerun, the best child tagged
//! `is_best=true` and recorded on the parent (and its model registered when asked).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::config::ExperimentConfig;
use super::error::{ConfigError, ExperimentError, at};
use super::log::ConfigFile;
use super::space::{Dim, Space};
use super::tpe::{Observation, Tpe};
use super::trainer::Trained;
use crate::mlflow::{KeyValue, Metric, MlflowClient, NewRun, RunSearch, RunStatus, now_ms};
use crate::progress::Progress;

/// Tag of a sweep's parent run: the sweep's name.
pub const SWEEP_TAG: &str = "harness.sweep";
/// Tag of a trial's child run: its overrides as canonical JSON (what resuming matches on).
pub const TRIAL_TAG: &str = "harness.trial";
/// Metric every trial logs: its value of the sweep's `metric`.
pub const SCORE_METRIC: &str = "sweep_score";

/// The `sweep:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSection {
    #[serde(default)]
    pub name: Option<String>,
    pub strategy: Strategy,
    /// `val_accuracy` (the kept epoch's), `val_loss`, `test_accuracy` or `test_loss`; for
    /// regression `val_rmse`, `val_mae`, `val_r2`, `test_rmse`, `test_mae` or `test_r2`.
    pub metric: String,
    pub goal: Goal,
    /// Config key (dotted) → its space: a list of values or a distribution (see [`Space`]).
    pub parameters: serde_yaml_ng::Mapping,
    /// How many trials `random` and `tpe` run.
    #[serde(default)]
    pub max_evals: Option<usize>,
    /// `tpe`: random trials before TPE starts [default: 20, hyperopt's].
    #[serde(default)]
    pub n_startup_trials: Option<usize>,
}

/// hyperopt's `n_startup_jobs`.
const DEFAULT_STARTUP_TRIALS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Grid,
    Random,
    Tpe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    Maximize,
    Minimize,
}

/// A sweep file: an experiment config plus its `sweep:` section, and the trials it expands to.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPlan {
    pub name: String,
    pub base: ExperimentConfig,
    pub section: SweepSection,
    /// Every key's space, in the file's order.
    pub spaces: Vec<(String, Space)>,
    /// The trials known before any runs: every grid point in grid order (the first parameter
    /// varies slowest), every random draw, or TPE's random start-up trials.
    pub trials: Vec<Trial>,
    /// How many trials the sweep runs in all.
    pub total: usize,
    origin: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    pub index: usize,
    pub overrides: Vec<(String, serde_json::Value)>,
    /// Its coordinates on the spaces' [`Dim`]s (what TPE models).
    pub point: Vec<f64>,
    /// Random and TPE trials may repeat a point, so their identity includes their number.
    pub numbered: bool,
    pub config: ExperimentConfig,
}

impl Trial {
    /// The overrides as canonical JSON (with `"#": number` for random and TPE trials): the
    /// trial's identity across reruns.
    pub fn key(&self) -> String {
        let number = serde_json::Value::from(self.index + 1);
        let mut map: BTreeMap<&str, &serde_json::Value> = self
            .overrides
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        if self.numbered {
            map.insert("#", &number);
        }
        serde_json::to_string(&map).unwrap_or_default()
    }
}

const METRICS: [&str; 4] = ["val_accuracy", "val_loss", "test_accuracy", "test_loss"];
/// The metrics a regression sweep may optimise.
const REGRESSION_METRICS: [&str; 6] = [
    "val_rmse",
    "val_mae",
    "val_r2",
    "test_rmse",
    "test_mae",
    "test_r2",
];

impl SweepPlan {
    /// Reads a sweep file and checks every trial's config before anything is logged.
    ///
    /// # Errors
    /// [`ConfigError`] with the key path.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(
            &text,
            &path.display().to_string(),
            path.parent().unwrap_or(Path::new("")),
        )
    }

    /// [`SweepPlan::load`] on a file's text; `origin` names it in errors and CSV paths are
    /// relative to `dir`.
    ///
    /// # Errors
    /// [`ConfigError`] with the key path.
    pub fn parse(text: &str, origin: &str, dir: &Path) -> Result<Self, ConfigError> {
        let origin = origin.to_owned();
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            origin: origin.clone(),
            key: key.to_owned(),
            message,
        };
        let mut doc: serde_yaml_ng::Mapping =
            serde_yaml_ng::from_str(text).map_err(|e| invalid("<document>", e.to_string()))?;
        let section = doc
            .remove("sweep")
            .ok_or_else(|| invalid("sweep", "a sweep file needs a `sweep:` section".into()))?;
        let section: SweepSection =
            serde_path_to_error::deserialize(section).map_err(|e| ConfigError::Parse {
                origin: origin.clone(),
                key: format!("sweep.{}", e.path()),
                message: e.inner().to_string(),
            })?;
        let rest = serde_yaml_ng::to_string(&doc).unwrap_or_default();
        let base = ExperimentConfig::parse(&rest, false, &origin)?;
        let base = base.relative_to(dir);
        let allowed: Vec<&str> = match base.task_hint() {
            Some(super::config::TaskKind::Classification) => METRICS.to_vec(),
            Some(super::config::TaskKind::Regression) => REGRESSION_METRICS.to_vec(),
            None => METRICS.iter().chain(&REGRESSION_METRICS).copied().collect(),
        };
        if !allowed.contains(&section.metric.as_str()) {
            return Err(invalid(
                "sweep.metric",
                format!("`{}` is not one of {}", section.metric, allowed.join(", ")),
            ));
        }
        if section.parameters.is_empty() {
            return Err(invalid(
                "sweep.parameters",
                "the search space is empty: list at least one parameter".into(),
            ));
        }
        let mut spaces = Vec::new();
        for (key, value) in &section.parameters {
            let key = key.as_str().unwrap_or_default().to_owned();
            let path = format!("sweep.parameters.{key}");
            let space = Space::parse(value).map_err(|m| invalid(&path, m))?;
            if section.strategy == Strategy::Grid && !matches!(space, Space::List(_)) {
                return Err(invalid(
                    &path,
                    "a grid takes a list of values; distributions need `strategy: random` or `tpe`"
                        .into(),
                ));
            }
            spaces.push((key, space));
        }
        let total = match (section.strategy, section.max_evals) {
            (Strategy::Grid, None) => spaces
                .iter()
                .map(|(_, s)| match s {
                    Space::List(v) => v.len(),
                    _ => 1,
                })
                .product(),
            (Strategy::Grid, Some(_)) => {
                return Err(invalid(
                    "sweep.max_evals",
                    "a grid runs every point; `max_evals` is for `random` and `tpe`".into(),
                ));
            }
            (_, Some(n)) if n > 0 => n,
            (_, _) => {
                return Err(invalid(
                    "sweep.max_evals",
                    "`random` and `tpe` need `max_evals`, a positive number of trials".into(),
                ));
            }
        };
        if section.strategy != Strategy::Tpe && section.n_startup_trials.is_some() {
            return Err(invalid(
                "sweep.n_startup_trials",
                "only `tpe` has start-up trials".into(),
            ));
        }
        let mut plan = SweepPlan {
            name: String::new(),
            base: base.clone(),
            section: section.clone(),
            spaces,
            trials: Vec::new(),
            total,
            origin: origin.clone(),
        };
        let points: Vec<Vec<f64>> = match section.strategy {
            Strategy::Grid => (0..total)
                .map(|index| {
                    // Mixed radix, the last axis fastest (itertools.product's order).
                    let mut rest = index;
                    let mut point = vec![0.0; plan.spaces.len()];
                    for (slot, (_, space)) in plan.spaces.iter().enumerate().rev() {
                        let Dim::Categorical(n) = space.dim() else {
                            continue;
                        };
                        point[slot] = (rest % n) as f64;
                        rest /= n;
                    }
                    point
                })
                .collect(),
            Strategy::Random | Strategy::Tpe => {
                let mut rng = ChaCha8Rng::seed_from_u64(base.seed);
                let n = match section.strategy {
                    Strategy::Tpe => plan.startup_trials(),
                    _ => total,
                };
                (0..n)
                    .map(|_| {
                        plan.spaces
                            .iter()
                            .map(|(_, s)| s.dim().sample(&mut rng))
                            .collect()
                    })
                    .collect()
            }
        };
        for (index, point) in points.into_iter().enumerate() {
            let trial = plan.trial(index, point)?;
            plan.trials.push(trial);
        }
        if section.strategy == Strategy::Tpe {
            // TPE's proposals come later: the ends of every range must make valid configs now.
            for end in [0.0, 1.0] {
                let point = plan
                    .spaces
                    .iter()
                    .map(|(_, s)| match s.dim() {
                        Dim::Real { low, high, q, .. } => {
                            super::space::quantise(low + end * (high - low), q)
                        }
                        Dim::Categorical(n) => end * (n.saturating_sub(1)) as f64,
                    })
                    .collect();
                plan.trial(0, point)?;
            }
        }
        let name = section
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-sweep", base.experiment_name));
        plan.name = name;
        Ok(plan)
    }

    fn startup_trials(&self) -> usize {
        self.section
            .n_startup_trials
            .unwrap_or(DEFAULT_STARTUP_TRIALS)
            .min(self.total)
    }

    /// The trial at `point`, its config checked.
    fn trial(&self, index: usize, point: Vec<f64>) -> Result<Trial, ConfigError> {
        let overrides: Vec<(String, serde_json::Value)> = self
            .spaces
            .iter()
            .zip(&point)
            .map(|((key, space), x)| (key.clone(), space.value(*x)))
            .collect();
        let mut config = self.base.with_overrides(&overrides, &self.origin)?;
        config.register = None;
        config.run_name = Some(format!("trial-{:03}", index + 1));
        Ok(Trial {
            index,
            overrides,
            point,
            numbered: self.section.strategy != Strategy::Grid,
            config,
        })
    }

    /// The parent run's params: the search space and how it is searched (what a rerun must
    /// match to resume).
    fn parent_params(&self) -> Vec<KeyValue> {
        let mut params = vec![
            KeyValue::new(
                "sweep.strategy",
                match self.section.strategy {
                    Strategy::Grid => "grid",
                    Strategy::Random => "random",
                    Strategy::Tpe => "tpe",
                },
            ),
            KeyValue::new("sweep.metric", &self.section.metric),
            KeyValue::new(
                "sweep.goal",
                match self.section.goal {
                    Goal::Maximize => "maximize",
                    Goal::Minimize => "minimize",
                },
            ),
            KeyValue::new("sweep.trials", self.total.to_string()),
        ];
        if self.section.strategy != Strategy::Grid {
            params.push(KeyValue::new("sweep.seed", self.base.seed.to_string()));
        }
        if self.section.strategy == Strategy::Tpe {
            params.push(KeyValue::new(
                "sweep.n_startup_trials",
                self.startup_trials().to_string(),
            ));
        }
        for (k, v) in &self.section.parameters {
            params.push(KeyValue::new(
                format!("sweep.parameters.{}", k.as_str().unwrap_or_default()),
                serde_json::to_value(v).unwrap_or_default().to_string(),
            ));
        }
        params
    }

    /// A score as a loss: lower is better.
    fn loss(&self, score: f64) -> f64 {
        match self.section.goal {
            Goal::Maximize => -score,
            Goal::Minimize => score,
        }
    }

    /// A trial's score on the sweep's metric.
    fn score(&self, t: &Trained) -> f64 {
        let best = &t.history[t.best_epoch];
        if let Some(r) = &t.regression {
            return match self.section.metric.as_str() {
                "val_rmse" => r.val.rmse,
                "val_mae" => r.val.mae,
                "val_r2" => r.val.r2,
                "test_rmse" => r.test.rmse,
                "test_mae" => r.test.mae,
                "test_r2" => r.test.r2,
                // A classification metric on a CSV that turned out numeric: no score.
                _ => f64::NAN,
            };
        }
        match self.section.metric.as_str() {
            "val_loss" => best.val_loss,
            "test_accuracy" => t.test.accuracy,
            "test_loss" => t.test.loss,
            _ => best.val_accuracy,
        }
    }

    /// Is `a` better than `b`?
    fn better(&self, a: f64, b: f64) -> bool {
        match self.section.goal {
            Goal::Maximize => a > b,
            Goal::Minimize => a < b,
        }
    }
}

/// One trial's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialResult {
    pub index: usize,
    pub run_id: String,
    pub overrides: Vec<(String, serde_json::Value)>,
    pub score: f64,
    /// Trained by an earlier run of the sweep.
    pub resumed: bool,
}

/// What the sweep did.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSummary {
    pub name: String,
    pub parent_run_id: String,
    pub metric: String,
    /// Sorted best first.
    pub results: Vec<TrialResult>,
    pub trained: usize,
    pub resumed: usize,
    /// `(name, version, alias)` when the sweep file asked to register the best model.
    pub registered: Option<(String, String, Option<String>)>,
}

/// Runs (or resumes) the sweep.
///
/// # Errors
/// [`ExperimentError`] naming the step; finished trials stay logged.
pub fn run(
    client: &MlflowClient,
    plan: &SweepPlan,
    config_file: &ConfigFile,
    jobs: usize,
    progress: &Progress,
) -> Result<SweepSummary, ExperimentError> {
    let experiment_id = client
        .get_or_create_experiment(&plan.base.experiment_name)
        .map_err(at(format!(
            "creating experiment `{}`",
            plan.base.experiment_name
        )))?;
    let runs = client
        .search_runs(&RunSearch {
            experiment_ids: vec![experiment_id.clone()],
            ..Default::default()
        })
        .map_err(at("listing the experiment's runs"))?;
    let parent = runs.iter().find(|r| {
        r.data
            .tags
            .iter()
            .any(|t| t.key == SWEEP_TAG && t.value == plan.name)
    });
    let params = plan.parent_params();
    let parent_run_id = match parent {
        Some(p) => {
            for want in &params {
                let was = p.data.params.iter().find(|h| h.key == want.key);
                if was.is_none_or(|h| h.value != want.value) {
                    return Err(ExperimentError::SweepChanged {
                        sweep: plan.name.clone(),
                        key: want.key.clone(),
                        was: was.map_or_else(|| "(nothing)".into(), |h| h.value.clone()),
                        now: want.value.clone(),
                    });
                }
            }
            client
                .update_run(&p.info.run_id, RunStatus::Running, None)
                .map_err(at("reopening the sweep's parent run"))?;
            p.info.run_id.clone()
        }
        None => {
            let run = client
                .create_run(&NewRun {
                    experiment_id: experiment_id.clone(),
                    run_name: Some(plan.name.clone()),
                    start_time: None,
                    tags: vec![
                        KeyValue::new(SWEEP_TAG, &plan.name),
                        KeyValue::new("mlflow.source.name", "harness sweep"),
                    ],
                })
                .map_err(at("creating the sweep's parent run"))?;
            client
                .log_batch(&run.info.run_id, &[], &params, &[])
                .map_err(at("logging the search space"))?;
            run.info.run_id
        }
    };
    crate::reference::interrupt::opened(client, &parent_run_id);

    // Finished children of this parent, by trial key.
    let mut done: BTreeMap<String, (String, f64)> = BTreeMap::new();
    for r in &runs {
        let tag = |k: &str| {
            r.data
                .tags
                .iter()
                .find(|t| t.key == k)
                .map(|t| t.value.clone())
        };
        if tag("mlflow.parentRunId").as_deref() == Some(parent_run_id.as_str())
            && r.info.status == RunStatus::Finished
            && let Some(key) = tag(TRIAL_TAG)
            && let Some(m) = r.data.metrics.iter().find(|m| m.key == SCORE_METRIC)
        {
            done.insert(key, (r.info.run_id.clone(), m.value));
        }
    }

    let table = super::dataset::load(&plan.base.source())?;
    progress.start_bar(plan.total as u64, "trials");
    let best_so_far: Mutex<Option<f64>> = Mutex::new(None);
    let batch = Batch {
        client,
        plan,
        config_file,
        table: &table,
        parent_run_id: &parent_run_id,
        done: &done,
        progress,
        best_so_far: &best_so_far,
    };
    let outcome = (|| {
        let mut results = batch.run(&plan.trials, jobs)?;
        if plan.section.strategy == Strategy::Tpe {
            // TPE's own stream, so its proposals don't depend on how many start-up draws came
            // first; with `--jobs N` it proposes N trials from the same observations.
            let mut rng = ChaCha8Rng::seed_from_u64(plan.base.seed);
            rng.set_stream(1);
            let dims: Vec<Dim> = plan.spaces.iter().map(|(_, s)| s.dim()).collect();
            let tpe = Tpe::default();
            let mut points: Vec<Vec<f64>> = plan.trials.iter().map(|t| t.point.clone()).collect();
            while results.len() < plan.total {
                let history: Vec<Observation> = results
                    .iter()
                    .zip(&points)
                    .map(|(r, p)| Observation {
                        point: p.clone(),
                        loss: plan.loss(r.score),
                    })
                    .collect();
                let n = jobs.max(1).min(plan.total - results.len());
                let mut trials = Vec::new();
                for k in 0..n {
                    let point = tpe.suggest(&dims, &history, &mut rng);
                    points.push(point.clone());
                    let trial = plan
                        .trial(results.len() + k, point)
                        .map_err(|e| ExperimentError::Train(e.to_string()))?;
                    trials.push(trial);
                }
                results.extend(batch.run(&trials, jobs)?);
            }
        }
        Ok::<_, ExperimentError>(results)
    })();
    progress.finish();
    let finish_parent = |status| {
        let _ = client.update_run(&parent_run_id, status, Some(now_ms()));
        crate::reference::interrupt::ended(&parent_run_id);
    };
    let mut results = match outcome {
        Ok(r) => r,
        Err(e) => {
            finish_parent(RunStatus::Failed);
            return Err(e);
        }
    };
    // Best first; equal scores in grid order.
    results.sort_by(|a, b| {
        let order = a.score.total_cmp(&b.score);
        let order = match plan.section.goal {
            Goal::Maximize => order.reverse(),
            Goal::Minimize => order,
        };
        order.then(a.index.cmp(&b.index))
    });
    let best = results
        .first()
        .ok_or_else(|| ExperimentError::Train("no trial finished".into()))?;
    for r in &results {
        let value = if r.run_id == best.run_id {
            "true"
        } else {
            "false"
        };
        client
            .set_tag(&r.run_id, "is_best", value)
            .map_err(at(format!("tagging trial {}", r.index + 1)))?;
    }
    let mut tags = vec![
        KeyValue::new("best_run_id", &best.run_id),
        KeyValue::new("best_trial", (best.index + 1).to_string()),
    ];
    for (k, v) in &best.overrides {
        tags.push(KeyValue::new(format!("best.{k}"), value_text(v)));
    }
    client
        .log_batch(
            &parent_run_id,
            &[Metric::new(
                format!("best_{}", plan.section.metric),
                best.score,
                now_ms(),
                0,
            )],
            &[],
            &tags,
        )
        .map_err(at("recording the best trial on the parent run"))?;
    let registered = match &plan.base.register {
        None => None,
        Some(r) => (|| {
            let models = client
                .search_logged_models(std::slice::from_ref(&experiment_id))
                .map_err(at("looking up the best trial's model"))?;
            let model = models
                .iter()
                .find(|m| m.info.source_run_id == best.run_id)
                .ok_or_else(|| {
                    ExperimentError::Train(format!(
                        "the best trial (run {}) has no logged model to register",
                        best.run_id
                    ))
                })?;
            let description = format!(
                "best of sweep `{}`: {} {:.4} (trial {})",
                plan.name,
                plan.section.metric,
                best.score,
                best.index + 1
            );
            super::log::register(client, r, &best.run_id, &model.info.model_id, description)
        })()
        .map(Some)
        .inspect_err(|_| finish_parent(RunStatus::Failed))?,
    };
    finish_parent(RunStatus::Finished);
    let resumed = results.iter().filter(|r| r.resumed).count();
    Ok(SweepSummary {
        name: plan.name.clone(),
        parent_run_id,
        metric: plan.section.metric.clone(),
        trained: results.len() - resumed,
        resumed,
        results,
        registered,
    })
}

/// What running a batch of trials side by side needs.
struct Batch<'a> {
    client: &'a MlflowClient,
    plan: &'a SweepPlan,
    config_file: &'a ConfigFile,
    table: &'a super::dataset::Table,
    parent_run_id: &'a str,
    /// Finished children of an earlier run, by trial key: (run id, score).
    done: &'a BTreeMap<String, (String, f64)>,
    progress: &'a Progress,
    best_so_far: &'a Mutex<Option<f64>>,
}

impl Batch<'_> {
    /// Runs `trials` on `jobs` threads (or takes them from an earlier run); results in the
    /// trials' order, so they do not depend on `jobs`.
    fn run(&self, trials: &[Trial], jobs: usize) -> Result<Vec<TrialResult>, ExperimentError> {
        let results: Mutex<Vec<Option<TrialResult>>> = Mutex::new(vec![None; trials.len()]);
        let errors: Mutex<Vec<ExperimentError>> = Mutex::new(Vec::new());
        let next = AtomicUsize::new(0);
        let record = |slot: usize, r: TrialResult| {
            let mut best = self.best_so_far.lock().unwrap_or_else(|e| e.into_inner());
            if best.is_none_or(|b| self.plan.better(r.score, b)) {
                *best = Some(r.score);
            }
            self.progress.set_message(format!(
                "best {} {:.4}",
                self.plan.section.metric,
                best.unwrap_or(f64::NAN)
            ));
            self.progress.inc(1);
            results.lock().unwrap_or_else(|e| e.into_inner())[slot] = Some(r);
        };
        std::thread::scope(|scope| {
            for _ in 0..jobs.max(1) {
                scope.spawn(|| {
                    loop {
                        let slot = next.fetch_add(1, Ordering::SeqCst);
                        let Some(trial) = trials.get(slot) else {
                            break;
                        };
                        if !errors.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
                            break;
                        }
                        match self.one(trial) {
                            Ok(r) => record(slot, r),
                            Err(e) => errors.lock().unwrap_or_else(|e| e.into_inner()).push(e),
                        }
                    }
                });
            }
        });
        if let Some(e) = errors.into_inner().unwrap_or_default().into_iter().next() {
            return Err(e);
        }
        Ok(results
            .into_inner()
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect())
    }

    fn one(&self, trial: &Trial) -> Result<TrialResult, ExperimentError> {
        if let Some((run_id, score)) = self.done.get(&trial.key()) {
            return Ok(TrialResult {
                index: trial.index,
                run_id: run_id.clone(),
                overrides: trial.overrides.clone(),
                score: *score,
                resumed: true,
            });
        }
        let tags = [
            KeyValue::new("mlflow.parentRunId", self.parent_run_id),
            KeyValue::new(TRIAL_TAG, trial.key()),
        ];
        let quiet = Progress::hidden();
        let s = super::run_on(
            self.client,
            &trial.config,
            self.config_file,
            self.table,
            &tags,
            &quiet,
        )?;
        let score = self.plan.score(&s.trained);
        self.client
            .log_metric(
                &s.logged.run_id,
                &Metric::new(SCORE_METRIC, score, now_ms(), 0),
            )
            .map_err(at("logging the trial's score"))?;
        Ok(TrialResult {
            index: trial.index,
            run_id: s.logged.run_id,
            overrides: trial.overrides.clone(),
            score,
            resumed: false,
        })
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The trials sorted by the metric, and the best.
///
/// # Errors
/// When `out` cannot be written.
pub fn render(s: &SweepSummary, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(
        out,
        "Sweep `{}` (parent run {}): {} trials, {} trained now, {} kept from an earlier run",
        s.name,
        s.parent_run_id,
        s.results.len(),
        s.trained,
        s.resumed
    )?;
    let keys: Vec<&str> = s
        .results
        .first()
        .map(|r| r.overrides.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    write!(out, "{:>5}  {:>12}", "trial", s.metric)?;
    for k in &keys {
        write!(out, "  {k}")?;
    }
    writeln!(out)?;
    for r in &s.results {
        write!(out, "{:>5}  {:>12.4}", r.index + 1, r.score)?;
        for ((k, v), _) in r.overrides.iter().zip(&keys) {
            write!(out, "  {:>w$}", value_text(v), w = k.len())?;
        }
        writeln!(out)?;
    }
    if let Some(best) = s.results.first() {
        let params: Vec<String> = best
            .overrides
            .iter()
            .map(|(k, v)| format!("{k}={}", value_text(v)))
            .collect();
        writeln!(out, "Best params: {}", params.join(", "))?;
        writeln!(
            out,
            "Best {}: {:.4} (run {})",
            s.metric, best.score, best.run_id
        )?;
    }
    if let Some((name, version, alias)) = &s.registered {
        match alias {
            Some(a) => writeln!(out, "Registered {name} version {version} (alias `{a}`)")?,
            None => writeln!(out, "Registered {name} version {version}")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Result<SweepPlan, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, text).unwrap();
        SweepPlan::load(&path)
    }

    const SEED_GRID: &str = "experiment_name: g
seed: 7
data: {dataset: mnist}
model: {architecture: mlp, hidden_sizes: [128], dropout: 0.3}
training: {num_epochs: 1, learning_rate: 0.001, batch_size: 32}
sweep:
  strategy: grid
  metric: val_accuracy
  goal: maximize
  parameters:
    training.learning_rate: [0.0001, 0.001, 0.01]
    training.batch_size: [16, 32, 64]
    model.dropout: [0.3, 0.5]
";

    #[test]
    fn the_seeds_grid_expands_to_18_trials_in_product_order() {
        let p = plan(SEED_GRID).unwrap();
        assert_eq!(p.trials.len(), 18);
        assert_eq!(p.name, "g-sweep");
        let t = &p.trials[1];
        assert_eq!(t.config.training.learning_rate, 0.0001);
        assert_eq!(t.config.training.batch_size, 16);
        assert_eq!(t.config.model.dropout, Some(0.5));
        assert_eq!(p.trials[17].config.training.learning_rate, 0.01);
        assert_eq!(p.trials[17].config.run_name.as_deref(), Some("trial-018"));
        let keys: std::collections::BTreeSet<String> = p.trials.iter().map(Trial::key).collect();
        assert_eq!(keys.len(), 18);
    }

    #[test]
    fn bad_sweeps_are_refused_with_their_key() {
        let e = plan(&SEED_GRID.replace(
            "  parameters:\n    training.learning_rate: [0.0001, 0.001, 0.01]\n    training.batch_size: [16, 32, 64]\n    model.dropout: [0.3, 0.5]\n",
            "  parameters: {}\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`sweep.parameters`") && e.contains("empty"),
            "{e}"
        );
        let e = plan(&SEED_GRID.replace("[0.3, 0.5]", "[]"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`sweep.parameters.model.dropout`"), "{e}");
        let e = plan(&SEED_GRID.replace("[0.0001, 0.001, 0.01]", "[-0.1]"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`training.learning_rate`"), "{e}");
        let e = plan(&SEED_GRID.replace("training.batch_size:", "training.batch:"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("training.batch"), "{e}");
        let e = plan(&SEED_GRID.replace("strategy: grid", "strategy: tpe"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`sweep.max_evals`"), "{e}");
        let e = plan(&SEED_GRID.replace("[0.3, 0.5]", "{uniform: [0.1, 0.5]}"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`sweep.parameters.model.dropout`") && e.contains("strategy: random"),
            "{e}"
        );
        let e = plan(&SEED_GRID.replace("[0.3, 0.5]", "{loguniform: [0, 0.5]}"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`sweep.parameters.model.dropout`") && e.contains("positive"),
            "{e}"
        );
        // A TPE range whose end is not a valid config is refused before anything runs.
        let e = plan(&random_sweep("tpe").replace("[0.0, 0.5]", "[0.5, 1.5]"))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.contains("dropout") && e.contains("outside [0, 1)"), "{e}");
    }

    fn random_sweep(strategy: &str) -> String {
        format!(
            "experiment_name: r
seed: 11
data: {{dataset: wine}}
model: {{architecture: mlp, hidden_sizes: [8], dropout: 0.3}}
training: {{num_epochs: 1}}
sweep:
  strategy: {strategy}
  metric: val_accuracy
  goal: maximize
  max_evals: 12
  parameters:
    training.learning_rate: {{loguniform: [1e-4, 1e-1]}}
    training.batch_size: {{quniform: [16, 64, 16]}}
    model.hidden_sizes: {{choice: [[8], [16, 8]]}}
    model.dropout: {{uniform: [0.0, 0.5]}}
"
        )
    }

    #[test]
    fn a_random_sweep_draws_max_evals_trials_reproducibly_from_the_seed() {
        let a = plan(&random_sweep("random")).unwrap();
        let b = plan(&random_sweep("random")).unwrap();
        assert_eq!(a.total, 12);
        assert_eq!(a.trials.len(), 12);
        assert_eq!(a.trials, b.trials);
        let keys: std::collections::BTreeSet<String> = a.trials.iter().map(Trial::key).collect();
        assert_eq!(keys.len(), 12);
        // Numbered: a repeated draw is still its own trial on a rerun.
        assert!(
            a.trials[2].key().contains(r##""#":3"##),
            "{}",
            a.trials[2].key()
        );
        for t in &a.trials {
            let lr = t.config.training.learning_rate;
            assert!((1e-4..=1e-1).contains(&lr), "{lr}");
            assert_eq!(t.config.training.batch_size % 16, 0);
        }
        let other = plan(&random_sweep("random").replace("seed: 11", "seed: 12")).unwrap();
        assert_ne!(a.trials[0].key(), other.trials[0].key());
        // TPE starts with the same draws (min(n_startup_trials, max_evals) of them).
        let tpe = plan(
            &random_sweep("tpe").replace("max_evals: 12", "max_evals: 12\n  n_startup_trials: 4"),
        )
        .unwrap();
        assert_eq!(tpe.total, 12);
        assert_eq!(tpe.trials.len(), 4);
        assert_eq!(tpe.trials[..], a.trials[..4]);
    }
}
