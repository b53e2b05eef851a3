//! What the general checks look at: experiments and models by name or pattern, runs by filter,
//! and the runs a marker (a tag, a registered version, an alias, a stage) points at.

use std::collections::BTreeSet;

use super::Context;
use crate::snapshot::{Experiment, ModelVersion, RegisteredModel, Run, Snapshot};
use crate::task::general::{Marker, RunFilter, RunLevel};

/// MLflow's tag on a child run naming its parent.
pub(super) const PARENT_TAG: &str = "mlflow.parentRunId";

/// The stage MLflow gives a soft-deleted version left in the database.
const DELETED_STAGE: &str = "Deleted_Internal";

/// `*` matches any text (slashes included), `?` one character; anything else itself.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matcher with one backtrack point: linear in practice, never exponential.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Active experiments whose name matches `pattern`.
pub(super) fn experiments<'a>(snap: &'a Snapshot, pattern: &str) -> Vec<&'a Experiment> {
    snap.experiments
        .iter()
        .filter(|e| e.lifecycle_stage != "deleted" && glob_match(pattern, &e.name))
        .collect()
}

/// The runs a filter selects, with a line saying where they came from.
pub(super) struct Selection<'a> {
    pub(super) runs: Vec<&'a Run>,
    pub(super) evidence: String,
}

pub(super) fn is_child(run: &Run) -> bool {
    run.tags.get(PARENT_TAG).is_some_and(|p| !p.is_empty())
}

pub(super) fn select<'a>(ctx: &Context<'a>, filter: &RunFilter) -> Selection<'a> {
    let snap = ctx.snapshot;
    let pattern = filter
        .experiment
        .as_deref()
        .or(ctx.spec.experiment.as_deref());
    let exps = experiments(snap, pattern.unwrap_or("*"));
    let mut all = 0;
    let mut runs = Vec::new();
    for e in &exps {
        for r in snap.runs_in(&e.id) {
            all += 1;
            let level_ok = match filter.level {
                RunLevel::Any => true,
                RunLevel::Parent => !is_child(r),
                RunLevel::Child => is_child(r),
            };
            let params_ok = filter
                .params
                .iter()
                .all(|p| super::identify::find_key(&r.params, p).is_some());
            let metrics_ok = filter.metrics.iter().all(|m| {
                super::identify::find_key(&r.metrics, m).is_some_and(|(_, v)| v.is_finite())
            });
            if level_ok && params_ok && metrics_ok && (!filter.finished || r.status == "FINISHED") {
                runs.push(r);
            }
        }
    }
    let names: Vec<String> = exps.iter().map(|e| format!("`{}`", e.name)).collect();
    let mut how = Vec::new();
    if filter.finished {
        how.push("finished");
    }
    let with = format!("with params {}", filter.params.join(", "));
    if !filter.params.is_empty() {
        how.push(&with);
    }
    let logged = format!("with metrics {}", filter.metrics.join(", "));
    if !filter.metrics.is_empty() {
        how.push(&logged);
    }
    match filter.level {
        RunLevel::Any => {}
        RunLevel::Parent => how.push("parent"),
        RunLevel::Child => how.push("child"),
    }
    let evidence = match (pattern, names.is_empty()) {
        (Some(p), true) => format!("no experiment matches `{p}`"),
        _ => format!(
            "{} of {all} runs{} in {}",
            runs.len(),
            if how.is_empty() {
                String::new()
            } else {
                format!(" ({})", how.join(", "))
            },
            if pattern.is_some() {
                names.join(", ")
            } else {
                "all experiments".into()
            }
        ),
    };
    Selection { runs, evidence }
}

pub(super) fn run_label(run: &Run) -> String {
    match &run.name {
        Some(n) => format!("run `{n}` ({})", short(&run.id)),
        None => format!("run {}", short(&run.id)),
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// Registered models matching `pattern` (the task's model, or every model, when absent).
pub(super) fn models<'a>(ctx: &Context<'a>, pattern: Option<&str>) -> Vec<&'a RegisteredModel> {
    let pattern = pattern
        .or(ctx.spec.registered_model.as_deref())
        .unwrap_or("*");
    ctx.snapshot
        .registered_models
        .iter()
        .filter(|m| glob_match(pattern, &m.name))
        .collect()
}

/// Versions that are not soft-deleted, ascending.
pub(super) fn live_versions<'a>(
    snap: &'a Snapshot,
    model: &'a RegisteredModel,
) -> impl Iterator<Item = &'a ModelVersion> {
    snap.versions_of(&model.name)
        .filter(|v| v.current_stage.as_deref() != Some(DELETED_STAGE))
}

/// Whether `v` is in `stage` or carries `alias`; true when neither is asked for.
pub(super) fn promoted(
    model: &RegisteredModel,
    v: &ModelVersion,
    stage: Option<&str>,
    alias: Option<&str>,
) -> Option<String> {
    let by_alias = alias.filter(|a| model.aliases.get(*a) == Some(&v.version));
    let by_stage = stage.filter(|s| {
        v.current_stage
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(s))
    });
    match (stage, alias, by_alias, by_stage) {
        (None, None, _, _) => Some(String::new()),
        (_, _, Some(a), _) => Some(format!(" @{a}")),
        (_, _, _, Some(s)) => Some(format!(" in stage {s}")),
        _ => None,
    }
}

/// The run a version was registered from: its `run_id`, else a `runs:/<id>/…` source.
pub(super) fn source_run_id(v: &ModelVersion) -> Option<&str> {
    v.run_id.as_deref().filter(|r| !r.is_empty()).or_else(|| {
        v.source
            .as_deref()?
            .strip_prefix("runs:/")
            .and_then(|r| r.split('/').next())
    })
}

/// A tag value that says "yes" (`true`, `1`, `yes`, anything else non-empty but `false`/`0`/`no`).
fn truthy(v: &str) -> bool {
    let v = v.trim().to_ascii_lowercase();
    !matches!(v.as_str(), "" | "false" | "0" | "no" | "none")
}

/// The run ids a marker points at, with a line per pointer for the evidence.
pub(super) fn marked(ctx: &Context<'_>, m: &Marker) -> (BTreeSet<String>, Vec<String>) {
    let snap = ctx.snapshot;
    let mut ids = BTreeSet::new();
    let mut evidence = Vec::new();
    if let Some(tag) = &m.tag {
        for r in snap.runs.iter().filter(|r| r.lifecycle_stage != "deleted") {
            // A tag, or a param of that name: course code logs `is_best` either way.
            let (kind, v) = match (r.tags.get(tag), r.params.get(tag)) {
                (Some(v), _) => ("tag", v),
                (None, Some(v)) => ("param", v),
                (None, None) => continue,
            };
            let hit = match &m.value {
                Some(want) => v.trim().eq_ignore_ascii_case(want.trim()),
                None => truthy(v),
            };
            if hit {
                ids.insert(r.id.clone());
                evidence.push(format!("{} has {kind} {tag}={v}", run_label(r)));
            }
        }
        return (ids, evidence);
    }
    for model in models(ctx, m.model.as_deref().or(Some("*"))) {
        for v in live_versions(snap, model) {
            let Some(how) = promoted(model, v, m.stage.as_deref(), m.alias.as_deref()) else {
                continue;
            };
            match source_run_id(v) {
                Some(run) => {
                    ids.insert(run.to_string());
                    evidence.push(format!(
                        "`{}` v{}{how} comes from run {}",
                        model.name,
                        v.version,
                        short(run)
                    ));
                }
                None => evidence.push(format!("`{}` v{}{how} names no run", model.name, v.version)),
            }
        }
    }
    (ids, evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn globs_match_names_and_paths() {
        assert!(glob_match(
            "random-forest-hyperopt",
            "random-forest-hyperopt"
        ));
        assert!(!glob_match(
            "random-forest-hyperopt",
            "random-forest-hyperopt2"
        ));
        assert!(glob_match("hw2-*", "hw2-q3-reg"));
        assert!(glob_match("*.png", "plots/training_plot.png"));
        assert!(glob_match("v?", "v1"));
        assert!(!glob_match("v?", "v12"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b", "acd"));
    }

    proptest! {
        #[test]
        fn a_literal_pattern_matches_only_itself(a in "[a-z0-9_-]{0,12}", b in "[a-z0-9_-]{0,12}") {
            prop_assert_eq!(glob_match(&a, &b), a == b);
        }

        #[test]
        fn a_star_around_a_part_finds_it(pre in "[a-z]{0,6}", mid in "[a-z]{1,6}", post in "[a-z]{0,6}") {
            let text = format!("{pre}{mid}{post}");
            let pattern = format!("*{mid}*");
            prop_assert!(glob_match(&pattern, &text));
        }
    }

    #[test]
    fn stage_or_alias_either_promotes() {
        let mut m = RegisteredModel {
            name: "m".into(),
            ..RegisteredModel::default()
        };
        m.aliases.insert("production".into(), 2);
        let v = |n: u32, stage: &str| ModelVersion {
            name: "m".into(),
            version: n,
            current_stage: Some(stage.into()),
            ..ModelVersion::default()
        };
        let both = (Some("Production"), Some("production"));
        assert!(promoted(&m, &v(2, "None"), both.0, both.1).is_some());
        assert!(promoted(&m, &v(1, "production"), both.0, both.1).is_some());
        assert!(promoted(&m, &v(3, "Staging"), both.0, both.1).is_none());
        assert!(promoted(&m, &v(3, "Staging"), None, None).is_some());
        assert!(promoted(&m, &v(1, "Production"), None, Some("production")).is_none());
    }
}
