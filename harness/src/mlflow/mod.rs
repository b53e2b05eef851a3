//! A typed client for MLflow's REST API (tracking, logged models, registry, artefact proxy).
//!
//! This is the only module that talks to the network. It is blocking on purpose: the harness
//! does one thing at a time against one server, and blocking code keeps errors and retries simple.

mod client;
mod error;
mod redact;
pub mod types;
mod uri;

pub use client::{
    ArtifactRoot, Auth, Batch, ClientConfig, MAX_BATCH_ENTITIES, MAX_BATCH_METRICS,
    MAX_BATCH_PARAMS, MAX_BATCH_TAGS, MlflowClient, NewRun, now_ms, split_batches,
};
pub use error::{MlflowError, Result};
pub use redact::{redact_str, redact_text, redact_url, without_credentials};
pub use types::*;
pub use uri::{ModelUri, ResolvedModel};
