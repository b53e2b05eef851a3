//! Training throughput of the three homework MLPs (fused CPU engine) on the embedded MNIST data,
//! measured like `shared/bench/pytorch_mlp.py`: whole epochs over the first 70 % of the digits,
//! spec batch sizes.
//!
//! * `cargo bench -p harness --bench mlp` — criterion, one epoch per iteration.
//! * `MLP_BENCH_EPOCHS=N cargo bench -p harness --bench mlp` — N epochs per architecture, printed
//!   in the PyTorch script's line format (used by `side_by_side_mlp.sh`); `MLP_BENCH_SEED`
//!   (default 42) and `MLP_BENCH_ENGINE=candle` change the seed and engine; with
//!   `MLP_BENCH_NORMALIZE=1` the pixels get the starter's `Normalize(0.1307, 0.3081)`.

use criterion::{Criterion, Throughput, criterion_group};
use harness::nn::bench::{BenchData, format_line, throughput, throughput_of};
use harness::nn::{Engine, MlpConfig, MlpSpec};

fn mlp_epoch(c: &mut Criterion) {
    let data = BenchData::embedded().expect("embedded MNIST loads");
    // No test rows: each iteration is one training epoch and nothing else.
    let data = BenchData {
        test_x: vec![],
        test_y: vec![],
        ..data
    };
    let mut group = c.benchmark_group("mlp_train_epoch");
    group.sample_size(10);
    group.throughput(Throughput::Elements(data.train_y.len() as u64));
    for spec in MlpSpec::ALL {
        group.bench_function(spec.name(), |b| {
            b.iter(|| throughput(spec, 1, Engine::Fused, &data).expect("training runs"))
        });
    }
    group.finish();
}

criterion_group!(benches, mlp_epoch);

fn main() {
    if let Ok(epochs) = std::env::var("MLP_BENCH_EPOCHS") {
        let epochs: usize = epochs.parse().expect("MLP_BENCH_EPOCHS is a number");
        let engine = match std::env::var("MLP_BENCH_ENGINE").as_deref() {
            Ok("candle") => Engine::Candle,
            _ => Engine::Fused,
        };
        let seed: u64 = std::env::var("MLP_BENCH_SEED").map_or(42, |s| s.parse().expect("seed"));
        let normalize = std::env::var_os("MLP_BENCH_NORMALIZE")
            .map(|_| harness::data::mnist::STARTER_NORMALIZE);
        let data = BenchData::embedded_with(normalize).expect("embedded MNIST loads");
        for spec in MlpSpec::ALL {
            let config = MlpConfig::spec(spec)
                .with_epochs(epochs)
                .with_engine(engine)
                .with_seed(seed);
            let t = throughput_of(config, &data).expect("training runs");
            println!("{}", format_line(&t));
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
