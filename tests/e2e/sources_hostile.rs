//! Hand-ins that a careless or crashed writer left behind: a hot rollback journal, a WAL with
//! commits not yet checkpointed, rows of another MLflow workspace. Each store is made by real
//! SQLite or the real MLflow client (scripts in `fixtures/hostile/`) on a copy of a fixture,
//! and the hand-in must come out of grading byte-identical.

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::snapshot::Snapshot;
use harness::source;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/submissions")
        .join(name)
}

/// Runs a `fixtures/hostile/` script with the pinned MLflow venv's Python.
fn script(name: &str, args: &[&str], envs: &[(&str, &str)], cwd: &Path) {
    let home = harness_e2e::home();
    harness::server::ensure_venv(
        &home,
        &harness_e2e::python(),
        &harness::progress::Progress::hidden(),
    )
    .unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hostile")
        .join(name);
    let out = Command::new(home.python_bin())
        .arg(path)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A copy of the `perfect` hand-in to damage.
fn hand_in() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    harness_e2e::copy_tree(&fixture("perfect"), dir.path());
    dir
}

/// The snapshot without what names where it was read from or how.
fn comparable(mut s: Snapshot) -> String {
    s.origin.clear();
    s.notes.clear();
    s.other_workspaces.clear();
    serde_json::to_string_pretty(&s).unwrap()
}

fn champion(s: &Snapshot) -> Option<u32> {
    s.registered_model("wine-quality-classifier")?
        .aliases
        .get("champion")
        .copied()
}

#[test]
fn hot_journal_is_rolled_back_on_a_private_copy() {
    let dir = hand_in();
    let db = dir.path().join("mlflow.db");
    let pristine = harness_e2e::sha256(&std::fs::read(&db).unwrap());
    script(
        "crash_mid_write.py",
        &["delete", "mlflow.db"],
        &[],
        dir.path(),
    );
    assert!(dir.path().join("mlflow.db-journal").is_file());
    // The crash left half-written pages in the store itself, not only in the journal.
    assert_ne!(harness_e2e::sha256(&std::fs::read(&db).unwrap()), pristine);

    let before = harness_e2e::digests(dir.path());
    let snap = source::load_submission(dir.path()).unwrap();
    assert_eq!(harness_e2e::digests(dir.path()), before, "hand-in modified");

    let expected = source::load_submission(&fixture("perfect")).unwrap();
    assert_eq!(champion(&snap), Some(2));
    assert_eq!(comparable(snap.clone()), comparable(expected));
    assert!(!comparable(snap.clone()).contains("-uncommitted"));
    assert_eq!(snap.notes.len(), 1, "{:?}", snap.notes);
    assert!(
        snap.notes[0].starts_with("mlflow.db-journal: a write was interrupted"),
        "{:?}",
        snap.notes
    );
}

#[test]
fn wal_commits_are_read_and_its_uncommitted_tail_is_not() {
    let dir = hand_in();
    script("crash_mid_write.py", &["wal", "mlflow.db"], &[], dir.path());
    assert!(
        std::fs::metadata(dir.path().join("mlflow.db-wal"))
            .unwrap()
            .len()
            > 0
    );

    let before = harness_e2e::digests(dir.path());
    let snap = source::load_submission(dir.path()).unwrap();
    assert_eq!(harness_e2e::digests(dir.path()), before, "hand-in modified");

    // The committed alias move lives only in the WAL; the renaming never committed.
    assert_eq!(champion(&snap), Some(3));
    // Expected: the same commit made the ordinary way on another copy.
    let clean = hand_in();
    rusqlite::Connection::open(clean.path().join("mlflow.db"))
        .unwrap()
        .execute(
            "UPDATE registered_model_aliases SET version = 3 \
             WHERE name = 'wine-quality-classifier' AND alias = 'champion'",
            [],
        )
        .unwrap();
    let expected = source::load_submission(clean.path()).unwrap();
    assert_eq!(comparable(snap.clone()), comparable(expected));
    assert!(
        snap.notes
            .iter()
            .any(|n| n.starts_with("mlflow.db-wal: committed rows")),
        "{:?}",
        snap.notes
    );
}

#[test]
fn only_the_default_workspace_is_graded_and_the_others_are_named() {
    let dir = hand_in();
    let work = tempfile::tempdir().unwrap();
    let db = dir.path().join("mlflow.db");
    script(
        "other_workspace.py",
        &[db.to_str().unwrap()],
        &[("MLFLOW_ENABLE_WORKSPACES", "true")],
        work.path(),
    );
    // The store really holds a second `wine-quality-classifier` whose champion is v1.
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let team2: i64 = conn
        .query_row(
            "SELECT version FROM registered_model_aliases \
             WHERE workspace = 'team2' AND name = 'wine-quality-classifier' AND alias = 'champion'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(team2, 1);
    drop(conn);

    let before = harness_e2e::digests(dir.path());
    let snap = source::load_submission(dir.path()).unwrap();
    assert_eq!(harness_e2e::digests(dir.path()), before, "hand-in modified");

    assert_eq!(champion(&snap), Some(2));
    assert_eq!(snap.other_workspaces, ["team2"]);
    assert!(
        snap.notes
            .iter()
            .any(|n| n.contains("`default` workspace") && n.ends_with("also in the store: team2")),
        "{:?}",
        snap.notes
    );
    let expected = source::load_submission(&fixture("perfect")).unwrap();
    assert_eq!(comparable(snap), comparable(expected));
}
