//! Support for harness's end-to-end tests: one real MLflow server shared by the whole test run,
//! headless Chromium (installed on first use when missing), and a small DSL for the state a test
//! needs.
//!
//! nextest runs every test in its own process, so "shared" cannot mean a static: the first
//! process starts the embedded instance `e2e` under a file lock and leaves it running; the others
//! find it through its state file. `harness mlflow down --instance e2e` stops it (`.ci/run` does).

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use harness::mlflow::{ClientConfig, KeyValue, MlflowClient, NewRun, Run, RunStatus};
use harness::progress::Progress;
use harness::server::{self, Browser, Home};

/// The embedded instance the tests share.
pub const E2E_INSTANCE: &str = "e2e";

/// The harness home the tests use: `HARNESS_HOME` when set (CI points it at a cache), else the
/// user's, so the MLflow venv is installed once for tests and real use alike.
pub fn home() -> Home {
    Home::from_env()
}

pub fn python() -> String {
    std::env::var("HARNESS_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// The tracking URI of the shared server, starting it on first use. `HARNESS_E2E_TRACKING_URI`
/// points the tests at another server instead.
pub fn tracking_uri() -> &'static str {
    static URI: OnceLock<String> = OnceLock::new();
    URI.get_or_init(|| {
        if let Ok(uri) = std::env::var("HARNESS_E2E_TRACKING_URI") {
            return uri;
        }
        let (state, started) = server::up(&home(), E2E_INSTANCE, &python(), &Progress::hidden())
            .unwrap_or_else(|e| panic!("cannot start the shared e2e MLflow server: {e}"));
        if let Some(started) = started {
            started.detach();
        }
        state.tracking_uri
    })
}

/// Headless Chromium for the report tests, installed on first use when this machine lacks it
/// and the tests may install it (root, or passwordless sudo): the README's test command then
/// needs nothing set up by hand. Where it may not, the test fails with what to install.
pub fn browser() -> Browser {
    static BROWSER: OnceLock<Browser> = OnceLock::new();
    BROWSER
        .get_or_init(|| {
            Browser::find_or_install(&home(), &Progress::hidden())
                .unwrap_or_else(|e| panic!("the report tests need Chromium: {e}"))
        })
        .clone()
}

pub fn client() -> MlflowClient {
    MlflowClient::connect(tracking_uri()).expect("client")
}

/// A client with a short timeout and no retries, for failure tests.
pub fn impatient_client(uri: &str, timeout: std::time::Duration) -> MlflowClient {
    let mut config = ClientConfig::new(url::Url::parse(uri).unwrap());
    config.timeout = timeout;
    config.max_retries = 1;
    config.backoff = std::time::Duration::from_millis(50);
    MlflowClient::new(config).unwrap()
}

/// A name no other test (or earlier run against the same store) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The `harness` binary, built (or found up to date) once per test process: `cargo test` and
/// nextest compile a workspace's binaries only as unit-test targets, so a fresh clone would
/// otherwise have no `target/debug/harness` for the command-line tests.
pub fn harness_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let dir = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // The workspace's whole feature set (dev-dependencies included), as `cargo nextest run
        // --workspace` and CI's build step resolve it: `-p harness --bin harness` alone resolves
        // other features for shared crates and rebuilds tract and candle for minutes.
        let status = std::process::Command::new(cargo)
            .args(["build", "--quiet", "--workspace", "--all-targets"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build for the harness binary");
        assert!(
            status.success(),
            "cargo build --workspace --all-targets failed"
        );
        let bin = dir.join("harness");
        assert!(
            bin.exists(),
            "{} is missing after cargo build",
            bin.display()
        );
        bin
    })
    .clone()
}

/// A test's own corner of the server: an experiment with a unique name, and helpers to fill it.
#[derive(Debug)]
pub struct Scene {
    pub client: MlflowClient,
    pub name: String,
    pub experiment_id: String,
}

impl Scene {
    pub fn new(prefix: &str) -> Scene {
        let client = client();
        let name = unique(prefix);
        let experiment_id = client
            .create_experiment(&name, &[KeyValue::new("suite", "e2e")])
            .unwrap();
        Scene {
            client,
            name,
            experiment_id,
        }
    }

    /// A finished-or-running run in this scene's experiment.
    pub fn run(&self, run_name: &str) -> Run {
        self.client
            .create_run(&NewRun {
                experiment_id: self.experiment_id.clone(),
                run_name: Some(run_name.into()),
                start_time: None,
                tags: vec![KeyValue::new("scene", &self.name)],
            })
            .unwrap()
    }

    pub fn finish(&self, run: &Run) {
        self.client
            .update_run(
                &run.info.run_id,
                RunStatus::Finished,
                Some(harness::mlflow::now_ms()),
            )
            .unwrap();
    }

    /// A registered model name unique to this scene.
    pub fn model_name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.name)
    }
}

/// sha256 of every file under `dir` (symlinks followed), by relative path: graded files must
/// be byte-identical after grading.
pub fn digests(dir: &std::path::Path) -> std::collections::BTreeMap<PathBuf, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    sha256(&std::fs::read(&p).unwrap()),
                );
            }
        }
    }
    out
}

pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Copies a folder tree, following symlinks (fixtures share artefacts through them), so a test
/// can change a copy of a fixture store without touching the original.
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if std::fs::metadata(entry.path()).unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
