//! The MLOps Zoomcamp week-2 task graded on six real stores students and instructors committed
//! to public repositories (`tests/fixtures/real-stores`, provenance beside them): every store
//! grades without error, nothing is modified, and each score is recorded with its reasons
//! (`snapshots/`; the README there says why each is right).

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::grading::checks::CheckStatus;
use harness::grading::{Graded, Target, grade_target};
use harness::task::TaskSource;
use harness_e2e::{digests, harness_bin};

fn stores() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/real-stores")
}

fn tasks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks")
}

/// Points per item, each check's verdict and its message: what a TA reads.
fn summary(g: &Graded) -> String {
    let mut s = String::new();
    writeln!(s, "total {}/{}", g.grade.points, g.grade.max_points).unwrap();
    for t in &g.grade.tasks {
        for i in &t.items {
            writeln!(s, "{} {}/{}", i.id, i.points, i.max_points).unwrap();
            for c in &i.checks {
                writeln!(s, "  {} {:?}: {}", c.id, c.status, c.message).unwrap();
            }
        }
    }
    s
}

fn graded() -> Vec<Graded> {
    let tasks = TaskSource::Dir(tasks_dir())
        .resolve("zoomcamp-hw2")
        .unwrap();
    grade_target(&tasks, Target::Submissions(stores())).unwrap()
}

fn status(g: &Graded, check: &str) -> CheckStatus {
    g.grade
        .tasks
        .iter()
        .flat_map(|t| &t.items)
        .flat_map(|i| &i.checks)
        .find(|c| c.id == check)
        .unwrap_or_else(|| panic!("{}: no check {check}", g.submission))
        .status
}

#[test]
fn every_real_store_grades_as_recorded_and_is_left_unchanged() {
    let before = digests(&stores());
    let graded = graded();
    assert_eq!(digests(&stores()), before, "a graded store was modified");
    let names: Vec<&str> = graded.iter().map(|g| g.submission.as_str()).collect();
    assert_eq!(
        names,
        [
            "danielvm-2025-aliases",
            "karimlulu-2022-stages",
            "patrickcmd-2022",
            "selbl-2025",
            "tuchsanai-compose",
            "yongchein-2024-filestore",
        ]
    );
    for g in &graded {
        assert!(
            g.grade
                .tasks
                .iter()
                .flat_map(|t| &t.items)
                .flat_map(|i| &i.checks)
                .all(|c| c.status != CheckStatus::Error),
            "{}: {}",
            g.submission,
            summary(g)
        );
        insta::assert_snapshot!(format!("zoomcamp__{}", g.submission), summary(g));
    }
}

#[test]
fn the_registered_version_must_come_from_the_lowest_test_rmse() {
    let graded = graded();
    let by = |n: &str| graded.iter().find(|g| g.submission == n).unwrap();
    // selbl registered the run with test_rmse 5.567, the lowest of its five re-trained runs.
    assert_eq!(
        status(by("selbl-2025"), "best_run:test_rmse"),
        CheckStatus::Pass
    );
    // patrickcmd registered a run with 6.5489 while another logged 6.5479: not the lowest.
    let p = by("patrickcmd-2022");
    assert_eq!(status(p, "best_run:test_rmse"), CheckStatus::Fail);
    assert_eq!(
        status(p, "experiment:random-forest-hyperopt"),
        CheckStatus::Pass
    );
    // selbl's trials went to `hw2-q3`: they count, the experiment's name does not.
    let s = by("selbl-2025");
    assert_eq!(
        status(s, "run_count:rmse|val_rmse|valid_rmse"),
        CheckStatus::Pass
    );
    assert_eq!(
        status(s, "experiment:random-forest-hyperopt"),
        CheckStatus::Fail
    );
    // A registered model with no versions earns nothing for the registry.
    let t = by("tuchsanai-compose");
    assert_eq!(status(t, "registered:*"), CheckStatus::Fail);
    assert_eq!(t.grade.points, 0);
}

#[test]
fn check_cli_grades_one_store_and_a_folder_of_them() {
    let run = |args: &[&str]| {
        Command::new(harness_bin())
            .arg("check")
            .args(["--task", "zoomcamp-hw2", "--quiet", "--format", "json"])
            .args(args)
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .output()
            .unwrap()
    };
    let store = stores().join("selbl-2025/backend.db");
    let out = run(&["--store", store.to_str().unwrap()]);
    // Not every point is earned, so the exit status says a check failed.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["max_points"], 100);
    // Trials and re-trained runs in renamed experiments: only the two names are lost.
    assert_eq!(json["points"], 65);

    let mlruns = stores().join("yongchein-2024-filestore/mlruns");
    let out = run(&["--mlruns", mlruns.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "--submissions",
        stores().to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(dir.path().join("gradebook.csv")).unwrap();
    assert_eq!(csv.lines().count(), 7, "{csv}");
    assert!(csv.contains("hw2.registry"), "{csv}");
}
