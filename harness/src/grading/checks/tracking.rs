//! General checks on tracked runs: experiments, run counts, params (present, equal, a grid),
//! autologging, metrics (present, per-step history, band), artefacts, logged models, nesting.

use std::collections::BTreeMap;

use super::identify::find_key;
use super::select::{Selection, experiments, is_child, run_label, select};
use super::{CheckResult, Context, join_or_none};
use crate::snapshot::{MlModelSummary, Run};
use crate::task::general::{
    ArtifactCheck, AutologCheck, ExperimentCheck, LoggedModelCheck, MetricCheck, NestedRunsCheck,
    ParamGridCheck, ParamsCheck, Quantifier, RunCountCheck,
};

/// At most this many runs are named in evidence; the rest are counted.
const NAMED: usize = 5;

pub(super) fn experiment(id: String, ctx: &Context<'_>, c: &ExperimentCheck) -> CheckResult {
    let snap = ctx.snapshot;
    let found = experiments(snap, &c.name);
    let counts: Vec<(String, usize)> = found
        .iter()
        .map(|e| (e.name.clone(), snap.runs_in(&e.id).count()))
        .collect();
    let ok = counts.iter().any(|(_, n)| *n >= c.min_runs);
    let evidence = if found.is_empty() {
        let present: Vec<String> = experiments(snap, "*")
            .iter()
            .map(|e| format!("`{}`", e.name))
            .collect();
        vec![format!("experiments present: {}", join_or_none(&present))]
    } else {
        counts
            .iter()
            .map(|(n, k)| format!("experiment `{n}`: {k} runs"))
            .collect()
    };
    let message = match (found.is_empty(), ok) {
        (true, _) => format!("no experiment named `{}`", c.name),
        (false, true) => format!("experiment `{}` exists", c.name),
        (false, false) if c.min_runs <= 1 => format!("experiment `{}` holds no runs", c.name),
        (false, false) => format!(
            "experiment `{}` holds fewer than {} runs",
            c.name, c.min_runs
        ),
    };
    CheckResult::new(id, ok, message, evidence)
}

pub(super) fn run_count(id: String, ctx: &Context<'_>, c: &RunCountCheck) -> CheckResult {
    let sel = select(ctx, &c.runs);
    let n = sel.runs.len();
    let ok = n >= c.min && c.max.is_none_or(|max| n <= max);
    let wanted = match c.max {
        Some(max) if max == c.min => format!("exactly {max}"),
        Some(max) => format!("{}–{max}", c.min),
        None => format!("at least {}", c.min),
    };
    let runs = if n == 1 { "run" } else { "runs" };
    CheckResult::new(
        id,
        ok,
        format!("{n} {runs} ({wanted} wanted)"),
        vec![sel.evidence],
    )
}

/// `expected` written in a task file against a logged param (always text in MLflow).
pub(crate) fn value_matches(expected: &toml::Value, actual: &str) -> bool {
    let actual = actual.trim();
    match expected {
        toml::Value::Integer(_) | toml::Value::Float(_) => {
            let want = match expected {
                toml::Value::Integer(i) => *i as f64,
                toml::Value::Float(f) => *f,
                _ => unreachable!(),
            };
            actual
                .parse::<f64>()
                .is_ok_and(|a| (a - want).abs() <= 1e-9 * want.abs().max(1.0))
        }
        toml::Value::Boolean(b) => actual.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        toml::Value::String(s) => actual == s.trim(),
        other => actual == other.to_string(),
    }
}

fn shown(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs a per-run test over a selection: `Ok(line)` passes, `Err(line)` fails.
fn quantify(
    id: String,
    sel: Selection<'_>,
    on: Quantifier,
    what: &str,
    test: impl Fn(&Run) -> Result<String, String>,
) -> CheckResult {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for r in &sel.runs {
        match test(r) {
            Ok(line) => good.push(format!("{}: {line}", run_label(r))),
            Err(line) => bad.push(format!("{}: {line}", run_label(r))),
        }
    }
    let total = sel.runs.len();
    let ok = total > 0
        && match on {
            Quantifier::Every => bad.is_empty(),
            Quantifier::Any => !good.is_empty(),
        };
    let message = match (total, on) {
        (0, _) => format!("no runs to look at for {what}"),
        (_, Quantifier::Every) if ok => format!("all {total} runs: {what}"),
        (_, Quantifier::Every) => format!("{} of {total} runs lack {what}", bad.len()),
        (_, Quantifier::Any) if ok => format!("{} of {total} runs: {what}", good.len()),
        (_, Quantifier::Any) => format!("none of {total} runs: {what}"),
    };
    let mut evidence = vec![sel.evidence];
    let (first, rest) = if ok && on == Quantifier::Any {
        (&good, &bad)
    } else {
        (&bad, &good)
    };
    evidence.extend(first.iter().take(NAMED).cloned());
    if first.len() > NAMED {
        evidence.push(format!("… and {} more", first.len() - NAMED));
    }
    if first.is_empty() {
        evidence.extend(rest.iter().take(1).cloned());
    }
    CheckResult::new(id, ok, message, evidence)
}

pub(super) fn params(id: String, ctx: &Context<'_>, c: &ParamsCheck) -> CheckResult {
    let mut what: Vec<String> = c.keys.clone();
    what.extend(c.equal.iter().map(|(k, v)| format!("{k}={}", shown(v))));
    quantify(
        id,
        select(ctx, &c.runs),
        c.on,
        &format!("params {}", what.join(", ")),
        |r| {
            let mut problems = Vec::new();
            let mut seen = Vec::new();
            for k in &c.keys {
                match find_key(&r.params, k) {
                    Some((name, v)) => seen.push(format!("{name}={v}")),
                    None => problems.push(format!("no {k}")),
                }
            }
            for (k, want) in &c.equal {
                match find_key(&r.params, k) {
                    Some((name, v)) if value_matches(want, v) => seen.push(format!("{name}={v}")),
                    Some((name, v)) => problems.push(format!("{name}={v}, not {}", shown(want))),
                    None => problems.push(format!("no {k}")),
                }
            }
            if problems.is_empty() {
                Ok(seen.join(", "))
            } else {
                Err(problems.join("; "))
            }
        },
    )
}

pub(super) fn param_grid(id: String, ctx: &Context<'_>, c: &ParamGridCheck) -> CheckResult {
    let sel = select(ctx, &c.runs);
    let axes: Vec<(&String, &Vec<toml::Value>)> = c.grid.iter().collect();
    let mut combos: Vec<Vec<&toml::Value>> = vec![Vec::new()];
    for (_, values) in &axes {
        combos = combos
            .iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push(v);
                    next
                })
            })
            .collect();
    }
    let covered = |combo: &Vec<&toml::Value>| {
        sel.runs.iter().any(|r| {
            axes.iter().zip(combo).all(|((k, _), want)| {
                find_key(&r.params, k).is_some_and(|(_, v)| value_matches(want, v))
            })
        })
    };
    let missing: Vec<String> = combos
        .iter()
        .filter(|combo| !covered(combo))
        .map(|combo| {
            let parts: Vec<String> = axes
                .iter()
                .zip(combo)
                .map(|((k, _), v)| format!("{k}={}", shown(v)))
                .collect();
            parts.join(" ")
        })
        .collect();
    let mut evidence = vec![sel.evidence];
    evidence.extend(
        missing
            .iter()
            .take(NAMED)
            .map(|m| format!("no run with {m}")),
    );
    if missing.len() > NAMED {
        evidence.push(format!("… and {} more combinations", missing.len() - NAMED));
    }
    CheckResult::new(
        id,
        missing.is_empty(),
        format!(
            "{} of {} grid combinations have a run",
            combos.len() - missing.len(),
            combos.len()
        ),
        evidence,
    )
}

/// What an autologging integration leaves on a run: tags of which all must be present, and
/// params of which any one must be. MLflow also tags runs that autologging itself started with
/// `mlflow.autologging=<flavor>`, which is accepted on its own.
pub(crate) fn autolog_signature(
    flavor: &str,
) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match flavor {
        // `mlflow.sklearn.autolog`: the estimator's class and name as tags, `get_params()`.
        "sklearn" => (&["estimator_class", "estimator_name"], &[]),
        // `mlflow.xgboost.autolog` / `lightgbm.autolog`: the booster params and round count.
        "xgboost" | "lightgbm" => (&[], &["num_boost_round"]),
        // `mlflow.tensorflow.autolog` / `keras`: the fit arguments and the optimizer.
        "tensorflow" | "keras" => (&[], &["opt_name", "optimizer_name"]),
        // `mlflow.pytorch.autolog` (Lightning): the epochs and the optimizer.
        "pytorch" => (&[], &["optimizer_name", "epochs"]),
        _ => return None,
    })
}

pub(super) fn autologged(id: String, ctx: &Context<'_>, c: &AutologCheck) -> CheckResult {
    let (tags, any_param) = autolog_signature(&c.flavor).unwrap_or((&[], &[]));
    quantify(
        id,
        select(ctx, &c.runs),
        Quantifier::Any,
        &format!("autologged by {}", c.flavor),
        |r| {
            let by_tag = r
                .tags
                .get("mlflow.autologging")
                .is_some_and(|f| f == &c.flavor);
            let tags_ok = !tags.is_empty() && tags.iter().all(|t| r.tags.contains_key(*t));
            let params_ok =
                !any_param.is_empty() && any_param.iter().any(|p| r.params.contains_key(*p));
            let missing: Vec<&String> = c
                .params
                .iter()
                .filter(|p| find_key(&r.params, p).is_none())
                .collect();
            if !(by_tag || tags_ok || params_ok) {
                return Err(format!("no sign of {} autologging", c.flavor));
            }
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                return Err(format!("autologged, but no {}", names.join(", ")));
            }
            Ok(format!("{} params", r.params.len()))
        },
    )
}

pub(super) fn metric(id: String, ctx: &Context<'_>, c: &MetricCheck) -> CheckResult {
    let names: Vec<&str> = c.names().collect();
    let mut what = names.join("/");
    if let Some(n) = c.min_steps {
        what.push_str(&format!(" over ≥{n} steps"));
    }
    if let Some([lo, hi]) = c.band {
        what.push_str(&format!(" in [{lo}, {hi}]"));
    }
    quantify(id, select(ctx, &c.runs), c.on, &what.clone(), |r| {
        let Some((key, value)) = names.iter().find_map(|n| find_key(&r.metrics, n)) else {
            return Err(format!("no {}", names.join("/")));
        };
        if !value.is_finite() {
            return Err(format!("{key} = {value}"));
        }
        let mut line = format!("{key} = {value:.4}");
        if let Some(need) = c.min_steps {
            let steps: std::collections::BTreeSet<i64> = r
                .histories
                .get(key)
                .map(|h| h.iter().map(|p| p.step).collect())
                .unwrap_or_default();
            if steps.len() < need {
                return Err(format!("{key}: {} steps (at least {need})", steps.len()));
            }
            line.push_str(&format!(" over {} steps", steps.len()));
        }
        if let Some([lo, hi]) = c.band
            && !(*value >= lo && *value <= hi)
        {
            return Err(format!("{key} = {value:.4}, outside [{lo}, {hi}]"));
        }
        Ok(line)
    })
}

/// Whether an artefact path matches the task's: a pattern without `/` matches a file name at
/// any depth, one with `/` the whole path.
fn path_matches(pattern: &str, path: &str) -> bool {
    if pattern.contains('/') {
        super::select::glob_match(pattern, path)
    } else {
        super::select::glob_match(pattern, path.rsplit('/').next().unwrap_or(path))
    }
}

pub(super) fn artifact(id: String, ctx: &Context<'_>, c: &ArtifactCheck) -> CheckResult {
    quantify(
        id,
        select(ctx, &c.runs),
        c.on,
        &format!("artefact {}", c.path),
        |r| {
            let Some(a) = &r.artifacts else {
                return Err(unlisted(ctx));
            };
            let hits: Vec<_> = a
                .files
                .iter()
                .filter(|f| path_matches(&c.path, &f.path))
                .collect();
            match hits.iter().find(|f| f.size > 0) {
                Some(f) => Ok(format!("{} ({} bytes)", f.path, f.size)),
                None if !hits.is_empty() => Err(format!("{} is empty", hits[0].path)),
                None => Err(format!("no {} among {} files", c.path, a.files.len())),
            }
        },
    )
}

/// Why a run has no artefact listing, in the words of where it was read from.
fn unlisted(ctx: &Context<'_>) -> String {
    let origin = &ctx.snapshot.origin;
    if origin.starts_with("sqlite:") || origin.starts_with("mlruns:") {
        "no artefact folder in the hand-in (none logged, or not handed in)".into()
    } else {
        "the tracking server lists no artefacts for this run (none logged, or kept at a path \
         on the server's own machine: grade the store folder then)"
            .into()
    }
}

/// The models a run logged: `MLmodel` files among its artefacts, and 3.x logged models.
pub(super) fn models_of<'a>(
    ctx: &Context<'a>,
    r: &'a Run,
) -> Vec<(String, Result<&'a MlModelSummary, String>)> {
    let mut out: Vec<(String, Result<&MlModelSummary, String>)> = Vec::new();
    if let Some(a) = &r.artifacts {
        for m in &a.models {
            let path = if m.path.is_empty() {
                ".".into()
            } else {
                m.path.clone()
            };
            out.push((
                path,
                m.mlmodel
                    .as_ref()
                    .ok_or_else(|| m.problem.clone().unwrap_or_default()),
            ));
        }
    }
    for m in &ctx.snapshot.logged_models {
        if m.source_run_id.as_deref() != Some(r.id.as_str()) {
            continue;
        }
        let summary = m.artifact.as_ref().and_then(|a| a.mlmodel.as_ref());
        out.push((
            format!("logged model {}", m.id),
            summary.ok_or_else(|| {
                m.artifact
                    .as_ref()
                    .and_then(|a| a.problem.clone())
                    .unwrap_or_else(|| "artefacts not read".into())
            }),
        ));
    }
    out
}

pub(super) fn logged_model(id: String, ctx: &Context<'_>, c: &LoggedModelCheck) -> CheckResult {
    let mut what = "a logged model".to_string();
    if let Some(f) = &c.flavor {
        what.push_str(&format!(" with flavor {f}"));
    }
    if c.signature {
        what.push_str(" and a signature");
    }
    quantify(id, select(ctx, &c.runs), c.on, &what, |r| {
        let models = models_of(ctx, r);
        if models.is_empty() {
            return Err(match r.artifacts {
                None => format!("no model found ({})", unlisted(ctx)),
                Some(_) => "no MLmodel among its artefacts".into(),
            });
        }
        let mut problems = Vec::new();
        for (path, m) in &models {
            match m {
                Err(e) => problems.push(format!("{path}: {e}")),
                Ok(m) => {
                    if let Some(f) = &c.flavor
                        && !m.flavors.iter().any(|x| x == f)
                    {
                        problems.push(format!("{path}: flavors {}", m.flavors.join(", ")));
                    } else if c.signature && m.signature.is_none() {
                        problems.push(format!("{path}: no signature"));
                    } else {
                        return Ok(format!("{path}: flavors {}", m.flavors.join(", ")));
                    }
                }
            }
        }
        Err(problems.join("; "))
    })
}

pub(super) fn nested_runs(id: String, ctx: &Context<'_>, c: &NestedRunsCheck) -> CheckResult {
    let mut children: BTreeMap<&str, usize> = BTreeMap::new();
    for r in ctx
        .snapshot
        .runs
        .iter()
        .filter(|r| r.lifecycle_stage != "deleted")
    {
        if let Some(p) = r.tags.get(super::select::PARENT_TAG) {
            *children.entry(p.as_str()).or_default() += 1;
        }
    }
    let sel = select(ctx, &c.runs);
    let parents: Vec<(&Run, usize)> = sel
        .runs
        .iter()
        .filter(|r| !is_child(r))
        .map(|r| (*r, children.get(r.id.as_str()).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let enough = parents.iter().filter(|(_, n)| *n >= c.min_children).count();
    let mut evidence = vec![sel.evidence];
    evidence.extend(
        parents
            .iter()
            .take(NAMED)
            .map(|(r, n)| format!("{} has {n} child runs", run_label(r))),
    );
    CheckResult::new(
        id,
        enough >= c.min_parents,
        format!(
            "{enough} parent runs with at least {} children ({} wanted)",
            c.min_children, c.min_parents
        ),
        evidence,
    )
}
