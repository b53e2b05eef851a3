//! Student submissions on disk: where their MLflow store is and who they are.
//!
//! A submission is a folder holding an `mlflow.db` (any `*.db` name), or an `mlruns/` file store,
//! next to the student's notebook or script whose header names them
//! (`# ชื่อ-นามสกุล: …` = name, `# รหัสนักศึกษา: …` = student ID).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::snapshot::Snapshot;

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
}

impl Submission {
    /// Describes the folder `root` (a submission of its own), finding its store.
    pub fn at(root: &Path) -> Submission {
        Submission::with_store(root, Store::find(root))
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

    fn with_store(root: &Path, store: Store) -> Submission {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| root.display().to_string());
        Submission {
            name,
            root: root.to_path_buf(),
            store,
            identity: identify(root),
        }
    }

    /// Reads the store into a snapshot, never touching the files; the error says what was wrong.
    pub fn snapshot(&self) -> Result<Snapshot, String> {
        match &self.store {
            Store::Missing => Err(format!(
                "no MLflow store in {}: expected an mlflow.db (any *.db) or an mlruns/ folder",
                self.root.display()
            )),
            store => store.load(&self.root).map_err(|e| e.to_string()),
        }
    }
}

/// Every sub-folder of `dir`, sorted by name: one submission each.
pub fn discover(dir: &Path) -> std::io::Result<Vec<Submission>> {
    let mut out: Vec<Submission> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| Submission::at(&e.path()))
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Reads the name and student ID from the first notebook or script that has them.
pub(crate) fn identify(root: &Path) -> Identity {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| ["py", "ipynb", "md", "txt"].contains(&&*x.to_string_lossy()))
        })
        .collect();
    files.sort();
    let mut id = Identity::default();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let found = identity_in(&text);
        id.name = id.name.or(found.name);
        id.student_id = id.student_id.or(found.student_id);
        if id.name.is_some() && id.student_id.is_some() {
            break;
        }
    }
    id
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
        std::fs::create_dir(dir.path().join("mlruns")).unwrap();
        assert_eq!(
            Store::find(dir.path()),
            Store::Mlruns(dir.path().join("mlruns"))
        );
        std::fs::write(dir.path().join("homework.db"), b"").unwrap();
        assert_eq!(
            Store::find(dir.path()),
            Store::Sqlite(dir.path().join("homework.db"))
        );
    }
}
