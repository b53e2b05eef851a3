//! `harness serve` (issue 12) as a real subprocess against the shared MLflow server: every
//! scoring format answers like harness's own model, `/predict` and `/metrics` work, bad input
//! gets MLflow's error JSON while the server keeps serving, a moved alias is followed without
//! a failed request, SIGTERM stops it cleanly, and local and ONNX-only folders load.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use harness::data::{mnist, split::train_test_split, wine};
use harness::model::mlmodel::{MlModel, parse_columns};
use harness::nn::Mlp;
use harness::progress::Progress;
use harness::reference::mnist::{self as run_mnist_task, MnistRunSpec};
use harness::reference::wine::{self as run_wine_task, WineRunSpec};
use harness::task::TaskSource;
use harness::train::ModelFile;
use harness_e2e::{client, harness_bin, tracking_uri, unique};
use serde_json::{Value, json};

/// A `harness serve` process, killed when dropped if it is still running.
struct Serving {
    child: Child,
    base: String,
    stderr: tempfile::NamedTempFile,
}

impl Serving {
    /// Starts `harness serve MODEL ARGS…` on a free port and waits for its "serving" line.
    fn start(model: &str, args: &[&str]) -> Serving {
        let stderr = tempfile::NamedTempFile::new().unwrap();
        let mut child = Command::new(harness_bin())
            .args(["--quiet", "serve", model, "--port", "0"])
            .args(args)
            .env("MLFLOW_TRACKING_URI", tracking_uri())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!(
                    "harness serve {model} printed no URL in 120 s:\n{}",
                    std::fs::read_to_string(stderr.path()).unwrap_or_default()
                )
            });
        let base = line
            .rsplit_once(" at ")
            .map(|(_, url)| url.trim().to_owned())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        assert!(line.starts_with("serving "), "{line}");
        Serving {
            child,
            base,
            stderr,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap_or_default()
    }

    /// SIGTERM, then the exit status (bounded).
    fn terminate(mut self) -> std::process::ExitStatus {
        // SAFETY: kill has no preconditions; the pid is our child's.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "harness serve did not stop in 20 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// POSTs `body` with `content_type`: (status, version header, body).
fn post(
    url: &str,
    content_type: &str,
    body: impl Into<reqwest::blocking::Body>,
) -> (u16, String, String) {
    let r = http()
        .post(url)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .unwrap();
    let version = r
        .headers()
        .get("x-model-version")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (r.status().as_u16(), version, r.text().unwrap())
}

fn get(url: &str) -> (u16, String) {
    let r = http().get(url).send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

fn wine_spec(prefix: &str) -> WineRunSpec {
    let id = unique(prefix);
    WineRunSpec {
        experiment: format!("{id}-wine-quality-homework"),
        registered_model: format!("{id}-wine-quality-classifier"),
        ..WineRunSpec::default()
    }
}

/// The wine test split as rows, its column names, and the native model's class and
/// probabilities for each row.
struct WineCase {
    columns: Vec<String>,
    rows: Vec<Vec<f64>>,
    want: Vec<(usize, Vec<f64>)>,
}

fn wine_case(model_dir: &Path) -> WineCase {
    let file = ModelFile::read(&model_dir.join("model.json")).unwrap();
    let data = wine::load().unwrap();
    let split = train_test_split(data.n_samples(), 0.2, 42).unwrap();
    let rows: Vec<Vec<f64>> = split.test.iter().map(|&i| data.row(i).to_vec()).collect();
    let want = rows
        .iter()
        .map(|r| (file.model.predict(r), file.model.predict_proba(r)))
        .collect();
    let text = std::fs::read_to_string(model_dir.join("MLmodel")).unwrap();
    let signature = MlModel::from_yaml(&text).unwrap().signature.unwrap();
    let columns: Vec<String> = parse_columns(&signature.inputs)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(columns.len(), 13);
    WineCase {
        columns,
        rows,
        want,
    }
}

/// Checks `{"predictions": [{"label": …, "probability_k": …}]}` against `want`.
fn assert_predictions(what: &str, answer: &str, want: &[(usize, Vec<f64>)], tolerance: f64) {
    let v: Value = serde_json::from_str(answer).unwrap_or_else(|e| panic!("{what}: {e}: {answer}"));
    let rows = v["predictions"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: {answer}"));
    assert_eq!(rows.len(), want.len(), "{what}: rows");
    for (i, (row, (label, proba))) in rows.iter().zip(want).enumerate() {
        assert_eq!(
            row["label"].as_u64(),
            Some(*label as u64),
            "{what}: row {i}"
        );
        for (k, p) in proba.iter().enumerate() {
            let got = row[format!("probability_{k}")].as_f64().unwrap();
            assert!(
                (got - p).abs() <= tolerance,
                "{what}: row {i} class {k}: {got} vs {p}"
            );
        }
    }
}

/// The value of the sample `name{labels}` (labels as written, in order) in an exposition.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|l| {
        let (key, value) = l.rsplit_once(' ')?;
        (key == series).then(|| value.parse().ok())?
    })
}

fn csv_body(case: &WineCase) -> String {
    let mut csv = case.columns.join(",");
    csv.push('\n');
    for row in &case.rows {
        let values: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
        csv.push_str(&values.join(","));
        csv.push('\n');
    }
    csv
}

#[test]
fn serve_wine_champion_answers_every_format_like_harness_counts_it_and_survives_bad_input() {
    let spec = wine_spec("serve-wine");
    run_wine_task::run(&client(), &spec, false, &Progress::hidden()).unwrap();
    let uri = format!("models:/{}@champion", spec.registered_model);
    let dir = tempfile::tempdir().unwrap();
    let (resolved, _) = client().download_model(&uri, dir.path()).unwrap();
    let champion = resolved.version.unwrap();
    let case = wine_case(dir.path());
    let n = case.rows.len();

    let server = Serving::start(&uri, &[]);
    assert_eq!(get(&server.url("/ping")).0, 200);
    assert_eq!(get(&server.url("/health")).0, 200);
    let (status, version) = get(&server.url("/version"));
    assert_eq!(status, 200);
    let version: Value = serde_json::from_str(&version).unwrap();
    assert_eq!(version["version"], champion.version.as_str());
    assert_eq!(version["alias"], "champion");
    assert_eq!(version["name"], spec.registered_model.as_str());
    assert_eq!(version["flavor"], "harness_tree");

    let records: Vec<Value> = case
        .rows
        .iter()
        .map(|r| {
            Value::Object(
                case.columns
                    .iter()
                    .zip(r)
                    .map(|(c, v)| (c.clone(), json!(v)))
                    .collect(),
            )
        })
        .collect();
    let by_column: serde_json::Map<String, Value> = case
        .columns
        .iter()
        .enumerate()
        .map(|(j, c)| {
            (
                c.clone(),
                json!(case.rows.iter().map(|r| r[j]).collect::<Vec<_>>()),
            )
        })
        .collect();
    let bodies = [
        (
            "dataframe_split",
            json!({"dataframe_split": {"columns": case.columns, "data": case.rows}}),
        ),
        ("dataframe_records", json!({"dataframe_records": records})),
        ("instances", json!({"instances": case.rows})),
        ("inputs", json!({"inputs": by_column})),
    ];
    for (what, body) in &bodies {
        let (status, header, answer) = post(
            &server.url("/invocations"),
            "application/json",
            body.to_string(),
        );
        assert_eq!(status, 200, "{what}: {answer}");
        assert_eq!(header, champion.version, "{what}");
        assert_predictions(what, &answer, &case.want, 0.0);
    }
    let (status, _, answer) = post(&server.url("/invocations"), "text/csv", csv_body(&case));
    assert_eq!(status, 200, "csv: {answer}");
    assert_predictions("csv", &answer, &case.want, 0.0);
    let predicted_rows = 5 * n;

    // The seed's /predict: one row → class and probabilities.
    let (status, _, answer) = post(
        &server.url("/predict"),
        "application/json",
        json!({"features": case.rows[0]}).to_string(),
    );
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["class"].as_u64(), Some(case.want[0].0 as u64));
    let proba: Vec<f64> = serde_json::from_value(answer["probabilities"].clone()).unwrap();
    assert_eq!(proba, case.want[0].1);
    assert_eq!(answer["model_version"], champion.version.as_str());

    // Bad input: each gets MLflow's error JSON naming the problem, and the server stays up.
    let mut row = case.rows[0].clone();
    let ten_thousand: Vec<Vec<f64>> = (0..10_000).map(|i| case.rows[i % n].clone()).collect();
    let mut wrong_names = case.columns.clone();
    wrong_names[0] = "alcohol_percent".into();
    let strings: Vec<Value> = row.iter().map(|v| json!(v.to_string())).collect();
    row.pop();
    let bad: Vec<(&str, String, u16, String)> = vec![
        (
            "application/json",
            "{\"instances\": [[1, 2".into(),
            400,
            "not valid JSON".into(),
        ),
        (
            "application/json",
            json!({"instances": [row]}).to_string(),
            400,
            "has 12 values; the model takes 13".into(),
        ),
        (
            "application/json",
            json!({"dataframe_split": {"columns": wrong_names, "data": [case.rows[0]]}})
                .to_string(),
            400,
            "unknown column `alcohol_percent`".into(),
        ),
        (
            "application/json",
            json!({"instances": [strings]}).to_string(),
            400,
            "expected a number (double), got the string".into(),
        ),
        (
            "application/json",
            "{\"instances\": [[NaN, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]}".into(),
            400,
            "NaN and Infinity are not JSON".into(),
        ),
        (
            "text/csv",
            format!("{}\n{}\n", case.columns.join(","), ["inf"; 13].join(",")),
            400,
            "inf is not a finite number".into(),
        ),
        (
            "application/json",
            json!({"instances": []}).to_string(),
            400,
            "no rows".into(),
        ),
        (
            "application/json",
            json!({"instances": ten_thousand}).to_string(),
            400,
            "more than 5000 rows".into(),
        ),
        (
            "application/json",
            format!("{{\"instances\": [{}]}}", "0,".repeat(5 << 20)),
            413,
            "larger than the server's limit".into(),
        ),
        (
            "application/x-www-form-urlencoded",
            json!({"instances": [case.rows[0]]}).to_string(),
            415,
            "Content-Type".into(),
        ),
    ];
    for (content_type, body, status, message) in &bad {
        let (got, _, answer) = post(&server.url("/invocations"), content_type, body.clone());
        let shown: String = body.chars().take(80).collect();
        assert_eq!(got, *status, "{shown}: {answer}");
        let answer: Value =
            serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{shown}: {e}: {answer}"));
        assert_eq!(answer["error_code"], "BAD_REQUEST", "{shown}");
        let text = answer["message"].as_str().unwrap();
        assert!(text.contains(message.as_str()), "{shown}: {text}");
        assert_eq!(get(&server.url("/ping")).0, 200, "after {shown}");
    }
    let (status, _, answer) = post(
        &server.url("/predict"),
        "application/json",
        "{\"features\": [1, 2]}",
    );
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("has 2 values"), "{answer}");
    let (status, _, answer) = post(
        &server.url("/invocations"),
        "application/json",
        bodies[0].1.to_string(),
    );
    assert_eq!(status, 200, "still serving after bad input: {answer}");
    let predicted_rows = predicted_rows + 1 + n;

    let (status, metrics) = get(&server.url("/metrics"));
    assert_eq!(status, 200);
    assert_eq!(
        sample(&metrics, "model_predictions_total"),
        Some(predicted_rows as f64),
        "{metrics}"
    );
    let per_class: f64 = (0..3)
        .filter_map(|c| {
            sample(
                &metrics,
                &format!("prediction_class_total{{class=\"{c}\"}}"),
            )
        })
        .sum();
    assert_eq!(per_class, predicted_rows as f64, "{metrics}");
    let latency_count = sample(&metrics, "model_prediction_latency_seconds_count").unwrap();
    assert_eq!(latency_count, 7.0, "{metrics}");
    let logged = client()
        .get_run(&champion.run_id)
        .unwrap()
        .metric("accuracy")
        .unwrap();
    assert_eq!(
        sample(&metrics, "model_accuracy"),
        Some(logged),
        "{metrics}"
    );
    let info = format!(
        "model_info{{name=\"{}\",version=\"{}\",alias=\"champion\"}}",
        spec.registered_model, champion.version
    );
    assert_eq!(sample(&metrics, &info), Some(1.0), "{metrics}");
    let requests = |handler: &str, status: u16| {
        sample(
            &metrics,
            &format!(
                "http_requests_total{{handler=\"{handler}\",method=\"POST\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(requests("/invocations", 200), Some(6.0), "{metrics}");
    assert_eq!(requests("/invocations", 400), Some(8.0), "{metrics}");
    assert_eq!(requests("/invocations", 413), Some(1.0), "{metrics}");
    assert_eq!(requests("/predict", 200), Some(1.0), "{metrics}");
    assert!(
        metrics.contains("http_request_duration_seconds_count{handler=\"/invocations\",method=\"POST\",status=\"200\"} 6"),
        "{metrics}"
    );

    let status = server.terminate();
    assert_eq!(status.code(), Some(0), "SIGTERM: {status}");
}

#[test]
fn serve_follows_the_moved_alias_without_failing_a_request() {
    let spec = wine_spec("serve-follow");
    run_wine_task::run(&client(), &spec, false, &Progress::hidden()).unwrap();
    let name = &spec.registered_model;
    let uri = format!("models:/{name}@champion");
    let before = client()
        .get_model_version_by_alias(name, "champion")
        .unwrap();
    let other = ["1", "2", "3"]
        .into_iter()
        .find(|v| *v != before.version)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    client().download_model(&uri, dir.path()).unwrap();
    let case = wine_case(dir.path());
    let body = json!({"instances": [case.rows[0]]}).to_string();

    let server = Serving::start(&uri, &["--poll-interval", "0.5"]);
    let url = server.url("/invocations");
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let versions = Arc::new(Mutex::new(std::collections::BTreeSet::new()));
    let load = {
        let (stop, sent, failures, versions) = (
            stop.clone(),
            sent.clone(),
            failures.clone(),
            versions.clone(),
        );
        let (url, body) = (url.clone(), body.clone());
        std::thread::spawn(move || {
            let c = http();
            while !stop.load(Ordering::Relaxed) {
                sent.fetch_add(1, Ordering::Relaxed);
                match c
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .body(body.clone())
                    .send()
                {
                    Ok(r) if r.status().is_success() => {
                        let v = r
                            .headers()
                            .get("x-model-version")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned();
                        versions.lock().unwrap().insert(v);
                    }
                    Ok(r) => failures.lock().unwrap().push(format!(
                        "{}: {}",
                        r.status(),
                        r.text().unwrap_or_default()
                    )),
                    Err(e) => failures.lock().unwrap().push(e.to_string()),
                }
            }
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    client().set_alias(name, "champion", other).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, v) = get(&server.url("/version"));
        let v: Value = serde_json::from_str(&v).unwrap();
        if v["version"] == other {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "/version still says {v} 60 s after the alias moved:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Requests keep flowing a little while on the new version.
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();
    let failures = failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {:?}",
        failures.len(),
        sent.load(Ordering::Relaxed),
        &failures[..failures.len().min(5)]
    );
    let versions = versions.lock().unwrap();
    assert!(
        versions.contains(&before.version) && versions.contains(other),
        "answered by {versions:?}"
    );
    let (_, metrics) = get(&server.url("/metrics"));
    let info =
        |v: &str| format!("model_info{{name=\"{name}\",version=\"{v}\",alias=\"champion\"}}");
    assert_eq!(sample(&metrics, &info(other)), Some(1.0), "{metrics}");
    assert_eq!(sample(&metrics, &info(&before.version)), None, "{metrics}");
    assert!(
        server
            .log()
            .contains(&format!("now serving version {other}")),
        "{}",
        server.log()
    );
    assert_eq!(server.terminate().code(), Some(0));
}

/// Removes the `name:` block (and its indented lines) from the `flavors:` map of an MLmodel.
fn without_flavor(mlmodel: &str, name: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in mlmodel.lines() {
        if line == format!("  {name}:") {
            skipping = true;
            continue;
        }
        if skipping && line.starts_with("    ") {
            continue;
        }
        skipping = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn serve_loads_a_local_folder_and_an_onnx_only_copy_like_harness() {
    let spec = wine_spec("serve-folder");
    run_wine_task::run(&client(), &spec, false, &Progress::hidden()).unwrap();
    let uri = format!("models:/{}@champion", spec.registered_model);
    let dir = tempfile::tempdir().unwrap();
    let native = dir.path().join("native");
    client().download_model(&uri, &native).unwrap();
    let case = wine_case(&native);
    let body = json!({"dataframe_split": {"columns": case.columns, "data": case.rows}}).to_string();

    let server = Serving::start(native.to_str().unwrap(), &[]);
    let (status, _, answer) = post(
        &server.url("/invocations"),
        "application/json",
        body.clone(),
    );
    assert_eq!(status, 200, "{answer}");
    assert_predictions("folder", &answer, &case.want, 0.0);
    let (_, v) = get(&server.url("/version"));
    assert!(v.contains("\"flavor\":\"harness_tree\""), "{v}");
    assert_eq!(server.terminate().code(), Some(0));

    // The same model with only its ONNX flavor (and without model.json): tract answers.
    let onnx_only = dir.path().join("onnx-only");
    harness_e2e::copy_tree(&native, &onnx_only);
    let mlmodel = std::fs::read_to_string(onnx_only.join("MLmodel")).unwrap();
    let stripped = without_flavor(&mlmodel, "harness_tree");
    assert!(
        !stripped.contains("harness_tree") && stripped.contains("  onnx:"),
        "{stripped}"
    );
    std::fs::write(onnx_only.join("MLmodel"), stripped).unwrap();
    std::fs::remove_file(onnx_only.join("model.json")).unwrap();
    let server = Serving::start(onnx_only.to_str().unwrap(), &[]);
    let (status, _, answer) = post(&server.url("/invocations"), "application/json", body);
    assert_eq!(status, 200, "{answer}");
    assert_predictions("onnx-only folder", &answer, &case.want, 1e-5);
    let (_, v) = get(&server.url("/version"));
    assert!(v.contains("\"flavor\":\"onnx\""), "{v}");
    assert_eq!(server.terminate().code(), Some(0));
}

/// Runs `harness serve ARGS…` that must fail at startup: (exit code, stderr).
fn failed_start(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(harness_bin())
        .args(["--quiet", "serve"])
        .args(args)
        .args(["--port", "0"])
        .env("MLFLOW_TRACKING_URI", tracking_uri())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn serve_startup_errors_exit_2_and_say_what_is_wrong() {
    let missing = unique("serve-missing");
    let (code, err) = failed_start(&[&format!("models:/{missing}@champion")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(&missing), "{err}");

    let spec = wine_spec("serve-noalias");
    run_wine_task::run(&client(), &spec, false, &Progress::hidden()).unwrap();
    let (code, err) = failed_start(&[&format!("models:/{}@production", spec.registered_model)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("production"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("MLmodel"),
        "flavors:\n  python_function: {loader_module: mlflow.sklearn, model_path: model.pkl}\n  sklearn: {pickled_model: model.pkl}\n",
    )
    .unwrap();
    let (code, err) = failed_start(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("no flavor harness serve can load") && err.contains("sklearn"),
        "{err}"
    );

    let (code, err) = failed_start(&["/no/such/folder"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("neither a model URI"), "{err}");
}

#[test]
fn serve_mnist_champion_takes_pixel_rows_like_harness() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
    let task = TaskSource::Dir(dir).resolve("mnist").unwrap().remove(0);
    let id = unique("serve-mnist");
    let mut spec = MnistRunSpec::from_task(&task, "quick").unwrap();
    spec.experiment = format!("{id}-{}", spec.experiment);
    spec.registered_model = format!("{id}-{}", spec.registered_model);
    spec.max_train_samples = Some(400);
    for v in &mut spec.versions {
        v.epochs = 1;
    }
    run_mnist_task::run(&client(), &spec, false, &Progress::hidden()).unwrap();
    let uri = format!("models:/{}@champion", spec.registered_model);
    let model_dir = tempfile::tempdir().unwrap();
    client().download_model(&uri, model_dir.path()).unwrap();
    let model = Mlp::load(model_dir.path()).unwrap();
    let pool = mnist::load_embedded().unwrap();
    let split = train_test_split(pool.len(), 0.3, 42).unwrap();
    let (x, _) = pool.select(&split.test[..20], None);
    let want: Vec<(usize, Vec<f64>)> = model
        .predict(&x)
        .unwrap()
        .into_iter()
        .zip(model.predict_proba(&x).unwrap())
        .map(|(l, p)| (usize::from(l), p.iter().map(|&v| f64::from(v)).collect()))
        .collect();
    let rows: Vec<&[f32]> = x.chunks_exact(784).collect();

    let server = Serving::start(&uri, &[]);
    let (status, _, answer) = post(
        &server.url("/invocations"),
        "application/json",
        json!({ "instances": rows }).to_string(),
    );
    assert_eq!(status, 200, "{answer}");
    // f32 pixels → JSON → f64 → f32 is exact, so the native MLP answers bit for bit.
    assert_predictions("mnist instances", &answer, &want, 0.0);
    let (status, _, answer) = post(
        &server.url("/predict"),
        "application/json",
        json!({ "features": rows[0] }).to_string(),
    );
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["class"].as_u64(), Some(want[0].0 as u64));
    let (status, _, answer) = post(
        &server.url("/invocations"),
        "application/json",
        json!({ "instances": [vec![0.5f32; 783]] }).to_string(),
    );
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.contains("has 783 values; the model takes 784"),
        "{answer}"
    );
    let (_, version) = get(&server.url("/version"));
    assert!(version.contains("\"flavor\":\"harness_mlp\""), "{version}");
    assert_eq!(server.terminate().code(), Some(0));
}
