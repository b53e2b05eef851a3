//! The one way to read anything a student hands in: confined to the hand-in folder, regular
//! files only, every read capped by the kind of file, YAML parsed with a nesting limit.
//!
//! A class of 200 hand-ins contains FIFOs where files belong, links to `/dev/zero` or `/etc`,
//! 300 MB `MLmodel`s and YAML nested 200 000 levels deep. Each of those used to hang a batch,
//! exhaust memory or list host files in a report; here each is a clear one-line error instead.
//!
//! - [`HandIn`]: a hand-in folder; [`HandIn::read_text`] and [`HandIn::read_bytes`] open a file
//!   inside it, [`HandIn::dir`] resolves a folder inside it, [`HandIn::list_files`] lists one.
//! - [`Limits`]: byte caps per [`Kind`] of file and the YAML nesting limit (generous defaults,
//!   `--limit KIND=SIZE` on the command line).
//! - [`parse_yaml`]: YAML with a nesting limit checked before the parser sees the text.
//! - [`PythonFacts`]: calls (with constant arguments), imports, assignments, credentials and
//!   absolute paths from a notebook's code cells or a script, parsed with tree-sitter.

mod error;
mod limits;
mod python;
mod read;
mod root;
mod yaml;

pub use error::HandinError;
pub use limits::{Kind, Limits};
pub use python::{
    AbsolutePath, Assignment, Call, Import, Loc, Note, NoteKind, PythonFacts, Secret, SecretKind,
    Value,
};
pub(crate) use read::read_capped;
pub use root::HandIn;
pub(crate) use yaml::parse_yaml;
