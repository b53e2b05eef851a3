//! Every fixture store made by the real Python MLflow client yields exactly the points recorded
//! in `snapshots/` (review changes with `cargo insta review`, or `INSTA_UPDATE=always`).

use std::fmt::Write;
use std::path::Path;

use harness::grading::{Target, grade_target};
use harness::task::TaskSource;

fn summary(g: &harness::grading::points::Grade) -> String {
    let mut s = String::new();
    writeln!(s, "total {}/{}", g.points, g.max_points).unwrap();
    for t in &g.tasks {
        writeln!(s, "{} {}/{}", t.task, t.points, t.max_points).unwrap();
        for i in &t.items {
            let checks: Vec<String> = i
                .checks
                .iter()
                .map(|c| format!("{}={:?}", c.id, c.status).to_lowercase())
                .collect();
            writeln!(
                s,
                "  {} {}/{} {:?}: {}",
                i.id,
                i.points,
                i.max_points,
                i.status,
                checks.join(" ")
            )
            .unwrap();
        }
    }
    s
}

#[test]
fn every_fixture_scores_exactly_as_recorded() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tasks = TaskSource::Dir(root.join("../tasks"))
        .resolve("all")
        .unwrap();
    let graded = grade_target(
        &tasks,
        Target::Submissions(root.join("fixtures/submissions")),
    )
    .unwrap();
    assert!(graded.len() >= 10);
    for g in &graded {
        insta::assert_snapshot!(format!("grade__{}", g.submission), summary(&g.grade));
    }
}

/// A check's result in a graded hand-in, by item and check id.
fn check<'g>(
    g: &'g harness::grading::Graded,
    item: &str,
    id: &str,
) -> &'g harness::grading::checks::CheckResult {
    g.grade
        .tasks
        .iter()
        .flat_map(|t| &t.items)
        .find(|i| i.id == item)
        .and_then(|i| i.checks.iter().find(|c| c.id == id))
        .unwrap_or_else(|| panic!("{}: no {item}/{id}", g.submission))
}

fn passed(g: &harness::grading::Graded, item: &str, id: &str) -> bool {
    check(g, item, id).status == harness::grading::checks::CheckStatus::Pass
}

/// The executed-notebook hand-ins (`tests/fixtures/handins`, made with nbclient against a real
/// MLflow server): their points are recorded, and each fault costs exactly what it should.
#[test]
fn executed_hand_ins_score_as_recorded_and_each_fault_is_named() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tasks = TaskSource::Dir(root.join("../tasks"))
        .resolve("all")
        .unwrap();
    let dir = root.join("fixtures/handins");
    let before = harness_e2e::digests(&dir);
    let graded = grade_target(&tasks, Target::Submissions(dir.clone())).unwrap();
    assert_eq!(harness_e2e::digests(&dir), before, "graded files changed");
    let by = |name: &str| {
        graded
            .iter()
            .find(|g| g.submission == name)
            .unwrap_or_else(|| panic!("no hand-in {name}"))
    };
    for g in &graded {
        insta::assert_snapshot!(format!("handin__{}", g.submission), summary(&g.grade));
    }

    let perfect = by("perfect");
    for (item, id) in [
        ("wine.data", "code_call:load_wine"),
        ("wine.data", "code_call:train_test_split"),
        ("wine.data", "shown:train/test sizes"),
        ("wine.loading", "model_loaded:champion"),
        ("wine.loading", "predictions_shown"),
        ("overall.screenshots", "screenshots"),
        ("overall.tables", "comparison_table:wine"),
        // Task 2 in PyTorch: transforms, DataLoaders, the 20 predictions with confidence, and a
        // table whose rows name the architectures ("Medium Deep NN" is not the deep version).
        ("mnist.data", "code_call:ToTensor|Normalize"),
        ("mnist.data", "code_call:DataLoader"),
        ("mnist.data", "shown:image side and classes"),
        ("mnist.loading", "model_loaded:champion"),
        ("mnist.loading", "predictions_shown"),
        ("overall.tables", "comparison_table:mnist"),
    ] {
        assert!(
            passed(perfect, item, id),
            "perfect: {item}/{id}: {:?}",
            check(perfect, item, id)
        );
    }
    assert!(perfect.grade.tasks.iter().all(|t| {
        t.items
            .iter()
            .filter(|i| i.id.starts_with("wine.") || i.id.starts_with("mnist."))
            .all(|i| i.points == i.max_points || i.id.ends_with(".code_quality"))
    }));

    let fabricated = check(
        by("fabricated-table"),
        "overall.tables",
        "comparison_table:wine",
    );
    assert!(
        fabricated
            .message
            .contains("printed results differ from what was logged"),
        "{fabricated:?}"
    );
    let split = check(by("wrong-split"), "wine.data", "code_call:train_test_split");
    assert!(split.message.contains("test_size=0.3"), "{split:?}");
    assert!(!passed(
        by("wrong-split"),
        "wine.data",
        "shown:train/test sizes"
    ));
    let version = check(
        by("load-by-version"),
        "wine.loading",
        "model_loaded:champion",
    );
    assert!(version.message.contains("not by alias"), "{version:?}");
    assert!(passed(
        by("load-by-version"),
        "wine.loading",
        "model_loaded:any"
    ));
    assert!(!passed(
        by("no-predictions"),
        "wine.loading",
        "predictions_shown"
    ));
    assert!(!passed(
        by("no-screenshots"),
        "overall.screenshots",
        "screenshots"
    ));
    assert!(
        by("error-cell").notes.iter().any(|n| n.contains("raised")),
        "{:?}",
        by("error-cell").notes
    );
    assert!(
        by("never-executed")
            .notes
            .iter()
            .any(|n| n.contains("never executed"))
    );
    // A notebook alone still earns what the notebook shows; the store's checks say why not.
    let only = by("notebook-only");
    assert!(passed(only, "wine.data", "code_call:train_test_split"));
    // MNIST's samples, image shape and classes are "recorded" by printing them as well as by
    // logging them.
    let data = check(only, "mnist.data", "data_logged");
    assert!(passed(only, "mnist.data", "data_logged"), "{data:?}");
    assert!(
        data.evidence
            .iter()
            .any(|e| e.starts_with("image shape: printed") && e.contains("(28, 28)")),
        "{data:?}"
    );
    assert!(
        only.problem
            .as_deref()
            .is_some_and(|p| p.contains("no MLflow store"))
    );
    // A script and its captured output count like a notebook.
    let script = by("script-and-capture");
    assert!(
        passed(script, "wine.data", "code_call:train_test_split"),
        "{:?}",
        check(script, "wine.data", "code_call:train_test_split")
    );
    assert!(passed(script, "wine.loading", "predictions_shown"));
    assert!(by("no-header").identity.name.is_none());
}
