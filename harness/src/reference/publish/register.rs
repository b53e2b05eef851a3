//! The registry side of a publish: each logged model registered as the next version with its
//! `status` tag, then the aliases the ranking decided.

use crate::mlflow::{KeyValue, MlflowClient, NewModelVersion};
use crate::reference::error::{RunError, at};
use crate::reference::ranking::{AliasAssignment, RankError};

use super::PublishedVersion;
use super::log::Logged;
use super::parallel::Job;

/// Registers a logged version as version `expected` of `name` (the server also records the
/// version on the logged model's `mlflow.modelVersions` tag, as for the Python client).
pub(super) fn register(
    client: &MlflowClient,
    name: &str,
    expected: u32,
    status: &str,
    l: Logged,
) -> Result<PublishedVersion, RunError> {
    let source = format!("models:/{}", l.model_id);
    let mv = client
        .create_model_version(&NewModelVersion {
            name: name.to_owned(),
            source: source.clone(),
            run_id: Some(l.run_id.clone()),
            model_id: Some(l.model_id.clone()),
            tags: version_tags(l.version_tags, status),
            description: l.version_description,
        })
        .map_err(at(format!(
            "registering `{}` as a version of `{name}`",
            l.run_name
        )))?;
    check_version_number(name, &l.run_name, expected, &mv.version)?;
    Ok(PublishedVersion {
        version: expected,
        run_name: l.run_name,
        run_id: l.run_id,
        model_id: l.model_id,
        source,
        artifact_uri: l.artifact_uri,
        accuracy: l.accuracy,
        f1: l.f1,
        status: status.to_owned(),
        aliases: vec![],
    })
}

/// The producer's version tags and the `status` the version's role gives it.
fn version_tags(mut tags: Vec<KeyValue>, status: &str) -> Vec<KeyValue> {
    tags.push(KeyValue::new("status", status));
    tags
}

/// The plan's numbering only holds while nothing else writes to the registered model; the
/// version the server created says whether it did.
fn check_version_number(
    name: &str,
    run_name: &str,
    expected: u32,
    got: &str,
) -> Result<(), RunError> {
    if got == expected.to_string() {
        return Ok(());
    }
    Err(RunError::UnexpectedVersion {
        name: name.to_owned(),
        run_name: run_name.to_owned(),
        expected,
        got: got.to_owned(),
    })
}

/// The `status` tag version `version` is registered with. Every score is known before the
/// first version is registered, so the final status is known too and no later tag update is
/// needed. Empty only when the ranking failed; the publish then reports that failure.
pub(super) fn registered_status(
    aliases: &Result<AliasAssignment, RankError>,
    version: u32,
) -> &'static str {
    aliases
        .as_ref()
        .map(|a| a.role(version).status())
        .unwrap_or_default()
}

/// Records on each published version its role's status and the aliases pointing at it.
pub(super) fn apply_aliases(versions: &mut [PublishedVersion], aliases: &AliasAssignment) {
    for v in versions {
        v.status = aliases.role(v.version).status().to_owned();
        v.aliases = aliases
            .aliases_of(v.version)
            .into_iter()
            .map(String::from)
            .collect();
    }
}

/// One job per alias of `aliases`, setting it on `name`.
pub(super) fn alias_jobs<'a>(
    client: &'a MlflowClient,
    name: &'a str,
    aliases: &AliasAssignment,
) -> Vec<Job<'a>> {
    aliases
        .pairs()
        .into_iter()
        .map(|(alias, version)| -> Job<'a> {
            Box::new(move || {
                client
                    .set_alias(name, alias, &version.to_string())
                    .map_err(at(format!(
                        "setting alias `{alias}` → v{version} of `{name}`"
                    )))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published(version: u32) -> PublishedVersion {
        PublishedVersion {
            version,
            run_name: format!("v{version}"),
            run_id: String::new(),
            model_id: String::new(),
            source: String::new(),
            artifact_uri: String::new(),
            accuracy: 0.0,
            f1: 0.0,
            status: String::new(),
            aliases: vec![],
        }
    }

    fn assignment(champion: u32, staging: Option<u32>) -> AliasAssignment {
        AliasAssignment {
            champion,
            staging,
            baseline: 1,
            ranking: vec![],
        }
    }

    #[test]
    fn status_is_the_last_tag_and_producer_tags_stay() {
        let tags = version_tags(vec![KeyValue::new("model_type", "tree")], "champion");
        assert_eq!(
            tags,
            [
                KeyValue::new("model_type", "tree"),
                KeyValue::new("status", "champion")
            ]
        );
    }

    #[test]
    fn a_version_number_other_than_the_planned_one_is_an_error() {
        assert!(check_version_number("m", "run", 2, "2").is_ok());
        let err = check_version_number("m", "run", 2, "3").unwrap_err();
        assert!(
            matches!(
                &err,
                RunError::UnexpectedVersion { name, run_name, expected: 2, got }
                    if name == "m" && run_name == "run" && got == "3"
            ),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("something else is writing"),
            "{err}"
        );
    }

    #[test]
    fn registered_status_follows_the_role_and_is_empty_without_a_ranking() {
        let ranked = Ok(assignment(2, Some(3)));
        let status: Vec<&str> = (1..=4).map(|v| registered_status(&ranked, v)).collect();
        assert_eq!(status, ["baseline", "champion", "challenger", "candidate"]);
        assert_eq!(registered_status(&Err(RankError::Empty), 1), "");
    }

    #[test]
    fn aliases_land_on_their_versions_and_the_baseline_can_also_be_staging() {
        let mut versions = [published(1), published(2), published(3)];
        apply_aliases(&mut versions, &assignment(2, Some(1)));
        let got: Vec<(&str, Vec<String>)> = versions
            .iter()
            .map(|v| (v.status.as_str(), v.aliases.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("challenger", vec!["staging".into(), "baseline".into()]),
                ("champion", vec!["champion".into()]),
                ("candidate", vec![]),
            ]
        );
    }

    #[test]
    fn a_single_version_is_champion_and_baseline() {
        let mut versions = [published(1)];
        apply_aliases(&mut versions, &assignment(1, None));
        assert_eq!(versions[0].status, "champion");
        assert_eq!(versions[0].aliases, ["champion", "baseline"]);
    }
}
