//! Regression against the shared real server: a `harness run --config` on the bundled diabetes
//! data logs RMSE/MAE/R², the predicted-vs-actual chart and a model whose ONNX copy
//! onnxruntime (through `mlflow.pyfunc`) predicts like harness; and `harness run zoomcamp-hw2`
//! earns every automatic point of `tasks/zoomcamp-hw2.toml`.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use harness::grading::checks::CheckStatus;
use harness::grading::{Target, grade_target};
use harness::mlflow::{RunSearch, ViewType};
use harness::progress::Progress;
use harness::task::TaskSpec;
use harness::train::RegressorFile;
use harness_e2e::{client, harness_bin, home, python, tracking_uri, unique};

fn harness(args: &[&str]) -> Output {
    Command::new(harness_bin())
        .args(args)
        .args(["--quiet", "--tracking-uri", tracking_uri()])
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `mlflow.pyfunc.load_model(uri).predict(frame)` in the harness venv with onnxruntime, the
/// frame read from `input` (pandas split orient); the predictions as a flat list.
fn pyfunc_predict(uri: &str, input: &Path) -> Vec<f64> {
    let python =
        harness::server::ensure_onnx_runtime(&home(), &python(), &Progress::hidden()).unwrap();
    let script = r#"
import json, sys
import mlflow, numpy as np, pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
assert model.metadata.flavors["python_function"]["loader_module"] == "mlflow.onnx"
frame = pd.read_json(sys.argv[2], orient="split").astype("float32")
out = model.predict(frame)
values = out["variable"] if isinstance(out, (dict, pd.DataFrame)) else out
print(json.dumps(np.asarray(values, dtype="float64").reshape(-1).tolist()))
"#;
    let out_file = tempfile::NamedTempFile::new().unwrap();
    let err_file = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(python)
        .args(["-c", script, uri, &input.display().to_string()])
        .env("MLFLOW_TRACKING_URI", tracking_uri())
        .stdout(out_file.reopen().unwrap())
        .stderr(err_file.reopen().unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("mlflow.pyfunc ran past 300 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let err = std::fs::read_to_string(err_file.path()).unwrap_or_default();
    assert!(status.success(), "pyfunc: {status}\n{err}");
    serde_json::from_str(std::fs::read_to_string(out_file.path()).unwrap().trim()).unwrap()
}

/// A random forest on the diabetes data: regression metrics, the chart instead of a confusion
/// matrix, and the registered model's ONNX copy predicting like its model.json in onnxruntime.
#[test]
fn a_regression_config_logs_rmse_the_chart_and_an_onnx_model_onnxruntime_agrees_with() {
    let id = unique("reg-run");
    let model_name = format!("{id}-model");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("diabetes.yaml");
    std::fs::write(
        &config,
        format!(
            "experiment_name: {id}\nseed: 3\ndata: {{dataset: diabetes}}\nmodel: {{architecture: random_forest, n_estimators: 20, max_depth: 6}}\nregister: {{name: {model_name}, alias: champion}}\n"
        ),
    )
    .unwrap();
    let out = harness(&["run", "--config", &config.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let printed: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Final test RMSE: "))
        .unwrap_or_else(|| panic!("no final line in {stdout}"))
        .parse()
        .unwrap();

    let c = client();
    let exp = c.get_experiment_by_name(&id).unwrap().expect("experiment");
    let runs = c
        .search_runs(&RunSearch {
            experiment_ids: vec![exp.experiment_id.clone()],
            run_view_type: ViewType::All,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let metric = |k: &str| run.metric(k).unwrap_or_else(|| panic!("no {k}"));
    assert!((metric("test_rmse") - printed).abs() < 1e-4);
    assert!(metric("test_rmse") < 70.0 && metric("test_r2") > 0.2);
    assert!(metric("val_rmse") > 0.0 && metric("train_rmse") < metric("val_rmse"));
    assert!(metric("test_mae") < metric("test_rmse"));
    assert_eq!(run.metric("test_accuracy"), None);
    let artifacts: Vec<String> = c
        .list_artifacts(&run.info.artifact_uri, "")
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert!(
        artifacts.iter().any(|p| p == "predicted_vs_actual.png"),
        "{artifacts:?}"
    );
    assert!(!artifacts.iter().any(|p| p == "confusion_matrix.png"));

    // The registered model: harness's file and the ONNX copy agree on the test rows.
    let mdir = tempfile::tempdir().unwrap();
    let uri = format!("models:/{model_name}@champion");
    c.download_model(&uri, mdir.path()).unwrap();
    let file = RegressorFile::read(&mdir.path().join("model.json")).unwrap();
    let d = harness::data::diabetes::load().unwrap();
    let rows: Vec<Vec<f64>> = (0..d.n_samples()).map(|i| d.row(i).to_vec()).collect();
    let input = dir.path().join("input.json");
    std::fs::write(
        &input,
        serde_json::json!({ "columns": harness::data::diabetes::FEATURE_NAMES, "data": rows })
            .to_string(),
    )
    .unwrap();
    let onnx = pyfunc_predict(&uri, &input);
    assert_eq!(onnx.len(), d.n_samples());
    for (i, (o, row)) in onnx.iter().zip(&rows).enumerate() {
        let want = file.model.predict(row);
        // float32 leaf weights summed in float32: a few parts in a million of the value.
        assert!(
            (o - want).abs() < 1e-3,
            "row {i}: onnxruntime {o} vs harness {want}"
        );
    }
}

/// The reference run of the Zoomcamp homework, graded by the task file itself with this test's
/// prefix put in front of the names it looks for (the shared server holds other tests' runs).
#[test]
fn zoomcamp_hw2_reference_run_earns_every_automatic_point() {
    let prefix = format!("{}-", unique("zc"));
    let out = harness(&["run", "zoomcamp-hw2", "--name-prefix", &prefix]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("diabetes"), "says which data: {stdout}");
    assert!(
        stdout.contains("NYC taxi"),
        "says what it stands in for: {stdout}"
    );

    let original = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks/zoomcamp-hw2.toml"),
    )
    .unwrap();
    let prefixed = original
        .replace("experiment = \"*\"", &format!("experiment = \"{prefix}*\""))
        .replace("model = \"*\"", &format!("model = \"{prefix}*\""))
        .replace("name = \"*\"", &format!("name = \"{prefix}*\""))
        .replace(
            "name = \"random-forest-",
            &format!("name = \"{prefix}random-forest-"),
        );
    assert_ne!(prefixed, original);
    let task = TaskSpec::parse(&prefixed, "zoomcamp-hw2.toml (prefixed)").unwrap();
    let graded = grade_target(&[task], Target::Server(client())).unwrap();
    let t = &graded[0].grade.tasks[0];
    let failing: Vec<String> = t
        .items
        .iter()
        .flat_map(|i| &i.checks)
        .filter(|c| c.status != CheckStatus::Pass)
        .map(|c| format!("{} {:?}: {}", c.id, c.status, c.message))
        .collect();
    assert_eq!(t.points, t.max_points, "{failing:#?}\n{stdout}");
    assert_eq!(t.max_points, 100);
}
