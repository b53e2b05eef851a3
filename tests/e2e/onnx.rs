//! ONNX beside our native models (issue 12), proven with the real Python stack: in the harness
//! venv with onnx and onnxruntime added, `mlflow.pyfunc.load_model("models:/…@champion")` of
//! both tasks predicts the whole test set like harness (same class for every row, probabilities
//! within 1e-5), `onnx.checker` accepts the files, `mlflow models serve` answers
//! `/invocations`, and tract (in Rust) reloads the same files and agrees too.

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::data::{mnist, split::train_test_split, wine};
use harness::mlflow::MlflowClient;
use harness::model::mlmodel::{
    MlModel, ONNX_FLAVOR, OnnxFlavor, PYTHON_FUNCTION_FLAVOR, PythonFunctionFlavor, parse_columns,
};
use harness::nn::{Mlp, Samples};
use harness::onnx::OnnxClassifier;
use harness::progress::Progress;
use harness::reference::mnist::{self as run_mnist_task, MnistRunSpec};
use harness::reference::wine::{self as run_wine_task, WineRunSpec};
use harness::task::{TaskSource, TaskSpec};
use harness::train::ModelFile;
use harness_e2e::{client, home, python, tracking_uri, unique};

const TOLERANCE: f64 = 1e-5;

/// Harness's class and probabilities for each row.
type Expected = Vec<(usize, Vec<f64>)>;

/// The harness venv's python with onnx and onnxruntime (installed once, then cached).
fn onnx_python() -> PathBuf {
    harness::server::ensure_onnx_runtime(&home(), &python(), &Progress::hidden()).unwrap()
}

/// Runs `command` with the tracking URI set, killed after `limit`; fails on a failed exit.
fn run_bounded(mut command: Command, limit: Duration) {
    // Output into a file, not a pipe nobody reads while the child runs.
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = command
        .env("MLFLOW_TRACKING_URI", tracking_uri())
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{command:?} ran past {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let err = std::fs::read_to_string(log.path()).unwrap_or_default();
    assert!(status.success(), "{command:?}: {status}\n{err}");
}

/// Loads `uri` with `mlflow.pyfunc.load_model`, checks the downloaded `model.onnx` with
/// `onnx.checker`, predicts `input` and returns `{"label": [...], "proba": [[...]...]}`.
fn pyfunc_predict(uri: &str, input: &Path, kind: &str) -> serde_json::Value {
    const SCRIPT: &str = r#"
import json, sys
import mlflow, numpy as np, onnx, pandas as pd
from mlflow.artifacts import download_artifacts
uri, input_path, kind, output_path = sys.argv[1:5]
onnx.checker.check_model(download_artifacts(uri) + "/model.onnx", full_check=True)
model = mlflow.pyfunc.load_model(uri)
assert model.metadata.flavors["python_function"]["loader_module"] == "mlflow.onnx"
if kind == "dataframe":
    with open(input_path) as f:
        d = json.load(f)
    out = model.predict(pd.DataFrame(d["data"], columns=d["columns"]))
    n_classes = sum(1 for c in out.columns if c.startswith("probability_"))
else:
    out = model.predict(np.fromfile(input_path, dtype="<f4").reshape(-1, 784))
    n_classes = sum(1 for c in out if c.startswith("probability_"))
labels = np.asarray(out["label"]).tolist()
proba = np.stack([np.asarray(out[f"probability_{k}"]) for k in range(n_classes)], axis=1)
with open(output_path, "w") as f:
    json.dump({"label": labels, "proba": proba.astype(float).tolist()}, f)
"#;
    // The answer goes to a file: a whole test set would fill the stdout pipe.
    let output = input.with_extension("predictions.json");
    let mut command = Command::new(onnx_python());
    command.args(["-c", SCRIPT, uri, input.to_str().unwrap(), kind]);
    command.arg(&output);
    run_bounded(command, Duration::from_secs(300));
    serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap()
}

fn wine_spec(prefix: &str) -> WineRunSpec {
    let id = unique(prefix);
    WineRunSpec {
        experiment: format!("{id}-wine-quality-homework"),
        registered_model: format!("{id}-wine-quality-classifier"),
        ..WineRunSpec::default()
    }
}

/// Downloads `uri` and checks it carries the three flavors and the environment files.
fn download(c: &MlflowClient, uri: &str, dir: &Path, native: &str) -> MlModel {
    let (_, files) = c.download_model(uri, dir).unwrap();
    for f in [
        "MLmodel",
        "model.onnx",
        "requirements.txt",
        "python_env.yaml",
        "conda.yaml",
    ] {
        assert!(files.iter().any(|x| x == f), "{f} in {files:?}");
    }
    let text = std::fs::read_to_string(dir.join("MLmodel")).unwrap();
    let mlmodel = MlModel::from_yaml(&text).unwrap();
    assert!(
        mlmodel.flavor::<serde_json::Value>(native).is_some(),
        "{text}"
    );
    let onnx: OnnxFlavor = mlmodel.flavor(ONNX_FLAVOR).unwrap().unwrap();
    assert_eq!(onnx.data, "model.onnx");
    let pyfunc: PythonFunctionFlavor = mlmodel.flavor(PYTHON_FUNCTION_FLAVOR).unwrap().unwrap();
    assert_eq!(pyfunc.loader_module, "mlflow.onnx");
    let requirements = std::fs::read_to_string(dir.join("requirements.txt")).unwrap();
    for r in ["mlflow==3.17.2", "onnxruntime=="] {
        assert!(requirements.contains(r), "{requirements}");
    }
    mlmodel
}

fn assert_same(what: &str, labels: &[i64], proba: &[Vec<f64>], want: &[(usize, Vec<f64>)]) {
    assert_eq!(labels.len(), want.len(), "{what}: rows");
    for (i, (label, p)) in want.iter().enumerate() {
        assert_eq!(labels[i], *label as i64, "{what}: row {i}");
        assert_eq!(proba[i].len(), p.len(), "{what}: row {i} classes");
        for (a, b) in proba[i].iter().zip(p) {
            assert!((a - b).abs() < TOLERANCE, "{what}: row {i}: {a} vs {b}");
        }
    }
}

fn labels_and_proba(v: &serde_json::Value) -> (Vec<i64>, Vec<Vec<f64>>) {
    let labels = v["label"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect();
    let proba = v["proba"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect();
    (labels, proba)
}

/// The wine champion's test rows (as a pandas split frame) and harness's answers for them.
fn wine_test_set(dir: &Path, mlmodel: &MlModel) -> (serde_json::Value, Vec<Vec<f32>>, Expected) {
    let model = ModelFile::read(&dir.join("model.json")).unwrap().model;
    let data = wine::load().unwrap();
    let split = train_test_split(data.n_samples(), 0.2, 42).unwrap();
    let rows: Vec<Vec<f64>> = split.test.iter().map(|&i| data.row(i).to_vec()).collect();
    let want = rows
        .iter()
        .map(|r| (model.predict(r), model.predict_proba(r)))
        .collect();
    let columns: Vec<String> = parse_columns(&mlmodel.signature.as_ref().unwrap().inputs)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(columns.len(), 13);
    let frame = serde_json::json!({ "columns": columns, "data": rows });
    let rows32 = rows
        .iter()
        .map(|r| r.iter().map(|&v| v as f32).collect())
        .collect();
    (frame, rows32, want)
}

#[test]
fn onnx_wine_champion_loads_with_mlflow_pyfunc_and_tract_and_predicts_like_harness() {
    let spec = wine_spec("onnx-wine");
    run_wine_task::run(&client(), &spec, false, &Progress::hidden()).unwrap();
    let uri = format!("models:/{}@champion", spec.registered_model);
    let dir = tempfile::tempdir().unwrap();
    let mlmodel = download(&client(), &uri, dir.path(), "harness_tree");
    let (frame, rows32, want) = wine_test_set(dir.path(), &mlmodel);

    let input = dir.path().join("test.json");
    std::fs::write(&input, frame.to_string()).unwrap();
    let (labels, proba) = labels_and_proba(&pyfunc_predict(&uri, &input, "dataframe"));
    assert_same("mlflow.pyfunc", &labels, &proba, &want);

    let onnx =
        OnnxClassifier::load(&std::fs::read(dir.path().join("model.onnx")).unwrap()).unwrap();
    let p = onnx.predict(&rows32.concat()).unwrap();
    let proba: Vec<Vec<f64>> = p
        .probabilities
        .iter()
        .map(|r| r.iter().map(|&v| f64::from(v)).collect())
        .collect();
    assert_same("tract", &p.labels, &proba, &want);
}

fn mnist_spec(prefix: &str) -> MnistRunSpec {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
    let task: TaskSpec = TaskSource::Dir(dir).resolve("mnist").unwrap().remove(0);
    let id = unique(prefix);
    let mut s = MnistRunSpec::from_task(&task, "quick").unwrap();
    s.experiment = format!("{id}-{}", s.experiment);
    s.registered_model = format!("{id}-{}", s.registered_model);
    s.max_train_samples = Some(400);
    for v in &mut s.versions {
        v.epochs = 1;
    }
    s
}

#[test]
fn onnx_mnist_champion_loads_with_mlflow_pyfunc_and_tract_and_predicts_like_harness() {
    let spec = mnist_spec("onnx-mnist");
    run_mnist_task::run(&client(), &spec, false, &Progress::hidden()).unwrap();
    let uri = format!("models:/{}@champion", spec.registered_model);
    let dir = tempfile::tempdir().unwrap();
    download(&client(), &uri, dir.path(), "harness_mlp");
    let model = Mlp::load(dir.path()).unwrap();
    let pool = mnist::load_embedded().unwrap();
    let split = train_test_split(pool.len(), 0.3, 42).unwrap();
    let (x, y) = pool.select(&split.test, None);
    assert!(model.evaluate(Samples::new(&x, &y)).unwrap().accuracy > 0.0);
    let want: Vec<(usize, Vec<f64>)> = model
        .predict(&x)
        .unwrap()
        .into_iter()
        .zip(model.predict_proba(&x).unwrap())
        .map(|(l, p)| (usize::from(l), p.iter().map(|&v| f64::from(v)).collect()))
        .collect();

    let input = dir.path().join("test.f32");
    let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&input, bytes).unwrap();
    let (labels, proba) = labels_and_proba(&pyfunc_predict(&uri, &input, "ndarray"));
    assert_same("mlflow.pyfunc", &labels, &proba, &want);

    let onnx =
        OnnxClassifier::load(&std::fs::read(dir.path().join("model.onnx")).unwrap()).unwrap();
    let p = onnx.predict(&x).unwrap();
    let proba: Vec<Vec<f64>> = p
        .probabilities
        .iter()
        .map(|r| r.iter().map(|&v| f64::from(v)).collect())
        .collect();
    assert_same("tract", &p.labels, &proba, &want);
}

/// A `mlflow models serve` process group, killed when dropped.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        // SAFETY: kill has no preconditions; the group is the one this test started.
        unsafe { libc::killpg(self.0.id() as i32, libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `curl` with a time limit: (status, body).
fn http(url: &str, body: Option<&str>) -> (u16, String) {
    let mut c = Command::new("curl");
    c.args(["-s", "--max-time", "30", "-w", "\n%{http_code}"]);
    if let Some(b) = body {
        c.args(["-H", "Content-Type: application/json", "--data-binary", b]);
    }
    let out = c.arg(url).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

#[test]
fn onnx_wine_champion_is_served_by_mlflow_models_serve() {
    let spec = wine_spec("onnx-serve");
    run_wine_task::run(&client(), &spec, false, &Progress::hidden()).unwrap();
    let uri = format!("models:/{}@champion", spec.registered_model);
    let dir = tempfile::tempdir().unwrap();
    let mlmodel = download(&client(), &uri, dir.path(), "harness_tree");
    let (frame, _, want) = wine_test_set(dir.path(), &mlmodel);

    let python = onnx_python();
    let mlflow = python.with_file_name("mlflow");
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let server = Served(
        Command::new(&mlflow)
            .args(["models", "serve", "-m", &uri, "--env-manager", "local"])
            .args(["--host", "127.0.0.1", "-p", &port.to_string(), "-w", "1"])
            .env("MLFLOW_TRACKING_URI", tracking_uri())
            // Its own PATH entry first, so the server's helpers come from the venv too.
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    python.parent().unwrap().display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(120);
    while http(&format!("{base}/ping"), None).0 != 200 {
        assert!(
            Instant::now() < deadline,
            "mlflow models serve did not answer /ping in 120 s:\n{}",
            std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let body = serde_json::json!({ "dataframe_split": frame }).to_string();
    let (status, answer) = http(&format!("{base}/invocations"), Some(&body));
    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let records = answer["predictions"].as_array().unwrap();
    let labels: Vec<i64> = records
        .iter()
        .map(|r| r["label"].as_i64().unwrap())
        .collect();
    let proba: Vec<Vec<f64>> = records
        .iter()
        .map(|r| {
            (0..want[0].1.len())
                .map(|k| r[format!("probability_{k}")].as_f64().unwrap())
                .collect()
        })
        .collect();
    assert_same("mlflow models serve", &labels, &proba, &want);
    drop(server);
}
