//! `harness run wine` (issue 3) against the shared real MLflow server: the registry state it
//! leaves, reproducibility, refusing and replacing earlier state, loading the champion back.
//! Every test uses its own experiment and registered-model names.

use std::process::Command;

use harness::data::{split::train_test_split, wine};
use harness::mlflow::{KeyValue, Run, RunSearch, RunStatus, ViewType};
use harness::mlflow::{LoggedModelStatus, MlflowClient, NewLoggedModel, NewModelVersion, NewRun};
use harness::model::mlmodel::{HARNESS_TREE_FLAVOR, HarnessTreeFlavor, MlModel, parse_columns};
use harness::progress::Progress;
use harness::reference::publish::{ALIAS_RULE_TAG, INCOMPLETE_TAG};
use harness::reference::wine::{self as run_wine_task, WineRunSpec, WineSummary};
use harness::reference::{ALIAS_RULE, RunError, Scored, assign_aliases};
use harness::train::{self, Algorithm, ModelFile};
use harness_e2e::{client, harness_bin, home, tracking_uri, unique};

/// The homework spec with names of this test's own.
fn spec(prefix: &str) -> WineRunSpec {
    let id = unique(prefix);
    WineRunSpec {
        experiment: format!("{id}-wine-quality-homework"),
        registered_model: format!("{id}-wine-quality-classifier"),
        ..WineRunSpec::default()
    }
}

fn run(spec: &WineRunSpec, replace: bool) -> Result<WineSummary, RunError> {
    run_wine_task::run(&client(), spec, replace, &Progress::hidden())
}

fn runs_of(c: &MlflowClient, experiment: &str, view: ViewType) -> Vec<Run> {
    let exp = c.get_experiment_by_name(experiment).unwrap().unwrap();
    let mut runs = c
        .search_runs(&RunSearch {
            experiment_ids: vec![exp.experiment_id],
            run_view_type: view,
            ..Default::default()
        })
        .unwrap();
    runs.sort_by(|a, b| a.info.run_name.cmp(&b.info.run_name));
    runs
}

#[test]
fn run_wine_leaves_the_expected_registry_state() {
    let spec = spec("rw-state");
    let summary = run(&spec, false).unwrap();
    let c = client();
    let name = &spec.registered_model;

    // Registered model: description, tags, aliases by the rule, no "incomplete" marker.
    let rm = c.get_registered_model(name).unwrap();
    for word in [
        "DecisionTree",
        "RandomForest",
        "GradientBoosting",
        "load_wine",
        "test_size=0.2",
        "random_state=42",
        "142",
        "36",
    ] {
        assert!(
            rm.description.contains(word),
            "{word} missing from {:?}",
            rm.description
        );
    }
    assert_eq!(rm.tag("task"), Some("classification"));
    assert_eq!(rm.tag("dataset"), Some("wine"));
    assert!(rm.tag("team").is_some_and(|t| !t.is_empty()));
    assert_eq!(rm.tag(ALIAS_RULE_TAG), Some(ALIAS_RULE));
    assert_eq!(rm.tag(INCOMPLETE_TAG), None);

    // Versions, as the server has them.
    let mut versions = c
        .search_model_versions(Some(&format!("name='{name}'")))
        .unwrap();
    versions.sort_by_key(|v| v.version.parse::<u32>().unwrap());
    assert_eq!(versions.len(), 3);
    // Search results leave out some fields (model_id, aliases): read each version in full.
    let versions: Vec<_> = versions
        .iter()
        .map(|v| c.get_model_version(name, &v.version).unwrap())
        .collect();
    let runs = runs_of(&c, &spec.experiment, ViewType::ActiveOnly);
    assert_eq!(runs.len(), 3);
    let expected = [
        (Algorithm::DecisionTree, "decision_tree"),
        (Algorithm::RandomForest, "random_forest"),
        (Algorithm::GradientBoosting, "gradient_boosting"),
    ];
    let mut scored = Vec::new();
    for (i, (mv, (algorithm, model_type))) in versions.iter().zip(expected).enumerate() {
        let n = i + 1;
        assert_eq!(mv.version, n.to_string());
        // MLflow 3.17's REST answers carry no `model_id`: the source names the logged model.
        let model_id = mv
            .source
            .strip_prefix("models:/")
            .unwrap_or_default()
            .to_owned();
        assert!(model_id.starts_with("m-"), "{}", mv.source);
        assert_eq!(model_id, summary.published.versions[i].model_id);
        assert_eq!(mv.status, "READY");
        assert_eq!(mv.tag("model_type"), Some(model_type));
        let run = c.get_run(&mv.run_id).unwrap();
        assert_eq!(run.info.run_name, format!("wine-v{n}-{algorithm}"));
        assert_eq!(run.info.status, RunStatus::Finished);
        assert!(run.info.end_time.is_some());
        // Params: every hyperparameter (as scikit-learn names them), algorithm, seed, test_size.
        let hp = train::Hyperparameters::default_for(algorithm).to_pairs();
        for (k, v) in &hp {
            assert_eq!(run.param(k), Some(v.as_str()), "{algorithm} param {k}");
        }
        assert_eq!(run.param("random_state"), Some("42"));
        assert_eq!(run.param("algorithm"), Some(algorithm.name()));
        assert_eq!(run.param("seed"), Some("42"));
        assert_eq!(run.param("test_size"), Some("0.2"));
        assert_eq!(run.data.params.len(), hp.len() + 4, "{:?}", run.data.params);
        // Metrics are fractions and agree with the summary.
        let acc = run.metric("accuracy").unwrap();
        let f1 = run.metric("f1_score").unwrap();
        assert!((0.0..=1.0).contains(&acc) && (0.0..=1.0).contains(&f1));
        assert_eq!(acc, summary.versions[i].accuracy);
        assert_eq!(f1, summary.versions[i].f1);
        scored.push(Scored {
            version: n as u32,
            accuracy: acc,
            f1,
        });
        // Provenance and dataset input.
        assert_eq!(run.tag("harness.version"), Some(harness::VERSION));
        assert_eq!(run.tag("harness.data_sha256"), Some(wine::WINE_SHA256));
        assert_eq!(run.tag("harness.seed"), Some("42"));
        if let Some(commit) = run.tag("mlflow.source.git.commit") {
            assert_eq!(commit.len(), 40, "{commit}");
        }
        let inputs = &run.inputs.dataset_inputs;
        assert_eq!(inputs.len(), 1);
        assert_eq!(inputs[0].dataset.name, "wine");
        assert_eq!(inputs[0].dataset.digest, &wine::WINE_SHA256[..8]);
        // The logged model: READY, produced by this run.
        let lm = c.get_logged_model(&model_id).unwrap();
        assert_eq!(lm.info.status, LoggedModelStatus::Ready);
        assert_eq!(lm.info.source_run_id, mv.run_id);
        // MLmodel: parseable, our flavor, ids, signature with the 13 wine features.
        let uri = c.get_model_version_download_uri(name, &mv.version).unwrap();
        let text = String::from_utf8(c.download_artifact(&uri, "MLmodel").unwrap()).unwrap();
        let mlmodel = MlModel::from_yaml(&text).unwrap();
        assert_eq!(mlmodel.model_id, model_id);
        assert_eq!(mlmodel.run_id, mv.run_id);
        assert_eq!(mlmodel.artifact_path, lm.info.artifact_uri);
        assert!(!mlmodel.mlflow_version.is_empty() && !mlmodel.utc_time_created.is_empty());
        let flavor: HarnessTreeFlavor = mlmodel.flavor(HARNESS_TREE_FLAVOR).unwrap().unwrap();
        assert_eq!(flavor.algorithm, algorithm.name());
        assert_eq!(flavor.model_file, "model.json");
        let sig = mlmodel.signature.as_ref().unwrap();
        let columns = parse_columns(&sig.inputs).unwrap();
        assert_eq!(columns.len(), 13);
        assert!(columns.iter().all(|c| c.kind == "double" && c.required));
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, wine::FEATURE_NAMES);
        assert!(
            sig.outputs.contains(r#""dtype": "int64""#),
            "{}",
            sig.outputs
        );
        let info = mlmodel.saved_input_example_info.as_ref().unwrap();
        assert_eq!(
            (info.kind.as_str(), info.pandas_orient.as_deref()),
            ("dataframe", Some("split"))
        );
        let example: serde_json::Value =
            serde_json::from_slice(&c.download_artifact(&uri, &info.artifact_path).unwrap())
                .unwrap();
        assert_eq!(example["columns"].as_array().unwrap().len(), 13);
        assert_eq!(example["data"][0].as_array().unwrap().len(), 13);
        let model = ModelFile::from_json(
            std::str::from_utf8(&c.download_artifact(&uri, "model.json").unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(model.model.algorithm(), algorithm);
    }

    // Aliases follow the rule applied to the metrics on the server. On the default split
    // RandomForest is perfect and DecisionTree/GradientBoosting tie on accuracy.
    let rule = assign_aliases(&scored, 1).unwrap();
    assert_eq!(
        rm.alias("champion"),
        Some(rule.champion.to_string().as_str())
    );
    assert_eq!(
        rm.alias("staging"),
        rule.staging.map(|s| s.to_string()).as_deref()
    );
    assert_eq!(rm.alias("baseline"), Some("1"));
    assert_eq!(
        rule.champion, 2,
        "RandomForest reaches 36/36 as in scikit-learn"
    );
    assert_eq!(
        scored[0].accuracy, scored[2].accuracy,
        "DT and GB tie as in scikit-learn"
    );
    // Staging goes to the better F1 of the two; on a full tie to the lower version, v1.
    let expected_staging = if scored[2].f1 > scored[0].f1 + 1e-9 {
        3
    } else {
        1
    };
    assert_eq!(rule.staging, Some(expected_staging));
    assert_eq!(summary.published.aliases, rule);
    for mv in &versions {
        let v: u32 = mv.version.parse().unwrap();
        assert_eq!(mv.tag("status"), Some(rule.role(v).status()), "v{v}");
    }
    assert_eq!(
        c.get_model_version(name, "2").unwrap().tag("status"),
        Some("champion")
    );

    // Python's MLflow reads our MLmodel (signature included) when the venv is at hand.
    let python = home().python_bin();
    if python.exists() {
        let dir = tempfile::tempdir().unwrap();
        c.download_model(&format!("models:/{name}@champion"), dir.path())
            .unwrap();
        let out = Command::new(python)
            .arg("-c")
            .arg("import sys; from mlflow.models import Model; m = Model.load(sys.argv[1]); \
                  print(m.signature.inputs.input_names()[0], len(m.signature.inputs.input_names()), \
                  m.saved_input_example_info['type'], m.model_id)")
            .arg(dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            stdout.trim(),
            format!("alcohol 13 dataframe {}", summary.champion.model_id)
        );
    }
}

#[test]
fn run_wine_twice_with_the_same_seed_is_identical() {
    let a_spec = spec("rw-same-a");
    let b_spec = spec("rw-same-b");
    let a = run(&a_spec, false).unwrap();
    let b = run(&b_spec, false).unwrap();
    let metrics = |s: &WineSummary| -> Vec<(f64, f64)> {
        s.versions.iter().map(|v| (v.accuracy, v.f1)).collect()
    };
    assert_eq!(metrics(&a), metrics(&b));
    assert_eq!(a.champion.predictions, b.champion.predictions);
    assert_eq!(a.published.aliases, b.published.aliases);
    // The model files are byte-identical too.
    let c = client();
    for v in ["1", "2", "3"] {
        let file = |spec: &WineRunSpec| {
            let uri = c
                .get_model_version_download_uri(&spec.registered_model, v)
                .unwrap();
            c.download_artifact(&uri, "model.json").unwrap()
        };
        assert!(file(&a_spec) == file(&b_spec), "model.json of v{v} differs");
    }
    // Another seed gives another split (and so other rows predicted).
    let mut other = spec("rw-seed7");
    other.seed = 7;
    let o = run(&other, false).unwrap();
    assert_eq!((o.n_train, o.n_test), (142, 36));
    assert_ne!(
        o.champion
            .predictions
            .iter()
            .map(|p| p.row)
            .collect::<Vec<_>>(),
        a.champion
            .predictions
            .iter()
            .map(|p| p.row)
            .collect::<Vec<_>>()
    );
}

/// The state a run killed half-way leaves (or a student's first attempt): the registered model
/// with one version, whose run has the task's first run name and is still RUNNING.
fn half_finished(c: &MlflowClient, spec: &WineRunSpec) -> (String, String) {
    let exp = c.get_or_create_experiment(&spec.experiment).unwrap();
    c.create_registered_model(&spec.registered_model, &[], Some("half done"))
        .unwrap();
    let run = c
        .create_run(&NewRun {
            experiment_id: exp.clone(),
            run_name: Some(spec.versions[0].run_name.clone()),
            start_time: None,
            tags: vec![],
        })
        .unwrap();
    let lm = c
        .create_logged_model(&NewLoggedModel {
            experiment_id: exp,
            name: "model".into(),
            source_run_id: Some(run.info.run_id.clone()),
            ..Default::default()
        })
        .unwrap();
    c.upload_artifact(&lm.info.artifact_uri, "MLmodel", b"flavors: {}\n".to_vec())
        .unwrap();
    c.finalize_logged_model(&lm.info.model_id, LoggedModelStatus::Ready)
        .unwrap();
    c.create_model_version(&NewModelVersion {
        name: spec.registered_model.clone(),
        source: format!("models:/{}", lm.info.model_id),
        run_id: Some(run.info.run_id.clone()),
        model_id: Some(lm.info.model_id.clone()),
        tags: vec![KeyValue::new("model_type", "hand-made")],
        description: None,
    })
    .unwrap();
    (run.info.run_id, lm.info.model_id)
}

#[test]
fn run_wine_refuses_an_existing_registered_model_unchanged_and_replace_rebuilds_it() {
    let spec = spec("rw-replace");
    let c = client();
    let (old_run, old_model) = half_finished(&c, &spec);
    let before = c.get_registered_model(&spec.registered_model).unwrap();

    let err = run(&spec, false).unwrap_err();
    assert!(matches!(err, RunError::AlreadyExists { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("--replace") && msg.contains(&spec.registered_model),
        "{msg}"
    );
    // Nothing changed.
    let after = c.get_registered_model(&spec.registered_model).unwrap();
    assert_eq!(after, before);
    let versions = c
        .search_model_versions(Some(&format!("name='{}'", spec.registered_model)))
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(runs_of(&c, &spec.experiment, ViewType::All).len(), 1);

    let summary = run(&spec, true).unwrap();
    assert!(summary.published.cleanup.registered_model_deleted);
    assert_eq!(summary.published.cleanup.runs_deleted, [old_run.as_str()]);
    assert_eq!(summary.published.cleanup.logged_models_deleted, 1);
    let rm = c.get_registered_model(&spec.registered_model).unwrap();
    assert_ne!(rm.description, "half done");
    let mut versions = c
        .search_model_versions(Some(&format!("name='{}'", spec.registered_model)))
        .unwrap();
    versions.sort_by(|a, b| a.version.cmp(&b.version));
    assert_eq!(versions.len(), 3);
    assert!(
        versions
            .iter()
            .all(|v| v.model_id != old_model && v.tag("model_type") != Some("hand-made"))
    );
    assert_eq!(rm.alias("baseline"), Some("1"));
    // The old run is deleted (soft), the three new ones are the only active runs.
    assert_eq!(c.get_run(&old_run).unwrap().info.lifecycle_stage, "deleted");
    let active = runs_of(&c, &spec.experiment, ViewType::ActiveOnly);
    let names: Vec<&str> = active.iter().map(|r| r.info.run_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "wine-v1-DecisionTree",
            "wine-v2-RandomForest",
            "wine-v3-GradientBoosting"
        ]
    );
    // --replace on the finished state works too, and leaves the same registry picture.
    let again = run(&spec, true).unwrap();
    assert_eq!(again.published.cleanup.runs_deleted.len(), 3);
    assert_eq!(again.published.aliases, summary.published.aliases);
}

#[test]
fn run_wine_failing_mid_way_marks_the_run_failed_and_replace_cleans_up() {
    let mut broken = spec("rw-fail");
    // v2 cannot be trained: the failure happens inside its run, after v1 is registered.
    broken.versions[1].model =
        serde_json::from_value(serde_json::json!({"algorithm": "RandomForest", "n_estimators": 0}))
            .unwrap();
    let err = run(&broken, false).unwrap_err();
    assert!(matches!(err, RunError::Train { .. }), "{err}");
    let c = client();
    let runs = runs_of(&c, &broken.experiment, ViewType::ActiveOnly);
    let status: Vec<(&str, RunStatus)> = runs
        .iter()
        .map(|r| (r.info.run_name.as_str(), r.info.status))
        .collect();
    assert_eq!(
        status,
        [
            ("wine-v1-DecisionTree", RunStatus::Finished),
            ("wine-v2-RandomForest", RunStatus::Failed)
        ]
    );
    let rm = c.get_registered_model(&broken.registered_model).unwrap();
    assert!(
        rm.tag(INCOMPLETE_TAG).is_some(),
        "an unfinished model says so"
    );
    let err = run(&broken, false).unwrap_err().to_string();
    assert!(err.contains("interrupted"), "{err}");

    let fixed = WineRunSpec {
        versions: WineRunSpec::default().versions,
        ..broken
    };
    let summary = run(&fixed, true).unwrap();
    assert_eq!(summary.published.cleanup.runs_deleted.len(), 2);
    let rm = c.get_registered_model(&fixed.registered_model).unwrap();
    assert_eq!(rm.tag(INCOMPLETE_TAG), None);
    assert_eq!(
        runs_of(&c, &fixed.experiment, ViewType::ActiveOnly).len(),
        3
    );
}

#[test]
fn run_wine_champion_loaded_by_alias_predicts_like_the_model_in_memory() {
    let spec = spec("rw-champion");
    let summary = run(&spec, false).unwrap();
    assert!(summary.champion.matches_in_memory);
    assert_eq!(summary.champion.predictions.len(), 10);
    assert_eq!(
        summary.champion.uri,
        format!("models:/{}@champion", spec.registered_model)
    );

    // Independently of the run: load by alias, predict every test row, compare with a model
    // trained here.
    let c = client();
    let dir = tempfile::tempdir().unwrap();
    let (resolved, files) = c
        .download_model(
            &format!("models:/{}@champion", spec.registered_model),
            dir.path(),
        )
        .unwrap();
    assert_eq!(
        files,
        [
            "MLmodel",
            "conda.yaml",
            "input_example.json",
            "model.json",
            "model.onnx",
            "python_env.yaml",
            "requirements.txt"
        ]
    );
    assert_eq!(
        resolved.version.unwrap().version,
        summary.champion.version.to_string()
    );
    let loaded = ModelFile::read(&dir.path().join("model.json")).unwrap();
    let data = wine::load().unwrap();
    let split = train_test_split(data.n_samples(), 0.2, 42).unwrap();
    let here = train::wine::train(loaded.model.algorithm(), &data, &split, 42).unwrap();
    let predicted: Vec<usize> = split
        .test
        .iter()
        .map(|&i| loaded.model.predict(data.row(i)))
        .collect();
    assert_eq!(predicted, here.predictions);
    for p in &summary.champion.predictions {
        assert_eq!(p.actual, data.targets[p.row]);
        assert_eq!(p.predicted, loaded.model.predict(data.row(p.row)));
    }
}

#[test]
fn run_wine_binary_prints_the_homework_table_and_refuses_a_second_run() {
    let prefix = format!("{}-", unique("rw-bin"));
    let harness = |extra: &[&str]| {
        Command::new(harness_bin())
            .args([
                "run",
                "wine",
                "--quiet",
                "--tracking-uri",
                tracking_uri(),
                "--name-prefix",
                &prefix,
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = harness(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| v")).collect();
    assert_eq!(table.len(), 3, "{stdout}");
    assert!(
        stdout.contains("| Version | Algorithm | Accuracy | F1-Score |"),
        "{stdout}"
    );
    assert!(
        table[0].starts_with("| v1 | DecisionTree | 0.9"),
        "{stdout}"
    );
    assert_eq!(
        table[1], "| v2 | RandomForest | 1.0000 | 1.0000 |",
        "{stdout}"
    );
    assert!(
        table[2].starts_with("| v3 | GradientBoosting | 0.9"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Champion Model: v2 RandomForest"),
        "{stdout}"
    );
    assert!(stdout.contains("@champion → v2 RandomForest"), "{stdout}");
    assert!(stdout.contains("@baseline → v1 DecisionTree"), "{stdout}");
    assert!(stdout.contains("scikit-learn 1.9.1"), "{stdout}");
    assert!(
        !stdout.contains("| NO |"),
        "all within ±0.03 of scikit-learn: {stdout}"
    );
    let predictions = stdout
        .lines()
        .skip_while(|l| !l.starts_with("| Test row"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .count();
    assert_eq!(predictions, 10, "{stdout}");
    let model = format!("{prefix}wine-quality-classifier");
    assert_eq!(
        client()
            .get_registered_model(&model)
            .unwrap()
            .alias("champion"),
        Some("2")
    );

    let again = harness(&[]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("already exists") && stderr.contains("--replace"),
        "{stderr}"
    );
    assert!(again.stdout.is_empty());
}
