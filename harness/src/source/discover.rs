//! Which store of a hand-in folder to grade, and why.
//!
//! Hand-ins hold more than one thing that looks like a store: a stray `optuna.db` beside a good
//! `mlruns/`, an empty `mlflow.db` beside the real `homework.db`, an `mlruns/` that only holds
//! artefacts. Each candidate is probed (cheaply, read-only) and the one that is an MLflow store
//! with the homework's experiment wins; the notes say what was chosen, why, and what was not.

use std::path::{Path, PathBuf};

use super::{SourceError, Store};
use crate::handin::{HandIn, Kind, parse_yaml};

/// The store chosen for a folder, with notes for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub store: Store,
    /// What was chosen and why, and every candidate passed over with its reason; empty when
    /// the folder held exactly one plain MLflow store.
    pub notes: Vec<String>,
}

/// What probing one candidate found.
#[derive(Debug, Clone)]
struct Probe {
    store: Store,
    label: String,
    /// `Err(why not)` when it is not a usable MLflow store.
    found: Result<Contents, String>,
}

#[derive(Debug, Clone, Default)]
struct Contents {
    experiments: Vec<String>,
    runs: usize,
}

impl Probe {
    /// Higher is better: an MLflow store, with a wanted experiment, with runs, named mlflow.db.
    fn rank(&self, wanted: &[String]) -> (bool, bool, bool, bool, usize) {
        match &self.found {
            Err(_) => (false, false, false, self.is_default_name(), 0),
            Ok(c) => (
                true,
                c.experiments.iter().any(|e| wanted.contains(e)),
                c.runs > 0,
                self.is_default_name(),
                c.runs,
            ),
        }
    }

    fn is_default_name(&self) -> bool {
        matches!(&self.store, Store::Sqlite(p) if p.file_name() == Some("mlflow.db".as_ref()))
            || matches!(&self.store, Store::Mlruns(_))
    }

    fn describe(&self, wanted: &[String]) -> String {
        match &self.found {
            Err(why) => format!("{}: {why}", self.label),
            Ok(c) => {
                let has: Vec<&String> = c
                    .experiments
                    .iter()
                    .filter(|e| wanted.contains(e))
                    .collect();
                let exp = match has.first() {
                    Some(e) => format!("experiment '{e}'"),
                    None if wanted.is_empty() => format!("{} experiment(s)", c.experiments.len()),
                    None => "none of the task's experiments".to_string(),
                };
                format!(
                    "{}: an MLflow store with {exp}, {} run(s)",
                    self.label, c.runs
                )
            }
        }
    }
}

/// Finds the store of `path`: a store file as given, or the best candidate in a folder.
/// `experiments` are the task files' experiment names (may be empty).
pub fn discover(path: &Path, experiments: &[String]) -> Discovery {
    if path.is_file() {
        return Discovery {
            store: Store::Sqlite(path.to_path_buf()),
            notes: Vec::new(),
        };
    }
    let (probes, mut notes) = candidates(path);
    let best = probes
        .iter()
        .enumerate()
        .max_by_key(|(i, p)| (p.rank(experiments), std::cmp::Reverse(*i)))
        .map(|(i, _)| i);
    let Some(best) = best else {
        if notes.is_empty() {
            notes.push("no mlflow.db, *.db or mlruns/ in it".into());
        }
        return Discovery {
            store: Store::Missing,
            notes,
        };
    };
    let chosen = &probes[best];
    if let (Err(why), Store::Mlruns(_)) = (&chosen.found, &chosen.store) {
        // An artefacts-only mlruns/ would grade as an empty store with no reason given.
        notes.insert(0, format!("{}: {why}", chosen.label));
        for (i, p) in probes.iter().enumerate() {
            if i != best {
                notes.push(format!("passed over {}", p.describe(experiments)));
            }
        }
        return Discovery {
            store: Store::Missing,
            notes,
        };
    }
    if chosen.found.is_err() && probes.len() > 1 {
        // Nothing probed as MLflow: grade the likeliest anyway so its own error is shown.
        notes.insert(
            0,
            format!("no candidate is an MLflow store; reading {}", chosen.label),
        );
    } else if probes.len() > 1 || chosen.found.is_err() {
        notes.insert(0, format!("chose {}", chosen.describe(experiments)));
    }
    for (i, p) in probes.iter().enumerate() {
        if i != best {
            notes.push(format!("passed over {}", p.describe(experiments)));
        }
    }
    Discovery {
        store: chosen.store.clone(),
        notes,
    }
}

/// Every candidate store in `dir` (probed where there is a choice to make); plus notes on
/// entries refused outright.
fn candidates(dir: &Path) -> (Vec<Probe>, Vec<String>) {
    let mut notes = Vec::new();
    let hand_in = match HandIn::new(dir) {
        Ok(h) => h,
        Err(e) => return (Vec::new(), vec![e.to_string()]),
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            return (
                Vec::new(),
                vec![format!("cannot list {}: {e}", dir.display())],
            );
        }
    };
    let mut names: Vec<(String, PathBuf)> = entries
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    names.sort();
    let mut probes = Vec::new();
    for (name, path) in names {
        let is_db = [".db", ".sqlite", ".sqlite3"]
            .iter()
            .any(|x| name.to_ascii_lowercase().ends_with(x));
        if is_db {
            if let Err(e) = hand_in.resolve(&path) {
                notes.push(format!("passed over {name}: {e}"));
                continue;
            }
            probes.push(Probe {
                found: Ok(Contents::default()),
                store: Store::Sqlite(path),
                label: name,
            });
        } else if name == "mlruns" && path.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            probes.push(Probe {
                found: probe_mlruns(&hand_in, &path),
                store: Store::Mlruns(path),
                label: "mlruns/".into(),
            });
        } else if name == "mlruns" {
            let why = match hand_in.resolve(&path) {
                Err(e) => e.to_string(),
                Ok(_) => "not a folder (a link to one is not followed)".into(),
            };
            notes.push(format!("passed over mlruns: {why}"));
        }
    }
    if probes.is_empty()
        && (dir.join("models").is_dir() || dir.join("0").join("meta.yaml").is_file())
    {
        probes.push(Probe {
            found: probe_mlruns(&hand_in, dir),
            store: Store::Mlruns(dir.to_path_buf()),
            label: "the folder itself (an mlruns/ store)".into(),
        });
    }
    // Databases are probed only to choose between candidates: a lone one is opened once, by
    // the load itself, whose error then says what is wrong with it.
    if probes.len() > 1 {
        for p in &mut probes {
            if let Store::Sqlite(path) = &p.store {
                p.found = probe_sqlite(path, dir);
            }
        }
    }
    (probes, notes)
}

/// Experiment names and run count of an SQLite candidate, read the way the store itself would
/// be (a hot journal recovered on a private copy, never in place).
fn probe_sqlite(path: &Path, root: &Path) -> Result<Contents, String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.is_file() && meta.len() == 0 {
        return Err("an empty file".into());
    }
    match super::sqlite::probe(path, root) {
        Ok((experiments, runs)) => Ok(Contents { experiments, runs }),
        Err(SourceError::NotMlflow { reason, .. }) => {
            Err(format!("not an MLflow store ({reason})"))
        }
        Err(SourceError::Open { source, .. }) => Err(format!("not an SQLite database ({source})")),
        Err(SourceError::Query { source, .. }) => {
            Err(format!("not a readable MLflow store ({source})"))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Experiment names and run count of a file store; an `mlruns/` without a single experiment
/// `meta.yaml` only holds artefacts (a tracking server elsewhere kept the metadata).
fn probe_mlruns(h: &HandIn, dir: &Path) -> Result<Contents, String> {
    let mut c = Contents::default();
    let mut registry = false;
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list: {e}"))?;
    for e in entries.flatten() {
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        if name == "models" {
            registry = true;
            continue;
        }
        if name.starts_with('.') {
            continue;
        }
        let meta = e.path().join("meta.yaml");
        let Ok(text) = h.read_text(&meta, Kind::Meta) else {
            continue;
        };
        if let Ok(doc) = parse_yaml(&meta, &text) {
            let name = doc.get("name").and_then(|n| n.as_str()).unwrap_or("");
            c.experiments.push(name.to_string());
        }
        c.runs += std::fs::read_dir(e.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|r| r.path().join("meta.yaml").symlink_metadata().is_ok())
            .count();
    }
    if c.experiments.is_empty() && !registry {
        return Err("holds artefacts only, no MLflow metadata (no experiment meta.yaml)".into());
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn mlruns(dir: &Path, experiment: &str) {
        let exp = dir.join("mlruns/1");
        std::fs::create_dir_all(exp.join("abc")).unwrap();
        std::fs::write(
            exp.join("meta.yaml"),
            format!("experiment_id: '1'\nname: {experiment}\n"),
        )
        .unwrap();
        std::fs::write(exp.join("abc/meta.yaml"), "run_id: abc\n").unwrap();
    }

    fn sqlite(path: &Path, experiment: Option<&str>) {
        let c = Connection::open(path).unwrap();
        match experiment {
            Some(name) => {
                c.execute_batch(
                    "CREATE TABLE experiments(name TEXT); CREATE TABLE runs(run_uuid TEXT);",
                )
                .unwrap();
                c.execute("INSERT INTO experiments VALUES (?1)", [name])
                    .unwrap();
                c.execute("INSERT INTO runs VALUES ('r')", []).unwrap();
            }
            None => c.execute_batch("CREATE TABLE trials(id INTEGER);").unwrap(),
        }
    }

    #[test]
    fn a_stray_database_does_not_hide_the_real_store() {
        let t = tempfile::tempdir().unwrap();
        mlruns(t.path(), "wine");
        sqlite(&t.path().join("optuna.db"), None);
        let d = discover(t.path(), &["wine".into()]);
        assert_eq!(d.store, Store::Mlruns(t.path().join("mlruns")));
        assert!(d.notes[0].starts_with("chose mlruns/"), "{:?}", d.notes);
        assert!(
            d.notes[1].contains("optuna.db: not an MLflow store"),
            "{:?}",
            d.notes
        );
    }

    #[test]
    fn an_empty_mlflow_db_loses_to_the_store_with_the_experiment() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("mlflow.db"), b"").unwrap();
        sqlite(&t.path().join("homework.db"), Some("wine"));
        let d = discover(t.path(), &["wine".into()]);
        assert_eq!(d.store, Store::Sqlite(t.path().join("homework.db")));
        assert!(
            d.notes
                .iter()
                .any(|n| n.contains("mlflow.db: an empty file")),
            "{:?}",
            d.notes
        );
        // Without the task's experiment, a store with runs still beats an empty one.
        assert_eq!(
            discover(t.path(), &[]).store,
            Store::Sqlite(t.path().join("homework.db"))
        );
    }

    #[test]
    fn artefacts_only_mlruns_is_named_for_what_it_is() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("mlruns/1/abc/artifacts")).unwrap();
        let d = discover(t.path(), &[]);
        assert!(
            d.notes.iter().any(|n| n.contains("artefacts only")),
            "{:?}",
            d.notes
        );
    }

    #[test]
    fn a_database_linked_from_outside_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let hand_in = t.path().join("alice");
        std::fs::create_dir(&hand_in).unwrap();
        sqlite(&t.path().join("elsewhere.db"), Some("wine"));
        std::os::unix::fs::symlink(t.path().join("elsewhere.db"), hand_in.join("mlflow.db"))
            .unwrap();
        let d = discover(&hand_in, &[]);
        assert_eq!(d.store, Store::Missing);
        assert!(d.notes[0].contains("outside the hand-in"), "{:?}", d.notes);
    }
}
