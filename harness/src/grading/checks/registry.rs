//! Checks on the registered model and its versions: existence, description, model and version
//! tags, the model artefact behind each version.

use std::collections::BTreeMap;

use super::identify::*;
use super::*;
use crate::snapshot::ModelVersion;

pub(super) fn registered_model_exists(id: String, ctx: &Context<'_>) -> CheckResult {
    let name = ctx.model_name();
    match ctx.model {
        Some(m) => match ctx.incomplete_publish() {
            Some(problem) => CheckResult::new(
                id,
                false,
                problem,
                vec![
                    format!("{} versions registered", ctx.versions.len()),
                    format!(
                        "tag {} = {}",
                        crate::mlflow::INCOMPLETE_TAG,
                        m.tags
                            .get(crate::mlflow::INCOMPLETE_TAG)
                            .map_or("", String::as_str)
                    ),
                ],
            ),
            None => CheckResult::new(
                id,
                true,
                format!(
                    "registered model `{name}` with {} versions",
                    ctx.versions.len()
                ),
                Vec::new(),
            ),
        },
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

pub(super) fn description(id: String, ctx: &Context<'_>) -> CheckResult {
    let Some(m) = ctx.model else {
        return missing_model(id, ctx);
    };
    let want = &ctx.spec.registry.description;
    let text = m.description.as_deref().unwrap_or("").trim();
    let len = text.chars().count();
    let searchable = Searchable::new(text);
    let mentioned: Vec<String> = ctx
        .spec
        .versions
        .iter()
        .filter(|s| s.keywords.iter().any(|k| searchable.matches(k)))
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

pub(super) fn missing_model(id: String, ctx: &Context<'_>) -> CheckResult {
    CheckResult::new(
        id,
        false,
        format!("registered model `{}` not found", ctx.model_name()),
        Vec::new(),
    )
}

/// Required keys that are absent or blank.
pub(super) fn missing_tags(tags: &BTreeMap<String, String>, required: &[String]) -> Vec<String> {
    required
        .iter()
        .filter(|k| tags.get(*k).is_none_or(|v| v.trim().is_empty()))
        .cloned()
        .collect()
}

pub(super) fn model_tags(id: String, ctx: &Context<'_>) -> CheckResult {
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

pub(super) fn version_tags(id: String, ctx: &Context<'_>) -> CheckResult {
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

pub(super) fn model_artifact(id: String, v: &ModelVersion) -> CheckResult {
    let a = &v.artifact;
    let mut evidence = Vec::new();
    if let Some(uri) = &a.uri {
        evidence.push(format!("artefact URI {uri}"));
    }
    if let Some(loc) = &a.location {
        evidence.push(format!("found at {loc}: {}", a.files.join(", ")));
    }
    if !a.not_followed.is_empty() {
        evidence.push(format!("not followed: {}", a.not_followed.join("; ")));
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
