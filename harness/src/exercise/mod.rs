//! Reference runs of the course's other exercises (`harness run day28-tracking`): the steps of a
//! task file's `[reference]` section done with harness's own trainers against a real server: an
//! experiment config (`harness run --config`), a sweep (`harness sweep --config`), and the
//! registration and promotion of a step's model (alias, stage). A new exercise needs a task file
//! and its configs, no Rust.
//!
//! This layer sits above `experiments` (it runs configs and sweeps) and below `report`.

mod error;

use std::io::Write;
use std::path::Path;

pub use error::ExerciseError;
use error::at;

use crate::experiments::sweep::{self, SweepPlan};
use crate::experiments::{ConfigFile, ExperimentConfig};
use crate::mlflow::{KeyValue, MlflowClient, NewModelVersion, Stage};
use crate::progress::Progress;
use crate::reference::RunOptions;
use crate::task::{ConfigStep, PromoteStep, ReferenceStep, TaskSpec};

/// What one step did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepSummary {
    Run {
        config: String,
        experiment: String,
        run_name: String,
        run_id: String,
        val_accuracy: f64,
        test_accuracy: f64,
    },
    Sweep {
        config: String,
        experiment: String,
        name: String,
        parent_run_id: String,
        trials: usize,
        metric: String,
        best_run_id: String,
        best_score: f64,
    },
    Promote {
        model: String,
        version: String,
        run_id: String,
        alias: Option<String>,
        stage: Option<String>,
    },
}

/// What an exercise's reference run did, and the names it used (what grading it should read).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExerciseSummary {
    pub task: String,
    pub about: Option<String>,
    pub steps: Vec<StepSummary>,
    /// Experiments the steps logged to, in the order first used.
    pub experiments: Vec<String>,
    /// Registered models the steps created.
    pub registered_models: Vec<String>,
}

/// Whether `spec` has a reference run this module performs.
pub fn has_reference(spec: &TaskSpec) -> bool {
    spec.reference.is_some()
}

/// Every task file with a `[reference]` section (the course's other exercises), by name.
///
/// # Errors
/// A task file that cannot be read or is malformed.
pub fn reference_tasks(
    source: &crate::task::TaskSource,
) -> Result<Vec<TaskSpec>, crate::task::TaskError> {
    let mut tasks = source.resolve_every()?;
    tasks.retain(has_reference);
    Ok(tasks)
}

/// Trials side by side in a sweep step: a few, so a reference sweep takes seconds without
/// taking the machine.
const SWEEP_JOBS: usize = 4;

/// Performs the `[reference]` steps of `spec`, varied by `options` (seed, `--replace`, name
/// prefix).
///
/// # Errors
/// [`ExerciseError`] naming the step (1-based) that failed.
pub fn run(
    client: &MlflowClient,
    spec: &TaskSpec,
    options: &RunOptions,
    progress: &Progress,
) -> Result<ExerciseSummary, ExerciseError> {
    let reference = spec
        .reference
        .as_ref()
        .ok_or_else(|| ExerciseError::NoReference {
            task: spec.id.clone(),
        })?;
    let prefixed = |name: &str| match &options.name_prefix {
        Some(p) => format!("{p}{name}"),
        None => name.to_owned(),
    };
    // Every config is read and checked before anything is logged.
    let mut plans = Vec::new();
    for (i, step) in reference.steps.iter().enumerate() {
        let n = i + 1;
        let config_err = |source| ExerciseError::Config { step: n, source };
        plans.push(match step {
            ReferenceStep::Run(c) => {
                let mut config = parse_run_config(reference, c).map_err(config_err)?;
                config.experiment_name = prefixed(&config.experiment_name);
                if let Some(seed) = options.seed {
                    config.seed = u64::from(seed);
                }
                if let Some(r) = &mut config.register {
                    r.name = prefixed(&r.name);
                }
                Plan::Run(Box::new(config))
            }
            ReferenceStep::Sweep(c) => {
                let plan =
                    parse_sweep(reference, c, &prefixed, options.seed).map_err(config_err)?;
                Plan::Sweep(Box::new(plan))
            }
            ReferenceStep::Promote(_) => Plan::Promote,
        });
    }
    let mut models: Vec<String> = Vec::new();
    for (step, plan) in reference.steps.iter().zip(&plans) {
        let name = match (step, plan) {
            (_, Plan::Run(c)) => c.register.as_ref().map(|r| r.name.clone()),
            (_, Plan::Sweep(p)) => p.base.register.as_ref().map(|r| r.name.clone()),
            (ReferenceStep::Promote(p), _) => Some(prefixed(&p.model)),
            _ => None,
        };
        if let Some(name) = name {
            push_unique(&mut models, &name);
        }
    }
    for model in &models {
        let existing = client
            .find_registered_model(model)
            .map_err(at(0, format!("looking up registered model `{model}`")))?;
        if existing.is_some() {
            if !options.replace {
                return Err(ExerciseError::AlreadyExists {
                    model: model.clone(),
                    tracking_uri: crate::mlflow::redact_url(client.tracking_uri()),
                });
            }
            client
                .delete_registered_model(model)
                .map_err(at(0, format!("deleting registered model `{model}`")))?;
        }
    }

    let mut summary = ExerciseSummary {
        task: spec.id.clone(),
        about: reference.about.clone(),
        steps: Vec::new(),
        experiments: Vec::new(),
        registered_models: models,
    };
    // Per step: the experiment and the run a later promotion registers.
    let mut chosen: Vec<Option<(String, String)>> = Vec::new();
    for (i, (step, plan)) in reference.steps.iter().zip(&plans).enumerate() {
        let n = i + 1;
        let failed = |source| ExerciseError::Experiment {
            step: n,
            source: Box::new(source),
        };
        match (step, plan) {
            (ReferenceStep::Run(c), Plan::Run(config)) => {
                progress.set_message(format!("step {n}: {}", c.config));
                let file = config_file(reference, c);
                let s = crate::experiments::run(client, config, &file, progress).map_err(failed)?;
                also_log(client, n, c, std::slice::from_ref(&s.logged.run_id))?;
                let best = &s.trained.history[s.trained.best_epoch];
                chosen.push(Some((
                    s.logged.experiment_id.clone(),
                    s.logged.run_id.clone(),
                )));
                push_unique(&mut summary.experiments, &config.experiment_name);
                summary.steps.push(StepSummary::Run {
                    config: c.config.clone(),
                    experiment: config.experiment_name.clone(),
                    run_name: config.run_name(),
                    run_id: s.logged.run_id,
                    val_accuracy: best.val_accuracy,
                    test_accuracy: s.trained.test.accuracy,
                });
            }
            (ReferenceStep::Sweep(c), Plan::Sweep(plan)) => {
                progress.set_message(format!("step {n}: sweep {}", c.config));
                let file = config_file(reference, c);
                let s = sweep::run(client, plan, &file, SWEEP_JOBS, progress).map_err(failed)?;
                let runs: Vec<String> = s.results.iter().map(|r| r.run_id.clone()).collect();
                also_log(client, n, c, &runs)?;
                let best = s.results.first().ok_or_else(|| {
                    failed(crate::experiments::ExperimentError::Train(
                        "the sweep finished no trial".into(),
                    ))
                })?;
                let experiment_id = client
                    .get_or_create_experiment(&plan.base.experiment_name)
                    .map_err(at(n, "looking up the sweep's experiment"))?;
                chosen.push(Some((experiment_id, best.run_id.clone())));
                push_unique(&mut summary.experiments, &plan.base.experiment_name);
                summary.steps.push(StepSummary::Sweep {
                    config: c.config.clone(),
                    experiment: plan.base.experiment_name.clone(),
                    name: s.name.clone(),
                    parent_run_id: s.parent_run_id.clone(),
                    trials: s.results.len(),
                    metric: s.metric.clone(),
                    best_run_id: best.run_id.clone(),
                    best_score: best.score,
                });
            }
            (ReferenceStep::Promote(p), _) => {
                let from = p.from.unwrap_or(i);
                // Validation made `from` an earlier run or sweep step.
                let (experiment_id, run_id) = chosen
                    .get(from.wrapping_sub(1))
                    .cloned()
                    .flatten()
                    .ok_or_else(|| ExerciseError::NoModel {
                    step: n,
                    run_id: format!("of step {from}"),
                })?;
                progress.set_message(format!("step {n}: registering {}", prefixed(&p.model)));
                let s = promote(client, n, p, &prefixed(&p.model), &experiment_id, &run_id)?;
                chosen.push(None);
                summary.steps.push(s);
            }
            _ => unreachable!("plans are made from the steps, one for one"),
        }
    }
    Ok(summary)
}

/// A step's config, checked.
enum Plan {
    Run(Box<ExperimentConfig>),
    Sweep(Box<SweepPlan>),
    Promote,
}

fn push_unique(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_owned());
    }
}

fn text_of<'a>(reference: &'a crate::task::ReferenceSpec, c: &ConfigStep) -> &'a str {
    // Loading the task file attached every config its steps name.
    reference.files.get(&c.config).map_or("", String::as_str)
}

/// The folder CSV paths in a config are relative to: the config's own, when it is a file.
fn config_dir(reference: &crate::task::ReferenceSpec, c: &ConfigStep) -> std::path::PathBuf {
    let rel = Path::new(&c.config).parent().unwrap_or(Path::new(""));
    match &reference.base {
        Some(base) => base.join(rel),
        None => rel.to_path_buf(),
    }
}

fn missing(c: &ConfigStep) -> crate::experiments::ConfigError {
    crate::experiments::ConfigError::Invalid {
        origin: c.config.clone(),
        key: "<document>".into(),
        message: "the task file was not loaded from a file, so its reference configs were not read"
            .into(),
    }
}

fn parse_run_config(
    reference: &crate::task::ReferenceSpec,
    c: &ConfigStep,
) -> Result<ExperimentConfig, crate::experiments::ConfigError> {
    if !reference.files.contains_key(&c.config) {
        return Err(missing(c));
    }
    let is_toml = c.config.ends_with(".toml");
    let config = ExperimentConfig::parse(text_of(reference, c), is_toml, &c.config)?;
    Ok(config.relative_to(&config_dir(reference, c)))
}

/// The sweep file with the name prefix and seed applied before it is planned (a random or TPE
/// sweep draws its trials from the seed).
fn parse_sweep(
    reference: &crate::task::ReferenceSpec,
    c: &ConfigStep,
    prefixed: &dyn Fn(&str) -> String,
    seed: Option<u32>,
) -> Result<SweepPlan, crate::experiments::ConfigError> {
    if !reference.files.contains_key(&c.config) {
        return Err(missing(c));
    }
    let invalid = |key: &str, message: String| crate::experiments::ConfigError::Invalid {
        origin: c.config.clone(),
        key: key.into(),
        message,
    };
    let mut doc: serde_yaml_ng::Mapping = serde_yaml_ng::from_str(text_of(reference, c))
        .map_err(|e| invalid("<document>", e.to_string()))?;
    let name = doc
        .get("experiment_name")
        .and_then(|v| v.as_str())
        .ok_or_else(|| invalid("experiment_name", "a sweep file needs one".into()))?
        .to_owned();
    doc.insert("experiment_name".into(), prefixed(&name).into());
    if let Some(seed) = seed {
        doc.insert("seed".into(), u64::from(seed).into());
    }
    if let Some(serde_yaml_ng::Value::Mapping(register)) = doc.get_mut("register")
        && let Some(model) = register
            .get("name")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    {
        register.insert("name".into(), prefixed(&model).into());
    }
    let text = serde_yaml_ng::to_string(&doc).map_err(|e| invalid("<document>", e.to_string()))?;
    SweepPlan::parse(&text, &c.config, &config_dir(reference, c))
}

fn config_file(reference: &crate::task::ReferenceSpec, c: &ConfigStep) -> ConfigFile {
    ConfigFile {
        name: Path::new(&c.config)
            .file_name()
            .map_or_else(|| c.config.clone(), |n| n.to_string_lossy().into_owned()),
        bytes: text_of(reference, c).as_bytes().to_vec(),
    }
}

/// Logs the step's params and artefacts again under the exercise's names, on each of `runs`.
fn also_log(
    client: &MlflowClient,
    step: usize,
    c: &ConfigStep,
    runs: &[String],
) -> Result<(), ExerciseError> {
    if c.also_params.is_empty() && c.also_artifacts.is_empty() {
        return Ok(());
    }
    for run_id in runs {
        let run = client
            .get_run(run_id)
            .map_err(at(step, format!("reading run {run_id}")))?;
        let mut params = Vec::new();
        for (name, from) in &c.also_params {
            let value = run.param(from).ok_or_else(|| ExerciseError::Experiment {
                step,
                source: Box::new(crate::experiments::ExperimentError::Train(format!(
                    "run {run_id} logged no param `{from}` to log again as `{name}`"
                ))),
            })?;
            // A resumed sweep's trials have them already; MLflow refuses a changed value only.
            if run.param(name) != Some(value) {
                params.push(KeyValue::new(name, value));
            }
        }
        if !params.is_empty() {
            client
                .log_batch(run_id, &[], &params, &[])
                .map_err(at(step, format!("logging params on run {run_id}")))?;
        }
        for (name, from) in &c.also_artifacts {
            let bytes = client
                .download_artifact(&run.info.artifact_uri, from)
                .map_err(at(step, format!("reading artefact {from} of run {run_id}")))?;
            client
                .upload_artifact(&run.info.artifact_uri, name, bytes)
                .map_err(at(step, format!("logging artefact {name} on run {run_id}")))?;
        }
    }
    Ok(())
}

/// Registers the model `run_id` logged as a new version of `model`, gives the registered model
/// its description, and points the alias and the stage at the version.
fn promote(
    client: &MlflowClient,
    step: usize,
    p: &PromoteStep,
    model: &str,
    experiment_id: &str,
    run_id: &str,
) -> Result<StepSummary, ExerciseError> {
    let logged = client
        .search_logged_models(&[experiment_id.to_owned()])
        .map_err(at(step, "listing the logged models"))?;
    let model_id = logged
        .iter()
        .find(|m| m.info.source_run_id == run_id)
        .map(|m| m.info.model_id.clone())
        .ok_or_else(|| ExerciseError::NoModel {
            step,
            run_id: run_id.to_owned(),
        })?;
    if client
        .find_registered_model(model)
        .map_err(at(step, format!("looking up `{model}`")))?
        .is_none()
    {
        client
            .create_registered_model(model, &[], p.description.as_deref())
            .map_err(at(step, format!("creating registered model `{model}`")))?;
    } else if let Some(d) = &p.description {
        client
            .update_registered_model_description(model, d)
            .map_err(at(step, format!("describing `{model}`")))?;
    }
    let version = client
        .create_model_version(&NewModelVersion {
            name: model.to_owned(),
            source: format!("models:/{model_id}"),
            run_id: Some(run_id.to_owned()),
            model_id: Some(model_id.clone()),
            tags: vec![],
            description: None,
        })
        .map_err(at(step, format!("registering a version of `{model}`")))?
        .version;
    if let Some(alias) = &p.alias {
        client
            .set_alias(model, alias, &version)
            .map_err(at(step, format!("setting alias `{alias}` of `{model}`")))?;
    }
    if let Some(stage) = &p.stage {
        // Validation admits MLflow's stage names only.
        let parsed = Stage::parse(stage).unwrap_or(Stage::None);
        client
            .transition_model_version_stage(model, &version, parsed, true)
            .map_err(at(
                step,
                format!("moving `{model}` v{version} to stage {stage}"),
            ))?;
    }
    Ok(StepSummary::Promote {
        model: model.to_owned(),
        version,
        run_id: run_id.to_owned(),
        alias: p.alias.clone(),
        stage: p.stage.clone(),
    })
}

/// What `harness run TASK` prints for an exercise.
///
/// # Errors
/// When `out` cannot be written.
pub fn render(summary: &ExerciseSummary, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "Reference run of `{}`", summary.task)?;
    if let Some(about) = &summary.about {
        writeln!(out, "{about}")?;
    }
    for (i, s) in summary.steps.iter().enumerate() {
        let n = i + 1;
        match s {
            StepSummary::Run {
                config,
                experiment,
                run_name,
                run_id,
                val_accuracy,
                test_accuracy,
            } => writeln!(
                out,
                "{n}. run {config}: experiment `{experiment}`, run `{run_name}` ({run_id}): val_accuracy {val_accuracy:.4}, test_accuracy {test_accuracy:.4}"
            )?,
            StepSummary::Sweep {
                config,
                experiment,
                name,
                trials,
                metric,
                best_run_id,
                best_score,
                ..
            } => writeln!(
                out,
                "{n}. sweep {config}: `{name}` in experiment `{experiment}`, {trials} trials; best {metric} {best_score:.4} (run {best_run_id}, tagged is_best)"
            )?,
            StepSummary::Promote {
                model,
                version,
                run_id,
                alias,
                stage,
            } => {
                let mut how = Vec::new();
                if let Some(a) = alias {
                    how.push(format!("alias @{a}"));
                }
                if let Some(s) = stage {
                    how.push(format!("stage {s}"));
                }
                writeln!(
                    out,
                    "{n}. registered `{model}` version {version} from run {run_id}{}",
                    if how.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", how.join(", "))
                    }
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
