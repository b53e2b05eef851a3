//! `harness check --rescore`: logged accuracies are recomputed from the champion's own files;
//! student pickles load only in a sandbox without network.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use harness_e2e::harness_bin;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/submissions")
        .join(name)
}

fn rescore_line(db: &Path) -> (Option<i32>, String) {
    let out = Command::new(harness_bin())
        .args(["check", "--task", "wine", "--rescore", "--quiet", "--store"])
        .arg(db)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text
        .lines()
        .find(|l| l.contains("champion v"))
        .unwrap_or_default()
        .trim()
        .to_string();
    (
        out.status.code(),
        format!(
            "{line}\n---\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn rescore_confirms_an_honest_champion() {
    let (code, out) = rescore_line(&fixture("perfect/mlflow.db"));
    assert!(
        out.starts_with("✓ champion v2's logged accuracy 1.0000 reproduces"),
        "{out}"
    );
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn rescore_catches_a_fabricated_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    harness_e2e::copy_tree(&fixture("perfect"), dir.path());
    let db = dir.path().join("mlflow.db");
    {
        // The student claims 0.99 for the RandomForest champion, which really scores 1.0.
        let conn = rusqlite::Connection::open(&db).unwrap();
        let run_name = "wine-v2-RandomForest";
        let updated = conn
            .execute(
                "UPDATE metrics SET value = 0.99 WHERE key = 'accuracy' AND run_uuid IN \
                 (SELECT run_uuid FROM runs WHERE name = ?1)",
                [run_name],
            )
            .unwrap();
        assert!(updated >= 1);
        conn.execute(
            "UPDATE latest_metrics SET value = 0.99 WHERE key = 'accuracy' AND run_uuid IN \
             (SELECT run_uuid FROM runs WHERE name = ?1)",
            [run_name],
        )
        .unwrap();
    }
    let (code, out) = rescore_line(&db);
    assert!(
        out.starts_with("✗ champion v2 logged accuracy 0.9900 but scores 1.0000"),
        "{out}"
    );
    assert_eq!(code, Some(1), "{out}");
}

/// A pickle whose unpickling opens a TCP connection: in the sandbox it must not reach a listener
/// on this machine's loopback.
#[test]
fn a_malicious_pickle_cannot_reach_the_network() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();

    let _ = harness_e2e::tracking_uri(); // the venv exists once the shared server is up
    let home = harness_e2e::home();
    let sandbox = harness::grading::rescore::sandbox::Sandbox::provision(
        &home,
        &harness_e2e::python(),
        &harness::progress::Progress::hidden(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "import pickle, socket\n\
         class Evil:\n    def __reduce__(self):\n        return (socket.create_connection, (('127.0.0.1', {port}),))\n\
         open('model.pkl','wb').write(pickle.dumps(Evil()))\n"
    );
    let status = Command::new(home.python_bin())
        .args(["-c", &script])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(
        dir.path().join("MLmodel"),
        "flavors:\n  python_function: {loader_module: mlflow.sklearn, model_path: model.pkl}\n  sklearn: {pickled_model: model.pkl, serialization_format: cloudpickle}\n",
    )
    .unwrap();
    let result =
        harness::grading::rescore::sandbox::predict(dir.path(), &[vec![0.0; 13]], Some(&sandbox));
    assert!(
        result.is_err(),
        "the evil model must fail to load: {result:?}"
    );
    std::thread::sleep(Duration::from_millis(200));
    match listener.accept() {
        Ok((mut s, _)) => {
            let mut buf = [0u8; 1];
            let _ = s.read(&mut buf);
            panic!("the sandboxed pickle connected to 127.0.0.1:{port}");
        }
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
    }
}

/// Our own MNIST network is rescored natively on the split its run recorded, through the server.
#[test]
fn rescore_reproduces_our_mnist_champion_from_the_server() {
    use harness::grading::{Target, grade_target};
    use harness::reference::mnist::{self as mnist_run, MnistRunSpec};
    use harness::task::TaskSource;

    let task = TaskSource::Dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks"))
        .resolve("mnist")
        .unwrap()
        .remove(0);
    let id = harness_e2e::unique("rescore-mnist");
    let mut spec = MnistRunSpec::from_task(&task, "quick").unwrap();
    spec.experiment = format!("{id}-{}", spec.experiment);
    spec.registered_model = format!("{id}-{}", spec.registered_model);
    spec.max_train_samples = Some(300);
    for v in &mut spec.versions {
        v.epochs = 1;
    }
    let client = harness_e2e::client();
    mnist_run::run(
        &client,
        &spec,
        false,
        &harness::progress::Progress::hidden(),
    )
    .unwrap();

    let mut graded_task = task.clone();
    graded_task.experiment = Some(spec.experiment.clone());
    graded_task.registered_model = Some(spec.registered_model.clone());
    let tasks = [graded_task];
    let mut graded = grade_target(&tasks, Target::Server(client)).unwrap();
    let sandbox = harness::grading::rescore::sandbox::Sandbox::provision(
        &harness_e2e::home(),
        &harness_e2e::python(),
        &harness::progress::Progress::hidden(),
    )
    .unwrap();
    harness::grading::rescore::rescore(&tasks, &mut graded[0], &sandbox);
    let check = graded[0]
        .grade
        .checks()
        .find(|c| c.id == "mnist.rescore")
        .expect("a rescore check");
    assert_eq!(
        check.status,
        harness::grading::checks::CheckStatus::Pass,
        "{check:?}"
    );
    assert!(
        check
            .evidence
            .iter()
            .any(|e| e.contains("3000 embedded test digits")),
        "{check:?}"
    );
}
