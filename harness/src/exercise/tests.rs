use std::path::Path;

use super::*;
use crate::task::TaskSource;

fn tasks_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks")
}

/// Every shipped `[reference]` config parses as the experiments layer reads it, from the folder
/// and from the built-in copies alike.
#[test]
fn shipped_reference_configs_are_valid_experiments() {
    for source in [TaskSource::Dir(tasks_dir()), TaskSource::Builtin] {
        let mut with_reference = Vec::new();
        for group in ["day28", "labs"] {
            for spec in source.resolve(group).unwrap() {
                let Some(r) = &spec.reference else { continue };
                with_reference.push(spec.id.clone());
                for step in &r.steps {
                    match step {
                        ReferenceStep::Run(c) => {
                            parse_run_config(r, c).unwrap();
                        }
                        ReferenceStep::Sweep(c) => {
                            let plan = parse_sweep(r, c, &|n| format!("p-{n}"), Some(7)).unwrap();
                            assert!(plan.base.experiment_name.starts_with("p-"));
                            assert_eq!(plan.base.seed, 7);
                        }
                        ReferenceStep::Promote(_) => {}
                    }
                }
            }
        }
        assert_eq!(
            with_reference,
            [
                "day28-pipeline",
                "day28-sweep",
                "day28-tracking",
                "day28-versioning",
                "registry-lab"
            ]
        );
    }
}

/// The sweep's reference covers the task's grid: 18 trials over the three axes.
#[test]
fn day28_sweep_reference_runs_the_whole_grid() {
    let spec = TaskSource::Dir(tasks_dir())
        .resolve("day28-sweep")
        .unwrap()
        .remove(0);
    let r = spec.reference.as_ref().unwrap();
    let ReferenceStep::Sweep(c) = &r.steps[0] else {
        panic!("a sweep step")
    };
    let plan = parse_sweep(r, c, &|n| n.to_owned(), None).unwrap();
    assert_eq!(plan.total, 18);
    // One epoch: the last val_accuracy logged is the kept epoch's, which is_best is chosen by.
    assert!(
        plan.trials
            .iter()
            .all(|t| t.config.training.num_epochs == 1)
    );
    assert_eq!(c.also_params["dropout"], "model.dropout");
}

#[test]
fn a_task_given_as_text_says_its_configs_were_not_read() {
    let text = std::fs::read_to_string(tasks_dir().join("day28-pipeline.toml")).unwrap();
    let spec = TaskSpec::parse(&text, "<test>").unwrap();
    let r = spec.reference.as_ref().unwrap();
    let ReferenceStep::Run(c) = &r.steps[0] else {
        panic!("a run step")
    };
    let err = parse_run_config(r, c).unwrap_err().to_string();
    assert!(err.contains("not loaded from a file"), "{err}");
}
