//! Hostile hand-ins and hostile servers: what a student (or a broken server) can put in front of
//! `harness check` must end in a clear error or a clear grade, never an abort, a leaked secret
//! or an overwritten hand-in.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use harness_e2e::harness_bin;

fn check(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(harness_bin());
    cmd.arg("check").args(args).arg("--quiet");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.env_remove("MLFLOW_TRACKING_TOKEN")
        .env_remove("MLFLOW_TRACKING_USERNAME")
        .env_remove("MLFLOW_TRACKING_PASSWORD")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A tracking server on a free loopback port whose `/health` is OK and whose every other answer
/// is a 200 with a JSON body that never ends. Returns its base URI.
fn endless_body_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut first = String::new();
                reader.read_line(&mut first).unwrap_or(0);
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 2 {
                    line.clear();
                }
                if first.contains("/health") {
                    let _ = conn.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK",
                    );
                    return;
                }
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"experiments\": [",
                );
                let filler = [b' '; 64 * 1024];
                while conn.write_all(&filler).is_ok() {}
            });
        }
    });
    format!("http://127.0.0.1:{port}/")
}

/// Regression: a server streaming an endless body made `check` abort with "memory allocation
/// failed" (exit 134). Now the answer is cut at the response limit with a clear error.
#[test]
fn an_endless_response_is_a_clear_error_not_an_abort() {
    let uri = endless_body_server();
    let started = std::time::Instant::now();
    let out = check(
        &["--task", "wine", "--tracking-uri", &uri],
        &[("HARNESS_MAX_RESPONSE_MIB", "4")],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("larger than 4 MiB"), "{all}");
    assert!(all.contains("127.0.0.1"), "{all}");
    assert!(!all.contains("memory allocation"), "{all}");
    assert!(started.elapsed() < Duration::from_secs(120), "{all}");
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/submissions")
        .join(name)
}

/// Regression: `--out` inside the graded hand-in overwrote the student's own report.md and
/// results.json. Every spelling of "inside" is refused (exit 2) before anything is written.
#[test]
fn out_inside_the_graded_folder_is_refused_and_nothing_is_written() {
    let class = tempfile::tempdir().unwrap();
    let alice = class.path().join("alice");
    harness_e2e::copy_tree(&fixture("perfect"), &alice);
    std::fs::write(alice.join("report.md"), "the student's own report\n").unwrap();
    std::fs::write(alice.join("results.json"), "{\"mine\": true}\n").unwrap();
    let link = tempfile::tempdir().unwrap();
    let alias = link.path().join("to-alice");
    std::os::unix::fs::symlink(&alice, &alias).unwrap();
    let before = harness_e2e::digests(class.path());
    let db = alice.join("mlflow.db");
    let db = db.to_str().unwrap();
    let alice_s = alice.to_str().unwrap();
    let cases: Vec<Vec<String>> = vec![
        vec!["--store".into(), db.into(), "--out".into(), alice_s.into()],
        vec![
            "--store".into(),
            db.into(),
            "--out".into(),
            format!("{alice_s}/reports/new"),
        ],
        vec![
            "--store".into(),
            db.into(),
            "--out".into(),
            format!("{alice_s}/mlartifacts/../."),
        ],
        vec![
            "--store".into(),
            db.into(),
            "--out".into(),
            alias.to_str().unwrap().into(),
        ],
        vec![
            "--submissions".into(),
            class.path().to_str().unwrap().into(),
            "--out".into(),
            alice_s.into(),
        ],
        vec![
            "--submissions".into(),
            class.path().to_str().unwrap().into(),
            "--out".into(),
            class.path().to_str().unwrap().into(),
        ],
    ];
    for case in &cases {
        let mut args = vec!["--task", "wine"];
        args.extend(case.iter().map(String::as_str));
        let out = check(&args, &[]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{case:?}: {all}");
        assert!(all.contains("--out"), "{case:?}: {all}");
        assert!(
            all.contains("choose a folder outside it"),
            "{case:?}: {all}"
        );
    }
    // `grade` takes the same care.
    let out = Command::new(harness_bin())
        .args(["grade", "--quiet", "--store", db, "--out", alice_s])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        harness_e2e::digests(class.path()),
        before,
        "a graded hand-in was modified"
    );
    // Beside the hand-in is fine.
    let beside = class.path().join("reports-alice");
    let out = check(
        &[
            "--task",
            "wine",
            "--store",
            db,
            "--out",
            beside.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(beside.join("report.md").is_file());
}

/// Regression: an `--out` that cannot be written exited 1, like a failing check. It has its own
/// code, 3, with the path in the message.
#[test]
fn an_unwritable_out_exits_3_not_1() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let db = fixture("perfect").join("mlflow.db");
    for out_dir in [blocker.clone(), blocker.join("reports")] {
        let out = check(
            &[
                "--task",
                "wine",
                "--store",
                db.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ],
            &[],
        );
        let all = text(&out);
        assert_eq!(out.status.code(), Some(3), "{all}");
        assert!(all.contains("cannot write"), "{all}");
        assert!(all.contains("a-file"), "{all}");
    }
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "not a folder");
}

/// The wine task file with this test's own experiment and registered model names.
fn wine_task_named(dir: &Path, experiment: &str, model: &str) -> std::path::PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks/wine.toml");
    let text = std::fs::read_to_string(src)
        .unwrap()
        .replace(
            "experiment = \"wine-quality-homework\"",
            &format!("experiment = \"{experiment}\""),
        )
        .replace(
            "registered_model = \"wine-quality-classifier\"",
            &format!("registered_model = \"{model}\""),
        );
    let path = dir.join("wine.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A student's hand-in on a real server with HTML in its description and tags, accuracies that
/// are no accuracies (NaN, which MLflow accepts, and 1e308), and a registry an interrupted
/// `harness run` left marked incomplete. `check` names each problem, and no report carries the
/// HTML raw.
#[test]
fn a_hostile_registry_is_graded_with_named_problems_and_inert_html() {
    use harness::mlflow::{KeyValue, Metric, NewModelVersion, RunStatus};
    let scene = harness_e2e::Scene::new("hostile");
    let c = &scene.client;
    let model = scene.model_name("model");
    let script = "<script>alert(1)</script>";
    let img = "<img src=x onerror=alert(1)>";
    let mut runs = Vec::new();
    for (kind, accuracy) in [
        ("DecisionTree", f64::NAN),
        ("RandomForest", 0.97),
        ("GradientBoosting", 1e308),
    ] {
        let run = scene.run(kind);
        let id = &run.info.run_id;
        c.log_param(id, "model_type", kind).unwrap();
        c.log_param(id, "n_estimators", "100").unwrap();
        c.log_param(id, "test_size", "0.2").unwrap();
        c.log_metric(id, &Metric::new("accuracy", accuracy, 0, 0))
            .unwrap();
        c.log_metric(id, &Metric::new("f1_score", 0.9, 0, 0))
            .unwrap();
        c.update_run(id, RunStatus::Finished, Some(harness::mlflow::now_ms()))
            .unwrap();
        runs.push((kind, id.clone()));
    }
    c.create_registered_model(
        &model,
        &[
            KeyValue::new("task", "classification"),
            KeyValue::new("dataset", "wine"),
            KeyValue::new("team", img),
            KeyValue::new(harness::mlflow::INCOMPLETE_TAG, "publishing"),
        ],
        Some(&format!(
            "{script} DecisionTree, RandomForest and GradientBoosting on the wine data"
        )),
    )
    .unwrap();
    for (kind, run_id) in &runs {
        c.create_model_version(&NewModelVersion {
            name: model.clone(),
            source: format!("runs:/{run_id}/model"),
            run_id: Some(run_id.clone()),
            model_id: None,
            tags: vec![
                KeyValue::new("model_type", *kind),
                KeyValue::new("status", script),
            ],
            description: Some(img.into()),
        })
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let task = wine_task_named(dir.path(), &scene.name, &model);
    let out_dir = dir.path().join("out");
    let out = check(
        &[
            "--task",
            task.to_str().unwrap(),
            "--tracking-uri",
            harness_e2e::tracking_uri(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        &[],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("accuracy is NaN"), "{all}");
    assert!(
        all.contains("accuracy is 1e308, not a fraction (0–1) or percent (0–100)"),
        "{all}"
    );
    assert!(!all.contains("no accuracy (looked for"), "{all}");
    assert!(
        all.contains(&format!("registered model `{model}` is incomplete")),
        "{all}"
    );

    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(md.contains("**Incomplete:**"), "{md}");
    assert!(md.contains("accuracy is NaN"), "{md}");
    assert!(md.contains("&lt;img src=x onerror=alert(1)&gt;"), "{md}");
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("Incomplete:"), "{html}");
    for (name, text) in [("report.md", &md), ("report.html", &html)] {
        for raw in ["<script>alert", "<img src=x"] {
            assert!(!text.contains(raw), "{raw} raw in {name}");
        }
    }
}

/// Nothing of a tracking URI's secrets (malformed userinfo with several `@`, a `?token=`)
/// reaches the terminal or any file `check` writes, in any format, when the server cannot be
/// reached and every message quotes its address.
#[test]
fn an_unreachable_uri_with_secrets_leaks_them_nowhere() {
    let uri = "http://user:top@secret@127.0.0.1:1/?token=s3cr3t";
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json", "gradescope", "md"] {
        let out_dir = dir.path().join(format);
        let out = check(
            &[
                "--task",
                "wine",
                "--tracking-uri",
                uri,
                "--format",
                format,
                "--out",
                out_dir.to_str().unwrap(),
            ],
            &[],
        );
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{format}: {all}");
        assert!(all.contains("127.0.0.1:1"), "{format}: {all}");
        let mut texts = vec![(format!("{format}: stdout+stderr"), all)];
        for f in [
            "report.md",
            "report.html",
            "results.json",
            "gradescope-results.json",
        ] {
            let body = std::fs::read_to_string(out_dir.join(f))
                .unwrap_or_else(|e| panic!("{format}: {f}: {e}"));
            texts.push((format!("{format}: {f}"), body));
        }
        for (name, body) in &texts {
            // `top` alone is CSS (`margin-top`); every way the password could appear is checked.
            for leak in [
                "s3cr3t",
                "token=",
                "top@secret",
                "top%40",
                ":top",
                "top@",
                "secret",
                "user:",
                "user@",
            ] {
                assert!(!body.contains(leak), "{leak} in {name}: {body}");
            }
        }
    }
}
