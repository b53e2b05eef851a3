//! Wire types of the MLflow REST API (3.x), checked against a real 3.17.2 server.
//!
//! The server omits empty and default fields, so every struct is `#[serde(default)]`.
//! String-typed ids (`experiment_id`, `version`) stay strings, as the server sends them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A `{key, value}` pair: tags and params share this shape on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

impl KeyValue {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Experiment {
    pub experiment_id: String,
    pub name: String,
    pub(crate) artifact_location: String,
    pub lifecycle_stage: String,
    pub(crate) last_update_time: i64,
    pub(crate) creation_time: i64,
    pub tags: Vec<KeyValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    #[default]
    Running,
    Scheduled,
    Finished,
    Failed,
    Killed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RunInfo {
    pub run_id: String,
    pub(crate) run_uuid: String,
    pub run_name: String,
    pub experiment_id: String,
    pub(crate) user_id: String,
    pub status: RunStatus,
    pub start_time: i64,
    pub end_time: Option<i64>,
    pub artifact_uri: String,
    pub lifecycle_stage: String,
}

/// One metric point. `value` travels as a number, or as `"NaN"`/`"Infinity"`/`"-Infinity"`
/// because JSON has no literal for them and serde_json would write `null`, which MLflow rejects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Metric {
    pub key: String,
    #[serde(serialize_with = "ser_f64", deserialize_with = "de_f64")]
    pub value: f64,
    pub(crate) timestamp: i64,
    pub step: i64,
}

impl Metric {
    pub fn new(key: impl Into<String>, value: f64, timestamp: i64, step: i64) -> Self {
        Self {
            key: key.into(),
            value,
            timestamp,
            step,
        }
    }
}

fn ser_f64<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_nan() {
        s.serialize_str("NaN")
    } else if *v == f64::INFINITY {
        s.serialize_str("Infinity")
    } else if *v == f64::NEG_INFINITY {
        s.serialize_str("-Infinity")
    } else {
        s.serialize_f64(*v)
    }
}

fn de_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr {
        Num(f64),
        Str(String),
    }
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(v) => Ok(v),
        NumOrStr::Str(s) => match s.as_str() {
            "NaN" | "nan" => Ok(f64::NAN),
            "Infinity" | "inf" => Ok(f64::INFINITY),
            "-Infinity" | "-inf" => Ok(f64::NEG_INFINITY),
            other => other.parse().map_err(serde::de::Error::custom),
        },
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RunData {
    pub(crate) metrics: Vec<Metric>,
    pub params: Vec<KeyValue>,
    pub tags: Vec<KeyValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Dataset {
    pub name: String,
    pub digest: String,
    pub source_type: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DatasetInput {
    pub tags: Vec<KeyValue>,
    pub dataset: Dataset,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RunInputs {
    pub dataset_inputs: Vec<DatasetInput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Run {
    pub info: RunInfo,
    pub data: RunData,
    pub inputs: RunInputs,
}

impl Run {
    pub fn param(&self, key: &str) -> Option<&str> {
        find(&self.data.params, key)
    }
    pub fn tag(&self, key: &str) -> Option<&str> {
        find(&self.data.tags, key)
    }
    pub fn metric(&self, key: &str) -> Option<f64> {
        self.data
            .metrics
            .iter()
            .find(|m| m.key == key)
            .map(|m| m.value)
    }
}

/// Looks a key up in a tag or param list.
pub fn find<'a>(pairs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| kv.value.as_str())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ViewType {
    #[default]
    ActiveOnly,
    DeletedOnly,
    All,
}

/// What `runs/search` takes; `Default` searches everything active, newest first as MLflow does.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct RunSearch {
    pub experiment_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    pub run_view_type: ViewType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub order_by: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum LoggedModelStatus {
    #[default]
    #[serde(rename = "LOGGED_MODEL_STATUS_UNSPECIFIED")]
    Unspecified,
    #[serde(rename = "LOGGED_MODEL_PENDING")]
    Pending,
    #[serde(rename = "LOGGED_MODEL_READY")]
    Ready,
    #[serde(rename = "LOGGED_MODEL_UPLOAD_FAILED")]
    UploadFailed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LoggedModelInfo {
    pub model_id: String,
    pub experiment_id: String,
    pub name: String,
    pub artifact_uri: String,
    pub status: LoggedModelStatus,
    pub model_type: String,
    pub source_run_id: String,
    pub(crate) creation_timestamp_ms: i64,
    pub(crate) last_updated_timestamp_ms: i64,
    pub tags: Vec<KeyValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LoggedModelData {
    pub params: Vec<KeyValue>,
    pub(crate) metrics: Vec<Metric>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LoggedModel {
    pub info: LoggedModelInfo,
    pub data: LoggedModelData,
}

/// What `logged-models` (create) takes.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct NewLoggedModel {
    pub experiment_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_run_id: Option<String>,
    pub params: Vec<KeyValue>,
    pub tags: Vec<KeyValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Alias {
    pub alias: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RegisteredModel {
    pub name: String,
    pub(crate) creation_timestamp: i64,
    pub(crate) last_updated_timestamp: i64,
    pub description: String,
    pub(crate) latest_versions: Vec<ModelVersion>,
    pub tags: Vec<KeyValue>,
    pub aliases: Vec<Alias>,
}

impl RegisteredModel {
    pub fn tag(&self, key: &str) -> Option<&str> {
        find(&self.tags, key)
    }
    /// The version an alias points at, if the alias exists.
    pub fn alias(&self, alias: &str) -> Option<&str> {
        self.aliases
            .iter()
            .find(|a| a.alias == alias)
            .map(|a| a.version.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ModelVersion {
    pub name: String,
    pub version: String,
    pub(crate) creation_timestamp: i64,
    pub(crate) last_updated_timestamp: i64,
    pub current_stage: String,
    pub description: String,
    pub source: String,
    pub run_id: String,
    pub(crate) run_link: String,
    pub model_id: String,
    pub status: String,
    pub tags: Vec<KeyValue>,
    pub aliases: Vec<String>,
}

impl ModelVersion {
    pub fn tag(&self, key: &str) -> Option<&str> {
        find(&self.tags, key)
    }
}

/// What `model-versions/create` takes.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct NewModelVersion {
    pub name: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    pub tags: Vec<KeyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The deprecated but still served registry stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    None,
    Staging,
    Production,
    Archived,
}

impl Stage {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Stage::None => "None",
            Stage::Staging => "Staging",
            Stage::Production => "Production",
            Stage::Archived => "Archived",
        }
    }

    /// Parses a stage name case-insensitively, as MLflow does in `models:/NAME/Stage`.
    pub fn parse(s: &str) -> Option<Stage> {
        [
            Stage::None,
            Stage::Staging,
            Stage::Production,
            Stage::Archived,
        ]
        .into_iter()
        .find(|st| st.as_str().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct FileInfo {
    pub path: String,
    pub is_dir: bool,
    pub file_size: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_metric_values_travel_as_the_strings_mlflow_expects() {
        let json = serde_json::to_string(&[
            Metric::new("a", f64::NAN, 0, 0),
            Metric::new("b", f64::INFINITY, 0, 0),
            Metric::new("c", f64::NEG_INFINITY, 0, 0),
            Metric::new("d", 0.5, 0, 0),
        ])
        .unwrap();
        assert!(json.contains(r#""value":"NaN""#), "{json}");
        assert!(json.contains(r#""value":"Infinity""#), "{json}");
        assert!(json.contains(r#""value":"-Infinity""#), "{json}");
        assert!(json.contains(r#""value":0.5"#), "{json}");
        let back: Vec<Metric> = serde_json::from_str(&json).unwrap();
        assert!(back[0].value.is_nan());
        assert_eq!(back[1].value, f64::INFINITY);
        assert_eq!(back[2].value, f64::NEG_INFINITY);
    }

    #[test]
    fn responses_with_omitted_fields_parse() {
        // Recorded from a 3.17.2 server: empty lists and defaults are left out.
        let run: Run = serde_json::from_str(
            r#"{"info":{"run_uuid":"ab","experiment_id":"1","run_name":"x","status":"FINISHED",
            "start_time":1,"artifact_uri":"mlflow-artifacts:/1/ab/artifacts","lifecycle_stage":"active",
            "run_id":"ab"},"data":{},"inputs":{}}"#,
        )
        .unwrap();
        assert_eq!(run.info.status, RunStatus::Finished);
        assert!(run.data.metrics.is_empty());
        let mv: ModelVersion =
            serde_json::from_str(r#"{"name":"m","version":"3","current_stage":"None"}"#).unwrap();
        assert_eq!(mv.version, "3");
        assert!(mv.tags.is_empty());
    }
}
