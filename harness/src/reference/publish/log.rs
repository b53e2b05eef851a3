//! One version's run: its params, final metrics and dataset, its logged model (files, `MLmodel`,
//! READY, run output), and how the run ends (FINISHED, or FAILED after an error).

use std::sync::{Mutex, PoisonError};

use crate::mlflow::{
    DatasetInput, KeyValue, LoggedModelInfo, LoggedModelStatus, Metric, MlflowClient,
    NewLoggedModel, NewRun, RunStatus, now_ms,
};
use crate::model::mlmodel::{MLMODEL_FILE, MlModel, utc_time};
use crate::reference::error::{RunError, at};

use super::parallel::{Job, both, parallel};
use super::{ArtifactFile, PublishedVersion, VersionDraft, VersionPlan};

/// A version logged and its model READY, waiting to be registered.
#[derive(Debug)]
pub(super) struct Logged {
    pub(super) run_id: String,
    pub(super) run_name: String,
    pub(super) model_id: String,
    pub(super) artifact_uri: String,
    pub(super) version_tags: Vec<KeyValue>,
    pub(super) version_description: Option<String>,
    pub(super) accuracy: f64,
    pub(super) f1: f64,
}

/// A version's failure, with the logged model left PENDING by it (to mark UPLOAD_FAILED).
#[derive(Debug)]
pub(super) struct Failed {
    pub(super) error: Box<RunError>,
    pub(super) pending_model: Option<String>,
}

impl From<RunError> for Failed {
    fn from(error: RunError) -> Self {
        Failed {
            error: Box::new(error),
            pending_model: None,
        }
    }
}

/// Creates the run of a planned version; its id.
pub(super) fn create_run(
    client: &MlflowClient,
    experiment_id: &str,
    version: &VersionPlan,
) -> Result<String, RunError> {
    client
        .create_run(&NewRun {
            experiment_id: experiment_id.to_owned(),
            run_name: Some(version.run_name.clone()),
            start_time: None,
            tags: version.run_tags.clone(),
        })
        .map(|run| {
            crate::reference::interrupt::opened(client, &run.info.run_id);
            run.info.run_id
        })
        .map_err(at(format!("creating run `{}`", version.run_name)))
}

/// What the logging of every version of one publish shares; versions log on threads of their
/// own, side by side.
#[derive(Debug)]
pub(super) struct VersionLogger<'a> {
    client: &'a MlflowClient,
    experiment_id: &'a str,
    /// Written into each `MLmodel` as the MLflow that wrote it.
    mlflow_version: &'a str,
    /// MLflow inserts a dataset into the experiment on first use; two runs logging the same
    /// dataset at once race on that insert and one gets a 400. So dataset logging goes one
    /// version at a time.
    datasets_lock: Mutex<()>,
}

impl<'a> VersionLogger<'a> {
    pub(super) fn new(
        client: &'a MlflowClient,
        experiment_id: &'a str,
        mlflow_version: &'a str,
    ) -> Self {
        Self {
            client,
            experiment_id,
            mlflow_version,
            datasets_lock: Mutex::new(()),
        }
    }

    pub(super) fn experiment_id(&self) -> &'a str {
        self.experiment_id
    }

    /// Params, metrics, dataset, and the logged model (files, `MLmodel`, READY, run output).
    pub(super) fn log(
        &self,
        run_id: &str,
        run_name: &str,
        draft: VersionDraft,
    ) -> Result<Logged, Failed> {
        let client = self.client;
        let metrics = final_metrics(&draft.metrics, now_ms());
        // The logged model is created while the run's data is still being logged: neither
        // needs the other, and the model's id is what every later step waits for.
        let (batch, (inputs, lm)) = both(
            || client.log_batch(run_id, &metrics, &draft.params, &[]),
            || {
                both(
                    || self.log_datasets(run_id, &draft.datasets),
                    || {
                        client.create_logged_model(&NewLoggedModel {
                            experiment_id: self.experiment_id.to_owned(),
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
        let info = lm
            .map_err(at(format!("creating the logged model of `{run_name}`")))?
            .info;
        let model_id = info.model_id.clone();
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
        let mlmodel = complete_mlmodel(
            draft.mlmodel,
            &draft.files,
            &info,
            run_id,
            self.mlflow_version,
            now_ms(),
        );
        self.upload(&info.artifact_uri, run_name, draft.files, &mlmodel)
            .map_err(pending)?;
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
            artifact_uri: info.artifact_uri,
            version_tags: draft.version_tags,
            version_description: draft.version_description,
            accuracy: draft.accuracy,
            f1: draft.f1,
        })
    }

    fn log_datasets(&self, run_id: &str, datasets: &[DatasetInput]) -> crate::mlflow::Result<()> {
        if datasets.is_empty() {
            return Ok(());
        }
        // A poisoned lock only means another version's thread panicked: it still serialises.
        let _guard = self
            .datasets_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.client.log_inputs(run_id, datasets)
    }

    /// The model's files and its `MLmodel`, side by side.
    fn upload(
        &self,
        artifact_uri: &str,
        run_name: &str,
        files: Vec<ArtifactFile>,
        mlmodel: &MlModel,
    ) -> Result<(), RunError> {
        let client = self.client;
        let mlmodel_file = ArtifactFile {
            path: MLMODEL_FILE.into(),
            bytes: mlmodel.to_yaml().into_bytes(),
        };
        let uploads: Vec<Job<'_>> = files
            .into_iter()
            .chain(std::iter::once(mlmodel_file))
            .map(|file| -> Job<'_> {
                Box::new(move || {
                    client
                        .upload_artifact(artifact_uri, &file.path, file.bytes)
                        .map_err(at(format!("uploading {} of `{run_name}`", file.path)))
                })
            })
            .collect();
        parallel(uploads)
    }
}

/// A producer's final metrics as MLflow metrics: step 0, all at `now`.
fn final_metrics(metrics: &[(String, f64)], now: i64) -> Vec<Metric> {
    metrics
        .iter()
        .map(|(k, v)| Metric::new(k.clone(), *v, now, 0))
        .collect()
}

/// The producer's `MLmodel` with what only exists once its logged model does: the ids, where
/// the files go, which MLflow wrote it, when, and the size of `files` (the model's files
/// without the `MLmodel` itself, as MLflow counts them).
fn complete_mlmodel(
    mut mlmodel: MlModel,
    files: &[ArtifactFile],
    logged_model: &LoggedModelInfo,
    run_id: &str,
    mlflow_version: &str,
    created_ms: i64,
) -> MlModel {
    mlmodel.artifact_path = logged_model.artifact_uri.clone();
    mlmodel.model_id = logged_model.model_id.clone();
    mlmodel.model_uuid = logged_model.model_id.clone();
    mlmodel.run_id = run_id.to_owned();
    mlmodel.mlflow_version = mlflow_version.to_owned();
    mlmodel.utc_time_created = utc_time(created_ms);
    mlmodel.model_size_bytes = Some(files.iter().map(|f| f.bytes.len() as u64).sum());
    mlmodel
}

/// One job per version: its run ends FINISHED.
pub(super) fn finish_runs<'a>(
    client: &'a MlflowClient,
    versions: &'a [PublishedVersion],
) -> Vec<Job<'a>> {
    versions
        .iter()
        .map(|v| -> Job<'a> {
            Box::new(move || {
                client
                    .update_run(&v.run_id, RunStatus::Finished, Some(now_ms()))
                    .map(|_| crate::reference::interrupt::ended(&v.run_id))
                    .map_err(at(format!("finishing run `{}`", v.run_name)))
            })
        })
        .collect()
}

/// Best effort, after a failure: the run FAILED, a PENDING logged model UPLOAD_FAILED. Errors
/// here are dropped because the failure being reported matters more.
pub(super) fn fail_run(client: &MlflowClient, run_id: &str, pending_model: Option<&str>) {
    if let Some(id) = pending_model {
        let _ = client.finalize_logged_model(id, LoggedModelStatus::UploadFailed);
    }
    if client
        .update_run(run_id, RunStatus::Failed, Some(now_ms()))
        .is_ok()
    {
        crate::reference::interrupt::ended(run_id);
    }
}

#[cfg(test)]
mod tests {
    use crate::model::mlmodel::HARNESS_TREE_FLAVOR;

    use super::*;

    #[test]
    fn final_metrics_are_step_zero_at_one_time_in_producer_order() {
        let m = final_metrics(&[("accuracy".into(), 0.5), ("f1_score".into(), 0.25)], 1234);
        assert_eq!(
            m,
            [
                Metric::new("accuracy", 0.5, 1234, 0),
                Metric::new("f1_score", 0.25, 1234, 0)
            ]
        );
    }

    #[test]
    fn the_mlmodel_gets_the_logged_models_identity_and_the_files_size() {
        let producer = MlModel::default().with_flavor(HARNESS_TREE_FLAVOR, &"tree");
        let files = [
            ArtifactFile {
                path: "model.json".into(),
                bytes: vec![0; 300],
            },
            ArtifactFile {
                path: "input_example.json".into(),
                bytes: vec![0; 45],
            },
        ];
        let info = LoggedModelInfo {
            model_id: "m-123".into(),
            artifact_uri: "mlflow-artifacts:/1/models/m-123/artifacts".into(),
            ..Default::default()
        };
        // 2024-01-02 03:04:05.678 UTC
        let m = complete_mlmodel(
            producer.clone(),
            &files,
            &info,
            "run-9",
            "3.1.0",
            1_704_164_645_678,
        );
        assert_eq!(m.model_id, "m-123");
        assert_eq!(m.model_uuid, "m-123", "MLflow 3 writes the id twice");
        assert_eq!(m.artifact_path, info.artifact_uri);
        assert_eq!(m.run_id, "run-9");
        assert_eq!(m.mlflow_version, "3.1.0");
        assert_eq!(m.utc_time_created, "2024-01-02 03:04:05.678000");
        assert_eq!(m.model_size_bytes, Some(345));
        assert_eq!(m.flavors, producer.flavors, "the producer's flavor is kept");
    }
}
