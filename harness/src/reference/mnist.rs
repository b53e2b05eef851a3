//! Task 2 of the homework, done the way a perfect submission does it: train the three MNIST
//! networks of `tasks/mnist.toml`, log every epoch, register them through [`super::publish`],
//! then load the champion back by alias, predict with softmax confidence and check that its
//! accuracy on the test split equals the logged `final_test_accuracy`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::data::mnist;
use crate::data::split::train_test_split;
use crate::mlflow::{self, DatasetInput, KeyValue, Metric, MlflowClient, now_ms};
use crate::nn::{self, DeviceKind, Engine, EpochMetrics, Mlp, MlpConfig, N_CLASSES, Samples};
use crate::progress::Progress;
use crate::task::{TaskSpec, Training};
use crate::train::{metrics, py_float};

use super::error::{RunError, at};
use super::mlmodel::{
    HARNESS_MLP_FLAVOR, HarnessMlpFlavor, INPUT_EXAMPLE_FILE, InputExampleInfo, MlModel,
    tensor_shape, tensor_signature,
};
use super::provenance::{git_commit, run_tags};
use super::publish::{
    ArtifactFile, DownloadedChampion, OpenRun, Published, RegistryPlan, VersionDraft, VersionPlan,
    check_run_names, download_champion, fill_placeholders, publish,
};

/// The profile `harness run mnist` trains when none is given: the homework's epochs.
pub const DEFAULT_PROFILE: &str = "full";

/// What task 2 asks for, read from a task file's `[training.mlp]` ([`MnistRunSpec::from_task`])
/// and varied by the command line (device, data, names).
#[derive(Debug, Clone, PartialEq)]
pub struct MnistRunSpec {
    pub experiment: String,
    pub registered_model: String,
    /// May use `{seed}`, `{test_size}`, `{train_percent}`, `{test_percent}`, `{n_train}`,
    /// `{n_test}`, `{profile}` and `{framework}`.
    pub description: String,
    /// Registered-model tags; `{framework}` is filled in with what trains the networks.
    pub tags: BTreeMap<String, String>,
    /// Seed of the split (numpy's `RandomState`) and of each network's RNG.
    pub seed: u32,
    /// Fraction of the pool held out for testing (the spec's 30 %).
    pub test_size: f64,
    /// Test metrics on 0-based epochs 0, k, 2k, …
    pub test_every: usize,
    /// The profile the epochs come from (`full`, `quick`), recorded as a param.
    pub profile: String,
    /// v1, v2, … in order; v1 is the baseline.
    pub versions: Vec<MnistVersionSpec>,
    /// Test images the champion predicts after loading.
    pub predict_samples: usize,
    /// Training images in `input_example.json`.
    pub input_example_rows: usize,
    /// Train on the first `n` training images only (the profile's cap, or tests).
    pub max_train_samples: Option<usize>,
    pub device: DeviceKind,
    pub engine: Engine,
    /// MNIST IDX files to use instead of the embedded 10 000 digits.
    pub data_dir: Option<PathBuf>,
    /// Mean/std normalisation after scaling to [0, 1]; recorded as params and in the model.
    pub normalize: Option<mnist::Normalize>,
}

/// One network of task 2.
#[derive(Debug, Clone, PartialEq)]
pub struct MnistVersionSpec {
    /// Key of the task file's `[[versions]]` entry (`shallow`, `medium`, `deep`).
    pub key: String,
    pub run_name: String,
    pub hidden: Vec<usize>,
    /// One rate per hidden layer.
    pub dropout: Vec<f64>,
    pub learning_rate: f64,
    pub batch_size: usize,
    /// Epochs under [`MnistRunSpec::profile`].
    pub epochs: usize,
    /// Version tags; `{num_parameters}` and `{training_time_seconds}` are filled in, `status`
    /// comes from the role the measured accuracy gives the version.
    pub tags: BTreeMap<String, String>,
}

impl MnistRunSpec {
    /// The run described by `task`'s `[training.mlp]`, with the epochs of `profile`.
    ///
    /// # Errors
    /// [`RunError::Spec`] when the task has no MLP training section, names an unknown profile,
    /// asks for an optimizer or loss the harness does not train with, or a seed above 2³².
    pub fn from_task(task: &TaskSpec, profile: &str) -> Result<Self, RunError> {
        let Some(Training::Mlp(t)) = &task.training else {
            return Err(RunError::Spec(format!(
                "task `{}` has no [training.mlp] section",
                task.id
            )));
        };
        let named = |what: &str, v: &Option<String>| {
            v.clone()
                .ok_or_else(|| RunError::Spec(format!("task `{}` names no `{what}`", task.id)))
        };
        if !t.optimizer.eq_ignore_ascii_case("adam") {
            return Err(RunError::Spec(format!(
                "training.mlp.optimizer = `{}`: the harness trains with Adam only",
                t.optimizer
            )));
        }
        if !t.loss.eq_ignore_ascii_case("crossentropyloss") {
            return Err(RunError::Spec(format!(
                "training.mlp.loss = `{}`: the harness trains with CrossEntropyLoss only",
                t.loss
            )));
        }
        if !(t.train_fraction > 0.0 && t.train_fraction < 1.0) {
            return Err(RunError::Spec(format!(
                "training.mlp.train_fraction = {} must be in (0, 1)",
                t.train_fraction
            )));
        }
        let seed = u32::try_from(t.seed).map_err(|_| {
            RunError::Spec(format!(
                "training.mlp.seed = {} is not below 2^32 (numpy's RandomState)",
                t.seed
            ))
        })?;
        let p = t.profiles.get(profile).ok_or_else(|| {
            RunError::Spec(format!(
                "unknown profile `{profile}`; {} has: {}",
                task.id,
                t.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        let versions = t
            .versions
            .iter()
            .map(|v| {
                Ok(MnistVersionSpec {
                    key: v.key.clone(),
                    run_name: v.run_name.clone(),
                    hidden: v.hidden.clone(),
                    dropout: v.dropout.clone(),
                    learning_rate: v.learning_rate,
                    batch_size: v.batch_size,
                    epochs: t
                        .epochs_for(profile, &v.key)
                        .map_err(|e| RunError::Spec(e.to_string()))?
                        as usize,
                    tags: v.tags.clone(),
                })
            })
            .collect::<Result<Vec<_>, RunError>>()?;
        Ok(MnistRunSpec {
            experiment: named("experiment", &task.experiment)?,
            registered_model: named("registered_model", &task.registered_model)?,
            description: t.registered_model.description.clone(),
            tags: t.registered_model.tags.clone(),
            seed,
            // 1 - 0.7 is 0.30000000000000004 in binary, and scikit-learn's ceil(test_size · n)
            // would then hold out one image too many: round to a decimal fraction.
            test_size: ((1.0 - t.train_fraction) * 1e9).round() / 1e9,
            test_every: t.test_every as usize,
            profile: profile.to_owned(),
            versions,
            predict_samples: t.predict_samples,
            input_example_rows: 2,
            max_train_samples: p.max_train_samples,
            device: DeviceKind::Cpu,
            engine: Engine::Auto,
            data_dir: None,
            normalize: t.normalize,
        })
    }

    /// The engine that will train on [`Self::device`] (what `Engine::Auto` resolves to).
    pub fn resolved_engine(&self) -> Engine {
        match (self.engine, self.device) {
            (Engine::Auto, DeviceKind::Cpu) => Engine::Fused,
            (Engine::Auto, DeviceKind::Cuda(_)) => Engine::Candle,
            (e, _) => e,
        }
    }

    /// The `framework` tag: what actually trains the networks.
    pub fn framework(&self) -> String {
        match self.resolved_engine() {
            Engine::Candle => format!("harness-rust (candle, {})", self.device),
            _ => "harness-rust (fused CPU kernels, gemm)".to_owned(),
        }
    }
}

impl MnistVersionSpec {
    /// `784-128-10`.
    pub fn architecture(&self) -> String {
        std::iter::once(nn::MNIST_INPUTS)
            .chain(self.hidden.iter().copied())
            .chain(std::iter::once(N_CLASSES))
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The trainer's configuration for this version.
    pub fn config(&self, spec: &MnistRunSpec) -> MlpConfig {
        MlpConfig {
            name: self.key.clone(),
            hidden: self.hidden.clone(),
            dropout: self.dropout.iter().map(|&d| d as f32).collect(),
            learning_rate: self.learning_rate,
            batch_size: self.batch_size,
            epochs: self.epochs,
            seed: u64::from(spec.seed),
            eval_every: spec.test_every,
            engine: spec.engine,
            ..MlpConfig::default()
        }
    }

    /// `dropout_rate`: one value when every layer has the same rate, else each in layer order.
    fn dropout_param(&self) -> String {
        match self.dropout.first() {
            Some(&d) if self.dropout.iter().all(|&x| x == d) => py_float(d),
            None => py_float(0.0),
            _ => self
                .dropout
                .iter()
                .map(|&d| py_float(d))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// What the data looked like.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MnistData {
    /// `embedded` or the directory of the IDX files.
    pub source: String,
    pub sha256: String,
    pub samples: usize,
    pub image_shape: [usize; 2],
    pub num_classes: usize,
    pub n_train: usize,
    pub n_test: usize,
    pub normalization: String,
}

/// One trained and registered network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MnistVersionResult {
    pub version: u32,
    pub key: String,
    pub run_name: String,
    /// The `model_type` tag.
    pub model_type: String,
    /// `784-128-10`.
    pub architecture: String,
    pub dropout: Vec<f64>,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub epochs: usize,
    pub final_test_accuracy: f64,
    pub final_test_loss: f64,
    /// Weighted F1 on the test split (the alias rule's tie-break).
    pub f1_weighted: f64,
    pub n_parameters: usize,
    pub training_time_s: f64,
    pub samples_per_second: f64,
    pub model_size_mb: f64,
    /// Every epoch's metrics, as logged.
    pub history: Vec<EpochMetrics>,
}

/// One test image predicted by the champion loaded from the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigitPrediction {
    /// Image of the pool.
    pub row: usize,
    pub predicted: u8,
    pub actual: u8,
    /// Softmax probability of the predicted digit.
    pub confidence: f32,
}

/// The champion as loaded back through the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MnistChampion {
    /// `models:/<name>@champion`.
    pub uri: String,
    pub version: u32,
    pub model_id: String,
    pub architecture: String,
    /// Files downloaded, relative to the model directory.
    pub files: Vec<String>,
    pub predictions: Vec<DigitPrediction>,
    /// Accuracy of the loaded model on the whole test split.
    pub test_accuracy: f64,
    pub test_loss: f64,
    pub n_test: usize,
    /// `final_test_accuracy` as the server has it; equal to `test_accuracy` in any returned
    /// summary (a difference is an error).
    pub logged_accuracy: f64,
}

/// Everything `harness run mnist` did, for printing and for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MnistSummary {
    pub published: Published,
    pub profile: String,
    pub seed: u32,
    pub test_size: f64,
    pub device: String,
    pub engine: Engine,
    pub framework: String,
    pub data: MnistData,
    pub git_commit: Option<String>,
    pub versions: Vec<MnistVersionResult>,
    pub champion: MnistChampion,
}

impl MnistSummary {
    /// The champion's row of [`Self::versions`].
    pub fn champion_result(&self) -> Option<&MnistVersionResult> {
        self.versions
            .iter()
            .find(|v| v.version == self.champion.version)
    }
}

/// The test split, scaled.
struct TestData {
    rows: Vec<usize>,
    x: Vec<f32>,
    y: Vec<u8>,
}

/// Runs task 2 against `client`'s server and returns what it did.
///
/// # Errors
/// [`RunError::AlreadyExists`] when the registered model or the runs exist and `replace` is
/// false; any data, training, MLflow or verification failure, with its step.
pub fn run(
    client: &MlflowClient,
    spec: &MnistRunSpec,
    replace: bool,
    progress: &Progress,
) -> Result<MnistSummary, RunError> {
    check_spec(spec)?;
    progress.set_message("loading MNIST");
    let pool = match &spec.data_dir {
        Some(dir) => mnist::load_dir(dir)?,
        None => mnist::load_embedded()?,
    };
    let split = train_test_split(pool.len(), spec.test_size, spec.seed)?;
    let mut train_rows = split.train.clone();
    if let Some(max) = spec.max_train_samples {
        train_rows.truncate(max);
    }
    // Pixels / 255 into [0, 1], then the task file's mean/std when it asks (recorded as params
    // and inside the saved model, so the champion reloads with the same input scaling).
    let (train_x, train_y) = pool.select(&train_rows, spec.normalize);
    let (test_x, test_y) = pool.select(&split.test, spec.normalize);
    let test = TestData {
        rows: split.test.clone(),
        x: test_x,
        y: test_y,
    };
    let data = MnistData {
        source: pool.source.clone(),
        sha256: pool.digest(),
        samples: pool.len(),
        image_shape: [pool.rows, pool.cols],
        num_classes: pool.n_classes(),
        n_train: train_rows.len(),
        n_test: test.rows.len(),
        normalization: match spec.normalize {
            Some(n) => format!("mean={} std={}", n.mean, n.std),
            None => "none".into(),
        },
    };
    let framework = spec.framework();
    let git_commit = git_commit();
    let plan = registry_plan(spec, &data, &framework, git_commit.as_deref());

    let mut results: Vec<MnistVersionResult> = Vec::with_capacity(spec.versions.len());
    let published = publish(client, &plan, replace, progress, |open: &OpenRun<'_>| {
        let v = &spec.versions[open.index];
        let config = v.config(spec);
        progress.start_bar(v.epochs as u64, format!("v{} {}", open.index + 1, v.key));
        let started_ms = now_ms();
        let outcome = nn::train(
            &config,
            Samples::new(&train_x, &train_y),
            Samples::new(&test.x, &test.y),
            spec.device,
            &mut |m: &EpochMetrics| {
                let test = m
                    .test
                    .map(|t| format!(" test_acc {:.4}", t.accuracy))
                    .unwrap_or_default();
                progress.set_message(format!(
                    "loss {:.4} acc {:.4}{test}",
                    m.train_loss, m.train_accuracy
                ));
                progress.inc(1);
            },
        );
        progress.spin();
        let mut out = outcome.map_err(|source| RunError::Nn {
            what: format!("training {}", v.run_name),
            source: Box::new(source),
        })?;
        out.model.normalize = spec.normalize;
        progress.set_message(format!("logging {}", v.run_name));
        open.client
            .log_batch(
                open.run_id,
                &epoch_metrics(&out.epochs, started_ms),
                &[],
                &[],
            )
            .map_err(at(format!("logging the epoch metrics of `{}`", v.run_name)))?;
        let predicted = out.model.predict(&test.x).map_err(|source| RunError::Nn {
            what: format!("predicting the test split with {}", v.run_name),
            source: Box::new(source),
        })?;
        let f1 = metrics::f1_weighted(
            &test.y.iter().map(|&y| usize::from(y)).collect::<Vec<_>>(),
            &predicted
                .iter()
                .map(|&y| usize::from(y))
                .collect::<Vec<_>>(),
            N_CLASSES,
        );
        let result = MnistVersionResult {
            version: open.index as u32 + 1,
            key: v.key.clone(),
            run_name: v.run_name.clone(),
            model_type: v.tags.get("model_type").cloned().unwrap_or_default(),
            architecture: v.architecture(),
            dropout: v.dropout.clone(),
            learning_rate: v.learning_rate,
            batch_size: v.batch_size,
            epochs: v.epochs,
            final_test_accuracy: out.final_test.accuracy,
            final_test_loss: out.final_test.loss,
            f1_weighted: f1,
            n_parameters: out.n_parameters,
            training_time_s: out.training_time_s,
            samples_per_second: out.samples_per_second,
            model_size_mb: out.model_size_mb,
            history: out.epochs.clone(),
        };
        let draft = draft(spec, v, &data, &train_x, &out.model, &result)?;
        results.push(result);
        Ok(draft)
    })?;

    progress.set_message("loading the champion by alias");
    let champion = check_champion(client, spec, &published, &test)?;
    Ok(MnistSummary {
        profile: spec.profile.clone(),
        seed: spec.seed,
        test_size: spec.test_size,
        device: spec.device.to_string(),
        engine: spec.resolved_engine(),
        framework,
        data,
        git_commit,
        versions: results,
        champion,
        published,
    })
}

fn check_spec(spec: &MnistRunSpec) -> Result<(), RunError> {
    check_run_names(spec.versions.iter().map(|v| v.run_name.as_str()))?;
    for v in &spec.versions {
        if v.epochs == 0 {
            return Err(RunError::Spec(format!(
                "`{}` trains 0 epochs under profile `{}`",
                v.key, spec.profile
            )));
        }
        v.config(spec)
            .validate()
            .map_err(|e| RunError::Spec(format!("`{}`: {e}", v.key)))?;
    }
    if spec.predict_samples == 0 {
        return Err(RunError::Spec(
            "`predict_samples` must be at least 1".into(),
        ));
    }
    if spec.max_train_samples == Some(0) {
        return Err(RunError::Spec(
            "`max_train_samples` must be at least 1".into(),
        ));
    }
    Ok(())
}

/// Per epoch `train_loss` and `train_accuracy`; on test epochs `test_loss` and
/// `test_accuracy`; step = the 0-based epoch, timestamp = when the epoch ended.
fn epoch_metrics(epochs: &[EpochMetrics], started_ms: i64) -> Vec<Metric> {
    let mut out = Vec::with_capacity(epochs.len() * 4);
    for m in epochs {
        let ts = started_ms + (m.elapsed_s * 1000.0) as i64;
        let step = m.epoch as i64;
        out.push(Metric::new("train_loss", m.train_loss, ts, step));
        out.push(Metric::new("train_accuracy", m.train_accuracy, ts, step));
        if let Some(t) = m.test {
            out.push(Metric::new("test_loss", t.loss, ts, step));
            out.push(Metric::new("test_accuracy", t.accuracy, ts, step));
        }
    }
    out
}

fn registry_plan(
    spec: &MnistRunSpec,
    data: &MnistData,
    framework: &str,
    git_commit: Option<&str>,
) -> RegistryPlan {
    let test_percent = (spec.test_size * 100.0).round() as i64;
    let values = [
        ("seed", spec.seed.to_string()),
        ("test_size", py_float(spec.test_size)),
        ("train_percent", (100 - test_percent).to_string()),
        ("test_percent", test_percent.to_string()),
        ("n_train", data.n_train.to_string()),
        ("n_test", data.n_test.to_string()),
        ("profile", spec.profile.clone()),
        ("framework", framework.to_owned()),
    ];
    let run_tags = run_tags(
        "harness run mnist",
        &data.sha256,
        spec.seed,
        [
            KeyValue::new("harness.profile", &spec.profile),
            KeyValue::new("harness.engine", format!("{:?}", spec.resolved_engine())),
        ],
        git_commit,
    );
    RegistryPlan {
        experiment: spec.experiment.clone(),
        registered_model: spec.registered_model.clone(),
        description: fill_placeholders(&spec.description, &values),
        tags: spec
            .tags
            .iter()
            .map(|(k, v)| KeyValue::new(k, fill_placeholders(v, &values)))
            .collect(),
        versions: spec
            .versions
            .iter()
            .map(|v| VersionPlan {
                run_name: v.run_name.clone(),
                run_tags: run_tags.clone(),
            })
            .collect(),
    }
}

/// What to log and register for one trained network.
fn draft(
    spec: &MnistRunSpec,
    v: &MnistVersionSpec,
    data: &MnistData,
    train_x: &[f32],
    model: &Mlp,
    r: &MnistVersionResult,
) -> Result<VersionDraft, RunError> {
    let mut params: Vec<KeyValue> = v
        .hidden
        .iter()
        .enumerate()
        .map(|(i, h)| KeyValue::new(format!("hidden_size_{}", i + 1), h.to_string()))
        .collect();
    params.extend([
        KeyValue::new("dropout_rate", v.dropout_param()),
        KeyValue::new("learning_rate", py_float(v.learning_rate)),
        KeyValue::new("batch_size", v.batch_size.to_string()),
        KeyValue::new("num_epochs", v.epochs.to_string()),
        KeyValue::new("optimizer", "Adam"),
        KeyValue::new("loss_function", "CrossEntropyLoss"),
        KeyValue::new("seed", spec.seed.to_string()),
        KeyValue::new("device", spec.device.to_string()),
        KeyValue::new("profile", &spec.profile),
        KeyValue::new("samples", data.samples.to_string()),
        KeyValue::new(
            "image_shape",
            format!("{}x{}", data.image_shape[0], data.image_shape[1]),
        ),
        KeyValue::new("num_classes", data.num_classes.to_string()),
        KeyValue::new("normalization", &data.normalization),
        KeyValue::new("train_samples", data.n_train.to_string()),
        KeyValue::new("test_samples", data.n_test.to_string()),
    ]);

    // The files Mlp::save writes, read back so what is uploaded is exactly what loads.
    let dir = tempfile::tempdir().map_err(|source| RunError::Io {
        action: "creating a temporary directory for",
        path: v.run_name.clone(),
        source,
    })?;
    model.save(dir.path()).map_err(|source| RunError::Nn {
        what: format!("saving {}", v.run_name),
        source: Box::new(source),
    })?;
    let read = |name: &str| {
        let path = dir.path().join(name);
        std::fs::read(&path).map_err(|source| RunError::Io {
            action: "reading",
            path: path.display().to_string(),
            source,
        })
    };
    let d = nn::MNIST_INPUTS;
    let rows = spec.input_example_rows.min(train_x.len() / d);
    let example =
        serde_json::json!({ "inputs": train_x[..rows * d].chunks(d).collect::<Vec<_>>() });
    let files = vec![
        ArtifactFile {
            path: nn::WEIGHTS_FILE.into(),
            bytes: read(nn::WEIGHTS_FILE)?,
        },
        ArtifactFile {
            path: nn::CONFIG_FILE.into(),
            bytes: read(nn::CONFIG_FILE)?,
        },
        ArtifactFile {
            path: INPUT_EXAMPLE_FILE.into(),
            bytes: example.to_string().into_bytes(),
        },
    ];
    let mlmodel = MlModel {
        signature: Some(tensor_signature(
            "float32",
            &[-1, d as i64],
            &[-1, N_CLASSES as i64],
        )),
        saved_input_example_info: Some(InputExampleInfo {
            artifact_path: INPUT_EXAMPLE_FILE.into(),
            pandas_orient: None,
            format: Some("tf-serving".into()),
            kind: "ndarray".into(),
        }),
        ..Default::default()
    }
    .with_flavor(
        HARNESS_MLP_FLAVOR,
        &HarnessMlpFlavor {
            activation: "relu".into(),
            config: nn::CONFIG_FILE.into(),
            dropout: model.dropout().to_vec(),
            format: nn::FORMAT.into(),
            format_version: nn::FORMAT_VERSION,
            harness_version: crate::VERSION.into(),
            input_scale: "1/255".into(),
            layer_sizes: model.layer_sizes().to_vec(),
            weights: nn::WEIGHTS_FILE.into(),
        },
    );
    let values = [
        ("num_parameters", r.n_parameters.to_string()),
        ("training_time_seconds", format!("{:.2}", r.training_time_s)),
    ];
    let version_tags = v
        .tags
        .iter()
        // `status` follows the role the accuracy gives the version (publish sets it).
        .filter(|(k, _)| k.as_str() != "status")
        .map(|(k, val)| KeyValue::new(k, fill_placeholders(val, &values)))
        .collect();
    Ok(VersionDraft {
        params,
        metrics: vec![
            ("final_test_accuracy".into(), r.final_test_accuracy),
            ("final_test_loss".into(), r.final_test_loss),
            ("final_test_f1_weighted".into(), r.f1_weighted),
            ("model_size_mb".into(), r.model_size_mb),
        ],
        datasets: vec![dataset_input(data)],
        model_name: "model".into(),
        files,
        mlmodel,
        version_tags,
        version_description: Some(format!(
            "{} {} (dropout {}), Adam lr {}, batch {}, {} epochs ({} profile): test accuracy \
             {:.4}, test loss {:.4}, {} parameters, {:.1} s",
            r.model_type,
            r.architecture,
            v.dropout_param(),
            py_float(v.learning_rate),
            v.batch_size,
            v.epochs,
            spec.profile,
            r.final_test_accuracy,
            r.final_test_loss,
            r.n_parameters,
            r.training_time_s
        )),
        accuracy: r.final_test_accuracy,
        f1: r.f1_weighted,
    })
}

/// The run's dataset input, shaped like `mlflow.data.from_numpy(x, targets=y, name="mnist")`.
fn dataset_input(data: &MnistData) -> DatasetInput {
    let d = data.image_shape[0] * data.image_shape[1];
    let spec = |dtype: &str, shape: serde_json::Value| {
        serde_json::json!([{"type": "tensor", "tensor-spec": {"dtype": dtype, "shape": shape}}])
            .to_string()
    };
    DatasetInput {
        tags: vec![KeyValue::new("mlflow.data.context", "training")],
        dataset: mlflow::Dataset {
            name: "mnist".into(),
            // MLflow's dataset digests are 8 hex characters; the full sha256 is a run tag.
            digest: data.sha256.chars().take(8).collect(),
            source_type: "code".into(),
            source: serde_json::json!({"tags": {
                "mlflow.source.name": format!("harness (MNIST IDX, {})", data.source),
                "sha256": data.sha256,
            }})
            .to_string(),
            schema: Some(
                serde_json::json!({"mlflow_tensorspec": {
                    "features": spec("float32", serde_json::json!([-1, d])),
                    "targets": spec("uint8", serde_json::json!([-1])),
                }})
                .to_string(),
            ),
            profile: Some(
                serde_json::json!({
                    "features_shape": [data.samples, d],
                    "features_size": data.samples * d,
                    "targets_shape": [data.samples],
                    "num_rows": data.samples,
                })
                .to_string(),
            ),
        },
    }
}

/// Downloads `models:/<name>@champion`, rebuilds the network from its files, predicts the first
/// `predict_samples` test images and measures the whole test split, which must give exactly
/// the `final_test_accuracy` the server has for that version.
fn check_champion(
    client: &MlflowClient,
    spec: &MnistRunSpec,
    published: &Published,
    test: &TestData,
) -> Result<MnistChampion, RunError> {
    let DownloadedChampion {
        uri,
        dir,
        files,
        version,
        mlmodel,
        flavor,
    } = download_champion::<HarnessMlpFlavor>(
        client,
        &published.registered_model,
        HARNESS_MLP_FLAVOR,
    )?;
    let bad = |reason: String| RunError::LoadedModel {
        uri: uri.clone(),
        reason,
    };
    if flavor.format != nn::FORMAT
        || flavor.weights != nn::WEIGHTS_FILE
        || flavor.config != nn::CONFIG_FILE
    {
        return Err(bad(format!(
            "flavor `{HARNESS_MLP_FLAVOR}` names format `{}` with files {} and {}; this harness reads {} with {} and {}",
            flavor.format,
            flavor.weights,
            flavor.config,
            nn::FORMAT,
            nn::WEIGHTS_FILE,
            nn::CONFIG_FILE
        )));
    }
    let model = Mlp::load(dir.path()).map_err(|e| bad(e.to_string()))?;
    if let Some(sig) = &mlmodel.signature {
        let want = vec![-1, model.input_size() as i64];
        if tensor_shape(&sig.inputs).as_ref() != Some(&want) {
            return Err(bad(format!(
                "signature inputs {} do not match the model's {} inputs",
                sig.inputs,
                model.input_size()
            )));
        }
    }
    let index = published
        .versions
        .iter()
        .position(|v| v.version == version)
        .ok_or_else(|| bad(format!("version {version} was not published by this run")))?;
    let d = model.input_size();
    let n = spec.predict_samples.min(test.rows.len());
    let proba = model
        .predict_proba(&test.x[..n * d])
        .map_err(|e| bad(format!("predicting: {e}")))?;
    let predictions = proba
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let predicted = (0..N_CLASSES).fold(0, |best, j| if p[j] > p[best] { j } else { best });
            DigitPrediction {
                row: test.rows[k],
                predicted: predicted as u8,
                actual: test.y[k],
                confidence: p[predicted],
            }
        })
        .collect();
    let eval = model
        .evaluate(Samples::new(&test.x, &test.y))
        .map_err(|e| bad(format!("evaluating on the test split: {e}")))?;
    let run_id = &published.versions[index].run_id;
    let logged = client
        .get_run(run_id)
        .map_err(at(format!("reading run {run_id}")))?
        .metric("final_test_accuracy")
        .ok_or_else(|| bad(format!("run {run_id} has no final_test_accuracy")))?;
    if eval.accuracy != logged {
        return Err(RunError::AccuracyMismatch {
            uri,
            measured: eval.accuracy,
            logged,
        });
    }
    Ok(MnistChampion {
        uri,
        version,
        model_id: mlmodel.model_id,
        architecture: model
            .layer_sizes()
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("-"),
        files,
        predictions,
        test_accuracy: eval.accuracy,
        test_loss: eval.loss,
        n_test: test.rows.len(),
        logged_accuracy: logged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tasks::TaskSource;
    use std::path::Path;

    fn task() -> TaskSpec {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
        TaskSource::Dir(dir).resolve("mnist").unwrap().remove(0)
    }

    #[test]
    fn the_task_file_is_the_homework() {
        let full = MnistRunSpec::from_task(&task(), "full").unwrap();
        assert_eq!(full.experiment, "mnist-pytorch-homework");
        assert_eq!(full.registered_model, "mnist-digit-classifier");
        assert_eq!((full.seed, full.test_size, full.test_every), (42, 0.3, 5));
        assert_eq!(full.predict_samples, 20);
        let arch: Vec<(String, f64, usize, usize)> = full
            .versions
            .iter()
            .map(|v| (v.architecture(), v.learning_rate, v.batch_size, v.epochs))
            .collect();
        assert_eq!(
            arch,
            [
                ("784-128-10".to_string(), 0.001, 64, 50),
                ("784-256-128-10".to_string(), 0.001, 32, 100),
                ("784-512-256-128-10".to_string(), 0.0005, 32, 150),
            ]
        );
        assert_eq!(full.versions[2].dropout, [0.2, 0.2, 0.1]);
        assert_eq!(full.versions[2].dropout_param(), "0.2,0.2,0.1");
        assert_eq!(full.versions[0].dropout_param(), "0.0");
        let params: Vec<usize> = full
            .versions
            .iter()
            .map(|v| v.config(&full).n_parameters())
            .collect();
        assert_eq!(params, [101_770, 235_146, 567_434]);
        let quick = MnistRunSpec::from_task(&task(), "quick").unwrap();
        let epochs: Vec<usize> = quick.versions.iter().map(|v| v.epochs).collect();
        assert_eq!(epochs, [3, 2, 2]);
        let err = MnistRunSpec::from_task(&task(), "fast").unwrap_err();
        assert!(err.to_string().contains("quick"), "{err}");
        // 70 % of 10 000 is 7 000 training images, not 6 999.
        let split = train_test_split(10_000, quick.test_size, 42).unwrap();
        assert_eq!((split.train.len(), split.test.len()), (7000, 3000));
    }

    #[test]
    fn tags_and_description_placeholders_are_filled() {
        let spec = MnistRunSpec::from_task(&task(), "quick").unwrap();
        let data = MnistData {
            source: "embedded".into(),
            sha256: "ab".repeat(32),
            samples: 10_000,
            image_shape: [28, 28],
            num_classes: 10,
            n_train: 7000,
            n_test: 3000,
            normalization: "none".into(),
        };
        let plan = registry_plan(&spec, &data, &spec.framework(), None);
        assert!(!plan.description.contains('{'), "{}", plan.description);
        assert!(plan.description.contains("7000 training and 3000 test"));
        assert!(plan.description.contains("70/30 split"));
        let framework = plan.tags.iter().find(|t| t.key == "framework").unwrap();
        assert_eq!(framework.value, "harness-rust (fused CPU kernels, gemm)");
    }

    #[test]
    fn a_task_without_mlp_training_is_refused() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
        let wine = TaskSource::Dir(dir).resolve("wine").unwrap().remove(0);
        assert!(matches!(
            MnistRunSpec::from_task(&wine, "full"),
            Err(RunError::Spec(_))
        ));
    }
}
