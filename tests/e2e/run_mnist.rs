//! `harness run mnist` against the shared real MLflow server: the registry state it leaves, the
//! metric histories, reproducibility, the champion loaded back by alias, and — after `harness
//! run all` — full automatic points from the grader. Every test uses its own experiment and
//! registered-model names, and trains a few epochs on a few hundred images to stay quick.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use harness::data::{mnist, split::train_test_split};
use harness::grading::checks::CheckStatus;
use harness::grading::{Target, grade_target};
use harness::mlflow::{Metric, MlflowClient, RunStatus};
use harness::model::mlmodel::{HARNESS_MLP_FLAVOR, HarnessMlpFlavor, MlModel, tensor_shape};
use harness::nn::{Mlp, Samples};
use harness::progress::Progress;
use harness::reference::mnist::{self as run_mnist_task, MnistRunSpec, MnistSummary};
use harness::reference::publish::{ALIAS_RULE_TAG, INCOMPLETE_TAG};
use harness::reference::{ALIAS_RULE, Scored, assign_aliases};
use harness::task::TaskSource;
use harness::task::TaskSpec;
use harness_e2e::{client, harness_bin, tracking_uri, unique};

const PARAMS: [usize; 3] = [101_770, 235_146, 567_434];

fn task(name: &str) -> TaskSpec {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
    TaskSource::Dir(dir).resolve(name).unwrap().remove(0)
}

/// The task file's spec with names of this test's own, `epochs` per version and few images.
fn spec(prefix: &str, epochs: [usize; 3]) -> MnistRunSpec {
    let id = unique(prefix);
    let mut s = MnistRunSpec::from_task(&task("mnist"), "quick").unwrap();
    s.experiment = format!("{id}-{}", s.experiment);
    s.registered_model = format!("{id}-{}", s.registered_model);
    s.max_train_samples = Some(400);
    for (v, e) in s.versions.iter_mut().zip(epochs) {
        v.epochs = e;
    }
    s
}

fn run(spec: &MnistRunSpec) -> MnistSummary {
    run_mnist_task::run(&client(), spec, false, &Progress::hidden()).unwrap()
}

fn steps(history: &[Metric]) -> Vec<i64> {
    let mut s: Vec<i64> = history.iter().map(|m| m.step).collect();
    s.sort_unstable();
    s
}

#[test]
fn run_mnist_leaves_the_expected_registry_state_and_histories() {
    let spec = spec("rm-state", [6, 1, 2]);
    let summary = run(&spec);
    let c = client();
    let name = &spec.registered_model;

    let rm = c.get_registered_model(name).unwrap();
    for word in [
        "shallow",
        "medium",
        "deep",
        "dropout",
        "784-512-256-128-10",
        "70/30",
    ] {
        assert!(
            rm.description.contains(word),
            "{word}: {:?}",
            rm.description
        );
    }
    assert!(!rm.description.contains('{'), "{}", rm.description);
    assert_eq!(rm.tag("task"), Some("classification"));
    assert_eq!(rm.tag("dataset"), Some("mnist"));
    assert_eq!(
        rm.tag("framework"),
        Some("harness-rust (fused CPU kernels, gemm)")
    );
    assert!(rm.tag("team").is_some_and(|t| !t.is_empty()));
    assert_eq!(rm.tag(ALIAS_RULE_TAG), Some(ALIAS_RULE));
    assert_eq!(rm.tag(INCOMPLETE_TAG), None);

    let expected = [
        ("mnist-v1-ShallowNN", "shallow-nn", vec!["128"]),
        (
            "mnist-v2-MediumDeepNN",
            "medium-deep-nn",
            vec!["256", "128"],
        ),
        (
            "mnist-v3-DeepDropoutNN",
            "deep-dropout-nn",
            vec!["512", "256", "128"],
        ),
    ];
    let mut scored = Vec::new();
    for (i, (run_name, model_type, hidden)) in expected.iter().enumerate() {
        let n = i + 1;
        let mv = c.get_model_version(name, &n.to_string()).unwrap();
        let model_id = mv.source.strip_prefix("models:/").unwrap_or_default();
        assert!(model_id.starts_with("m-"), "{}", mv.source);
        assert_eq!(model_id, summary.published.versions[i].model_id);
        assert_eq!(mv.status, "READY");
        assert_eq!(mv.tag("model_type"), Some(*model_type));
        assert_eq!(
            mv.tag("num_parameters"),
            Some(PARAMS[i].to_string().as_str())
        );
        let secs: f64 = mv.tag("training_time_seconds").unwrap().parse().unwrap();
        assert!(secs > 0.0, "{secs}");
        let status = mv.tag("status").unwrap();
        assert_eq!(status, summary.published.versions[i].status);

        let run = c.get_run(&mv.run_id).unwrap();
        assert_eq!(run.info.run_name, *run_name);
        assert_eq!(run.info.status, RunStatus::Finished);
        // Params: exactly these.
        let mut want: BTreeSet<String> = [
            "dropout_rate",
            "learning_rate",
            "batch_size",
            "num_epochs",
            "optimizer",
            "loss_function",
            "seed",
            "device",
            "profile",
            "samples",
            "image_shape",
            "num_classes",
            "normalization",
            "train_samples",
            "test_samples",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        for (k, h) in hidden.iter().enumerate() {
            let key = format!("hidden_size_{}", k + 1);
            assert_eq!(run.param(&key), Some(*h));
            want.insert(key);
        }
        let got: BTreeSet<String> = run.data.params.iter().map(|p| p.key.clone()).collect();
        assert_eq!(got, want);
        assert_eq!(run.param("optimizer"), Some("Adam"));
        assert_eq!(run.param("loss_function"), Some("CrossEntropyLoss"));
        assert_eq!(
            run.param("num_epochs"),
            Some(spec.versions[i].epochs.to_string().as_str())
        );
        assert_eq!(run.param("image_shape"), Some("28x28"));
        assert_eq!(run.param("num_classes"), Some("10"));
        assert_eq!(run.param("samples"), Some("10000"));
        assert_eq!(run.param("normalization"), Some("none"));
        assert_eq!(run.param("train_samples"), Some("400"));
        assert_eq!(run.param("test_samples"), Some("3000"));
        assert_eq!(run.param("device"), Some("cpu"));
        let dropout = ["0.0", "0.0", "0.2,0.2,0.1"][i];
        assert_eq!(run.param("dropout_rate"), Some(dropout));
        let inputs = &run.inputs.dataset_inputs;
        assert_eq!(inputs.len(), 1);
        assert_eq!(inputs[0].dataset.name, "mnist");
        assert_eq!(inputs[0].dataset.digest, &summary.data.sha256[..8]);

        // Final metrics (fractions) and the per-epoch histories.
        let acc = run.metric("final_test_accuracy").unwrap();
        assert!((0.0..=1.0).contains(&acc));
        assert_eq!(acc, summary.versions[i].final_test_accuracy);
        assert!(run.metric("final_test_loss").unwrap() > 0.0);
        let size = run.metric("model_size_mb").unwrap();
        assert!(
            (size - PARAMS[i] as f64 * 4.0 / 1048576.0).abs() < 0.01,
            "{size}"
        );
        let epochs = spec.versions[i].epochs as i64;
        for key in ["train_loss", "train_accuracy"] {
            let h = c.get_metric_history(&mv.run_id, key).unwrap();
            assert_eq!(steps(&h), (0..epochs).collect::<Vec<_>>(), "{key}");
        }
        for key in ["test_loss", "test_accuracy"] {
            let h = c.get_metric_history(&mv.run_id, key).unwrap();
            assert_eq!(
                steps(&h),
                (0..epochs).filter(|e| e % 5 == 0).collect::<Vec<_>>(),
                "{key}"
            );
        }
        let h = c.get_metric_history(&mv.run_id, "train_accuracy").unwrap();
        assert!(h.iter().all(|m| (0.0..=1.0).contains(&m.value)));
        scored.push(Scored {
            version: n as u32,
            accuracy: acc,
            f1: run.metric("final_test_f1_weighted").unwrap(),
        });

        // MLmodel: our flavor, a tensor signature, the weights and config beside it.
        let uri = c.get_model_version_download_uri(name, &mv.version).unwrap();
        let text = String::from_utf8(c.download_artifact(&uri, "MLmodel").unwrap()).unwrap();
        let mlmodel = MlModel::from_yaml(&text).unwrap();
        assert_eq!(mlmodel.model_id, model_id);
        let flavor: HarnessMlpFlavor = mlmodel.flavor(HARNESS_MLP_FLAVOR).unwrap().unwrap();
        assert_eq!(
            (
                flavor.format.as_str(),
                flavor.weights.as_str(),
                flavor.config.as_str()
            ),
            ("harness-mlp", "model.safetensors", "config.json")
        );
        let sig = mlmodel.signature.as_ref().unwrap();
        assert_eq!(tensor_shape(&sig.inputs), Some(vec![-1, 784]));
        assert_eq!(tensor_shape(&sig.outputs), Some(vec![-1, 10]));
        assert!(sig.inputs.contains("float32"), "{}", sig.inputs);
        let example: serde_json::Value =
            serde_json::from_slice(&c.download_artifact(&uri, "input_example.json").unwrap())
                .unwrap();
        assert_eq!(example["inputs"][0].as_array().unwrap().len(), 784);
        assert!(
            !c.download_artifact(&uri, "model.safetensors")
                .unwrap()
                .is_empty()
        );
    }

    let rule = assign_aliases(&scored, 1).unwrap();
    assert_eq!(
        rm.alias("champion"),
        Some(rule.champion.to_string().as_str())
    );
    assert_eq!(
        rm.alias("staging"),
        rule.staging.map(|s| s.to_string()).as_deref()
    );
    assert_eq!(rm.alias("baseline"), Some("1"));
    assert_eq!(summary.champion.version, rule.champion);
    assert_eq!(summary.champion.predictions.len(), 20);
    assert!(
        summary
            .champion
            .predictions
            .iter()
            .all(|p| p.confidence > 0.0 && p.confidence <= 1.0 && p.actual < 10)
    );
}

#[test]
fn run_mnist_twice_with_the_same_seed_is_bit_identical() {
    let (a, b) = (spec("rm-same-a", [2, 1, 1]), spec("rm-same-b", [2, 1, 1]));
    let (sa, sb) = (run(&a), run(&b));
    let c = client();
    for i in 0..3 {
        let (va, vb) = (&sa.versions[i], &sb.versions[i]);
        assert_eq!(va.final_test_accuracy, vb.final_test_accuracy);
        assert_eq!(va.final_test_loss.to_bits(), vb.final_test_loss.to_bits());
        let strip = |h: &[harness::nn::EpochMetrics]| {
            h.iter()
                .map(|m| {
                    (
                        m.epoch,
                        m.train_loss.to_bits(),
                        m.train_accuracy.to_bits(),
                        m.test.map(|t| (t.loss.to_bits(), t.accuracy.to_bits())),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&va.history), strip(&vb.history));
        // And on the server.
        let series = |run_id: &str, key: &str| -> Vec<(i64, u64)> {
            let mut h: Vec<(i64, u64)> = c
                .get_metric_history(run_id, key)
                .unwrap()
                .iter()
                .map(|m| (m.step, m.value.to_bits()))
                .collect();
            h.sort_unstable();
            h
        };
        let (ra, rb) = (
            &sa.published.versions[i].run_id,
            &sb.published.versions[i].run_id,
        );
        for key in ["train_loss", "train_accuracy", "test_loss", "test_accuracy"] {
            assert_eq!(series(ra, key), series(rb, key), "v{} {key}", i + 1);
        }
    }
    assert_eq!(sa.champion.version, sb.champion.version);
    assert_eq!(sa.champion.predictions, sb.champion.predictions);
}

#[test]
fn run_mnist_champion_loaded_by_alias_scores_the_logged_accuracy() {
    let spec = spec("rm-champ", [1, 1, 1]);
    let summary = run(&spec);
    let c: MlflowClient = client();
    let uri = format!("models:/{}@champion", spec.registered_model);
    let dir = tempfile::tempdir().unwrap();
    let (resolved, files) = c.download_model(&uri, dir.path()).unwrap();
    for f in [
        "MLmodel",
        "model.safetensors",
        "config.json",
        "input_example.json",
    ] {
        assert!(files.iter().any(|x| x == f), "{f} in {files:?}");
    }
    let version = resolved.version.unwrap();
    assert_eq!(version.version, summary.champion.version.to_string());
    let model = Mlp::load(dir.path()).unwrap();
    // The test split, rebuilt independently of the run.
    let pool = mnist::load_embedded().unwrap();
    let split = train_test_split(pool.len(), 0.3, 42).unwrap();
    let (x, y) = pool.select(&split.test, None);
    let measured = model.evaluate(Samples::new(&x, &y)).unwrap().accuracy;
    let logged = c
        .get_run(&version.run_id)
        .unwrap()
        .metric("final_test_accuracy")
        .unwrap();
    assert_eq!(measured, logged);
    assert_eq!(summary.champion.test_accuracy, logged);
    assert_eq!(summary.champion.logged_accuracy, logged);
    let proba = model.predict_proba(&x[..20 * 784]).unwrap();
    for (p, pr) in proba.iter().zip(&summary.champion.predictions) {
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        assert_eq!(p[usize::from(pr.predicted)], pr.confidence);
    }
}

/// The task files with an extra profile `tiny` (one epoch, 300 images) for the CLI test.
fn tiny_tasks_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks");
    for name in ["wine", "mnist", "overall"] {
        let mut text = std::fs::read_to_string(src.join(format!("{name}.toml"))).unwrap();
        if name == "mnist" {
            text.push_str(
                "\n[training.mlp.profiles.tiny]\nepochs = { shallow = 1, medium = 1, deep = 1 }\nmax_train_samples = 300\n",
            );
        }
        std::fs::write(dir.path().join(format!("{name}.toml")), text).unwrap();
    }
    dir
}

#[test]
fn run_mnist_binary_run_all_prints_the_tables_and_grades_full_automatic_points() {
    let tasks_dir = tiny_tasks_dir();
    let prefix = format!("{}-", unique("rm-all"));
    let out = Command::new(harness_bin())
        .args([
            "run",
            "all",
            "--quiet",
            "--tracking-uri",
            tracking_uri(),
            "--name-prefix",
        ])
        .arg(&prefix)
        .args(["--profile", "tiny", "--tasks-dir"])
        .arg(tasks_dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Wine first, then MNIST.
    let wine_at = stdout.find("Task 1 — wine").unwrap();
    let mnist_at = stdout.find("Task 2 — mnist").unwrap();
    assert!(wine_at < mnist_at, "{stdout}");
    assert!(
        stdout
            .contains("| Version | Architecture | Accuracy | Loss | Parameters | Training Time |"),
        "{stdout}"
    );
    let rows: Vec<&str> = stdout[mnist_at..]
        .lines()
        .filter(|l| l.starts_with("| v"))
        .collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    assert!(
        rows[0].starts_with("| v1 | shallow-nn (784-128-10) | 0."),
        "{stdout}"
    );
    assert!(rows[2].contains("| 567434 |"), "{stdout}");
    for metric in [
        "| Accuracy |",
        "| Loss |",
        "| Parameters |",
        "| Training time (s) |",
        "| Model size (MB) |",
    ] {
        assert!(stdout.contains(metric), "{metric}: {stdout}");
    }
    assert!(stdout.contains("Champion Model: v"), "{stdout}");
    assert!(stdout.contains("@baseline → v1 shallow-nn"), "{stdout}");
    let predictions = stdout
        .lines()
        .skip_while(|l| !l.starts_with("| # | Test image"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .count();
    assert_eq!(predictions, 20, "{stdout}");
    assert!(
        stdout.contains("equal to the logged final_test_accuracy"),
        "{stdout}"
    );

    // Grade that state with the task files, names prefixed as the run prefixed them.
    let tasks: Vec<TaskSpec> = ["wine", "mnist"]
        .into_iter()
        .map(|n| {
            let mut t = task(n);
            t.experiment = t.experiment.map(|e| format!("{prefix}{e}"));
            t.registered_model = t.registered_model.map(|m| format!("{prefix}{m}"));
            t
        })
        .collect();
    let graded = grade_target(&tasks, Target::Server(harness_e2e::client())).unwrap();
    assert_eq!(graded.len(), 1);
    let grade = &graded[0].grade;
    let mut automatic = 0;
    for t in &grade.tasks {
        for item in &t.items {
            for check in &item.checks {
                if check.status == CheckStatus::Manual {
                    continue;
                }
                automatic += 1;
                assert_eq!(
                    check.status,
                    CheckStatus::Pass,
                    "{} / {} / {}: {} {:?}",
                    t.task,
                    item.id,
                    check.id,
                    check.message,
                    check.evidence
                );
            }
        }
    }
    assert!(automatic >= 40, "{automatic} automatic checks");
}

/// With `normalize` in the task file, the inputs are standardised, the params and the saved model
/// record it, and the champion reloaded by alias still reproduces the logged accuracy.
#[test]
fn run_mnist_with_normalisation_records_it_and_reloads_consistently() {
    let mut s = spec("rm-norm", [1, 1, 1]);
    s.normalize = Some(mnist::Normalize {
        mean: 0.1307,
        std: 0.3081,
    });
    let summary = run(&s);
    assert_eq!(summary.data.normalization, "mean=0.1307 std=0.3081");
    assert_eq!(
        summary.champion.test_accuracy,
        summary.champion.logged_accuracy
    );
    let c = client();
    let v1 = c.get_model_version(&s.registered_model, "1").unwrap();
    assert_eq!(
        c.get_run(&v1.run_id).unwrap().param("normalization"),
        Some("mean=0.1307 std=0.3081")
    );
    let dir = tempfile::tempdir().unwrap();
    c.download_model(
        &format!("models:/{}@champion", s.registered_model),
        dir.path(),
    )
    .unwrap();
    let model = Mlp::load(dir.path()).unwrap();
    assert_eq!(model.normalize, s.normalize);
}

/// Writes an IDX file as the MNIST distribution does (big-endian magic and dimensions, raw bytes).
fn write_idx(path: &Path, magic: u32, dims: &[u32], data: &[u8]) {
    let mut bytes = magic.to_be_bytes().to_vec();
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

/// `--data-dir` with the standard four files (train + t10k, raw IDX): the run trains on that pool
/// and records where it came from and its digest.
#[test]
fn run_mnist_reads_the_standard_four_files_from_a_data_dir() {
    let pool = mnist::load_embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let px = pool.rows * pool.cols;
    let (train, test) = (1_200usize, 400usize);
    let dims = |n: usize| [n as u32, pool.rows as u32, pool.cols as u32];
    write_idx(
        &dir.path().join("train-images-idx3-ubyte"),
        0x803,
        &dims(train),
        &pool.images[..train * px],
    );
    write_idx(
        &dir.path().join("train-labels-idx1-ubyte"),
        0x801,
        &[train as u32],
        &pool.labels[..train],
    );
    write_idx(
        &dir.path().join("t10k-images-idx3-ubyte"),
        0x803,
        &dims(test),
        &pool.images[train * px..(train + test) * px],
    );
    write_idx(
        &dir.path().join("t10k-labels-idx1-ubyte"),
        0x801,
        &[test as u32],
        &pool.labels[train..train + test],
    );

    let mut s = spec("rm-datadir", [1, 1, 1]);
    s.data_dir = Some(dir.path().to_path_buf());
    let summary = run(&s);
    assert_eq!(summary.data.samples, train + test);
    assert_eq!(summary.data.n_test, 480, "30 % of the 1 600-image pool");
    assert_ne!(
        summary.data.sha256,
        pool.digest(),
        "the digest is of the pool read from --data-dir"
    );
    assert_eq!(
        summary.champion.test_accuracy,
        summary.champion.logged_accuracy
    );
}
