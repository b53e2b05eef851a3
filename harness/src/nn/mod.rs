//! Neural networks for homework task 2: the three MNIST MLPs, trained reproducibly.
//!
//! * [`MlpConfig`] holds the hyperparameters; [`MlpConfig::spec`] gives the homework's v1/v2/v3.
//! * [`train`] trains one model and returns a [`TrainOutcome`] (per-epoch metrics, final test
//!   metrics, timing, size); a [`TrainObserver`] sees each epoch as it finishes. Nothing prints.
//! * [`Mlp`] is the trained model: [`Mlp::save`] / [`Mlp::load`] (safetensors + JSON
//!   architecture), [`Mlp::predict_proba`] (softmax confidence), [`Mlp::evaluate`].
//! * [`bench`](mod@bench) measures whole-epoch training throughput, comparable with
//!   `shared/bench/pytorch_mlp.py`.
//!
//! ```no_run
//! use harness::data::mnist;
//! use harness::nn::{self, DeviceKind, EpochMetrics, MlpConfig, Samples};
//!
//! let pool = mnist::load_embedded()?;
//! let (train_idx, test_idx): (Vec<usize>, Vec<usize>) = ((0..7000).collect(), (7000..10_000).collect());
//! let (tx, ty) = pool.select(&train_idx, None); // pixels / 255
//! let (vx, vy) = pool.select(&test_idx, None);
//! let config = MlpConfig::deep().with_epochs(5);
//! let out = nn::train(&config, Samples::new(&tx, &ty), Samples::new(&vx, &vy), DeviceKind::Cpu,
//!     &mut |m: &EpochMetrics| eprintln!("epoch {} loss {:.4}", m.epoch, m.train_loss))?;
//! out.model.save(std::path::Path::new("models/deep"))?;
//! let confidence = out.model.predict_proba(&vx[..20 * 784])?; // 20 rows of 10 probabilities
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Reproducibility: candle's CPU RNG cannot be seeded, so every random draw — initial weights
//! (PyTorch's `nn.Linear` default, U(±1/√fan_in)), inverted-dropout masks and per-epoch shuffles —
//! comes from one ChaCha8 RNG seeded with [`MlpConfig::seed`], drawn in a fixed order on one
//! thread. Both engines consume the same stream. The fused engine is single-threaded, so a run is
//! bit-identical whatever `RAYON_NUM_THREADS` says; across different CPUs `gemm` may pick other
//! kernels (AVX-512 vs AVX2), which can change the last bits.
//!
//! Engines ([`Engine`]): on the CPU the default is a hand-written forward/backward over flat `f32`
//! buffers (matrix products through the `gemm` crate that candle itself uses, single-threaded,
//! fused bias/ReLU/dropout/softmax-cross-entropy/Adam loops, and a first layer that skips zero
//! pixels): at batch 32 composing candle ops is dominated by per-op overhead and many small
//! optimizer tensors, which this avoids (`benches/side_by_side_mlp.sh` compares with PyTorch).
//! The candle engine (autograd + candle's Adam) runs on any candle device and is the one used on
//! CUDA (cargo feature `cuda`); on the CPU it is much slower and serves as an independent check of
//! the hand-written gradients.

pub mod bench;
mod candle_engine;
mod fused;
mod kernels;
mod model;
mod optim;

use std::str::FromStr;
use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

pub use model::{CONFIG_FILE, FORMAT, FORMAT_VERSION, Mlp, SavedModel, Standardize, WEIGHTS_FILE};
pub use optim::{LrSchedule, OptimizerKind};

/// Output classes (digits 0–9).
pub(crate) const N_CLASSES: usize = 10;
/// Input features of an MNIST image (28 × 28).
pub(crate) const MNIST_INPUTS: usize = 784;

/// Everything that can go wrong configuring, training, saving or loading an MLP.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    #[error("invalid MLP configuration: {0}")]
    Config(String),
    #[error("{what}: {detail}")]
    Data { what: &'static str, detail: String },
    #[error(transparent)]
    Mnist(#[from] crate::data::mnist::MnistError),
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("device `{0}` is not available: {1}")]
    Device(String, String),
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {detail}")]
    Format {
        path: std::path::PathBuf,
        detail: String,
    },
}

/// The homework's three architectures (task 2, versions 1–3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MlpSpec {
    /// v1 "Shallow NN (baseline)": 784-128-10.
    Shallow,
    /// v2 "Medium Deep (improved)": 784-256-128-10.
    Medium,
    /// v3 "Deep + Dropout (champion)": 784-512-256-128-10, dropout 0.2/0.2/0.1.
    Deep,
}

impl MlpSpec {
    pub const ALL: [MlpSpec; 3] = [MlpSpec::Shallow, MlpSpec::Medium, MlpSpec::Deep];

    /// Short name: `shallow`, `medium`, `deep`.
    pub fn name(self) -> &'static str {
        match self {
            MlpSpec::Shallow => "shallow",
            MlpSpec::Medium => "medium",
            MlpSpec::Deep => "deep",
        }
    }
}

impl FromStr for MlpSpec {
    type Err = NnError;
    fn from_str(s: &str) -> Result<Self, NnError> {
        match s {
            "shallow" | "v1" => Ok(MlpSpec::Shallow),
            "medium" | "v2" => Ok(MlpSpec::Medium),
            "deep" | "v3" => Ok(MlpSpec::Deep),
            other => Err(NnError::Config(format!(
                "unknown architecture `{other}` (valid: shallow|v1, medium|v2, deep|v3)"
            ))),
        }
    }
}

/// Which implementation trains the network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Fused CPU kernels on the CPU, candle elsewhere.
    #[default]
    Auto,
    /// Hand-written forward/backward + Adam over flat buffers (CPU only).
    Fused,
    /// candle tensors, autograd and `AdamW { weight_decay: 0 }` (= Adam) on the chosen device.
    Candle,
}

/// Where to train: `cpu`, `cuda` or `cuda:N` (CUDA needs the cargo feature `cuda`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeviceKind {
    #[default]
    Cpu,
    Cuda(usize),
}

impl FromStr for DeviceKind {
    type Err = NnError;
    fn from_str(s: &str) -> Result<Self, NnError> {
        match s {
            "cpu" => Ok(DeviceKind::Cpu),
            "cuda" | "gpu" => Ok(DeviceKind::Cuda(0)),
            _ => s
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(DeviceKind::Cuda)
                .ok_or_else(|| {
                    NnError::Config(format!("unknown device `{s}` (valid: cpu, cuda, cuda:N)"))
                }),
        }
    }
}

impl std::fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceKind::Cpu => f.write_str("cpu"),
            DeviceKind::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

impl DeviceKind {
    /// The candle device; CUDA fails with a clear error when the binary was built without the
    /// `cuda` feature or no GPU is present.
    pub(crate) fn candle_device(self) -> Result<candle_core::Device, NnError> {
        match self {
            DeviceKind::Cpu => Ok(candle_core::Device::Cpu),
            DeviceKind::Cuda(n) => {
                if cfg!(feature = "cuda") {
                    candle_core::Device::new_cuda(n)
                        .map_err(|e| NnError::Device(self.to_string(), e.to_string()))
                } else {
                    Err(NnError::Device(
                        self.to_string(),
                        "this harness was built without the `cuda` cargo feature".into(),
                    ))
                }
            }
        }
    }
}

/// Hyperparameters of one MLP run. `Default` is the homework's v1 (shallow) with seed 42.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MlpConfig {
    /// Short name recorded with the model (`shallow`, `medium`, `deep`, or your own).
    pub name: String,
    pub(crate) input_size: usize,
    /// Hidden layer widths, each followed by ReLU.
    pub hidden: Vec<usize>,
    /// Dropout probability after each hidden ReLU (same length as `hidden`, or empty for none).
    pub(crate) dropout: Vec<f32>,
    pub(crate) learning_rate: f64,
    pub(crate) batch_size: usize,
    pub epochs: usize,
    /// Seeds the single ChaCha8 RNG behind init, dropout and shuffling.
    pub seed: u64,
    pub(crate) beta1: f64,
    pub(crate) beta2: f64,
    pub(crate) eps: f64,
    /// Test metrics every this many epochs (0-based epochs 0, k, 2k, …); 0 = only at the end.
    pub(crate) eval_every: usize,
    pub(crate) engine: Engine,
    /// Adam unless said otherwise (older saved configs have no such key).
    #[serde(default)]
    pub(crate) optimizer: OptimizerKind,
    /// Learning rate per epoch [default: constant].
    #[serde(default)]
    pub(crate) schedule: LrSchedule,
}

impl Default for MlpConfig {
    fn default() -> Self {
        MlpConfig::spec(MlpSpec::Shallow)
    }
}

impl MlpConfig {
    /// The homework's hyperparameters for `spec` (Adam β 0.9/0.999, ε 1e-8, seed 42).
    pub fn spec(spec: MlpSpec) -> Self {
        let (hidden, dropout, learning_rate, batch_size, epochs) = match spec {
            MlpSpec::Shallow => (vec![128], vec![], 0.001, 64, 50),
            MlpSpec::Medium => (vec![256, 128], vec![], 0.001, 32, 100),
            MlpSpec::Deep => (vec![512, 256, 128], vec![0.2, 0.2, 0.1], 0.0005, 32, 150),
        };
        MlpConfig {
            name: spec.name().into(),
            input_size: MNIST_INPUTS,
            hidden,
            dropout,
            learning_rate,
            batch_size,
            epochs,
            seed: 42,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            eval_every: 5,
            engine: Engine::Auto,
            optimizer: OptimizerKind::Adam,
            schedule: LrSchedule::Constant,
        }
    }

    #[cfg(test)]
    pub(crate) fn shallow() -> Self {
        Self::spec(MlpSpec::Shallow)
    }
    #[cfg(test)]
    pub(crate) fn medium() -> Self {
        Self::spec(MlpSpec::Medium)
    }
    #[cfg(test)]
    pub(crate) fn deep() -> Self {
        Self::spec(MlpSpec::Deep)
    }

    /// Same run with another epoch count (e.g. a quick profile).
    pub fn with_epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn with_engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// Layer widths from input to output, e.g. `[784, 128, 10]`.
    pub(crate) fn layer_sizes(&self) -> Vec<usize> {
        let mut s = vec![self.input_size];
        s.extend(&self.hidden);
        s.push(N_CLASSES);
        s
    }

    /// Dropout per hidden layer (0.0 where none), always `hidden.len()` long.
    pub(crate) fn dropout_per_layer(&self) -> Vec<f32> {
        (0..self.hidden.len())
            .map(|i| self.dropout.get(i).copied().unwrap_or(0.0))
            .collect()
    }

    /// Weights + biases: 101 770 / 235 146 / 567 434 for the homework specs.
    pub(crate) fn n_parameters(&self) -> usize {
        self.layer_sizes()
            .windows(2)
            .map(|w| w[0] * w[1] + w[1])
            .sum()
    }

    /// Rejects configurations that cannot train, naming the field.
    pub(crate) fn validate(&self) -> Result<(), NnError> {
        let bad = |m: String| Err(NnError::Config(m));
        if self.input_size == 0 || self.hidden.contains(&0) {
            return bad(format!(
                "layer sizes must be positive: input {} hidden {:?}",
                self.input_size, self.hidden
            ));
        }
        if !self.dropout.is_empty() && self.dropout.len() != self.hidden.len() {
            return bad(format!(
                "dropout has {} entries but there are {} hidden layers",
                self.dropout.len(),
                self.hidden.len()
            ));
        }
        if let Some(p) = self.dropout.iter().find(|p| !(0.0..1.0).contains(*p)) {
            return bad(format!("dropout {p} is outside [0, 1)"));
        }
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1".into());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad(format!(
                "learning_rate {} must be positive",
                self.learning_rate
            ));
        }
        if !((0.0..1.0).contains(&self.beta1) && (0.0..1.0).contains(&self.beta2) && self.eps > 0.0)
        {
            return bad(format!(
                "Adam betas must be in [0, 1) and eps > 0 (got {}, {}, {})",
                self.beta1, self.beta2, self.eps
            ));
        }
        self.optimizer.validate().map_err(NnError::Config)?;
        self.schedule.validate().map_err(NnError::Config)?;
        Ok(())
    }
}

/// Features (`n × input_size`, row-major, already scaled) and labels (0–9) of one data split.
#[derive(Debug, Clone, Copy)]
pub struct Samples<'a> {
    pub(crate) x: &'a [f32],
    pub(crate) y: &'a [u8],
}

impl<'a> Samples<'a> {
    pub fn new(x: &'a [f32], y: &'a [u8]) -> Self {
        Samples { x, y }
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    fn check(&self, what: &'static str, input_size: usize) -> Result<(), NnError> {
        if self.x.len() != self.y.len() * input_size {
            return Err(NnError::Data {
                what,
                detail: format!(
                    "{} feature values for {} labels, expected {} ({} per sample)",
                    self.x.len(),
                    self.y.len(),
                    self.y.len() * input_size,
                    input_size
                ),
            });
        }
        if let Some(l) = self.y.iter().find(|&&l| usize::from(l) >= N_CLASSES) {
            return Err(NnError::Data {
                what,
                detail: format!("label {l} is not a digit 0-9"),
            });
        }
        Ok(())
    }
}

/// Mean cross-entropy and accuracy (fraction) over a data split.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvalMetrics {
    pub loss: f64,
    pub accuracy: f64,
}

/// One epoch's metrics. Train metrics are per-sample means over the epoch as it ran (dropout on);
/// `test` is present on 0-based epochs 0, k, 2k, … (k = [`MlpConfig::eval_every`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochMetrics {
    /// 0-based.
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub test: Option<EvalMetrics>,
    /// Wall seconds since training started (volatile: exclude from comparisons).
    pub(crate) elapsed_s: f64,
}

/// Receives each epoch's metrics as soon as it finishes (progress bars, MLflow logging).
/// Any `FnMut(&EpochMetrics)` closure is an observer.
pub trait TrainObserver {
    fn on_epoch(&mut self, metrics: &EpochMetrics);
    /// Asked after every epoch: `true` ends training there (early stopping). The outcome then
    /// holds the epochs that ran.
    fn stop(&self) -> bool {
        false
    }
}

impl<F: FnMut(&EpochMetrics)> TrainObserver for F {
    fn on_epoch(&mut self, metrics: &EpochMetrics) {
        self(metrics)
    }
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    pub model: Mlp,
    pub epochs: Vec<EpochMetrics>,
    pub(crate) final_test: EvalMetrics,
    /// Wall seconds of the whole epoch loop, periodic evaluations included.
    pub(crate) training_time_s: f64,
    /// Wall seconds of the epoch loop minus the periodic evaluations and observer calls: shuffling, batch
    /// gathering, dropout masks, forward, backward, Adam (what throughput is computed from).
    pub(crate) step_time_s: f64,
    /// Training samples processed per second of `step_time_s`.
    pub(crate) samples_per_second: f64,
    pub(crate) n_parameters: usize,
    /// Size of the saved safetensors weights in MiB (bytes / 1024²).
    pub(crate) model_size_mb: f64,
    /// The engine that actually ran (Auto resolved).
    pub(crate) engine: Engine,
    pub device: DeviceKind,
}

impl TrainOutcome {
    #[cfg(test)]
    pub fn final_test_accuracy(&self) -> f64 {
        self.final_test.accuracy
    }
}

/// Training statistics: summed per-sample loss and correct predictions.
#[derive(Default)]
pub(crate) struct StepStats {
    pub(crate) loss_sum: f64,
    pub correct: usize,
}

/// What an engine must do; the epoch loop, RNG draws and metrics are shared so both engines see
/// identical batches and dropout masks.
pub(crate) trait Stepper {
    /// Forward + backward + optimizer update on one batch (`x`: `b × input`, masks: one per hidden layer,
    /// `b × width`, empty when that layer has no dropout).
    fn step(&mut self, x: &[f32], y: &[u8], masks: &[Vec<f32>]) -> Result<(), NnError>;
    /// The learning rate of the following steps (the schedule's value for the coming epoch).
    fn set_learning_rate(&mut self, lr: f64);
    /// Loss and accuracy counts summed over the steps since the last call (one epoch). Engines
    /// on an accelerator keep the sums on the device so a step never waits for a copy back.
    fn take_stats(&mut self) -> Result<StepStats, NnError>;
    fn evaluate(&mut self, data: Samples<'_>) -> Result<EvalMetrics, NnError>;
    fn into_model(self: Box<Self>) -> Result<Mlp, NnError>;
}

/// Trains `config` on `train`, measuring `test` every `eval_every` epochs and at the end.
///
/// Deterministic: the same config, data and engine give bit-identical metrics and weights,
/// whatever the thread count.
pub fn train(
    config: &MlpConfig,
    train: Samples<'_>,
    test: Samples<'_>,
    device: DeviceKind,
    observer: &mut dyn TrainObserver,
) -> Result<TrainOutcome, NnError> {
    config.validate()?;
    train.check("training data", config.input_size)?;
    test.check("test data", config.input_size)?;
    if train.is_empty() {
        return Err(NnError::Data {
            what: "training data",
            detail: "no samples".into(),
        });
    }
    let engine = match (config.engine, device) {
        (Engine::Auto, DeviceKind::Cpu) => Engine::Fused,
        (Engine::Auto, DeviceKind::Cuda(_)) => Engine::Candle,
        (Engine::Fused, DeviceKind::Cuda(_)) => {
            return Err(NnError::Config(
                "the fused engine runs on the CPU only; use engine auto or candle for CUDA".into(),
            ));
        }
        (e, _) => e,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let init = Mlp::init(config, &mut rng);
    let mut stepper: Box<dyn Stepper> = match engine {
        Engine::Candle => Box::new(candle_engine::CandleStepper::new(
            init,
            config,
            &device.candle_device()?,
        )?),
        _ => Box::new(fused::FusedStepper::new(init, config)),
    };

    let dims = config.layer_sizes();
    let drops = config.dropout_per_layer();
    let d = config.input_size;
    let bs = config.batch_size;
    let n = train.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut xb = vec![0f32; bs * d];
    let mut yb = vec![0u8; bs];
    let mut masks: Vec<Vec<f32>> = drops
        .iter()
        .zip(&dims[1..])
        .map(|(&p, &w)| if p > 0.0 { vec![0.0; bs * w] } else { vec![] })
        .collect();

    let mut epochs = Vec::with_capacity(config.epochs);
    let mut eval_time = 0.0;
    let started = Instant::now();
    for epoch in 0..config.epochs {
        if config.schedule != LrSchedule::Constant {
            stepper.set_learning_rate(config.schedule.learning_rate(config.learning_rate, epoch));
        }
        order.shuffle(&mut rng);
        for chunk in order.chunks(bs) {
            let b = chunk.len();
            for (r, &i) in chunk.iter().enumerate() {
                xb[r * d..(r + 1) * d].copy_from_slice(&train.x[i * d..(i + 1) * d]);
                yb[r] = train.y[i];
            }
            for ((mask, &p), &w) in masks.iter_mut().zip(&drops).zip(&dims[1..]) {
                if p > 0.0 {
                    kernels::dropout_mask(&mut rng, p, &mut mask[..b * w]);
                }
            }
            stepper.step(&xb[..b * d], &yb[..b], &masks)?;
        }
        let StepStats { loss_sum, correct } = stepper.take_stats()?;
        let evaluate = if config.eval_every == 0 {
            false
        } else {
            epoch.is_multiple_of(config.eval_every)
        };
        let test_metrics = if evaluate && !test.is_empty() {
            let t = Instant::now();
            let m = stepper.evaluate(test)?;
            eval_time += t.elapsed().as_secs_f64();
            Some(m)
        } else {
            None
        };
        let m = EpochMetrics {
            epoch,
            train_loss: loss_sum / n as f64,
            train_accuracy: correct as f64 / n as f64,
            test: test_metrics,
            elapsed_s: started.elapsed().as_secs_f64(),
        };
        let t = Instant::now();
        observer.on_epoch(&m);
        eval_time += t.elapsed().as_secs_f64();
        epochs.push(m);
        if observer.stop() {
            break;
        }
    }
    let training_time_s = started.elapsed().as_secs_f64();
    let step_time = (training_time_s - eval_time).max(0.0);
    let epochs_run = epochs.len();
    let final_test = if test.is_empty() {
        EvalMetrics {
            loss: f64::NAN,
            accuracy: f64::NAN,
        }
    } else {
        stepper.evaluate(test)?
    };
    let model = stepper.into_model()?;
    let model_size_mb = model.safetensors_bytes()?.len() as f64 / (1024.0 * 1024.0);
    Ok(TrainOutcome {
        n_parameters: model.n_parameters(),
        model,
        epochs,
        final_test,
        training_time_s,
        step_time_s: step_time,
        samples_per_second: if step_time > 0.0 {
            (n * epochs_run) as f64 / step_time
        } else {
            0.0
        },
        model_size_mb,
        engine,
        device,
    })
}

#[cfg(test)]
mod tests;
