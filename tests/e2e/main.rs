//! End-to-end tests against a real MLflow server (one embedded server shared by the whole run;
//! see `harness_e2e`). Every test uses names of its own.

mod artifacts;
mod check_cli;
mod corpus;
mod exercise_tasks;
mod experiments;
mod failures;
mod general_checks_server;
mod grade_cli;
mod grading_fixtures;
mod grading_snapshots;
mod hostile;
mod interrupted;
mod layers;
mod onnx;
mod registry;
mod report;
mod rescore;
mod run_mnist;
mod run_wine;
mod sandbox_escape;
mod server_lifecycle;
mod sources;
mod sources_hostile;
mod ta_review;
mod tracking;
mod zoomcamp_real_stores;
