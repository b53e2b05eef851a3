//! Where a reference run came from, recorded as run tags: the harness version, the data's
//! digest, the seed and the git commit, so a run found on a server can be traced to what made it.

use crate::mlflow::KeyValue;

/// The run tags every version of a task gets. `command` is what MLflow shows as the run's
/// source; `extra` (a task's own provenance) follows the seed.
pub(super) fn run_tags(
    command: &str,
    data_sha256: &str,
    seed: u32,
    extra: impl IntoIterator<Item = KeyValue>,
    git_commit: Option<&str>,
) -> Vec<KeyValue> {
    let mut tags = vec![
        KeyValue::new("harness.version", crate::version::VERSION),
        KeyValue::new("harness.data_sha256", data_sha256),
        KeyValue::new("harness.seed", seed.to_string()),
    ];
    tags.extend(extra);
    tags.push(KeyValue::new("mlflow.source.name", command));
    tags.push(KeyValue::new("mlflow.source.type", "LOCAL"));
    if let Some(commit) = git_commit {
        tags.push(KeyValue::new("mlflow.source.git.commit", commit));
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(tags: &[KeyValue]) -> Vec<&str> {
        tags.iter().map(|t| t.key.as_str()).collect()
    }

    #[test]
    fn run_tags_record_version_data_seed_and_source_with_extras_after_the_seed() {
        let tags = run_tags(
            "harness run mnist",
            "abc",
            7,
            [KeyValue::new("harness.profile", "quick")],
            Some("0123456789abcdef0123456789abcdef01234567"),
        );
        assert_eq!(
            keys(&tags),
            [
                "harness.version",
                "harness.data_sha256",
                "harness.seed",
                "harness.profile",
                "mlflow.source.name",
                "mlflow.source.type",
                "mlflow.source.git.commit",
            ]
        );
        let value = |k| crate::mlflow::find(&tags, k);
        assert_eq!(value("harness.version"), Some(crate::version::VERSION));
        assert_eq!(value("harness.data_sha256"), Some("abc"));
        assert_eq!(value("harness.seed"), Some("7"));
        assert_eq!(value("mlflow.source.name"), Some("harness run mnist"));
    }

    #[test]
    fn without_a_commit_there_is_no_commit_tag() {
        let tags = run_tags("harness run wine", "abc", 42, [], None);
        assert!(!keys(&tags).contains(&"mlflow.source.git.commit"));
        assert_eq!(tags.len(), 5);
    }
}
