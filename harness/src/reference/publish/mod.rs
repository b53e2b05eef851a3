//! The task-independent half of a reference run: one MLflow run per model version, a logged
//! model with its files, a registered version, tags, and aliases by [`super::ranking`].
//!
//! It does what `mlflow.<flavor>.log_model(..., registered_model_name=…)` does in MLflow 3
//! (create logged model → upload files → finalize READY → runs/outputs → model-versions/create
//! with `source = models:/<model id>`), then the homework's registry set-up.
//!
//! # Re-runs and interrupted runs
//! Before writing anything, [`publish`] looks for the registered model and for active runs in
//! the experiment named like the planned runs. Either one makes it refuse, unless `replace` is
//! set: then it deletes the registered model (its versions and aliases go with it), soft-deletes
//! those runs (MLflow keeps them in the "deleted" lifecycle until `mlflow gc`) and deletes their
//! logged models. The registered model is created *first* and carries the tag
//! [`INCOMPLETE_TAG`] until the aliases are set, so a run killed half-way leaves a registered
//! model that says it is unfinished, and a re-run refuses it (or, with `replace`, removes it and
//! the runs it made) instead of quietly adding a second set of runs.
//!
//! # Parts
//! This file is the flow and its types; the steps live beside it: `prepare` (refuse or
//! `--replace` what is there), `log` (a version's run and logged model), `register` (versions
//! and aliases), `champion` (the champion downloaded back by alias), `plan` (the pure rules:
//! tags, names, numbering) and `parallel` (independent requests side by side).

mod champion;
mod log;
mod parallel;
mod plan;
mod prepare;
mod register;

use std::thread::ScopedJoinHandle;

use serde::Serialize;

use crate::mlflow::{DatasetInput, KeyValue, MlflowClient};
use crate::progress::Progress;

use super::error::{RunError, at};
use super::ranking::{ALIAS_RULE, AliasAssignment, RankError, Scored, assign_aliases};
use crate::model::mlmodel::MlModel;

pub use champion::{DownloadedChampion, download_champion};
pub(crate) use plan::check_run_names;
pub(crate) use plan::fill_placeholders;

use log::{Failed, Logged, VersionLogger, create_run, fail_run, finish_runs};
use parallel::{both, join, parallel};
use plan::{registered_model_tags, version_number};
use prepare::prepare;
use register::{alias_jobs, apply_aliases, register, registered_status};

/// Registered-model tag present while a run is publishing; removed once the aliases are set.
/// Defined with the client, since `check` reads it too.
pub use crate::mlflow::INCOMPLETE_TAG;
/// Registered-model tag recording [`ALIAS_RULE`].
pub const ALIAS_RULE_TAG: &str = "alias_rule";

/// Where the versions go and how the registered model is described.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryPlan {
    pub experiment: String,
    pub registered_model: String,
    pub description: String,
    /// Registered-model tags (e.g. `task`, `dataset`, `team`); [`ALIAS_RULE_TAG`] is added.
    pub tags: Vec<KeyValue>,
    /// One entry per version, in version order; the first is the baseline.
    pub versions: Vec<VersionPlan>,
}

/// What is known about a version before its run starts.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionPlan {
    pub run_name: String,
    /// Run tags (provenance); `mlflow.runName` comes from `run_name`.
    pub(crate) run_tags: Vec<KeyValue>,
}

/// A file of a logged model, relative to the model's directory.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArtifactFile {
    pub path: String,
    pub(crate) bytes: Vec<u8>,
}

/// The files the `onnx` and `python_function` flavors point at: the ONNX model and the
/// environment files naming the pinned mlflow, onnx and onnxruntime.
pub(crate) fn onnx_model_files(onnx_bytes: Vec<u8>) -> Vec<ArtifactFile> {
    use crate::onnx;
    let file = |path: &str, bytes: Vec<u8>| ArtifactFile {
        path: path.into(),
        bytes,
    };
    vec![
        file(onnx::ONNX_FILE, onnx_bytes),
        file(onnx::CONDA_FILE, onnx::conda_yaml().into_bytes()),
        file(onnx::PYTHON_ENV_FILE, onnx::python_env_yaml().into_bytes()),
        file(
            onnx::REQUIREMENTS_FILE,
            onnx::requirements_txt().into_bytes(),
        ),
    ]
}

/// What a producer returns for one version, once its model is trained.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionDraft {
    pub params: Vec<KeyValue>,
    /// Final metrics, logged at step 0. Producers log histories (epochs) themselves through
    /// [`OpenRun::client`].
    pub(crate) metrics: Vec<(String, f64)>,
    pub(crate) datasets: Vec<DatasetInput>,
    /// The logged model's name (MLflow's `name=` argument, `model` by default).
    pub(crate) model_name: String,
    /// The model's files except `MLmodel`.
    pub(crate) files: Vec<ArtifactFile>,
    /// The `MLmodel` to write; `publish` fills in the ids, paths, time and MLflow version.
    pub mlmodel: MlModel,
    /// Version tags (e.g. `model_type`); `status` is added from the role the version gets
    /// ([`super::ranking::Role::status`]).
    pub(crate) version_tags: Vec<KeyValue>,
    pub(crate) version_description: Option<String>,
    /// Test accuracy and weighted F1, as fractions: what the aliases are decided on.
    pub accuracy: f64,
    pub f1: f64,
}

/// The run a producer is called inside; it can log more to it (per-epoch metrics, artefacts).
#[derive(Debug)]
pub struct OpenRun<'a> {
    pub client: &'a MlflowClient,
    pub run_id: &'a str,
    /// 0-based position in [`RegistryPlan::versions`].
    pub(crate) index: usize,
}

/// What `--replace` removed before publishing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cleanup {
    pub registered_model_deleted: bool,
    /// Ids of the runs soft-deleted (named like a planned run).
    pub runs_deleted: Vec<String>,
    pub logged_models_deleted: usize,
}

/// One published version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedVersion {
    pub version: u32,
    pub run_name: String,
    pub run_id: String,
    pub model_id: String,
    /// `models:/<model id>`.
    pub source: String,
    pub artifact_uri: String,
    pub accuracy: f64,
    pub f1: f64,
    /// The `status` tag.
    pub status: String,
    /// Aliases pointing at this version.
    pub aliases: Vec<String>,
}

/// The registry state [`publish`] left.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Published {
    pub tracking_uri: String,
    pub experiment: String,
    pub experiment_id: String,
    pub registered_model: String,
    pub cleanup: Cleanup,
    pub versions: Vec<PublishedVersion>,
    pub aliases: AliasAssignment,
    pub(crate) alias_rule: String,
}

/// Publishes every version of `plan`. `produce(open_run)` trains (or loads) one version inside
/// its run and returns what to log and register; it is called on this thread, one version after
/// the other. A failure marks the failing run FAILED (its logged model UPLOAD_FAILED) and is
/// returned; versions before it stay registered, and the registered model keeps
/// [`INCOMPLETE_TAG`].
///
/// Requests that do not depend on each other run concurrently (one version's uploads while the
/// next one trains, a version's files side by side, the aliases and tags at the end): each MLflow
/// request costs 10–50 ms of server time, and a task makes about fifty of them. Versions are
/// still registered strictly in order, so v1, v2, … are the plan's order.
///
/// # Errors
/// [`RunError::AlreadyExists`] without `replace` when the registered model or planned runs
/// exist; otherwise the first failing MLflow call (with the step it was in) or producer error.
pub fn publish(
    client: &MlflowClient,
    plan: &RegistryPlan,
    replace: bool,
    progress: &Progress,
    mut produce: impl FnMut(&OpenRun<'_>) -> Result<VersionDraft, RunError>,
) -> Result<Published, RunError> {
    if plan.versions.is_empty() {
        return Err(RunError::Spec(
            "a task needs at least one model version".into(),
        ));
    }
    let name = &plan.registered_model;
    progress.set_message(format!(
        "checking `{name}` and experiment `{}`",
        plan.experiment
    ));
    let (cleanup, experiment_id) = prepare(client, plan, replace, progress)?;
    let experiment_id = match experiment_id {
        Some(id) => id,
        None => client
            .get_or_create_experiment(&plan.experiment)
            .map_err(at(format!("creating experiment `{}`", plan.experiment)))?,
    };
    let mlflow_version = create_registered_model(client, plan)?;
    let logger = VersionLogger::new(client, &experiment_id, &mlflow_version);
    let outcome = publish_versions(client, plan, &logger, progress, &mut produce);
    let mut versions = outcome.registered;
    if let Some(error) = outcome.failure {
        // Registered versions' runs still end FINISHED (best effort: the failure matters more).
        let _ = parallel(finish_runs(client, &versions));
        return Err(error);
    }

    progress.set_message(format!("setting aliases of `{name}`"));
    // Cannot fail here: a ranking error was reported as the failure above.
    let aliases = outcome.aliases?;
    apply_aliases(&mut versions, &aliases);
    let mut jobs = finish_runs(client, &versions);
    jobs.extend(alias_jobs(client, name, &aliases));
    parallel(jobs)?;
    // Last, so that an interruption anywhere above leaves the marker.
    client
        .delete_registered_model_tag(name, INCOMPLETE_TAG)
        .map_err(at(format!("marking `{name}` complete")))?;
    Ok(Published {
        tracking_uri: crate::mlflow::redact_url(client.tracking_uri()),
        experiment: plan.experiment.clone(),
        experiment_id,
        registered_model: name.clone(),
        cleanup,
        versions,
        aliases,
        alias_rule: ALIAS_RULE.to_owned(),
    })
}

/// Creates the registered model, marked incomplete, *before* any run: an interrupted publish
/// then leaves a model that says so. Returns the server's MLflow version.
fn create_registered_model(client: &MlflowClient, plan: &RegistryPlan) -> Result<String, RunError> {
    let name = &plan.registered_model;
    let tags = registered_model_tags(plan);
    let (created, version) = both(
        || client.create_registered_model(name, &tags, Some(&plan.description)),
        || client.server_version(),
    );
    created.map_err(at(format!("creating registered model `{name}`")))?;
    // MLmodel's `mlflow_version` names the MLflow that wrote it; ours is the server's.
    Ok(version.unwrap_or_else(|_| crate::server::MLFLOW_VERSION.to_owned()))
}

/// What [`publish_versions`] did: the versions registered, the ranking, and the first failure
/// in version order.
struct VersionsOutcome {
    registered: Vec<PublishedVersion>,
    aliases: Result<AliasAssignment, RankError>,
    failure: Option<RunError>,
}

/// A version whose run exists and whose logging runs on its own thread.
type Logging<'scope> = (String, ScopedJoinHandle<'scope, Result<Logged, Failed>>);

/// Creates, produces, logs and registers each version of `plan`. Runs are created and
/// produced here in order; each version's logging and upload continues on its own thread while
/// the next version trains.
fn publish_versions(
    client: &MlflowClient,
    plan: &RegistryPlan,
    logger: &VersionLogger<'_>,
    progress: &Progress,
    produce: &mut impl FnMut(&OpenRun<'_>) -> Result<VersionDraft, RunError>,
) -> VersionsOutcome {
    std::thread::scope(|scope| {
        let mut logging: Vec<Logging<'_>> = Vec::new();
        let mut scored = Vec::new();
        let mut failure: Option<RunError> = None;
        for (index, vp) in plan.versions.iter().enumerate() {
            progress.set_message(format!("run {}", vp.run_name));
            let run_id = match create_run(client, logger.experiment_id(), vp) {
                Ok(id) => id,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            let open = OpenRun {
                client,
                run_id: &run_id,
                index,
            };
            match produce(&open) {
                Ok(draft) => {
                    scored.push(Scored {
                        version: version_number(index),
                        accuracy: draft.accuracy,
                        f1: draft.f1,
                    });
                    let job_run_id = run_id.clone();
                    let handle = scope.spawn(move || logger.log(&job_run_id, &vp.run_name, draft));
                    logging.push((run_id, handle));
                }
                Err(e) => {
                    fail_run(client, &run_id, None);
                    failure = Some(e);
                    break;
                }
            }
        }
        // Every score is known before anything is registered, so each version is created with
        // its final `status` tag (saving a request per version).
        let aliases = assign_aliases(&scored, 1);
        let rank_failure = match &aliases {
            Err(e) if failure.is_none() => Some(e.clone().into()),
            _ => None,
        };
        let (registered, first_failure) = register_in_order(
            client,
            &plan.registered_model,
            logging,
            &aliases,
            rank_failure,
        );
        VersionsOutcome {
            registered,
            aliases,
            failure: first_failure.or(failure),
        }
    })
}

/// Registers the logged versions in plan order. After a failure (`failure` already set, or one
/// here) nothing more is registered: later runs are marked FAILED, and the first failure in
/// version order is the one returned.
fn register_in_order(
    client: &MlflowClient,
    name: &str,
    logging: Vec<Logging<'_>>,
    aliases: &Result<AliasAssignment, RankError>,
    mut failure: Option<RunError>,
) -> (Vec<PublishedVersion>, Option<RunError>) {
    let mut registered = Vec::new();
    for (index, (run_id, handle)) in logging.into_iter().enumerate() {
        let logged = join(handle);
        if failure.is_some() {
            fail_run(
                client,
                &run_id,
                logged.err().and_then(|f| f.pending_model).as_deref(),
            );
            continue;
        }
        let expected = version_number(index);
        let status = registered_status(aliases, expected);
        match logged.and_then(|l| register(client, name, expected, status, l).map_err(Failed::from))
        {
            Ok(v) => registered.push(v),
            Err(f) => {
                fail_run(client, &run_id, f.pending_model.as_deref());
                failure = Some(*f.error);
            }
        }
    }
    (registered, failure)
}
