//! Grading a class of 200 hand-ins as students hand them in (an executed notebook, the MLflow
//! store and two screenshots each, copies of `tests/fixtures/handins/perfect`; target ≤ 10 s),
//! beside the same 200 stores without notebooks and images, measured in the same run so the
//! ratio holds on a shared machine. Grading only (`grade_target`): no reports are written.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use harness::grading::{Target, grade_target};
use harness::task::TaskSource;

const STUDENTS: usize = 200;

fn perfect() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/handins/perfect")
}

/// Copies `from` to `to`, leaving out the paths (relative to `from`) `keep` refuses.
fn copy_dir(from: &Path, to: &Path, rel: &Path, keep: &dyn Fn(&Path) -> bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let rel = rel.join(entry.file_name());
        if !keep(&rel) {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target, &rel, keep);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn class(keep: &dyn Fn(&Path) -> bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..STUDENTS {
        copy_dir(
            &perfect(),
            &dir.path().join(format!("student-{i:03}")),
            Path::new(""),
            keep,
        );
    }
    dir
}

fn handins(c: &mut Criterion) {
    let tasks = TaskSource::Dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks"))
        .resolve("all")
        .unwrap();
    // Notebook, store, artefacts and two of the three screenshots.
    let full = class(&|p| !p.ends_with("3-mnist-digit-classifier.png"));
    // The store and its artefacts only.
    let stores = class(&|p| p.starts_with("mlflow.db") || p.starts_with("mlartifacts"));
    let mut group = c.benchmark_group("handins");
    group.sample_size(10);
    group.bench_function("class_of_200_handins", |b| {
        b.iter(|| {
            let graded =
                grade_target(&tasks, Target::Submissions(full.path().to_path_buf())).unwrap();
            assert_eq!(graded.len(), STUDENTS);
            assert!(graded.iter().all(|g| {
                g.hand_in
                    .as_ref()
                    .is_some_and(|e| e.notebooks.len() == 1 && e.inventory.images.len() == 2)
            }));
        })
    });
    group.bench_function("class_of_200_stores_only", |b| {
        b.iter(|| {
            let graded =
                grade_target(&tasks, Target::Submissions(stores.path().to_path_buf())).unwrap();
            assert_eq!(graded.len(), STUDENTS);
            assert!(graded.iter().all(|g| g.snapshot.is_some()));
        })
    });
    group.finish();
}

criterion_group!(benches, handins);
criterion_main!(benches);
