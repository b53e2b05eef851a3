//! A normalised, serialisable picture of one MLflow state (a live server or a submitted store).
//!
//! Checks read only this type, so they are pure and can be tested on hand-made values; every
//! source (REST, SQLite, `mlruns/`) fills the same shape. Collections are sorted and maps are
//! `BTreeMap`s so two loads of the same state serialise byte-identically.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Where the state came from (`sqlite:<path>`, a tracking URL, …), for evidence lines.
    pub origin: String,
    /// Sorted by numeric id.
    pub(crate) experiments: Vec<Experiment>,
    /// Sorted by (experiment id, start time, run id).
    pub runs: Vec<Run>,
    /// Sorted by name.
    pub(crate) registered_models: Vec<RegisteredModel>,
    /// Sorted by (name, version).
    pub model_versions: Vec<ModelVersion>,
    /// Sorted by id; empty for MLflow 2.x stores.
    pub logged_models: Vec<LoggedModel>,
    /// MLflow workspaces other than the default one that hold rows in the store, sorted. Only
    /// the default workspace is graded; these are listed so a grader sees what was left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_workspaces: Vec<String>,
    /// One-line remarks on how the source was read that a grader should see (an interrupted
    /// write rolled back, workspaces left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub id: String,
    pub name: String,
    pub(crate) artifact_location: Option<String>,
    /// `active` or `deleted`.
    pub lifecycle_stage: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: String,
    pub experiment_id: String,
    /// Run name (column or `mlflow.runName` tag).
    pub name: Option<String>,
    pub status: String,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub lifecycle_stage: String,
    pub artifact_uri: Option<String>,
    pub params: BTreeMap<String, String>,
    /// Latest value per key: highest step, then latest timestamp (MLflow's rule).
    #[serde(with = "float_map")]
    pub(crate) metrics: BTreeMap<String, f64>,
    /// Every logged point per key, sorted by (step, timestamp).
    pub(crate) histories: BTreeMap<String, Vec<MetricPoint>>,
    pub tags: BTreeMap<String, String>,
    pub inputs: Vec<DatasetInput>,
    /// What lies under the run's artefact folder; `None` when the source does not list run
    /// artefacts (a live server) or the folder is not in the hand-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<RunArtifacts>,
}

/// A run's artefact folder as found in a hand-in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunArtifacts {
    /// The folder, relative to the submission root (a URI when a server listed it).
    pub location: String,
    /// Files under it, sorted by path.
    pub(crate) files: Vec<ArtifactFile>,
    /// Every `MLmodel` under it: the folder it is in (relative to the run's artefacts) and what
    /// it says, or why it could not be read.
    pub(crate) models: Vec<RunModel>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArtifactFile {
    /// Relative to the run's artefact folder, `/`-separated.
    pub(crate) path: String,
    pub(crate) size: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunModel {
    pub(crate) path: String,
    pub(crate) mlmodel: Option<MlModelSummary>,
    /// Why the `MLmodel` could not be read or parsed.
    pub(crate) problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct MetricPoint {
    pub step: i64,
    pub(crate) timestamp: i64,
    #[serde(with = "float")]
    pub value: f64,
}

/// Metric values may be NaN or ±∞ (MLflow stores them); JSON has no such numbers, so they are
/// written as MLflow's REST API writes them (`"NaN"`, `"Infinity"`, `"-Infinity"`) and a
/// snapshot survives a JSON round trip.
mod float {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        match *v {
            v if v.is_nan() => s.serialize_str("NaN"),
            f64::INFINITY => s.serialize_str("Infinity"),
            f64::NEG_INFINITY => s.serialize_str("-Infinity"),
            v => s.serialize_f64(v),
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Num(f64),
        Text(String),
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Num(v) => Ok(v),
            Repr::Text(t) => match t.as_str() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                other => Err(serde::de::Error::custom(format!("not a number: {other}"))),
            },
        }
    }
}

mod float_map {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct F(#[serde(with = "super::float")] f64);

    pub(crate) fn serialize<S: Serializer>(
        m: &BTreeMap<String, f64>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(m.iter().map(|(k, v)| (k, F(*v))))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, f64>, D::Error> {
        Ok(BTreeMap::<String, F>::deserialize(d)?
            .into_iter()
            .map(|(k, F(v))| (k, v))
            .collect())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DatasetInput {
    pub name: String,
    pub digest: String,
    pub source_type: String,
    /// `mlflow.data.context` input tag (`training`, `eval`), when given.
    pub(crate) context: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegisteredModel {
    pub name: String,
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Alias → version number.
    pub aliases: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    pub name: String,
    pub version: u32,
    pub source: Option<String>,
    pub run_id: Option<String>,
    /// Logged model id (3.x); from the column when the schema has one, else from a
    /// `models:/m-…` source.
    pub model_id: Option<String>,
    pub current_stage: Option<String>,
    pub status: Option<String>,
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Where the registry copied/points the files (SQL stores only; not in REST answers).
    #[serde(default)]
    pub storage_location: Option<String>,
    /// What was found at the version's artefact location.
    pub artifact: ArtifactSummary,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoggedModel {
    pub id: String,
    pub experiment_id: String,
    pub name: String,
    pub(crate) artifact_location: String,
    pub source_run_id: Option<String>,
    pub status: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// What was found at `artifact_location`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<ArtifactSummary>,
}

/// The artefact behind a model version: found or not, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArtifactSummary {
    /// The artefact URI as MLflow recorded it.
    pub uri: Option<String>,
    /// Where it was found (relative to the submission root, or a URL), if it was.
    pub location: Option<String>,
    /// Files under the location, relative, sorted.
    pub(crate) files: Vec<String>,
    pub mlmodel: Option<MlModelSummary>,
    /// Why no usable MLmodel was found (not located, unreadable, unparseable).
    pub problem: Option<String>,
    /// Entries of the folder that were not followed (links out of the hand-in, FIFOs, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) not_followed: Vec<String>,
}

/// The parts of an `MLmodel` file the checks need.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MlModelSummary {
    /// Flavor names, sorted (`python_function`, `sklearn`, …).
    pub(crate) flavors: Vec<String>,
    /// `python_function.loader_module`, which decides whether `pyfunc.load_model` works.
    pub(crate) loader_module: Option<String>,
    pub signature: Option<Signature>,
    pub model_id: Option<String>,
    pub run_id: Option<String>,
    pub mlflow_version: Option<String>,
}

/// Signature inputs/outputs as MLflow stores them (JSON text).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    pub inputs: Option<String>,
    pub outputs: Option<String>,
}

impl MlModelSummary {
    /// Parses `MLmodel` YAML. Public so every source (REST included) summarises it the same way.
    pub fn parse(text: &str) -> Result<Self, String> {
        let doc = crate::handin::parse_yaml(std::path::Path::new("MLmodel"), text)
            .map_err(|e| e.to_string())?;
        let map = doc
            .as_mapping()
            .ok_or_else(|| "MLmodel is not a YAML mapping".to_string())?;
        let get = |k: &str| map.get(serde_yaml_ng::Value::from(k));
        let text_of = |v: Option<&serde_yaml_ng::Value>| -> Option<String> {
            match v? {
                serde_yaml_ng::Value::String(s) => Some(s.clone()),
                serde_yaml_ng::Value::Null => None,
                other => serde_yaml_ng::to_string(other)
                    .ok()
                    .map(|s| s.trim().to_string()),
            }
        };
        let mut flavors = Vec::new();
        let mut loader_module = None;
        if let Some(f) = get("flavors").and_then(|f| f.as_mapping()) {
            for (k, v) in f {
                if let Some(name) = k.as_str() {
                    flavors.push(name.to_string());
                    if name == "python_function" {
                        loader_module = text_of(v.get("loader_module"));
                    }
                }
            }
        }
        flavors.sort();
        let signature = get("signature").and_then(|s| {
            let sig = Signature {
                inputs: text_of(s.get("inputs")),
                outputs: text_of(s.get("outputs")),
            };
            (sig.inputs.is_some() || sig.outputs.is_some()).then_some(sig)
        });
        Ok(Self {
            flavors,
            loader_module,
            signature,
            model_id: text_of(get("model_id")),
            run_id: text_of(get("run_id")),
            mlflow_version: text_of(get("mlflow_version")),
        })
    }
}

impl Snapshot {
    /// Puts every collection in its documented order (sources call this last).
    pub fn normalize(&mut self) {
        fn num_then_text(s: &str) -> (u64, String) {
            (s.parse().unwrap_or(u64::MAX), s.to_string())
        }
        self.experiments.sort_by_key(|e| num_then_text(&e.id));
        self.runs.sort_by(|a, b| {
            (num_then_text(&a.experiment_id), a.start_time, &a.id).cmp(&(
                num_then_text(&b.experiment_id),
                b.start_time,
                &b.id,
            ))
        });
        for r in &mut self.runs {
            r.inputs.sort();
            for h in r.histories.values_mut() {
                h.sort_by_key(|a| (a.step, a.timestamp));
            }
        }
        // An empty description is no description, whichever way a source reports it.
        for m in &mut self.registered_models {
            m.description = m.description.take().filter(|d| !d.is_empty());
        }
        for v in &mut self.model_versions {
            v.description = v.description.take().filter(|d| !d.is_empty());
        }
        self.registered_models.sort_by(|a, b| a.name.cmp(&b.name));
        self.model_versions
            .sort_by(|a, b| (&a.name, a.version).cmp(&(&b.name, b.version)));
        self.logged_models.sort_by(|a, b| a.id.cmp(&b.id));
    }

    pub(crate) fn experiment_by_name(&self, name: &str) -> Option<&Experiment> {
        self.experiments
            .iter()
            .find(|e| e.name == name && e.lifecycle_stage != "deleted")
    }

    pub fn run(&self, id: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.id == id)
    }

    pub(crate) fn runs_in(&self, experiment_id: &str) -> impl Iterator<Item = &Run> {
        self.runs
            .iter()
            .filter(move |r| r.experiment_id == experiment_id && r.lifecycle_stage != "deleted")
    }

    pub fn registered_model(&self, name: &str) -> Option<&RegisteredModel> {
        self.registered_models.iter().find(|m| m.name == name)
    }

    /// Versions of `name`, ascending.
    pub(crate) fn versions_of<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a ModelVersion> {
        self.model_versions.iter().filter(move |v| v.name == name)
    }

    pub(crate) fn logged_model(&self, id: &str) -> Option<&LoggedModel> {
        self.logged_models.iter().find(|m| m.id == id)
    }
}

/// Latest value per key from a history, by MLflow's rule: highest step, then latest timestamp,
/// then the larger value (NaN counts as smallest).
pub(crate) fn latest_metrics(
    histories: &BTreeMap<String, Vec<MetricPoint>>,
) -> BTreeMap<String, f64> {
    histories
        .iter()
        .filter_map(|(k, points)| {
            points
                .iter()
                .max_by(|a, b| {
                    (a.step, a.timestamp)
                        .cmp(&(b.step, b.timestamp))
                        .then_with(|| a.value.total_cmp(&b.value))
                })
                .map(|p| (k.clone(), p.value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MLMODEL: &str = r#"
artifact_path: mlflow-artifacts:/1/models/m-abc/artifacts
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
  sklearn:
    pickled_model: model.pkl
    serialization_format: cloudpickle
mlflow_version: 3.17.2
model_id: m-abc
run_id: 8f65
signature:
  inputs: '[{"type": "double", "name": "alcohol", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
"#;

    #[test]
    fn mlmodel_summary_reads_flavors_and_signature() {
        let m = MlModelSummary::parse(MLMODEL).unwrap();
        assert_eq!(m.flavors, ["python_function", "sklearn"]);
        assert_eq!(m.loader_module.as_deref(), Some("mlflow.sklearn"));
        let sig = m.signature.unwrap();
        assert!(sig.inputs.unwrap().contains("alcohol"));
        assert_eq!(m.model_id.as_deref(), Some("m-abc"));
        assert_eq!(m.mlflow_version.as_deref(), Some("3.17.2"));
    }

    #[test]
    fn mlmodel_without_signature_or_yaml() {
        let m = MlModelSummary::parse("flavors:\n  onnx: {data: model.onnx}\n").unwrap();
        assert_eq!(m.flavors, ["onnx"]);
        assert!(m.signature.is_none() && m.loader_module.is_none());
        assert!(MlModelSummary::parse("- a\n- b\n").is_err());
        assert!(MlModelSummary::parse("flavors: [unclosed").is_err());
    }

    #[test]
    fn snapshot_round_trips_through_json_with_nan() {
        let mut run = Run::default();
        run.metrics.insert("loss".into(), f64::NAN);
        run.metrics.insert("acc".into(), 0.5);
        run.histories.insert(
            "loss".into(),
            vec![MetricPoint {
                step: 0,
                timestamp: 1,
                value: f64::NEG_INFINITY,
            }],
        );
        let snap = Snapshot {
            runs: vec![run],
            ..Snapshot::default()
        };
        let json = serde_json::to_string(&snap).unwrap();
        assert!(
            json.contains(r#""loss":"NaN""#) && json.contains("-Infinity"),
            "{json}"
        );
        let back: Snapshot = serde_json::from_str(&json).unwrap();
        assert!(back.runs[0].metrics["loss"].is_nan());
        assert_eq!(back.runs[0].metrics["acc"], 0.5);
        assert_eq!(back.runs[0].histories["loss"][0].value, f64::NEG_INFINITY);
    }

    #[test]
    fn latest_metric_prefers_step_then_timestamp() {
        let p = |step, timestamp, value| MetricPoint {
            step,
            timestamp,
            value,
        };
        let mut h = BTreeMap::new();
        h.insert(
            "acc".to_string(),
            vec![p(5, 1, 0.9), p(2, 9, 0.1), p(5, 3, 0.8)],
        );
        assert_eq!(latest_metrics(&h)["acc"], 0.8);
    }
}
