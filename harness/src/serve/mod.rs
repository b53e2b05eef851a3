//! `harness serve`: a registered model (or a model folder) behind MLflow's scoring protocol,
//! the seed's `/predict` and Prometheus `/metrics`, following its alias as it moves.
//!
//! - [`model`] — loading a model folder through our native flavors or its `onnx` flavor;
//! - [`input`] — request bodies → rows checked against the signature (pure);
//! - `http` — the axum routes, the shared state and the atomic swap;
//! - `metrics` — the Prometheus registry;
//! - `follow` — the thread that polls the registry and swaps in a moved alias's version.

mod error;
mod follow;
mod http;
pub(crate) mod input;
mod metrics;
pub(crate) mod model;

use std::future::Future;
use std::sync::Arc;

pub use error::ServeError;
pub use follow::{Follower, follow, follows};
pub use http::{AppState, Limits, VERSION_HEADER};
pub use model::{ServedModel, load_dir, load_from_registry};

/// Answers on `listener` until `shutdown` completes, then lets requests in flight finish.
///
/// # Errors
/// [`ServeError::Io`] when the listener fails.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    axum::serve(listener, http::router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServeError::Io)
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        // Without a SIGTERM handler, Ctrl-C still stops the server.
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
