//! Grades: rubric points from check results, with partial credit per item.
//!
//! An item earns the weights of its passing checks; manual checks earn nothing until a TA
//! scores them. A store that could not be read turns every automatic check into `error`
//! (with the reason) instead of failing the whole run, so one broken submission never stops
//! a class being graded. By construction points never exceed maxima: a check earns at most
//! its weight, and task files are validated so weights add up to the item's points.
//!
//! A TA's score for an item ([`TaScore`], merged by [`super::manual`]) is what its manual checks
//! earn together. Task files with a `scale_to` also give the grade a [`Scaled`] total beside
//! the raw points.

use serde::{Deserialize, Serialize};

use crate::grading::checks::{CheckResult, CheckStatus, Context, evaluate, evaluate_hand_in};
use crate::grading::evidence::HandInEvidence;
use crate::snapshot::Snapshot;
use crate::task::{RubricItem, TaskSpec};

/// `results.json` for one submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub submission: String,
    pub tasks: Vec<TaskGrade>,
    pub points: u32,
    pub max_points: u32,
    /// The raw points scaled to the total the task files state (`scale_to`); absent when no
    /// graded task has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaled: Option<Scaled>,
    /// When the store could not be read (a notebook handed in alone, a broken database): the
    /// items whose checks needed it, so the reports say at once what could not be earned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_store: Option<NeedsStore>,
}

/// What a grade could not earn for want of a readable MLflow store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedsStore {
    /// Why there is none (`no MLflow store in the hand-in`, the database's error).
    pub reason: String,
    /// The points of the checks that needed it, all items together.
    pub points: u32,
    pub items: Vec<StoreItem>,
}

/// One rubric item and the points of its checks that needed the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreItem {
    pub item: String,
    pub title: String,
    pub points: u32,
}

impl NeedsStore {
    /// The one line the reports show: `Needed the MLflow store, not earned (96 points):
    /// Data loading & preparation (wine.data) 4, …`.
    pub fn line(&self) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| format!("{} ({}) {}", i.title, i.item, i.points))
            .collect();
        format!(
            "Needed the MLflow store, so not earned ({} points): {}",
            self.points,
            items.join(", ")
        )
    }

    fn of(reason: &str, tasks: &[TaskSpec], graded: &[TaskGrade]) -> Option<NeedsStore> {
        let items: Vec<StoreItem> = tasks
            .iter()
            .zip(graded)
            .flat_map(|(spec, tg)| spec.rubric.iter().zip(&tg.items))
            .filter_map(|(item, ig)| {
                let points: u32 = item
                    .checks
                    .iter()
                    .zip(&ig.checks)
                    .filter(|(_, r)| r.status == CheckStatus::Error)
                    .map(|(c, _)| c.weight())
                    .sum();
                (points > 0).then(|| StoreItem {
                    item: item.id.clone(),
                    title: item.title.clone(),
                    points,
                })
            })
            .collect();
        (!items.is_empty()).then(|| NeedsStore {
            reason: reason.to_string(),
            points: items.iter().map(|i| i.points).sum(),
            items,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskGrade {
    pub task: String,
    pub points: u32,
    pub max_points: u32,
    /// This task's points scaled to its `scale_to`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaled: Option<Scaled>,
    pub items: Vec<ItemGrade>,
}

/// Points on the scale the course states, rounded to hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scaled {
    pub points: f64,
    pub max_points: f64,
}

impl Scaled {
    /// `points` of `max_points` as a share of `scale_to`.
    fn of(points: u32, max_points: u32, scale_to: f64) -> Scaled {
        let share = if max_points == 0 {
            0.0
        } else {
            f64::from(points) * scale_to / f64::from(max_points)
        };
        Scaled {
            points: hundredths(share),
            max_points: hundredths(scale_to),
        }
    }

    /// `12.5/41.2`-style text (trailing zeros dropped).
    pub fn text(&self) -> String {
        format!("{}/{}", number(self.points), number(self.max_points))
    }
}

fn hundredths(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A number with at most two decimals, without trailing zeros (`41.2`, `100`, `30.59`).
pub fn number(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A TA's score for the manual checks of one item (whole points, `0..=max_points`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaScore {
    pub points: u32,
    /// The weights of the item's manual checks.
    pub max_points: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    Pass,
    Partial,
    Fail,
    Manual,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemGrade {
    pub id: String,
    pub title: String,
    pub points: u32,
    pub max_points: u32,
    pub status: ItemStatus,
    pub checks: Vec<CheckResult>,
    /// The TA's score for the manual checks, once merged (`--manual`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ta: Option<TaScore>,
}

impl ItemGrade {
    /// Adds the TA's score for the manual checks: the item earns its automatic points plus the
    /// TA's, and its status counts the manual part as judged. Replaces an earlier TA score.
    pub(crate) fn set_ta(&mut self, ta: TaScore) {
        let automatic = self.points - self.ta.as_ref().map_or(0, |t| t.points);
        self.points = automatic.saturating_add(ta.points).min(self.max_points);
        self.ta = Some(ta);
        self.status = item_status(&self.checks, self.points, self.max_points, true);
    }
}

/// What one task is graded against: the store (or why it could not be read) and the rest of
/// the hand-in, with every task of the run for checks that refer to another.
#[derive(Clone, Copy)]
pub(crate) struct Inputs<'a> {
    pub(crate) snapshot: Result<&'a Snapshot, &'a str>,
    pub(crate) evidence: Option<&'a HandInEvidence>,
    pub(crate) tasks: &'a [TaskSpec],
}

/// Grades one task against a snapshot, or against the reason the store could not be read.
pub(crate) fn grade_task(spec: &TaskSpec, inputs: Inputs<'_>) -> TaskGrade {
    let ctx = inputs.snapshot.ok().map(|s| Context::new(spec, s));
    let items: Vec<ItemGrade> = spec
        .rubric
        .iter()
        .map(|item| grade_item(item, spec, ctx.as_ref(), inputs))
        .collect();
    let mut grade = TaskGrade {
        task: spec.id.clone(),
        points: 0,
        max_points: 0,
        scaled: None,
        items,
    };
    grade.total(spec);
    grade
}

impl TaskGrade {
    /// Sums the items (again, after a TA's scores) and scales the sum.
    fn total(&mut self, spec: &TaskSpec) {
        self.points = self.items.iter().map(|i| i.points).sum();
        self.max_points = self.items.iter().map(|i| i.max_points).sum();
        self.scaled = spec
            .scale_to
            .map(|s| Scaled::of(self.points, self.max_points, s));
    }
}

fn grade_item(
    item: &RubricItem,
    spec: &TaskSpec,
    ctx: Option<&Context<'_>>,
    inputs: Inputs<'_>,
) -> ItemGrade {
    let error = inputs.snapshot.err();
    let mut points = 0u32;
    let checks: Vec<CheckResult> = item
        .checks
        .iter()
        .map(|c| {
            let hand_in = match (c.reads_hand_in(), inputs.evidence) {
                // A store check the hand-in may satisfy too (data printed rather than logged).
                (false, Some(e)) => evaluate_hand_in(c, spec, inputs.tasks, Some(e), ctx),
                (false, None) => None,
                (true, Some(e)) => evaluate_hand_in(c, spec, inputs.tasks, Some(e), ctx),
                // Only a hand-in folder has notebooks and screenshots (a tracking server or a
                // store file given alone has none): these are the TA's then.
                (true, None) => Some(CheckResult {
                    id: c.id(),
                    status: CheckStatus::Manual,
                    message: "for the TA: read from a hand-in's files (grade the hand-in folder \
                              with --submissions to check it automatically)"
                        .into(),
                    evidence: Vec::new(),
                }),
            };
            let r = match (hand_in, ctx) {
                (Some(r), _) => r,
                (None, Some(ctx)) => evaluate(c, ctx),
                (None, None) if c.is_manual() => manual_without_store(c),
                (None, None) => CheckResult {
                    id: c.id(),
                    status: CheckStatus::Error,
                    message: format!(
                        "the store could not be read: {}",
                        error.unwrap_or("no snapshot")
                    ),
                    evidence: Vec::new(),
                },
            };
            if r.status == CheckStatus::Pass {
                points = points.saturating_add(c.weight());
            }
            r
        })
        .collect();
    let max_points = item.points;
    let points = points.min(max_points);
    let status = item_status(&checks, points, max_points, false);
    ItemGrade {
        id: item.id.clone(),
        title: item.title.clone(),
        points,
        max_points,
        status,
        checks,
        ta: None,
    }
}

fn manual_without_store(c: &crate::task::CheckSpec) -> CheckResult {
    let note = match c {
        crate::task::CheckSpec::Manual { note, .. } => note.as_str(),
        _ => "",
    };
    CheckResult {
        id: c.id(),
        status: CheckStatus::Manual,
        message: format!("for the TA: {note}"),
        evidence: Vec::new(),
    }
}

/// `ta_scored`: a TA has judged the manual checks, so an item of manual checks only is graded
/// like any other.
fn item_status(
    checks: &[CheckResult],
    points: u32,
    max_points: u32,
    ta_scored: bool,
) -> ItemStatus {
    if checks.iter().any(|c| c.status == CheckStatus::Error) {
        ItemStatus::Error
    } else if !ta_scored && checks.iter().all(|c| c.status == CheckStatus::Manual) {
        ItemStatus::Manual
    } else if points >= max_points {
        ItemStatus::Pass
    } else if points == 0 {
        // Every automatic check failed (a TA may still award the manual part).
        ItemStatus::Fail
    } else {
        ItemStatus::Partial
    }
}

/// Grades every task for one submission.
pub fn grade(
    submission: &str,
    tasks: &[TaskSpec],
    snapshot: Result<&Snapshot, &str>,
    evidence: Option<&HandInEvidence>,
) -> Grade {
    let inputs = Inputs {
        snapshot,
        evidence,
        tasks,
    };
    let graded: Vec<TaskGrade> = tasks.iter().map(|t| grade_task(t, inputs)).collect();
    let needs_store = snapshot
        .err()
        .and_then(|reason| NeedsStore::of(reason, tasks, &graded));
    let mut grade = Grade {
        submission: submission.to_string(),
        points: 0,
        max_points: 0,
        scaled: None,
        tasks: graded,
        needs_store,
    };
    grade.total(tasks);
    grade
}

impl Grade {
    /// Sums tasks and items again (after a TA's scores were set) and scales the totals: each
    /// task with a `scale_to` counts at its scaled points, one without at its raw points.
    pub(crate) fn total(&mut self, specs: &[TaskSpec]) {
        for t in &mut self.tasks {
            if let Some(spec) = specs.iter().find(|s| s.id == t.task) {
                t.total(spec);
            }
        }
        self.points = self.tasks.iter().map(|t| t.points).sum();
        self.max_points = self.tasks.iter().map(|t| t.max_points).sum();
        self.scaled = self.tasks.iter().any(|t| t.scaled.is_some()).then(|| {
            let (points, max_points) =
                self.tasks
                    .iter()
                    .fold((0.0, 0.0), |(p, m), t| match t.scaled {
                        Some(s) => (p + s.points, m + s.max_points),
                        None => (p + f64::from(t.points), m + f64::from(t.max_points)),
                    });
            Scaled {
                points: hundredths(points),
                max_points: hundredths(max_points),
            }
        });
    }

    pub(crate) fn task_mut(&mut self, id: &str) -> Option<&mut TaskGrade> {
        self.tasks.iter_mut().find(|t| t.task == id)
    }

    /// True when no automatic check failed or errored (manual ones are the TA's).
    pub fn all_automatic_passed(&self) -> bool {
        self.checks()
            .all(|c| matches!(c.status, CheckStatus::Pass | CheckStatus::Manual))
    }

    pub fn checks(&self) -> impl Iterator<Item = &CheckResult> {
        self.tasks
            .iter()
            .flat_map(|t| &t.items)
            .flat_map(|i| &i.checks)
    }

    pub fn task(&self, id: &str) -> Option<&TaskGrade> {
        self.tasks.iter().find(|t| t.task == id)
    }
}

impl TaskGrade {
    pub fn item(&self, id: &str) -> Option<&ItemGrade> {
        self.items.iter().find(|i| i.id == id)
    }

    pub(crate) fn item_mut(&mut self, id: &str) -> Option<&mut ItemGrade> {
        self.items.iter_mut().find(|i| i.id == id)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;
    use crate::snapshot::{MetricPoint, ModelVersion, RegisteredModel, Run};

    fn tasks() -> Vec<TaskSpec> {
        TaskSpec::load_all(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks")).unwrap()
    }

    /// (key, run name, version tags, run) of one reference version.
    type RefVersion = (String, String, BTreeMap<String, String>, Run);

    /// What `harness run` is expected to leave behind if it logs what the task files say:
    /// this is the contract between the reference run and the grader.
    fn reference_like(spec: &TaskSpec, accs: &[f64]) -> Snapshot {
        use crate::snapshot::{ArtifactSummary, Experiment, MlModelSummary, Signature};
        use crate::task::Training;
        let model = spec.registered_model.clone().unwrap();
        let mut s = Snapshot::default();
        s.experiments.push(Experiment {
            id: "1".into(),
            name: spec.experiment.clone().unwrap(),
            lifecycle_stage: "active".into(),
            ..Experiment::default()
        });
        let (setup, versions): (_, Vec<RefVersion>) = match spec.training.as_ref().unwrap() {
            Training::Sklearn(t) => (
                t.registered_model.clone(),
                t.versions
                    .iter()
                    .zip(accs)
                    .map(|(v, acc)| {
                        let mut run = Run::default();
                        run.params
                            .insert("algorithm".into(), v.algorithm.name().into());
                        run.params
                            .insert("test_size".into(), t.test_size.to_string());
                        if let Some(n) = v.n_estimators {
                            run.params.insert("n_estimators".into(), n.to_string());
                        }
                        run.metrics.insert("accuracy".into(), *acc);
                        run.metrics.insert("f1".into(), *acc);
                        (v.key.clone(), v.run_name.clone(), v.tags.clone(), run)
                    })
                    .collect(),
            ),
            Training::Mlp(t) => (
                t.registered_model.clone(),
                t.versions
                    .iter()
                    .zip(accs)
                    .map(|(v, acc)| {
                        let epochs = t.epochs_for("quick", &v.key).unwrap();
                        let mut run = Run::default();
                        for (j, h) in v.hidden.iter().enumerate() {
                            run.params
                                .insert(format!("hidden_size_{}", j + 1), h.to_string());
                        }
                        for (k, val) in [
                            ("dropout_rate", v.dropout[0].to_string()),
                            ("learning_rate", v.learning_rate.to_string()),
                            ("batch_size", v.batch_size.to_string()),
                            ("num_epochs", epochs.to_string()),
                            ("optimizer", t.optimizer.clone()),
                            ("loss_function", t.loss.clone()),
                            ("train_samples", "7000".into()),
                        ] {
                            run.params.insert(k.into(), val);
                        }
                        let series = |every: u32| -> Vec<MetricPoint> {
                            (0..i64::from(epochs))
                                .filter(|e| e % i64::from(every) == 0)
                                .map(|step| MetricPoint {
                                    step,
                                    timestamp: step,
                                    value: *acc,
                                })
                                .collect()
                        };
                        for k in ["train_loss", "train_accuracy"] {
                            run.histories.insert(k.into(), series(1));
                        }
                        for k in ["test_loss", "test_accuracy"] {
                            run.histories.insert(k.into(), series(t.test_every));
                        }
                        run.metrics = crate::snapshot::latest_metrics(&run.histories);
                        for k in ["final_test_accuracy", "final_test_loss", "model_size_mb"] {
                            run.metrics.insert(k.into(), *acc);
                        }
                        let tags = v
                            .tags
                            .iter()
                            .map(|(k, val)| (k.clone(), val.replace(['{', '}'], "")))
                            .collect();
                        (v.key.clone(), v.run_name.clone(), tags, run)
                    })
                    .collect(),
            ),
        };
        let mut rm = RegisteredModel {
            name: model.clone(),
            description: Some(setup.description),
            tags: setup.tags,
            ..RegisteredModel::default()
        };
        let mut acc_by_version = BTreeMap::new();
        for (i, (_key, run_name, tags, mut run)) in versions.into_iter().enumerate() {
            let n = i as u32 + 1;
            run.id = format!("run{n}");
            run.experiment_id = "1".into();
            run.name = Some(run_name);
            run.lifecycle_stage = "active".into();
            acc_by_version.insert(n, accs[i]);
            s.model_versions.push(ModelVersion {
                name: model.clone(),
                version: n,
                run_id: Some(run.id.clone()),
                tags,
                status: Some("READY".into()),
                artifact: ArtifactSummary {
                    mlmodel: Some(MlModelSummary {
                        flavors: vec!["onnx".into(), "python_function".into()],
                        loader_module: Some("mlflow.onnx".into()),
                        signature: Some(Signature {
                            inputs: Some("[]".into()),
                            outputs: Some("[]".into()),
                        }),
                        ..MlModelSummary::default()
                    }),
                    ..ArtifactSummary::default()
                },
                ..ModelVersion::default()
            });
            s.runs.push(run);
        }
        let baseline = spec
            .alias_rule("baseline")
            .unwrap()
            .version
            .clone()
            .unwrap();
        let base_n = spec
            .versions
            .iter()
            .position(|v| v.key == baseline)
            .unwrap() as u32
            + 1;
        rm.aliases.insert("baseline".into(), base_n);
        let champion = *crate::grading::checks::rank_candidates(&acc_by_version, 1, &[], 1e-9)
            .first()
            .unwrap();
        let staging =
            *crate::grading::checks::rank_candidates(&acc_by_version, 2, &[champion], 1e-9)
                .last()
                .unwrap();
        rm.aliases.insert("champion".into(), champion);
        rm.aliases.insert("staging".into(), staging);
        s.registered_models.push(rm);
        s.normalize();
        s
    }

    #[test]
    fn a_run_that_follows_the_task_files_earns_every_automatic_point() {
        let all = tasks();
        for (name, accs) in [
            ("wine", [34.0 / 36.0, 1.0, 34.0 / 36.0]),
            ("mnist", [0.95, 0.97, 0.98]),
        ] {
            let spec = all.iter().find(|t| t.id == name).unwrap();
            let snap = reference_like(spec, &accs);
            let g = grade_task(
                spec,
                Inputs {
                    snapshot: Ok(&snap),
                    evidence: None,
                    tasks: std::slice::from_ref(spec),
                },
            );
            let failed: Vec<_> = g
                .items
                .iter()
                .flat_map(|i| &i.checks)
                .filter(|c| c.status != CheckStatus::Pass && c.status != CheckStatus::Manual)
                .collect();
            assert!(failed.is_empty(), "{name}: {failed:#?}");
            assert_eq!((g.points, g.max_points), (52, 70), "{name}");
        }
    }

    #[test]
    fn ta_scores_add_to_the_automatic_points_and_scale() {
        let all = tasks();
        let mut g = grade("s", &all, Err("no store"), None);
        assert_eq!((g.points, g.max_points), (0, 170));
        assert_eq!(g.scaled.map(|s| s.max_points), Some(100.0));
        let item = g
            .task_mut("overall")
            .unwrap()
            .item_mut("overall.tables")
            .unwrap();
        assert_eq!(item.status, ItemStatus::Manual);
        item.set_ta(TaScore {
            points: 7,
            max_points: 10,
            comment: "ok".into(),
        });
        assert_eq!((item.points, item.status), (7, ItemStatus::Partial));
        // A second score replaces the first.
        item.set_ta(TaScore {
            points: 10,
            max_points: 10,
            comment: String::new(),
        });
        assert_eq!((item.points, item.status), (10, ItemStatus::Pass));
        g.total(&all);
        assert_eq!(g.points, 10);
        let overall = g.task("overall").unwrap();
        assert_eq!(overall.scaled.unwrap().text(), "5.87/17.6");
        assert_eq!(g.scaled.unwrap().text(), "5.87/100");
    }

    // ----- property tests: arbitrary snapshots never panic and never exceed maxima.

    fn arb_version(model: &'static str) -> impl Strategy<Value = (ModelVersion, Run)> {
        (
            1u32..6,
            prop::sample::select(vec!["DecisionTree", "rf", "GB", "shallow", "deep", "x"]),
            prop::option::of(prop_oneof![0.0f64..120.0, proptest::num::f64::ANY]),
            any::<bool>(),
            0usize..4,
        )
            .prop_map(move |(n, kind, acc, tagged, epochs)| {
                let run_id = format!("r{n}");
                let mut run = Run {
                    id: run_id.clone(),
                    experiment_id: "1".into(),
                    name: Some(format!("{kind}-{n}")),
                    ..Run::default()
                };
                if let Some(a) = acc {
                    run.metrics.insert("accuracy".into(), a);
                    run.metrics.insert("final_test_accuracy".into(), a);
                }
                run.params.insert("num_epochs".into(), epochs.to_string());
                run.histories.insert(
                    "train_loss".into(),
                    (0..epochs as i64)
                        .map(|s| MetricPoint {
                            step: s,
                            timestamp: 0,
                            value: 1.0,
                        })
                        .collect(),
                );
                let mut v = ModelVersion {
                    name: model.into(),
                    version: n,
                    run_id: Some(run_id),
                    ..ModelVersion::default()
                };
                if tagged {
                    v.tags.insert("model_type".into(), kind.into());
                    v.tags.insert("status".into(), String::new());
                }
                (v, run)
            })
    }

    fn arb_snapshot() -> impl Strategy<Value = Snapshot> {
        (
            prop::collection::vec(arb_version("wine-quality-classifier"), 0..5),
            prop::collection::vec(arb_version("mnist-digit-classifier"), 0..4),
            prop::collection::btree_map(
                prop::sample::select(vec!["baseline", "champion", "staging", "x"]),
                0u32..7,
                0..4,
            ),
            any::<bool>(),
            ".{0,60}",
        )
            .prop_map(|(wine, mnist, aliases, stages, description)| {
                let mut s = Snapshot::default();
                for (name, vs) in [
                    ("wine-quality-classifier", wine),
                    ("mnist-digit-classifier", mnist),
                ] {
                    s.registered_models.push(RegisteredModel {
                        name: name.into(),
                        description: Some(format!("{description} DecisionTree shallow")),
                        aliases: aliases
                            .iter()
                            .map(|(a, v)| (a.to_string(), *v))
                            .collect::<BTreeMap<_, _>>(),
                        ..RegisteredModel::default()
                    });
                    for (mut v, r) in vs {
                        if stages {
                            v.current_stage = Some("Production".into());
                        }
                        s.model_versions.push(v);
                        s.runs.push(r);
                    }
                }
                s.normalize();
                s
            })
    }

    proptest! {
        #[test]
        fn grading_never_panics_and_stays_within_maxima(snap in arb_snapshot()) {
            let tasks = tasks();
            let g = grade("prop", &tasks, Ok(&snap), None);
            prop_assert!(g.points <= g.max_points);
            prop_assert_eq!(g.max_points, 170);
            for t in &g.tasks {
                prop_assert!(t.points <= t.max_points);
                for i in &t.items {
                    prop_assert!(i.points <= i.max_points);
                    prop_assert!(i.checks.iter().all(|c| c.status != CheckStatus::Error));
                }
            }
            prop_assert_eq!(g.points, g.tasks.iter().map(|t| t.points).sum::<u32>());
        }
    }
}
