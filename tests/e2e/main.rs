//! End-to-end tests against a real MLflow server (one embedded server shared by the whole run;
//! see `harness_e2e`). Every test uses names of its own.

mod artifacts;
mod failures;
mod registry;
mod run_wine;
mod server_lifecycle;
mod tracking;
