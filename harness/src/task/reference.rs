//! The `[reference]` section of an exercise's task file: how `harness run TASK` does the
//! exercise with harness's own trainers, as steps (an experiment config, a sweep, a promotion in
//! the registry). The configs are files beside the task file (`tasks/reference/…`), read when the
//! task file is loaded, so a missing or unreadable one is a task-file error with its key.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde::{Deserialize, Serialize};

/// How the reference run of an exercise is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSpec {
    /// One line on what the reference shows and with which data (printed by `harness run`).
    #[serde(default)]
    pub about: Option<String>,
    pub steps: Vec<ReferenceStep>,
    /// The configs' text by the path the steps name, filled when the task file is loaded.
    #[serde(skip)]
    pub files: BTreeMap<String, String>,
    /// The task file's folder, which config paths are relative to (`None`: built in).
    #[serde(skip)]
    pub base: Option<std::path::PathBuf>,
}

/// One step of a reference run. New kinds (a regression sweep, say) are new variants here and
/// in the runner; a task file only names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReferenceStep {
    /// `harness run --config FILE`: one experiment run.
    Run(ConfigStep),
    /// `harness sweep --config FILE`: a parent run with a child run per trial.
    Sweep(ConfigStep),
    /// Registers the model of an earlier step's run (a sweep's: its best trial) and promotes the
    /// new version.
    Promote(PromoteStep),
}

/// A step that runs a config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigStep {
    /// The config, relative to the task file's folder (`reference/day28-tracking.yaml`).
    pub config: String,
    /// Params logged again under the names the exercise's own code uses: new name → the
    /// config's param (`learning_rate = "training.learning_rate"`), on every run of the step.
    #[serde(default)]
    pub also_params: BTreeMap<String, String>,
    /// Artefacts logged again under the names the exercise uses: new path → logged path
    /// (`"training_plot.png" = "training_history.png"`).
    #[serde(default)]
    pub also_artifacts: BTreeMap<String, String>,
}

/// Registration and promotion of a step's model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromoteStep {
    /// The registered model (created, or replaced with `--replace`).
    pub model: String,
    /// Which step's run (1-based); the step before this one when absent.
    #[serde(default)]
    pub from: Option<usize>,
    /// The registered model's description.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub alias: Option<String>,
    /// A stage transition (`Staging`, `Production`, `Archived`); MLflow 3 still serves it.
    #[serde(default)]
    pub stage: Option<String>,
}

/// Stages MLflow's transition endpoint accepts.
pub const STAGES: [&str; 4] = ["None", "Staging", "Production", "Archived"];

/// A config file larger than this is not an experiment config.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl ReferenceSpec {
    /// The config paths the steps name, with the key that names each.
    pub(crate) fn config_paths(&self) -> impl Iterator<Item = (String, &str)> {
        self.steps.iter().enumerate().filter_map(|(i, s)| match s {
            ReferenceStep::Run(c) | ReferenceStep::Sweep(c) => {
                Some((format!("reference.steps[{i}].config"), c.config.as_str()))
            }
            ReferenceStep::Promote(_) => None,
        })
    }

    /// What is wrong with the section, as `(key, message)`; `None` when fine.
    pub(crate) fn problem(&self) -> Option<(String, String)> {
        if self.steps.is_empty() {
            return Some(("reference.steps".into(), "needs at least one step".into()));
        }
        for (i, step) in self.steps.iter().enumerate() {
            let key = |k: &str| format!("reference.steps[{i}].{k}");
            match step {
                ReferenceStep::Run(c) | ReferenceStep::Sweep(c) => {
                    if !is_confined(&c.config) {
                        return Some((
                            key("config"),
                            format!(
                                "`{}` must be a relative path inside the tasks folder",
                                c.config
                            ),
                        ));
                    }
                    if let Some((k, v)) = c
                        .also_params
                        .iter()
                        .chain(&c.also_artifacts)
                        .find(|(k, v)| k.trim().is_empty() || v.trim().is_empty())
                    {
                        return Some((
                            key(if c.also_params.contains_key(k) {
                                "also_params"
                            } else {
                                "also_artifacts"
                            }),
                            format!("`{k}` = `{v}`: both names must be given"),
                        ));
                    }
                }
                ReferenceStep::Promote(p) => {
                    if p.model.trim().is_empty() {
                        return Some((key("model"), "must not be empty".into()));
                    }
                    let from = p.from.unwrap_or(i);
                    let source = from
                        .checked_sub(1)
                        .filter(|_| from <= i)
                        .and_then(|j| self.steps.get(j));
                    if !matches!(
                        source,
                        Some(ReferenceStep::Run(_) | ReferenceStep::Sweep(_))
                    ) {
                        return Some((
                            key("from"),
                            format!(
                                "step {from} is not an earlier `run` or `sweep` step (steps count from 1)"
                            ),
                        ));
                    }
                    if let Some(stage) = &p.stage
                        && !STAGES.contains(&stage.as_str())
                    {
                        return Some((
                            key("stage"),
                            format!("`{stage}` is not one of {}", STAGES.join(", ")),
                        ));
                    }
                    if p.alias.as_deref().is_some_and(|a| a.trim().is_empty()) {
                        return Some((key("alias"), "must not be empty".into()));
                    }
                }
            }
        }
        None
    }

    /// Reads every config the steps name through `read` (relative path → text); the error
    /// names the step's key.
    pub(crate) fn attach(
        &mut self,
        read: impl Fn(&str) -> Result<String, String>,
    ) -> Result<(), (String, String)> {
        let mut files = BTreeMap::new();
        for (key, path) in self.config_paths() {
            let text = read(path).map_err(|e| (key, format!("cannot read `{path}`: {e}")))?;
            files.insert(path.to_owned(), text);
        }
        self.files = files;
        Ok(())
    }
}

/// Reads a reference config under `dir`, bounded in size.
pub(crate) fn read_under(dir: &Path, rel: &str) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(dir.join(rel)).map_err(|e| e.to_string())?;
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(format!("larger than {MAX_CONFIG_BYTES} bytes"));
    }
    Ok(text)
}

/// A relative path that stays inside its folder.
fn is_confined(path: &str) -> bool {
    let p = Path::new(path);
    !path.trim().is_empty()
        && p.components().all(|c| matches!(c, Component::Normal(_)))
        && !path.contains('\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confined_paths_stay_inside_the_folder() {
        assert!(is_confined("reference/a.yaml"));
        for bad in [
            "",
            "/etc/passwd",
            "../a.yaml",
            "reference/../../a",
            "a\\b",
            "./a",
        ] {
            assert!(!is_confined(bad), "{bad}");
        }
    }
}
