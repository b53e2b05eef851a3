//! What task 2 publishes: where the versions go, and for each trained network its params,
//! final metrics, dataset input, files (weights, config, input example) and `MLmodel`.

use crate::mlflow::{self, DatasetInput, KeyValue};
use crate::model::mlmodel::{
    HARNESS_MLP_FLAVOR, HarnessMlpFlavor, INPUT_EXAMPLE_FILE, InputExampleInfo, MlModel,
    tensor_signature,
};
use crate::nn::{self, Mlp, N_CLASSES};
use crate::reference::RunError;
use crate::reference::provenance::run_tags;
use crate::reference::publish::{
    ArtifactFile, RegistryPlan, VersionDraft, VersionPlan, fill_placeholders, onnx_model_files,
};
use crate::train::py_float;

use super::spec::{MnistRunSpec, MnistVersionSpec};
use super::summary::{MnistData, MnistVersionResult};

/// Where task 2's versions go: the experiment, the registered model with its description's
/// and tags' placeholders filled, and each version's run with its provenance tags.
pub(super) fn registry_plan(
    spec: &MnistRunSpec,
    data: &MnistData,
    framework: &str,
    git_commit: Option<&str>,
) -> RegistryPlan {
    let test_percent = (spec.test_size * 100.0).round() as i64;
    let values = [
        ("seed", spec.seed.to_string()),
        ("test_size", py_float(spec.test_size)),
        ("train_percent", (100 - test_percent).to_string()),
        ("test_percent", test_percent.to_string()),
        ("n_train", data.n_train.to_string()),
        ("n_test", data.n_test.to_string()),
        ("profile", spec.profile.clone()),
        ("framework", framework.to_owned()),
    ];
    let run_tags = run_tags(
        "harness run mnist",
        &data.sha256,
        spec.seed,
        [
            KeyValue::new("harness.profile", &spec.profile),
            KeyValue::new("harness.engine", format!("{:?}", spec.resolved_engine())),
        ],
        git_commit,
    );
    RegistryPlan {
        experiment: spec.experiment.clone(),
        registered_model: spec.registered_model.clone(),
        description: fill_placeholders(&spec.description, &values),
        tags: spec
            .tags
            .iter()
            .map(|(k, v)| KeyValue::new(k, fill_placeholders(v, &values)))
            .collect(),
        versions: spec
            .versions
            .iter()
            .map(|v| VersionPlan {
                run_name: v.run_name.clone(),
                run_tags: run_tags.clone(),
            })
            .collect(),
    }
}

/// What to log and register for one trained network.
pub(super) fn draft(
    spec: &MnistRunSpec,
    v: &MnistVersionSpec,
    data: &MnistData,
    train_x: &[f32],
    model: &Mlp,
    r: &MnistVersionResult,
) -> Result<VersionDraft, RunError> {
    let mut params: Vec<KeyValue> = v
        .hidden
        .iter()
        .enumerate()
        .map(|(i, h)| KeyValue::new(format!("hidden_size_{}", i + 1), h.to_string()))
        .collect();
    params.extend([
        KeyValue::new("dropout_rate", v.dropout_param()),
        KeyValue::new("learning_rate", py_float(v.learning_rate)),
        KeyValue::new("batch_size", v.batch_size.to_string()),
        KeyValue::new("num_epochs", v.epochs.to_string()),
        KeyValue::new("optimizer", "Adam"),
        KeyValue::new("loss_function", "CrossEntropyLoss"),
        KeyValue::new("seed", spec.seed.to_string()),
        KeyValue::new("device", spec.device.to_string()),
        KeyValue::new("profile", &spec.profile),
        KeyValue::new("samples", data.samples.to_string()),
        KeyValue::new(
            "image_shape",
            format!("{}x{}", data.image_shape[0], data.image_shape[1]),
        ),
        KeyValue::new("num_classes", data.num_classes.to_string()),
        KeyValue::new("normalization", &data.normalization),
        KeyValue::new("train_samples", data.n_train.to_string()),
        KeyValue::new("test_samples", data.n_test.to_string()),
    ]);

    // The files Mlp::save writes, read back so what is uploaded is exactly what loads.
    let dir = tempfile::tempdir().map_err(|source| RunError::Io {
        action: "creating a temporary directory for",
        path: v.run_name.clone(),
        source,
    })?;
    model.save(dir.path()).map_err(|source| RunError::Nn {
        what: format!("saving {}", v.run_name),
        source: Box::new(source),
    })?;
    let read = |name: &str| {
        let path = dir.path().join(name);
        std::fs::read(&path).map_err(|source| RunError::Io {
            action: "reading",
            path: path.display().to_string(),
            source,
        })
    };
    let d = nn::MNIST_INPUTS;
    let rows = spec.input_example_rows.min(train_x.len() / d);
    let example =
        serde_json::json!({ "inputs": train_x[..rows * d].chunks(d).collect::<Vec<_>>() });
    let mut files = vec![
        ArtifactFile {
            path: nn::WEIGHTS_FILE.into(),
            bytes: read(nn::WEIGHTS_FILE)?,
        },
        ArtifactFile {
            path: nn::CONFIG_FILE.into(),
            bytes: read(nn::CONFIG_FILE)?,
        },
        ArtifactFile {
            path: INPUT_EXAMPLE_FILE.into(),
            bytes: example.to_string().into_bytes(),
        },
    ];
    files.extend(onnx_model_files(crate::onnx::export_mlp(model)));
    let mlmodel = MlModel {
        signature: Some(tensor_signature(
            "float32",
            &[-1, d as i64],
            &[-1, N_CLASSES as i64],
        )),
        saved_input_example_info: Some(InputExampleInfo {
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
            dropout: model.dropout().to_vec(),
            format: nn::FORMAT.into(),
            format_version: nn::FORMAT_VERSION,
            harness_version: crate::version::VERSION.into(),
            input_scale: "1/255".into(),
            layer_sizes: model.layer_sizes().to_vec(),
            weights: nn::WEIGHTS_FILE.into(),
        },
    )
    .with_onnx_flavors();
    let values = [
        ("num_parameters", r.n_parameters.to_string()),
        ("training_time_seconds", format!("{:.2}", r.training_time_s)),
    ];
    let version_tags = v
        .tags
        .iter()
        // `status` follows the role the accuracy gives the version (publish sets it).
        .filter(|(k, _)| k.as_str() != "status")
        .map(|(k, val)| KeyValue::new(k, fill_placeholders(val, &values)))
        .collect();
    Ok(VersionDraft {
        params,
        metrics: vec![
            ("final_test_accuracy".into(), r.final_test_accuracy),
            ("final_test_loss".into(), r.final_test_loss),
            ("final_test_f1_weighted".into(), r.f1_weighted),
            ("model_size_mb".into(), r.model_size_mb),
        ],
        datasets: vec![dataset_input(data)],
        model_name: "model".into(),
        files,
        mlmodel,
        version_tags,
        version_description: Some(format!(
            "{} {} (dropout {}), Adam lr {}, batch {}, {} epochs ({} profile): test accuracy \
             {:.4}, test loss {:.4}, {} parameters, {:.1} s",
            r.model_type,
            r.architecture,
            v.dropout_param(),
            py_float(v.learning_rate),
            v.batch_size,
            v.epochs,
            spec.profile,
            r.final_test_accuracy,
            r.final_test_loss,
            r.n_parameters,
            r.training_time_s
        )),
        accuracy: r.final_test_accuracy,
        f1: r.f1_weighted,
    })
}

/// The run's dataset input, shaped like `mlflow.data.from_numpy(x, targets=y, name="mnist")`.
fn dataset_input(data: &MnistData) -> DatasetInput {
    let d = data.image_shape[0] * data.image_shape[1];
    let spec = |dtype: &str, shape: serde_json::Value| {
        serde_json::json!([{"type": "tensor", "tensor-spec": {"dtype": dtype, "shape": shape}}])
            .to_string()
    };
    DatasetInput {
        tags: vec![KeyValue::new("mlflow.data.context", "training")],
        dataset: mlflow::Dataset {
            name: "mnist".into(),
            // MLflow's dataset digests are 8 hex characters; the full sha256 is a run tag.
            digest: data.sha256.chars().take(8).collect(),
            source_type: "code".into(),
            source: serde_json::json!({"tags": {
                "mlflow.source.name": format!("harness (MNIST IDX, {})", data.source),
                "sha256": data.sha256,
            }})
            .to_string(),
            schema: Some(
                serde_json::json!({"mlflow_tensorspec": {
                    "features": spec("float32", serde_json::json!([-1, d])),
                    "targets": spec("uint8", serde_json::json!([-1])),
                }})
                .to_string(),
            ),
            profile: Some(
                serde_json::json!({
                    "features_shape": [data.samples, d],
                    "features_size": data.samples * d,
                    "targets_shape": [data.samples],
                    "num_rows": data.samples,
                })
                .to_string(),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::spec::tests::task;
    use super::*;

    fn data() -> MnistData {
        MnistData {
            source: "embedded".into(),
            sha256: "ab".repeat(32),
            samples: 10_000,
            image_shape: [28, 28],
            num_classes: 10,
            n_train: 7000,
            n_test: 3000,
            normalization: "none".into(),
        }
    }

    #[test]
    fn tags_and_description_placeholders_are_filled() {
        let spec = MnistRunSpec::from_task(&task(), "quick").unwrap();
        let data = data();
        let plan = registry_plan(&spec, &data, &spec.framework(), None);
        assert!(!plan.description.contains('{'), "{}", plan.description);
        assert!(plan.description.contains("7000 training and 3000 test"));
        assert!(plan.description.contains("70/30 split"));
        let framework = plan.tags.iter().find(|t| t.key == "framework").unwrap();
        assert_eq!(framework.value, "harness-rust (fused CPU kernels, gemm)");
        let run_tags = &plan.versions[0].run_tags;
        assert_eq!(mlflow::find(run_tags, "harness.profile"), Some("quick"));
        assert_eq!(mlflow::find(run_tags, "harness.engine"), Some("Fused"));
    }

    #[test]
    fn a_draft_has_the_networks_params_files_and_filled_version_tags() {
        use rand::SeedableRng;

        let spec = MnistRunSpec::from_task(&task(), "quick").unwrap();
        let v = &spec.versions[0];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let model = Mlp::init(&v.config(&spec), &mut rng);
        let result = MnistVersionResult {
            version: 1,
            key: v.key.clone(),
            run_name: v.run_name.clone(),
            model_type: "shallow-nn".into(),
            architecture: v.architecture(),
            dropout: v.dropout.clone(),
            learning_rate: v.learning_rate,
            batch_size: v.batch_size,
            epochs: v.epochs,
            final_test_accuracy: 0.9,
            final_test_loss: 0.3,
            f1_weighted: 0.89,
            n_parameters: model.n_parameters(),
            training_time_s: 12.345,
            samples_per_second: 1000.0,
            model_size_mb: 0.4,
            history: vec![],
        };
        let train_x = vec![0.5_f32; 3 * nn::MNIST_INPUTS];
        let d = draft(&spec, v, &data(), &train_x, &model, &result).unwrap();

        let param = |k| mlflow::find(&d.params, k);
        assert_eq!(param("hidden_size_1"), Some("128"));
        assert_eq!(param("hidden_size_2"), None);
        assert_eq!(param("dropout_rate"), Some("0.0"));
        assert_eq!(param("num_epochs"), Some("3"), "the quick profile's epochs");
        assert_eq!(param("image_shape"), Some("28x28"));
        assert_eq!(param("train_samples"), Some("7000"));
        // The task file's `status` is replaced by the role publish gives the version.
        let tag = |k| mlflow::find(&d.version_tags, k);
        assert_eq!(tag("status"), None);
        assert_eq!(tag("num_parameters"), Some("101770"));
        assert_eq!(tag("training_time_seconds"), Some("12.35"));
        assert_eq!(tag("model_type"), Some("shallow-nn"));
        assert_eq!((d.accuracy, d.f1), (0.9, 0.89));

        let paths: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                nn::WEIGHTS_FILE,
                nn::CONFIG_FILE,
                INPUT_EXAMPLE_FILE,
                "model.onnx",
                "conda.yaml",
                "python_env.yaml",
                "requirements.txt"
            ]
        );
        let example: serde_json::Value = serde_json::from_slice(&d.files[2].bytes).unwrap();
        assert_eq!(
            example["inputs"].as_array().unwrap().len(),
            spec.input_example_rows
        );
        let flavor: HarnessMlpFlavor = d.mlmodel.flavor(HARNESS_MLP_FLAVOR).unwrap().unwrap();
        assert_eq!(flavor.layer_sizes, [784, 128, 10]);
    }
}
