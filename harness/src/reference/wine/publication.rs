//! What task 1 publishes: where the versions go, and for each trained model its params,
//! metrics, dataset input, files and `MLmodel`.

use crate::data::split::Split;
use crate::data::wine::Dataset;
use crate::mlflow::{self, DatasetInput, KeyValue};
use crate::model::mlmodel::{
    HARNESS_TREE_FLAVOR, HarnessTreeFlavor, INPUT_EXAMPLE_FILE, InputExample, MlModel,
    double_columns_to_class_signature,
};
use crate::reference::provenance::run_tags;
use crate::reference::publish::{
    ArtifactFile, RegistryPlan, VersionDraft, VersionPlan, fill_placeholders, onnx_model_files,
};
use crate::train::{self, ModelFile, py_float};

use super::spec::{WineRunSpec, WineVersionSpec};

/// The model file inside each logged model.
pub(crate) const MODEL_FILE: &str = "model.json";

/// Where task 1's versions go: the experiment, the registered model with its description's
/// placeholders filled, and each version's run with its provenance tags.
pub(super) fn registry_plan(
    spec: &WineRunSpec,
    dataset: &Dataset,
    split: &Split,
    git_commit: Option<&str>,
) -> RegistryPlan {
    let description = fill_placeholders(
        &spec.description,
        &[
            ("seed", spec.seed.to_string()),
            ("test_size", py_float(spec.test_size)),
            ("n_train", split.train.len().to_string()),
            ("n_test", split.test.len().to_string()),
        ],
    );
    let run_tags = run_tags(
        "harness run wine",
        dataset.digest(),
        spec.seed,
        [],
        git_commit,
    );
    RegistryPlan {
        experiment: spec.experiment.clone(),
        registered_model: spec.registered_model.clone(),
        description,
        tags: spec.tags.iter().map(|(k, v)| KeyValue::new(k, v)).collect(),
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

/// What to log and register for one trained model.
pub(super) fn draft(
    spec: &WineRunSpec,
    vspec: &WineVersionSpec,
    dataset: &Dataset,
    split: &Split,
    t: &train::wine::TrainedModel,
) -> VersionDraft {
    let algorithm = t.model.algorithm();
    let mut params: Vec<KeyValue> = t
        .model
        .hyperparameters()
        .into_iter()
        .map(|(k, v)| KeyValue::new(k, v))
        .collect();
    params.push(KeyValue::new("algorithm", algorithm.name()));
    params.push(KeyValue::new("seed", spec.seed.to_string()));
    params.push(KeyValue::new("test_size", py_float(spec.test_size)));

    let example = InputExample {
        columns: dataset.feature_names.clone(),
        data: split
            .train
            .iter()
            .take(spec.input_example_rows)
            .map(|&i| dataset.row(i).to_vec())
            .collect(),
    };
    let mut files = vec![ArtifactFile {
        path: MODEL_FILE.into(),
        bytes: ModelFile::new(t.model.clone(), dataset)
            .to_json()
            .into_bytes(),
    }];
    files.extend(onnx_model_files(crate::onnx::export_tree_model(&t.model)));
    let mut mlmodel = MlModel {
        signature: Some(double_columns_to_class_signature(&dataset.feature_names)),
        ..Default::default()
    }
    .with_flavor(
        HARNESS_TREE_FLAVOR,
        &HarnessTreeFlavor {
            algorithm: algorithm.name().into(),
            format: train::MODEL_FORMAT.into(),
            format_version: train::MODEL_FORMAT_VERSION,
            harness_version: crate::version::VERSION.into(),
            model_file: MODEL_FILE.into(),
        },
    )
    .with_onnx_flavors();
    if !example.data.is_empty() {
        files.push(ArtifactFile {
            path: INPUT_EXAMPLE_FILE.into(),
            bytes: example.to_json().into_bytes(),
        });
        mlmodel.saved_input_example_info = Some(InputExample::info());
    }
    VersionDraft {
        params,
        metrics: vec![
            ("accuracy".into(), t.accuracy),
            ("f1_score".into(), t.f1_weighted),
        ],
        datasets: vec![dataset_input(dataset)],
        model_name: "model".into(),
        files,
        mlmodel,
        version_tags: vec![KeyValue::new("model_type", &vspec.model_type)],
        version_description: Some(format!(
            "{} ({}): test accuracy {:.4}, weighted F1 {:.4}, random_state {}",
            algorithm.sklearn_class(),
            t.model
                .hyperparameters()
                .iter()
                .filter(|(k, _)| matches!(
                    k.as_str(),
                    "n_estimators" | "learning_rate" | "max_depth"
                ))
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", "),
            t.accuracy,
            t.f1_weighted,
            spec.seed
        )),
        accuracy: t.accuracy,
        f1: t.f1_weighted,
    }
}

/// The run's dataset input, shaped like `mlflow.data.from_pandas(df, name="wine")` logs it.
fn dataset_input(dataset: &Dataset) -> DatasetInput {
    let mut columns: Vec<serde_json::Value> = dataset
        .feature_names
        .iter()
        .map(|n| serde_json::json!({"type": "double", "name": n, "required": true}))
        .collect();
    columns.push(serde_json::json!({"type": "long", "name": "target", "required": true}));
    let n_cols = dataset.n_features + 1;
    DatasetInput {
        tags: vec![KeyValue::new("mlflow.data.context", "training")],
        dataset: mlflow::Dataset {
            name: "wine".into(),
            // MLflow's dataset digests are 8 hex characters; the full sha256 is a run tag.
            digest: dataset.digest().chars().take(8).collect(),
            source_type: "code".into(),
            source: serde_json::json!({"tags": {
                "mlflow.source.name": "harness (embedded scikit-learn wine_data.csv)",
                "sha256": dataset.digest(),
            }})
            .to_string(),
            schema: Some(serde_json::json!({ "mlflow_colspec": columns }).to_string()),
            profile: Some(
                serde_json::json!({
                    "num_rows": dataset.n_samples(),
                    "num_elements": dataset.n_samples() * n_cols,
                })
                .to_string(),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::data::split::train_test_split;
    use crate::data::wine;
    use crate::model::mlmodel::InputExample;

    use super::*;

    fn homework() -> (WineRunSpec, Dataset, Split) {
        let spec = WineRunSpec::default();
        let dataset = wine::load().unwrap();
        let split = train_test_split(dataset.n_samples(), spec.test_size, spec.seed).unwrap();
        (spec, dataset, split)
    }

    #[test]
    fn the_plan_fills_the_description_and_tags_every_run_alike() {
        let (spec, dataset, split) = homework();
        let commit = "0123456789abcdef0123456789abcdef01234567";
        let plan = registry_plan(&spec, &dataset, &split, Some(commit));
        assert!(
            plan.description.contains(
                "train_test_split(test_size=0.2, random_state=42) into 142 training and 36 test"
            ),
            "{}",
            plan.description
        );
        assert!(!plan.description.contains('{'), "{}", plan.description);
        let names: Vec<&str> = plan.versions.iter().map(|v| v.run_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "wine-v1-DecisionTree",
                "wine-v2-RandomForest",
                "wine-v3-GradientBoosting"
            ]
        );
        let tags = &plan.versions[0].run_tags;
        assert!(plan.versions.iter().all(|v| &v.run_tags == tags));
        assert_eq!(
            crate::mlflow::find(tags, "mlflow.source.git.commit"),
            Some(commit)
        );
        assert_eq!(
            crate::mlflow::find(tags, "harness.data_sha256"),
            Some(dataset.digest())
        );
        assert_eq!(
            crate::mlflow::find(tags, "mlflow.source.name"),
            Some("harness run wine")
        );
        assert_eq!(plan.tags.len(), spec.tags.len());
    }

    #[test]
    fn a_draft_carries_the_model_file_an_example_and_the_tree_flavor() {
        let (spec, dataset, split) = homework();
        let vspec = &spec.versions[0];
        let trained =
            train::wine::train_with(&vspec.model, &dataset, &split, u64::from(spec.seed)).unwrap();
        let d = draft(&spec, vspec, &dataset, &split, &trained);

        let param = |k| crate::mlflow::find(&d.params, k);
        assert_eq!(param("algorithm"), Some("DecisionTree"));
        assert_eq!(
            (param("seed"), param("test_size")),
            (Some("42"), Some("0.2"))
        );
        assert_eq!(
            d.metrics,
            [
                ("accuracy".to_owned(), trained.accuracy),
                ("f1_score".to_owned(), trained.f1_weighted)
            ]
        );
        assert_eq!((d.accuracy, d.f1), (trained.accuracy, trained.f1_weighted));
        assert_eq!(
            d.version_tags,
            [KeyValue::new("model_type", "decision_tree")]
        );

        let paths: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
        // The native file, its ONNX copy with MLflow's environment files, then the example.
        assert_eq!(
            paths,
            [
                MODEL_FILE,
                "model.onnx",
                "conda.yaml",
                "python_env.yaml",
                "requirements.txt",
                INPUT_EXAMPLE_FILE
            ]
        );
        let example: InputExample = serde_json::from_slice(&d.files[5].bytes).unwrap();
        assert_eq!(example.columns, dataset.feature_names);
        assert_eq!(example.data.len(), spec.input_example_rows);
        assert_eq!(
            example.data[0],
            dataset.row(split.train[0]),
            "training rows, in split order"
        );

        let flavor: HarnessTreeFlavor = d.mlmodel.flavor(HARNESS_TREE_FLAVOR).unwrap().unwrap();
        assert_eq!(
            (flavor.algorithm.as_str(), flavor.model_file.as_str()),
            ("DecisionTree", MODEL_FILE)
        );
        assert_eq!(
            d.mlmodel.saved_input_example_info,
            Some(InputExample::info())
        );
        let digest = &d.datasets[0].dataset.digest;
        assert_eq!(digest.len(), 8);
        assert!(dataset.digest().starts_with(digest.as_str()));
    }

    #[test]
    fn without_example_rows_there_is_no_example_file() {
        let (mut spec, dataset, split) = homework();
        spec.input_example_rows = 0;
        let vspec = &spec.versions[0];
        let trained =
            train::wine::train_with(&vspec.model, &dataset, &split, u64::from(spec.seed)).unwrap();
        let d = draft(&spec, vspec, &dataset, &split, &trained);
        let paths: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
        assert!(!paths.contains(&INPUT_EXAMPLE_FILE), "{paths:?}");
        assert_eq!(paths[0], MODEL_FILE);
        assert_eq!(d.mlmodel.saved_input_example_info, None);
    }
}
