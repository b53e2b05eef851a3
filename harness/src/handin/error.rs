use std::path::PathBuf;

use super::Kind;

/// Why a file of a hand-in was not read. Messages name the file as the hand-in supplied it and
/// never where a link out of the hand-in points.
#[derive(Debug, thiserror::Error)]
pub enum HandinError {
    #[error("{path} is not a regular file (it is {found}); not read")]
    NotRegular { path: PathBuf, found: &'static str },
    #[error(
        "{path} is too large: {size} bytes, over the {limit}-byte limit for {kind} files \
         (raise it with --limit {kind}=SIZE)",
        kind = kind.name()
    )]
    TooLarge {
        path: PathBuf,
        kind: Kind,
        size: u64,
        limit: u64,
    },
    #[error(
        "{path} leads outside the hand-in folder {root}; links out of the hand-in are not followed"
    )]
    Outside { path: PathBuf, root: PathBuf },
    #[error("{path}: YAML nested deeper than {limit} levels; not parsed")]
    TooDeep { path: PathBuf, limit: usize },
    #[error("{path}: not YAML: {message}")]
    Yaml { path: PathBuf, message: String },
    #[error("{path} is not UTF-8 text")]
    NotText { path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl HandinError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> HandinError {
        let path = path.into();
        move |source| HandinError::Io { path, source }
    }

    /// True when the file simply is not there (callers often treat that as "absent", not bad).
    pub fn is_not_found(&self) -> bool {
        matches!(self, HandinError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}
