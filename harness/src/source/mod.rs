//! Sources turn an MLflow state into a [`Snapshot`](crate::snapshot::Snapshot).
//!
//! - [`sqlite`]: a submitted `mlflow.db`, opened strictly read-only.
//! - [`mlruns`]: a submitted `mlruns/` file store.
//! - `rest` (lead): a live tracking server.
//!
//! Submissions carry artefact URIs from the student's machine (`mlflow-artifacts:/1/…`,
//! `/home/alice/hw/mlartifacts/1/…`, `file:///…/mlruns/1/…`). [`ArtifactLocator`] maps them
//! under the submission folder without any network, so the artefact checks work offline.

pub mod discover;
pub mod mlruns;
pub mod rest;
pub mod sqlite;

use std::path::{Component, Path, PathBuf};

use crate::handin::{HandIn, HandinError, Kind};
use crate::snapshot::{
    ArtifactFile, ArtifactSummary, MlModelSummary, RunArtifacts, RunModel, Snapshot,
};

/// Errors reading a submitted store.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot open {path} as an SQLite database: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path} is not a readable MLflow store (reading `{table}`): {source}")]
    Query {
        path: PathBuf,
        table: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path} is not an MLflow store: {reason}")]
    NotMlflow { path: PathBuf, reason: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    HandIn(#[from] HandinError),
    #[error("{path}: cannot parse `{key}`: {message}")]
    Parse {
        path: PathBuf,
        key: String,
        message: String,
    },
}

/// Where a submission keeps its MLflow state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Store {
    /// An SQLite store (any `*.db`/`*.sqlite` name).
    Sqlite(PathBuf),
    /// A file store: an `mlruns/` child, or the folder itself.
    Mlruns(PathBuf),
    /// Nothing that looks like an MLflow store.
    Missing,
}

impl Store {
    /// Finds the store in a submission folder (or takes a store file as given); see
    /// [`discover::discover`] for how a folder with several candidates is decided.
    pub fn find(path: &Path) -> Store {
        discover::discover(path, &[]).store
    }

    /// Reads the store, locating artefacts under `root` (the submission folder).
    pub(crate) fn load(&self, root: &Path) -> Result<Snapshot, SourceError> {
        match self {
            Store::Sqlite(db) => sqlite::load_with_root(db, root),
            Store::Mlruns(dir) => mlruns::load_with_root(dir, root),
            Store::Missing => Err(SourceError::NotMlflow {
                path: root.to_path_buf(),
                reason: "no mlflow.db, *.db or mlruns/ in it".into(),
            }),
        }
    }
}

/// Loads whatever store a submission holds: a `.db` file, or a folder with `mlflow.db` (or
/// another `*.db`), or an `mlruns/` file store (the folder itself or a child).
pub fn load_submission(path: &Path) -> Result<Snapshot, SourceError> {
    if !path.exists() {
        return Err(SourceError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
        });
    }
    let root = if path.is_file() {
        path.parent().unwrap_or(Path::new("."))
    } else {
        path
    };
    Store::find(path).load(root)
}

/// Finds model artefacts of a submission on disk.
#[derive(Debug, Clone)]
pub(crate) struct ArtifactLocator {
    root: PathBuf,
    /// Every folder and file found is resolved inside the hand-in; `Err` when its root cannot be
    /// opened at all (then nothing is located).
    hand_in: Result<HandIn, String>,
}

/// Folder names MLflow writes artefacts under; a student's absolute path is re-rooted at the
/// last of these it contains.
const ARTIFACT_ROOTS: [&str; 2] = ["mlartifacts", "mlruns"];

/// `MLmodel` files read per run: a run logs a handful of models at most; more is not a homework.
const MAX_RUN_MODELS: usize = 16;

impl ArtifactLocator {
    pub(crate) fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let hand_in = HandIn::new(&root).map_err(|e| e.to_string());
        Self { root, hand_in }
    }

    /// Directory under the root that `uri` most plausibly means, if one exists inside the
    /// hand-in; a candidate that is a link out of it is reported, never followed.
    pub(crate) fn locate(&self, uri: &str) -> Result<Option<PathBuf>, String> {
        let h = self.hand_in.as_ref().map_err(Clone::clone)?;
        let mut refused = None;
        for candidate in self.candidates(uri) {
            if candidate.symlink_metadata().is_err() {
                // Missing here, but perhaps only because a folder on the way is a link out of
                // the hand-in (`mlartifacts/1` → `/etc`): say so rather than "not found".
                let existing = candidate
                    .ancestors()
                    .skip(1)
                    .take_while(|a| a.starts_with(&self.root) && *a != self.root)
                    .find(|a| a.symlink_metadata().is_ok());
                if let Some(Err(e @ HandinError::Outside { .. })) = existing.map(|a| h.resolve(a)) {
                    refused = refused.or(Some(e.to_string()));
                }
                continue;
            }
            match h.dir(&candidate) {
                Ok(_) => return Ok(Some(candidate)),
                Err(e @ HandinError::Outside { .. }) => refused = refused.or(Some(e.to_string())),
                Err(_) => {}
            }
        }
        refused.map_or(Ok(None), Err)
    }

    /// Candidate directories, most specific first. Never leaves the root (`..` refused).
    fn candidates(&self, uri: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let push = |out: &mut Vec<PathBuf>, rel: &str| {
            let rel = Path::new(rel.trim_start_matches('/'));
            if rel.components().all(|c| matches!(c, Component::Normal(_))) {
                out.push(self.root.join(rel));
            }
        };
        if let Some(rest) = uri.strip_prefix("mlflow-artifacts:") {
            // `mlflow-artifacts:/1/…` or `mlflow-artifacts://host:5000/api/…/artifacts/1/…`.
            let rest = match rest.strip_prefix("//") {
                Some(hosted) => hosted
                    .split_once("/mlflow-artifacts/artifacts/")
                    .map(|(_, r)| r)
                    .or_else(|| hosted.split_once('/').map(|(_, r)| r))
                    .unwrap_or(""),
                None => rest,
            };
            for base in ARTIFACT_ROOTS {
                push(
                    &mut out,
                    &format!("{base}/{}", rest.trim_start_matches('/')),
                );
            }
            push(&mut out, rest);
            return out;
        }
        let path = match uri.strip_prefix("file://") {
            Some(p) => p.to_string(),
            None if uri.contains("://")
                || uri.starts_with("models:")
                || uri.starts_with("runs:") =>
            {
                return out;
            }
            None => uri.to_string(),
        };
        let path = percent_decode(&path).replace('\\', "/");
        let parts: Vec<&str> = path
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .collect();
        if let Some(i) = parts.iter().rposition(|p| ARTIFACT_ROOTS.contains(p)) {
            push(&mut out, &parts[i..].join("/"));
        }
        if !path.starts_with('/') {
            push(&mut out, &parts.join("/"));
        }
        out
    }

    /// Locates `uri`, lists its files and parses its `MLmodel`.
    pub(crate) fn summarize(&self, uri: &str) -> ArtifactSummary {
        let mut s = ArtifactSummary {
            uri: Some(uri.to_string()),
            ..ArtifactSummary::default()
        };
        let dir = match self.locate(uri) {
            Ok(Some(dir)) => dir,
            Ok(None) => {
                s.problem = Some(format!(
                    "no directory under {} matches {uri}",
                    self.root.display()
                ));
                return s;
            }
            Err(problem) => {
                s.problem = Some(problem);
                return s;
            }
        };
        let Ok(h) = self.hand_in.as_ref() else {
            return s;
        };
        s.location = Some(
            dir.strip_prefix(&self.root)
                .unwrap_or(&dir)
                .to_string_lossy()
                .into_owned(),
        );
        let mut refused = Vec::new();
        match h.list_files(&dir) {
            Ok(listing) => {
                s.files = listing.files;
                refused = listing.refused;
            }
            Err(e) => refused.push(e.to_string()),
        }
        let mlmodel = dir.join("MLmodel");
        match h.read_text(&mlmodel, Kind::Mlmodel) {
            Ok(text) => match MlModelSummary::parse(&text) {
                Ok(m) => s.mlmodel = Some(m),
                Err(e) => s.problem = Some(e),
            },
            Err(e) if e.is_not_found() => {
                s.problem = Some(format!("no readable MLmodel in {}", dir.display()))
            }
            Err(e) => s.problem = Some(e.to_string()),
        }
        s.not_followed = refused;
        s
    }

    /// Lists a run's artefact folder (with sizes) and reads every `MLmodel` in it; `None` when
    /// the folder is not in the hand-in.
    pub(crate) fn run_artifacts(&self, uri: &str) -> Option<RunArtifacts> {
        // A URI that resolves to the whole hand-in is no run's own folder.
        let dir = self
            .locate(uri)
            .ok()
            .flatten()
            .filter(|d| *d != self.root)?;
        let h = self.hand_in.as_ref().ok()?;
        let listing = h.list_files(&dir).ok()?;
        let mut out = RunArtifacts {
            location: dir
                .strip_prefix(&self.root)
                .unwrap_or(&dir)
                .to_string_lossy()
                .into_owned(),
            ..RunArtifacts::default()
        };
        for path in listing.files {
            // The listing only holds files inside the hand-in, so their metadata is theirs.
            let size = std::fs::symlink_metadata(dir.join(&path)).map_or(0, |m| m.len());
            let is_mlmodel = path == "MLmodel" || path.ends_with("/MLmodel");
            if is_mlmodel && out.models.len() < MAX_RUN_MODELS {
                let folder = path.strip_suffix("MLmodel").unwrap_or("");
                let folder = folder.trim_end_matches('/').to_string();
                let (mlmodel, problem) = match h.read_text(&dir.join(&path), Kind::Mlmodel) {
                    Ok(text) => match MlModelSummary::parse(&text) {
                        Ok(m) => (Some(m), None),
                        Err(e) => (None, Some(e)),
                    },
                    Err(e) => (None, Some(e.to_string())),
                };
                out.models.push(RunModel {
                    path: folder,
                    mlmodel,
                    problem,
                });
            }
            out.files.push(ArtifactFile { path, size });
        }
        // An empty folder is no artefacts, as a server that lists nothing says.
        (!out.files.is_empty()).then_some(out)
    }

    /// Fills every model version's artefact summary from its source, resolving `models:/m-…`
    /// through logged models and `runs:/<id>/path` through the run's artefact URI; lists every
    /// run's artefacts and summarises every logged model's.
    pub(crate) fn fill(&self, snapshot: &mut Snapshot) {
        for run in &mut snapshot.runs {
            run.artifacts = run
                .artifact_uri
                .as_deref()
                .and_then(|uri| self.run_artifacts(uri));
        }
        for m in &mut snapshot.logged_models {
            if !m.artifact_location.is_empty() {
                m.artifact = Some(self.summarize(&m.artifact_location));
            }
        }
        let resolved: Vec<Option<String>> = snapshot
            .model_versions
            .iter()
            .map(|v| artifact_uri_of(snapshot, v))
            .collect();
        for (v, uri) in snapshot.model_versions.iter_mut().zip(resolved) {
            v.artifact = match uri {
                Some(uri) => self.summarize(&uri),
                None => ArtifactSummary {
                    uri: v.source.clone(),
                    problem: Some(match &v.source {
                        Some(src) => format!("cannot resolve source {src} to an artefact location"),
                        None => "version has no source".into(),
                    }),
                    ..ArtifactSummary::default()
                },
            };
        }
    }
}

/// The artefact URI a version's files live at, as MLflow would resolve it.
pub(crate) fn artifact_uri_of(
    snapshot: &Snapshot,
    v: &crate::snapshot::ModelVersion,
) -> Option<String> {
    let source = v.source.as_deref()?;
    if let Some(id) = source
        .strip_prefix("models:/")
        .filter(|s| s.starts_with("m-"))
    {
        let id = id.split('/').next().unwrap_or(id);
        return snapshot
            .logged_model(id)
            .map(|m| m.artifact_location.clone())
            .or_else(|| v.storage_location.clone());
    }
    if let Some(rest) = source.strip_prefix("runs:/") {
        let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
        let base = snapshot.run(run_id)?.artifact_uri.clone()?;
        return Some(if path.is_empty() {
            base
        } else {
            format!("{}/{}", base.trim_end_matches('/'), path.trim_matches('/'))
        });
    }
    if source.starts_with("models:/") {
        return v.storage_location.clone();
    }
    Some(source.to_string())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("mlartifacts/1/models/m-abc/artifacts");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("MLmodel"), "flavors:\n  sklearn: {}\n").unwrap();
        std::fs::write(d.join("model.pkl"), b"x").unwrap();
        let r = t.path().join("mlruns/2/abcd/artifacts/model");
        std::fs::create_dir_all(&r).unwrap();
        t
    }

    #[test]
    fn relocates_student_paths_under_the_submission() {
        let t = tree();
        let loc = ArtifactLocator::new(t.path());
        let want = t.path().join("mlartifacts/1/models/m-abc/artifacts");
        for uri in [
            "mlflow-artifacts:/1/models/m-abc/artifacts",
            "mlflow-artifacts://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/1/models/m-abc/artifacts",
            "/home/alice/hw/mlartifacts/1/models/m-abc/artifacts",
            "file:///C:/Users/bob/hw/mlartifacts/1/models/m-abc/artifacts",
        ] {
            assert_eq!(loc.locate(uri), Ok(Some(want.clone())), "{uri}");
        }
        assert_eq!(
            loc.locate("file:///home/alice/my%20hw/mlruns/2/abcd/artifacts/model"),
            Ok(Some(t.path().join("mlruns/2/abcd/artifacts/model")))
        );
    }

    #[test]
    fn refuses_escapes_and_remote_stores() {
        let t = tree();
        let loc = ArtifactLocator::new(t.path().join("mlartifacts"));
        assert_eq!(loc.locate("mlflow-artifacts:/../mlruns/2"), Ok(None));
        assert_eq!(loc.locate("s3://bucket/1/models/m-abc/artifacts"), Ok(None));
        assert_eq!(loc.locate("/etc"), Ok(None));
    }

    #[test]
    fn summary_lists_files_and_parses_mlmodel() {
        let t = tree();
        let s =
            ArtifactLocator::new(t.path()).summarize("mlflow-artifacts:/1/models/m-abc/artifacts");
        assert_eq!(s.files, ["MLmodel", "model.pkl"]);
        assert_eq!(s.mlmodel.unwrap().flavors, ["sklearn"]);
        assert_eq!(
            s.location.as_deref(),
            Some("mlartifacts/1/models/m-abc/artifacts")
        );
        let missing = ArtifactLocator::new(t.path()).summarize("mlflow-artifacts:/9/x");
        assert!(missing.problem.unwrap().contains("no directory"));
        let no_mlmodel =
            ArtifactLocator::new(t.path()).summarize("/x/mlruns/2/abcd/artifacts/model");
        assert!(no_mlmodel.problem.unwrap().contains("no readable MLmodel"));
    }

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures")
            .join(rel)
    }

    #[test]
    fn run_artefacts_are_listed_with_sizes_and_their_models_read() {
        // A 3.x server store: models live under the experiment's `models/`, read as logged models.
        let snap = load_submission(&fixture("submissions/perfect")).unwrap();
        let with_model = snap
            .logged_models
            .iter()
            .filter(|m| m.artifact.as_ref().is_some_and(|a| a.mlmodel.is_some()))
            .count();
        assert!(
            with_model >= 6,
            "{with_model} logged models with an MLmodel"
        );
        // A 2.x file store: the model is among the run's own artefacts.
        let snap = load_submission(&fixture("real-stores/yongchein-2024-filestore")).unwrap();
        let listed: Vec<&RunArtifacts> = snap
            .runs
            .iter()
            .filter_map(|r| r.artifacts.as_ref())
            .collect();
        assert!(!listed.is_empty());
        let models: Vec<&RunModel> = listed.iter().flat_map(|a| &a.models).collect();
        assert!(
            models.iter().any(|m| m.path == "models_mlflow"
                && m.mlmodel
                    .as_ref()
                    .is_some_and(|s| s.flavors.contains(&"xgboost".to_string()))),
            "{models:?}"
        );
        assert!(
            listed
                .iter()
                .flat_map(|a| &a.files)
                .all(|f| !f.path.starts_with('/'))
        );
        assert!(
            listed
                .iter()
                .flat_map(|a| &a.files)
                .any(|f| f.path.ends_with("MLmodel") && f.size > 0)
        );
        // A store whose artefacts were not handed in lists nothing, and says nothing false.
        let snap =
            load_submission(&fixture("real-stores/karimlulu-2022-stages/mlflow.db")).unwrap();
        assert!(snap.runs.iter().all(|r| r.artifacts.is_none()));
    }
}
