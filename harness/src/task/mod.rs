//! Task files (`tasks/<id>.toml`): one declarative file per homework part that drives both the
//! reference run (`[training]`) and grading (`[[versions]]`, `[[aliases]]`, `[[rubric]]`), so the
//! two can never disagree about names, tags or versions.
//!
//! - [`rubric`]: what MLflow state to expect and how points are earned;
//! - [`training`]: what the reference run trains;
//! - `validate`: cross-references serde cannot express;
//! - [`source`]: where task files come from (a folder, a path, or the built-in copies).
//!
//! Parsing goes through `serde_path_to_error` and every table refuses unknown keys, so a typo in a
//! task file fails loudly with the key path (`rubric[2].checks[0].weight`) instead of silently
//! grading with a default. [`TaskSpec::validate`] then checks cross-references that serde cannot
//! (a check naming a version key that does not exist, weights that do not add up to the points).

pub mod general;
pub mod reference;
pub(crate) mod rubric;
pub mod source;
pub(crate) mod training;
mod validate;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use reference::{ConfigStep, PromoteStep, ReferenceSpec, ReferenceStep};
pub use rubric::{
    AccuracySpec, AliasRule, ArgValue, CheckSpec, DescriptionSpec, HistoryReq, MetricReq,
    RegistrySpec, Requirements, RubricItem, VersionSpec,
};
pub use source::TaskSource;
pub use training::{
    Algorithm, MlpTraining, MlpVersion, Profile, RegisteredModelSetup, SklearnTraining,
    SklearnVersion, Training,
};

/// Errors while finding, reading, parsing or validating a task file.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("cannot read task file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: invalid value at `{key}`: {message}")]
    Parse {
        origin: String,
        key: String,
        message: String,
    },
    #[error("{origin}: `{key}`: {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
    #[error("no task named `{name}` in {dir}; available: {}", available.join(", "))]
    NotFound {
        name: String,
        dir: PathBuf,
        available: Vec<String>,
    },
}

/// One homework part: what to train, what MLflow state to expect, and how points are earned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Short id used on the command line and in results (`wine`, `mnist`, `overall`).
    pub id: String,
    pub title: String,
    /// The course or exercise set this task belongs to (`zoomcamp`, `day28`); `--task <group>`
    /// grades the whole set. Absent: a part of the registry homework, which `--task all` grades.
    #[serde(default)]
    pub group: Option<String>,
    /// Experiment the runs are expected in; `None` for parts with no MLflow state (overall).
    #[serde(default)]
    pub experiment: Option<String>,
    /// Registered model the versions are expected under.
    #[serde(default)]
    pub registered_model: Option<String>,
    /// What this part is worth in the course's own total: its raw rubric points are scaled to
    /// this (a positive number, decimals allowed). The homework calls itself 100 points while its
    /// table adds up to 170, so the shipped files give each part its 70:70:30 share of 100.
    /// Absent: the part counts at its raw points.
    #[serde(default)]
    pub scale_to: Option<f64>,
    #[serde(default)]
    pub accuracy: AccuracySpec,
    #[serde(default)]
    pub(crate) requirements: Requirements,
    #[serde(default)]
    pub(crate) registry: RegistrySpec,
    #[serde(default)]
    pub versions: Vec<VersionSpec>,
    #[serde(default)]
    pub aliases: Vec<AliasRule>,
    #[serde(default)]
    pub(crate) training: Option<Training>,
    /// How `harness run` does an exercise (run configs, sweeps, promotions); see [`reference`].
    #[serde(default)]
    pub reference: Option<ReferenceSpec>,
    pub(crate) rubric: Vec<RubricItem>,
}

impl TaskSpec {
    /// Reads and parses a task file; errors carry the path and the key.
    pub fn load(path: &Path) -> Result<Self, TaskError> {
        let text = std::fs::read_to_string(path).map_err(|source| TaskError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let origin = path.display().to_string();
        let mut spec = Self::parse(&text, &origin)?;
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        spec.attach_reference_files(&origin, |rel| reference::read_under(&dir, rel))?;
        if let Some(r) = &mut spec.reference {
            r.base = Some(dir);
        }
        Ok(spec)
    }

    /// Reads the configs the `[reference]` steps name (nothing to do without the section).
    pub(crate) fn attach_reference_files(
        &mut self,
        origin: &str,
        read: impl Fn(&str) -> Result<String, String>,
    ) -> Result<(), TaskError> {
        match &mut self.reference {
            None => Ok(()),
            Some(r) => r.attach(read).map_err(|(key, message)| TaskError::Invalid {
                origin: origin.into(),
                key,
                message,
            }),
        }
    }

    /// Parses task-file text; `origin` names it in errors (a path or `<test>`).
    pub fn parse(text: &str, origin: &str) -> Result<Self, TaskError> {
        let de = toml::Deserializer::parse(text).map_err(|e| TaskError::Parse {
            origin: origin.into(),
            key: "<document>".into(),
            message: e.message().to_string(),
        })?;
        let spec: TaskSpec =
            serde_path_to_error::deserialize(de).map_err(|e| TaskError::Parse {
                origin: origin.into(),
                key: e.path().to_string(),
                message: e.inner().message().to_string(),
            })?;
        spec.validate(origin)?;
        Ok(spec)
    }

    pub fn version(&self, key: &str) -> Option<&VersionSpec> {
        self.versions.iter().find(|v| v.key == key)
    }

    pub(crate) fn alias_rule(&self, alias: &str) -> Option<&AliasRule> {
        self.aliases.iter().find(|a| a.alias == alias)
    }

    /// Sum of the rubric points.
    pub fn max_points(&self) -> u32 {
        self.rubric.iter().map(|i| i.points).sum()
    }

    /// Whether a check names experiments or models of its own (the general vocabulary): then
    /// a server is read whole, not only the task's `experiment` and `registered_model`.
    pub(crate) fn reads_whole_server(&self) -> bool {
        self.rubric
            .iter()
            .flat_map(|i| &i.checks)
            .any(CheckSpec::is_general)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks")
    }

    #[test]
    fn shipped_task_files_parse_and_validate() {
        let every = TaskSpec::load_every(&tasks_dir()).unwrap();
        assert!(every.iter().any(|t| t.id == "zoomcamp-hw2"));
        // The registry homework is the tasks with no group.
        let all = TaskSpec::load_all(&tasks_dir()).unwrap();
        let ids: Vec<_> = all.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["mnist", "overall", "wine"]);
        // The homework's rubric: 70 + 70 + 30 points.
        let pts: Vec<_> = all.iter().map(TaskSpec::max_points).collect();
        assert_eq!(pts, [70, 30, 70]);
        // …which the homework calls 100 points: each part scales to its share.
        let scaled: Vec<_> = all.iter().map(|t| t.scale_to).collect();
        assert_eq!(scaled, [Some(41.2), Some(17.6), Some(41.2)]);
        let total: f64 = scaled.iter().flatten().sum();
        assert!((total - 100.0).abs() < 1e-9, "{total}");
    }

    #[test]
    fn scale_to_must_be_a_positive_number() {
        for bad in ["0", "-5", "nan", "inf"] {
            let text = MINIMAL.replace(
                "registered_model = \"m\"",
                &format!("registered_model = \"m\"\nscale_to = {bad}"),
            );
            let err = TaskSpec::parse(&text, "<test>").unwrap_err().to_string();
            assert!(
                err.contains("`scale_to`") && err.contains("positive"),
                "{bad}: {err}"
            );
        }
        let text = MINIMAL.replace(
            "registered_model = \"m\"",
            "registered_model = \"m\"\nscale_to = \"100\"",
        );
        match TaskSpec::parse(&text, "<test>").unwrap_err() {
            TaskError::Parse { key, .. } => assert_eq!(key, "scale_to"),
            other => panic!("expected a parse error, got {other}"),
        }
        let text = MINIMAL.replace(
            "registered_model = \"m\"",
            "registered_model = \"m\"\nscale_to = 5",
        );
        assert_eq!(
            TaskSpec::parse(&text, "<test>").unwrap().scale_to,
            Some(5.0)
        );
    }

    #[test]
    fn wine_training_section_matches_the_homework() {
        let t = TaskSpec::load(&TaskSpec::find(&tasks_dir(), "wine").unwrap()).unwrap();
        assert_eq!(t.experiment.as_deref(), Some("wine-quality-homework"));
        assert_eq!(
            t.registered_model.as_deref(),
            Some("wine-quality-classifier")
        );
        let Some(Training::Sklearn(tr)) = &t.training else {
            panic!("wine trains with sklearn")
        };
        assert_eq!((tr.seed, tr.test_size), (42, 0.2));
        let algos: Vec<_> = tr
            .versions
            .iter()
            .map(|v| (v.algorithm, v.run_name.as_str()))
            .collect();
        assert_eq!(
            algos,
            [
                (Algorithm::DecisionTree, "wine-v1-DecisionTree"),
                (Algorithm::RandomForest, "wine-v2-RandomForest"),
                (Algorithm::GradientBoosting, "wine-v3-GradientBoosting"),
            ]
        );
        let tags: Vec<_> = tr
            .registered_model
            .tags
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(tags, ["dataset", "task", "team"]);
    }

    #[test]
    fn mnist_profiles_give_spec_and_quick_epochs() {
        let t = TaskSpec::load(&TaskSpec::find(&tasks_dir(), "mnist").unwrap()).unwrap();
        let Some(Training::Mlp(tr)) = &t.training else {
            panic!("mnist trains an MLP")
        };
        let full: Vec<_> = ["shallow", "medium", "deep"]
            .iter()
            .map(|k| tr.epochs_for("full", k).unwrap())
            .collect();
        assert_eq!(full, [50, 100, 150]);
        let quick: Vec<_> = ["shallow", "medium", "deep"]
            .iter()
            .map(|k| tr.epochs_for("quick", k).unwrap())
            .collect();
        assert_eq!(quick, [3, 2, 2]);
        let deep = tr.versions.iter().find(|v| v.key == "deep").unwrap();
        assert_eq!(deep.hidden, [512, 256, 128]);
        assert_eq!(deep.dropout, [0.2, 0.2, 0.1]);
        let err = tr.epochs_for("slow", "deep").unwrap_err().to_string();
        assert!(err.contains("full") && err.contains("quick"), "{err}");
    }

    #[test]
    fn unknown_task_lists_the_available_ones() {
        let err = TaskSpec::find(&tasks_dir(), "iris")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("iris")
                && err.contains("mnist, overall, registry-lab, wine, zoomcamp-hw2"),
            "{err}"
        );
    }

    const MINIMAL: &str = r#"
id = "t"
title = "T"
registered_model = "m"
[[versions]]
key = "a"
version = 1
title = "A"
keywords = ["alpha"]
[[rubric]]
id = "t.a"
title = "A"
points = 3
checks = [{ check = "version_registered", version = "a", weight = 3 }]
"#;

    #[test]
    fn minimal_file_parses() {
        let t = TaskSpec::parse(MINIMAL, "<test>").unwrap();
        assert_eq!(t.rubric[0].checks[0].id(), "version_registered:a");
    }

    #[test]
    fn unknown_key_names_its_path() {
        let text = MINIMAL.replace(
            "keywords = [\"alpha\"]",
            "keywords = [\"alpha\"]\nkeyword = 1",
        );
        let err = TaskSpec::parse(&text, "<test>").unwrap_err();
        match &err {
            TaskError::Parse { key, message, .. } => {
                assert_eq!(key, "versions[0].keyword");
                assert!(message.contains("unknown field `keyword`"), "{message}");
            }
            other => panic!("expected a parse error, got {other}"),
        }
    }

    #[test]
    fn unknown_key_in_a_check_is_refused() {
        let text = MINIMAL.replace("weight = 3 }", "weight = 3, wieght = 1 }");
        let err = TaskSpec::parse(&text, "<test>").unwrap_err().to_string();
        assert!(
            err.contains("rubric[0].checks[0]") && err.contains("wieght"),
            "{err}"
        );
    }

    #[test]
    fn wrong_type_names_its_path() {
        let text = MINIMAL.replace("points = 3", "points = \"three\"");
        let err = TaskSpec::parse(&text, "<test>").unwrap_err();
        match &err {
            TaskError::Parse { key, .. } => assert_eq!(key, "rubric[0].points"),
            other => panic!("expected a parse error, got {other}"),
        }
        assert!(err.to_string().contains("<test>"));
    }

    #[test]
    fn errors_inside_the_training_section_name_their_path() {
        let wine = std::fs::read_to_string(tasks_dir().join("wine.toml")).unwrap();
        let text = wine.replace("seed = 42", "seed = \"forty-two\"");
        match TaskSpec::parse(&text, "wine.toml").unwrap_err() {
            TaskError::Parse { key, .. } => assert_eq!(key, "training.sklearn.seed"),
            other => panic!("expected a parse error, got {other}"),
        }
        let text = wine.replace("training.sklearn", "training.keras");
        let err = TaskSpec::parse(&text, "wine.toml").unwrap_err().to_string();
        assert!(
            err.contains("keras") && err.contains("sklearn") && err.contains("mlp"),
            "{err}"
        );
        // Training tags must cover the tags the grader requires.
        let text = wine.replace(
            "tags = { model_type = \"decision_tree\", status = \"baseline\" }",
            "tags = { model_type = \"decision_tree\" }",
        );
        let err = TaskSpec::parse(&text, "wine.toml").unwrap_err().to_string();
        assert!(
            err.contains("training.versions.dt.tags") && err.contains("status"),
            "{err}"
        );
    }

    #[test]
    fn weights_must_add_up_to_points() {
        let text = MINIMAL.replace("points = 3", "points = 4");
        let err = TaskSpec::parse(&text, "<test>").unwrap_err().to_string();
        assert!(
            err.contains("rubric[0].checks") && err.contains("add up to 3"),
            "{err}"
        );
    }

    #[test]
    fn a_repeated_id_names_both_places() {
        let text = MINIMAL.replace(
            "[[rubric]]",
            "[[rubric]]\nid = \"t.a\"\ntitle = \"first\"\npoints = 1\nchecks = [{ check = \"version_registered\", version = \"a\", weight = 1 }]\n[[rubric]]",
        );
        let err = TaskSpec::parse(&text, "<test>").unwrap_err().to_string();
        assert!(
            err.contains("rubric[1].id") && err.contains("rubric[0].id") && err.contains("t.a"),
            "{err}"
        );
        // Two checks of one item that look at the same thing: results could not tell them apart.
        let text = MINIMAL.replace(
            "points = 3\nchecks = [{ check = \"version_registered\", version = \"a\", weight = 3 }]",
            "points = 3\nchecks = [{ check = \"version_registered\", version = \"a\", weight = 1 }, { check = \"run_params\", version = \"a\", weight = 1 }, { check = \"version_registered\", version = \"a\", weight = 1 }]",
        );
        let err = TaskSpec::parse(&text, "<test>").unwrap_err().to_string();
        assert!(
            err.contains("rubric[0].checks[2]")
                && err.contains("rubric[0].checks[0]")
                && err.contains("version_registered:a"),
            "{err}"
        );
        // The same check in two items is fine (each item is its own row).
        let every = TaskSpec::load_every(&tasks_dir()).unwrap();
        assert!(every.iter().any(|t| t.id == "day28-versioning"));
    }

    #[test]
    fn a_malformed_reference_section_names_its_key() {
        let pipeline = std::fs::read_to_string(tasks_dir().join("day28-pipeline.toml")).unwrap();
        let cases = [
            (
                "kind = \"run\"",
                "kind = \"train\"",
                "reference.steps[0]",
                "train",
            ),
            (
                "config = \"reference/day28-pipeline.yaml\"",
                "config = \"../../etc/passwd\"",
                "reference.steps[0].config",
                "inside the tasks folder",
            ),
            (
                "config = \"reference/day28-pipeline.yaml\"",
                "config = \"reference/day28-pipeline.yaml\"\nconfg = 1",
                "reference.steps[0]",
                "confg",
            ),
            (
                "config = \"reference/day28-pipeline.yaml\"",
                "config = \"reference/day28-pipeline.yaml\"\n[[reference.steps]]\nkind = \"promote\"\nmodel = \"m\"\nstage = \"Prod\"",
                "reference.steps[1].stage",
                "Production",
            ),
            (
                "config = \"reference/day28-pipeline.yaml\"",
                "config = \"reference/day28-pipeline.yaml\"\n[[reference.steps]]\nkind = \"promote\"\nmodel = \"m\"\nfrom = 2",
                "reference.steps[1].from",
                "earlier",
            ),
        ];
        for (from, to, key, words) in cases {
            assert!(pipeline.contains(from), "{from}");
            let text = pipeline.replace(from, to);
            let err = TaskSpec::parse(&text, "<test>").unwrap_err().to_string();
            assert!(err.contains(key) && err.contains(words), "{to}: {err}");
        }
        // A config that is not there is a task-file error naming the step's key.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.toml"), &pipeline).unwrap();
        let err = TaskSpec::load(&dir.path().join("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("reference.steps[0].config") && err.contains("day28-pipeline.yaml"),
            "{err}"
        );
    }

    #[test]
    fn check_naming_an_unknown_version_is_refused() {
        let text = MINIMAL.replace("version = \"a\"", "version = \"b\"");
        let err = TaskSpec::parse(&text, "<test>").unwrap_err().to_string();
        assert!(
            err.contains("rubric[0].checks[0]") && err.contains("`b`"),
            "{err}"
        );
    }
}
