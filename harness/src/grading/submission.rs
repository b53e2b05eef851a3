//! Student submissions on disk: where their MLflow store is and who they are.
//!
//! A submission is a folder holding an `mlflow.db` (any `*.db` name), or an `mlruns/` file store,
//! next to the student's notebook or script whose header names them
//! (`# ชื่อ-นามสกุล: …` = name, `# รหัสนักศึกษา: …` = student ID).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::handin::{HandIn, Kind};
use crate::snapshot::Snapshot;
use crate::source::discover;

/// The two header lines the homework asks for, plus English fallbacks.
const NAME_MARKERS: [&str; 3] = ["ชื่อ-นามสกุล", "ชื่อ", "Name"];
const ID_MARKERS: [&str; 3] = ["รหัสนักศึกษา", "Student ID", "ID"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub name: Option<String>,
    pub(crate) student_id: Option<String>,
}

pub use crate::source::Store;

#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    /// Folder name: the key in gradebooks and report folders.
    pub name: String,
    pub root: PathBuf,
    pub(crate) store: Store,
    pub identity: Identity,
    /// Which store was chosen and why, and what was passed over (see [`discover`]).
    pub notes: Vec<String>,
    /// Why this entry of a class folder cannot be graded at all (a link, an archive, …).
    pub(crate) refused: Option<String>,
}

impl Submission {
    /// Describes the folder `root` (a submission of its own), finding its store.
    pub fn at(root: &Path) -> Submission {
        Submission::for_experiments(root, &[])
    }

    /// [`Submission::at`], preferring a store with one of `experiments` when there are several.
    pub fn for_experiments(root: &Path, experiments: &[String]) -> Submission {
        let found = discover::discover(root, experiments);
        let mut s = Submission::with_store(root, found.store);
        s.notes.splice(0..0, found.notes);
        s
    }

    /// A store given by path (`--store FILE`, `--mlruns DIR`): the submission is the folder
    /// around it, where its artefacts and the student's files are.
    pub(crate) fn of_store(store: Store) -> Submission {
        let root = match &store {
            Store::Sqlite(p) | Store::Mlruns(p) => p
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf(),
            Store::Missing => PathBuf::from("."),
        };
        Submission::with_store(&root, store)
    }

    /// An entry of a class folder that is listed (so the gradebook has its row) but not read.
    fn refused(path: &Path, why: String) -> Submission {
        Submission {
            name: name_of(path),
            root: path.to_path_buf(),
            store: Store::Missing,
            identity: Identity::default(),
            notes: Vec::new(),
            refused: Some(why),
        }
    }

    fn with_store(root: &Path, store: Store) -> Submission {
        let (identity, notes) = identify(root);
        Submission {
            name: name_of(root),
            root: root.to_path_buf(),
            store,
            identity,
            notes,
            refused: None,
        }
    }

    /// Reads the store into a snapshot, never touching the files; the error says what was wrong.
    pub fn snapshot(&self) -> Result<Snapshot, String> {
        if let Some(why) = &self.refused {
            return Err(why.clone());
        }
        match &self.store {
            Store::Missing => Err(format!(
                "no MLflow store in {}: {}",
                self.root.display(),
                if self.notes.is_empty() {
                    "expected an mlflow.db (any *.db) or an mlruns/ folder".to_string()
                } else {
                    self.notes.join("; ")
                }
            )),
            store => store.load(&self.root).map_err(|e| e.to_string()),
        }
    }
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Folders tools leave in a class folder; never a student's hand-in.
const TOOL_FOLDERS: [&str; 5] = [
    ".git",
    ".ipynb_checkpoints",
    "__MACOSX",
    ".venv",
    ".harness",
];
/// Archives a TA forgot to unpack: listed so the student is not silently missing.
const ARCHIVES: [&str; 6] = [".zip", ".tar", ".tar.gz", ".tgz", ".7z", ".rar"];

/// One submission per sub-folder of `dir`, sorted by name, each with its store chosen for
/// `experiments`. Every entry that looks like a hand-in gets a row, with the reason when it
/// cannot be graded: a linked folder (not followed), an unpacked archive, an unreadable folder.
pub fn discover(dir: &Path, experiments: &[String]) -> std::io::Result<Vec<Submission>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            out.push(Submission::refused(
                &path,
                format!("{name}: cannot tell what it is"),
            ));
            continue;
        };
        if TOOL_FOLDERS.contains(&name.as_str()) {
            continue;
        }
        if kind.is_symlink() {
            out.push(Submission::refused(
                &path,
                format!(
                    "{name} is a link, not a folder; links in a class folder are not followed \
                     (copy the hand-in in place to grade it)"
                ),
            ));
        } else if kind.is_dir() {
            if let Err(e) = std::fs::read_dir(&path) {
                out.push(Submission::refused(
                    &path,
                    format!("cannot read {name}: {e}"),
                ));
            } else if name.starts_with('.') && Store::find(&path) == Store::Missing {
                // A hidden folder without a store is a tool's, not a student's.
                continue;
            } else {
                out.push(Submission::for_experiments(&path, experiments));
            }
        } else if ARCHIVES
            .iter()
            .any(|x| name.to_ascii_lowercase().ends_with(x))
        {
            out.push(Submission::refused(
                &path,
                format!("{name} is an archive; unpack each hand-in into a folder of its own"),
            ));
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Reads the name and student ID from the first notebook or script that has them. Files are
/// read through [`HandIn`]: regular files inside the hand-in only, capped by kind; the notes
/// say which were not read and why.
pub(crate) fn identify(root: &Path) -> (Identity, Vec<String>) {
    let mut id = Identity::default();
    let mut notes = Vec::new();
    let Ok(hand_in) = HandIn::new(root) else {
        return (id, notes);
    };
    let mut files: Vec<(PathBuf, Kind)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter_map(|p| {
            let kind = match p.extension()?.to_str()? {
                "ipynb" => Kind::Notebook,
                "py" | "md" | "txt" => Kind::Text,
                _ => return None,
            };
            Some((p, kind))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (f, kind) in files {
        let text = match hand_in.read_text(&f, kind) {
            Ok(text) => text,
            Err(e) => {
                notes.push(e.to_string());
                continue;
            }
        };
        // Every file is still opened once found: one that cannot be read is worth a note.
        if id.name.is_none() || id.student_id.is_none() {
            let found = identity_in(&text);
            id.name = id.name.or(found.name);
            id.student_id = id.student_id.or(found.student_id);
        }
    }
    (id, notes)
}

/// Finds `# <marker>: value` lines in plain text or inside a notebook's JSON strings.
pub(crate) fn identity_in(text: &str) -> Identity {
    let value_after = |markers: &[&str]| -> Option<String> {
        for line in text.split(['\n']).flat_map(|l| l.split("\\n")) {
            // In a notebook the comment sits inside a JSON string: `["# ชื่อ-นามสกุล: …\n", …`.
            let Some(at) = line.find('#') else {
                continue;
            };
            let rest = &line[at + 1..];
            let rest = rest.trim_start();
            for marker in markers {
                if let Some(after) = rest.strip_prefix(marker) {
                    let after = after.trim_start();
                    if let Some(value) = after.strip_prefix(':') {
                        let value = value.trim().trim_end_matches(['"', ',']).trim();
                        if !value.is_empty() {
                            return Some(value.to_string());
                        }
                    }
                }
            }
        }
        None
    };
    Identity {
        name: value_after(&NAME_MARKERS),
        student_id: value_after(&ID_MARKERS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_thai_headers_from_scripts_and_notebooks() {
        let script = "# ชื่อ-นามสกุล: สมชาย ใจดี\n# รหัสนักศึกษา: 6612345678\nimport mlflow\n";
        assert_eq!(
            identity_in(script),
            Identity {
                name: Some("สมชาย ใจดี".into()),
                student_id: Some("6612345678".into())
            }
        );
        let notebook = r##"{"cells": [{"source": ["# ชื่อ-นามสกุล: Jane Doe\n", "# รหัสนักศึกษา: 6600000001\n"]}]}"##;
        assert_eq!(
            identity_in(notebook),
            Identity {
                name: Some("Jane Doe".into()),
                student_id: Some("6600000001".into())
            }
        );
    }

    #[test]
    fn empty_or_absent_headers_give_none() {
        assert_eq!(identity_in("# ชื่อ-นามสกุล:\nprint(1)\n"), Identity::default());
    }

    #[test]
    fn finds_the_store_kind() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Store::find(dir.path()), Store::Missing);
        std::fs::create_dir_all(dir.path().join("mlruns/0")).unwrap();
        std::fs::write(dir.path().join("mlruns/0/meta.yaml"), "name: Default\n").unwrap();
        assert_eq!(
            Store::find(dir.path()),
            Store::Mlruns(dir.path().join("mlruns"))
        );
        std::fs::remove_dir_all(dir.path().join("mlruns/0")).unwrap();
        // Neither an empty database nor an empty mlruns/ is a store; the reason names both.
        std::fs::write(dir.path().join("homework.db"), b"").unwrap();
        let s = Submission::at(dir.path());
        assert_eq!(s.store, Store::Missing);
        assert!(
            s.snapshot()
                .unwrap_err()
                .contains("mlruns/: holds artefacts only")
        );
        assert!(
            s.notes
                .iter()
                .any(|n| n.contains("homework.db: an empty file")),
            "{:?}",
            s.notes
        );
    }
}
