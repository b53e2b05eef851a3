//! Which task files a command uses: a path, a name in the tasks folder, or `all`.
//!
//! The tasks folder is `--tasks-dir`, else `./tasks` when it exists (a checkout), else the copies
//! built into the binary, so an installed `harness` works from any directory.

use std::path::{Path, PathBuf};

use super::{TaskError, TaskSpec};

/// The task files as shipped, for use outside a checkout.
const BUILTIN: [(&str, &str); 9] = [
    (
        "day28-pipeline",
        include_str!("../../../tasks/day28-pipeline.toml"),
    ),
    (
        "day28-sweep",
        include_str!("../../../tasks/day28-sweep.toml"),
    ),
    (
        "day28-tracking",
        include_str!("../../../tasks/day28-tracking.toml"),
    ),
    (
        "day28-versioning",
        include_str!("../../../tasks/day28-versioning.toml"),
    ),
    ("mnist", include_str!("../../../tasks/mnist.toml")),
    ("overall", include_str!("../../../tasks/overall.toml")),
    (
        "registry-lab",
        include_str!("../../../tasks/registry-lab.toml"),
    ),
    ("wine", include_str!("../../../tasks/wine.toml")),
    (
        "zoomcamp-hw2",
        include_str!("../../../tasks/zoomcamp-hw2.toml"),
    ),
];

/// The files the built-in tasks' `[reference]` sections name, by their path under `tasks/`.
const BUILTIN_FILES: [(&str, &str); 5] = [
    (
        "reference/day28-pipeline.yaml",
        include_str!("../../../tasks/reference/day28-pipeline.yaml"),
    ),
    (
        "reference/day28-sweep.yaml",
        include_str!("../../../tasks/reference/day28-sweep.yaml"),
    ),
    (
        "reference/day28-tracking.yaml",
        include_str!("../../../tasks/reference/day28-tracking.yaml"),
    ),
    (
        "reference/day28-versioning.yaml",
        include_str!("../../../tasks/reference/day28-versioning.yaml"),
    ),
    (
        "reference/registry-lab.yaml",
        include_str!("../../../tasks/reference/registry-lab.yaml"),
    ),
];

/// A built-in task file with its reference configs attached.
fn parse_builtin(name: &str, text: &str) -> Result<TaskSpec, TaskError> {
    let origin = format!("built-in {name}.toml");
    let mut spec = TaskSpec::parse(text, &origin)?;
    spec.attach_reference_files(&origin, |rel| {
        BUILTIN_FILES
            .iter()
            .find(|(path, _)| *path == rel)
            .map(|(_, text)| (*text).to_owned())
            .ok_or_else(|| "not among the built-in files".to_owned())
    })?;
    Ok(spec)
}

/// Task 1, task 2, then the overall part, as the homework lists them.
const HOMEWORK_ORDER: [&str; 3] = ["wine", "mnist", "overall"];

/// Where task files come from.
#[derive(Debug, Clone)]
pub enum TaskSource {
    Dir(PathBuf),
    Builtin,
}

impl TaskSource {
    pub(crate) fn detect(explicit: Option<&Path>) -> TaskSource {
        match explicit {
            Some(dir) => TaskSource::Dir(dir.to_path_buf()),
            None if Path::new("tasks").join("wine.toml").is_file() => {
                TaskSource::Dir("tasks".into())
            }
            None => TaskSource::Builtin,
        }
    }

    /// Resolves `selector`: `all` (the registry homework's tasks, those with no `group`, in its
    /// order: wine, mnist, overall, then any others by name), a task name, a group name (every
    /// task of that group, by name), or a path to a `.toml` file.
    pub fn resolve(&self, selector: &str) -> Result<Vec<TaskSpec>, TaskError> {
        let mut tasks = self.resolve_unordered(selector)?;
        tasks.sort_by_key(|t| {
            (
                HOMEWORK_ORDER
                    .iter()
                    .position(|id| *id == t.id)
                    .unwrap_or(usize::MAX),
                t.id.clone(),
            )
        });
        Ok(tasks)
    }

    /// Every task file, whatever its group, by name.
    pub fn resolve_every(&self) -> Result<Vec<TaskSpec>, TaskError> {
        match self {
            TaskSource::Dir(dir) => TaskSpec::load_every(dir),
            TaskSource::Builtin => BUILTIN
                .iter()
                .map(|(name, text)| parse_builtin(name, text))
                .collect(),
        }
    }

    fn resolve_unordered(&self, selector: &str) -> Result<Vec<TaskSpec>, TaskError> {
        let as_path = Path::new(selector);
        if selector.ends_with(".toml") || as_path.components().count() > 1 {
            return Ok(vec![TaskSpec::load(as_path)?]);
        }
        let everything = || self.resolve_every();
        if selector == "all" {
            // `all` is the registry homework; other courses' tasks are graded by their group.
            let mut tasks = everything()?;
            tasks.retain(|t| t.group.is_none());
            return Ok(tasks);
        }
        let single = match self {
            TaskSource::Dir(dir) => TaskSpec::find(dir, selector)
                .and_then(|path| TaskSpec::load(&path).map(|t| vec![t])),
            TaskSource::Builtin => match BUILTIN.iter().find(|(name, _)| *name == selector) {
                Some((name, text)) => parse_builtin(name, text).map(|t| vec![t]),
                None => Err(TaskError::NotFound {
                    name: selector.into(),
                    dir: "(built-in tasks)".into(),
                    available: BUILTIN.iter().map(|(n, _)| n.to_string()).collect(),
                }),
            },
        };
        match single {
            Err(not_found @ TaskError::NotFound { .. }) => {
                let mut tasks = everything()?;
                tasks.retain(|t| t.group.as_deref() == Some(selector));
                if tasks.is_empty() {
                    Err(not_found)
                } else {
                    Ok(tasks)
                }
            }
            other => other,
        }
    }
}

impl TaskSpec {
    /// `tasks/<name>.toml` under `dir`, or an error listing the tasks that exist.
    pub fn find(dir: &Path, name: &str) -> Result<PathBuf, TaskError> {
        let path = dir.join(format!("{name}.toml"));
        if path.is_file() {
            return Ok(path);
        }
        let available = Self::list(dir)?
            .iter()
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        Err(TaskError::NotFound {
            name: name.into(),
            dir: dir.to_path_buf(),
            available,
        })
    }

    /// All `*.toml` task files in `dir`, sorted by name so runs and reports are deterministic.
    pub(crate) fn list(dir: &Path) -> Result<Vec<PathBuf>, TaskError> {
        let io = |source| TaskError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
                out.push(path);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Loads the registry homework's tasks in `dir` (those with no `group`), in name order.
    pub fn load_all(dir: &Path) -> Result<Vec<Self>, TaskError> {
        let mut tasks = Self::load_every(dir)?;
        tasks.retain(|t| t.group.is_none());
        Ok(tasks)
    }

    /// Loads every task file in `dir`, whatever its group, in name order.
    pub fn load_every(dir: &Path) -> Result<Vec<Self>, TaskError> {
        Self::list(dir)?.iter().map(|p| Self::load(p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tasks_match_the_shipped_files_and_parse() {
        let all = TaskSource::Builtin.resolve("all").unwrap();
        assert_eq!(
            all.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            ["wine", "mnist", "overall"]
        );
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
        assert_eq!(TaskSource::Dir(dir.clone()).resolve("all").unwrap(), all);
        // Every shipped file is built in, and a group selects its tasks from either source.
        let every = TaskSpec::load_every(&dir).unwrap();
        assert_eq!(every.len(), BUILTIN.len());
        for source in [TaskSource::Builtin, TaskSource::Dir(dir)] {
            let day28: Vec<String> = source
                .resolve("day28")
                .unwrap()
                .into_iter()
                .map(|t| t.id)
                .collect();
            assert_eq!(
                day28,
                [
                    "day28-pipeline",
                    "day28-sweep",
                    "day28-tracking",
                    "day28-versioning"
                ]
            );
            assert_eq!(source.resolve("zoomcamp").unwrap()[0].id, "zoomcamp-hw2");
            assert_eq!(
                source.resolve("registry-lab").unwrap()[0].id,
                "registry-lab"
            );
        }
    }

    #[test]
    fn unknown_task_lists_the_choices() {
        let err = TaskSource::Builtin.resolve("wnie").unwrap_err().to_string();
        assert!(err.contains("wine") && err.contains("mnist"), "{err}");
    }
}
