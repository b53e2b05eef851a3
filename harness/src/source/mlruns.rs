//! Reads a submitted `mlruns/` file store (MLflow 2.x's default; opt-in in 3.x) into a
//! [`Snapshot`].
//!
//! Layout (mlflow/store/tracking/file_store.py, model_registry/file_store.py):
//! `mlruns/<exp>/meta.yaml`, `<exp>/tags/<key>`, `<exp>/<run>/{meta.yaml, params/, metrics/,
//! tags/, inputs/, artifacts/}`, `<exp>/models/<m-id>/` (3.x logged models),
//! `<exp>/datasets/<id>/meta.yaml`, `.trash/<exp>` (deleted), and the registry under
//! `mlruns/models/<name>/{meta.yaml, tags/, aliases/, version-<n>/}`. Keys containing `/` are
//! nested folders. Only reads; never writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;

use super::{ArtifactLocator, SourceError};
use crate::handin::{HandIn, Kind, parse_yaml};
use crate::snapshot::{
    DatasetInput, Experiment, LoggedModel, MetricPoint, ModelVersion, RegisteredModel, Run,
    Snapshot, latest_metrics,
};

/// Loads the store at `mlruns`, locating artefacts under its parent folder.
pub fn load(mlruns: &Path) -> Result<Snapshot, SourceError> {
    let root = mlruns
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    load_with_root(mlruns, root)
}

/// Loads the store at `mlruns`, locating artefacts under `root`.
pub(crate) fn load_with_root(mlruns: &Path, root: &Path) -> Result<Snapshot, SourceError> {
    if !mlruns.is_dir() {
        return Err(SourceError::NotMlflow {
            path: mlruns.to_path_buf(),
            reason: "not a directory".into(),
        });
    }
    let h = HandIn::new(root)?;
    h.dir(mlruns)?;
    let mut snap = Snapshot {
        origin: format!("mlruns:{}", mlruns.display()),
        ..Snapshot::default()
    };
    let mut exp_dirs: Vec<(PathBuf, bool)> = subdirs(mlruns)?
        .into_iter()
        .filter(|d| !matches!(name_of(d).as_str(), ".trash" | "models"))
        .map(|d| (d, false))
        .collect();
    let trash = mlruns.join(".trash");
    if trash.is_dir() {
        exp_dirs.extend(subdirs(&trash)?.into_iter().map(|d| (d, true)));
    }
    for (dir, trashed) in exp_dirs {
        if !present(&dir.join("meta.yaml")) {
            continue;
        }
        read_experiment(&h, &dir, trashed, &mut snap)?;
    }
    let registry = mlruns.join("models");
    if registry.is_dir() {
        for dir in subdirs(&registry)? {
            if present(&dir.join("meta.yaml")) {
                read_registered_model(&h, &dir, &mut snap)?;
            }
        }
    }
    ArtifactLocator::new(root).fill(&mut snap);
    snap.normalize();
    Ok(snap)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> SourceError + '_ {
    move |source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io(dir))? {
        let e = e.map_err(io(dir))?;
        // Symlinks are not followed inside a store: a link cycle must not hang the grader.
        if e.file_type().map_err(io(dir))?.is_dir() {
            out.push(e.path());
        }
    }
    out.sort();
    Ok(out)
}

fn read_yaml(h: &HandIn, path: &Path) -> Result<Value, SourceError> {
    let text = h.read_text(path, Kind::Meta)?;
    Ok(parse_yaml(path, &text)?)
}

/// An entry exists at `path` (a link or FIFO too: reading it then says what is wrong with it).
fn present(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// A scalar as text (`experiment_id: 1` and `'1'` both give "1"); `None` for null/absent.
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn int(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `dir/<key>` files (keys may contain `/`, stored as folders) → key → content.
fn key_files(h: &HandIn, dir: &Path, kind: Kind) -> Result<BTreeMap<String, String>, SourceError> {
    let mut out = BTreeMap::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(io(&d))? {
            let e = e.map_err(io(&d))?;
            let file_type = e.file_type().map_err(io(&d))?;
            let p = e.path();
            if file_type.is_dir() {
                stack.push(p);
            } else if file_type.is_symlink() && p.is_dir() {
                // A linked folder is never entered: a link cycle must not hang the grader.
                continue;
            } else if let Ok(rel) = p.strip_prefix(dir) {
                let key = rel.to_string_lossy().replace('\\', "/");
                let value = h.read_text(&p, kind)?;
                out.insert(key, value);
            }
        }
    }
    Ok(out)
}

fn read_experiment(
    h: &HandIn,
    dir: &Path,
    trashed: bool,
    snap: &mut Snapshot,
) -> Result<(), SourceError> {
    let meta = read_yaml(h, &dir.join("meta.yaml"))?;
    let id = text(&meta, "experiment_id").unwrap_or_else(|| name_of(dir));
    snap.experiments.push(Experiment {
        id: id.clone(),
        name: text(&meta, "name").unwrap_or_default(),
        artifact_location: text(&meta, "artifact_location"),
        lifecycle_stage: if trashed {
            "deleted".into()
        } else {
            text(&meta, "lifecycle_stage").unwrap_or_else(|| "active".into())
        },
        tags: key_files(h, &dir.join("tags"), Kind::Value)?,
    });
    let datasets = read_datasets(h, &dir.join("datasets"))?;
    for run_dir in subdirs(dir)? {
        match name_of(&run_dir).as_str() {
            "tags" | "datasets" | "traces" => {}
            "models" => read_logged_models(h, &run_dir, &id, snap)?,
            _ if present(&run_dir.join("meta.yaml")) => {
                let mut run = read_run(h, &run_dir, &id, &datasets)?;
                if trashed {
                    run.lifecycle_stage = "deleted".into();
                }
                snap.runs.push(run);
            }
            _ => {}
        }
    }
    Ok(())
}

fn read_datasets(h: &HandIn, dir: &Path) -> Result<BTreeMap<String, DatasetInput>, SourceError> {
    let mut out = BTreeMap::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for d in subdirs(dir)? {
        let meta_path = d.join("meta.yaml");
        if !present(&meta_path) {
            continue;
        }
        let meta = read_yaml(h, &meta_path)?;
        out.insert(
            name_of(&d),
            DatasetInput {
                name: text(&meta, "name").unwrap_or_default(),
                digest: text(&meta, "digest").unwrap_or_default(),
                source_type: text(&meta, "source_type").unwrap_or_default(),
                context: None,
            },
        );
    }
    Ok(out)
}

const RUN_STATUS: [&str; 6] = ["", "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];

fn read_run(
    h: &HandIn,
    dir: &Path,
    experiment_id: &str,
    datasets: &BTreeMap<String, DatasetInput>,
) -> Result<Run, SourceError> {
    let meta = read_yaml(h, &dir.join("meta.yaml"))?;
    let status = match int(&meta, "status") {
        Some(n) => usize::try_from(n)
            .ok()
            .and_then(|i| RUN_STATUS.get(i))
            .map_or_else(|| n.to_string(), |s| s.to_string()),
        None => text(&meta, "status").unwrap_or_else(|| "RUNNING".into()),
    };
    let mut run = Run {
        id: text(&meta, "run_id")
            .or_else(|| text(&meta, "run_uuid"))
            .unwrap_or_else(|| name_of(dir)),
        experiment_id: text(&meta, "experiment_id").unwrap_or_else(|| experiment_id.into()),
        name: text(&meta, "run_name").filter(|n| !n.is_empty()),
        status,
        start_time: int(&meta, "start_time"),
        end_time: int(&meta, "end_time"),
        lifecycle_stage: text(&meta, "lifecycle_stage").unwrap_or_else(|| "active".into()),
        artifact_uri: text(&meta, "artifact_uri"),
        params: key_files(h, &dir.join("params"), Kind::Value)?,
        tags: key_files(h, &dir.join("tags"), Kind::Value)?,
        ..Run::default()
    };
    for (key, body) in key_files(h, &dir.join("metrics"), Kind::Metric)? {
        let points = body
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| parse_metric_line(line).ok_or(line))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|line| SourceError::Parse {
                path: dir.join("metrics").join(&key),
                key: key.clone(),
                message: format!("bad metric line `{line}`"),
            })?;
        run.histories.insert(key, points);
    }
    run.metrics = latest_metrics(&run.histories);
    if run.name.is_none() {
        run.name = run.tags.get("mlflow.runName").cloned();
    }
    let inputs = dir.join("inputs");
    if inputs.is_dir() {
        for d in subdirs(&inputs)? {
            let meta = read_yaml(h, &d.join("meta.yaml"))?;
            let Some(ds) = text(&meta, "source_id").and_then(|id| datasets.get(&id)) else {
                continue;
            };
            let context = meta
                .get("tags")
                .and_then(|t| t.get("mlflow.data.context"))
                .and_then(Value::as_str)
                .map(str::to_string);
            run.inputs.push(DatasetInput {
                context,
                ..ds.clone()
            });
        }
    }
    Ok(run)
}

/// `timestamp value [step]` (MLflow also accepts 5 fields, with dataset name and digest).
fn parse_metric_line(line: &str) -> Option<MetricPoint> {
    let parts: Vec<&str> = line.split_whitespace().collect();
    if !matches!(parts.len(), 2 | 3 | 5) {
        return None;
    }
    let value = match parts[1].to_ascii_lowercase().as_str() {
        "nan" => f64::NAN,
        "inf" | "infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some(MetricPoint {
        timestamp: parts[0].parse().ok()?,
        value,
        step: parts.get(2).map_or(Some(0), |s| s.parse().ok())?,
    })
}

fn read_logged_models(
    h: &HandIn,
    dir: &Path,
    experiment_id: &str,
    snap: &mut Snapshot,
) -> Result<(), SourceError> {
    for d in subdirs(dir)? {
        let meta_path = d.join("meta.yaml");
        if !present(&meta_path) {
            continue;
        }
        let meta = read_yaml(h, &meta_path)?;
        snap.logged_models.push(LoggedModel {
            id: text(&meta, "model_id").unwrap_or_else(|| name_of(&d)),
            experiment_id: text(&meta, "experiment_id").unwrap_or_else(|| experiment_id.into()),
            name: text(&meta, "name").unwrap_or_default(),
            artifact_location: text(&meta, "artifact_location").unwrap_or_default(),
            source_run_id: text(&meta, "source_run_id"),
            status: text(&meta, "status"),
            tags: key_files(h, &d.join("tags"), Kind::Value)?,
            artifact: None,
        });
    }
    Ok(())
}

fn read_registered_model(h: &HandIn, dir: &Path, snap: &mut Snapshot) -> Result<(), SourceError> {
    let meta = read_yaml(h, &dir.join("meta.yaml"))?;
    let name = text(&meta, "name").unwrap_or_else(|| name_of(dir));
    // Aliases live in `aliases/<alias>` files; 2.x also mirrors them in meta.yaml.
    let mut aliases: BTreeMap<String, u32> = BTreeMap::new();
    if let Some(m) = meta.get("aliases").and_then(Value::as_mapping) {
        for (k, v) in m {
            let n = match v {
                Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            if let (Some(k), Some(n)) = (k.as_str(), n) {
                aliases.insert(k.to_string(), n);
            }
        }
    }
    for (alias, v) in key_files(h, &dir.join("aliases"), Kind::Value)? {
        if let Ok(n) = v.trim().parse() {
            aliases.insert(alias, n);
        }
    }
    snap.registered_models.push(RegisteredModel {
        name: name.clone(),
        description: text(&meta, "description"),
        tags: key_files(h, &dir.join("tags"), Kind::Value)?,
        aliases,
    });
    for d in subdirs(dir)? {
        if !name_of(&d).starts_with("version-") || !present(&d.join("meta.yaml")) {
            continue;
        }
        let meta = read_yaml(h, &d.join("meta.yaml"))?;
        let stage = text(&meta, "current_stage");
        if stage.as_deref() == Some("Deleted_Internal") {
            continue;
        }
        let source = text(&meta, "source");
        let model_id = text(&meta, "model_id").or_else(|| {
            source
                .as_deref()
                .and_then(|s| s.strip_prefix("models:/"))
                .filter(|s| s.starts_with("m-"))
                .map(|s| s.split('/').next().unwrap_or(s).to_string())
        });
        snap.model_versions.push(ModelVersion {
            name: name.clone(),
            version: int(&meta, "version")
                .and_then(|v| u32::try_from(v).ok())
                .or_else(|| name_of(&d).trim_start_matches("version-").parse().ok())
                .unwrap_or(0),
            source,
            run_id: text(&meta, "run_id").filter(|r| !r.is_empty()),
            model_id,
            current_stage: stage,
            status: text(&meta, "status"),
            description: text(&meta, "description").filter(|d| !d.is_empty()),
            tags: key_files(h, &d.join("tags"), Kind::Value)?,
            storage_location: text(&meta, "storage_location"),
            ..ModelVersion::default()
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn symlink_cycles_do_not_hang_the_reader() {
        let t = tempfile::tempdir().unwrap();
        let m = t.path().join("mlruns");
        std::fs::create_dir_all(m.join("1/abc/params")).unwrap();
        std::fs::write(m.join("1/meta.yaml"), "experiment_id: '1'\nname: e\n").unwrap();
        std::fs::write(m.join("1/abc/meta.yaml"), "run_id: abc\n").unwrap();
        std::os::unix::fs::symlink(&m, m.join("1/abc/params/loop")).unwrap();
        std::os::unix::fs::symlink(&m, m.join("1/loop")).unwrap();
        let s = load(&m).unwrap();
        assert_eq!(s.runs.len(), 1);
        assert!(s.runs[0].params.is_empty());
    }

    #[test]
    fn metric_lines_parse_like_mlflow() {
        let p = parse_metric_line("1700000000000 0.9444 3").unwrap();
        assert_eq!(
            (p.timestamp, p.value, p.step),
            (1_700_000_000_000, 0.9444, 3)
        );
        assert_eq!(parse_metric_line("5 1.0").unwrap().step, 0);
        assert!(parse_metric_line("5 nan 1").unwrap().value.is_nan());
        assert!(parse_metric_line("5").is_none());
        assert!(parse_metric_line("x 1.0 2").is_none());
    }

    #[test]
    fn missing_or_broken_store_is_a_typed_error() {
        let t = tempfile::tempdir().unwrap();
        assert!(matches!(
            load(&t.path().join("mlruns")),
            Err(SourceError::NotMlflow { .. })
        ));
        let exp = t.path().join("mlruns/1");
        std::fs::create_dir_all(&exp).unwrap();
        std::fs::write(exp.join("meta.yaml"), "name: [unclosed").unwrap();
        let err = load(&t.path().join("mlruns")).unwrap_err();
        assert!(err.to_string().contains("not YAML"), "{err:?}");
    }

    #[test]
    fn reads_a_hand_made_store() {
        let t = tempfile::tempdir().unwrap();
        let m = t.path().join("mlruns");
        let w = |p: &str, body: &str| {
            let p = m.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        };
        w(
            "1/meta.yaml",
            "experiment_id: '1'\nname: wine-quality-homework\nlifecycle_stage: active\n",
        );
        w(
            "1/abc/meta.yaml",
            "run_id: abc\nexperiment_id: '1'\nrun_name: wine-v1-DT\nstatus: 3\nstart_time: 5\n\
             artifact_uri: file:///home/alice/hw/mlruns/1/abc/artifacts\nlifecycle_stage: active\n",
        );
        w("1/abc/params/max_depth", "None");
        w("1/abc/metrics/accuracy", "1 0.5 0\n2 0.9444 1\n");
        w("1/abc/tags/mlflow.user", "alice");
        w("1/abc/artifacts/model/MLmodel", "flavors:\n  sklearn: {}\n");
        w("models/wine/meta.yaml", "name: wine\ndescription: DT\n");
        w("models/wine/aliases/champion", "1");
        w(
            "models/wine/version-1/meta.yaml",
            "version: 1\nsource: file:///home/alice/hw/mlruns/1/abc/artifacts/model\nrun_id: abc\n\
             current_stage: Production\n",
        );
        w("models/wine/version-1/tags/model_type", "decision_tree");
        w(
            "models/wine/version-2/meta.yaml",
            "version: 2\ncurrent_stage: Deleted_Internal\n",
        );
        let s = load(&m).unwrap();
        let run = s.run("abc").unwrap();
        assert_eq!(run.status, "FINISHED");
        assert_eq!(run.metrics["accuracy"], 0.9444);
        assert_eq!(run.histories["accuracy"].len(), 2);
        assert_eq!(run.params["max_depth"], "None");
        let rm = s.registered_model("wine").unwrap();
        assert_eq!(rm.aliases["champion"], 1);
        let versions: Vec<_> = s.versions_of("wine").collect();
        assert_eq!(versions.len(), 1, "deleted versions are skipped");
        assert_eq!(versions[0].current_stage.as_deref(), Some("Production"));
        assert_eq!(
            versions[0].artifact.mlmodel.as_ref().unwrap().flavors,
            ["sklearn"]
        );
        assert_eq!(
            versions[0].artifact.location.as_deref(),
            Some("mlruns/1/abc/artifacts/model")
        );
    }
}
