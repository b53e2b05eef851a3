//! The JSON file a regression model is saved in (the logged model's `model.json`), the
//! regressors' counterpart of [`super::ModelFile`]: round-trip floats, a format name and version
//! checked before anything else, and a model validated before it can predict.

use serde::{Deserialize, Serialize};

use super::{ModelFileError, RegressionModel};

/// Name in the `format` field of every regressor file.
pub const REGRESSOR_FORMAT: &str = "harness-tree-regressor";
/// Version in the `format_version` field; bumped on incompatible changes.
pub const REGRESSOR_FORMAT_VERSION: u32 = 1;

/// A fitted regressor plus what a reader needs to use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegressorFile {
    pub format: String,
    pub(crate) format_version: u32,
    /// Input column names, in order (the model signature's inputs).
    pub(crate) feature_names: Vec<String>,
    /// What the model predicts (the signature's output column).
    pub(crate) target_name: String,
    /// sha256 of the dataset the model was trained on.
    pub(crate) dataset_sha256: String,
    pub model: RegressionModel,
}

impl RegressorFile {
    pub fn new(
        model: RegressionModel,
        feature_names: Vec<String>,
        target_name: String,
        dataset_sha256: String,
    ) -> Self {
        Self {
            format: REGRESSOR_FORMAT.to_owned(),
            format_version: REGRESSOR_FORMAT_VERSION,
            feature_names,
            target_name,
            dataset_sha256,
            model,
        }
    }

    pub fn to_json(&self) -> String {
        // Cannot fail: plain structs and finite floats (fit rejects non-finite input).
        serde_json::to_string(self).expect("a regressor file always serializes")
    }

    /// Reads and parses `path`.
    ///
    /// # Errors
    /// [`ModelFileError::Read`] with the path, or a parse error as [`Self::from_json`].
    pub fn read(path: &std::path::Path) -> Result<Self, ModelFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// Parses a regressor file, checking `format` and `format_version` first.
    ///
    /// # Errors
    /// [`ModelFileError`] naming what is wrong (and where, for malformed content).
    pub fn from_json(text: &str) -> Result<Self, ModelFileError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(ModelFileError::NotJson)?;
        let format = value.get("format").and_then(|v| v.as_str());
        if format != Some(REGRESSOR_FORMAT) {
            return Err(ModelFileError::WrongFormat {
                found: format.map(str::to_owned),
            });
        }
        let version = value.get("format_version").and_then(|v| v.as_u64());
        if version != Some(u64::from(REGRESSOR_FORMAT_VERSION)) {
            return Err(ModelFileError::UnsupportedVersion { found: version });
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        let file: Self =
            serde_path_to_error::deserialize(de).map_err(|e| ModelFileError::Invalid {
                path: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        if file.feature_names.len() != file.model.n_features() {
            return Err(ModelFileError::Invalid {
                path: "feature_names".into(),
                message: format!(
                    "{} names for a model with {} features",
                    file.feature_names.len(),
                    file.model.n_features()
                ),
            });
        }
        file.model
            .validate()
            .map_err(|message| ModelFileError::Invalid {
                path: "model".into(),
                message,
            })?;
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{RandomForestParams, RegressorParams};

    fn file() -> RegressorFile {
        let d = crate::data::diabetes::load().unwrap();
        let p = RegressorParams::RandomForest(RandomForestParams {
            n_estimators: 5,
            ..RegressorParams::default_forest()
        });
        let m = RegressionModel::fit(&p, &d.features, d.n_features, &d.targets, 1).unwrap();
        RegressorFile::new(m, d.feature_names, "progression".into(), d.digest)
    }

    #[test]
    fn the_file_round_trips_bit_for_bit() {
        let f = file();
        let back = RegressorFile::from_json(&f.to_json()).unwrap();
        assert_eq!(back, f);
        let d = crate::data::diabetes::load().unwrap();
        for i in 0..d.n_samples() {
            assert_eq!(back.model.predict(d.row(i)), f.model.predict(d.row(i)));
        }
    }

    #[test]
    fn foreign_and_broken_files_are_refused() {
        let classifier = r#"{"format": "harness-tree-model", "format_version": 1}"#;
        assert!(matches!(
            RegressorFile::from_json(classifier),
            Err(ModelFileError::WrongFormat { .. })
        ));
        let mut v: serde_json::Value = serde_json::from_str(&file().to_json()).unwrap();
        v["feature_names"].as_array_mut().unwrap().pop();
        assert!(matches!(
            RegressorFile::from_json(&v.to_string()),
            Err(ModelFileError::Invalid { path, .. }) if path == "feature_names"
        ));
        let mut v: serde_json::Value = serde_json::from_str(&file().to_json()).unwrap();
        v["model"]["trees"][0]["nodes"][0] = serde_json::json!({"kind": "split", "feature": 0, "threshold": 1.0, "left": 0, "right": 0});
        match RegressorFile::from_json(&v.to_string()) {
            Err(ModelFileError::Invalid { path, message }) => {
                assert_eq!(path, "model");
                assert!(message.contains("trees[0]: node 0"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
