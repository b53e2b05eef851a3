//! Errors from provisioning and running an MLflow server.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "`{program}` was not found on PATH; the embedded MLflow server needs Python 3.9+ with the `venv` module (Debian: `apt-get install python3 python3-venv`), or give --tracking-uri to use a server you run yourself"
    )]
    PythonMissing { program: String },
    #[error("installing {requirements} into {venv} failed ({step}); last lines of {log}:\n{tail}")]
    Install {
        requirements: String,
        venv: PathBuf,
        step: String,
        log: PathBuf,
        tail: String,
    },
    #[error(
        "MLflow server exited before it became healthy (exit status {status}); last lines of {log}:\n{tail}"
    )]
    EarlyExit {
        status: String,
        log: PathBuf,
        tail: String,
    },
    #[error("MLflow server at {uri} did not answer /health within {secs} s; its log is {log}")]
    HealthTimeout {
        uri: String,
        secs: u64,
        log: PathBuf,
    },
    #[error(
        "gave up after {secs} s waiting for another harness process that holds {lock} (it installs; its log is {log})"
    )]
    LockTimeout {
        lock: PathBuf,
        secs: u64,
        log: PathBuf,
    },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("state file {path} is unreadable ({reason}); remove it if no server is running")]
    State { path: PathBuf, reason: String },
    #[error("the Docker backend was asked for, but {0}")]
    Container(String),
}

impl ServerError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> ServerError {
        let path = path.into();
        move |source| ServerError::Io {
            action,
            path,
            source,
        }
    }
}
