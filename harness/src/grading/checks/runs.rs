//! Checks on the experiment and each version's source run: params, metrics, per-epoch history,
//! logged data, accuracy within the task's band.

use std::collections::BTreeSet;

use super::identify::*;
use super::*;
use crate::snapshot::{ModelVersion, Run};
use crate::task::VersionSpec;

pub(super) fn experiment_exists(id: String, ctx: &Context<'_>) -> CheckResult {
    let name = ctx.spec.experiment.as_deref().unwrap_or("");
    let others: Vec<String> = ctx
        .snapshot
        .experiments
        .iter()
        .filter(|e| e.lifecycle_stage != "deleted")
        .map(|e| {
            format!(
                "`{}` ({} runs)",
                e.name,
                ctx.snapshot.runs_in(&e.id).count()
            )
        })
        .collect();
    let evidence = vec![format!("experiments present: {}", join_or_none(&others))];
    match ctx.experiment {
        Some(e) => {
            let n = ctx.snapshot.runs_in(&e.id).count();
            CheckResult::new(
                id,
                n > 0,
                format!("experiment `{name}` (id {}) holds {n} runs", e.id),
                evidence,
            )
        }
        None => CheckResult::new(id, false, format!("no experiment named `{name}`"), evidence),
    }
}

/// Runs to look at for data evidence: the experiment's, or (if it is missing) those behind
/// the registered versions, so a renamed experiment loses only the experiment check.
pub(super) fn data_runs<'s>(ctx: &Context<'s>) -> Vec<&'s Run> {
    match ctx.experiment {
        Some(e) => ctx.snapshot.runs_in(&e.id).collect(),
        None => ctx.versions.iter().filter_map(|v| ctx.run_of(v)).collect(),
    }
}

pub(super) fn data_logged(id: String, ctx: &Context<'_>) -> CheckResult {
    let runs = data_runs(ctx);
    let wanted = &ctx.spec.requirements.data_params;
    for run in &runs {
        let run_name = run.name.as_deref().unwrap_or(&run.id);
        if let Some((k, v)) = wanted.iter().find_map(|w| find_key(&run.params, w)) {
            return CheckResult::new(
                id,
                true,
                "the data preparation is recorded in the runs",
                vec![format!("run `{run_name}` param {k} = {v}")],
            );
        }
        if let Some(input) = run.inputs.first() {
            return CheckResult::new(
                id,
                true,
                "the data preparation is recorded in the runs",
                vec![format!(
                    "run `{run_name}` logged dataset `{}` ({})",
                    input.name,
                    input.context.as_deref().unwrap_or("no context")
                )],
            );
        }
    }
    CheckResult::new(
        id,
        false,
        "no run records the data split (params or dataset inputs)",
        vec![
            format!("looked at {} runs", runs.len()),
            format!("params looked for: {}", wanted.join(", ")),
        ],
    )
}

pub(super) fn with_run(
    id: String,
    ctx: &Context<'_>,
    key: &str,
    f: fn(String, &Context<'_>, &VersionSpec, &ModelVersion, &Run) -> CheckResult,
) -> CheckResult {
    let Some(ident) = ctx.identified.get(key) else {
        return not_identified(id, ctx, key);
    };
    let Some(spec) = ctx.spec.version(key) else {
        return not_identified(id, ctx, key);
    };
    match ctx.run_of(ident.version) {
        Some(run) => f(id, ctx, spec, ident.version, run),
        None => CheckResult::new(
            id,
            false,
            format!("v{} has no run in the store", ident.version.version),
            vec![format!(
                "run_id {}",
                ident.version.run_id.as_deref().unwrap_or("absent")
            )],
        ),
    }
}

pub(super) fn run_label(run: &Run) -> String {
    format!("run `{}`", run.name.as_deref().unwrap_or(&run.id))
}

pub(super) fn run_params(
    id: String,
    ctx: &Context<'_>,
    spec: &VersionSpec,
    v: &ModelVersion,
    run: &Run,
) -> CheckResult {
    let req = &ctx.spec.requirements;
    let missing: Vec<&String> = req
        .params
        .iter()
        .chain(&spec.params)
        .filter(|p| find_key(&run.params, p).is_none())
        .collect();
    let enough = run.params.len() >= req.min_params.max(1);
    let ok = missing.is_empty() && enough;
    let keys: Vec<String> = run.params.keys().cloned().collect();
    let message = if ok {
        format!(
            "v{}'s {} logged the required params",
            v.version,
            run_label(run)
        )
    } else if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        format!("{} did not log: {}", run_label(run), names.join(", "))
    } else {
        format!("{} logged no params", run_label(run))
    };
    CheckResult::new(
        id,
        ok,
        message,
        vec![format!("params: {}", join_or_none(&keys))],
    )
}

pub(super) fn run_metrics(
    id: String,
    ctx: &Context<'_>,
    _spec: &VersionSpec,
    v: &ModelVersion,
    run: &Run,
) -> CheckResult {
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    match ctx.accuracy.get(&v.version) {
        Some(a) if a.percent => evidence.push(format!(
            "{} = {} read as percent → {:.4}",
            a.metric, a.raw, a.value
        )),
        Some(a) => evidence.push(format!("{} = {:.4}", a.metric, a.value)),
        None => problems.push(match ctx.accuracy_problem.get(&v.version) {
            Some(problem) => problem.clone(),
            None => format!(
                "no accuracy (looked for {})",
                ctx.spec.accuracy.metric.join(", ")
            ),
        }),
    }
    for m in &ctx.spec.requirements.metrics {
        match m
            .names()
            .find_map(|n| find_key(&run.metrics, n))
            .filter(|(_, val)| !val.is_nan())
        {
            Some((k, val)) => evidence.push(format!("{k} = {val:.4}")),
            None => problems.push(format!("no {}", m.names().collect::<Vec<_>>().join("/"))),
        }
    }
    CheckResult::new(
        id,
        problems.is_empty(),
        if problems.is_empty() {
            format!("{} logged the required metrics", run_label(run))
        } else {
            format!("{}: {}", run_label(run), problems.join("; "))
        },
        evidence,
    )
}

pub(super) fn metric_history(
    id: String,
    ctx: &Context<'_>,
    _spec: &VersionSpec,
    _v: &ModelVersion,
    run: &Run,
) -> CheckResult {
    let req = &ctx.spec.requirements;
    let epochs = req
        .epochs_param
        .iter()
        .find_map(|p| find_key(&run.params, p))
        .and_then(|(k, v)| v.trim().parse::<f64>().ok().map(|e| (k.clone(), e)))
        .filter(|(_, e)| e.is_finite() && *e >= 1.0);
    let Some((epochs_key, epochs)) = epochs else {
        return CheckResult::new(
            id,
            false,
            format!(
                "{} logged no epoch count ({})",
                run_label(run),
                req.epochs_param.join("/")
            ),
            Vec::new(),
        );
    };
    let epochs = epochs as u64;
    let mut evidence = vec![format!("{epochs_key} = {epochs}")];
    let mut short = Vec::new();
    for h in &req.histories {
        let needed = epochs.div_ceil(u64::from(h.every.max(1)));
        let found = h.names().find_map(|n| find_key(&run.histories, n));
        let have = found.map_or(0, |(_, pts)| {
            pts.iter().map(|p| p.step).collect::<BTreeSet<_>>().len() as u64
        });
        let name = found.map_or(h.name.as_str(), |(k, _)| k.as_str());
        evidence.push(format!("{name}: {have} steps (at least {needed})"));
        if have < needed {
            short.push(name.to_string());
        }
    }
    CheckResult::new(
        id,
        short.is_empty(),
        if short.is_empty() {
            format!(
                "{} logged every series for its {epochs} epochs",
                run_label(run)
            )
        } else {
            format!("series too short or missing: {}", short.join(", "))
        },
        evidence,
    )
}

pub(super) fn accuracy_band(id: String, ctx: &Context<'_>, key: &str) -> CheckResult {
    let Some(ident) = ctx.identified.get(key) else {
        return not_identified(id, ctx, key);
    };
    let Some(acc) = ctx.accuracy.get(&ident.version.version) else {
        return CheckResult::new(
            id,
            false,
            match ctx.accuracy_problem.get(&ident.version.version) {
                Some(problem) => format!(
                    "v{} has no accuracy to judge: {problem}",
                    ident.version.version
                ),
                None => format!("v{} has no accuracy to judge", ident.version.version),
            },
            Vec::new(),
        );
    };
    let Some([lo, hi]) = ctx.spec.version(key).and_then(|s| s.accuracy_band) else {
        return CheckResult::new(id, true, "no band set for this version", Vec::new());
    };
    let tol = ctx.spec.accuracy.tie_tolerance;
    let ok = acc.value >= lo - tol && acc.value <= hi + tol;
    CheckResult::new(
        id,
        ok,
        format!(
            "accuracy {:.4} is {} [{lo}, {hi}]",
            acc.value,
            if ok { "within" } else { "outside" }
        ),
        vec![format!(
            "v{}: {} = {}",
            ident.version.version, acc.metric, acc.raw
        )],
    )
}
