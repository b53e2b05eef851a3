//! The general checks on a live tracking server (the shared e2e `mlflow server`): a run's
//! params, per-step metrics and artefacts are read through the REST API, artefacts listed
//! through the server's artefact proxy, and a task with general checks reads the whole server.

use harness::grading::checks::CheckStatus;
use harness::grading::{Target, grade_target};
use harness::mlflow::{Metric, now_ms};
use harness::task::TaskSpec;
use harness_e2e::Scene;

#[test]
fn a_live_server_is_graded_by_the_general_checks() {
    let scene = Scene::new("gencheck");
    let run = scene.run("tracked");
    let id = &run.info.run_id;
    let c = &scene.client;
    c.log_param(id, "learning_rate", "0.001").unwrap();
    for step in 0..3 {
        c.log_metric(
            id,
            &Metric::new(
                "val_loss",
                1.0 / f64::from(step + 1),
                now_ms(),
                i64::from(step),
            ),
        )
        .unwrap();
    }
    c.upload_artifact(
        &run.info.artifact_uri,
        "plots/training_plot.png",
        b"\x89PNG fake".to_vec(),
    )
    .unwrap();
    c.upload_artifact(&run.info.artifact_uri, "empty.png", Vec::new())
        .unwrap();
    scene.finish(&run);

    let task = TaskSpec::parse(
        &format!(
            r#"
id = "gencheck"
title = "general checks on a server"
group = "e2e"
[[rubric]]
id = "g.all"
title = "everything"
points = 6
checks = [
  {{ check = "experiment", name = "{exp}", min_runs = 1, weight = 1 }},
  {{ check = "run_count", runs = {{ experiment = "{exp}", finished = true }}, min = 1, max = 1, weight = 1 }},
  {{ check = "params", keys = ["learning_rate|lr"], runs = {{ experiment = "{exp}" }}, weight = 1 }},
  {{ check = "metric", name = "val_loss", min_steps = 3, runs = {{ experiment = "{exp}" }}, weight = 1 }},
  {{ check = "artifact", path = "training_plot.png", runs = {{ experiment = "{exp}" }}, weight = 1 }},
  {{ check = "artifact", path = "empty.png", runs = {{ experiment = "{exp}" }}, weight = 1 }},
]
"#,
            exp = scene.name
        ),
        "<e2e>",
    )
    .unwrap();
    let graded = grade_target(&[task], Target::Server(scene.client.clone())).unwrap();
    let items = &graded[0].grade.tasks[0].items[0];
    let by = |check: &str| items.checks.iter().find(|c| c.id == check).unwrap();
    for check in [
        format!("experiment:{}", scene.name),
        format!("run_count:{}", scene.name),
        format!("params:{}", scene.name),
        "metric:val_loss".to_string(),
        "artifact:training_plot.png".to_string(),
    ] {
        let r = by(&check);
        assert_eq!(r.status, CheckStatus::Pass, "{check}: {r:?}");
    }
    let plot = by("artifact:training_plot.png");
    assert!(
        plot.evidence
            .iter()
            .any(|e| e.contains("plots/training_plot.png (9 bytes)")),
        "{plot:?}"
    );
    // An empty file is not an artefact the exercise asked for.
    let empty = by("artifact:empty.png");
    assert_eq!(empty.status, CheckStatus::Fail, "{empty:?}");
    assert!(
        empty.evidence.iter().any(|e| e.contains("is empty")),
        "{empty:?}"
    );
    assert_eq!(items.points, 5);
}
