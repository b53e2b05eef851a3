//! The trained MLP: flat parameters, inference, and the on-disk format.
//!
//! On disk a model is a directory with `model.safetensors` (tensors `layers.{i}.weight`
//! `[out, in]` and `layers.{i}.bias` `[out]`, f32, PyTorch's `nn.Linear` layout) and
//! `config.json` (format name and version, layer sizes, dropout, activation, input scaling).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use rand::Rng;

use super::{EvalMetrics, MlpConfig, N_CLASSES, NnError, Samples, kernels};
use crate::data::mnist::Normalize;

/// Name of the on-disk format, written into `config.json`.
pub const FORMAT: &str = "harness-mlp";
/// Version of the on-disk format; bump on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;
/// The weights file [`Mlp::save`] writes.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// The architecture file [`Mlp::save`] writes.
pub const CONFIG_FILE: &str = "config.json";
/// Rows per chunk when evaluating, to bound the scratch memory.
const EVAL_CHUNK: usize = 1024;

/// A multilayer perceptron with ReLU hidden layers and 10 outputs.
///
/// All weights and biases live in one contiguous buffer (layer by layer: weight `[out, in]`
/// row-major, then bias), so the optimizer runs one loop over one slice.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    pub name: String,
    sizes: Vec<usize>,
    dropout: Vec<f32>,
    pub params: Vec<f32>,
    /// Input preprocessing the model was trained with (pixels/255, then this), recorded for
    /// inference. `None` = pixels/255 only.
    pub normalize: Option<Normalize>,
    /// Per-feature standardisation of tabular inputs fitted on the training rows; prediction
    /// applies it ([`Standardize::apply`]) before the first layer.
    pub standardize: Option<Standardize>,
}

/// Per-feature standardisation, scikit-learn's `StandardScaler`: `(x − mean) / scale` with the
/// population standard deviation as scale (1 for a constant feature, so it maps to 0).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardize {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
}

impl Standardize {
    /// Fits on the row-major rows `x` of `n_features` columns (the training rows only).
    pub fn fit(x: &[f64], n_features: usize) -> Self {
        let n = (x.len() / n_features.max(1)).max(1) as f64;
        let mut mean = vec![0.0; n_features];
        for row in x.chunks_exact(n_features) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0; n_features];
        for row in x.chunks_exact(n_features) {
            for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        let scale = var
            .into_iter()
            .map(|s| {
                let sd = (s / n).sqrt();
                if sd > f64::EPSILON * 10.0 { sd } else { 1.0 }
            })
            .collect();
        Standardize { mean, scale }
    }

    /// The standardised rows as the engine's `f32` input.
    pub fn apply(&self, x: &[f64]) -> Vec<f32> {
        let d = self.mean.len().max(1);
        x.iter()
            .enumerate()
            .map(|(i, v)| ((v - self.mean[i % d]) / self.scale[i % d]) as f32)
            .collect()
    }
}

/// Where [`Mlp::save`] wrote the model.
#[derive(Debug, Clone)]
pub struct SavedModel {
    /// Size of the safetensors file.
    pub weights_bytes: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ConfigFile {
    format: String,
    format_version: u32,
    name: String,
    layer_sizes: Vec<usize>,
    dropout: Vec<f32>,
    activation: String,
    n_parameters: usize,
    input_scale: f32,
    normalize: Option<Normalize>,
    /// Absent for the MNIST models (whose files stay as they were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    standardize: Option<Standardize>,
    weights: String,
}

impl Mlp {
    /// PyTorch `nn.Linear` default init: weight and bias ~ U(−1/√fan_in, 1/√fan_in), layer by
    /// layer, weights (row-major) before biases, drawn from `rng`.
    pub(crate) fn init<R: Rng>(config: &MlpConfig, rng: &mut R) -> Self {
        let sizes = config.layer_sizes();
        let mut params = Vec::with_capacity(config.n_parameters());
        for w in sizes.windows(2) {
            let bound = 1.0 / (w[0] as f32).sqrt();
            for _ in 0..w[0] * w[1] + w[1] {
                params.push((rng.random::<f32>() * 2.0 - 1.0) * bound);
            }
        }
        Mlp {
            name: config.name.clone(),
            sizes,
            dropout: config.dropout_per_layer(),
            params,
            normalize: None,
            standardize: None,
        }
    }

    /// Layer widths from input to output.
    pub(crate) fn layer_sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Dropout used in training after each hidden layer (inactive at inference).
    pub(crate) fn dropout(&self) -> &[f32] {
        &self.dropout
    }

    pub(crate) fn input_size(&self) -> usize {
        self.sizes[0]
    }

    pub(crate) fn n_layers(&self) -> usize {
        self.sizes.len() - 1
    }

    pub(crate) fn n_parameters(&self) -> usize {
        self.params.len()
    }

    #[cfg(test)]
    /// All parameters, flat (layer by layer, weight then bias).
    pub(crate) fn parameters(&self) -> &[f32] {
        &self.params
    }

    /// Offsets of layer `l`'s weight and bias in the flat buffer.
    pub(crate) fn offsets(sizes: &[usize], l: usize) -> (usize, usize) {
        let start: usize = sizes[..=l].windows(2).map(|w| w[0] * w[1] + w[1]).sum();
        (start, start + sizes[l] * sizes[l + 1])
    }

    /// Weight (`[out, in]` row-major) and bias of layer `l`.
    pub(crate) fn layer(&self, l: usize) -> (&[f32], &[f32]) {
        let (w, b) = Self::offsets(&self.sizes, l);
        let out = self.sizes[l + 1];
        (&self.params[w..b], &self.params[b..b + out])
    }

    /// Logits for `x` (`n × input_size`, already scaled), dropout off.
    pub(crate) fn logits(&self, x: &[f32]) -> Vec<f32> {
        let d = self.input_size();
        let n = x.len() / d;
        let mut out = Vec::with_capacity(n * N_CLASSES);
        let (mut a, mut z) = (Vec::new(), Vec::new());
        for chunk in x.chunks(EVAL_CHUNK * d) {
            let rows = chunk.len() / d;
            a.clear();
            a.extend_from_slice(chunk);
            for l in 0..self.n_layers() {
                let (w, b) = self.layer(l);
                let (i, o) = (self.sizes[l], self.sizes[l + 1]);
                z.resize(rows * o, 0.0);
                kernels::matmul_a_wt(&a, w, &mut z, rows, i, o);
                if l + 1 < self.n_layers() {
                    kernels::bias_relu_dropout(&mut z, b, &[]);
                } else {
                    kernels::bias_add(&mut z, b);
                }
                std::mem::swap(&mut a, &mut z);
            }
            out.extend_from_slice(&a);
        }
        out
    }

    /// Softmax class probabilities (the confidence the homework shows), one row per sample.
    /// Fails when `x` is not a whole number of `input_size` rows.
    pub fn predict_proba(&self, x: &[f32]) -> Result<Vec<[f32; N_CLASSES]>, NnError> {
        self.check_rows(x)?;
        let mut z = self.logits(x);
        kernels::softmax_rows(&mut z, N_CLASSES);
        Ok(z.chunks_exact(N_CLASSES)
            .map(|r| {
                let mut a = [0.0; N_CLASSES];
                a.copy_from_slice(r);
                a
            })
            .collect())
    }

    /// Predicted digit per row (first arg-max of the logits).
    pub fn predict(&self, x: &[f32]) -> Result<Vec<u8>, NnError> {
        self.check_rows(x)?;
        Ok(self
            .logits(x)
            .chunks_exact(N_CLASSES)
            .map(|r| {
                let mut best = 0;
                for j in 1..N_CLASSES {
                    if r[j] > r[best] {
                        best = j;
                    }
                }
                best as u8
            })
            .collect())
    }

    /// Mean cross-entropy and accuracy on `data` (dropout off).
    pub fn evaluate(&self, data: Samples<'_>) -> Result<EvalMetrics, NnError> {
        data.check("evaluation data", self.input_size())?;
        if data.is_empty() {
            return Ok(EvalMetrics {
                loss: f64::NAN,
                accuracy: f64::NAN,
            });
        }
        let z = self.logits(data.x);
        let (loss, correct) = kernels::softmax_xent(&z, data.y, N_CLASSES, None);
        let n = data.len() as f64;
        Ok(EvalMetrics {
            loss: loss / n,
            accuracy: correct as f64 / n,
        })
    }

    fn check_rows(&self, x: &[f32]) -> Result<(), NnError> {
        if !x.len().is_multiple_of(self.input_size()) {
            return Err(NnError::Data {
                what: "prediction input",
                detail: format!(
                    "{} values is not a multiple of {} features",
                    x.len(),
                    self.input_size()
                ),
            });
        }
        Ok(())
    }

    /// The tensors as candle CPU tensors, named `layers.{i}.weight` / `layers.{i}.bias`.
    pub(crate) fn tensors(&self) -> Result<Vec<(String, Tensor)>, NnError> {
        let mut v = Vec::new();
        for l in 0..self.n_layers() {
            let (w, b) = self.layer(l);
            let (i, o) = (self.sizes[l], self.sizes[l + 1]);
            v.push((
                format!("layers.{l}.weight"),
                Tensor::from_slice(w, (o, i), &Device::Cpu)?,
            ));
            v.push((
                format!("layers.{l}.bias"),
                Tensor::from_slice(b, o, &Device::Cpu)?,
            ));
        }
        Ok(v)
    }

    /// The safetensors file content (also what `model_size_mb` measures).
    pub(crate) fn safetensors_bytes(&self) -> Result<Vec<u8>, NnError> {
        let meta = HashMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("format_version".to_string(), FORMAT_VERSION.to_string()),
        ]);
        safetensors::serialize(self.tensors()?, Some(meta)).map_err(|e| NnError::Format {
            path: WEIGHTS_FILE.into(),
            detail: format!("cannot serialise weights: {e}"),
        })
    }

    /// Writes `model.safetensors` and `config.json` into `dir` (created if missing).
    pub(crate) fn save(&self, dir: &Path) -> Result<SavedModel, NnError> {
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| NnError::Io {
                action,
                path,
                source,
            }
        };
        std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        let weights = dir.join(WEIGHTS_FILE);
        let bytes = self.safetensors_bytes()?;
        std::fs::write(&weights, &bytes).map_err(io("write", &weights))?;
        let cfg = ConfigFile {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            name: self.name.clone(),
            layer_sizes: self.sizes.clone(),
            dropout: self.dropout.clone(),
            activation: "relu".into(),
            n_parameters: self.n_parameters(),
            input_scale: 1.0 / 255.0,
            normalize: self.normalize,
            standardize: self.standardize.clone(),
            weights: WEIGHTS_FILE.into(),
        };
        let config = dir.join(CONFIG_FILE);
        let json = serde_json::to_string_pretty(&cfg).expect("plain data serialises");
        std::fs::write(&config, json).map_err(io("write", &config))?;
        Ok(SavedModel {
            weights_bytes: bytes.len() as u64,
        })
    }

    /// Reads a model written by [`Mlp::save`], checking format, version and every tensor shape.
    pub fn load(dir: &Path) -> Result<Self, NnError> {
        let config_path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config_path).map_err(|source| NnError::Io {
            action: "read",
            path: config_path.clone(),
            source,
        })?;
        let fmt = |path: &Path, detail: String| NnError::Format {
            path: path.into(),
            detail,
        };
        let cfg: ConfigFile = serde_json::from_str(&text)
            .map_err(|e| fmt(&config_path, format!("not a {FORMAT} config: {e}")))?;
        if cfg.format != FORMAT || cfg.format_version != FORMAT_VERSION {
            return Err(fmt(
                &config_path,
                format!(
                    "format {} v{} is not supported (expected {FORMAT} v{FORMAT_VERSION})",
                    cfg.format, cfg.format_version
                ),
            ));
        }
        if cfg.layer_sizes.len() < 2
            || cfg.layer_sizes.contains(&0)
            || cfg.layer_sizes.last() != Some(&N_CLASSES)
            || cfg.dropout.len() != cfg.layer_sizes.len() - 2
        {
            return Err(fmt(
                &config_path,
                format!(
                    "inconsistent architecture: layer sizes {:?}, dropout {:?}",
                    cfg.layer_sizes, cfg.dropout
                ),
            ));
        }
        if let Some(s) = &cfg.standardize
            && (s.mean.len() != cfg.layer_sizes[0]
                || s.scale.len() != cfg.layer_sizes[0]
                || s.scale.iter().any(|v| !(v.is_finite() && *v > 0.0)))
        {
            return Err(fmt(
                &config_path,
                format!(
                    "`standardize` needs {} means and {} positive scales (got {} and {})",
                    cfg.layer_sizes[0],
                    cfg.layer_sizes[0],
                    s.mean.len(),
                    s.scale.len()
                ),
            ));
        }
        let weights_path = dir.join(&cfg.weights);
        let bytes = std::fs::read(&weights_path).map_err(|source| NnError::Io {
            action: "read",
            path: weights_path.clone(),
            source,
        })?;
        let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
            .map_err(|e| fmt(&weights_path, format!("not a safetensors file: {e}")))?;
        let sizes = cfg.layer_sizes;
        let mut params = Vec::new();
        for l in 0..sizes.len() - 1 {
            for (name, shape) in [
                (format!("layers.{l}.weight"), vec![sizes[l + 1], sizes[l]]),
                (format!("layers.{l}.bias"), vec![sizes[l + 1]]),
            ] {
                let t = tensors
                    .get(&name)
                    .ok_or_else(|| fmt(&weights_path, format!("tensor `{name}` is missing")))?;
                if t.dims() != shape.as_slice() {
                    return Err(fmt(
                        &weights_path,
                        format!(
                            "tensor `{name}` has shape {:?}, expected {shape:?}",
                            t.dims()
                        ),
                    ));
                }
                let t = t
                    .to_dtype(candle_core::DType::F32)?
                    .flatten_all()?
                    .to_vec1::<f32>()?;
                params.extend(t);
            }
        }
        Ok(Mlp {
            name: cfg.name,
            sizes,
            dropout: cfg.dropout,
            params,
            normalize: cfg.normalize,
            standardize: cfg.standardize,
        })
    }

    /// Builds a model from layer sizes and flat parameters (e.g. copied back from a device).
    pub(crate) fn from_parts(
        name: String,
        sizes: Vec<usize>,
        dropout: Vec<f32>,
        params: Vec<f32>,
    ) -> Self {
        Mlp {
            name,
            sizes,
            dropout,
            params,
            normalize: None,
            standardize: None,
        }
    }
}
