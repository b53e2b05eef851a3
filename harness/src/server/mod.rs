//! Where the MLflow server comes from: embedded (a pinned mlflow in a venv the harness
//! provisions), a Docker container (feature `docker`), or an external URI; and the other things
//! harness provisions on this machine for itself: Python venvs ([`venv`]) and the headless
//! browser that looks at the MLflow UI ([`browser`]).

pub(crate) mod browser;
mod container;
mod embedded;
mod error;
pub(crate) mod git;
mod install;
pub(crate) mod venv;

pub use browser::{Browser, BrowserError};
pub use container::{DEFAULT_IMAGE, docker_available};
pub use embedded::{
    HEALTH_TIMEOUT, Home, MLFLOW_VERSION, ServerState, Started, down, ensure_venv,
    mlflow_requirement, read_state, status, up,
};
pub use error::ServerError;
pub use venv::{ONNX_PACKAGES, ensure_onnx_runtime};

use url::Url;

use crate::mlflow::{Auth, ClientConfig, MlflowClient};
use crate::progress::Progress;

/// Which server a command talks to, decided by the settings layer.
#[derive(Debug, Clone)]
pub enum ServerTarget {
    /// A server someone else runs.
    External { uri: Url, auth: Option<Auth> },
    /// The embedded server instance `instance` under `home`.
    Embedded {
        home: Home,
        instance: String,
        python: String,
    },
    /// A throwaway container of `image` (needs a Docker engine and the `docker` feature).
    Container { image: String },
}

/// A server ready for requests. If this value started the server, dropping it stops the server
/// (the store on disk stays, so a later `harness mlflow up` shows the same data).
#[derive(Debug)]
pub struct TrackingServer {
    pub(crate) uri: Url,
    pub(crate) auth: Option<Auth>,
    _guard: Guard,
}

#[derive(Debug)]
#[allow(dead_code)] // the values are held for their Drop, which stops what they started
#[allow(clippy::large_enum_variant)] // one per process
enum Guard {
    None,
    Embedded(Started),
    #[allow(dead_code)]
    Container(container::Running),
}

impl TrackingServer {
    pub fn client(&self) -> Result<MlflowClient, crate::mlflow::MlflowError> {
        let mut config = ClientConfig::new(self.uri.clone());
        config.auth = self.auth.clone();
        MlflowClient::new(config)
    }

    /// A handle for a server that is already running and owned elsewhere.
    pub(crate) fn external(uri: Url, auth: Option<Auth>) -> Self {
        Self {
            uri,
            auth,
            _guard: Guard::None,
        }
    }

    /// Whether dropping this handle stops the server.
    pub(crate) fn owns_server(&self) -> bool {
        !matches!(self._guard, Guard::None)
    }
}

/// Connects to `target`: an external server as given, the embedded instance (reused when it is
/// already up, else started for the lifetime of the returned handle), or a new container.
pub fn connect(target: &ServerTarget, progress: &Progress) -> Result<TrackingServer, ServerError> {
    match target {
        ServerTarget::External { uri, auth } => {
            Ok(TrackingServer::external(uri.clone(), auth.clone()))
        }
        ServerTarget::Embedded {
            home,
            instance,
            python,
        } => {
            let (state, started) = up(home, instance, python, progress)?;
            let uri = Url::parse(&state.tracking_uri).map_err(|e| ServerError::State {
                path: home.instance_dir(instance),
                reason: e.to_string(),
            })?;
            Ok(TrackingServer {
                uri,
                auth: None,
                _guard: started.map_or(Guard::None, Guard::Embedded),
            })
        }
        ServerTarget::Container { image } => {
            let running = container::start(image, progress)?;
            Ok(TrackingServer {
                uri: running.uri.clone(),
                auth: None,
                _guard: Guard::Container(running),
            })
        }
    }
}
