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
    /// Version tags (e.g. `model_type`); `status` is added from the alias the version gets.
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
/// its run and returns what to log and register. A failure marks the current run FAILED (and its
/// logged model UPLOAD_FAILED) and is returned; the registered model keeps [`INCOMPLETE_TAG`].
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
    let cleanup = prepare(client, plan, replace, progress)?;
    let experiment_id = client
        .get_or_create_experiment(&plan.experiment)
        .map_err(at(format!("creating experiment `{}`", plan.experiment)))?;
    let mlflow_version = client
        .server_version()
        .unwrap_or_else(|_| crate::server::MLFLOW_VERSION.to_owned());

    let mut rm_tags = plan.tags.clone();
    rm_tags.push(KeyValue::new(ALIAS_RULE_TAG, ALIAS_RULE));
    rm_tags.push(KeyValue::new(
        INCOMPLETE_TAG,
        "a harness run is publishing this model; if no run is, it was interrupted: re-run with --replace",
    ));
    client
        .create_registered_model(name, &rm_tags, Some(&plan.description))
        .map_err(at(format!("creating registered model `{name}`")))?;

    let mut versions = Vec::with_capacity(plan.versions.len());
    for (index, vp) in plan.versions.iter().enumerate() {
        progress.set_message(format!("run {}", vp.run_name));
        let run = client
            .create_run(&NewRun {
                experiment_id: experiment_id.clone(),
                run_name: Some(vp.run_name.clone()),
                start_time: None,
                tags: vp.run_tags.clone(),
            })
            .map_err(at(format!("creating run `{}`", vp.run_name)))?;
        let open = OpenRun {
            client,
            experiment_id: &experiment_id,
            run_id: &run.info.run_id,
            run_name: &vp.run_name,
            index,
        };
        let mut logged_model: Option<String> = None;
        let outcome = publish_version(
            &open,
            name,
            index as u32 + 1,
            &mlflow_version,
            &mut logged_model,
            &mut produce,
        );
        match outcome {
            Ok(v) => versions.push(v),
            Err(e) => {
                // Best effort: the original error matters more than a failure to record it.
                if let Some(id) = &logged_model {
                    let _ = client.finalize_logged_model(id, LoggedModelStatus::UploadFailed);
                }
                let _ = client.update_run(&run.info.run_id, RunStatus::Failed, Some(now_ms()));
                return Err(e);
            }
        }
    }

    progress.set_message(format!("setting aliases of `{name}`"));
    let scored: Vec<Scored> = versions
        .iter()
        .map(|v| Scored {
            version: v.version,
            accuracy: v.accuracy,
            f1: v.f1,
        })
        .collect();
    let aliases = assign_aliases(&scored, versions[0].version)?;
    for (alias, version) in aliases.pairs() {
        client
            .set_alias(name, alias, &version.to_string())
            .map_err(at(format!(
                "setting alias `{alias}` → v{version} of `{name}`"
            )))?;
    }
    for v in &mut versions {
        v.status = aliases.role(v.version).status().to_owned();
        v.aliases = aliases
            .aliases_of(v.version)
            .into_iter()
            .map(String::from)
            .collect();
        client
            .set_model_version_tag(name, &v.version.to_string(), "status", &v.status)
            .map_err(at(format!("tagging v{} of `{name}`", v.version)))?;
    }
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

/// Everything for one version inside its open run, ending with the run FINISHED.
fn publish_version(
    open: &OpenRun<'_>,
    name: &str,
    expected_version: u32,
    mlflow_version: &str,
    logged_model: &mut Option<String>,
    produce: &mut impl FnMut(&OpenRun<'_>) -> Result<VersionDraft, RunError>,
) -> Result<PublishedVersion, RunError> {
    let client = open.client;
    let run_id = open.run_id;
    let run_name = open.run_name;
    let draft = produce(open)?;

    let now = now_ms();
    let metrics: Vec<Metric> = draft
        .metrics
        .iter()
        .map(|(k, v)| Metric::new(k.clone(), *v, now, 0))
        .collect();
    client
        .log_batch(run_id, &metrics, &draft.params, &[])
        .map_err(at(format!("logging params and metrics of `{run_name}`")))?;
    if !draft.datasets.is_empty() {
        client
            .log_inputs(run_id, &draft.datasets)
            .map_err(at(format!("logging the dataset of `{run_name}`")))?;
    }

    let lm = client
        .create_logged_model(&NewLoggedModel {
            experiment_id: open.experiment_id.to_owned(),
            name: draft.model_name.clone(),
            model_type: None,
            source_run_id: Some(run_id.to_owned()),
            params: draft.params.clone(),
            tags: vec![],
        })
        .map_err(at(format!("creating the logged model of `{run_name}`")))?;
    let model_id = lm.info.model_id.clone();
    *logged_model = Some(model_id.clone());
    let artifact_uri = lm.info.artifact_uri.clone();

    let mut mlmodel = draft.mlmodel;
    mlmodel.artifact_path = artifact_uri.clone();
    mlmodel.model_id = model_id.clone();
    mlmodel.model_uuid = model_id.clone();
    mlmodel.run_id = run_id.to_owned();
    mlmodel.mlflow_version = mlflow_version.to_owned();
    mlmodel.utc_time_created = utc_time(now_ms());
    mlmodel.model_size_bytes = Some(draft.files.iter().map(|f| f.bytes.len() as u64).sum());
    for file in draft.files {
        client
            .upload_artifact(&artifact_uri, &file.path, file.bytes)
            .map_err(at(format!("uploading {} of `{run_name}`", file.path)))?;
    }
    client
        .upload_artifact(&artifact_uri, MLMODEL_FILE, mlmodel.to_yaml().into_bytes())
        .map_err(at(format!("uploading MLmodel of `{run_name}`")))?;
    client
        .finalize_logged_model(&model_id, LoggedModelStatus::Ready)
        .map_err(at(format!("finalizing logged model {model_id}")))?;
    *logged_model = None;
    client
        .log_outputs(run_id, &[(&model_id, 0)])
        .map_err(at(format!(
            "recording {model_id} as output of `{run_name}`"
        )))?;

    let source = format!("models:/{model_id}");
    let mv = client
        .create_model_version(&NewModelVersion {
            name: name.to_owned(),
            source: source.clone(),
            run_id: Some(run_id.to_owned()),
            model_id: Some(model_id.clone()),
            tags: draft.version_tags,
            description: draft.version_description,
        })
        .map_err(at(format!(
            "registering `{run_name}` as a version of `{name}`"
        )))?;
    if mv.version != expected_version.to_string() {
        return Err(RunError::UnexpectedVersion {
            name: name.to_owned(),
            run_name: run_name.to_owned(),
            expected: expected_version,
            got: mv.version,
        });
    }
    // What the Python client records on the logged model after registering it.
    let versions_tag = serde_json::json!([{"name": name, "version": mv.version}]).to_string();
    client
        .set_logged_model_tags(
            &model_id,
            &[KeyValue::new("mlflow.modelVersions", versions_tag)],
        )
        .map_err(at(format!("tagging logged model {model_id}")))?;
    client
        .update_run(run_id, RunStatus::Finished, Some(now_ms()))
        .map_err(at(format!("finishing run `{run_name}`")))?;
    Ok(PublishedVersion {
        version: expected_version,
        run_name: run_name.to_owned(),
        run_id: run_id.to_owned(),
        model_id,
        source,
        artifact_uri,
        accuracy: draft.accuracy,
        f1: draft.f1,
        status: String::new(),
        aliases: vec![],
    })
}

/// Refuses an existing registered model or planned runs, or (with `replace`) removes them.
fn prepare(
    client: &MlflowClient,
    plan: &RegistryPlan,
    replace: bool,
    progress: &Progress,
) -> Result<Cleanup, RunError> {
    let name = &plan.registered_model;
    let existing = client
        .find_registered_model(name)
        .map_err(at(format!("looking up registered model `{name}`")))?;
    let experiment = client
        .get_experiment_by_name(&plan.experiment)
        .map_err(at(format!("looking up experiment `{}`", plan.experiment)))?;
    let mut runs = Vec::new();
    if let Some(exp) = &experiment {
        if exp.lifecycle_stage == "deleted" {
            return Err(RunError::ExperimentDeleted {
                name: exp.name.clone(),
                id: exp.experiment_id.clone(),
            });
        }
        runs = client
            .search_runs(&RunSearch {
                experiment_ids: vec![exp.experiment_id.clone()],
                run_view_type: ViewType::ActiveOnly,
                ..Default::default()
            })
            .map_err(at(format!(
                "listing runs of experiment `{}`",
                plan.experiment
            )))?;
        runs.retain(|r| plan.versions.iter().any(|v| v.run_name == r.info.run_name));
    }
    if existing.is_none() && runs.is_empty() {
        return Ok(Cleanup::default());
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
    let mut cleanup = Cleanup::default();
    if existing.is_some() {
        progress.set_message(format!("--replace: deleting registered model `{name}`"));
        client
            .delete_registered_model(name)
            .map_err(at(format!("deleting registered model `{name}`")))?;
        cleanup.registered_model_deleted = true;
    }
    if let (Some(exp), false) = (&experiment, runs.is_empty()) {
        progress.set_message(format!("--replace: deleting {} old run(s)", runs.len()));
        let models = client
            .search_logged_models(std::slice::from_ref(&exp.experiment_id))
            .map_err(at(format!(
                "listing logged models of `{}`",
                plan.experiment
            )))?;
        for m in models
            .iter()
            .filter(|m| runs.iter().any(|r| r.info.run_id == m.info.source_run_id))
        {
            client
                .delete_logged_model(&m.info.model_id)
                .map_err(at(format!("deleting logged model {}", m.info.model_id)))?;
            cleanup.logged_models_deleted += 1;
        }
        for r in &runs {
            client.delete_run(&r.info.run_id).map_err(at(format!(
                "deleting run `{}` ({})",
                r.info.run_name, r.info.run_id
            )))?;
            cleanup.runs_deleted.push(r.info.run_id.clone());
        }
    }
    Ok(cleanup)
}

fn run_names(plan: &RegistryPlan) -> String {
    plan.versions
        .iter()
        .map(|v| format!("`{}`", v.run_name))
        .collect::<Vec<_>>()
        .join(", ")
}
