//! Errors from talking to an MLflow server.

use std::path::PathBuf;

/// Everything that can go wrong between harness and an MLflow server.
///
/// URLs in messages never carry credentials or queries: settings move any `user:pass@` out of the
/// tracking URI into [`super::Auth`] before a client exists, and the client passes every URL and
/// every reason it puts here through [`super::redact_url`] or [`super::redact_text`].
#[derive(Debug, thiserror::Error)]
pub enum MlflowError {
    /// The server answered with an error status. `error_code` is MLflow's own code
    /// (e.g. `RESOURCE_DOES_NOT_EXIST`) when the response was JSON.
    #[error("{method} {url} failed: HTTP {status}{code}: {message}",
        code = error_code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Api {
        method: String,
        url: String,
        status: u16,
        error_code: Option<String>,
        message: String,
    },
    /// The server could not be reached (refused, timed out, reset) even after retries.
    #[error("cannot reach MLflow at {url} after {attempts} attempt(s): {reason}")]
    Transport {
        url: String,
        attempts: u32,
        reason: String,
    },
    /// The server answered 2xx with a body that is not what the API documents.
    #[error("unexpected response from {url}: {reason}; body starts with: {body_start:?}")]
    Decode {
        url: String,
        reason: String,
        body_start: String,
    },
    /// The server sent a longer answer than harness reads (a broken or hostile server streaming
    /// without end); `limit` is in bytes.
    #[error("response from {url} larger than {} (harness reads at most that of one answer; {env} raises it, in MiB)",
        human_bytes(*limit), env = super::client::MAX_RESPONSE_ENV)]
    TooLarge { url: String, limit: u64 },
    #[error("invalid MLflow URI `{uri}`: {reason}")]
    InvalidUri { uri: String, reason: String },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl MlflowError {
    /// MLflow's `error_code`, when the server sent one.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            MlflowError::Api { error_code, .. } => error_code.as_deref(),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            MlflowError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404) || self.error_code() == Some("RESOURCE_DOES_NOT_EXIST")
    }

    pub fn is_already_exists(&self) -> bool {
        self.error_code() == Some("RESOURCE_ALREADY_EXISTS")
    }
}

/// Bytes as a reader would say them: whole MiB when they are, else bytes.
fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

pub type Result<T, E = MlflowError> = std::result::Result<T, E>;
