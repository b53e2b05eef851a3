//! `harness check` as a TA runs it, on stores made by the real Python MLflow client.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness_e2e::{digests, harness_bin};

fn submissions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/submissions")
}

fn check(args: &[&str]) -> Output {
    Command::new(harness_bin())
        .arg("check")
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap()
}

#[test]
fn batch_grading_writes_gradebook_and_results_and_modifies_nothing() {
    let before = digests(&submissions());
    let out_dir = tempfile::tempdir().unwrap();
    let out = check(&[
        "--task",
        "all",
        "--submissions",
        submissions().to_str().unwrap(),
        "--out",
        out_dir.path().to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        digests(&submissions()),
        before,
        "a graded store was modified"
    );
    // Some fixtures are faulty on purpose, so not every automatic check passes.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let csv = std::fs::read_to_string(out_dir.path().join("gradebook.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    let n_subs = std::fs::read_dir(submissions()).unwrap().count();
    assert_eq!(lines.len(), n_subs + 1, "{csv}");
    assert!(lines[0].starts_with("submission,name,student_id,"));
    assert!(
        lines[0].contains("wine.registry") && lines[0].contains("mnist.model3"),
        "{}",
        lines[0]
    );
    let corrupted = lines.iter().find(|l| l.starts_with("corrupted,")).unwrap();
    assert!(
        corrupted.contains("not a readable MLflow store"),
        "{corrupted}"
    );
    let perfect = lines.iter().find(|l| l.starts_with("perfect,")).unwrap();
    assert!(
        perfect.contains("6400000000"),
        "identity from the script header: {perfect}"
    );

    let results: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out_dir.path().join("perfect/results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(results["submission"], "perfect");
    let tasks: Vec<&str> = results["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task"].as_str().unwrap())
        .collect();
    assert_eq!(tasks, ["wine", "mnist", "overall"]);
    let gs: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out_dir.path().join("perfect/gradescope-results.json")).unwrap(),
    )
    .unwrap();
    // The task files scale the rubric's 170 points to the homework's 100: Gradescope gets that.
    assert_eq!(gs["score"].as_f64(), results["scaled"]["points"].as_f64());
    assert_eq!(gs["max_score"].as_f64(), Some(100.0));
    assert_eq!(
        gs["tests"].as_array().unwrap().len(),
        17,
        "one Gradescope test per rubric item"
    );
}

#[test]
fn json_output_follows_the_results_schema() {
    let db = submissions().join("perfect/mlflow.db");
    let out = check(&[
        "--task",
        "wine",
        "--store",
        db.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["submission", "tasks", "points", "max_points"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let item = &v["tasks"][0]["items"][0];
    for key in ["id", "title", "points", "max_points", "status", "checks"] {
        assert!(item.get(key).is_some(), "item lacks {key}: {item}");
    }
    let check = &item["checks"][0];
    for key in ["id", "status", "message", "evidence"] {
        assert!(check.get(key).is_some(), "check lacks {key}: {check}");
    }
    assert_eq!(v["max_points"], 70);
}

#[test]
fn student_view_hides_evidence_and_shows_what_to_fix() {
    let db = submissions().join("missing-tags/mlflow.db");
    let grader =
        String::from_utf8(check(&["--task", "wine", "--store", db.to_str().unwrap()]).stdout)
            .unwrap();
    let student = String::from_utf8(
        check(&[
            "--task",
            "wine",
            "--store",
            db.to_str().unwrap(),
            "--student",
        ])
        .stdout,
    )
    .unwrap();
    assert!(student.contains('✗'), "{student}");
    assert!(
        !student.contains('✓'),
        "passing checks are not listed for students: {student}"
    );
    assert!(student.len() < grader.len());
}

#[test]
fn usage_errors_exit_2_and_say_what_to_do() {
    let out = check(&["--task", "wine"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--store FILE"));
    let out = check(&["--task", "wnie", "--store", "x.db"]);
    assert_eq!(out.status.code(), Some(2));
    let out = check(&["--task", "wine", "--store", "/nonexistent/mlflow.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/mlflow.db"));
    let bad = tempfile::NamedTempFile::with_suffix(".toml").unwrap();
    std::fs::write(
        bad.path(),
        "id = 'x'\ntitle = 't'\nrubric = []\nbogus_key = 1\n",
    )
    .unwrap();
    let out = check(&["--task", bad.path().to_str().unwrap(), "--store", "x.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bogus_key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn markdown_format_prints_the_report() {
    let db = submissions().join("perfect/mlflow.db");
    let out = check(&[
        "--task",
        "wine",
        "--store",
        db.to_str().unwrap(),
        "--format",
        "md",
    ]);
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.contains("| Version | Algorithm | Accuracy | F1-Score |"),
        "{md}"
    );
    assert!(md.contains("@champion"), "{md}");
    let class = check(&[
        "--task",
        "wine",
        "--submissions",
        submissions().to_str().unwrap(),
        "--format",
        "md",
    ]);
    let class = String::from_utf8(class.stdout).unwrap();
    assert!(
        class.contains("perfect") && class.contains("corrupted"),
        "{class}"
    );
}

#[test]
fn a_notebook_only_hand_in_says_in_one_line_what_needed_the_store() {
    let class = tempfile::tempdir().unwrap();
    harness_e2e::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/handins/notebook-only"),
        &class.path().join("notebook-only"),
    );
    let out_dir = tempfile::tempdir().unwrap();
    let out = check(&[
        "--task",
        "all",
        "--submissions",
        class.path().to_str().unwrap(),
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let line = "Needed the MLflow store, so not earned (98 points): Data loading & preparation \
                (wine.data) 4, Model 1 (DecisionTree) (wine.model1) 10,";
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches(line).count(), 1, "{stdout}");
    // The MNIST data facts it printed are earned, the experiment is not.
    assert!(
        stdout.contains("Data preparation (mnist.data) 4,"),
        "{stdout}"
    );
    let md = std::fs::read_to_string(out_dir.path().join("report.md")).unwrap();
    assert!(md.contains(&format!("> **{line}")), "{md}");
    let html = std::fs::read_to_string(out_dir.path().join("report.html")).unwrap();
    assert!(
        html.contains(&format!(
            "<p class=\"problem\" id=\"needs-store\"><strong>{}",
            line.replace('&', "&amp;")
        )),
        "{html}"
    );
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.path().join("results.json")).unwrap(),
    )
    .unwrap();
    let needs = &results["needs_store"];
    assert_eq!(needs["points"], 98, "{needs}");
    assert!(
        needs["reason"]
            .as_str()
            .unwrap()
            .contains("no MLflow store")
    );
    assert_eq!(needs["items"][0]["item"], "wine.data");
    // Items the notebook earns in full are not listed.
    assert!(!stdout.contains("(overall.tables)"), "{stdout}");
}

/// The `perfect` hand-in in a class folder of its own, its printed wine predictions table
/// edited by `edit` (a line of the notebook's output text → its replacement).
fn class_with_predictions(edit: &[(&str, &str)]) -> tempfile::TempDir {
    let class = tempfile::tempdir().unwrap();
    let dest = class.path().join("perfect");
    harness_e2e::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/handins/perfect"),
        &dest,
    );
    let nb = dest.join("homework.ipynb");
    let mut text = std::fs::read_to_string(&nb).unwrap();
    for (from, to) in edit {
        assert_eq!(text.matches(from).count(), 1, "{from}");
        text = text.replace(from, to);
    }
    std::fs::write(&nb, text).unwrap();
    class
}

fn rescore_wine(class: &Path) -> (Option<i32>, String) {
    let o = check(&[
        "--task",
        "wine",
        "--rescore",
        "--quiet",
        "--submissions",
        class.to_str().unwrap(),
    ]);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

#[test]
fn rescore_cross_checks_printed_predictions_with_the_champions_own() {
    // As handed in: the ten printed predictions are the champion's; nothing extra is earned.
    let (code, out) = rescore_wine(class_with_predictions(&[]).path());
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(
            "✓ the 10 printed predictions are the champion's own (recomputed with --rescore)"
        ),
        "{out}"
    );
    assert!(
        out.contains("[PASS] 10/10 Model loading & testing"),
        "{out}"
    );
    // One printed prediction changed: flagged with both values.
    let (code, out) = rescore_wine(
        class_with_predictions(&[(
            "\"2       2          2     True\\n\"",
            "\"2       2          1     False\\n\"",
        )])
        .path(),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("✗ printed predictions differ from the champion's own: row 2 printed 1, the champion predicts 2"),
        "{out}"
    );
    assert!(out.contains("printed:  0 0 1 0 1 0 1 2 1 2"), "{out}");
    assert!(out.contains("champion: 0 0 2 0 1 0 1 2 1 2"), "{out}");
    // The points stay what the hand-in earned (a table of 10 predictions).
    assert!(out.contains("10/10 Model loading & testing"), "{out}");
    // Rows that are not the test split's first ones cannot be compared: a note, no verdict.
    let (code, out) = rescore_wine(
        class_with_predictions(&[(
            "\"0       0          0     True\\n\"",
            "\"0       1          1     True\\n\"",
        )])
        .path(),
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("wine: the printed predictions were not cross-checked with the champion's: their actual values are not the first 10 of the test split"),
        "{out}"
    );
    assert!(
        !out.contains("printed predictions are the champion's own"),
        "{out}"
    );
}

/// A Python with torch and mlflow to load the hand-in fixtures' PyTorch champions in the
/// sandbox: `HARNESS_TORCH_PYTHON`, else the fixtures' generator venv (see
/// `tests/fixtures/handins/README.md`; the harness's own venv has no torch).
fn torch_python() -> PathBuf {
    let python = std::env::var_os("HARNESS_TORCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/harness/fixtures-venv/bin/python")
        });
    let usable = Command::new(&python)
        .args(["-c", "import torch, mlflow.pytorch"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        usable,
        "{} cannot import torch and mlflow: make the fixtures' venv (`just fixtures-handins` \
         installs tests/fixtures/handins/requirements.txt) or set HARNESS_TORCH_PYTHON",
        python.display()
    );
    python
}

fn rescore_mnist(hand_in: &str) -> (Option<i32>, String) {
    let class = tempfile::tempdir().unwrap();
    harness_e2e::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/handins")
            .join(hand_in),
        &class.path().join(hand_in),
    );
    let python = torch_python();
    let o = check(&[
        "--task",
        "mnist",
        "--rescore",
        "--torch-python",
        python.to_str().unwrap(),
        "--quiet",
        "--submissions",
        class.path().to_str().unwrap(),
    ]);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

/// The PyTorch champion is loaded in the sandbox and scored on the notebook's own
/// `random_split`; its predictions and confidences on the 20 printed test digits are compared
/// with what the notebook printed.
#[test]
#[ignore = "needs a Python with PyTorch (~3 GB of CUDA wheels from PyPI) that CI does not install: \
            `HARNESS_TORCH_PYTHON=… cargo nextest run --workspace --run-ignored all -E 'test(/rescore_cross_checks_printed_mnist/)'`"]
fn rescore_cross_checks_printed_mnist_predictions_and_confidences() {
    let (code, out) = rescore_mnist("perfect");
    assert!(
        out.contains("✓ champion v") && out.contains("logged accuracy"),
        "{out}"
    );
    assert!(
        out.contains(
            "✓ the 20 printed predictions and confidences are the champion's own (recomputed with --rescore)"
        ),
        "{out}"
    );
    assert_eq!(code, Some(0), "{out}");

    // The notebook printed the actual labels as its predictions, each with confidence 0.99.
    let (code, out) = rescore_mnist("fabricated-predictions");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(
            "✗ printed predictions and confidences differ from the champion's own: row 0 printed"
        ),
        "{out}"
    );
    assert!(out.contains("(0.99), the champion predicts"), "{out}");
    assert!(out.contains("printed confidence:  0.99 0.99"), "{out}");
    assert!(out.contains("champion confidence: "), "{out}");
    // Loading and printing earn their points all the same: the cross-check earns nothing.
    assert!(out.contains("10/10 Model loading & testing"), "{out}");
}
