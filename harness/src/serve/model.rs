//! The served model: a logged model's folder (downloaded from the registry, or local) loaded
//! through our native flavors (`harness_tree`, `harness_mlp`) or its `onnx` flavor (tract).

use std::path::Path;

use crate::mlflow::{MlflowClient, ModelUri};
use crate::model::mlmodel::{
    HARNESS_MLP_FLAVOR, HARNESS_TREE_FLAVOR, HarnessMlpFlavor, HarnessTreeFlavor, MLMODEL_FILE,
    MlModel, ONNX_FLAVOR, OnnxFlavor, parse_columns, tensor_shape,
};
use crate::nn::Mlp;
use crate::onnx::OnnxClassifier;
use crate::train::{ModelFile, TreeModel};

use super::error::ServeError;
use super::input::{Batch, Column, ColumnKind, InputSchema};

/// Largest `MLmodel` file read (it is YAML of a few kB).
const MAX_MLMODEL_BYTES: u64 = 16 << 20;
/// Largest ONNX file read.
const MAX_ONNX_BYTES: u64 = 1 << 30;

/// How a model answers.
#[derive(Debug)]
pub(crate) enum Classifier {
    Tree(TreeModel),
    Mlp(Mlp),
    Onnx(OnnxClassifier),
}

/// Class and class probabilities of each row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scores {
    pub(crate) labels: Vec<usize>,
    pub(crate) probabilities: Vec<Vec<f64>>,
}

impl Classifier {
    fn n_features(&self) -> usize {
        match self {
            Classifier::Tree(m) => m.n_features(),
            Classifier::Mlp(m) => m.input_size(),
            Classifier::Onnx(m) => m.n_features(),
        }
    }

    /// Scores a batch whose rows have `n_features()` values (the schema checked that).
    pub(crate) fn predict(&self, batch: &Batch) -> Result<Scores, String> {
        match self {
            Classifier::Tree(m) => {
                let rows = batch.values.chunks_exact(m.n_features());
                Ok(Scores {
                    labels: rows.clone().map(|r| m.predict(r)).collect(),
                    probabilities: rows.map(|r| m.predict_proba(r)).collect(),
                })
            }
            Classifier::Mlp(m) => {
                let x: Vec<f32> = batch.values.iter().map(|&v| v as f32).collect();
                let labels = m.predict(&x).map_err(|e| e.to_string())?;
                let proba = m.predict_proba(&x).map_err(|e| e.to_string())?;
                Ok(Scores {
                    labels: labels.into_iter().map(usize::from).collect(),
                    probabilities: proba
                        .iter()
                        .map(|p| p.iter().map(|&v| f64::from(v)).collect())
                        .collect(),
                })
            }
            Classifier::Onnx(m) => {
                let x: Vec<f32> = batch.values.iter().map(|&v| v as f32).collect();
                let p = m.predict(&x).map_err(|e| e.to_string())?;
                let labels = p
                    .labels
                    .iter()
                    .map(|&l| {
                        usize::try_from(l).map_err(|_| format!("the model answered label {l}"))
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Scores {
                    labels,
                    probabilities: p
                        .probabilities
                        .iter()
                        .map(|r| r.iter().map(|&v| f64::from(v)).collect())
                        .collect(),
                })
            }
        }
    }
}

/// Which registry version answers, for `/version`, `model_info` and the response header.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Identity {
    /// What was asked for: the model URI or the folder.
    pub(crate) uri: String,
    /// Registered model name and version (empty for a folder or a run).
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) alias: String,
    pub(crate) run_id: String,
    /// The version run's logged test accuracy, when it has one.
    pub(crate) accuracy: Option<f64>,
}

/// A model ready to answer requests.
#[derive(Debug)]
pub struct ServedModel {
    pub(crate) classifier: Classifier,
    pub(crate) schema: InputSchema,
    pub(crate) class_names: Vec<String>,
    /// The flavor it was loaded through.
    pub(crate) flavor: &'static str,
    pub(crate) identity: Identity,
}

impl ServedModel {
    /// The registered version (or the URI, for models outside the registry).
    pub fn version(&self) -> &str {
        &self.identity.version
    }

    /// The model URI or folder it was loaded from.
    pub fn uri(&self) -> &str {
        &self.identity.uri
    }

    pub fn flavor(&self) -> &'static str {
        self.flavor
    }

    pub(crate) fn class_name(&self, label: usize) -> String {
        self.class_names
            .get(label)
            .cloned()
            .unwrap_or_else(|| label.to_string())
    }
}

/// Loads the model folder `dir` (with its `MLmodel`): the native flavor when there is one, else
/// the `onnx` flavor.
///
/// # Errors
/// [`ServeError::Model`] naming what is missing or unreadable.
pub fn load_dir(dir: &Path, identity_uri: &str) -> Result<ServedModel, ServeError> {
    let bad = |reason: String| ServeError::Model {
        uri: identity_uri.to_owned(),
        reason,
    };
    let text = read_bounded(&dir.join(MLMODEL_FILE), MAX_MLMODEL_BYTES)
        .map_err(|e| bad(format!("{MLMODEL_FILE}: {e}")))?;
    let text = String::from_utf8(text).map_err(|_| bad(format!("{MLMODEL_FILE} is not UTF-8")))?;
    let mlmodel = MlModel::from_yaml(&text).map_err(|e| bad(format!("{MLMODEL_FILE}: {e}")))?;
    let (classifier, class_names, feature_names, flavor) = if mlmodel
        .flavors
        .contains_key(HARNESS_TREE_FLAVOR)
    {
        let f: HarnessTreeFlavor = mlmodel
            .flavor(HARNESS_TREE_FLAVOR)
            .transpose()
            .map_err(|e| bad(format!("flavor {HARNESS_TREE_FLAVOR}: {e}")))?
            .ok_or_else(|| bad("no flavor".into()))?;
        let file = ModelFile::read(&inside(dir, &f.model_file).map_err(bad)?)
            .map_err(|e| bad(e.to_string()))?;
        let names = file.feature_names.clone();
        (
            Classifier::Tree(file.model),
            file.class_names,
            Some(names),
            HARNESS_TREE_FLAVOR,
        )
    } else if mlmodel.flavors.contains_key(HARNESS_MLP_FLAVOR) {
        let _: HarnessMlpFlavor = mlmodel
            .flavor(HARNESS_MLP_FLAVOR)
            .transpose()
            .map_err(|e| bad(format!("flavor {HARNESS_MLP_FLAVOR}: {e}")))?
            .ok_or_else(|| bad("no flavor".into()))?;
        let mlp = Mlp::load(dir).map_err(|e| bad(e.to_string()))?;
        let n = mlp.layer_sizes().last().copied().unwrap_or(0);
        (
            Classifier::Mlp(mlp),
            (0..n).map(|c| c.to_string()).collect(),
            None,
            HARNESS_MLP_FLAVOR,
        )
    } else if mlmodel.flavors.contains_key(ONNX_FLAVOR) {
        let f: OnnxFlavor = mlmodel
            .flavor(ONNX_FLAVOR)
            .transpose()
            .map_err(|e| bad(format!("flavor {ONNX_FLAVOR}: {e}")))?
            .ok_or_else(|| bad("no flavor".into()))?;
        let bytes = read_bounded(&inside(dir, &f.data).map_err(bad)?, MAX_ONNX_BYTES)
            .map_err(|e| bad(format!("{}: {e}", f.data)))?;
        let onnx = OnnxClassifier::load(&bytes).map_err(|e| bad(format!("{}: {e}", f.data)))?;
        let n = onnx.n_classes();
        (
            Classifier::Onnx(onnx),
            (0..n).map(|c| c.to_string()).collect(),
            None,
            ONNX_FLAVOR,
        )
    } else {
        return Err(bad(format!(
            "no flavor harness serve can load (the model has: {}); it loads {HARNESS_TREE_FLAVOR}, {HARNESS_MLP_FLAVOR} and {ONNX_FLAVOR}",
            mlmodel
                .flavors
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let width = classifier.n_features();
    let schema = match mlmodel.signature.as_ref().map(|s| s.inputs.as_str()) {
        Some(inputs) if tensor_shape(inputs).is_some() => {
            let shape = tensor_shape(inputs).unwrap_or_default();
            let declared: i64 = shape.iter().skip(1).product();
            if usize::try_from(declared).ok() != Some(width) {
                return Err(bad(format!(
                    "the signature's input shape {shape:?} does not fit the model's {width} inputs"
                )));
            }
            InputSchema::Tensor { width }
        }
        Some(inputs) => {
            let columns =
                parse_columns(inputs)
                    .map_err(|e| bad(format!("signature inputs: {e}")))?
                    .into_iter()
                    .map(|c| {
                        ColumnKind::parse(&c.kind)
                        .map(|kind| Column { name: c.name.clone(), kind })
                        .ok_or_else(|| {
                            bad(format!(
                                "signature column `{}` has type {}; harness serve takes numbers",
                                c.name, c.kind
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
            if columns.len() != width {
                return Err(bad(format!(
                    "the signature has {} columns, the model takes {width} inputs",
                    columns.len()
                )));
            }
            InputSchema::Columns(columns)
        }
        None => match feature_names {
            Some(names) => InputSchema::Columns(
                names
                    .into_iter()
                    .map(|name| Column {
                        name,
                        kind: ColumnKind::Double,
                    })
                    .collect(),
            ),
            None => InputSchema::Tensor { width },
        },
    };
    Ok(ServedModel {
        classifier,
        schema,
        class_names,
        flavor,
        identity: Identity {
            uri: identity_uri.to_owned(),
            run_id: mlmodel.run_id.clone(),
            ..Identity::default()
        },
    })
}

/// Downloads what `uri` names from the registry and loads it; returns the model with its
/// version, alias and the accuracy its run logged.
///
/// # Errors
/// [`ServeError::Registry`] when the registry cannot say what `uri` is (unknown model, alias
/// not set), [`ServeError::Model`] when the files cannot be served.
pub fn load_from_registry(client: &MlflowClient, uri: &str) -> Result<ServedModel, ServeError> {
    let registry = |source| ServeError::Registry {
        uri: uri.to_owned(),
        source: Box::new(source),
    };
    let parsed = ModelUri::parse(uri).map_err(registry)?;
    let dir = tempfile::tempdir().map_err(ServeError::Io)?;
    let (resolved, _) = client.download_model(uri, dir.path()).map_err(registry)?;
    let mut model = load_dir(dir.path(), uri)?;
    if let Some(v) = resolved.version {
        model.identity.name = v.name;
        model.identity.version = v.version;
        if !v.run_id.is_empty() {
            model.identity.run_id = v.run_id;
        }
    }
    if let ModelUri::Alias { alias, .. } = parsed {
        model.identity.alias = alias;
    }
    model.identity.accuracy = logged_accuracy(client, &model.identity.run_id);
    Ok(model)
}

/// The test accuracy the run logged, under the names the course's runs use.
fn logged_accuracy(client: &MlflowClient, run_id: &str) -> Option<f64> {
    if run_id.is_empty() {
        return None;
    }
    let run = client.get_run(run_id).ok()?;
    ["final_test_accuracy", "test_accuracy", "accuracy"]
        .iter()
        .find_map(|k| run.metric(k))
}

/// `rel` inside `dir`: a flavor's file name may not climb out of the model's folder.
fn inside(dir: &Path, rel: &str) -> Result<std::path::PathBuf, String> {
    let path = Path::new(rel);
    if path.is_absolute()
        || path
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!(
            "the flavor names the file {rel:?}, which is not inside the model's folder"
        ));
    }
    Ok(dir.join(path))
}

fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes"));
    }
    Ok(bytes)
}
