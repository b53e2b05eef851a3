//! Wall time of the whole of task 1 against a warm local MLflow server: train the three models,
//! log and register them, set tags and aliases, load the champion back by alias — with
//! `--replace` semantics, so every iteration first deletes what the previous one made.
//! `cargo bench -p harness --bench run_wine`. The server is the embedded instance `bench`
//! (started on first use and left running; `harness mlflow down --instance bench` stops it).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use harness::mlflow::MlflowClient;
use harness::progress::Progress;
use harness::reference::wine::{self, WineRunSpec};
use harness::server::{self, Home};

fn run_wine(c: &mut Criterion) {
    let python = std::env::var("HARNESS_PYTHON").unwrap_or_else(|_| "python3".into());
    let (state, started) = server::up(&Home::from_env(), "bench", &python, &Progress::hidden())
        .expect("the embedded MLflow instance `bench` starts");
    if let Some(started) = started {
        started.detach();
    }
    let client = MlflowClient::connect(&state.tracking_uri).expect("a client for the bench server");
    let spec = WineRunSpec::default();
    let mut group = c.benchmark_group("run_wine");
    // Each iteration is ~55 HTTP requests against a real server (1–2 s on a busy 2-core
    // machine): few samples, and time enough to take them without criterion's warning.
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(20));
    group.bench_function("full_task_with_replace", |b| {
        b.iter(|| {
            wine::run(&client, black_box(&spec), true, &Progress::hidden())
                .expect("the wine task runs")
        });
    });
    group.finish();
}

criterion_group!(benches, run_wine);
criterion_main!(benches);
