//! Cross-references of a task file that serde cannot express: version keys named by checks and
//! aliases, weights that add up to an item's points, training versions that match `[[versions]]`.

use std::collections::BTreeSet;

use std::collections::BTreeMap;

use super::{CheckSpec, RegisteredModelSetup, TaskError, TaskSpec, Training};

impl TaskSpec {
    /// Cross-reference checks serde cannot express.
    pub(crate) fn validate(&self, origin: &str) -> Result<(), TaskError> {
        let invalid = |key: String, message: String| TaskError::Invalid {
            origin: origin.into(),
            key,
            message,
        };
        let keys: BTreeSet<&str> = self.versions.iter().map(|v| v.key.as_str()).collect();
        if keys.len() != self.versions.len() {
            return Err(invalid("versions".into(), "duplicate version key".into()));
        }
        let aliases: BTreeSet<&str> = self.aliases.iter().map(|a| a.alias.as_str()).collect();
        for (i, a) in self.aliases.iter().enumerate() {
            match (&a.version, a.rank) {
                (Some(v), None) if keys.contains(v.as_str()) => {}
                (Some(v), None) => {
                    return Err(invalid(
                        format!("aliases[{i}].version"),
                        format!("unknown version key `{v}`"),
                    ));
                }
                (None, Some(r)) if r >= 1 => {}
                _ => {
                    return Err(invalid(
                        format!("aliases[{i}]"),
                        "give exactly one of `version` or `rank` (≥ 1)".into(),
                    ));
                }
            }
        }
        if let Some(scale) = self.scale_to
            && !(scale.is_finite() && scale > 0.0)
        {
            return Err(invalid(
                "scale_to".into(),
                format!("must be a positive number of points, not {scale}"),
            ));
        }
        if self.scale_to.is_some() && self.max_points() == 0 {
            return Err(invalid(
                "scale_to".into(),
                "the rubric has no points to scale".into(),
            ));
        }
        if !(0.0..1.0).contains(&self.accuracy.tie_tolerance) {
            return Err(invalid(
                "accuracy.tie_tolerance".into(),
                "must be in [0, 1)".into(),
            ));
        }
        if let Some((key, message)) = self.reference.as_ref().and_then(|r| r.problem()) {
            return Err(invalid(key, message));
        }
        // Results, gradebook columns and a TA's review rows are keyed by these ids.
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, item) in self.rubric.iter().enumerate() {
            if let Some(first) = ids.insert(item.id.as_str(), i) {
                return Err(invalid(
                    format!("rubric[{i}].id"),
                    format!("duplicate id `{}`: rubric[{first}].id has it too", item.id),
                ));
            }
            let mut check_ids: BTreeMap<String, usize> = BTreeMap::new();
            for (j, c) in item.checks.iter().enumerate() {
                if let Some(first) = check_ids.insert(c.id(), j) {
                    return Err(invalid(
                        format!("rubric[{i}].checks[{j}]"),
                        format!(
                            "its id `{}` is also the id of rubric[{i}].checks[{first}]; two checks of one item must differ in what they look at",
                            c.id()
                        ),
                    ));
                }
            }
            let sum: u32 = item.checks.iter().map(CheckSpec::weight).sum();
            if sum != item.points {
                return Err(invalid(
                    format!("rubric[{i}].checks"),
                    format!(
                        "weights add up to {sum}, but the item is worth {}",
                        item.points
                    ),
                ));
            }
            for (j, c) in item.checks.iter().enumerate() {
                let bad = match c {
                    CheckSpec::VersionRegistered { version, .. }
                    | CheckSpec::RunParams { version, .. }
                    | CheckSpec::RunMetrics { version, .. }
                    | CheckSpec::MetricHistory { version, .. }
                    | CheckSpec::AccuracyBand { version, .. }
                    | CheckSpec::ModelArtifact { version, .. }
                        if !keys.contains(version.as_str()) =>
                    {
                        Some(format!("unknown version key `{version}`"))
                    }
                    CheckSpec::Alias { alias, .. } | CheckSpec::AliasLoadable { alias, .. }
                        if !aliases.contains(alias.as_str()) =>
                    {
                        Some(format!("no [[aliases]] rule for `{alias}`"))
                    }
                    CheckSpec::ExperimentExists { .. } | CheckSpec::DataLogged { .. }
                        if self.experiment.is_none() =>
                    {
                        Some("needs `experiment`".into())
                    }
                    CheckSpec::ModelLoaded { .. } if self.registered_model.is_none() => {
                        Some("needs `registered_model`".into())
                    }
                    CheckSpec::CodeCall { call, .. }
                        if call.split('|').any(|n| n.trim().is_empty()) =>
                    {
                        Some("`call` names a function (`a|b` for either)".into())
                    }
                    c if c.is_general() => super::general::problem(c),
                    c if !c.is_manual()
                        && !c.reads_hand_in()
                        && !matches!(
                            c,
                            CheckSpec::ExperimentExists { .. } | CheckSpec::DataLogged { .. }
                        )
                        && self.registered_model.is_none() =>
                    {
                        Some("needs `registered_model`".into())
                    }
                    _ => None,
                };
                if let Some(message) = bad {
                    return Err(invalid(format!("rubric[{i}].checks[{j}]"), message));
                }
            }
        }
        match &self.training {
            Some(Training::Sklearn(t)) => {
                self.validate_training_versions(
                    origin,
                    t.versions.iter().map(|v| (v.key.as_str(), &v.tags)),
                )?;
                if !(0.0..1.0).contains(&t.test_size) || t.test_size == 0.0 {
                    return Err(invalid(
                        "training.sklearn.test_size".into(),
                        "must be in (0, 1)".into(),
                    ));
                }
                self.validate_model_tags(origin, "training.sklearn", &t.registered_model)?;
            }
            Some(Training::Mlp(t)) => {
                self.validate_training_versions(
                    origin,
                    t.versions.iter().map(|v| (v.key.as_str(), &v.tags)),
                )?;
                for (i, v) in t.versions.iter().enumerate() {
                    if v.dropout.len() != v.hidden.len() {
                        return Err(invalid(
                            format!("training.mlp.versions[{i}].dropout"),
                            "needs one rate per hidden layer".into(),
                        ));
                    }
                }
                for (name, p) in &t.profiles {
                    if let Some(k) = p.epochs.keys().find(|k| !keys.contains(k.as_str())) {
                        return Err(invalid(
                            format!("training.mlp.profiles.{name}.epochs.{k}"),
                            "unknown version key".into(),
                        ));
                    }
                }
                if !t.profiles.contains_key("full") {
                    return Err(invalid(
                        "training.mlp.profiles".into(),
                        "a `full` profile is required".into(),
                    ));
                }
                self.validate_model_tags(origin, "training.mlp", &t.registered_model)?;
            }
            None => {}
        }
        Ok(())
    }

    fn validate_training_versions<'a>(
        &self,
        origin: &str,
        versions: impl Iterator<Item = (&'a str, &'a BTreeMap<String, String>)>,
    ) -> Result<(), TaskError> {
        let mut seen = BTreeSet::new();
        for (key, tags) in versions {
            if !self.versions.iter().any(|v| v.key == key) || !seen.insert(key) {
                return Err(TaskError::Invalid {
                    origin: origin.into(),
                    key: "training.versions".into(),
                    message: format!("`{key}` is unknown or repeated"),
                });
            }
            if let Some(t) = self
                .registry
                .version_tags
                .iter()
                .find(|t| !tags.contains_key(*t))
            {
                return Err(TaskError::Invalid {
                    origin: origin.into(),
                    key: format!("training.versions.{key}.tags"),
                    message: format!("missing required version tag `{t}`"),
                });
            }
        }
        if seen.len() != self.versions.len() {
            return Err(TaskError::Invalid {
                origin: origin.into(),
                key: "training.versions".into(),
                message: "every [[versions]] entry needs a training entry".into(),
            });
        }
        Ok(())
    }

    fn validate_model_tags(
        &self,
        origin: &str,
        prefix: &str,
        setup: &RegisteredModelSetup,
    ) -> Result<(), TaskError> {
        match self
            .registry
            .model_tags
            .iter()
            .find(|t| !setup.tags.contains_key(*t))
        {
            Some(t) => Err(TaskError::Invalid {
                origin: origin.into(),
                key: format!("{prefix}.registered_model.tags"),
                message: format!("missing required tag `{t}`"),
            }),
            None => Ok(()),
        }
    }
}
