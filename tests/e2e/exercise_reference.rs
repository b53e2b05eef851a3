//! The exercises' reference runs (`harness run day28-tracking`, …) against the shared e2e
//! server, each graded against its own task file: every automatic point is earned, and a
//! reference made wrong on purpose loses exactly the points of its mistake. Each run has a name
//! prefix of its own, and grading reads only what that run made (the server is shared).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::exercise::{self, ExerciseSummary, StepSummary};
use harness::grading::checks::CheckStatus;
use harness::grading::{Graded, grade_server};
use harness::progress::Progress;
use harness::reference::RunOptions;
use harness::source::rest::Scope;
use harness::task::{TaskSource, TaskSpec};
use harness_e2e::{client, harness_bin, tracking_uri, unique};

fn tasks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks")
}

fn task(name: &str) -> TaskSpec {
    TaskSource::Dir(tasks_dir())
        .resolve(name)
        .unwrap()
        .remove(0)
}

fn reference(spec: &TaskSpec) -> ExerciseSummary {
    let options = RunOptions {
        name_prefix: Some(format!("{}-", unique("exref"))),
        ..Default::default()
    };
    exercise::run(&client(), spec, &options, &Progress::hidden())
        .unwrap_or_else(|e| panic!("reference run of {}: {e}", spec.id))
}

/// Grades what `summary`'s run made, and only that.
fn grade(spec: &TaskSpec, summary: &ExerciseSummary) -> Graded {
    let scope = Scope::only(
        summary.experiments.clone(),
        summary.registered_models.clone(),
    );
    grade_server(std::slice::from_ref(spec), client(), &scope).remove(0)
}

/// Points earned and possible, and a line per check that did not pass.
fn summary(g: &Graded) -> (u32, u32, String) {
    let t = &g.grade.tasks[0];
    let mut failed = String::new();
    for i in &t.items {
        for c in i.checks.iter().filter(|c| c.status != CheckStatus::Pass) {
            writeln!(failed, "{} {} {:?}: {}", i.id, c.id, c.status, c.message).unwrap();
        }
    }
    (t.points, t.max_points, failed)
}

fn earns_every_point(name: &str) -> ExerciseSummary {
    let spec = task(name);
    let run = reference(&spec);
    let g = grade(&spec, &run);
    let (points, max, failed) = summary(&g);
    assert_eq!((points, max), (100, 100), "{name}:\n{failed}");
    assert!(g.grade.all_automatic_passed(), "{name}:\n{failed}");
    run
}

#[test]
fn exercise_reference_day28_tracking_earns_every_point() {
    let run = earns_every_point("day28-tracking");
    let [StepSummary::Run { run_id, .. }] = run.steps.as_slice() else {
        panic!("{:?}", run.steps)
    };
    // The exercise's names beside the config's own, with the same values.
    let logged = client().get_run(run_id).unwrap();
    assert_eq!(logged.param("learning_rate"), Some("0.001"));
    assert_eq!(logged.param("training.learning_rate"), Some("0.001"));
    assert_eq!(logged.param("architecture"), Some("mlp"));
}

#[test]
fn exercise_reference_day28_pipeline_earns_every_point() {
    earns_every_point("day28-pipeline");
}

#[test]
fn exercise_reference_day28_versioning_earns_every_point() {
    let run = earns_every_point("day28-versioning");
    let model = &run.registered_models[0];
    let c = client();
    let versions = c
        .search_model_versions(Some(&format!("name='{model}'")))
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].current_stage, "Production");
    assert!(
        c.get_registered_model(model)
            .unwrap()
            .description
            .contains("versioning exercise")
    );
}

#[test]
fn exercise_reference_day28_sweep_earns_every_point() {
    let run = earns_every_point("day28-sweep");
    let [
        StepSummary::Sweep {
            trials,
            best_run_id,
            ..
        },
    ] = run.steps.as_slice()
    else {
        panic!("{:?}", run.steps)
    };
    assert_eq!(*trials, 18);
    let best = client().get_run(best_run_id).unwrap();
    assert_eq!(best.tag("is_best"), Some("true"));
    assert!(best.param("dropout").is_some());
}

#[test]
fn exercise_reference_registry_lab_earns_every_point() {
    let run = earns_every_point("registry-lab");
    let model = &run.registered_models[0];
    assert_eq!(
        client()
            .get_registered_model(model)
            .unwrap()
            .alias("production"),
        Some("1")
    );
}

/// A task file of the tasks folder, changed by `edit`, in a folder of its own with the
/// reference configs beside it.
fn edited(name: &str, edit: impl Fn(&str) -> String) -> (tempfile::TempDir, TaskSpec) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(tasks_dir().join(format!("{name}.toml"))).unwrap();
    let changed = edit(&text);
    assert_ne!(changed, text, "the edit changed nothing");
    std::fs::write(dir.path().join(format!("{name}.toml")), changed).unwrap();
    harness_e2e::copy_tree(
        &tasks_dir().join("reference"),
        &dir.path().join("reference"),
    );
    let spec = TaskSpec::load(&dir.path().join(format!("{name}.toml"))).unwrap();
    (dir, spec)
}

#[test]
fn exercise_reference_made_wrong_loses_exactly_its_points() {
    // Graded by the shipped task file, but run without logging the curves as training_plot.png.
    let shipped = task("day28-tracking");
    let (_dir, broken) = edited("day28-tracking", |t| {
        t.replace(
            "also_artifacts = { \"training_plot.png\" = \"training_history.png\" }\n",
            "",
        )
    });
    let g = grade(&shipped, &reference(&broken));
    let (points, _, failed) = summary(&g);
    assert_eq!(points, 90, "{failed}");
    assert_eq!(failed.lines().count(), 1, "{failed}");
    assert!(
        failed.starts_with("tracking.artifacts artifact:training_plot.png Fail"),
        "{failed}"
    );

    // Promoted by alias `staging` instead of stage Production: the three Production items go.
    let shipped = task("day28-versioning");
    let (_dir, broken) = edited("day28-versioning", |t| {
        t.replacen(
            "stage = \"Production\"\n\n[[rubric]]",
            "alias = \"staging\"\n\n[[rubric]]",
            1,
        )
    });
    let g = grade(&shipped, &reference(&broken));
    let (points, _, failed) = summary(&g);
    assert_eq!(points, 40, "{failed}");
    for item in [
        "versioning.production",
        "versioning.source",
        "versioning.loadable",
    ] {
        assert!(failed.contains(item), "{item}: {failed}");
    }
}

#[test]
fn exercise_reference_cli_runs_by_name_and_refuses_a_second_run_without_replace() {
    let prefix = format!("{}-", unique("exref-cli"));
    let harness = |extra: &[&str]| {
        Command::new(harness_bin())
            .args([
                "run",
                "registry-lab",
                "--quiet",
                "--tracking-uri",
                tracking_uri(),
                "--name-prefix",
                &prefix,
            ])
            .args(extra)
            .current_dir(tasks_dir().join(".."))
            .output()
            .unwrap()
    };
    let out = harness(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let model = format!("{prefix}lab-wine-classifier");
    assert!(
        stdout.contains(&format!("registered `{model}` version 1"))
            && stdout.contains("@production"),
        "{stdout}"
    );
    let again = harness(&[]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("already exists") && stderr.contains("--replace"),
        "{stderr}"
    );
    let replaced = harness(&["--replace"]);
    assert!(
        replaced.status.success(),
        "{}",
        String::from_utf8_lossy(&replaced.stderr)
    );
    // Replaced, not added to: the new model has one version again.
    let versions = client()
        .search_model_versions(Some(&format!("name='{model}'")))
        .unwrap();
    assert_eq!(versions.len(), 1);

    // The homework's tasks have no [reference] section: a clear usage error.
    let out = Command::new(harness_bin())
        .args(["run", "overall", "--tracking-uri", tracking_uri()])
        .current_dir(tasks_dir().join(".."))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no [reference] section"), "{stderr}");
}
