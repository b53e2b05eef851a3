//! Grading the fixture stores the real Python MLflow client made (`tests/fixtures/`, regenerated
//! by `generate.py`): points per item, tie-aware aliases, percent accuracies, MLflow 2.x stores,
//! broken stores, and files left byte-identical.

use std::path::{Path, PathBuf};

use harness::grading::checks::{CheckResult, CheckStatus};
use harness::grading::points::{Grade, ItemStatus, grade};
use harness::source::sqlite;
use harness::task::{TaskSource, TaskSpec};
use harness_e2e::digests;

fn tasks() -> Vec<TaskSpec> {
    TaskSource::Dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks"))
        .resolve("all")
        .unwrap()
}

fn db(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/submissions")
        .join(scenario)
        .join("mlflow.db")
}

fn grade_fixture(scenario: &str) -> Grade {
    let snap = sqlite::load(&db(scenario)).map_err(|e| e.to_string());
    match &snap {
        Ok(s) => grade(scenario, &tasks(), Ok(s), None),
        Err(e) => grade(scenario, &tasks(), Err(e.as_str()), None),
    }
}

/// Points per item of one task, in rubric order.
fn items(g: &Grade, task: &str) -> Vec<u32> {
    g.task(task)
        .unwrap()
        .items
        .iter()
        .map(|i| i.points)
        .collect()
}

fn check<'g>(g: &'g Grade, task: &str, item: &str, check: &str) -> &'g CheckResult {
    g.task(task)
        .unwrap()
        .item(item)
        .unwrap()
        .checks
        .iter()
        .find(|c| c.id == check)
        .unwrap_or_else(|| panic!("no check {check} in {item}"))
}

// Automatic points: wine and mnist each have 70 points of which 18 are manual (data 3,
// loading 5, code quality 10), so a perfect store earns 52 + 52; overall is all manual.
const PERFECT_WINE: [u32; 7] = [7, 10, 10, 10, 10, 5, 0];

#[test]
fn perfect_submission_earns_every_automatic_point() {
    let g = grade_fixture("perfect");
    assert_eq!(items(&g, "wine"), PERFECT_WINE);
    assert_eq!(items(&g, "mnist"), [7, 10, 10, 10, 10, 5, 0]);
    assert_eq!(items(&g, "overall"), [0, 0, 0]);
    assert_eq!((g.points, g.max_points), (104, 170));
    assert!(
        g.all_automatic_passed(),
        "{:#?}",
        g.checks()
            .filter(|c| c.status == CheckStatus::Fail)
            .collect::<Vec<_>>()
    );
    assert!(g.all_automatic_passed());
    let overall = g.task("overall").unwrap();
    assert!(overall.items.iter().all(|i| i.status == ItemStatus::Manual));
    let wine = g.task("wine").unwrap();
    assert_eq!(wine.item("wine.model1").unwrap().status, ItemStatus::Pass);
    assert_eq!(wine.item("wine.data").unwrap().status, ItemStatus::Partial);
}

#[test]
fn staging_on_either_side_of_the_tie_is_correct() {
    for scenario in ["staging-v1", "staging-v3"] {
        let g = grade_fixture(scenario);
        assert_eq!(items(&g, "wine"), PERFECT_WINE, "{scenario}");
        let staging = check(&g, "wine", "wine.registry", "alias:staging");
        assert_eq!(staging.status, CheckStatus::Pass, "{scenario}");
        assert!(
            staging.evidence.iter().any(|e| e.contains("tie: v1 or v3")),
            "{scenario}: {:?}",
            staging.evidence
        );
    }
}

#[test]
fn homework_expected_champion_v3_is_wrong_on_the_real_split() {
    let g = grade_fixture("champion-hardcoded-v3");
    // champion → v3 (0.9444 < RF's 1.0) and staging → v2 (RF is rank 1): both lose 1.
    assert_eq!(items(&g, "wine"), [7, 10, 10, 10, 8, 5, 0]);
    let champ = check(&g, "wine", "wine.registry", "alias:champion");
    assert_eq!(champ.status, CheckStatus::Fail);
    assert!(champ.message.contains("v2"), "{}", champ.message);
    assert!(!g.all_automatic_passed());
}

#[test]
fn missing_description_and_tags_cost_registry_points() {
    let g = grade_fixture("missing-description");
    assert_eq!(items(&g, "wine"), [7, 10, 10, 10, 8, 5, 0]);
    assert_eq!(
        check(&g, "wine", "wine.registry", "description").status,
        CheckStatus::Fail
    );
    let g = grade_fixture("missing-tags");
    // Versions are still recognised through run names and params.
    assert_eq!(items(&g, "wine"), [7, 10, 10, 10, 6, 5, 0]);
    let tags = check(&g, "wine", "wine.registry", "model_tags");
    assert!(
        tags.message.contains("task, dataset, team"),
        "{}",
        tags.message
    );
}

#[test]
fn version_without_artifact_loses_artifact_and_loading() {
    let g = grade_fixture("model-never-logged");
    // RF is re-registered as v4 without files: its artefact (2) and the champion load (5).
    assert_eq!(items(&g, "wine"), [7, 10, 8, 10, 10, 0, 0]);
    let reg = check(&g, "wine", "wine.model2", "version_registered:rf");
    assert!(
        reg.evidence[0].starts_with("v4 matched"),
        "{:?}",
        reg.evidence
    );
    let art = check(&g, "wine", "wine.model2", "model_artifact:rf");
    assert!(
        art.message.contains("no readable MLmodel"),
        "{}",
        art.message
    );
}

#[test]
fn percent_accuracy_is_normalised_and_noted() {
    let g = grade_fixture("accuracy-percent");
    assert_eq!(items(&g, "wine"), PERFECT_WINE);
    assert_eq!(items(&g, "mnist"), [7, 10, 10, 10, 10, 5, 0]);
    let m = check(&g, "wine", "wine.model2", "run_metrics:rf");
    assert!(
        m.evidence.iter().any(|e| e.contains("read as percent")),
        "{:?}",
        m.evidence
    );
}

#[test]
fn renamed_experiment_loses_only_the_experiment_check() {
    let g = grade_fixture("renamed-experiment");
    assert_eq!(items(&g, "wine"), [3, 10, 10, 10, 10, 5, 0]);
    let e = check(&g, "wine", "wine.data", "experiment_exists");
    assert!(
        e.evidence[0].contains("`wine-homework` (3 runs)"),
        "{:?}",
        e.evidence
    );
}

#[test]
fn mlflow2_stores_grade_like_the_3x_one() {
    for scenario in ["mlflow2-sqlite", "mlflow2-mlruns"] {
        let dir = db(scenario).parent().unwrap().to_path_buf();
        let snap = harness::source::load_submission(&dir).unwrap();
        assert!(
            snap.logged_models.is_empty(),
            "{scenario}: 2.x has no logged models"
        );
        let g = grade(scenario, &tasks(), Ok(&snap), None);
        assert_eq!(items(&g, "wine"), PERFECT_WINE, "{scenario}");
        // Task 2 was not run in these stores: its automatic checks fail, nothing panics.
        assert_eq!(g.task("mnist").unwrap().points, 0, "{scenario}");
        let art = check(&g, "wine", "wine.model2", "model_artifact:rf");
        assert!(
            art.evidence.iter().any(|e| e.starts_with("found at ml")),
            "{scenario}: {:?}",
            art.evidence
        );
    }
}

#[test]
fn grading_every_fixture_leaves_its_files_byte_identical() {
    let root = db("perfect")
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 12, "{scenarios:?}");
    for dir in scenarios {
        let before = digests(&dir);
        let snap = harness::source::load_submission(&dir).map_err(|e| e.to_string());
        let g = grade("x", &tasks(), snap.as_ref().map_err(String::as_str), None);
        assert!(g.points <= g.max_points);
        assert_eq!(digests(&dir), before, "{}", dir.display());
    }
}

#[test]
fn unreadable_store_is_error_not_panic() {
    let g = grade_fixture("corrupted");
    assert_eq!(g.points, 0);
    assert_eq!(g.max_points, 170);
    let wine = g.task("wine").unwrap();
    assert!(wine.items.iter().all(|i| i.status != ItemStatus::Pass));
    assert_eq!(wine.item("wine.model1").unwrap().status, ItemStatus::Error);
    assert_eq!(
        wine.item("wine.code_quality").unwrap().status,
        ItemStatus::Manual
    );
    assert!(!g.all_automatic_passed());
}

#[test]
fn results_json_has_the_documented_shape() {
    let g = grade_fixture("perfect");
    let v = serde_json::to_value(&g).unwrap();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    // `scaled`: the shipped task files state the homework's total (`scale_to`).
    assert_eq!(
        keys(&v),
        ["max_points", "points", "scaled", "submission", "tasks"]
    );
    assert_eq!(keys(&v["scaled"]), ["max_points", "points"]);
    assert_eq!(
        keys(&v["tasks"][0]),
        ["items", "max_points", "points", "scaled", "task"]
    );
    let item = &v["tasks"][0]["items"][0];
    // An item gets a `ta` object only once a TA's review is merged (`--manual`).
    assert_eq!(
        keys(item),
        ["checks", "id", "max_points", "points", "status", "title"]
    );
    assert_eq!(
        keys(&item["checks"][0]),
        ["evidence", "id", "message", "status"]
    );
    assert_eq!(item["status"], "partial");
}
