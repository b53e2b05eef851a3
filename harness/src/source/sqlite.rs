//! Reads a submitted `mlflow.db` (any file name) into a [`Snapshot`].
//!
//! The file is the student's evidence, so it is opened strictly read-only with `immutable=1`:
//! SQLite then neither writes nor creates `-wal`/`-shm` files, and the graded file stays
//! byte-identical. A store with a hot journal or a WAL beside it is read from a private copy
//! instead (see [`Store::open`]). Schemas differ between MLflow 2.x and 3.17 (`logged_models`,
//! `inputs`, aliases, `workspace` columns come and go), so tables and columns are detected
//! rather than assumed; a missing optional table just yields empty data. Only MLflow's default
//! workspace is graded.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, Row};

use super::{ArtifactLocator, SourceError};
use crate::handin::{HandIn, file_kind};
use crate::snapshot::{
    DatasetInput, Experiment, LoggedModel, MetricPoint, ModelVersion, RegisteredModel, Run,
    Snapshot, latest_metrics,
};

/// Loads `db`, locating artefacts under the folder that contains it (the submission root).
pub fn load(db: &Path) -> Result<Snapshot, SourceError> {
    let root = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    load_with_root(db, root)
}

/// Loads `db`, locating artefacts under `root`. `db` must be a regular file inside `root` (a
/// symlink is followed only as far as the hand-in folder).
pub(crate) fn load_with_root(db: &Path, root: &Path) -> Result<Snapshot, SourceError> {
    let store = Store::open(db, root)?;
    let mut snap = store.read()?;
    snap.notes.splice(0..0, store.notes.iter().cloned());
    ArtifactLocator::new(root).fill(&mut snap);
    snap.normalize();
    Ok(snap)
}

/// The experiment names and run count of `db`, opened as [`load_with_root`] would (journals
/// recovered on a private copy): what choosing among a hand-in's candidate stores needs.
pub(crate) fn probe(db: &Path, root: &Path) -> Result<(Vec<String>, usize), SourceError> {
    let store = Store::open(db, root)?;
    let names = store.strings("experiments", "SELECT name FROM experiments")?;
    let runs = store.strings("runs", "SELECT run_uuid FROM runs")?.len();
    Ok((names, runs))
}

/// MLflow's `DEFAULT_WORKSPACE_NAME` (`mlflow/utils/workspace_utils.py`): everything lives
/// there unless a server runs with workspaces enabled, and it is the workspace that is graded.
const DEFAULT_WORKSPACE: &str = "default";

/// Most bytes (store plus journal and WAL) copied to recover an interrupted write. Hand-ins
/// are a few MiB; the cap keeps a hostile or runaway file from filling the temporary folder.
const RECOVERY_COPY_CAP: u64 = 512 * 1024 * 1024;

/// The first bytes of a rollback journal that still holds pages to play back; SQLite zeroes
/// them (or truncates or deletes the file) once a transaction is over.
const JOURNAL_MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];

struct Store {
    path: PathBuf,
    conn: Connection,
    tables: BTreeSet<String>,
    /// Remarks on how the store was read, for the snapshot.
    notes: Vec<String>,
    /// Holds the private copy alive when the store had to be copied (see [`Store::open`]).
    _copy: Option<tempfile::TempDir>,
}

/// A file SQLite would read along with the store: its rollback journal or WAL.
struct Sidecar {
    suffix: &'static str,
    path: PathBuf,
    len: u64,
}

impl Store {
    /// Opens `db` read-only with `immutable=1`, which ignores any journal or WAL beside it.
    /// That is wrong in two cases: a hot `-journal` (the writer died mid-transaction, so the
    /// file holds half-written pages that only a rollback undoes) and a non-empty `-wal`
    /// (committed rows not yet checkpointed). Both need write access to replay, so then the
    /// store and those files are copied to a private folder and the copy is opened instead;
    /// the original is still never touched.
    fn open(db: &Path, root: &Path) -> Result<Self, SourceError> {
        let path = db.to_path_buf();
        let abs = checked_path(db, root)?;
        let db_len = std::fs::metadata(&abs).map_err(io_err(&path))?.len();
        let mut sidecars = Vec::new();
        if let Some(journal) = sidecar(&path, &abs, "-journal")?
            && is_hot_journal(&journal.path).map_err(io_err(&journal.path))?
        {
            sidecars.push(journal);
        }
        if let Some(wal) = sidecar(&path, &abs, "-wal")?
            && wal.len > 0
        {
            sidecars.push(wal);
        }
        let mut notes = Vec::new();
        let (target, copy, query, flags) = if sidecars.is_empty() {
            (
                abs,
                None,
                "mode=ro&immutable=1",
                OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
        } else {
            let (dir, target) = private_copy(&path, &abs, db_len, &sidecars, RECOVERY_COPY_CAP)?;
            notes.extend(sidecars.iter().map(|s| recovery_note(&path, s)));
            (target, Some(dir), "", OpenFlags::SQLITE_OPEN_READ_WRITE)
        };
        let mut uri = url::Url::from_file_path(&target).map_err(|()| SourceError::NotMlflow {
            path: path.clone(),
            reason: "path cannot be written as a file: URI".into(),
        })?;
        if !query.is_empty() {
            uri.set_query(Some(query));
        }
        let conn = Connection::open_with_flags(
            uri.as_str(),
            flags | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| SourceError::Open {
            path: path.clone(),
            source,
        })?;
        let mut store = Self {
            path,
            conn,
            tables: BTreeSet::new(),
            notes,
            _copy: copy,
        };
        store.tables = store
            .strings(
                "sqlite_master",
                "SELECT name FROM sqlite_master WHERE type = 'table'",
            )?
            .into_iter()
            .collect();
        for required in ["experiments", "runs"] {
            if !store.tables.contains(required) {
                return Err(SourceError::NotMlflow {
                    path: store.path.clone(),
                    reason: format!("no `{required}` table"),
                });
            }
        }
        Ok(store)
    }

    fn query_err(&self, table: &str) -> impl Fn(rusqlite::Error) -> SourceError + '_ {
        let table = table.to_string();
        move |source| SourceError::Query {
            path: self.path.clone(),
            table: table.clone(),
            source,
        }
    }

    fn strings(&self, table: &str, sql: &str) -> Result<Vec<String>, SourceError> {
        self.rows(table, sql, |r| r.get::<_, String>(0))
    }

    fn rows<T>(
        &self,
        table: &str,
        sql: &str,
        f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, SourceError> {
        let err = self.query_err(table);
        let mut stmt = self.conn.prepare(sql).map_err(&err)?;
        let rows = stmt.query_map([], f).map_err(&err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    fn columns(&self, table: &str) -> Result<BTreeSet<String>, SourceError> {
        if !self.tables.contains(table) {
            return Ok(BTreeSet::new());
        }
        self.rows(table, &format!("PRAGMA table_info(\"{table}\")"), |r| {
            r.get::<_, String>(1)
        })
        .map(|v| v.into_iter().collect())
    }

    /// `col` if the table has it, else `NULL`, so one query works across schema versions.
    fn col(&self, cols: &BTreeSet<String>, col: &str) -> String {
        if cols.contains(col) {
            format!("\"{col}\"")
        } else {
            "NULL".into()
        }
    }

    fn read(&self) -> Result<Snapshot, SourceError> {
        let mut snap = Snapshot {
            origin: format!("sqlite:{}", self.path.display()),
            experiments: self.experiments()?,
            runs: self.runs()?,
            ..Snapshot::default()
        };
        snap.logged_models = self.logged_models()?;
        // Runs and logged models have no workspace of their own: they belong to their
        // experiment's. Stores without workspaces keep runs of unknown experiments as before.
        if self.columns("experiments")?.contains("workspace") {
            let ids: BTreeSet<&str> = snap.experiments.iter().map(|e| e.id.as_str()).collect();
            snap.runs.retain(|r| ids.contains(r.experiment_id.as_str()));
            snap.logged_models
                .retain(|m| ids.contains(m.experiment_id.as_str()));
        }
        let (models, versions) = self.registry()?;
        snap.registered_models = models;
        snap.model_versions = versions;
        snap.other_workspaces = self.other_workspaces()?;
        if !snap.other_workspaces.is_empty() {
            snap.notes.push(format!(
                "only MLflow's `{DEFAULT_WORKSPACE}` workspace was graded; also in the store: {}",
                snap.other_workspaces.join(", ")
            ));
        }
        Ok(snap)
    }

    /// ` WHERE` clause keeping rows of the default workspace, or nothing when `table` predates
    /// workspaces (every row is then in the default one).
    fn in_default_workspace(&self, table: &str) -> Result<String, SourceError> {
        Ok(if self.columns(table)?.contains("workspace") {
            format!(" WHERE COALESCE(\"workspace\", '{DEFAULT_WORKSPACE}') = '{DEFAULT_WORKSPACE}'")
        } else {
            String::new()
        })
    }

    /// Workspaces other than the default one that own experiments or registered models.
    fn other_workspaces(&self) -> Result<Vec<String>, SourceError> {
        let mut found = BTreeSet::new();
        for table in ["experiments", "registered_models"] {
            if self.columns(table)?.contains("workspace") {
                found.extend(self.strings(
                    table,
                    &format!(
                        "SELECT DISTINCT \"workspace\" FROM \"{table}\" \
                         WHERE \"workspace\" <> '{DEFAULT_WORKSPACE}'"
                    ),
                )?);
            }
        }
        Ok(found.into_iter().collect())
    }

    fn experiments(&self) -> Result<Vec<Experiment>, SourceError> {
        let c = self.columns("experiments")?;
        let sql = format!(
            "SELECT CAST(experiment_id AS TEXT), name, {}, {} FROM experiments{}",
            self.col(&c, "artifact_location"),
            self.col(&c, "lifecycle_stage"),
            self.in_default_workspace("experiments")?,
        );
        let mut exps = self.rows("experiments", &sql, |r| {
            Ok(Experiment {
                id: r.get(0)?,
                name: r.get(1)?,
                artifact_location: r.get(2)?,
                lifecycle_stage: r
                    .get::<_, Option<String>>(3)?
                    .unwrap_or_else(|| "active".into()),
                tags: BTreeMap::new(),
            })
        })?;
        if self.tables.contains("experiment_tags") {
            let tags = self.rows(
                "experiment_tags",
                "SELECT CAST(experiment_id AS TEXT), key, value FROM experiment_tags",
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        opt_text(r, 2)?,
                    ))
                },
            )?;
            for (id, k, v) in tags {
                if let Some(e) = exps.iter_mut().find(|e| e.id == id) {
                    e.tags.insert(k, v);
                }
            }
        }
        Ok(exps)
    }

    fn runs(&self) -> Result<Vec<Run>, SourceError> {
        let c = self.columns("runs")?;
        let sql = format!(
            "SELECT run_uuid, CAST(experiment_id AS TEXT), {}, {}, {}, {}, {}, {} FROM runs",
            self.col(&c, "name"),
            self.col(&c, "status"),
            self.col(&c, "start_time"),
            self.col(&c, "end_time"),
            self.col(&c, "lifecycle_stage"),
            self.col(&c, "artifact_uri"),
        );
        let mut runs: BTreeMap<String, Run> = self
            .rows("runs", &sql, |r| {
                Ok(Run {
                    id: r.get(0)?,
                    experiment_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    name: r.get(2)?,
                    status: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    start_time: r.get(4)?,
                    end_time: r.get(5)?,
                    lifecycle_stage: r
                        .get::<_, Option<String>>(6)?
                        .unwrap_or_else(|| "active".into()),
                    artifact_uri: r.get(7)?,
                    ..Run::default()
                })
            })?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        if self.tables.contains("params") {
            for (id, k, v) in
                self.rows("params", "SELECT run_uuid, key, value FROM params", |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        opt_text(r, 2)?,
                    ))
                })?
            {
                if let Some(run) = runs.get_mut(&id) {
                    run.params.insert(k, v);
                }
            }
        }
        if self.tables.contains("tags") {
            for (id, k, v) in self.rows("tags", "SELECT run_uuid, key, value FROM tags", |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    opt_text(r, 2)?,
                ))
            })? {
                if let Some(run) = runs.get_mut(&id) {
                    run.tags.insert(k, v);
                }
            }
        }
        if self.tables.contains("metrics") {
            let mc = self.columns("metrics")?;
            let sql = format!(
                "SELECT run_uuid, key, value, timestamp, {}, {} FROM metrics",
                self.col(&mc, "step"),
                self.col(&mc, "is_nan")
            );
            for (id, key, point) in self.rows("metrics", &sql, |r| {
                let is_nan = r.get::<_, Option<bool>>(5)?.unwrap_or(false);
                let value: f64 = r.get(2)?;
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    MetricPoint {
                        step: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                        timestamp: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                        value: if is_nan { f64::NAN } else { value },
                    },
                ))
            })? {
                if let Some(run) = runs.get_mut(&id) {
                    run.histories.entry(key).or_default().push(point);
                }
            }
        }
        self.inputs(&mut runs)?;
        let mut out: Vec<Run> = runs.into_values().collect();
        for run in &mut out {
            run.metrics = latest_metrics(&run.histories);
            if run.name.as_deref().is_none_or(str::is_empty) {
                run.name = run.tags.get("mlflow.runName").cloned();
            }
        }
        Ok(out)
    }

    /// Dataset inputs (MLflow ≥ 2.4): `inputs` links a dataset to a run, `input_tags` holds the
    /// context.
    fn inputs(&self, runs: &mut BTreeMap<String, Run>) -> Result<(), SourceError> {
        if !(self.tables.contains("inputs") && self.tables.contains("datasets")) {
            return Ok(());
        }
        let mut contexts: BTreeMap<String, String> = BTreeMap::new();
        if self.tables.contains("input_tags") {
            for (id, v) in self.rows(
                "input_tags",
                "SELECT input_uuid, value FROM input_tags WHERE name = 'mlflow.data.context'",
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )? {
                contexts.insert(id, v);
            }
        }
        let rows = self.rows(
            "inputs",
            "SELECT i.input_uuid, i.destination_id, d.name, d.digest, d.dataset_source_type \
             FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id \
             WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN'",
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    DatasetInput {
                        name: r.get(2)?,
                        digest: r.get(3)?,
                        source_type: r.get(4)?,
                        context: None,
                    },
                ))
            },
        )?;
        for (input_id, run_id, mut input) in rows {
            input.context = contexts.get(&input_id).cloned();
            if let Some(run) = runs.get_mut(&run_id) {
                run.inputs.push(input);
            }
        }
        Ok(())
    }

    fn logged_models(&self) -> Result<Vec<LoggedModel>, SourceError> {
        if !self.tables.contains("logged_models") {
            return Ok(Vec::new());
        }
        let mut models: BTreeMap<String, LoggedModel> = self
            .rows(
                "logged_models",
                "SELECT model_id, CAST(experiment_id AS TEXT), name, artifact_location, \
                 source_run_id, status FROM logged_models",
                |r| {
                    Ok(LoggedModel {
                        id: r.get(0)?,
                        experiment_id: r.get(1)?,
                        name: r.get(2)?,
                        artifact_location: r.get(3)?,
                        source_run_id: r.get(4)?,
                        status: r.get::<_, Option<i64>>(5)?.map(logged_model_status),
                        tags: BTreeMap::new(),
                        artifact: None,
                    })
                },
            )?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
        if self.tables.contains("logged_model_tags") {
            for (id, k, v) in self.rows(
                "logged_model_tags",
                "SELECT model_id, tag_key, tag_value FROM logged_model_tags",
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        opt_text(r, 2)?,
                    ))
                },
            )? {
                if let Some(m) = models.get_mut(&id) {
                    m.tags.insert(k, v);
                }
            }
        }
        Ok(models.into_values().collect())
    }

    fn registry(&self) -> Result<(Vec<RegisteredModel>, Vec<ModelVersion>), SourceError> {
        if !self.tables.contains("registered_models") {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut models: BTreeMap<String, RegisteredModel> = self
            .rows(
                "registered_models",
                &format!(
                    "SELECT name, description FROM registered_models{}",
                    self.in_default_workspace("registered_models")?
                ),
                |r| {
                    Ok(RegisteredModel {
                        name: r.get(0)?,
                        description: r.get(1)?,
                        ..RegisteredModel::default()
                    })
                },
            )?
            .into_iter()
            .map(|m| (m.name.clone(), m))
            .collect();
        if self.tables.contains("registered_model_tags") {
            for (name, k, v) in self.rows(
                "registered_model_tags",
                &format!(
                    "SELECT name, key, value FROM registered_model_tags{}",
                    self.in_default_workspace("registered_model_tags")?
                ),
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        opt_text(r, 2)?,
                    ))
                },
            )? {
                if let Some(m) = models.get_mut(&name) {
                    m.tags.insert(k, v);
                }
            }
        }
        if self.tables.contains("registered_model_aliases") {
            for (name, alias, version) in self.rows(
                "registered_model_aliases",
                &format!(
                    "SELECT name, alias, version FROM registered_model_aliases{}",
                    self.in_default_workspace("registered_model_aliases")?
                ),
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )? {
                if let (Some(m), Ok(v)) = (models.get_mut(&name), u32::try_from(version)) {
                    m.aliases.insert(alias, v);
                }
            }
        }
        let mut versions = Vec::new();
        if self.tables.contains("model_versions") {
            let c = self.columns("model_versions")?;
            let sql = format!(
                "SELECT name, version, {}, {}, {}, {}, {}, {}, {} FROM model_versions{}",
                self.col(&c, "source"),
                self.col(&c, "run_id"),
                self.col(&c, "model_id"),
                self.col(&c, "current_stage"),
                self.col(&c, "status"),
                self.col(&c, "description"),
                self.col(&c, "storage_location"),
                self.in_default_workspace("model_versions")?,
            );
            let rows = self.rows("model_versions", &sql, |r| {
                let source: Option<String> = r.get(2)?;
                let model_id: Option<String> = r.get::<_, Option<String>>(4)?.or_else(|| {
                    source
                        .as_deref()
                        .and_then(|s| s.strip_prefix("models:/"))
                        .filter(|s| s.starts_with("m-"))
                        .map(|s| s.split('/').next().unwrap_or(s).to_string())
                });
                Ok((
                    ModelVersion {
                        name: r.get(0)?,
                        version: u32::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                        source,
                        run_id: r.get(3)?,
                        model_id,
                        current_stage: r.get(5)?,
                        status: r.get(6)?,
                        description: r.get(7)?,
                        ..ModelVersion::default()
                    },
                    r.get::<_, Option<String>>(8)?,
                ))
            })?;
            // MLflow soft-deletes versions: the row stays with stage `Deleted_Internal` and a
            // redacted source and run id. They are not part of the registry a student sees.
            versions = rows
                .into_iter()
                .filter(|(v, _)| v.current_stage.as_deref() != Some("Deleted_Internal"))
                .map(|(mut v, storage)| {
                    v.storage_location = storage;
                    v
                })
                .collect();
            if self.tables.contains("model_version_tags") {
                for (name, version, k, v) in self.rows(
                    "model_version_tags",
                    &format!(
                        "SELECT name, version, key, value FROM model_version_tags{}",
                        self.in_default_workspace("model_version_tags")?
                    ),
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, String>(2)?,
                            opt_text(r, 3)?,
                        ))
                    },
                )? {
                    if let Some(mv) = versions
                        .iter_mut()
                        .find(|mv| mv.name == name && i64::from(mv.version) == version)
                    {
                        mv.tags.insert(k, v);
                    }
                }
            }
        }
        Ok((models.into_values().collect(), versions))
    }
}

/// Tag and param values may be NULL in older schemas; treat that as empty text.
fn opt_text(r: &Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> SourceError + '_ {
    move |source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The canonical path of `db` once it is known to be safe to open: a regular file (a FIFO
/// would block the open, `/dev/zero` would be read forever) that lies inside `root` even
/// after symlinks are followed (a hand-in must not make the grader read files elsewhere).
fn checked_path(db: &Path, root: &Path) -> Result<PathBuf, SourceError> {
    let path = db.to_path_buf();
    // `stat` neither opens nor blocks, whatever the file is.
    let meta = std::fs::metadata(db).map_err(io_err(db))?;
    if !meta.is_file() {
        return Err(SourceError::NotMlflow {
            path,
            reason: format!("not a regular file ({})", file_kind(&meta.file_type())),
        });
    }
    // `Path::new("mlflow.db").parent()` is empty: the current folder.
    let root = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    };
    let abs = HandIn::new(root)?.resolve(db)?;
    Ok(abs)
}

/// `abs` with `suffix` appended (`mlflow.db` → `mlflow.db-journal`), where SQLite looks.
fn with_suffix(abs: &Path, suffix: &str) -> PathBuf {
    let mut s = abs.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The `suffix` file beside the store, if there is one. It must be a regular file itself, not
/// a symlink: it is copied along with the store, and a link could point anywhere.
fn sidecar(db: &Path, abs: &Path, suffix: &'static str) -> Result<Option<Sidecar>, SourceError> {
    let side = with_suffix(abs, suffix);
    let meta = match std::fs::symlink_metadata(&side) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(&side)(e)),
    };
    if !meta.file_type().is_file() {
        return Err(SourceError::NotMlflow {
            path: db.to_path_buf(),
            reason: format!(
                "{} beside it is {}, not a regular file; refused",
                side_name(db, suffix),
                file_kind(&meta.file_type())
            ),
        });
    }
    Ok(Some(Sidecar {
        suffix,
        path: side,
        len: meta.len(),
    }))
}

/// How a grader knows the sidecar: the store's own file name plus the suffix.
fn side_name(db: &Path, suffix: &str) -> String {
    let name = db.file_name().unwrap_or(db.as_os_str()).to_string_lossy();
    format!("{name}{suffix}")
}

fn is_hot_journal(journal: &Path) -> std::io::Result<bool> {
    let mut head = [0u8; JOURNAL_MAGIC.len()];
    let mut f = open_regular(journal)?;
    match f.read_exact(&mut head) {
        Ok(()) => Ok(head == JOURNAL_MAGIC),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// Opens `p` for reading without following a final symlink and without blocking, and only if
/// it is (still) a regular file: the checks before are by path, this one is on the handle.
fn open_regular(p: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(p)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(f)
}

/// Copies the store and `sidecars` into a new private folder, as `store.db` plus the same
/// suffixes so SQLite pairs them again; returns the folder and the copy of the store.
fn private_copy(
    db: &Path,
    abs: &Path,
    db_len: u64,
    sidecars: &[Sidecar],
    cap: u64,
) -> Result<(tempfile::TempDir, PathBuf), SourceError> {
    let total = db_len + sidecars.iter().map(|s| s.len).sum::<u64>();
    let over_cap = || SourceError::Io {
        path: db.to_path_buf(),
        source: std::io::Error::other(format!(
            "an interrupted write ({}) must be replayed on a copy, but the store and it are \
             over the {} harness copies for that; not read",
            sidecars
                .iter()
                .map(|s| side_name(db, s.suffix))
                .collect::<Vec<_>>()
                .join(", "),
            if cap >= 1 << 20 {
                format!("{} MiB", cap >> 20)
            } else {
                format!("{cap} bytes")
            }
        )),
    };
    if total > cap {
        return Err(over_cap());
    }
    let dir = tempfile::Builder::new()
        .prefix("harness-store-")
        .tempdir()
        .map_err(io_err(db))?;
    let target = dir.path().join("store.db");
    let mut budget = cap;
    let mut copy = |from: &Path, to: &Path| -> Result<(), SourceError> {
        let src = open_regular(from).map_err(io_err(from))?;
        let mut dst = std::fs::File::create_new(to).map_err(io_err(to))?;
        // Bounded even if the file grows while it is copied.
        let n = std::io::copy(&mut src.take(budget + 1), &mut dst).map_err(io_err(from))?;
        if n > budget {
            return Err(over_cap());
        }
        budget -= n;
        Ok(())
    };
    copy(abs, &target)?;
    // The `-shm` is not copied: it only indexes the WAL, SQLite rebuilds it from the WAL, and
    // a stale one from the student's machine could only mislead it.
    for s in sidecars {
        copy(&s.path, &with_suffix(&target, s.suffix))?;
    }
    Ok((dir, target))
}

fn recovery_note(db: &Path, s: &Sidecar) -> String {
    let name = side_name(db, s.suffix);
    if s.suffix == "-journal" {
        format!(
            "{name}: a write was interrupted mid-transaction; read as of the last commit \
             (rolled back on a private copy)"
        )
    } else {
        format!("{name}: committed rows not yet checkpointed were read (on a private copy)")
    }
}

/// `LoggedModelStatus` numbers as MLflow 3 stores them.
fn logged_model_status(n: i64) -> String {
    match n {
        1 => "PENDING",
        2 => "READY",
        3 => "FAILED",
        _ => "UNSPECIFIED",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    pub(crate) fn fixture(scenario: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/submissions")
            .join(scenario)
            .join("mlflow.db")
    }

    fn sha256(p: &Path) -> String {
        hex::encode(Sha256::digest(std::fs::read(p).unwrap()))
    }

    #[test]
    fn perfect_store_reads_runs_registry_and_artifacts() {
        let snap = load(&fixture("perfect")).unwrap();
        let names: Vec<_> = snap.experiments.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["Default", "wine-quality-homework", "mnist-pytorch-homework"]
        );
        let wine = snap.experiment_by_name("wine-quality-homework").unwrap();
        let runs: Vec<_> = snap.runs_in(&wine.id).collect();
        let run_names: Vec<_> = runs.iter().map(|r| r.name.as_deref().unwrap()).collect();
        assert_eq!(
            run_names,
            [
                "wine-v1-DecisionTree",
                "wine-v2-RandomForest",
                "wine-v3-GradientBoosting"
            ]
        );
        assert_eq!(runs[1].params["n_estimators"], "100");
        assert_eq!(runs[0].inputs[0].context.as_deref(), Some("training"));

        let rm = snap.registered_model("wine-quality-classifier").unwrap();
        assert_eq!(
            rm.tags.keys().collect::<Vec<_>>(),
            ["dataset", "task", "team"]
        );
        assert!(rm.description.as_deref().unwrap().contains("RandomForest"));
        // The generator ranks by measured accuracy: RF 1.0, then DT (tie with GB, first wins).
        assert_eq!(rm.aliases.get("champion"), Some(&2));
        assert_eq!(rm.aliases.get("staging"), Some(&1));
        assert_eq!(rm.aliases.get("baseline"), Some(&1));

        let versions: Vec<_> = snap.versions_of("wine-quality-classifier").collect();
        assert_eq!(versions.len(), 3);
        for v in &versions {
            let run = snap.run(v.run_id.as_deref().unwrap()).unwrap();
            assert!(v.model_id.as_deref().unwrap().starts_with("m-"));
            let mlmodel = v
                .artifact
                .mlmodel
                .as_ref()
                .unwrap_or_else(|| panic!("{v:?}"));
            assert_eq!(mlmodel.flavors, ["python_function", "sklearn"]);
            assert!(mlmodel.signature.is_some());
            assert_eq!(mlmodel.run_id.as_deref(), Some(run.id.as_str()));
            assert!(v.artifact.files.iter().any(|f| f == "model.pkl"));
        }
        let acc: Vec<f64> = versions
            .iter()
            .map(|v| snap.run(v.run_id.as_deref().unwrap()).unwrap().metrics["accuracy"])
            .collect();
        assert!(
            (acc[0] - 34.0 / 36.0).abs() < 1e-12 && acc[1] == 1.0,
            "{acc:?}"
        );
        assert!((acc[2] - 34.0 / 36.0).abs() < 1e-12);
    }

    #[test]
    fn mnist_fixture_has_epoch_series() {
        let snap = load(&fixture("perfect")).unwrap();
        let exp = snap.experiment_by_name("mnist-pytorch-homework").unwrap();
        for run in snap.runs_in(&exp.id) {
            let epochs: usize = run.params["num_epochs"].parse().unwrap();
            assert_eq!(run.histories["train_loss"].len(), epochs);
            let steps: Vec<i64> = run.histories["test_accuracy"]
                .iter()
                .map(|p| p.step)
                .collect();
            assert_eq!(steps, [0, 5]);
        }
    }

    #[test]
    fn reading_leaves_the_store_byte_identical() {
        let db = fixture("perfect");
        let before = sha256(&db);
        let dir = db.parent().unwrap();
        let first = load(&db).unwrap();
        let second = load(&db).unwrap();
        assert_eq!(sha256(&db), before);
        for side in ["mlflow.db-wal", "mlflow.db-shm", "mlflow.db-journal"] {
            assert!(!dir.join(side).exists(), "{side} was created");
        }
        // Deterministic: same state, same serialisation; and it reads back unchanged.
        let json = serde_json::to_string(&first).unwrap();
        assert_eq!(json, serde_json::to_string(&second).unwrap());
        assert_eq!(serde_json::from_str::<Snapshot>(&json).unwrap(), first);
    }

    #[test]
    fn rows_only_in_a_wal_file_are_read_without_touching_it() {
        let t = tempfile::tempdir().unwrap();
        let db = t.path().join("mlflow.db");
        {
            let c = Connection::open(&db).unwrap();
            c.execute_batch(
                "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
                 CREATE TABLE experiments (experiment_id INTEGER, name TEXT);
                 CREATE TABLE runs (run_uuid TEXT, experiment_id INTEGER);
                 INSERT INTO experiments VALUES (1, 'wine-quality-homework');",
            )
            .unwrap();
            // Keep the WAL: copy the files while the writer still holds them.
            std::fs::copy(&db, t.path().join("copy.db")).unwrap();
            let mut wal = db.clone().into_os_string();
            wal.push("-wal");
            std::fs::copy(&wal, t.path().join("copy.db-wal")).unwrap();
        }
        let copy = t.path().join("copy.db");
        let before = (sha256(&copy), sha256(&t.path().join("copy.db-wal")));
        let snap = load(&copy).unwrap();
        assert_eq!(snap.experiments[0].name, "wine-quality-homework");
        let after = (sha256(&copy), sha256(&t.path().join("copy.db-wal")));
        assert_eq!(before, after);
        assert!(!t.path().join("copy.db-shm").exists());
    }

    #[test]
    fn corrupted_store_is_a_typed_error() {
        let err = load(&fixture("corrupted")).unwrap_err();
        assert!(
            matches!(err, SourceError::Query { .. } | SourceError::Open { .. }),
            "{err:?}"
        );
        let t = tempfile::tempdir().unwrap();
        let garbage = t.path().join("submission.db");
        std::fs::write(&garbage, b"this is not a database, just text").unwrap();
        assert!(load(&garbage).is_err());
        let empty = t.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(load(&empty), Err(SourceError::NotMlflow { .. })));
        assert!(matches!(
            load(&t.path().join("missing.db")),
            Err(SourceError::Io { .. })
        ));
    }

    #[test]
    fn version_without_artifact_says_why() {
        let snap = load(&fixture("model-never-logged")).unwrap();
        let v4 = snap
            .versions_of("wine-quality-classifier")
            .find(|v| v.version == 4)
            .unwrap();
        assert!(v4.artifact.mlmodel.is_none());
        // v2 was deleted: MLflow keeps a `Deleted_Internal` row that must not show up.
        let numbers: Vec<u32> = snap
            .versions_of("wine-quality-classifier")
            .map(|v| v.version)
            .collect();
        assert_eq!(numbers, [1, 3, 4]);
        assert!(
            v4.artifact
                .problem
                .as_deref()
                .unwrap()
                .contains("no directory"),
            "{v4:?}"
        );
    }

    /// `load` on another thread, failing the test instead of hanging it if opening blocks.
    fn load_within_seconds(db: &Path) -> Result<Snapshot, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        let db = db.to_path_buf();
        std::thread::spawn(move || {
            let _ = tx.send(load(&db).map_err(|e| e.to_string()));
        });
        rx.recv_timeout(std::time::Duration::from_secs(20))
            .expect("opening the store blocked")
    }

    #[test]
    fn fifo_or_device_named_like_a_store_is_not_a_regular_file() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("mlflow.db");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = load_within_seconds(&fifo).unwrap_err();
        assert!(err.contains("not a regular file (a FIFO)"), "{err}");
        assert!(!err.contains('\n'), "{err}");

        let zero = t.path().join("zero");
        std::fs::create_dir(&zero).unwrap();
        std::os::unix::fs::symlink("/dev/zero", zero.join("mlflow.db")).unwrap();
        let err = load_within_seconds(&zero.join("mlflow.db")).unwrap_err();
        assert!(
            err.contains("not a regular file (a character device)"),
            "{err}"
        );
    }

    #[test]
    fn store_linked_from_outside_the_hand_in_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let outside = fixture("perfect");
        let link = t.path().join("mlflow.db");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let err = load(&link).unwrap_err().to_string();
        assert!(err.contains("outside the hand-in folder"), "{err}");
        // Where the link points is this machine's business, not the report's.
        assert!(!err.contains(&outside.canonicalize().unwrap().display().to_string()));

        // A link that stays inside the hand-in is a layout choice, not an escape.
        std::fs::remove_file(&link).unwrap();
        std::fs::create_dir(t.path().join("data")).unwrap();
        std::fs::copy(&outside, t.path().join("data/store.db")).unwrap();
        std::os::unix::fs::symlink("data/store.db", &link).unwrap();
        let snap = load_with_root(&link, t.path()).unwrap();
        assert!(snap.registered_model("wine-quality-classifier").is_some());
    }

    #[test]
    fn journal_or_wal_that_is_not_a_regular_file_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let db = t.path().join("mlflow.db");
        std::fs::copy(fixture("perfect"), &db).unwrap();
        let journal = t.path().join("mlflow.db-journal");
        std::os::unix::fs::symlink("/dev/zero", &journal).unwrap();
        let err = load_within_seconds(&db).unwrap_err();
        assert!(
            err.contains("mlflow.db-journal beside it is a symlink, not a regular file"),
            "{err}"
        );
        std::fs::remove_file(&journal).unwrap();
        let wal = t.path().join("mlflow.db-wal");
        let c = std::ffi::CString::new(wal.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = load_within_seconds(&db).unwrap_err();
        assert!(err.contains("mlflow.db-wal beside it is a FIFO"), "{err}");
    }

    #[test]
    fn journal_left_by_a_finished_transaction_is_ignored() {
        // `journal_mode=PERSIST` leaves the journal with its header zeroed once committed.
        let t = tempfile::tempdir().unwrap();
        let db = t.path().join("mlflow.db");
        std::fs::copy(fixture("perfect"), &db).unwrap();
        std::fs::write(t.path().join("mlflow.db-journal"), [0u8; 512]).unwrap();
        let before = sha256(&db);
        let snap = load(&db).unwrap();
        assert!(snap.notes.is_empty(), "{:?}", snap.notes);
        assert_eq!(sha256(&db), before);
    }

    #[test]
    fn recovery_copy_over_the_cap_says_so() {
        let db = fixture("perfect");
        let abs = db.canonicalize().unwrap();
        let len = std::fs::metadata(&abs).unwrap().len();
        let journal = Sidecar {
            suffix: "-journal",
            path: abs.clone(),
            len: 10,
        };
        let err = private_copy(&db, &abs, len, &[journal], len)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("(mlflow.db-journal)")
                && err.contains(&format!("over the {len} bytes harness copies")),
            "{err}"
        );
    }

    #[test]
    fn stores_without_workspaces_keep_every_row() {
        let db = fixture("mlflow2-sqlite");
        let c = Connection::open_with_flags(
            format!("file:{}?mode=ro&immutable=1", db.display()),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
        )
        .unwrap();
        let has_workspace: bool = c
            .query_row(
                "SELECT COUNT(*) > 0 FROM pragma_table_info('experiments') WHERE name = 'workspace'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!has_workspace, "the MLflow 2 fixture predates workspaces");
        let snap = load(&db).unwrap();
        assert!(snap.other_workspaces.is_empty() && snap.notes.is_empty());
        assert!(!snap.runs.is_empty() && !snap.model_versions.is_empty());
    }
}
