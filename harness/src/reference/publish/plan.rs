//! Decisions about what a publish writes that need no server: the registered model's tags, the
//! run names, version numbers, and the placeholders of task-file descriptions and tags. Kept
//! apart from the requests so the rules can be tested without MLflow.

use crate::mlflow::KeyValue;
use crate::reference::RunError;
use crate::reference::ranking::ALIAS_RULE;

use super::{ALIAS_RULE_TAG, INCOMPLETE_TAG, RegistryPlan};

/// The value of [`INCOMPLETE_TAG`]: whoever finds the tag in the UI learns what to do about it.
const INCOMPLETE_NOTE: &str = "a harness run is publishing this model; if no run is, it was \
                               interrupted: re-run with --replace";

/// The registered model's tags when it is created: the plan's, the alias rule a grader can
/// read, and the incomplete marker that only the last step of a publish removes.
pub(super) fn registered_model_tags(plan: &RegistryPlan) -> Vec<KeyValue> {
    let mut tags = plan.tags.clone();
    tags.push(KeyValue::new(ALIAS_RULE_TAG, ALIAS_RULE));
    tags.push(KeyValue::new(INCOMPLETE_TAG, INCOMPLETE_NOTE));
    tags
}

/// The registry number of the version at `index` of [`RegistryPlan::versions`]: a fresh
/// registered model numbers its versions 1, 2, … in the order they are created, and a publish
/// creates them in plan order (a different number is an error, not a renumbering).
pub(super) fn version_number(index: usize) -> u32 {
    index as u32 + 1
}

/// A task needs at least one version, and each version a run name of its own (the runs are
/// found again by name for `--replace`).
///
/// # Errors
/// [`RunError::Spec`] for no names or a name used twice.
pub(crate) fn check_run_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), RunError> {
    let names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        return Err(RunError::Spec("`versions` is empty".into()));
    }
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(RunError::Spec(format!(
                "run name `{name}` is used twice; each version needs its own"
            )));
        }
    }
    Ok(())
}

/// The plan's run names for a message: `` `a`, `b` ``.
pub(super) fn quoted_run_names(plan: &RegistryPlan) -> String {
    plan.versions
        .iter()
        .map(|v| format!("`{}`", v.run_name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `template` with every `{key}` of `values` replaced by its value, in `values` order; other
/// braces are left alone, so a task file's text can still contain them.
pub(crate) fn fill_placeholders(template: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(template.to_owned(), |s, (k, v)| {
        s.replace(&format!("{{{k}}}"), v)
    })
}

#[cfg(test)]
mod tests {
    use super::super::VersionPlan;
    use super::*;

    fn plan(run_names: &[&str]) -> RegistryPlan {
        RegistryPlan {
            experiment: "exp".into(),
            registered_model: "model".into(),
            description: String::new(),
            tags: vec![KeyValue::new("task", "wine"), KeyValue::new("team", "a")],
            versions: run_names
                .iter()
                .map(|n| VersionPlan {
                    run_name: (*n).into(),
                    run_tags: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn a_new_registered_model_carries_the_plan_tags_the_rule_and_the_incomplete_marker() {
        let p = plan(&["a"]);
        let tags = registered_model_tags(&p);
        assert_eq!(
            tags[..2],
            p.tags[..],
            "the plan's tags come first, unchanged"
        );
        let value = |key: &str| crate::mlflow::find(&tags, key).map(str::to_owned);
        assert_eq!(value(ALIAS_RULE_TAG).as_deref(), Some(ALIAS_RULE));
        let note = value(INCOMPLETE_TAG).unwrap();
        assert!(note.contains("--replace"), "{note}");
        assert_eq!(tags.len(), 4);
        assert_eq!(p.tags.len(), 2, "the plan is not modified");
    }

    #[test]
    fn versions_are_numbered_from_one_in_plan_order() {
        assert_eq!([0, 1, 2].map(version_number), [1, 2, 3]);
    }

    #[test]
    fn run_names_must_exist_and_differ() {
        assert!(check_run_names(["a", "b", "c"]).is_ok());
        let empty = check_run_names([]).unwrap_err().to_string();
        assert!(empty.contains("empty"), "{empty}");
        // A repeat further down the list is caught too, not only neighbours.
        let twice = check_run_names(["a", "b", "a"]).unwrap_err();
        assert!(
            matches!(&twice, RunError::Spec(m) if m.contains("`a` is used twice")),
            "{twice}"
        );
    }

    #[test]
    fn run_names_are_quoted_for_messages() {
        assert_eq!(quoted_run_names(&plan(&["v1", "v2"])), "`v1`, `v2`");
    }

    #[test]
    fn placeholders_are_filled_everywhere_and_unknown_ones_left() {
        let values = [("seed", "42".to_owned()), ("n_test", "36".to_owned())];
        assert_eq!(
            fill_placeholders("seed {seed}, again {seed}; {n_test} test; {other}", &values),
            "seed 42, again 42; 36 test; {other}"
        );
        assert_eq!(fill_placeholders("no braces", &values), "no braces");
    }
}
