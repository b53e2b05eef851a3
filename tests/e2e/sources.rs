use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::snapshot::Snapshot;
use harness::source;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/submissions")
        .join(name)
}

/// An `mlflow server` on a submission folder; killed (with its workers) on drop.
struct ServedCopy {
    child: Child,
    uri: String,
}

impl ServedCopy {
    fn start(root: &Path) -> ServedCopy {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mlflow = harness_e2e::home().mlflow_bin();
        // Make sure the venv exists (the shared server installs it).
        let _ = harness_e2e::tracking_uri();
        let child = Command::new(mlflow)
            .arg("server")
            .arg("--backend-store-uri")
            .arg(format!("sqlite:///{}", root.join("mlflow.db").display()))
            .arg("--artifacts-destination")
            .arg(root.join("mlartifacts"))
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--workers",
                "1",
            ])
            .env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let uri = format!("http://127.0.0.1:{port}");
        let client = harness_e2e::impatient_client(&uri, Duration::from_secs(2));
        let began = Instant::now();
        while client.health().is_err() {
            assert!(
                began.elapsed() < Duration::from_secs(120),
                "server on the copy never became healthy"
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        ServedCopy { child, uri }
    }
}

impl Drop for ServedCopy {
    fn drop(&mut self) {
        // SAFETY: signals the process group this test created.
        unsafe { libc::killpg(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// Fields that legitimately differ between the two views: where artefacts were found (a folder
/// vs a URL) and the registry's storage location, which REST does not expose.
fn comparable(mut s: Snapshot) -> Snapshot {
    s.origin.clear();
    for v in &mut s.model_versions {
        v.storage_location = None;
        v.artifact.location = None;
        v.artifact.uri = None;
    }
    // Where artefacts were found: a folder of the hand-in, or the server's URI.
    for r in &mut s.runs {
        if let Some(a) = &mut r.artifacts {
            a.location.clear();
        }
    }
    for m in &mut s.logged_models {
        if let Some(a) = &mut m.artifact {
            a.location = None;
            a.uri = None;
        }
    }
    s
}

#[test]
fn sqlite_snapshot_equals_rest_snapshot_of_the_same_store() {
    let original = fixture("perfect");
    let before = harness_e2e::sha256(&std::fs::read(original.join("mlflow.db")).unwrap());
    let from_file = source::sqlite::load(&original.join("mlflow.db")).unwrap();
    assert_eq!(
        harness_e2e::sha256(&std::fs::read(original.join("mlflow.db")).unwrap()),
        before,
        "graded store modified"
    );

    let copy = tempfile::tempdir().unwrap();
    harness_e2e::copy_tree(&original, copy.path());
    let served = ServedCopy::start(copy.path());
    let client = harness::mlflow::MlflowClient::connect(&served.uri).unwrap();
    let from_server = source::rest::load(&client, &source::rest::Scope::default()).unwrap();

    assert!(!from_file.model_versions.is_empty());
    assert!(
        from_file
            .model_versions
            .iter()
            .all(|v| v.artifact.mlmodel.is_some()),
        "{:#?}",
        from_file.model_versions
    );
    let (a, b) = (comparable(from_file), comparable(from_server));
    let (ja, jb) = (
        serde_json::to_string_pretty(&a).unwrap(),
        serde_json::to_string_pretty(&b).unwrap(),
    );
    if ja != jb {
        let diff: Vec<String> = ja
            .lines()
            .zip(jb.lines())
            .enumerate()
            .filter(|(_, (x, y))| x != y)
            .take(20)
            .map(|(i, (x, y))| format!("line {i}:\n  sqlite: {x}\n  rest:   {y}"))
            .collect();
        panic!("snapshots differ:\n{}", diff.join("\n"));
    }
}
