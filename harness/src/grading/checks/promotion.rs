//! General checks on what was chosen and promoted: the best run by a metric (tie-aware, with a
//! direction) and the marker that should point at it, registered models, and versions in a
//! stage or under an alias whose source run satisfies a sub-check.

use std::collections::BTreeSet;

use super::identify::find_key;
use super::select::{
    glob_match, live_versions, marked, models, promoted, run_label, select, source_run_id,
};
use super::{CheckResult, Context, join_or_none};
use crate::snapshot::Run;
use crate::task::general::{BestRunCheck, Direction, ModelVersionCheck, RegisteredCheck};

/// The runs whose metric is best in `direction`, all of them when several tie within
/// `tolerance`; `None` when no run has a finite value.
pub(crate) fn best_of(
    values: &[(usize, f64)],
    direction: Direction,
    tolerance: f64,
) -> Option<(f64, BTreeSet<usize>)> {
    let finite = values.iter().filter(|(_, v)| v.is_finite());
    let best = match direction {
        Direction::Min => finite.clone().map(|(_, v)| *v).reduce(f64::min),
        Direction::Max => finite.clone().map(|(_, v)| *v).reduce(f64::max),
    }?;
    let tied = finite
        .filter(|(_, v)| (v - best).abs() <= tolerance)
        .map(|(i, _)| *i)
        .collect();
    Some((best, tied))
}

pub(super) fn best_run(id: String, ctx: &Context<'_>, c: &BestRunCheck) -> CheckResult {
    let sel = select(ctx, &c.runs);
    let names: Vec<&str> = c.names().collect();
    let values: Vec<(usize, f64)> = sel
        .runs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            names
                .iter()
                .find_map(|n| find_key(&r.metrics, n))
                .map(|(_, v)| (i, *v))
        })
        .collect();
    let mut evidence = vec![sel.evidence.clone()];
    let Some((best, tied)) = best_of(&values, c.direction, c.tolerance) else {
        return CheckResult::new(
            id,
            false,
            format!("no run logged {}", names.join("/")),
            evidence,
        );
    };
    let best_runs: Vec<&Run> = tied.iter().map(|i| sel.runs[*i]).collect();
    let best_ids: BTreeSet<&str> = best_runs.iter().map(|r| r.id.as_str()).collect();
    let word = match c.direction {
        Direction::Min => "lowest",
        Direction::Max => "highest",
    };
    evidence.push(format!(
        "{word} {} = {best:.4} ({} of {} runs with it: {})",
        c.metric,
        best_runs.len(),
        values.len(),
        best_runs
            .iter()
            .take(5)
            .map(|r| run_label(r))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let (marked_ids, marker_lines) = marked(ctx, &c.marker);
    evidence.extend(marker_lines.iter().take(10).cloned());
    let value_of = |id: &str| {
        ctx.snapshot
            .run(id)
            .and_then(|r| names.iter().find_map(|n| find_key(&r.metrics, n)))
            .map_or_else(|| "no value".to_string(), |(k, v)| format!("{k} = {v:.4}"))
    };
    let on_best: Vec<&String> = marked_ids
        .iter()
        .filter(|m| best_ids.contains(m.as_str()))
        .collect();
    let off_best: Vec<&String> = marked_ids
        .iter()
        .filter(|m| !best_ids.contains(m.as_str()))
        .collect();
    let what = marker_words(c);
    // A tag must be on best runs only (`is_best` on every run says nothing); a registry keeps
    // history, so some promoted version coming from a best run is enough.
    let ok = match c.marker.tag {
        Some(_) => !on_best.is_empty() && off_best.is_empty(),
        None => !on_best.is_empty(),
    };
    let message = if marked_ids.is_empty() {
        format!("nothing is marked by {what}")
    } else if ok {
        format!("{what} points at the run with the {word} {}", c.metric)
    } else if on_best.is_empty() {
        format!(
            "{what} points at {} instead of the run with the {word} {} ({best:.4})",
            off_best
                .iter()
                .take(3)
                .map(|id| format!("{} ({})", &id[..id.len().min(8)], value_of(id)))
                .collect::<Vec<_>>()
                .join(", "),
            c.metric
        )
    } else {
        format!(
            "{what} marks the best run but also {} other runs",
            off_best.len()
        )
    };
    CheckResult::new(id, ok, message, evidence)
}

fn versions(n: usize) -> String {
    if n == 1 {
        "1 version".into()
    } else {
        format!("{n} versions")
    }
}

fn marker_words(c: &BestRunCheck) -> String {
    let m = &c.marker;
    if let Some(tag) = &m.tag {
        return format!("tag `{tag}`");
    }
    let model = m
        .model
        .as_deref()
        .filter(|n| *n != "*")
        .map_or("a registered model".to_string(), |n| format!("`{n}`"));
    match (&m.stage, &m.alias) {
        (Some(s), Some(a)) => format!("{model}'s version @{a} or in stage {s}"),
        (Some(s), None) => format!("{model}'s version in stage {s}"),
        (None, Some(a)) => format!("{model}'s version @{a}"),
        (None, None) => format!("a version of {model}"),
    }
}

pub(super) fn registered(id: String, ctx: &Context<'_>, c: &RegisteredCheck) -> CheckResult {
    let found = models(ctx, c.name.as_deref());
    let mut evidence = Vec::new();
    let mut ok_model = None;
    for m in &found {
        let live = live_versions(ctx.snapshot, m).count();
        let mut problems = Vec::new();
        if live < c.min_versions {
            problems.push(format!("{} (at least {})", versions(live), c.min_versions));
        }
        if let Some(min) = c.description {
            let len = m
                .description
                .as_deref()
                .map_or(0, |d| d.trim().chars().count());
            if len < min.max(1) {
                problems.push(format!(
                    "description of {len} characters (at least {})",
                    min.max(1)
                ));
            }
        }
        for t in &c.tags {
            if m.tags.get(t).is_none_or(|v| v.trim().is_empty()) {
                problems.push(format!("no tag {t}"));
            }
        }
        for t in &c.version_tags {
            let without: Vec<String> = live_versions(ctx.snapshot, m)
                .filter(|v| v.tags.get(t).is_none_or(|x| x.trim().is_empty()))
                .map(|v| format!("v{}", v.version))
                .collect();
            if !without.is_empty() {
                problems.push(format!("no version tag {t} on {}", without.join(", ")));
            }
        }
        if problems.is_empty() {
            evidence.push(format!("`{}`: {}", m.name, versions(live)));
            ok_model.get_or_insert(m.name.clone());
        } else {
            evidence.push(format!("`{}`: {}", m.name, problems.join("; ")));
        }
    }
    let wanted = c
        .name
        .as_deref()
        .or(ctx.spec.registered_model.as_deref())
        .unwrap_or("*");
    if found.is_empty() {
        let present: Vec<String> = ctx
            .snapshot
            .registered_models
            .iter()
            .map(|m| format!("`{}`", m.name))
            .collect();
        evidence.push(format!(
            "registered models present: {}",
            join_or_none(&present)
        ));
    }
    let message = match (&ok_model, found.is_empty()) {
        (Some(name), _) => format!("registered model `{name}` is as asked"),
        (None, true) if wanted == "*" => "no registered model".to_string(),
        (None, true) => format!("no registered model `{wanted}`"),
        (None, false) if wanted == "*" => "no registered model is as asked".to_string(),
        (None, false) => format!("no registered model `{wanted}` is as asked"),
    };
    CheckResult::new(id, ok_model.is_some(), message, evidence)
}

pub(super) fn model_version(id: String, ctx: &Context<'_>, c: &ModelVersionCheck) -> CheckResult {
    let mut evidence = Vec::new();
    let mut passed = None;
    let mut candidates = 0;
    for m in models(ctx, c.model.as_deref()) {
        for v in live_versions(ctx.snapshot, m) {
            let Some(how) = promoted(m, v, c.stage.as_deref(), c.alias.as_deref()) else {
                continue;
            };
            candidates += 1;
            let label = format!("`{}` v{}{how}", m.name, v.version);
            let mut problems = Vec::new();
            if c.loadable {
                match &v.artifact.mlmodel {
                    Some(mm) if mm.loader_module.is_some() => {}
                    Some(_) => problems.push("its MLmodel has no python_function flavor".into()),
                    None => problems.push(format!(
                        "not loadable: {}",
                        v.artifact.problem.as_deref().unwrap_or("no MLmodel found")
                    )),
                }
            }
            if c.description && v.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
                problems.push("no description".into());
            }
            if let Some(src) = &c.source {
                let run = source_run_id(v).and_then(|r| ctx.snapshot.run(r));
                match run {
                    None => problems.push(format!(
                        "its run {} is not in the store",
                        source_run_id(v).unwrap_or("(none)")
                    )),
                    Some(r) => problems.extend(source_problems(ctx, r, src)),
                }
            }
            if problems.is_empty() {
                evidence.push(format!("{label}: as asked"));
                passed.get_or_insert(label);
            } else {
                evidence.push(format!("{label}: {}", problems.join("; ")));
            }
        }
    }
    let what = match (&c.stage, &c.alias) {
        (Some(s), Some(a)) => format!("version @{a} or in stage {s}"),
        (Some(s), None) => format!("version in stage {s}"),
        (None, Some(a)) => format!("version @{a}"),
        (None, None) => "registered version".into(),
    };
    let message = match (&passed, candidates) {
        (Some(label), _) => format!("{label} is as asked"),
        (None, 0) => format!("no {what}"),
        (None, _) => format!("no {what} is as asked"),
    };
    evidence.truncate(12);
    CheckResult::new(id, passed.is_some(), message, evidence)
}

fn source_problems(
    ctx: &Context<'_>,
    r: &Run,
    src: &crate::task::general::SourceRun,
) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(pattern) = &src.experiment {
        let exp = ctx
            .snapshot
            .experiments
            .iter()
            .find(|e| e.id == r.experiment_id)
            .map_or("?", |e| e.name.as_str());
        if !glob_match(pattern, exp) {
            problems.push(format!("{} is in `{exp}`, not `{pattern}`", run_label(r)));
        }
    }
    for p in &src.params {
        if find_key(&r.params, p).is_none() {
            problems.push(format!("{} logged no param {p}", run_label(r)));
        }
    }
    for m in &src.metrics {
        if find_key(&r.metrics, m).is_none_or(|(_, v)| !v.is_finite()) {
            problems.push(format!("{} logged no metric {m}", run_label(r)));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn best_has_a_direction_and_ties() {
        let v = [(0, 6.5), (1, 6.1), (2, 6.1), (3, f64::NAN)];
        assert_eq!(
            best_of(&v, Direction::Min, 1e-9),
            Some((6.1, BTreeSet::from([1, 2])))
        );
        assert_eq!(
            best_of(&v, Direction::Max, 1e-9),
            Some((6.5, BTreeSet::from([0])))
        );
        assert_eq!(best_of(&[(0, f64::NAN)], Direction::Min, 0.0), None);
        assert_eq!(best_of(&[], Direction::Max, 0.0), None);
    }

    proptest! {
        #[test]
        fn the_best_is_never_beaten(values in proptest::collection::vec(-1e6f64..1e6, 1..30), max in any::<bool>()) {
            let dir = if max { Direction::Max } else { Direction::Min };
            let indexed: Vec<(usize, f64)> = values.iter().copied().enumerate().collect();
            let (best, tied) = best_of(&indexed, dir, 0.0).unwrap();
            prop_assert!(!tied.is_empty());
            for (_, v) in &indexed {
                let not_beaten = if max { *v <= best } else { *v >= best };
                prop_assert!(not_beaten, "{} beats {}", v, best);
            }
            for i in &tied {
                prop_assert_eq!(values[*i], best);
            }
        }
    }
}
