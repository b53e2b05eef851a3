//! MLflow in a Docker container through testcontainers (cargo feature `docker`).

use std::path::Path;

use super::error::ServerError;
use crate::progress::Progress;

/// The official image of the pinned MLflow version.
pub const DEFAULT_IMAGE: &str = "ghcr.io/mlflow/mlflow:v3.17.2";

/// Whether a Docker engine answers on its default socket (what `--mlflow auto` looks for).
pub fn docker_available() -> bool {
    if !cfg!(feature = "docker") {
        return false;
    }
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".into());
    Path::new(&socket).exists() && std::os::unix::net::UnixStream::connect(&socket).is_ok()
}

#[cfg(feature = "docker")]
mod imp {
    use testcontainers::core::{IntoContainerPort, WaitFor, wait::HttpWaitStrategy};
    use testcontainers::runners::SyncRunner;
    use testcontainers::{Container, GenericImage, ImageExt};

    use super::*;

    /// A running container; dropping it removes the container.
    pub(crate) struct Running {
        pub(crate) uri: url::Url,
        _container: Container<GenericImage>,
    }

    impl std::fmt::Debug for Running {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Running").field("uri", &self.uri).finish()
        }
    }

    pub(crate) fn start(image: &str, progress: &Progress) -> Result<Running, ServerError> {
        let (name, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
        progress.set_message(format!("starting {image} in Docker"));
        let container = GenericImage::new(name, tag)
            .with_exposed_port(5000.tcp())
            .with_wait_for(WaitFor::http(
                HttpWaitStrategy::new("/health")
                    .with_port(5000.tcp())
                    .with_expected_status_code(200u16),
            ))
            .with_cmd(["mlflow", "server", "--host", "0.0.0.0", "--port", "5000"])
            .with_startup_timeout(super::super::HEALTH_TIMEOUT)
            .start()
            .map_err(|e| ServerError::Container(e.to_string()))?;
        let host = container
            .get_host()
            .map_err(|e| ServerError::Container(e.to_string()))?;
        let port = container
            .get_host_port_ipv4(5000.tcp())
            .map_err(|e| ServerError::Container(e.to_string()))?;
        let host = match host.to_string().as_str() {
            "localhost" => "127.0.0.1".to_string(),
            h => h.to_string(),
        };
        let uri = url::Url::parse(&format!("http://{host}:{port}"))
            .map_err(|e| ServerError::Container(e.to_string()))?;
        Ok(Running {
            uri,
            _container: container,
        })
    }
}

#[cfg(not(feature = "docker"))]
mod imp {
    use super::*;

    #[derive(Debug)]
    pub(crate) struct Running {
        pub(crate) uri: url::Url,
    }

    pub(crate) fn start(_image: &str, _progress: &Progress) -> Result<Running, ServerError> {
        Err(ServerError::Container(
            "this harness was built without the `docker` feature (rebuild with `--features docker`)".into(),
        ))
    }
}

pub(super) use imp::{Running, start};
