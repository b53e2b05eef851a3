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
//! - [`HandIn::inventory`]: the notebooks, scripts, captured output, images (with pixel
//!   dimensions) and PDFs of a hand-in, found by a bounded search, and what was left out.
//! - [`HandIn::read_notebook`] / [`Notebook`]: cells, outputs, errors and execution order of a
//!   Jupyter notebook (nbformat 4 and 3), whatever its shape.
//! - [`find_tables`] / [`html_tables`] / [`numbers`]: tables in printed text, and numbers with
//!   the precision they were printed at.
//! - [`PythonFacts`]: calls (with constant arguments), imports, assignments, credentials and
//!   absolute paths from a notebook's code cells or a script, parsed with tree-sitter.

mod error;
mod images;
mod inventory;
mod limits;
mod notebook;
mod python;
mod read;
mod root;
mod tables;
mod yaml;

pub use error::HandinError;
pub use images::{ImageFormat, ImageSize, image_size};
pub use inventory::{HandInFile, ImageFile, Inventory, Note};
pub use limits::{Kind, Limits};
pub use notebook::{
    Attachment, Cell, CellKind, DataOutput, EmbeddedImage, Notebook, NotebookError, OutOfOrder,
    Output, Printed, PrintedFrom, RaisedError, html_text, strip_ansi,
};
pub(crate) use python::words;
pub use python::{
    AbsolutePath, Assignment, Call, Import, Loc, Note as CodeNote, NoteKind as CodeNoteKind,
    PythonFacts, Secret, SecretKind, Value,
};
pub(crate) use read::{file_kind, read_capped};
pub use root::HandIn;
pub use tables::{Number, Table, TableForm, find_tables, html_tables, numbers};
pub(crate) use yaml::parse_yaml;
