//! The Day-28 and registry-lab task files graded on stores the real MLflow client wrote
//! (`tests/fixtures/exercises`, made by `generate_exercises.py`): the submission that does what
//! each exercise asks earns every point of it, the faulty one loses exactly the points of its
//! mistakes, and the graded stores are left unchanged.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use harness::grading::checks::CheckStatus;
use harness::grading::{Graded, Target, grade_target};
use harness::task::TaskSource;
use harness_e2e::digests;

fn exercises() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/exercises")
}

fn grade(selector: &str) -> Vec<Graded> {
    let tasks = TaskSource::Dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks"))
        .resolve(selector)
        .unwrap();
    let before = digests(&exercises());
    let graded = grade_target(&tasks, Target::Submissions(exercises())).unwrap();
    assert_eq!(digests(&exercises()), before, "a graded store was modified");
    graded
}

fn summary(g: &Graded) -> String {
    let mut s = String::new();
    for t in &g.grade.tasks {
        writeln!(s, "{} {}/{}", t.task, t.points, t.max_points).unwrap();
        for i in &t.items {
            for c in i.checks.iter().filter(|c| c.status != CheckStatus::Pass) {
                writeln!(s, "  {} {} {:?}: {}", i.id, c.id, c.status, c.message).unwrap();
            }
        }
    }
    s
}

fn task_points(g: &Graded) -> Vec<(&str, u32, u32)> {
    g.grade
        .tasks
        .iter()
        .map(|t| (t.task.as_str(), t.points, t.max_points))
        .collect()
}

fn by<'g>(graded: &'g [Graded], name: &str) -> &'g Graded {
    graded.iter().find(|g| g.submission == name).unwrap()
}

#[test]
fn day28_tasks_give_the_good_store_every_point_and_name_each_fault() {
    let graded = grade("day28");
    let good = by(&graded, "day28-good");
    assert!(
        task_points(good).iter().all(|(_, p, max)| p == max),
        "{}",
        summary(good)
    );
    let faulty = by(&graded, "day28-faulty");
    assert_eq!(
        task_points(faulty),
        [
            ("day28-pipeline", 50, 100),
            ("day28-sweep", 20, 100),
            ("day28-tracking", 50, 100),
            ("day28-versioning", 20, 100),
        ],
        "{}",
        summary(faulty)
    );
    let s = summary(faulty);
    // `is_best` logged on every run that was best so far marks runs that are not the best.
    assert!(
        s.contains("marks the best run but also 2 other runs"),
        "{s}"
    );
    assert!(s.contains("9 of 18 grid combinations"), "{s}");
    assert!(
        s.contains("train_loss: 1 steps") || s.contains("train_loss over"),
        "{s}"
    );
    for g in &graded {
        insta::assert_snapshot!(format!("day28__{}", g.submission), summary(g));
    }
}

#[test]
fn registry_lab_needs_the_alias_or_the_stage_and_a_loadable_model() {
    let graded = grade("registry-lab");
    assert_eq!(
        task_points(by(&graded, "lab-good")),
        [("registry-lab", 100, 100)]
    );
    // Registered but never promoted: the promotion and the loading by alias are lost.
    assert_eq!(
        task_points(by(&graded, "lab-faulty")),
        [("registry-lab", 40, 100)]
    );
    // Exercise 2's store promotes by stage Production, which the lab accepts too.
    assert_eq!(
        task_points(by(&graded, "day28-good")),
        [("registry-lab", 100, 100)]
    );
    for g in &graded {
        insta::assert_snapshot!(format!("lab__{}", g.submission), summary(g));
    }
}

#[test]
fn all_still_means_the_registry_homework() {
    let tasks = TaskSource::Dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks"))
        .resolve("all")
        .unwrap();
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["wine", "mnist", "overall"]);
}
