//! Training time of the three task-1 models on the wine train split (142 rows × 13 features),
//! with scikit-learn's default hyperparameters: `cargo bench -p harness --bench trees`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use harness::data::{split::train_test_split, wine};
use harness::train::{self, Algorithm};

fn train_wine_models(c: &mut Criterion) {
    let dataset = wine::load().expect("embedded wine data loads");
    let split = train_test_split(dataset.n_samples(), 0.2, 42).expect("valid split");
    let mut group = c.benchmark_group("wine_train");
    for algorithm in Algorithm::ALL {
        group.bench_function(algorithm.name(), |b| {
            b.iter(|| {
                train::wine::train(algorithm, black_box(&dataset), black_box(&split), 42)
                    .expect("training succeeds")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, train_wine_models);
criterion_main!(benches);
