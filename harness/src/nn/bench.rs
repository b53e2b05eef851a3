//! Whole-epoch training throughput of the three architectures, measured the way
//! `shared/bench/pytorch_mlp.py` measures PyTorch: the embedded 10 000 digits scaled to [0, 1],
//! the first 70 % as training data, the spec batch sizes and learning rates, timing every epoch
//! (shuffle, batching, dropout, forward, backward, Adam) and nothing else. Used by the criterion
//! bench `benches/mlp.rs` and by `harness bench train`.

use super::{DeviceKind, Engine, MlpConfig, MlpSpec, NnError, Samples, train};
use crate::data::mnist;

/// Train/test data for the benchmark (owned, so several runs can share it).
#[derive(Debug, Clone)]
pub struct BenchData {
    pub train_x: Vec<f32>,
    pub train_y: Vec<u8>,
    pub test_x: Vec<f32>,
    pub test_y: Vec<u8>,
}

impl BenchData {
    /// The embedded pool, pixels/255, first `int(0.7 · n)` rows for training (as the PyTorch
    /// script does: no shuffling before the cut).
    pub fn embedded() -> Result<Self, NnError> {
        Self::embedded_with(None)
    }

    /// Same, with the pixels normalised after scaling (e.g. the starter's `Normalize`).
    pub fn embedded_with(normalize: Option<mnist::Normalize>) -> Result<Self, NnError> {
        Ok(Self::from_pool(&mnist::load_embedded()?, normalize))
    }

    pub(crate) fn from_pool(pool: &mnist::Mnist, normalize: Option<mnist::Normalize>) -> Self {
        let n_train = pool.len() * 7 / 10;
        let x = pool.features(normalize);
        let d = pool.n_features();
        BenchData {
            train_x: x[..n_train * d].to_vec(),
            train_y: pool.labels[..n_train].to_vec(),
            test_x: x[n_train * d..].to_vec(),
            test_y: pool.labels[n_train..].to_vec(),
        }
    }
}

/// One architecture's measurement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Throughput {
    /// Architecture name (`shallow`, `medium`, `deep`).
    pub name: String,
    pub(crate) engine: Engine,
    pub epochs: usize,
    pub n_train: usize,
    pub(crate) batch_size: usize,
    pub(crate) n_parameters: usize,
    /// Seconds of the epoch loop.
    pub(crate) seconds: f64,
    pub(crate) samples_per_second: f64,
    /// Test accuracy after the run (sanity check that the fast path still learns).
    pub test_accuracy: f64,
}

/// Trains `spec` for `epochs` on `data` (no periodic evaluation) and reports samples/s.
pub fn throughput(
    spec: MlpSpec,
    epochs: usize,
    engine: Engine,
    data: &BenchData,
) -> Result<Throughput, NnError> {
    throughput_of(
        MlpConfig::spec(spec)
            .with_epochs(epochs)
            .with_engine(engine),
        data,
    )
}

/// Like [`throughput`] for any configuration (periodic evaluation is switched off).
pub fn throughput_of(mut config: MlpConfig, data: &BenchData) -> Result<Throughput, NnError> {
    config.eval_every = 0;
    let epochs = config.epochs;
    let out = train(
        &config,
        Samples::new(&data.train_x, &data.train_y),
        Samples::new(&data.test_x, &data.test_y),
        DeviceKind::Cpu,
        &mut |_: &super::EpochMetrics| {},
    )?;
    Ok(Throughput {
        name: config.name.clone(),
        engine: out.engine,
        epochs,
        n_train: data.train_y.len(),
        batch_size: config.batch_size,
        n_parameters: out.n_parameters,
        seconds: out.step_time_s,
        samples_per_second: out.samples_per_second,
        test_accuracy: out.final_test.accuracy,
    })
}

/// All three architectures on the embedded data (what `harness bench train --epochs N` prints).
pub fn run(epochs: usize, engine: Engine) -> Result<Vec<Throughput>, NnError> {
    let data = BenchData::embedded()?;
    MlpSpec::ALL
        .iter()
        .map(|&s| throughput(s, epochs, engine, &data))
        .collect()
}

/// One line per architecture: `shallow: params=101770 epochs=2 1.23s 11382 samples/s test_acc=0.9213`
/// (the PyTorch script's format, so the two outputs diff line by line).
pub fn format_line(t: &Throughput) -> String {
    format!(
        "{}: params={} epochs={} {:.2}s {:.0} samples/s test_acc={:.4}",
        t.name, t.n_parameters, t.epochs, t.seconds, t.samples_per_second, t.test_accuracy
    )
}
