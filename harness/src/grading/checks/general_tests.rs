//! The general checks on hand-made snapshots: each rule passes on what the homework asks for
//! and fails, with its reason, on the usual mistakes.

use super::*;
use crate::snapshot::{
    ArtifactFile, Experiment, MetricPoint, MlModelSummary, ModelVersion, RegisteredModel, Run,
    RunArtifacts, RunModel, Signature, Snapshot,
};
use crate::task::TaskSpec;

fn exp(id: &str, name: &str) -> Experiment {
    Experiment {
        id: id.into(),
        name: name.into(),
        lifecycle_stage: "active".into(),
        ..Experiment::default()
    }
}

fn run(id: &str, exp: &str, metrics: &[(&str, f64)], params: &[(&str, &str)]) -> Run {
    Run {
        id: id.into(),
        experiment_id: exp.into(),
        status: "FINISHED".into(),
        lifecycle_stage: "active".into(),
        metrics: metrics.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Run::default()
    }
}

fn version(model: &str, n: u32, run_id: &str, stage: &str) -> ModelVersion {
    ModelVersion {
        name: model.into(),
        version: n,
        run_id: Some(run_id.into()),
        current_stage: Some(stage.into()),
        ..ModelVersion::default()
    }
}

/// A hyperopt-like store: experiment 1 with four runs, 2 with one, and a registry.
fn store() -> Snapshot {
    let mut s = Snapshot {
        experiments: vec![exp("1", "random-forest-hyperopt"), exp("2", "best-models")],
        ..Snapshot::default()
    };
    s.runs = vec![
        run(
            "a",
            "1",
            &[("rmse", 6.5)],
            &[("max_depth", "10"), ("lr", "0.1")],
        ),
        run(
            "b",
            "1",
            &[("rmse", 6.1)],
            &[("max_depth", "20"), ("lr", "0.01")],
        ),
        run(
            "c",
            "1",
            &[("rmse", 6.1)],
            &[("max_depth", "20.0"), ("lr", "0.1")],
        ),
        run("d", "1", &[("rmse", f64::NAN)], &[("max_depth", "5")]),
        run("e", "2", &[("test_rmse", 6.0)], &[]),
    ];
    s.runs[3].status = "RUNNING".into();
    let mut m = RegisteredModel {
        name: "taxi".into(),
        description: Some("Random forest for trip duration".into()),
        ..RegisteredModel::default()
    };
    m.aliases.insert("production".into(), 2);
    s.registered_models = vec![m];
    s.model_versions = vec![
        version("taxi", 1, "a", "Archived"),
        version("taxi", 2, "b", "None"),
        version("taxi", 3, "zz", "Deleted_Internal"),
    ];
    s.normalize();
    s
}

const HEAD: &str = "id = \"t\"\ntitle = \"T\"\ngroup = \"test\"\n";

fn spec(checks: &str) -> TaskSpec {
    let text =
        format!("{HEAD}[[rubric]]\nid = \"i\"\ntitle = \"I\"\npoints = 1\nchecks = [{checks}]\n");
    TaskSpec::parse(&text, "<test>").unwrap_or_else(|e| panic!("{e}"))
}

fn eval(snap: &Snapshot, checks: &str) -> CheckResult {
    let spec = spec(checks);
    evaluate(&spec.rubric[0].checks[0], &Context::new(&spec, snap))
}

fn pass(snap: &Snapshot, check: &str) -> bool {
    let r = eval(snap, check);
    r.status == CheckStatus::Pass
}

#[test]
fn experiment_by_name_or_pattern() {
    let s = store();
    assert!(pass(
        &s,
        r#"{ check = "experiment", name = "random-forest-hyperopt", weight = 1 }"#
    ));
    assert!(pass(
        &s,
        r#"{ check = "experiment", name = "best-*", min_runs = 1, weight = 1 }"#
    ));
    let r = eval(
        &s,
        r#"{ check = "experiment", name = "best-*", min_runs = 2, weight = 1 }"#,
    );
    assert_eq!(r.status, CheckStatus::Fail);
    assert!(r.message.contains("fewer than 2"), "{}", r.message);
    let r = eval(&s, r#"{ check = "experiment", name = "nope", weight = 1 }"#);
    assert!(r.evidence[0].contains("`best-models`"), "{:?}", r.evidence);
}

#[test]
fn run_count_finished_only_and_by_level() {
    let mut s = store();
    let c = |extra: &str| {
        format!(
            r#"{{ check = "run_count", runs = {{ experiment = "random-forest-hyperopt"{extra} }}, min = 4, weight = 1 }}"#
        )
    };
    assert!(pass(&s, &c("")));
    // The RUNNING trial does not count when only finished runs are asked for.
    assert!(!pass(&s, &c(", finished = true")));
    s.runs[0]
        .tags
        .insert("mlflow.parentRunId".into(), "b".into());
    let r = eval(&s, &c(", level = \"parent\""));
    assert_eq!(r.message, "3 runs (at least 4 wanted)");
    let r = eval(
        &s,
        r#"{ check = "run_count", runs = { level = "child" }, min = 1, max = 1, weight = 1 }"#,
    );
    assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
    // Runs found by what they logged: a finite rmse (the stuck run's is NaN) and a param.
    let r = eval(
        &s,
        r#"{ check = "run_count", runs = { experiment = "*", metrics = ["rmse|val_rmse"], params = ["lr"] }, min = 3, weight = 1 }"#,
    );
    assert_eq!(r.message, "3 runs (at least 3 wanted)");
    assert!(
        r.evidence[0].contains("with metrics rmse|val_rmse"),
        "{:?}",
        r.evidence
    );
    // Deleted runs never count.
    s.runs[0].lifecycle_stage = "deleted".into();
    assert!(!pass(
        &s,
        r#"{ check = "run_count", runs = { level = "child" }, weight = 1 }"#
    ));
}

#[test]
fn params_present_equal_any_and_every() {
    let s = store();
    let every = r#"{ check = "params", keys = ["max_depth"], runs = { experiment = "random-forest-hyperopt" }, weight = 1 }"#;
    assert!(pass(&s, every));
    let r = eval(
        &s,
        r#"{ check = "params", keys = ["lr"], runs = { experiment = "random-forest-hyperopt" }, weight = 1 }"#,
    );
    assert_eq!(r.status, CheckStatus::Fail);
    assert!(r.message.contains("1 of 4 runs lack"), "{}", r.message);
    // 20 equals "20.0" as a number; "any" needs one run.
    assert!(pass(
        &s,
        r#"{ check = "params", equal = { max_depth = 20, lr = 0.1 }, on = "any", weight = 1 }"#
    ));
    let r = eval(
        &s,
        r#"{ check = "params", equal = { max_depth = 7 }, on = "any", weight = 1 }"#,
    );
    assert_eq!(r.status, CheckStatus::Fail);
    assert!(
        r.evidence.iter().any(|e| e.contains("max_depth=10, not 7")),
        "{:?}",
        r.evidence
    );
}

#[test]
fn a_grid_needs_every_combination() {
    let s = store();
    let r = eval(
        &s,
        r#"{ check = "param_grid", grid = { max_depth = [10, 20], lr = [0.1, 0.01] }, weight = 1 }"#,
    );
    assert_eq!(r.status, CheckStatus::Fail);
    assert!(r.message.starts_with("3 of 4"), "{}", r.message);
    assert!(
        r.evidence
            .iter()
            .any(|e| e == "no run with lr=0.01 max_depth=10"),
        "{:?}",
        r.evidence
    );
    assert!(pass(
        &s,
        r#"{ check = "param_grid", grid = { max_depth = [20], lr = [0.1, 0.01] }, weight = 1 }"#
    ));
}

#[test]
fn autologging_is_recognised_by_its_traces() {
    let mut s = store();
    let c = r#"{ check = "autologged", flavor = "sklearn", params = ["max_depth"], weight = 1 }"#;
    assert!(!pass(&s, c));
    s.runs[0].tags.insert(
        "estimator_class".into(),
        "sklearn.ensemble.RandomForestRegressor".into(),
    );
    s.runs[0]
        .tags
        .insert("estimator_name".into(), "RandomForestRegressor".into());
    assert!(pass(&s, c));
    // Autologging that MLflow started itself says so in a tag.
    s.runs[3]
        .tags
        .insert("mlflow.autologging".into(), "xgboost".into());
    assert!(pass(
        &s,
        r#"{ check = "autologged", flavor = "xgboost", weight = 1 }"#
    ));
    let err = TaskSpec::parse(
        &format!(
            "{HEAD}[[rubric]]\nid = \"i\"\ntitle = \"I\"\npoints = 1\nchecks = [{{ check = \"autologged\", flavor = \"sklaern\", weight = 1 }}]\n"
        ),
        "<test>",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("rubric[0].checks[0]") && err.contains("sklaern"),
        "{err}"
    );
}

#[test]
fn metric_every_run_history_and_band() {
    let mut s = store();
    let every = r#"{ check = "metric", name = "rmse", runs = { experiment = "random-forest-hyperopt" }, weight = 1 }"#;
    // The NaN of the stuck run is no value.
    let r = eval(&s, every);
    assert_eq!(r.status, CheckStatus::Fail);
    assert!(
        r.evidence.iter().any(|e| e.contains("rmse = NaN")),
        "{:?}",
        r.evidence
    );
    assert!(pass(
        &s,
        r#"{ check = "metric", name = "rmse", runs = { experiment = "random-forest-hyperopt", finished = true }, weight = 1 }"#
    ));
    assert!(!pass(
        &s,
        r#"{ check = "metric", name = "rmse", band = [6.0, 6.2], runs = { finished = true, experiment = "random-forest-hyperopt" }, weight = 1 }"#
    ));
    let hist = r#"{ check = "metric", name = "val_loss", accepts = ["validation_loss"], min_steps = 3, on = "any", weight = 1 }"#;
    assert!(!pass(&s, hist));
    let pts = (0..3)
        .map(|step| MetricPoint {
            step,
            timestamp: step,
            value: 1.0 / (step + 1) as f64,
        })
        .collect();
    s.runs[4].histories.insert("validation_loss".into(), pts);
    s.runs[4]
        .metrics
        .insert("validation_loss".into(), 1.0 / 3.0);
    let r = eval(&s, hist);
    assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
}

fn best(marker: &str, direction: &str) -> String {
    format!(
        r#"{{ check = "best_run", metric = "rmse", direction = "{direction}", runs = {{ experiment = "random-forest-hyperopt" }}, marker = {marker}, weight = 1 }}"#
    )
}

#[test]
fn best_run_by_tag_is_tie_aware_and_refuses_extra_marks() {
    let mut s = store();
    let c = best(r#"{ tag = "is_best" }"#, "min");
    let r = eval(&s, &c);
    assert_eq!(r.message, "nothing is marked by tag `is_best`");
    // b and c tie at 6.1: either is the best.
    s.runs[2].tags.insert("is_best".into(), "True".into());
    assert!(pass(&s, &c));
    s.runs[0].tags.insert("is_best".into(), "false".into());
    assert!(pass(&s, &c), "is_best=false marks nothing");
    s.runs[0].tags.insert("is_best".into(), "true".into());
    let r = eval(&s, &c);
    assert_eq!(r.status, CheckStatus::Fail);
    assert!(r.message.contains("also 1 other"), "{}", r.message);
    // With the other direction, run a (6.5) is the best and c is not.
    s.runs[2].tags.remove("is_best");
    assert!(pass(&s, &best(r#"{ tag = "is_best" }"#, "max")));
}

#[test]
fn best_run_by_registry_alias_or_stage() {
    let mut s = store();
    // v2 (@production) comes from b, a best run.
    assert!(pass(
        &s,
        &best(r#"{ model = "taxi", alias = "production" }"#, "min")
    ));
    assert!(pass(&s, &best(r#"{ model = "*" }"#, "min")));
    // v1 (Archived) comes from a, the worst.
    let r = eval(
        &s,
        &best(r#"{ model = "taxi", stage = "Archived" }"#, "min"),
    );
    assert_eq!(r.status, CheckStatus::Fail);
    assert!(
        r.message.contains("points at a (rmse = 6.5000)"),
        "{}",
        r.message
    );
    // A stage is accepted where an alias is asked for too.
    s.registered_models[0].aliases.clear();
    s.model_versions[1].current_stage = Some("Production".into());
    assert!(pass(
        &s,
        &best(
            r#"{ model = "taxi", alias = "production", stage = "Production" }"#,
            "min"
        )
    ));
    // The soft-deleted v3 points nowhere.
    let r = eval(&s, &best(r#"{ model = "taxi" }"#, "min"));
    assert!(
        !r.evidence.iter().any(|e| e.contains("v3")),
        "{:?}",
        r.evidence
    );
}

fn with_artifacts(s: &mut Snapshot, files: &[(&str, u64)], models: Vec<RunModel>) {
    s.runs[4].artifacts = Some(RunArtifacts {
        location: "mlruns/2/e/artifacts".into(),
        files: files
            .iter()
            .map(|(p, n)| ArtifactFile {
                path: p.to_string(),
                size: *n,
            })
            .collect(),
        models,
    });
}

#[test]
fn artefacts_by_path_or_glob_and_not_empty() {
    let mut s = store();
    let c = r#"{ check = "artifact", path = "training_plot.png", weight = 1 }"#;
    let r = eval(&s, c);
    assert!(
        r.evidence.iter().any(|e| e.contains("tracking server")),
        "{:?}",
        r.evidence
    );
    s.origin = "sqlite:/hw/mlflow.db".into();
    let r = eval(&s, c);
    assert!(
        r.evidence.iter().any(|e| e.contains("not handed in")),
        "{:?}",
        r.evidence
    );
    with_artifacts(&mut s, &[("plots/training_plot.png", 0)], Vec::new());
    let r = eval(&s, c);
    assert_eq!(r.status, CheckStatus::Fail);
    assert!(
        r.evidence.iter().any(|e| e.contains("is empty")),
        "{:?}",
        r.evidence
    );
    with_artifacts(&mut s, &[("plots/training_plot.png", 812)], Vec::new());
    assert!(pass(&s, c));
    assert!(pass(
        &s,
        r#"{ check = "artifact", path = "plots/*.png", weight = 1 }"#
    ));
    assert!(!pass(
        &s,
        r#"{ check = "artifact", path = "other/*.png", weight = 1 }"#
    ));
}

#[test]
fn a_logged_model_needs_its_flavor_and_signature() {
    let mut s = store();
    let c = r#"{ check = "logged_model", flavor = "sklearn", signature = true, weight = 1 }"#;
    assert!(!pass(&s, c));
    let mut m = MlModelSummary {
        flavors: vec!["python_function".into(), "sklearn".into()],
        ..MlModelSummary::default()
    };
    with_artifacts(
        &mut s,
        &[("model/MLmodel", 300)],
        vec![RunModel {
            path: "model".into(),
            mlmodel: Some(m.clone()),
            problem: None,
        }],
    );
    let r = eval(&s, c);
    assert!(
        r.evidence.iter().any(|e| e.contains("model: no signature")),
        "{:?}",
        r.evidence
    );
    m.signature = Some(Signature {
        inputs: Some("[]".into()),
        outputs: None,
    });
    with_artifacts(
        &mut s,
        &[("model/MLmodel", 300)],
        vec![RunModel {
            path: "model".into(),
            mlmodel: Some(m),
            problem: None,
        }],
    );
    assert!(pass(&s, c));
    assert!(!pass(
        &s,
        r#"{ check = "logged_model", flavor = "xgboost", weight = 1 }"#
    ));
}

#[test]
fn registered_model_versions_description_and_tags() {
    let mut s = store();
    assert!(pass(
        &s,
        r#"{ check = "registered", name = "taxi", min_versions = 2, description = 20, weight = 1 }"#
    ));
    // The soft-deleted v3 is not a version.
    let r = eval(
        &s,
        r#"{ check = "registered", name = "taxi", min_versions = 3, weight = 1 }"#,
    );
    assert!(
        r.evidence[0].contains("2 versions (at least 3)"),
        "{:?}",
        r.evidence
    );
    assert!(!pass(
        &s,
        r#"{ check = "registered", name = "taxi", tags = ["owner"], weight = 1 }"#
    ));
    s.registered_models[0]
        .tags
        .insert("owner".into(), "me".into());
    assert!(pass(
        &s,
        r#"{ check = "registered", name = "t*", tags = ["owner"], weight = 1 }"#
    ));
    let r = eval(&s, r#"{ check = "registered", name = "iris", weight = 1 }"#);
    assert_eq!(r.message, "no registered model `iris`");
}

#[test]
fn a_version_in_a_stage_or_under_an_alias_with_its_source_run() {
    let mut s = store();
    let c = r#"{ check = "model_version", model = "taxi", stage = "Production", alias = "production", source = { experiment = "random-forest-*", metrics = ["rmse"], params = ["max_depth"] }, weight = 1 }"#;
    assert!(pass(&s, c));
    let r = eval(
        &s,
        r#"{ check = "model_version", model = "taxi", stage = "Production", weight = 1 }"#,
    );
    assert_eq!(r.message, "no version in stage Production");
    let r = eval(
        &s,
        r#"{ check = "model_version", model = "taxi", alias = "production", source = { experiment = "best-models" }, weight = 1 }"#,
    );
    assert_eq!(r.status, CheckStatus::Fail);
    assert!(
        r.evidence[0].contains("not `best-models`"),
        "{:?}",
        r.evidence
    );
    let loadable = r#"{ check = "model_version", model = "taxi", alias = "production", loadable = true, weight = 1 }"#;
    assert!(!pass(&s, loadable));
    s.model_versions[1].artifact.mlmodel = Some(MlModelSummary {
        loader_module: Some("mlflow.sklearn".into()),
        ..MlModelSummary::default()
    });
    assert!(pass(&s, loadable));
}

#[test]
fn nested_runs_count_children_per_parent() {
    let mut s = store();
    let c = r#"{ check = "nested_runs", min_children = 2, weight = 1 }"#;
    assert!(!pass(&s, c));
    for child in [0, 2] {
        s.runs[child]
            .tags
            .insert("mlflow.parentRunId".into(), "b".into());
    }
    let r = eval(&s, c);
    assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
    assert!(
        r.evidence.iter().any(|e| e.contains("has 2 child runs")),
        "{:?}",
        r.evidence
    );
}

#[test]
fn task_file_errors_name_the_key_path() {
    let parse = |checks: &str| {
        TaskSpec::parse(
            &format!(
                "{HEAD}[[rubric]]\nid = \"i\"\ntitle = \"I\"\npoints = 1\nchecks = [{checks}]\n"
            ),
            "<test>",
        )
        .unwrap_err()
        .to_string()
    };
    let err = parse(r#"{ check = "metric", name = "rmse", wieght = 1 }"#);
    assert!(
        err.contains("rubric[0].checks[0]") && err.contains("wieght"),
        "{err}"
    );
    let err =
        parse(r#"{ check = "metric", name = "rmse", runs = { experimnet = "x" }, weight = 1 }"#);
    assert!(err.contains("experimnet"), "{err}");
    let err = parse(
        r#"{ check = "best_run", metric = "m", direction = "down", marker = {}, weight = 1 }"#,
    );
    assert!(err.contains("down"), "{err}");
    let err = parse(
        r#"{ check = "best_run", metric = "m", direction = "min", marker = { tag = "is_best", stage = "Production" }, weight = 1 }"#,
    );
    assert!(err.contains("either a `tag`"), "{err}");
    let err = parse(r#"{ check = "run_count", min = 5, max = 2, weight = 1 }"#);
    assert!(err.contains("below `min`"), "{err}");
    let err = parse(r#"{ check = "metric", name = "m", band = [1.0, 0.0], weight = 1 }"#);
    assert!(err.contains("low first"), "{err}");
    let big: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let err = parse(&format!(
        r#"{{ check = "param_grid", grid = {{ a = [{0}], b = [{0}] }}, weight = 1 }}"#,
        big.join(",")
    ));
    assert!(err.contains("combinations"), "{err}");
}

#[test]
fn general_checks_keep_their_argument_in_the_id() {
    let s = spec(
        r#"{ check = "best_run", metric = "test_rmse", direction = "min", marker = {}, weight = 1 }"#,
    );
    assert_eq!(s.rubric[0].checks[0].id(), "best_run:test_rmse");
    let s = spec(
        r#"{ check = "run_count", runs = { experiment = "*", metrics = ["test_rmse"] }, weight = 1 }"#,
    );
    assert_eq!(s.rubric[0].checks[0].id(), "run_count:test_rmse");
}
