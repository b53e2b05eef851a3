//! `models:/…` and `runs:/…` URIs as MLflow's Python API accepts them, and what they resolve to
//! (the client resolves and downloads them: see `artifacts`).

use super::error::{MlflowError, Result};
use super::types::{ModelVersion, Stage};

/// A model reference as MLflow's Python API accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelUri {
    /// `models:/NAME@ALIAS`
    Alias { name: String, alias: String },
    /// `models:/NAME/3`
    Version { name: String, version: String },
    /// `models:/NAME/Production` (deprecated stages; `latest` means the newest version of any stage)
    Stage { name: String, stage: Option<Stage> },
    /// `models:/m-<id>`: a logged model (MLflow 3)
    LoggedModel { model_id: String },
    /// `runs:/RUN_ID/path/in/run`
    Run { run_id: String, path: String },
}

impl ModelUri {
    pub fn parse(uri: &str) -> Result<ModelUri> {
        let invalid = |reason: &str| MlflowError::InvalidUri {
            uri: uri.into(),
            reason: reason.into(),
        };
        if let Some(rest) = uri.strip_prefix("runs:/") {
            let rest = rest.trim_start_matches('/');
            let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
            if run_id.is_empty() {
                return Err(invalid("expected runs:/RUN_ID/path"));
            }
            return Ok(ModelUri::Run {
                run_id: run_id.into(),
                path: path.trim_matches('/').into(),
            });
        }
        let rest = uri
            .strip_prefix("models:/")
            .ok_or_else(|| invalid("expected models:/NAME@ALIAS, models:/NAME/VERSION, models:/NAME/STAGE, models:/MODEL_ID or runs:/RUN_ID/PATH"))?
            .trim_start_matches('/');
        if let Some((name, alias)) = rest.split_once('@') {
            if name.is_empty() || alias.is_empty() {
                return Err(invalid("expected models:/NAME@ALIAS"));
            }
            return Ok(ModelUri::Alias {
                name: name.into(),
                alias: alias.into(),
            });
        }
        match rest.split_once('/') {
            Some((name, suffix)) if !name.is_empty() && !suffix.is_empty() => {
                if suffix.chars().all(|c| c.is_ascii_digit()) {
                    Ok(ModelUri::Version {
                        name: name.into(),
                        version: suffix.into(),
                    })
                } else if suffix.eq_ignore_ascii_case("latest") {
                    Ok(ModelUri::Stage {
                        name: name.into(),
                        stage: None,
                    })
                } else {
                    let stage = Stage::parse(suffix).ok_or_else(|| {
                        invalid("the part after the name must be a version number, a stage (None, Staging, Production, Archived) or `latest`")
                    })?;
                    Ok(ModelUri::Stage {
                        name: name.into(),
                        stage: Some(stage),
                    })
                }
            }
            None if rest.starts_with("m-") => Ok(ModelUri::LoggedModel {
                model_id: rest.into(),
            }),
            _ => Err(invalid("missing model name, version, stage or alias")),
        }
    }
}

/// Where a model reference points.
#[derive(Debug, Clone)]
pub struct ResolvedModel {
    /// Artefact URI of the model's directory.
    pub artifact_uri: String,
    /// The registry version behind it, for registry URIs.
    pub version: Option<ModelVersion>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        assert_eq!(
            ModelUri::parse("models:/wine@champion").unwrap(),
            ModelUri::Alias {
                name: "wine".into(),
                alias: "champion".into()
            }
        );
        assert_eq!(
            ModelUri::parse("models:/wine/3").unwrap(),
            ModelUri::Version {
                name: "wine".into(),
                version: "3".into()
            }
        );
        assert_eq!(
            ModelUri::parse("models:/wine/production").unwrap(),
            ModelUri::Stage {
                name: "wine".into(),
                stage: Some(Stage::Production)
            }
        );
        assert_eq!(
            ModelUri::parse("models:/wine/latest").unwrap(),
            ModelUri::Stage {
                name: "wine".into(),
                stage: None
            }
        );
        assert_eq!(
            ModelUri::parse("models:/m-0123abcd").unwrap(),
            ModelUri::LoggedModel {
                model_id: "m-0123abcd".into()
            }
        );
        assert_eq!(
            ModelUri::parse("runs:/abc/model/MLmodel").unwrap(),
            ModelUri::Run {
                run_id: "abc".into(),
                path: "model/MLmodel".into()
            }
        );
    }

    #[test]
    fn rejects_malformed_uris_with_the_reason() {
        for bad in [
            "wine@champion",
            "models:/",
            "models:/@x",
            "models:/wine/Shipping",
            "runs:/",
        ] {
            let err = ModelUri::parse(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
    }
}
