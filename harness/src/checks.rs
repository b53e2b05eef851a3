//! Checks: pure functions from a task spec and a [`Snapshot`] to a result with evidence.
//!
//! Nothing here does I/O, so every rule can be unit- and property-tested on hand-made
//! snapshots. The task-level facts several checks share (which registered version is which
//! expected model, each version's accuracy as a fraction) are computed once in [`Context`].
//!
//! Aliases that follow accuracy are tie-aware: on the real wine split DecisionTree and
//! GradientBoosting both score 34/36, so either is a correct `staging`; [`rank_candidates`]
//! gives the set of correct versions and is checked against a brute-force oracle.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::snapshot::{Experiment, ModelVersion, RegisteredModel, Run, Snapshot};
use crate::task::{AliasRule, CheckSpec, TaskSpec, VersionSpec};

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

/// A version's accuracy as a fraction, with how it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Accuracy {
    pub value: f64,
    pub metric: String,
    pub raw: f64,
    /// The run logged percent (0–100) and it was divided by 100.
    pub percent: bool,
}

/// How an expected version was recognised.
#[derive(Debug, Clone, PartialEq)]
pub struct Identified<'a> {
    pub version: &'a ModelVersion,
    pub how: String,
}

/// Facts about one task in one snapshot that several checks need.
#[derive(Debug)]
pub struct Context<'a> {
    pub spec: &'a TaskSpec,
    pub snapshot: &'a Snapshot,
    pub experiment: Option<&'a Experiment>,
    pub model: Option<&'a RegisteredModel>,
    pub versions: Vec<&'a ModelVersion>,
    /// Expected version key → the registered version graded for it.
    pub identified: BTreeMap<String, Identified<'a>>,
    /// Registered version number → the expected key it looks like (every match, not only the
    /// graded one: a re-registered DecisionTree is still a DecisionTree for `baseline`).
    pub kind_of: BTreeMap<u32, String>,
    /// Registered version number → accuracy, for versions whose run logged one.
    pub accuracy: BTreeMap<u32, Accuracy>,
}

impl<'a> Context<'a> {
    pub fn new(spec: &'a TaskSpec, snapshot: &'a Snapshot) -> Self {
        let experiment = spec
            .experiment
            .as_deref()
            .and_then(|n| snapshot.experiment_by_name(n));
        let model = spec
            .registered_model
            .as_deref()
            .and_then(|n| snapshot.registered_model(n));
        let versions: Vec<&ModelVersion> = match model {
            Some(m) => snapshot.versions_of(&m.name).collect(),
            None => Vec::new(),
        };
        let mut ctx = Self {
            spec,
            snapshot,
            experiment,
            model,
            versions,
            identified: BTreeMap::new(),
            kind_of: BTreeMap::new(),
            accuracy: BTreeMap::new(),
        };
        ctx.identify();
        for v in &ctx.versions {
            if let Some(acc) = ctx.run_of(v).and_then(|r| read_accuracy(spec, r)) {
                ctx.accuracy.insert(v.version, acc);
            }
        }
        ctx
    }

    pub fn run_of(&self, v: &ModelVersion) -> Option<&'a Run> {
        v.run_id.as_deref().and_then(|id| self.snapshot.run(id))
    }

    /// Texts a student uses to say which model a version is, with where each came from.
    fn haystack(&self, v: &ModelVersion) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, val) in &v.tags {
            if !k.starts_with("mlflow.") {
                out.push((format!("version tag {k}"), val.clone()));
            }
        }
        if let Some(d) = &v.description {
            out.push(("version description".into(), d.clone()));
        }
        if let Some(run) = self.run_of(v) {
            if let Some(n) = &run.name {
                out.push(("run name".into(), n.clone()));
            }
            for (k, val) in &run.params {
                out.push((format!("run param {k}"), val.clone()));
            }
            for (k, val) in &run.tags {
                if !k.starts_with("mlflow.") {
                    out.push((format!("run tag {k}"), val.clone()));
                }
            }
        }
        out
    }

    fn identify(&mut self) {
        let specs = &self.spec.versions;
        // For each registered version: the expected key it matches best, and why.
        let mut best: BTreeMap<u32, (String, usize, String)> = BTreeMap::new();
        for v in &self.versions {
            let hay = self.haystack(v);
            let mut scored: Vec<(usize, usize, &VersionSpec, Vec<String>)> = specs
                .iter()
                .map(|s| {
                    let hits: Vec<(String, String)> = s
                        .keywords
                        .iter()
                        .filter_map(|kw| {
                            hay.iter()
                                .find(|(_, text)| keyword_matches(kw, text))
                                .map(|(field, _)| (kw.clone(), field.clone()))
                        })
                        .collect();
                    let longest = hits
                        .iter()
                        .map(|(k, _)| normalize(k).len())
                        .max()
                        .unwrap_or(0);
                    let why = hits.iter().map(|(k, f)| format!("`{k}` in {f}")).collect();
                    (hits.len(), longest, s, why)
                })
                .filter(|(n, ..)| *n > 0)
                .collect();
            scored.sort_by(|a, b| {
                (b.0, b.1, b.2.version == v.version).cmp(&(a.0, a.1, a.2.version == v.version))
            });
            if let Some((n, longest, s, why)) = scored.first() {
                let ambiguous = scored.get(1).is_some_and(|(n2, l2, s2, _)| {
                    (n2, l2) == (n, longest) && s2.version != v.version && s.version != v.version
                });
                if !ambiguous {
                    best.insert(v.version, (s.key.clone(), *n, why.join(", ")));
                }
            }
        }
        self.kind_of = best.iter().map(|(v, (k, ..))| (*v, k.clone())).collect();
        for s in specs {
            let mut cands: Vec<&&ModelVersion> = self
                .versions
                .iter()
                .filter(|v| best.get(&v.version).is_some_and(|(k, ..)| *k == s.key))
                .collect();
            // Prefer the homework's number, then the best-scoring, then the earliest.
            cands.sort_by_key(|v| {
                let score = best.get(&v.version).map_or(0, |b| b.1);
                (v.version != s.version, usize::MAX - score, v.version)
            });
            if let Some(v) = cands.first() {
                let why = &best[&v.version].2;
                self.identified.insert(
                    s.key.clone(),
                    Identified {
                        version: v,
                        how: format!("v{} matched {why}", v.version),
                    },
                );
            } else if let Some(v) = self
                .versions
                .iter()
                .find(|v| v.version == s.version && !best.contains_key(&v.version))
            {
                self.identified.insert(
                    s.key.clone(),
                    Identified {
                        version: v,
                        how: format!(
                            "v{} taken by its number only: no keyword ({}) in its tags, run name or params",
                            v.version,
                            s.keywords.join(", ")
                        ),
                    },
                );
                self.kind_of.insert(v.version, s.key.clone());
            }
        }
    }

    fn model_name(&self) -> &str {
        self.spec.registered_model.as_deref().unwrap_or("")
    }
}

/// Lowercase, letters and digits only: `Decision_Tree`, `decision-tree` → `decisiontree`.
pub fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words split at separators and camel-case humps: `wine-v1-DT` → wine, v1, dt.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Short keywords (`dt`, `rf`) must be a whole word; longer ones may sit inside a word
/// (`DecisionTreeClassifier`).
pub fn keyword_matches(keyword: &str, text: &str) -> bool {
    let k = normalize(keyword);
    if k.is_empty() {
        return false;
    }
    if k.chars().count() <= 3 {
        words(text).contains(&k)
    } else {
        normalize(text).contains(&k)
    }
}

/// `a|b|c` accepts any of the names; comparison ignores case and separators.
fn find_key<'m, V>(map: &'m BTreeMap<String, V>, names: &str) -> Option<(&'m String, &'m V)> {
    names.split('|').find_map(|n| {
        let n = normalize(n);
        map.iter().find(|(k, _)| normalize(k) == n)
    })
}

fn read_accuracy(spec: &TaskSpec, run: &Run) -> Option<Accuracy> {
    spec.accuracy.metric.iter().find_map(|name| {
        let (key, raw) = find_key(&run.metrics, name)?;
        let raw = *raw;
        if !(0.0..=100.0).contains(&raw) {
            return None;
        }
        let percent = raw > 1.0;
        Some(Accuracy {
            value: if percent { raw / 100.0 } else { raw },
            metric: key.clone(),
            raw,
            percent,
        })
    })
}

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

fn experiment_exists(id: String, ctx: &Context<'_>) -> CheckResult {
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
fn data_logged(id: String, ctx: &Context<'_>) -> CheckResult {
    let runs: Vec<&Run> = match ctx.experiment {
        Some(e) => ctx.snapshot.runs_in(&e.id).collect(),
        None => ctx.versions.iter().filter_map(|v| ctx.run_of(v)).collect(),
    };
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

fn registered_model_exists(id: String, ctx: &Context<'_>) -> CheckResult {
    let name = ctx.model_name();
    match ctx.model {
        Some(_) => CheckResult::new(
            id,
            true,
            format!(
                "registered model `{name}` with {} versions",
                ctx.versions.len()
            ),
            Vec::new(),
        ),
        None => {
            let present: Vec<String> = ctx
                .snapshot
                .registered_models
                .iter()
                .map(|m| format!("`{}`", m.name))
                .collect();
            CheckResult::new(
                id,
                false,
                format!("no registered model named `{name}`"),
                vec![format!(
                    "registered models present: {}",
                    join_or_none(&present)
                )],
            )
        }
    }
}

fn description(id: String, ctx: &Context<'_>) -> CheckResult {
    let Some(m) = ctx.model else {
        return missing_model(id, ctx);
    };
    let want = &ctx.spec.registry.description;
    let text = m.description.as_deref().unwrap_or("").trim();
    let len = text.chars().count();
    let mentioned: Vec<String> = ctx
        .spec
        .versions
        .iter()
        .filter(|s| s.keywords.iter().any(|k| keyword_matches(k, text)))
        .map(|s| s.title.clone())
        .collect();
    let evidence = vec![
        format!("{len} characters (at least {} wanted)", want.min_chars),
        format!(
            "mentions {} of the models (at least {} wanted): {}",
            mentioned.len(),
            want.min_mentions,
            join_or_none(&mentioned)
        ),
    ];
    if len == 0 {
        return CheckResult::new(
            id,
            false,
            "the registered model has no description",
            evidence,
        );
    }
    let ok = len >= want.min_chars && mentioned.len() >= want.min_mentions;
    CheckResult::new(
        id,
        ok,
        if ok {
            "the description is clear and names the models"
        } else {
            "the description is too short or does not name the models"
        },
        evidence,
    )
}

fn missing_model(id: String, ctx: &Context<'_>) -> CheckResult {
    CheckResult::new(
        id,
        false,
        format!("registered model `{}` not found", ctx.model_name()),
        Vec::new(),
    )
}

/// Required keys that are absent or blank.
fn missing_tags(tags: &BTreeMap<String, String>, required: &[String]) -> Vec<String> {
    required
        .iter()
        .filter(|k| tags.get(*k).is_none_or(|v| v.trim().is_empty()))
        .cloned()
        .collect()
}

fn model_tags(id: String, ctx: &Context<'_>) -> CheckResult {
    let Some(m) = ctx.model else {
        return missing_model(id, ctx);
    };
    let required = &ctx.spec.registry.model_tags;
    let missing = missing_tags(&m.tags, required);
    let present: Vec<String> = m.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    CheckResult::new(
        id,
        missing.is_empty(),
        if missing.is_empty() {
            format!("tags {} present", required.join(", "))
        } else {
            format!("missing or empty tags: {}", missing.join(", "))
        },
        vec![format!("tags present: {}", join_or_none(&present))],
    )
}

fn version_tags(id: String, ctx: &Context<'_>) -> CheckResult {
    let required = &ctx.spec.registry.version_tags;
    if ctx.identified.is_empty() {
        return CheckResult::new(id, false, "no expected version to carry tags", Vec::new());
    }
    let mut evidence = Vec::new();
    let mut bad = Vec::new();
    for (key, ident) in &ctx.identified {
        let missing = missing_tags(&ident.version.tags, required);
        evidence.push(format!(
            "v{} ({key}): {}",
            ident.version.version,
            if missing.is_empty() {
                "all tags".to_string()
            } else {
                format!("missing {}", missing.join(", "))
            }
        ));
        if !missing.is_empty() {
            bad.push(format!("v{}", ident.version.version));
        }
    }
    // Versions that are missing altogether already cost their model item; they are noted
    // here but not charged twice.
    let absent: Vec<&str> = ctx
        .spec
        .versions
        .iter()
        .filter(|s| !ctx.identified.contains_key(&s.key))
        .map(|s| s.title.as_str())
        .collect();
    if !absent.is_empty() {
        evidence.push(format!(
            "not registered (not judged here): {}",
            absent.join(", ")
        ));
    }
    CheckResult::new(
        id,
        bad.is_empty(),
        if bad.is_empty() {
            format!("every registered version has {}", required.join(", "))
        } else {
            format!("versions missing tags: {}", bad.join(", "))
        },
        evidence,
    )
}

fn with_run(
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

fn run_label(run: &Run) -> String {
    format!("run `{}`", run.name.as_deref().unwrap_or(&run.id))
}

fn run_params(
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

fn run_metrics(
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
        None => problems.push(format!(
            "no accuracy (looked for {})",
            ctx.spec.accuracy.metric.join(", ")
        )),
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

fn metric_history(
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

fn accuracy_band(id: String, ctx: &Context<'_>, key: &str) -> CheckResult {
    let Some(ident) = ctx.identified.get(key) else {
        return not_identified(id, ctx, key);
    };
    let Some(acc) = ctx.accuracy.get(&ident.version.version) else {
        return CheckResult::new(
            id,
            false,
            format!("v{} has no accuracy to judge", ident.version.version),
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

fn model_artifact(id: String, v: &ModelVersion) -> CheckResult {
    let a = &v.artifact;
    let mut evidence = Vec::new();
    if let Some(uri) = &a.uri {
        evidence.push(format!("artefact URI {uri}"));
    }
    if let Some(loc) = &a.location {
        evidence.push(format!("found at {loc}: {}", a.files.join(", ")));
    }
    let Some(m) = &a.mlmodel else {
        return CheckResult::new(
            id,
            false,
            format!(
                "v{} has no readable MLmodel: {}",
                v.version,
                a.problem.as_deref().unwrap_or("artefact not found")
            ),
            evidence,
        );
    };
    evidence.push(format!("flavors: {}", join_or_none(&m.flavors)));
    let problems: Vec<&str> = [
        (m.flavors.is_empty(), "no flavor"),
        (m.signature.is_none(), "no signature"),
    ]
    .into_iter()
    .filter_map(|(bad, what)| bad.then_some(what))
    .collect();
    CheckResult::new(
        id,
        problems.is_empty(),
        if problems.is_empty() {
            format!(
                "v{} has an MLmodel with a flavor and a signature",
                v.version
            )
        } else {
            format!("v{}'s MLmodel has {}", v.version, problems.join(" and "))
        },
        evidence,
    )
}

/// The version an alias rule is satisfied by: the alias, or a version in the accepted stage.
fn assigned(ctx: &Context<'_>, rule: &AliasRule) -> Vec<(u32, String)> {
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

fn accuracies(ctx: &Context<'_>) -> BTreeMap<u32, f64> {
    ctx.accuracy.iter().map(|(v, a)| (*v, a.value)).collect()
}

/// Versions validly holding ranks 1..rank-1 (in order), following the task's rank rules.
fn fixed_above(ctx: &Context<'_>, rank: u32) -> Vec<u32> {
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

fn alias_check(id: String, ctx: &Context<'_>, alias: &str) -> CheckResult {
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
                None => format!("v{} ({kind}) no accuracy", v.version),
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

fn alias_loadable(id: String, ctx: &Context<'_>, alias: &str) -> CheckResult {
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

#[cfg(test)]
mod tests {
    use super::*;
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
