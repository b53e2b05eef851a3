//! The embedded MLflow server: a pinned mlflow in a venv under `$HARNESS_HOME`, run as a
//! detached process group with a SQLite store and a local artefact root.

use std::fs::{self, File};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::error::ServerError;
use super::install::{Lock, tail};
use super::venv::Venv;
use crate::mlflow::{ClientConfig, MlflowClient};
use crate::progress::Progress;

/// The MLflow version every embedded server runs (3.18's dependencies are not installable here).
pub const MLFLOW_VERSION: &str = "3.17.2";

/// How long a fresh server may take to answer `/health`: the first start migrates the schema,
/// which took up to 34 s on a 2-core machine.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(120);

/// Where the harness keeps its venv and server instances.
#[derive(Debug, Clone)]
pub struct Home {
    pub(crate) root: PathBuf,
}

impl Home {
    pub(crate) fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$HARNESS_HOME`, else the per-user cache directory (`~/.cache/harness` on Linux).
    pub fn from_env() -> Self {
        match std::env::var_os("HARNESS_HOME").filter(|v| !v.is_empty()) {
            Some(dir) => Self::new(dir),
            None => Self::new(
                dirs::cache_dir()
                    .unwrap_or_else(std::env::temp_dir)
                    .join("harness"),
            ),
        }
    }

    pub(crate) fn mlflow_dir(&self) -> PathBuf {
        self.root.join(format!("mlflow-{MLFLOW_VERSION}"))
    }

    /// The venv folder of the pinned mlflow (the rescoring sandbox adds to the same venv).
    pub(crate) fn mlflow_venv(&self) -> Venv {
        Venv::new(self.mlflow_dir())
    }

    pub fn mlflow_bin(&self) -> PathBuf {
        self.mlflow_venv().bin("mlflow")
    }

    pub fn python_bin(&self) -> PathBuf {
        self.mlflow_venv().python()
    }

    /// Where the browser install keeps its lock and log.
    pub(crate) fn browser_dir(&self) -> PathBuf {
        self.root.join("chromium")
    }

    pub fn instance_dir(&self, instance: &str) -> PathBuf {
        self.root.join("servers").join(instance)
    }
}

/// What `mlflow up` records so `status` and `down` (another process) find the server again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServerState {
    pub pid: u32,
    pub(crate) port: u16,
    pub tracking_uri: String,
    pub(crate) backend_store: PathBuf,
    pub(crate) artifacts: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) mlflow_version: String,
    pub(crate) started_at_ms: i64,
}

/// The requirement the embedded server's venv is installed with.
pub fn mlflow_requirement() -> String {
    format!("mlflow=={MLFLOW_VERSION}")
}

/// Makes sure the pinned mlflow is installed in the harness venv, installing it once; returns
/// the `mlflow` program. See [`Venv::ensure`].
pub fn ensure_venv(home: &Home, python: &str, progress: &Progress) -> Result<PathBuf, ServerError> {
    home.mlflow_venv()
        .ensure(python, &[mlflow_requirement().as_str()], progress)?;
    Ok(home.mlflow_bin())
}

/// The instance lock: one `up`/`down` at a time per instance.
fn lock_instance(dir: &Path) -> Result<Lock, ServerError> {
    let path = dir.join("lock");
    Lock::acquire(&path).map_err(ServerError::io("lock", path))
}

fn state_path(home: &Home, instance: &str) -> PathBuf {
    home.instance_dir(instance).join("server.json")
}

/// The recorded state of an instance, if one was started and not stopped.
pub fn read_state(home: &Home, instance: &str) -> Result<Option<ServerState>, ServerError> {
    let path = state_path(home, instance);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ServerError::State {
                path,
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ServerError::Io {
            action: "read",
            path,
            source: e,
        }),
    }
}

fn process_alive(pid: u32) -> bool {
    // SAFETY: kill with signal 0 only checks that the process exists; it sends nothing.
    unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
}

fn group_alive(pgid: u32) -> bool {
    // SAFETY: killpg with signal 0 only checks whether any process of the group exists.
    unsafe { libc::killpg(pgid as libc::pid_t, 0) == 0 }
}

fn signal_group(pgid: u32, signal: libc::c_int) {
    // SAFETY: sends a signal to a process group we created (the server leads its own group).
    unsafe {
        libc::killpg(pgid as libc::pid_t, signal);
    }
}

fn healthy(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    let mut config = ClientConfig::new(url);
    config.timeout = Duration::from_secs(3);
    config.max_retries = 0;
    MlflowClient::new(config).is_ok_and(|c| c.health().is_ok())
}

/// A running instance that answers `/health`, if there is one.
pub fn status(home: &Home, instance: &str) -> Result<Option<ServerState>, ServerError> {
    Ok(read_state(home, instance)?.filter(|s| process_alive(s.pid) && healthy(&s.tracking_uri)))
}

fn free_loopback_port() -> Result<u16, ServerError> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(ServerError::io("bind", "127.0.0.1:0"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(ServerError::io("bind", "127.0.0.1:0"))
}

/// A server this process started; [`Started::stop`] (or drop) ends its whole process group.
#[derive(Debug)]
pub struct Started {
    pub(crate) state: ServerState,
    child: Option<Child>,
    home: Home,
    instance: String,
}

impl Started {
    /// Leaves the server running after this process exits (what `harness mlflow up` wants).
    pub fn detach(mut self) -> ServerState {
        self.child = None;
        self.state.clone()
    }

    pub(crate) fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_group(self.state.pid);
            let _ = child.wait();
            let _ = fs::remove_file(state_path(&self.home, &self.instance));
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// SIGTERM to the group, then SIGKILL after 15 s for anything that ignored it.
fn stop_group(pgid: u32) {
    signal_group(pgid, libc::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(15);
    while group_alive(pgid) && Instant::now() < deadline {
        reap(pgid);
        std::thread::sleep(Duration::from_millis(100));
    }
    if group_alive(pgid) {
        signal_group(pgid, libc::SIGKILL);
    }
}

/// Collects the exit status of our own child so it does not linger as a zombie member of the group.
fn reap(pid: u32) {
    let mut status = 0;
    // SAFETY: non-blocking waitpid on a pid; harmless if it is not our child.
    unsafe {
        libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG);
    }
}

/// The running instance, or a new one started and waited for. Returns `(state, Some(started))`
/// when this call started it. Concurrent callers (parallel test processes) share one server.
pub fn up(
    home: &Home,
    instance: &str,
    python: &str,
    progress: &Progress,
) -> Result<(ServerState, Option<Started>), ServerError> {
    let dir = home.instance_dir(instance);
    let _lock = lock_instance(&dir)?;
    if let Some(state) = status(home, instance)? {
        return Ok((state, None));
    }
    if let Some(stale) = read_state(home, instance)? {
        // Recorded but not healthy: a crashed or half-started server. End what is left of it.
        if process_alive(stale.pid) {
            stop_group(stale.pid);
        }
    }
    let mlflow = ensure_venv(home, python, progress)?;
    let artifacts = dir.join("artifacts");
    fs::create_dir_all(&artifacts).map_err(ServerError::io("create", &artifacts))?;
    let backend_store = dir.join("mlflow.db");
    let log = dir.join("server.log");
    let port = free_loopback_port()?;
    let log_file = File::create(&log).map_err(ServerError::io("create", &log))?;
    let log_err = log_file
        .try_clone()
        .map_err(ServerError::io("create", &log))?;
    let tracking_uri = format!("http://127.0.0.1:{port}");
    progress.set_message(format!(
        "starting MLflow {MLFLOW_VERSION} at {tracking_uri}"
    ));
    let child = Command::new(&mlflow)
        .arg("server")
        .arg("--backend-store-uri")
        .arg(format!("sqlite:///{}", backend_store.display()))
        .arg("--artifacts-destination")
        .arg(&artifacts)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--workers",
            "2",
        ])
        // The job runner (a dozen huey consumers) serves only GenAI features; on a 2-core
        // machine it slows start-up and every test.
        .env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err)
        // Its own process group, so `down` can end uvicorn and its workers together and a
        // Ctrl-C in the terminal that ran `mlflow up` does not reach it.
        .process_group(0)
        .spawn()
        .map_err(ServerError::io("start", &mlflow))?;
    let state = ServerState {
        pid: child.id(),
        port,
        tracking_uri: tracking_uri.clone(),
        backend_store,
        artifacts,
        log: log.clone(),
        mlflow_version: MLFLOW_VERSION.into(),
        started_at_ms: crate::mlflow::now_ms(),
    };
    let mut started = Started {
        state: state.clone(),
        child: Some(child),
        home: home.clone(),
        instance: instance.into(),
    };
    let began = Instant::now();
    loop {
        if let Some(child) = started.child.as_mut()
            && let Ok(Some(exit)) = child.try_wait()
        {
            started.child = None;
            return Err(ServerError::EarlyExit {
                status: exit.to_string(),
                log: log.clone(),
                tail: tail(&log, 20),
            });
        }
        if healthy(&tracking_uri) {
            break;
        }
        if began.elapsed() > HEALTH_TIMEOUT {
            started.stop();
            return Err(ServerError::HealthTimeout {
                uri: tracking_uri,
                secs: HEALTH_TIMEOUT.as_secs(),
                log,
            });
        }
        progress.set_message(format!(
            "waiting for MLflow at {tracking_uri} ({} s)",
            began.elapsed().as_secs()
        ));
        std::thread::sleep(Duration::from_millis(300));
    }
    let path = state_path(home, instance);
    let json = serde_json::to_vec_pretty(&state).unwrap_or_default();
    fs::write(&path, json).map_err(ServerError::io("write", &path))?;
    Ok((state, Some(started)))
}

/// Stops a recorded instance and everything in its process group. Returns the state it stopped,
/// or `None` when nothing was recorded.
pub fn down(home: &Home, instance: &str) -> Result<Option<ServerState>, ServerError> {
    let dir = home.instance_dir(instance);
    let _lock = lock_instance(&dir)?;
    let Some(state) = read_state(home, instance)? else {
        return Ok(None);
    };
    if group_alive(state.pid) {
        stop_group(state.pid);
    }
    let path = state_path(home, instance);
    fs::remove_file(&path).map_err(ServerError::io("remove", &path))?;
    Ok(Some(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_layout_is_versioned() {
        let home = Home::new("/x");
        assert_eq!(
            home.mlflow_bin(),
            Path::new("/x/mlflow-3.17.2/venv/bin/mlflow")
        );
        assert_eq!(home.instance_dir("e2e"), Path::new("/x/servers/e2e"));
    }
}
