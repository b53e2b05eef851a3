//! One experiment run in MLflow: the config as params, per-epoch metrics with their step, the
//! test metrics, the charts and the config file as artefacts, the model logged the way the
//! reference runs log theirs (files + `MLmodel` with the harness flavor, READY, run output),
//! and, when asked, a registered version with an alias.

use crate::mlflow::{
    KeyValue, LoggedModelStatus, Metric, MlflowClient, NewLoggedModel, NewModelVersion, NewRun,
    RunStatus, now_ms,
};
use crate::model::mlmodel::{
    HARNESS_MLP_FLAVOR, HARNESS_TREE_FLAVOR, HarnessMlpFlavor, HarnessTreeFlavor,
    INPUT_EXAMPLE_FILE, InputExample, MLMODEL_FILE, MlModel, double_columns_to_class_signature,
    tensor_signature, utc_time,
};
use crate::nn;
use crate::reference::publish::onnx_model_files;
use crate::train::{self, ModelFile, RegressorFile};

use super::config::ExperimentConfig;
use super::dataset::Table;
use super::error::{ExperimentError, at};
use super::trainer::{Model, Trained};

/// The tree model's file inside the logged model (as the reference runs name it).
pub(crate) const TREE_MODEL_FILE: &str = "model.json";

/// What was logged.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub experiment_id: String,
    pub run_id: String,
    pub model_id: String,
    /// `(name, version, alias)` of the registered version.
    pub registered: Option<(String, String, Option<String>)>,
}

/// The config file as it was given, logged as an artefact under its own name.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A file of the logged model.
pub(crate) struct ModelArtefact {
    pub(crate) path: String,
    pub(crate) bytes: Vec<u8>,
}

/// Logs everything of one trained experiment; the run ends FINISHED, or FAILED on an error.
///
/// # Errors
/// [`ExperimentError::Mlflow`] naming the step that failed.
pub fn log(
    client: &MlflowClient,
    config: &ExperimentConfig,
    config_file: &ConfigFile,
    table: &Table,
    trained: &Trained,
    charts: Vec<(&str, Vec<u8>)>,
    extra_tags: &[KeyValue],
) -> Result<Logged, ExperimentError> {
    let experiment_id = client
        .get_or_create_experiment(&config.experiment_name)
        .map_err(at(format!(
            "creating experiment `{}`",
            config.experiment_name
        )))?;
    let run = client
        .create_run(&NewRun {
            experiment_id: experiment_id.clone(),
            run_name: Some(config.run_name()),
            start_time: None,
            tags: [
                KeyValue::new("mlflow.source.name", "harness run --config"),
                KeyValue::new("mlflow.source.type", "LOCAL"),
                KeyValue::new("harness.version", crate::version::VERSION),
                KeyValue::new("harness.dataset_sha256", &table.digest),
            ]
            .into_iter()
            .chain(extra_tags.iter().cloned())
            .collect(),
        })
        .map_err(at("creating the run"))?;
    let run_id = run.info.run_id.clone();
    crate::reference::interrupt::opened(client, &run_id);
    let result = log_into(
        client,
        config,
        config_file,
        table,
        trained,
        charts,
        &run.info,
    );
    let status = if result.is_ok() {
        RunStatus::Finished
    } else {
        RunStatus::Failed
    };
    let ended = client.update_run(&run_id, status, Some(now_ms()));
    crate::reference::interrupt::ended(&run_id);
    let (model_id, registered) = result?;
    ended.map_err(at("finishing the run"))?;
    Ok(Logged {
        experiment_id,
        run_id,
        model_id,
        registered,
    })
}

type Registered = Option<(String, String, Option<String>)>;

fn log_into(
    client: &MlflowClient,
    config: &ExperimentConfig,
    config_file: &ConfigFile,
    table: &Table,
    trained: &Trained,
    charts: Vec<(&str, Vec<u8>)>,
    run: &crate::mlflow::RunInfo,
) -> Result<(String, Registered), ExperimentError> {
    let run_id = run.run_id.as_str();
    let params: Vec<KeyValue> = config
        .params()
        .into_iter()
        .map(|(k, v)| KeyValue::new(k, v))
        .collect();
    client
        .log_batch(run_id, &metrics(trained, now_ms()), &params, &[])
        .map_err(at("logging params and metrics"))?;
    for (name, bytes) in charts {
        client
            .upload_artifact(&run.artifact_uri, name, bytes)
            .map_err(at(format!("uploading {name}")))?;
    }
    client
        .upload_artifact(
            &run.artifact_uri,
            &config_file.name,
            config_file.bytes.clone(),
        )
        .map_err(at(format!("uploading the config {}", config_file.name)))?;

    let (files, mlmodel) = model_artefacts(&trained.model, table)?;
    let model_id = log_model(client, run, &params, files, mlmodel)?;

    let registered = match &config.register {
        None => None,
        Some(r) => Some(register(
            client,
            r,
            run_id,
            &model_id,
            match &trained.regression {
                Some(r) => format!(
                    "{} regressor on {}: test RMSE {:.4} ({})",
                    config.model.architecture.name(),
                    table.name,
                    r.test.rmse,
                    config.run_name()
                ),
                None => format!(
                    "{} on {}: test accuracy {:.4} ({})",
                    config.model.architecture.name(),
                    table.name,
                    trained.test.accuracy,
                    config.run_name()
                ),
            },
        )?),
    };
    Ok((model_id, registered))
}

/// Logs `files` and `mlmodel` as the run's model `model` (a logged model, READY, recorded as
/// the run's output) and returns its id; a failed upload marks the logged model so.
///
/// # Errors
/// [`ExperimentError::Mlflow`] naming the step.
pub(crate) fn log_model(
    client: &MlflowClient,
    run: &crate::mlflow::RunInfo,
    params: &[KeyValue],
    files: Vec<ModelArtefact>,
    mlmodel: MlModel,
) -> Result<String, ExperimentError> {
    let run_id = run.run_id.as_str();
    let lm = client
        .create_logged_model(&NewLoggedModel {
            experiment_id: run.experiment_id.clone(),
            name: "model".into(),
            model_type: None,
            source_run_id: Some(run_id.to_owned()),
            params: params.to_vec(),
            tags: vec![],
        })
        .map_err(at("creating the logged model"))?
        .info;
    let model_id = lm.model_id.clone();
    let uploaded = (|| {
        let mut mlmodel = mlmodel;
        mlmodel.artifact_path = lm.artifact_uri.clone();
        mlmodel.model_id = model_id.clone();
        mlmodel.model_uuid = model_id.clone();
        mlmodel.run_id = run_id.to_owned();
        mlmodel.mlflow_version = client.server_version().unwrap_or_default();
        mlmodel.utc_time_created = utc_time(now_ms());
        mlmodel.model_size_bytes = Some(files.iter().map(|f| f.bytes.len() as u64).sum());
        for f in files.into_iter().chain(std::iter::once(ModelArtefact {
            path: MLMODEL_FILE.into(),
            bytes: mlmodel.to_yaml().into_bytes(),
        })) {
            client
                .upload_artifact(&lm.artifact_uri, &f.path, f.bytes)
                .map_err(at(format!("uploading model file {}", f.path)))?;
        }
        client
            .finalize_logged_model(&model_id, LoggedModelStatus::Ready)
            .map_err(at(format!("finalizing logged model {model_id}")))
    })();
    if let Err(e) = uploaded {
        let _ = client.finalize_logged_model(&model_id, LoggedModelStatus::UploadFailed);
        return Err(e);
    }
    client
        .log_outputs(run_id, &[(&model_id, 0)])
        .map_err(at(format!("recording {model_id} as the run's output")))?;
    Ok(model_id)
}

/// Per-epoch metrics at their step, then the test metrics and the kept epoch at step 0; a
/// regressor's RMSE, MAE and R² on each part (`train_rmse`, `val_rmse`, `test_rmse`, …).
pub(crate) fn metrics(trained: &Trained, now: i64) -> Vec<Metric> {
    let mut out = Vec::new();
    if let Some(r) = &trained.regression {
        for (part, m) in [("train", r.train), ("val", r.val), ("test", r.test)] {
            for (name, value) in [("rmse", m.rmse), ("mae", m.mae), ("r2", m.r2)] {
                out.push(Metric::new(format!("{part}_{name}"), value, now, 0));
            }
        }
        return out;
    }
    for r in &trained.history {
        let step = r.epoch as i64;
        for (key, value) in [
            ("train_loss", r.train_loss),
            ("train_accuracy", r.train_accuracy),
            ("val_loss", r.val_loss),
            ("val_accuracy", r.val_accuracy),
        ] {
            out.push(Metric::new(key, value, now, step));
        }
    }
    let best = &trained.history[trained.best_epoch];
    for (key, value) in [
        ("best_epoch", trained.best_epoch as f64),
        ("best_val_accuracy", best.val_accuracy),
        ("test_accuracy", trained.test.accuracy),
        ("test_loss", trained.test.loss),
        ("test_f1_weighted", trained.test.f1_weighted),
        ("epochs_trained", trained.history.len() as f64),
    ] {
        out.push(Metric::new(key, value, now, 0));
    }
    out
}

/// The model's files (without `MLmodel`) and its `MLmodel`, as the reference runs write them.
fn model_artefacts(
    model: &Model,
    table: &Table,
) -> Result<(Vec<ModelArtefact>, MlModel), ExperimentError> {
    let example_rows: Vec<Vec<f64>> = (0..table.n_rows().min(5))
        .map(|i| table.row(i).to_vec())
        .collect();
    match model {
        Model::Tree(tree) => {
            let file = ModelFile::with_names(
                tree.clone(),
                table.feature_names.clone(),
                table.class_names.clone(),
                table.digest.clone(),
            );
            let example = InputExample {
                columns: table.feature_names.clone(),
                data: example_rows,
            };
            let mlmodel = MlModel {
                signature: Some(double_columns_to_class_signature(&table.feature_names)),
                saved_input_example_info: Some(InputExample::info()),
                ..Default::default()
            }
            .with_flavor(
                HARNESS_TREE_FLAVOR,
                &HarnessTreeFlavor {
                    algorithm: tree.algorithm().name().into(),
                    format: train::MODEL_FORMAT.into(),
                    format_version: train::MODEL_FORMAT_VERSION,
                    harness_version: crate::version::VERSION.into(),
                    model_file: TREE_MODEL_FILE.into(),
                },
            );
            let mut files = vec![
                ModelArtefact {
                    path: TREE_MODEL_FILE.into(),
                    bytes: file.to_json().into_bytes(),
                },
                ModelArtefact {
                    path: INPUT_EXAMPLE_FILE.into(),
                    bytes: example.to_json().into_bytes(),
                },
            ];
            files.extend(onnx_files(crate::onnx::export_tree_model(tree)));
            Ok((files, mlmodel.with_onnx_flavors()))
        }
        Model::Regressor(m) => {
            let file = RegressorFile::new(
                m.clone(),
                table.feature_names.clone(),
                table.target_name.clone(),
                table.digest.clone(),
            );
            Ok(regressor_artefacts(&file, example_rows))
        }
        Model::Mlp(mlp) => {
            let io = |what: &str| {
                let what = what.to_owned();
                move |source| ExperimentError::Io { what, source }
            };
            let dir = tempfile::tempdir().map_err(io("creating a temporary directory"))?;
            mlp.save(dir.path())
                .map_err(|e| ExperimentError::Train(format!("saving the MLP: {e}")))?;
            let mut files = Vec::new();
            for name in [nn::WEIGHTS_FILE, nn::CONFIG_FILE] {
                files.push(ModelArtefact {
                    path: name.into(),
                    bytes: std::fs::read(dir.path().join(name)).map_err(io(name))?,
                });
            }
            let example = serde_json::json!({ "inputs": example_rows });
            files.push(ModelArtefact {
                path: INPUT_EXAMPLE_FILE.into(),
                bytes: example.to_string().into_bytes(),
            });
            let mlmodel = MlModel {
                signature: Some(tensor_signature(
                    "float32",
                    &[-1, table.n_features as i64],
                    &[-1, nn::N_CLASSES as i64],
                )),
                saved_input_example_info: Some(crate::model::mlmodel::InputExampleInfo {
                    artifact_path: INPUT_EXAMPLE_FILE.into(),
                    pandas_orient: None,
                    format: Some("tf-serving".into()),
                    kind: "ndarray".into(),
                }),
                ..Default::default()
            }
            .with_flavor(
                HARNESS_MLP_FLAVOR,
                &HarnessMlpFlavor {
                    activation: "relu".into(),
                    config: nn::CONFIG_FILE.into(),
                    dropout: mlp.dropout().to_vec(),
                    format: nn::FORMAT.into(),
                    format_version: nn::FORMAT_VERSION,
                    harness_version: crate::version::VERSION.into(),
                    input_scale: if mlp.standardize.is_some() {
                        "standardize (per-feature mean and scale in config.json)".into()
                    } else {
                        table.input_scale.into()
                    },
                    layer_sizes: mlp.layer_sizes().to_vec(),
                    weights: nn::WEIGHTS_FILE.into(),
                },
            );
            files.extend(onnx_files(crate::onnx::export_mlp(mlp)));
            Ok((files, mlmodel.with_onnx_flavors()))
        }
    }
}

/// The ONNX copy and its environment files, so MLflow's `python_function` loads the model
/// (`mlflow.pyfunc.load_model("models:/NAME/Production")`), as the reference runs' models do.
fn onnx_files(onnx: Vec<u8>) -> impl Iterator<Item = ModelArtefact> {
    onnx_model_files(onnx).into_iter().map(|f| ModelArtefact {
        path: f.path,
        bytes: f.bytes,
    })
}

/// A regressor's files (`model.json`, the ONNX copy and its environment files, the input
/// example) and its `MLmodel` (flavors `harness_tree`, `onnx` and `python_function`).
pub(crate) fn regressor_artefacts(
    file: &RegressorFile,
    example_rows: Vec<Vec<f64>>,
) -> (Vec<ModelArtefact>, MlModel) {
    let example = InputExample {
        columns: file.feature_names.clone(),
        data: example_rows,
    };
    let mut signature = double_columns_to_class_signature(&file.feature_names);
    // What `infer_signature` writes for a regressor's float64 predictions.
    signature.outputs =
        r#"[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]"#.into();
    let mlmodel = MlModel {
        signature: Some(signature),
        saved_input_example_info: Some(InputExample::info()),
        ..Default::default()
    }
    .with_flavor(
        HARNESS_TREE_FLAVOR,
        &HarnessTreeFlavor {
            algorithm: file.model.params.sklearn_class().into(),
            format: train::REGRESSOR_FORMAT.into(),
            format_version: train::REGRESSOR_FORMAT_VERSION,
            harness_version: crate::version::VERSION.into(),
            model_file: TREE_MODEL_FILE.into(),
        },
    )
    .with_onnx_flavors();
    let mut files = vec![ModelArtefact {
        path: TREE_MODEL_FILE.into(),
        bytes: file.to_json().into_bytes(),
    }];
    files.extend(onnx_files(crate::onnx::export_regressor(&file.model)));
    files.push(ModelArtefact {
        path: INPUT_EXAMPLE_FILE.into(),
        bytes: example.to_json().into_bytes(),
    });
    (files, mlmodel)
}

/// Registers `model_id` (logged by `run_id`) as a new version of `r.name`, created when
/// missing, and points `r.alias` at it; returns `(name, version, alias)`.
///
/// # Errors
/// [`ExperimentError::Mlflow`] naming the step.
pub(crate) fn register(
    client: &MlflowClient,
    r: &super::config::RegisterConfig,
    run_id: &str,
    model_id: &str,
    description: String,
) -> Result<(String, String, Option<String>), ExperimentError> {
    if client
        .find_registered_model(&r.name)
        .map_err(at(format!("looking up registered model `{}`", r.name)))?
        .is_none()
    {
        client
            .create_registered_model(&r.name, &[], None)
            .or_else(|e| {
                if e.is_already_exists() {
                    Ok(Default::default())
                } else {
                    Err(e)
                }
            })
            .map_err(at(format!("creating registered model `{}`", r.name)))?;
    }
    let version = client
        .create_model_version(&NewModelVersion {
            name: r.name.clone(),
            source: format!("models:/{model_id}"),
            run_id: Some(run_id.to_owned()),
            model_id: Some(model_id.to_owned()),
            tags: vec![],
            description: Some(description),
        })
        .map_err(at(format!("registering a version of `{}`", r.name)))?
        .version;
    if let Some(alias) = &r.alias {
        client
            .set_alias(&r.name, alias, &version)
            .map_err(at(format!("setting alias `{alias}` of `{}`", r.name)))?;
    }
    Ok((r.name.clone(), version, r.alias.clone()))
}
