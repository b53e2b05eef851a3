//! Logged models as files: the `MLmodel` description MLflow keeps beside every model
//! ([`mlmodel`]), shared by the reference runs that write it and `serve` that reads it.

pub mod mlmodel;
