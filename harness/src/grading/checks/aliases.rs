//! Alias checks. Aliases that follow accuracy are tie-aware: on the real wine split DecisionTree
//! and GradientBoosting both score 34/36, so either is a correct `staging`; [`rank_candidates`]
//! gives the set of correct versions and is checked against a brute-force oracle.

use std::collections::{BTreeMap, BTreeSet};

use super::identify::*;
use super::registry::missing_model;
use super::*;
use crate::task::AliasRule;

/// Versions that may hold rank `rank` (1 = best) given `fixed`, the versions already validly
/// holding ranks 1, 2, … in order. Ties make several versions correct.
///
/// Definition (the oracle in the tests): `v` is correct iff some ordering of the versions by
/// non-increasing accuracy puts `fixed` first, in order, and `v` at position `rank`.
pub fn rank_candidates(
    accs: &BTreeMap<u32, f64>,
    rank: usize,
    fixed: &[u32],
    tol: f64,
) -> BTreeSet<u32> {
    if rank == 0 || fixed.len() >= rank || fixed.iter().any(|f| !accs.contains_key(f)) {
        return BTreeSet::new();
    }
    let rest: Vec<(u32, f64)> = accs
        .iter()
        .filter(|(v, _)| !fixed.contains(v))
        .map(|(v, a)| (*v, *a))
        .collect();
    let mut sorted: Vec<f64> = rest.iter().map(|(_, a)| *a).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    // Position `rank` overall is position `rank - fixed.len()` among the rest.
    let Some(target) = sorted.get(rank - 1 - fixed.len()) else {
        return BTreeSet::new();
    };
    // `fixed` must itself be a valid prefix: non-increasing, and nothing left beats its last.
    if fixed.windows(2).any(|w| accs[&w[0]] < accs[&w[1]] - tol) {
        return BTreeSet::new();
    }
    if let (Some(last), Some(top)) = (fixed.last(), sorted.first())
        && accs[last] < top - tol
    {
        return BTreeSet::new();
    }
    rest.iter()
        .filter(|(_, a)| (a - target).abs() <= tol)
        .map(|(v, _)| *v)
        .collect()
}

/// The version an alias rule is satisfied by: the alias, or a version in the accepted stage.
pub(super) fn assigned(ctx: &Context<'_>, rule: &AliasRule) -> Vec<(u32, String)> {
    if let Some(v) = ctx.model.and_then(|m| m.aliases.get(&rule.alias)) {
        return vec![(*v, format!("@{} → v{v}", rule.alias))];
    }
    match &rule.stage {
        Some(stage) => ctx
            .versions
            .iter()
            .filter(|v| v.current_stage.as_deref() == Some(stage.as_str()))
            .map(|v| (v.version, format!("stage {stage} → v{}", v.version)))
            .collect(),
        None => Vec::new(),
    }
}

pub(super) fn accuracies(ctx: &Context<'_>) -> BTreeMap<u32, f64> {
    ctx.accuracy.iter().map(|(v, a)| (*v, a.value)).collect()
}

/// Versions validly holding ranks 1..rank-1 (in order), following the task's rank rules.
pub(super) fn fixed_above(ctx: &Context<'_>, rank: u32) -> Vec<u32> {
    let accs = accuracies(ctx);
    let tol = ctx.spec.accuracy.tie_tolerance;
    let mut fixed = Vec::new();
    for r in 1..rank {
        let Some(rule) = ctx.spec.aliases.iter().find(|a| a.rank == Some(r)) else {
            break;
        };
        let ok = rank_candidates(&accs, r as usize, &fixed, tol);
        match assigned(ctx, rule)
            .into_iter()
            .find(|(v, _)| ok.contains(v))
        {
            Some((v, _)) => fixed.push(v),
            None => break,
        }
    }
    fixed
}

pub(super) fn alias_check(id: String, ctx: &Context<'_>, alias: &str) -> CheckResult {
    let Some(rule) = ctx.spec.alias_rule(alias) else {
        return CheckResult::new(
            id,
            false,
            format!("no rule for alias `{alias}`"),
            Vec::new(),
        );
    };
    if ctx.model.is_none() {
        return missing_model(id, ctx);
    }
    let got = assigned(ctx, rule);
    let mut evidence: Vec<String> = ctx
        .versions
        .iter()
        .map(|v| {
            let kind = ctx.kind_of.get(&v.version).map_or("?", String::as_str);
            match ctx.accuracy.get(&v.version) {
                Some(a) => format!("v{} ({kind}) accuracy {:.4}", v.version, a.value),
                None => match ctx.accuracy_problem.get(&v.version) {
                    Some(problem) => format!("v{} ({kind}) no accuracy: {problem}", v.version),
                    None => format!("v{} ({kind}) no accuracy", v.version),
                },
            }
        })
        .collect();
    if got.is_empty() {
        let how = match &rule.stage {
            Some(s) => format!("no alias `{alias}` and no version in stage {s}"),
            None => format!("no alias `{alias}`"),
        };
        return CheckResult::new(id, false, how, evidence);
    }
    evidence.extend(got.iter().map(|(_, how)| how.clone()));
    let (correct, want): (BTreeSet<u32>, String) = match (&rule.version, rule.rank) {
        (Some(key), _) => (
            ctx.kind_of
                .iter()
                .filter(|(_, k)| *k == key)
                .map(|(v, _)| *v)
                .collect(),
            format!("is {}", title(ctx, key)),
        ),
        (None, Some(rank)) => {
            let fixed = fixed_above(ctx, rank);
            let set = rank_candidates(
                &accuracies(ctx),
                rank as usize,
                &fixed,
                ctx.spec.accuracy.tie_tolerance,
            );
            let label = match rank {
                1 => "has the highest accuracy".to_string(),
                2 => "has the second-highest accuracy".to_string(),
                r => format!("has accuracy rank {r}"),
            };
            (set, label)
        }
        (None, None) => (BTreeSet::new(), "nothing (rule has no target)".into()),
    };
    let list = |s: &BTreeSet<u32>| {
        s.iter()
            .map(|v| format!("v{v}"))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    if correct.len() > 1 && rule.rank.is_some() {
        evidence.push(format!(
            "tie: {} are equally correct for `{alias}`",
            list(&correct)
        ));
    }
    let hit = got.iter().find(|(v, _)| correct.contains(v));
    if hit.is_none() && rule.rank.is_some() {
        evidence.push(
            "ranked by the accuracies the runs logged, not by the homework's expected output"
                .into(),
        );
    }
    match hit {
        Some((v, how)) => CheckResult::new(
            id,
            true,
            format!("`{alias}` is on v{v}, which {want} ({how})"),
            evidence,
        ),
        None => CheckResult::new(
            id,
            false,
            format!(
                "`{alias}` is on {}, but the version that {want} is {}",
                got.iter()
                    .map(|(v, _)| format!("v{v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if correct.is_empty() {
                    "not determinable from the logged metrics".into()
                } else {
                    list(&correct)
                }
            ),
            evidence,
        ),
    }
}

pub(super) fn alias_loadable(id: String, ctx: &Context<'_>, alias: &str) -> CheckResult {
    let Some(rule) = ctx.spec.alias_rule(alias) else {
        return CheckResult::new(
            id,
            false,
            format!("no rule for alias `{alias}`"),
            Vec::new(),
        );
    };
    if ctx.model.is_none() {
        return missing_model(id, ctx);
    }
    let Some((vnum, how)) = assigned(ctx, rule).into_iter().next() else {
        return CheckResult::new(
            id,
            false,
            format!(
                "models:/{}@{alias} does not resolve: no such alias",
                ctx.model_name()
            ),
            Vec::new(),
        );
    };
    let Some(v) = ctx.versions.iter().find(|v| v.version == vnum) else {
        return CheckResult::new(
            id,
            false,
            format!("{how}, but v{vnum} does not exist"),
            Vec::new(),
        );
    };
    // Loading needs a located MLmodel with a flavor; a signature is the artefact check's
    // business, not the loader's.
    let mut r = model_artifact(id, v);
    let uri = format!("models:/{}@{alias}", ctx.model_name());
    match v
        .artifact
        .mlmodel
        .as_ref()
        .filter(|m| !m.flavors.is_empty())
    {
        Some(m) => {
            r.status = CheckStatus::Pass;
            r.message = format!(
                "{uri} resolves ({how}) to an MLmodel{}",
                m.loader_module
                    .as_ref()
                    .map_or_else(String::new, |l| format!(" loadable through {l}"))
            );
        }
        None => {
            r.status = CheckStatus::Fail;
            r.message = format!("{uri} ({how}): {}", r.message);
        }
    }
    r
}
