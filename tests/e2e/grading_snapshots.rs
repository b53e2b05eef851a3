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
