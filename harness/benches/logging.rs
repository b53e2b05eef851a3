//! Logging throughput against a real, warm MLflow server: metric points per second through
//! `log-batch` (split into requests of ≤1000) versus one `log-metric` call per point.
//!
//! Uses the embedded instance `bench` (started once and left running; stop it with
//! `harness mlflow down --instance bench`), or `HARNESS_BENCH_TRACKING_URI`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use harness::mlflow::{Metric, MlflowClient, NewRun, now_ms};
use harness::progress::Progress;
use harness::server::{self, Home};

fn tracking_uri() -> String {
    if let Ok(uri) = std::env::var("HARNESS_BENCH_TRACKING_URI") {
        return uri;
    }
    let (state, started) = server::up(&Home::from_env(), "bench", "python3", &Progress::hidden())
        .expect("start the bench MLflow server");
    if let Some(s) = started {
        s.detach();
    }
    state.tracking_uri
}

fn points(n: usize) -> Vec<Metric> {
    let t = now_ms();
    (0..n)
        .map(|i| Metric::new("loss", 1.0 / (i as f64 + 1.0), t, i as i64))
        .collect()
}

fn logging(c: &mut Criterion) {
    let client = MlflowClient::connect(&tracking_uri()).unwrap();
    let exp = client.get_or_create_experiment("bench-logging").unwrap();
    let new_run = || {
        client
            .create_run(&NewRun {
                experiment_id: exp.clone(),
                run_name: Some("bench".into()),
                ..Default::default()
            })
            .unwrap()
            .info
            .run_id
    };
    let mut group = c.benchmark_group("log_metrics");
    group.sample_size(10);
    for n in [1_000usize, 10_000] {
        let data = points(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("log_batch", n), &data, |b, data| {
            b.iter_batched(
                new_run,
                |run| client.log_batch(&run, data, &[], &[]).unwrap(),
                criterion::BatchSize::PerIteration,
            )
        });
    }
    let data = points(200);
    group.throughput(Throughput::Elements(200));
    group.bench_with_input(
        BenchmarkId::new("one_call_per_point", 200),
        &data,
        |b, data| {
            b.iter_batched(
                new_run,
                |run| {
                    for m in data {
                        client.log_metric(&run, m).unwrap();
                    }
                },
                criterion::BatchSize::PerIteration,
            )
        },
    );
    group.finish();
}

criterion_group!(benches, logging);
criterion_main!(benches);
