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

use serde::Serialize;

use crate::mlflow::{
    DatasetInput, KeyValue, LoggedModelStatus, Metric, MlflowClient, NewLoggedModel,
    NewModelVersion, NewRun, RunSearch, RunStatus, ViewType, now_ms,
};
use crate::progress::Progress;

use super::error::{RunError, at};
use super::mlmodel::{MLMODEL_FILE, MlModel, utc_time};
use super::ranking::{ALIAS_RULE, AliasAssignment, Scored, assign_aliases};

/// Registered-model tag present while a run is publishing; removed once the aliases are set.
pub const INCOMPLETE_TAG: &str = "harness.incomplete";
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
    pub run_tags: Vec<KeyValue>,
}

/// A file of a logged model, relative to the model's directory.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What a producer returns for one version, once its model is trained.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionDraft {
    pub params: Vec<KeyValue>,
    /// Final metrics, logged at step 0. Producers log histories (epochs) themselves through
    /// [`OpenRun::client`].
    pub metrics: Vec<(String, f64)>,
    pub datasets: Vec<DatasetInput>,
    /// The logged model's name (MLflow's `name=` argument, `model` by default).
    pub model_name: String,
    /// The model's files except `MLmodel`.
    pub files: Vec<ArtifactFile>,
    /// The `MLmodel` to write; `publish` fills in the ids, paths, time and MLflow version.
    pub mlmodel: MlModel,
    /// Version tags (e.g. `model_type`); `status` is added from the role the version gets
    /// ([`super::ranking::Role::status`]).
    pub version_tags: Vec<KeyValue>,
    pub version_description: Option<String>,
    /// Test accuracy and weighted F1, as fractions: what the aliases are decided on.
    pub accuracy: f64,
    pub f1: f64,
}

/// The run a producer is called inside; it can log more to it (per-epoch metrics, artefacts).
#[derive(Debug)]
pub struct OpenRun<'a> {
    pub client: &'a MlflowClient,
    pub experiment_id: &'a str,
    pub run_id: &'a str,
    pub run_name: &'a str,
    /// 0-based position in [`RegistryPlan::versions`].
    pub index: usize,
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
    pub alias_rule: String,
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

    let mut rm_tags = plan.tags.clone();
    rm_tags.push(KeyValue::new(ALIAS_RULE_TAG, ALIAS_RULE));
    rm_tags.push(KeyValue::new(
        INCOMPLETE_TAG,
        "a harness run is publishing this model; if no run is, it was interrupted: re-run with --replace",
    ));
    let (created, version) = both(
        || client.create_registered_model(name, &rm_tags, Some(&plan.description)),
        || client.server_version(),
    );
    created.map_err(at(format!("creating registered model `{name}`")))?;
    // MLmodel's `mlflow_version` names the MLflow that wrote it; ours is the server's.
    let mlflow_version = version.unwrap_or_else(|_| crate::server::MLFLOW_VERSION.to_owned());

    let datasets_lock = std::sync::Mutex::new(());
    let (mut versions, aliases, failure) = std::thread::scope(|scope| {
        // Runs are created and produced here in order; each version's logging and upload
        // continues on its own thread while the next version trains.
        let mut logging = Vec::new();
        let mut scored = Vec::new();
        let mut failure: Option<RunError> = None;
        for (index, vp) in plan.versions.iter().enumerate() {
            progress.set_message(format!("run {}", vp.run_name));
            let run = match client
                .create_run(&NewRun {
                    experiment_id: experiment_id.clone(),
                    run_name: Some(vp.run_name.clone()),
                    start_time: None,
                    tags: vp.run_tags.clone(),
                })
                .map_err(at(format!("creating run `{}`", vp.run_name)))
            {
                Ok(run) => run,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            let run_id = run.info.run_id;
            let open = OpenRun {
                client,
                experiment_id: &experiment_id,
                run_id: &run_id,
                run_name: &vp.run_name,
                index,
            };
            match produce(&open) {
                Ok(draft) => {
                    scored.push(Scored {
                        version: index as u32 + 1,
                        accuracy: draft.accuracy,
                        f1: draft.f1,
                    });
                    let (experiment_id, mlflow_version, datasets_lock) =
                        (&experiment_id, &mlflow_version, &datasets_lock);
                    let job_run_id = run_id.clone();
                    let handle = scope.spawn(move || {
                        log_version(
                            client,
                            datasets_lock,
                            experiment_id,
                            &job_run_id,
                            &vp.run_name,
                            draft,
                            mlflow_version,
                        )
                    });
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
        // its final `status` tag (saving a request per version). Versions are numbered 1, 2, …
        // in plan order (`register` checks it), so the ranking can use those numbers now.
        let aliases = assign_aliases(&scored, 1);
        // Register in plan order. After a failure nothing more is registered: later runs are
        // marked FAILED, and the first failure in version order is the one reported.
        let mut registered = Vec::new();
        let mut first_failure: Option<RunError> = match &aliases {
            Err(e) if failure.is_none() => Some(e.clone().into()),
            _ => None,
        };
        for (index, (run_id, handle)) in logging.into_iter().enumerate() {
            let logged = join(handle);
            if first_failure.is_some() {
                fail_run(
                    client,
                    &run_id,
                    logged.err().and_then(|f| f.pending_model).as_deref(),
                );
                continue;
            }
            let expected = index as u32 + 1;
            let status = aliases
                .as_ref()
                .map(|a| a.role(expected).status())
                .unwrap_or_default();
            match logged
                .and_then(|l| register(client, name, expected, status, l).map_err(Failed::from))
            {
                Ok(v) => registered.push(v),
                Err(f) => {
                    fail_run(client, &run_id, f.pending_model.as_deref());
                    first_failure = Some(*f.error);
                }
            }
        }
        (registered, aliases, first_failure.or(failure))
    });

    if let Some(error) = failure {
        // Registered versions' runs still end FINISHED (best effort: the failure matters more).
        let _ = parallel(finish_runs(client, &versions));
        return Err(error);
    }

    progress.set_message(format!("setting aliases of `{name}`"));
    // Cannot fail here: a ranking error was reported as the failure above.
    let aliases = aliases?;
    for v in &mut versions {
        v.status = aliases.role(v.version).status().to_owned();
        v.aliases = aliases
            .aliases_of(v.version)
            .into_iter()
            .map(String::from)
            .collect();
    }
    let mut jobs = finish_runs(client, &versions);
    for (alias, version) in aliases.pairs() {
        jobs.push(Box::new(move || {
            client
                .set_alias(name, alias, &version.to_string())
                .map_err(at(format!(
                    "setting alias `{alias}` → v{version} of `{name}`"
                )))
        }));
    }
    parallel(jobs)?;
    // Last, so that an interruption anywhere above leaves the marker.
    client
        .delete_registered_model_tag(name, INCOMPLETE_TAG)
        .map_err(at(format!("marking `{name}` complete")))?;
    Ok(Published {
        tracking_uri: client.tracking_uri().to_string(),
        experiment: plan.experiment.clone(),
        experiment_id,
        registered_model: name.clone(),
        cleanup,
        versions,
        aliases,
        alias_rule: ALIAS_RULE.to_owned(),
    })
}

/// A version's failure, with the logged model left PENDING by it (to mark UPLOAD_FAILED).
#[derive(Debug)]
struct Failed {
    error: Box<RunError>,
    pending_model: Option<String>,
}

impl From<RunError> for Failed {
    fn from(error: RunError) -> Self {
        Failed {
            error: Box::new(error),
            pending_model: None,
        }
    }
}

/// A version logged and its model READY, waiting to be registered.
#[derive(Debug)]
struct Logged {
    run_id: String,
    run_name: String,
    model_id: String,
    artifact_uri: String,
    version_tags: Vec<KeyValue>,
    version_description: Option<String>,
    accuracy: f64,
    f1: f64,
}

/// Params, metrics, dataset, and the logged model (files, `MLmodel`, READY, run output).
fn log_version(
    client: &MlflowClient,
    datasets_lock: &std::sync::Mutex<()>,
    experiment_id: &str,
    run_id: &str,
    run_name: &str,
    draft: VersionDraft,
    mlflow_version: &str,
) -> Result<Logged, Failed> {
    let now = now_ms();
    let metrics: Vec<Metric> = draft
        .metrics
        .iter()
        .map(|(k, v)| Metric::new(k.clone(), *v, now, 0))
        .collect();
    let (batch, (inputs, lm)) = both(
        || client.log_batch(run_id, &metrics, &draft.params, &[]),
        || {
            both(
                || {
                    if draft.datasets.is_empty() {
                        return Ok(());
                    }
                    // MLflow inserts a dataset into the experiment on first use; two runs
                    // logging the same dataset at once race on that insert and one gets a
                    // 400. So dataset logging goes one version at a time (a poisoned lock
                    // only means another version's thread panicked: the lock is still usable).
                    let _guard = datasets_lock
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    client.log_inputs(run_id, &draft.datasets)
                },
                || {
                    client.create_logged_model(&NewLoggedModel {
                        experiment_id: experiment_id.to_owned(),
                        name: draft.model_name.clone(),
                        model_type: None,
                        source_run_id: Some(run_id.to_owned()),
                        params: draft.params.clone(),
                        tags: vec![],
                    })
                },
            )
        },
    );
    let lm = lm.map_err(at(format!("creating the logged model of `{run_name}`")))?;
    let model_id = lm.info.model_id;
    let artifact_uri = lm.info.artifact_uri;
    let pending = |error: RunError| Failed {
        error: Box::new(error),
        pending_model: Some(model_id.clone()),
    };
    batch
        .map_err(at(format!("logging params and metrics of `{run_name}`")))
        .map_err(pending)?;
    inputs
        .map_err(at(format!("logging the dataset of `{run_name}`")))
        .map_err(pending)?;

    let mut mlmodel = draft.mlmodel;
    mlmodel.artifact_path = artifact_uri.clone();
    mlmodel.model_id = model_id.clone();
    mlmodel.model_uuid = model_id.clone();
    mlmodel.run_id = run_id.to_owned();
    mlmodel.mlflow_version = mlflow_version.to_owned();
    mlmodel.utc_time_created = utc_time(now_ms());
    mlmodel.model_size_bytes = Some(draft.files.iter().map(|f| f.bytes.len() as u64).sum());
    let mut files = draft.files;
    files.push(ArtifactFile {
        path: MLMODEL_FILE.into(),
        bytes: mlmodel.to_yaml().into_bytes(),
    });
    let uploads: Vec<Job<'_>> = files
        .into_iter()
        .map(|file| -> Job<'_> {
            let artifact_uri = &artifact_uri;
            Box::new(move || {
                client
                    .upload_artifact(artifact_uri, &file.path, file.bytes)
                    .map_err(at(format!("uploading {} of `{run_name}`", file.path)))
            })
        })
        .collect();
    parallel(uploads).map_err(pending)?;
    client
        .finalize_logged_model(&model_id, LoggedModelStatus::Ready)
        .map_err(at(format!("finalizing logged model {model_id}")))
        .map_err(pending)?;
    client
        .log_outputs(run_id, &[(&model_id, 0)])
        .map_err(at(format!(
            "recording {model_id} as output of `{run_name}`"
        )))?;
    Ok(Logged {
        run_id: run_id.to_owned(),
        run_name: run_name.to_owned(),
        model_id,
        artifact_uri,
        version_tags: draft.version_tags,
        version_description: draft.version_description,
        accuracy: draft.accuracy,
        f1: draft.f1,
    })
}

/// Registers a logged version as version `expected` of `name` (the server also records the
/// version on the logged model's `mlflow.modelVersions` tag, as for the Python client).
fn register(
    client: &MlflowClient,
    name: &str,
    expected: u32,
    status: &str,
    l: Logged,
) -> Result<PublishedVersion, RunError> {
    let source = format!("models:/{}", l.model_id);
    let mut tags = l.version_tags;
    tags.push(KeyValue::new("status", status));
    let mv = client
        .create_model_version(&NewModelVersion {
            name: name.to_owned(),
            source: source.clone(),
            run_id: Some(l.run_id.clone()),
            model_id: Some(l.model_id.clone()),
            tags,
            description: l.version_description,
        })
        .map_err(at(format!(
            "registering `{}` as a version of `{name}`",
            l.run_name
        )))?;
    if mv.version != expected.to_string() {
        return Err(RunError::UnexpectedVersion {
            name: name.to_owned(),
            run_name: l.run_name,
            expected,
            got: mv.version,
        });
    }
    Ok(PublishedVersion {
        version: expected,
        run_name: l.run_name,
        run_id: l.run_id,
        model_id: l.model_id,
        source,
        artifact_uri: l.artifact_uri,
        accuracy: l.accuracy,
        f1: l.f1,
        status: status.to_owned(),
        aliases: vec![],
    })
}

/// One job per version: its run ends FINISHED.
fn finish_runs<'a>(client: &'a MlflowClient, versions: &'a [PublishedVersion]) -> Vec<Job<'a>> {
    versions
        .iter()
        .map(|v| -> Job<'a> {
            Box::new(move || {
                client
                    .update_run(&v.run_id, RunStatus::Finished, Some(now_ms()))
                    .map(drop)
                    .map_err(at(format!("finishing run `{}`", v.run_name)))
            })
        })
        .collect()
}

/// Best effort, after a failure: the run FAILED, a PENDING logged model UPLOAD_FAILED. Errors
/// here are dropped because the failure being reported matters more.
fn fail_run(client: &MlflowClient, run_id: &str, pending_model: Option<&str>) {
    if let Some(id) = pending_model {
        let _ = client.finalize_logged_model(id, LoggedModelStatus::UploadFailed);
    }
    let _ = client.update_run(run_id, RunStatus::Failed, Some(now_ms()));
}

/// One independent MLflow request (or a few in a row).
type Job<'a> = Box<dyn FnOnce() -> Result<(), RunError> + Send + 'a>;

/// Runs the jobs on scoped threads; all of them run to the end, and the first error in job
/// order is returned.
fn parallel(jobs: Vec<Job<'_>>) -> Result<(), RunError> {
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs.into_iter().map(|job| s.spawn(job)).collect();
        // Join every thread before looking at the results, so no job is still running when an
        // error is returned.
        let results: Vec<Result<(), RunError>> = handles.into_iter().map(join).collect();
        results.into_iter().collect()
    })
}

/// `a` on a scoped thread and `b` on this one; both results.
fn both<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|s| {
        let handle = s.spawn(a);
        let b = b();
        (join(handle), b)
    })
}

/// A scoped thread's result; a panic in it continues in the caller (it is a bug, not an error).
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Refuses an existing registered model or planned runs, or (with `replace`) removes them.
fn prepare(
    client: &MlflowClient,
    plan: &RegistryPlan,
    replace: bool,
    progress: &Progress,
) -> Result<(Cleanup, Option<String>), RunError> {
    let name = &plan.registered_model;
    let (existing, experiment) = both(
        || client.find_registered_model(name),
        || client.get_experiment_by_name(&plan.experiment),
    );
    let existing = existing.map_err(at(format!("looking up registered model `{name}`")))?;
    let experiment =
        experiment.map_err(at(format!("looking up experiment `{}`", plan.experiment)))?;
    let experiment_id = experiment.as_ref().map(|e| e.experiment_id.clone());
    let mut runs = Vec::new();
    let mut models = Vec::new();
    if let Some(exp) = &experiment {
        if exp.lifecycle_stage == "deleted" {
            return Err(RunError::ExperimentDeleted {
                name: exp.name.clone(),
                id: exp.experiment_id.clone(),
            });
        }
        let ids = std::slice::from_ref(&exp.experiment_id);
        let (found_runs, found_models) = both(
            || {
                client.search_runs(&RunSearch {
                    experiment_ids: ids.to_vec(),
                    run_view_type: ViewType::ActiveOnly,
                    ..Default::default()
                })
            },
            // Only --replace deletes logged models; fetch them now to save a round trip.
            || replace.then(|| client.search_logged_models(ids)),
        );
        runs = found_runs.map_err(at(format!(
            "listing runs of experiment `{}`",
            plan.experiment
        )))?;
        runs.retain(|r| plan.versions.iter().any(|v| v.run_name == r.info.run_name));
        models = found_models
            .transpose()
            .map_err(at(format!(
                "listing logged models of `{}`",
                plan.experiment
            )))?
            .unwrap_or_default();
        models.retain(|m| runs.iter().any(|r| r.info.run_id == m.info.source_run_id));
    }
    if existing.is_none() && runs.is_empty() {
        return Ok((Cleanup::default(), experiment_id));
    }
    if !replace {
        let mut what = Vec::new();
        if let Some(rm) = &existing {
            let state = if rm.tag(INCOMPLETE_TAG).is_some() {
                ", left incomplete by an interrupted run"
            } else {
                ""
            };
            what.push(format!("registered model `{name}` already exists{state}"));
        }
        if !runs.is_empty() {
            what.push(format!(
                "experiment `{}` already has {} active run(s) with this task's run names",
                plan.experiment,
                runs.len()
            ));
        }
        return Err(RunError::AlreadyExists {
            what: what.join(" and "),
            tracking_uri: client.tracking_uri().to_string(),
            registered_model: name.clone(),
            run_names: run_names(plan),
        });
    }
    progress.set_message(format!(
        "--replace: deleting {}{} run(s) and {} logged model(s)",
        if existing.is_some() {
            "the registered model, "
        } else {
            ""
        },
        runs.len(),
        models.len()
    ));
    let mut jobs: Vec<Job<'_>> = Vec::new();
    if existing.is_some() {
        jobs.push(Box::new(|| {
            client
                .delete_registered_model(name)
                .map_err(at(format!("deleting registered model `{name}`")))
        }));
    }
    for m in &models {
        jobs.push(Box::new(move || {
            client
                .delete_logged_model(&m.info.model_id)
                .map_err(at(format!("deleting logged model {}", m.info.model_id)))
        }));
    }
    for r in &runs {
        jobs.push(Box::new(move || {
            client.delete_run(&r.info.run_id).map_err(at(format!(
                "deleting run `{}` ({})",
                r.info.run_name, r.info.run_id
            )))
        }));
    }
    parallel(jobs)?;
    let cleanup = Cleanup {
        registered_model_deleted: existing.is_some(),
        runs_deleted: runs.into_iter().map(|r| r.info.run_id).collect(),
        logged_models_deleted: models.len(),
    };
    Ok((cleanup, experiment_id))
}

/// The champion as the registry serves it: downloaded through `models:/<name>@champion` into a
/// temporary directory (kept alive by this value), with its version number, `MLmodel` and our
/// flavor section `F`.
#[derive(Debug)]
pub struct DownloadedChampion<F> {
    pub uri: String,
    pub dir: tempfile::TempDir,
    pub files: Vec<String>,
    pub version: u32,
    pub mlmodel: MlModel,
    pub flavor: F,
}

impl<F> DownloadedChampion<F> {
    /// A `LoadedModel` error about this champion.
    pub fn bad(&self, reason: String) -> RunError {
        RunError::LoadedModel {
            uri: self.uri.clone(),
            reason,
        }
    }
}

/// Downloads `models:/<registered_model>@champion` and reads its `MLmodel` and flavor `flavor`.
pub fn download_champion<F: serde::de::DeserializeOwned>(
    client: &MlflowClient,
    registered_model: &str,
    flavor: &str,
) -> Result<DownloadedChampion<F>, RunError> {
    let uri = format!("models:/{registered_model}@champion");
    let bad = |reason: String| RunError::LoadedModel {
        uri: uri.clone(),
        reason,
    };
    let dir = tempfile::tempdir().map_err(|source| RunError::Io {
        action: "creating a temporary directory for",
        path: uri.clone(),
        source,
    })?;
    let (resolved, files) = client
        .download_model(&uri, dir.path())
        .map_err(at(format!("downloading {uri}")))?;
    let mv = resolved
        .version
        .ok_or_else(|| bad("the alias resolved to no registry version".into()))?;
    let version: u32 = mv
        .version
        .parse()
        .map_err(|_| bad(format!("version `{}` is not a number", mv.version)))?;
    let path = dir.path().join(MLMODEL_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| bad(format!("reading MLmodel: {e}")))?;
    let mlmodel =
        MlModel::from_yaml(&text).map_err(|e| bad(format!("MLmodel is not valid YAML: {e}")))?;
    let flavor: F = mlmodel
        .flavor(flavor)
        .ok_or_else(|| bad(format!("MLmodel has no `{flavor}` flavor")))?
        .map_err(|e| bad(format!("flavor `{flavor}`: {e}")))?;
    Ok(DownloadedChampion {
        uri,
        dir,
        files,
        version,
        mlmodel,
        flavor,
    })
}

/// A task needs at least one version, and each version a run name of its own (the runs are
/// found again by name for `--replace`).
pub fn check_run_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(), RunError> {
    let names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        return Err(RunError::Spec("`versions` is empty".into()));
    }
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(RunError::Spec(format!(
                "run name `{name}` is used twice; each version needs its own"
            )));
        }
    }
    Ok(())
}

fn run_names(plan: &RegistryPlan) -> String {
    plan.versions
        .iter()
        .map(|v| format!("`{}`", v.run_name))
        .collect::<Vec<_>>()
        .join(", ")
}
