//! Why `harness serve` could not start (or stopped).

use crate::mlflow::MlflowError;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The model's files cannot be served: no loadable flavor, a bad MLmodel, a broken file.
    #[error("cannot serve {uri}: {reason}")]
    Model { uri: String, reason: String },
    /// The registry cannot say what the URI is (unknown model or version, alias not set), or
    /// cannot be reached.
    #[error("cannot serve {uri}: {source}")]
    Registry {
        uri: String,
        #[source]
        source: Box<MlflowError>,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Io(#[source] std::io::Error),
}

impl ServeError {
    /// 2 when what the command line names cannot be served (an unknown model, a missing
    /// alias, a folder without a loadable flavor, a port that is taken); 1 otherwise (the
    /// registry unreachable or failing, an I/O failure while serving).
    pub fn exit_code(&self) -> u8 {
        match self {
            ServeError::Model { .. } | ServeError::Bind { .. } => 2,
            // The registry answered that what was named is wrong: MLflow 3 says a missing alias
            // with 400 INVALID_PARAMETER_VALUE, an unknown model with 404.
            ServeError::Registry { source, .. }
                if source.status().is_some_and(|s| (400..500).contains(&s))
                    || matches!(**source, MlflowError::InvalidUri { .. }) =>
            {
                2
            }
            _ => 1,
        }
    }
}
