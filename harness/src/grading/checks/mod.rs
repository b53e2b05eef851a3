//! Checks: pure functions from a task spec and a [`Snapshot`] to a result with evidence.
//!
//! Nothing here does I/O, so every rule can be unit- and property-tested on hand-made
//! snapshots. The task-level facts several checks share (which registered version is which
//! expected model, each version's accuracy as a fraction) are computed once in [`Context`].
//!
//! One file per concern: [`identify`] (which version is which, accuracies), [`runs`],
//! [`registry`] and [`aliases`] (tie-aware: [`rank_candidates`]). This file holds the verdict
//! types and the dispatcher, [`evaluate`].

mod aliases;
#[cfg(test)]
mod general_tests;
mod handin;
mod identify;
mod promotion;
mod registry;
mod runs;
mod select;
mod tracking;

use serde::{Deserialize, Serialize};

pub use aliases::rank_candidates;
use aliases::{alias_check, alias_loadable};
pub use identify::{Accuracy, Context, Identified, keyword_matches, normalize};
use registry::{description, model_artifact, model_tags, registered_model_exists, version_tags};
use runs::{
    accuracy_band, data_logged, experiment_exists, metric_history, run_metrics, run_params,
    with_run,
};

use crate::task::CheckSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Fail,
    Manual,
    Error,
}

/// One check's verdict; `evidence` lines say what was looked at, so a TA can verify it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub status: CheckStatus,
    pub message: String,
    pub evidence: Vec<String>,
}

impl CheckResult {
    fn new(id: String, pass: bool, message: impl Into<String>, evidence: Vec<String>) -> Self {
        Self {
            id,
            status: if pass {
                CheckStatus::Pass
            } else {
                CheckStatus::Fail
            },
            message: message.into(),
            evidence,
        }
    }
}

/// Evaluates a check that reads the hand-in's files (see [`CheckSpec::reads_hand_in`]);
/// `None` for the others. `ctx` is the store's, when there is one; `tasks` are all the tasks
/// being graded (a comparison table names the task it compares).
pub fn evaluate_hand_in(
    check: &CheckSpec,
    spec: &crate::task::TaskSpec,
    tasks: &[crate::task::TaskSpec],
    evidence: Option<&crate::grading::evidence::HandInEvidence>,
    ctx: Option<&Context<'_>>,
) -> Option<CheckResult> {
    let id = check.id();
    Some(match check {
        CheckSpec::CodeCall { call, args, .. } => handin::code_call(id, call, args, evidence),
        CheckSpec::Shown { what, numbers, .. } => handin::shown(id, what, numbers, evidence, ctx),
        CheckSpec::ModelLoaded { alias, .. } => {
            handin::model_loaded(id, alias.as_deref(), spec, evidence)
        }
        CheckSpec::PredictionsShown {
            count, confidence, ..
        } => handin::predictions_shown(id, *count, *confidence, evidence),
        CheckSpec::ComparisonTable { task, .. } => {
            let other = tasks.iter().find(|t| &t.id == task);
            let other_ctx = match (other, ctx) {
                (Some(t), Some(c)) => Some(Context::new(t, c.snapshot)),
                _ => None,
            };
            handin::comparison_table(id, other, evidence, other_ctx.as_ref())
        }
        CheckSpec::Screenshots { min, .. } => handin::screenshots(id, *min, evidence),
        // Recorded when logged or printed: a hand-in's printing counts too.
        CheckSpec::DataLogged { .. } => return handin::data_recorded(id, spec, evidence?, ctx),
        _ => return None,
    })
}

/// Evaluates one check. `ctx` is built once per task and snapshot.
pub fn evaluate(check: &CheckSpec, ctx: &Context<'_>) -> CheckResult {
    let id = check.id();
    match check {
        CheckSpec::Manual { note, .. } => CheckResult {
            id,
            status: CheckStatus::Manual,
            message: format!("for the TA: {note}"),
            evidence: Vec::new(),
        },
        CheckSpec::ExperimentExists { .. } => experiment_exists(id, ctx),
        CheckSpec::DataLogged { .. } => data_logged(id, ctx),
        CheckSpec::RegisteredModelExists { .. } => registered_model_exists(id, ctx),
        CheckSpec::Description { .. } => description(id, ctx),
        CheckSpec::ModelTags { .. } => model_tags(id, ctx),
        CheckSpec::VersionTags { .. } => version_tags(id, ctx),
        CheckSpec::VersionRegistered { version, .. } => match ctx.identified.get(version) {
            Some(ident) => CheckResult::new(
                id,
                ident.version.status.as_deref().is_none_or(|s| s == "READY"),
                format!("{} is registered", title(ctx, version)),
                vec![ident.how.clone()],
            ),
            None => not_identified(id, ctx, version),
        },
        CheckSpec::RunParams { version, .. } => with_run(id, ctx, version, run_params),
        CheckSpec::RunMetrics { version, .. } => with_run(id, ctx, version, run_metrics),
        CheckSpec::MetricHistory { version, .. } => with_run(id, ctx, version, metric_history),
        CheckSpec::AccuracyBand { version, .. } => accuracy_band(id, ctx, version),
        CheckSpec::ModelArtifact { version, .. } => match ctx.identified.get(version) {
            Some(ident) => model_artifact(id, ident.version),
            None => not_identified(id, ctx, version),
        },
        CheckSpec::Alias { alias, .. } => alias_check(id, ctx, alias),
        CheckSpec::AliasLoadable { alias, .. } => alias_loadable(id, ctx, alias),
        // Graded with the hand-in's files, without them nothing can be said.
        CheckSpec::CodeCall { .. }
        | CheckSpec::Shown { .. }
        | CheckSpec::ModelLoaded { .. }
        | CheckSpec::PredictionsShown { .. }
        | CheckSpec::ComparisonTable { .. }
        | CheckSpec::Screenshots { .. } => evaluate_hand_in(check, ctx.spec, &[], None, Some(ctx))
            .unwrap_or_else(|| CheckResult::new(id, false, "not a hand-in check", Vec::new())),
        CheckSpec::Experiment(c) => tracking::experiment(id, ctx, c),
        CheckSpec::RunCount(c) => tracking::run_count(id, ctx, c),
        CheckSpec::Params(c) => tracking::params(id, ctx, c),
        CheckSpec::ParamGrid(c) => tracking::param_grid(id, ctx, c),
        CheckSpec::Autologged(c) => tracking::autologged(id, ctx, c),
        CheckSpec::Metric(c) => tracking::metric(id, ctx, c),
        CheckSpec::Artifact(c) => tracking::artifact(id, ctx, c),
        CheckSpec::LoggedModel(c) => tracking::logged_model(id, ctx, c),
        CheckSpec::NestedRuns(c) => tracking::nested_runs(id, ctx, c),
        CheckSpec::BestRun(c) => promotion::best_run(id, ctx, c),
        CheckSpec::Registered(c) => promotion::registered(id, ctx, c),
        CheckSpec::ModelVersion(c) => promotion::model_version(id, ctx, c),
    }
}

fn title(ctx: &Context<'_>, key: &str) -> String {
    ctx.spec
        .version(key)
        .map_or_else(|| key.to_string(), |v| v.title.clone())
}

fn not_identified(id: String, ctx: &Context<'_>, key: &str) -> CheckResult {
    let present: Vec<String> = ctx
        .versions
        .iter()
        .map(|v| {
            let kind = ctx
                .kind_of
                .get(&v.version)
                .map_or("unrecognised", String::as_str);
            format!("v{} ({kind})", v.version)
        })
        .collect();
    let msg = match ctx.model {
        None => format!(
            "registered model `{}` not found, so no {} version",
            ctx.model_name(),
            title(ctx, key)
        ),
        Some(_) => format!("no registered version is recognisably {}", title(ctx, key)),
    };
    CheckResult::new(
        id,
        false,
        msg,
        vec![format!("versions present: {}", join_or_none(&present))],
    )
}

fn join_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::snapshot::Snapshot;
    use crate::task::TaskSpec;
    use proptest::prelude::*;

    #[test]
    fn keywords_match_how_students_write_names() {
        for text in [
            "DecisionTree",
            "decision_tree",
            "Decision Tree",
            "DecisionTreeClassifier",
        ] {
            assert!(keyword_matches("decisiontree", text), "{text}");
        }
        assert!(keyword_matches("dt", "wine-v1-DT"));
        assert!(keyword_matches("dt", "model_DT"));
        assert!(!keyword_matches("dt", "gradient"));
        assert!(!keyword_matches("rf", "perf"));
        assert!(keyword_matches("gb", "GB"));
        assert!(!keyword_matches("", "anything"));
    }

    fn accs(v: &[(u32, f64)]) -> BTreeMap<u32, f64> {
        v.iter().copied().collect()
    }

    #[test]
    fn wine_tie_accepts_either_staging() {
        let a = accs(&[(1, 34.0 / 36.0), (2, 1.0), (3, 34.0 / 36.0)]);
        assert_eq!(rank_candidates(&a, 1, &[], 1e-6), BTreeSet::from([2]));
        assert_eq!(rank_candidates(&a, 2, &[2], 1e-6), BTreeSet::from([1, 3]));
        // The homework's expected champion (v3) is not a valid champion here.
        assert!(!rank_candidates(&a, 1, &[], 1e-6).contains(&3));
    }

    #[test]
    fn tie_at_the_top_lets_the_other_be_staging() {
        let a = accs(&[(1, 0.9), (2, 1.0), (3, 1.0)]);
        assert_eq!(rank_candidates(&a, 1, &[], 0.0), BTreeSet::from([2, 3]));
        assert_eq!(rank_candidates(&a, 2, &[3], 0.0), BTreeSet::from([2]));
        assert_eq!(rank_candidates(&a, 2, &[], 0.0), BTreeSet::from([2, 3]));
    }

    fn perfect() -> Snapshot {
        let db = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/submissions/perfect/mlflow.db");
        crate::source::sqlite::load(&db).unwrap()
    }

    fn task(name: &str) -> TaskSpec {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
        TaskSpec::load(&TaskSpec::find(&dir, name).unwrap()).unwrap()
    }

    fn run_check(spec: &TaskSpec, snap: &Snapshot, check: &str) -> CheckResult {
        let c = spec
            .rubric
            .iter()
            .flat_map(|i| &i.checks)
            .find(|c| c.id() == check)
            .unwrap_or_else(|| panic!("no check {check}"));
        evaluate(c, &Context::new(spec, snap))
    }

    #[test]
    fn stages_are_accepted_where_the_task_allows_them() {
        let spec = task("wine");
        let mut snap = perfect();
        let rm = snap
            .registered_models
            .iter_mut()
            .find(|m| m.name == "wine-quality-classifier")
            .unwrap();
        rm.aliases.retain(|a, _| a == "baseline");
        for v in &mut snap.model_versions {
            if v.name == "wine-quality-classifier" {
                v.current_stage = Some(match v.version {
                    2 => "Production".into(),
                    3 => "Staging".into(),
                    _ => "None".into(),
                });
            }
        }
        for id in ["alias:champion", "alias:staging", "alias_loadable:champion"] {
            let r = run_check(&spec, &snap, id);
            assert_eq!(r.status, CheckStatus::Pass, "{id}: {}", r.message);
            assert!(r.message.contains("stage"), "{id}: {}", r.message);
        }
        // A wrong stage is still wrong.
        for v in &mut snap.model_versions {
            if v.name == "wine-quality-classifier" && v.version == 3 {
                v.current_stage = Some("Production".into());
            }
            if v.name == "wine-quality-classifier" && v.version == 2 {
                v.current_stage = Some("Archived".into());
            }
        }
        assert_eq!(
            run_check(&spec, &snap, "alias:champion").status,
            CheckStatus::Fail
        );
    }

    #[test]
    fn a_missing_signature_costs_the_artifact_check_not_the_loading_check() {
        let spec = task("wine");
        let mut snap = perfect();
        for v in &mut snap.model_versions {
            if v.name == "wine-quality-classifier" && v.version == 2 {
                v.artifact.mlmodel.as_mut().unwrap().signature = None;
            }
        }
        let art = run_check(&spec, &snap, "model_artifact:rf");
        assert_eq!(art.status, CheckStatus::Fail);
        assert!(art.message.contains("no signature"), "{}", art.message);
        let load = run_check(&spec, &snap, "alias_loadable:champion");
        assert_eq!(load.status, CheckStatus::Pass, "{}", load.message);
        assert!(load.message.contains("mlflow.sklearn"), "{}", load.message);
    }

    #[test]
    fn a_missing_version_is_not_charged_again_for_tags() {
        let spec = task("wine");
        let mut snap = perfect();
        snap.model_versions
            .retain(|v| !(v.name == "wine-quality-classifier" && v.version == 3));
        assert_eq!(
            run_check(&spec, &snap, "version_registered:gb").status,
            CheckStatus::Fail
        );
        let tags = run_check(&spec, &snap, "version_tags");
        assert_eq!(tags.status, CheckStatus::Pass, "{}", tags.message);
        assert!(
            tags.evidence.iter().any(|e| e.contains("GradientBoosting")),
            "{:?}",
            tags.evidence
        );
    }

    #[test]
    fn unnamed_versions_fall_back_to_their_number_and_say_so() {
        let spec = task("wine");
        let mut snap = perfect();
        let runs: BTreeSet<String> = snap
            .versions_of("wine-quality-classifier")
            .filter_map(|v| v.run_id.clone())
            .collect();
        for v in &mut snap.model_versions {
            v.tags.clear();
        }
        for r in &mut snap.runs {
            if runs.contains(&r.id) {
                r.name = Some("bold-cat-42".into());
                r.params.remove("model_type");
                r.tags.clear();
            }
        }
        let r = run_check(&spec, &snap, "version_registered:gb");
        assert_eq!(r.status, CheckStatus::Pass);
        assert!(
            r.evidence[0].contains("by its number only"),
            "{:?}",
            r.evidence
        );
        assert_eq!(
            run_check(&spec, &snap, "version_tags").status,
            CheckStatus::Fail
        );
    }

    #[test]
    fn short_epoch_series_fails_and_names_the_metric() {
        let spec = task("mnist");
        let mut snap = perfect();
        let deep_run = snap
            .versions_of("mnist-digit-classifier")
            .find(|v| v.version == 3)
            .and_then(|v| v.run_id.clone())
            .unwrap();
        let run = snap.runs.iter_mut().find(|r| r.id == deep_run).unwrap();
        run.histories.get_mut("train_loss").unwrap().truncate(3);
        let r = run_check(&spec, &snap, "metric_history:deep");
        assert_eq!(r.status, CheckStatus::Fail);
        assert!(r.message.contains("train_loss"), "{}", r.message);
        assert!(
            r.evidence
                .iter()
                .any(|e| e == "train_loss: 3 steps (at least 6)"),
            "{:?}",
            r.evidence
        );
        assert_eq!(
            run_check(&spec, &snap, "metric_history:shallow").status,
            CheckStatus::Pass
        );
    }

    #[test]
    fn a_registry_left_incomplete_by_an_interrupted_run_is_a_problem() {
        let spec = task("wine");
        let mut snap = perfect();
        assert_eq!(
            run_check(&spec, &snap, "registered_model_exists").status,
            CheckStatus::Pass
        );
        let m = snap
            .registered_models
            .iter_mut()
            .find(|m| m.name == "wine-quality-classifier")
            .unwrap();
        m.tags
            .insert(crate::mlflow::INCOMPLETE_TAG.into(), "publishing".into());
        let r = run_check(&spec, &snap, "registered_model_exists");
        assert_eq!(r.status, CheckStatus::Fail);
        assert!(r.message.contains("is incomplete"), "{}", r.message);
        assert!(r.message.contains("harness.incomplete"), "{}", r.message);
        assert!(
            r.evidence.iter().any(|e| e.contains("publishing")),
            "{:?}",
            r.evidence
        );
    }

    #[test]
    fn a_logged_accuracy_that_is_no_number_in_range_is_named() {
        let spec = task("wine");
        for (value, said) in [
            (f64::NAN, "accuracy is NaN"),
            (
                f64::INFINITY,
                "accuracy is inf, not a fraction (0–1) or percent (0–100)",
            ),
            (
                f64::NEG_INFINITY,
                "accuracy is -inf, not a fraction (0–1) or percent (0–100)",
            ),
            (
                1e308,
                "accuracy is 1e308, not a fraction (0–1) or percent (0–100)",
            ),
            (
                -0.5,
                "accuracy is -0.5, not a fraction (0–1) or percent (0–100)",
            ),
            (
                250.0,
                "accuracy is 250, not a fraction (0–1) or percent (0–100)",
            ),
        ] {
            let mut snap = perfect();
            for r in &mut snap.runs {
                if let Some(a) = r.metrics.get_mut("accuracy") {
                    *a = value;
                }
            }
            let m = run_check(&spec, &snap, "run_metrics:dt");
            assert_eq!(m.status, CheckStatus::Fail);
            assert!(m.message.contains(said), "{value}: {}", m.message);
            assert!(!m.message.contains("no accuracy"), "{}", m.message);
            let a = run_check(&spec, &snap, "alias:champion");
            assert!(
                a.evidence.iter().any(|e| e.contains(said)),
                "{value}: {:?}",
                a.evidence
            );
        }
    }

    #[test]
    fn missing_accuracy_makes_rank_aliases_undeterminable() {
        let spec = task("wine");
        let mut snap = perfect();
        for r in &mut snap.runs {
            r.metrics.remove("accuracy");
        }
        let m = run_check(&spec, &snap, "run_metrics:dt");
        assert_eq!(m.status, CheckStatus::Fail);
        assert!(m.message.contains("no accuracy"), "{}", m.message);
        let a = run_check(&spec, &snap, "alias:champion");
        assert_eq!(a.status, CheckStatus::Fail);
        assert!(a.message.contains("not determinable"), "{}", a.message);
        // The fixed-version alias does not need accuracies.
        assert_eq!(
            run_check(&spec, &snap, "alias:baseline").status,
            CheckStatus::Pass
        );
    }

    /// Brute force: every ordering by non-increasing accuracy, `fixed` first, `v` at `rank`.
    fn oracle(a: &BTreeMap<u32, f64>, rank: usize, fixed: &[u32]) -> BTreeSet<u32> {
        fn perms(items: Vec<u32>) -> Vec<Vec<u32>> {
            if items.len() <= 1 {
                return vec![items];
            }
            let mut out = Vec::new();
            for i in 0..items.len() {
                let mut rest = items.clone();
                let x = rest.remove(i);
                for mut p in perms(rest) {
                    p.insert(0, x);
                    out.push(p);
                }
            }
            out
        }
        let mut out = BTreeSet::new();
        for p in perms(a.keys().copied().collect()) {
            let sorted = p.windows(2).all(|w| a[&w[0]] >= a[&w[1]]);
            if sorted && p.len() >= rank && p.starts_with(fixed) {
                out.insert(p[rank - 1]);
            }
        }
        out
    }

    proptest! {
        #[test]
        fn rank_candidates_match_the_oracle(
            values in proptest::collection::vec(0u8..4, 1..6),
            rank in 1usize..4,
            fix_champion in any::<bool>(),
        ) {
            let a: BTreeMap<u32, f64> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as u32 + 1, f64::from(*v) / 36.0 + 0.9))
                .collect();
            let fixed: Vec<u32> = if fix_champion && rank > 1 {
                // Any valid champion.
                rank_candidates(&a, 1, &[], 1e-9).into_iter().take(1).collect()
            } else {
                Vec::new()
            };
            prop_assert_eq!(rank_candidates(&a, rank, &fixed, 1e-9), oracle(&a, rank, &fixed));
        }

        #[test]
        fn invalid_fixed_prefix_gives_nothing(values in proptest::collection::vec(0u8..4, 2..6)) {
            let a: BTreeMap<u32, f64> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as u32 + 1, f64::from(*v)))
                .collect();
            for v in a.keys() {
                let got = rank_candidates(&a, 2, &[*v], 0.0);
                prop_assert_eq!(got, oracle(&a, 2, &[*v]));
            }
        }
    }
}
