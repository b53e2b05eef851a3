//! `harness grade` (what `just grade` runs), end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness_e2e::{harness_bin, unique};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/submissions")
}

fn grade(args: &[&str]) -> Output {
    Command::new(harness_bin())
        .arg("grade")
        .args(args)
        .arg("--quiet")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn grade_a_given_store_writes_every_report_file() {
    let out_dir = tempfile::tempdir().unwrap();
    let db = fixtures().join("perfect/mlflow.db");
    let out = grade(&[
        "--store",
        db.to_str().unwrap(),
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for f in [
        "report.md",
        "report.html",
        "results.json",
        "gradescope-results.json",
    ] {
        assert!(
            out_dir.path().join(f).is_file(),
            "{f} missing: {}",
            text(&out)
        );
    }
    let md = std::fs::read_to_string(out_dir.path().join("report.md")).unwrap();
    assert!(
        md.contains("| Version | Algorithm | Accuracy | F1-Score |"),
        "{md}"
    );
    assert!(
        text(&out).contains("every automatic check passed"),
        "{}",
        text(&out)
    );
}

#[test]
fn grade_a_class_writes_the_class_report_and_gradebook() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = grade(&[
        "--submissions",
        fixtures().to_str().unwrap(),
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "faulty fixtures fail checks: {}",
        text(&out)
    );
    let class = std::fs::read_to_string(out_dir.path().join("report.md")).unwrap();
    let csv = std::fs::read_to_string(out_dir.path().join("gradebook.csv")).unwrap();
    let n = std::fs::read_dir(fixtures()).unwrap().count();
    assert_eq!(csv.lines().count(), n + 1);
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(class.contains(&name), "{name} not in the class report");
    }
    assert!(out_dir.path().join("perfect/report.html").is_file());
}

/// The whole product: a fresh embedded server, the reference runs, grading, reports. The
/// reference must earn every automatic point.
#[test]
fn reference_run_scores_every_automatic_point() {
    let instance = unique("grade");
    let out_dir = tempfile::tempdir().unwrap();
    let out = grade(&[
        "--mlflow",
        "embedded",
        "--instance",
        &instance,
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(harness_e2e::home().instance_dir(&instance));
    let all = text(&out);
    assert!(all.contains("every automatic check passed"), "{all}");
    assert_eq!(out.status.code(), Some(0), "{all}");
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.path().join("results.json")).unwrap())
            .unwrap();
    for task in results["tasks"].as_array().unwrap() {
        for item in task["items"].as_array().unwrap() {
            for check in item["checks"].as_array().unwrap() {
                assert!(
                    check["status"] == "pass" || check["status"] == "manual",
                    "{} {}: {}",
                    item["id"],
                    check["id"],
                    check["message"]
                );
            }
        }
    }
    let md = std::fs::read_to_string(out_dir.path().join("report.md")).unwrap();
    assert!(md.contains("| Version | Algorithm | Accuracy | F1-Score |"));
    assert!(out_dir.path().join("reference-run.json").is_file());
    // The exercises' reference runs follow, each graded by its own task file.
    let exercises: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out_dir.path().join("exercise-references.json")).unwrap(),
    )
    .unwrap();
    let exercises = exercises.as_array().unwrap();
    let ids: Vec<&str> = exercises
        .iter()
        .map(|e| e["reference"]["task"].as_str().unwrap())
        .collect();
    for id in [
        "day28-pipeline",
        "day28-sweep",
        "day28-tracking",
        "day28-versioning",
        "registry-lab",
    ] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    for e in exercises {
        assert_eq!(
            e["grade"]["points"], e["grade"]["max_points"],
            "{}",
            e["reference"]["task"]
        );
    }
    assert!(all.contains("day28-sweep: 100/100 points"), "{all}");
}
