//! Grading speed on real stores made by the Python MLflow client (tests/fixtures):
//! one SQLite store (target ≤ 50 ms), a class of 200 stores (≤ 10 s), and one live server (≤ 1 s,
//! the embedded instance `bench` serving a copy of the `perfect` fixture).

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use harness::grading::{Target, grade_target};
use harness::task::TaskSource;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/submissions")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        // Some fixtures share artefacts through a symlink: copy what it points at.
        if std::fs::metadata(entry.path()).unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn grading(c: &mut Criterion) {
    let tasks = TaskSource::Dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks"))
        .resolve("all")
        .unwrap();
    let mut group = c.benchmark_group("grade");
    group.sample_size(10);

    let db = fixtures().join("perfect/mlflow.db");
    group.bench_function("one_sqlite_store", |b| {
        b.iter(|| grade_target(&tasks, Target::Store(db.clone())).unwrap())
    });

    let class = tempfile::tempdir().unwrap();
    let names: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for i in 0..200 {
        let src = &names[i % names.len()];
        copy_dir(src, &class.path().join(format!("student-{i:03}")));
    }
    group.bench_function("class_of_200_stores", |b| {
        b.iter(|| {
            let graded =
                grade_target(&tasks, Target::Submissions(class.path().to_path_buf())).unwrap();
            assert_eq!(graded.len(), 200);
        })
    });

    // A live server holding the reference state of task 1 (embedded instance `bench`).
    let (state, started) = harness::server::up(
        &harness::server::Home::from_env(),
        "bench",
        "python3",
        &harness::progress::Progress::hidden(),
    )
    .expect("start the bench MLflow server");
    if let Some(s) = started {
        s.detach();
    }
    let client = harness::mlflow::MlflowClient::connect(&state.tracking_uri).unwrap();
    let options = harness::reference::RunOptions {
        replace: true,
        name_prefix: Some("bench-grade-".into()),
        ..Default::default()
    };
    let spec = tasks.iter().find(|t| t.id == "wine").unwrap();
    harness::reference::run_task(
        &client,
        spec,
        &options,
        &harness::progress::Progress::hidden(),
    )
    .expect("reference run for the live-server bench");
    let mut wine = spec.clone();
    wine.experiment = wine.experiment.map(|e| format!("bench-grade-{e}"));
    wine.registered_model = wine.registered_model.map(|m| format!("bench-grade-{m}"));
    let wine = [wine];
    group.bench_function("live_server_task1", |b| {
        b.iter(|| {
            let graded = grade_target(&wine, Target::Server(client.clone())).unwrap();
            assert!(graded[0].grade.all_automatic_passed());
        })
    });
    group.finish();
}

criterion_group!(benches, grading);
criterion_main!(benches);
