//! A live tracking server → [`Snapshot`], through read-only REST calls only.

use std::collections::BTreeMap;

use crate::handin::{HandIn, Kind};
use crate::mlflow::{self, MlflowClient, MlflowError, RunSearch, ViewType};
use crate::snapshot::{
    ArtifactFile, ArtifactSummary, DatasetInput, Experiment, LoggedModel, MetricPoint,
    MlModelSummary, ModelVersion, RegisteredModel, Run, RunArtifacts, RunModel, Snapshot,
    latest_metrics,
};

/// What to read; `None` reads everything on the server. Grading a big course server should name
/// the task's experiments and models so unrelated work is never downloaded.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub(crate) experiments: Option<Vec<String>>,
    pub(crate) registered_models: Option<Vec<String>>,
}

impl Scope {
    /// Only these experiments and registered models (by exact name): what one reference run
    /// made on a server others use too.
    pub fn only(experiments: Vec<String>, registered_models: Vec<String>) -> Scope {
        Scope {
            experiments: Some(experiments),
            registered_models: Some(registered_models),
        }
    }
}

/// Reads the server into a snapshot: experiments, runs with full metric histories, registered
/// models, versions, logged models, and each version's artefacts (file list and `MLmodel`).
pub fn load(client: &MlflowClient, scope: &Scope) -> Result<Snapshot, MlflowError> {
    let mut snap = Snapshot {
        origin: mlflow::redact_url(client.tracking_uri()),
        ..Snapshot::default()
    };

    let experiments = client.search_experiments(None, ViewType::All)?;
    let wanted = |name: &str| {
        scope
            .experiments
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
    };
    for e in experiments.into_iter().filter(|e| wanted(&e.name)) {
        snap.experiments.push(Experiment {
            id: e.experiment_id,
            name: e.name,
            artifact_location: Some(e.artifact_location).filter(|s| !s.is_empty()),
            lifecycle_stage: e.lifecycle_stage,
            tags: e.tags.into_iter().map(|t| (t.key, t.value)).collect(),
        });
    }
    let ids: Vec<String> = snap.experiments.iter().map(|e| e.id.clone()).collect();
    if !ids.is_empty() {
        let search = RunSearch {
            experiment_ids: ids.clone(),
            run_view_type: ViewType::All,
            ..Default::default()
        };
        let runs = client.search_runs(&search)?;
        for r in in_parallel(runs, |r| run(client, r)) {
            snap.runs.push(r?);
        }
        for m in client.search_logged_models(&ids)? {
            let artifact = Some(&m.info.artifact_uri)
                .filter(|u| !u.is_empty())
                .map(|u| summary_at(client, u));
            snap.logged_models.push(LoggedModel {
                id: m.info.model_id,
                experiment_id: m.info.experiment_id,
                name: m.info.name,
                artifact_location: m.info.artifact_uri,
                source_run_id: Some(m.info.source_run_id).filter(|s| !s.is_empty()),
                status: Some(logged_model_status(m.info.status)),
                tags: m.info.tags.into_iter().map(|t| (t.key, t.value)).collect(),
                artifact,
            });
        }
    }

    let models = match &scope.registered_models {
        None => client.search_registered_models(None)?,
        Some(names) => {
            let mut found = Vec::new();
            for name in names {
                if let Some(m) = client.find_registered_model(name)? {
                    found.push(m);
                }
            }
            found
        }
    };
    for m in models {
        let versions = client
            .search_model_versions(Some(&format!("name='{}'", m.name.replace('\'', "\\'"))))?;
        let summaries = in_parallel(versions.iter().collect(), |v| {
            artifact_summary(client, &v.name, &v.version)
        });
        for (v, artifact) in versions.into_iter().zip(summaries) {
            let model_id = Some(v.model_id)
                .filter(|s| !s.is_empty())
                .or_else(|| model_id_of_source(&v.source));
            snap.model_versions.push(ModelVersion {
                name: v.name,
                version: v.version.parse().unwrap_or(0),
                source: Some(v.source).filter(|s| !s.is_empty()),
                run_id: Some(v.run_id).filter(|s| !s.is_empty()),
                // Search results leave model_id out; a `models:/m-…` source names it.
                model_id,
                current_stage: Some(v.current_stage).filter(|s| !s.is_empty()),
                status: Some(v.status).filter(|s| !s.is_empty()),
                description: Some(v.description).filter(|s| !s.is_empty()),
                tags: v.tags.into_iter().map(|t| (t.key, t.value)).collect(),
                storage_location: None,
                artifact,
            });
        }
        snap.registered_models.push(RegisteredModel {
            name: m.name,
            description: Some(m.description).filter(|s| !s.is_empty()),
            tags: m.tags.into_iter().map(|t| (t.key, t.value)).collect(),
            aliases: m
                .aliases
                .into_iter()
                .filter_map(|a| Some((a.alias, a.version.parse().ok()?)))
                .collect(),
        });
    }
    snap.normalize();
    Ok(snap)
}

fn model_id_of_source(source: &str) -> Option<String> {
    let id = source.strip_prefix("models:/")?.split('/').next()?;
    id.starts_with("m-").then(|| id.to_string())
}

/// How many requests a load keeps in flight: enough to hide latency, few enough not to crowd a
/// small server (the embedded one runs 2 workers).
const IN_FLIGHT: usize = 4;

/// Applies `f` to every item on up to [`IN_FLIGHT`] threads, keeping the input order.
fn in_parallel<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let mut slots: Vec<Option<R>> = items.iter().map(|_| None).collect();
    let queue = std::sync::Mutex::new(
        items
            .into_iter()
            .enumerate()
            .collect::<Vec<_>>()
            .into_iter(),
    );
    let results = std::sync::Mutex::new(&mut slots);
    std::thread::scope(|scope| {
        for _ in 0..IN_FLIGHT {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    let Some((i, item)) = next else { break };
                    let r = f(item);
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(r);
                    }
                }
            });
        }
    });
    slots.into_iter().flatten().collect()
}

/// The same words the SQLite source uses for MLflow's stored status numbers.
fn logged_model_status(status: mlflow::LoggedModelStatus) -> String {
    match status {
        mlflow::LoggedModelStatus::Pending => "PENDING",
        mlflow::LoggedModelStatus::Ready => "READY",
        mlflow::LoggedModelStatus::UploadFailed => "FAILED",
        mlflow::LoggedModelStatus::Unspecified => "UNSPECIFIED",
    }
    .to_string()
}

fn run(client: &MlflowClient, r: mlflow::Run) -> Result<Run, MlflowError> {
    let mut histories: BTreeMap<String, Vec<MetricPoint>> = BTreeMap::new();
    for m in &r.data.metrics {
        if histories.contains_key(&m.key) {
            continue;
        }
        let points = client
            .get_metric_history(&r.info.run_id, &m.key)?
            .into_iter()
            .map(|p| MetricPoint {
                step: p.step,
                timestamp: p.timestamp,
                value: p.value,
            })
            .collect();
        histories.insert(m.key.clone(), points);
    }
    let tags: BTreeMap<String, String> =
        r.data.tags.into_iter().map(|t| (t.key, t.value)).collect();
    let name = Some(r.info.run_name)
        .filter(|s| !s.is_empty())
        .or_else(|| tags.get("mlflow.runName").cloned());
    let artifacts = Some(&r.info.artifact_uri)
        .filter(|u| !u.is_empty())
        .and_then(|u| run_artifacts(client, u));
    Ok(Run {
        id: r.info.run_id,
        experiment_id: r.info.experiment_id,
        name,
        status: format!("{:?}", r.info.status).to_uppercase(),
        start_time: Some(r.info.start_time).filter(|t| *t != 0),
        end_time: r.info.end_time,
        lifecycle_stage: r.info.lifecycle_stage,
        artifact_uri: Some(r.info.artifact_uri).filter(|s| !s.is_empty()),
        params: r
            .data
            .params
            .into_iter()
            .map(|p| (p.key, p.value))
            .collect(),
        metrics: latest_metrics(&histories),
        histories,
        tags,
        inputs: r
            .inputs
            .dataset_inputs
            .into_iter()
            .map(|d| DatasetInput {
                context: mlflow::find(&d.tags, "mlflow.data.context").map(str::to_string),
                name: d.dataset.name,
                digest: d.dataset.digest,
                source_type: d.dataset.source_type,
            })
            .collect(),
        artifacts,
    })
}

/// Lists a version's files and parses its `MLmodel`; problems become part of the summary, so one
/// broken version never hides the rest of the state.
fn artifact_summary(client: &MlflowClient, name: &str, version: &str) -> ArtifactSummary {
    match client.get_model_version_download_uri(name, version) {
        Ok(uri) => summary_at(client, &uri),
        Err(e) => ArtifactSummary {
            problem: Some(format!("no download URI: {e}")),
            ..Default::default()
        },
    }
}

/// Most entries one run's artefact listing walks through the server; a homework's run has a few.
const MAX_RUN_ENTRIES: usize = 2_000;

/// `MLmodel` files read per run, as for stores on disk.
const MAX_RUN_MODELS: usize = 16;

/// A run's artefacts as the server lists them (sizes included) with every `MLmodel` read;
/// `None` when nothing is there or the files are a path on the server's machine (a store on
/// disk is the way to grade those).
fn run_artifacts(client: &MlflowClient, uri: &str) -> Option<RunArtifacts> {
    if local_path(uri).is_some() {
        return None;
    }
    let mut out = RunArtifacts {
        location: uri.to_string(),
        ..RunArtifacts::default()
    };
    let mut pending = vec![String::new()];
    let mut seen = 0;
    while let Some(dir) = pending.pop() {
        for e in client.list_artifacts(uri, &dir).ok()? {
            seen += 1;
            if seen > MAX_RUN_ENTRIES {
                break;
            }
            if e.is_dir {
                pending.push(e.path);
            } else {
                let size = e.file_size.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
                out.files.push(ArtifactFile { path: e.path, size });
            }
        }
    }
    if out.files.is_empty() {
        return None;
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in &out.files {
        let is_mlmodel = f.path == "MLmodel" || f.path.ends_with("/MLmodel");
        if !is_mlmodel || out.models.len() >= MAX_RUN_MODELS {
            continue;
        }
        let folder = f.path.strip_suffix("MLmodel").unwrap_or("");
        let (mlmodel, problem) = match client.download_artifact(uri, &f.path) {
            Ok(bytes) => match MlModelSummary::parse(&String::from_utf8_lossy(&bytes)) {
                Ok(m) => (Some(m), None),
                Err(e) => (None, Some(e)),
            },
            Err(e) => (None, Some(e.to_string())),
        };
        out.models.push(RunModel {
            path: folder.trim_end_matches('/').to_string(),
            mlmodel,
            problem,
        });
    }
    Some(out)
}

/// Lists the files at `uri` and parses its `MLmodel`.
fn summary_at(client: &MlflowClient, uri: &str) -> ArtifactSummary {
    let uri = uri.to_string();
    if let Some(dir) = local_path(&uri) {
        return local_summary(client, &uri, &dir);
    }
    let mut summary = ArtifactSummary {
        uri: Some(uri.clone()),
        location: Some(uri.clone()),
        ..Default::default()
    };
    let mut pending = vec![String::new()];
    while let Some(dir) = pending.pop() {
        match client.list_artifacts(&uri, &dir) {
            Ok(entries) => {
                for e in entries {
                    if e.is_dir {
                        pending.push(e.path);
                    } else {
                        summary.files.push(e.path);
                    }
                }
            }
            Err(e) => {
                summary.problem = Some(format!("cannot list {uri}: {e}"));
                return summary;
            }
        }
    }
    summary.files.sort();
    if summary.files.is_empty() {
        summary.location = None;
        summary.problem = Some(format!("no files at {uri}"));
        return summary;
    }
    match client.download_artifact(&uri, "MLmodel") {
        Ok(bytes) => match MlModelSummary::parse(&String::from_utf8_lossy(&bytes)) {
            Ok(m) => summary.mlmodel = Some(m),
            Err(e) => summary.problem = Some(e),
        },
        Err(e) => summary.problem = Some(format!("no readable MLmodel at {uri}: {e}")),
    }
    summary
}

/// The directory a `file://…` or absolute artefact URI names on the server's machine.
fn local_path(uri: &str) -> Option<std::path::PathBuf> {
    let path = uri.strip_prefix("file://").unwrap_or(uri);
    path.starts_with('/').then(|| path.into())
}

/// Artefacts the server keeps as plain paths. They are only this machine's files when the server
/// runs here; a remote server's paths are its own, and reading ours under those names would
/// list whatever this machine has there (`file:///etc` would list `/etc`). Local ones are read
/// through [`HandIn`] rooted at the version's folder: regular files, capped, no link out.
fn local_summary(client: &MlflowClient, uri: &str, dir: &std::path::Path) -> ArtifactSummary {
    let mut summary = ArtifactSummary {
        uri: Some(uri.to_string()),
        ..Default::default()
    };
    let here = client
        .tracking_uri()
        .host_str()
        .map(str::to_string)
        .is_some_and(|h| matches!(h.as_str(), "127.0.0.1" | "localhost" | "[::1]" | "::1"));
    if !here {
        summary.problem = Some(format!(
            "the server keeps this version's files at a path on its own machine ({uri}), \
             which cannot be read from here; serve artefacts through the server \
             (`mlflow server` with --serve-artifacts, the default since MLflow 2.0)"
        ));
        return summary;
    }
    let hand_in = match HandIn::new(dir) {
        Ok(h) => h,
        Err(e) => {
            summary.problem = Some(format!("no files at {uri}: {e}"));
            return summary;
        }
    };
    match hand_in.list_files(dir) {
        Ok(listing) => {
            summary.files = listing.files;
            summary.not_followed = listing.refused;
        }
        Err(e) => summary.problem = Some(e.to_string()),
    }
    if summary.files.is_empty() {
        summary
            .problem
            .get_or_insert_with(|| format!("no files at {uri}"));
        return summary;
    }
    summary.location = Some(uri.to_string());
    match hand_in.read_text(&dir.join("MLmodel"), Kind::Mlmodel) {
        Ok(text) => match MlModelSummary::parse(&text) {
            Ok(m) => summary.mlmodel = Some(m),
            Err(e) => summary.problem = Some(e),
        },
        Err(e) => summary.problem = Some(format!("no readable MLmodel at {uri}: {e}")),
    }
    summary
}
