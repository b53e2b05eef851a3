//! A typed client for MLflow's REST API (tracking, logged models, registry, artefact proxy).
//!
//! This is the only module that talks to the network. It is blocking on purpose: the harness
//! does one thing at a time against one server, and blocking code keeps errors and retries simple.
//!
//! [`MlflowClient`] is defined in `client` (configuration and request sending); its endpoints are
//! spread over one file per API area: `tracking`, `logged_models`, `registry` and `artifacts`.
//! `redact` decides what of a URL may be shown.

mod artifacts;
mod client;
mod error;
mod logged_models;
mod redact;
mod registry;
mod tracking;
pub(crate) mod types;
mod uri;

/// Registered-model tag present while `harness run` is publishing the model; the last step of a
/// publish removes it, so a model that still has it was left incomplete by an interrupted run.
pub const INCOMPLETE_TAG: &str = "harness.incomplete";

pub use client::{
    Auth, ClientConfig, DEFAULT_MAX_RESPONSE_BYTES, MAX_RESPONSE_ENV, MlflowClient, now_ms,
};
pub use error::{MlflowError, Result};
pub use redact::{redact_str, redact_text, redact_url, without_credentials};
pub use tracking::{
    Batch, MAX_BATCH_ENTITIES, MAX_BATCH_METRICS, MAX_BATCH_PARAMS, MAX_BATCH_TAGS, NewRun,
    split_batches,
};
pub use types::*;
pub use uri::{ModelUri, ResolvedModel};
