//! Before a publish writes anything: what an earlier or interrupted run left (the registered
//! model, active runs named like the planned ones, their logged models), refused or, with
//! `--replace`, deleted.

use crate::mlflow::{LoggedModel, MlflowClient, RegisteredModel, Run, RunSearch, ViewType};
use crate::progress::Progress;
use crate::reference::error::{RunError, at};

use super::parallel::{Job, both, parallel};
use super::plan::quoted_run_names;
use super::{Cleanup, INCOMPLETE_TAG, RegistryPlan};

/// Refuses an existing registered model or planned runs, or (with `replace`) removes them.
/// Returns what was removed and the experiment's id when the experiment exists.
pub(super) fn prepare(
    client: &MlflowClient,
    plan: &RegistryPlan,
    replace: bool,
    progress: &Progress,
) -> Result<(Cleanup, Option<String>), RunError> {
    let name = &plan.registered_model;
    let (existing, experiment) = both(
        || client.find_registered_model(name),
        || client.get_experiment_by_name(&plan.experiment),
    );
    let existing = existing.map_err(at(format!("looking up registered model `{name}`")))?;
    let experiment =
        experiment.map_err(at(format!("looking up experiment `{}`", plan.experiment)))?;
    let experiment_id = experiment.as_ref().map(|e| e.experiment_id.clone());
    let mut runs = Vec::new();
    let mut models = Vec::new();
    if let Some(exp) = &experiment {
        if exp.lifecycle_stage == "deleted" {
            return Err(RunError::ExperimentDeleted {
                name: exp.name.clone(),
                id: exp.experiment_id.clone(),
            });
        }
        let ids = std::slice::from_ref(&exp.experiment_id);
        let (found_runs, found_models) = both(
            || {
                client.search_runs(&RunSearch {
                    experiment_ids: ids.to_vec(),
                    run_view_type: ViewType::ActiveOnly,
                    ..Default::default()
                })
            },
            // Only --replace deletes logged models; fetch them now to save a round trip.
            || replace.then(|| client.search_logged_models(ids)),
        );
        let found_runs = found_runs.map_err(at(format!(
            "listing runs of experiment `{}`",
            plan.experiment
        )))?;
        runs = runs_named_like_plan(plan, found_runs);
        let found_models = found_models
            .transpose()
            .map_err(at(format!(
                "listing logged models of `{}`",
                plan.experiment
            )))?
            .unwrap_or_default();
        models = models_of_runs(&runs, found_models);
    }
    if existing.is_none() && runs.is_empty() {
        return Ok((Cleanup::default(), experiment_id));
    }
    if !replace {
        return Err(refusal(
            plan,
            existing.as_ref(),
            runs.len(),
            &crate::mlflow::redact_url(client.tracking_uri()),
        ));
    }
    progress.set_message(replace_message(
        existing.is_some(),
        runs.len(),
        models.len(),
    ));
    let mut jobs: Vec<Job<'_>> = Vec::new();
    if existing.is_some() {
        jobs.push(Box::new(|| {
            client
                .delete_registered_model(name)
                .map_err(at(format!("deleting registered model `{name}`")))
        }));
    }
    for m in &models {
        jobs.push(Box::new(move || {
            client
                .delete_logged_model(&m.info.model_id)
                .map_err(at(format!("deleting logged model {}", m.info.model_id)))
        }));
    }
    for r in &runs {
        jobs.push(Box::new(move || {
            client.delete_run(&r.info.run_id).map_err(at(format!(
                "deleting run `{}` ({})",
                r.info.run_name, r.info.run_id
            )))
        }));
    }
    parallel(jobs)?;
    let cleanup = Cleanup {
        registered_model_deleted: existing.is_some(),
        runs_deleted: runs.into_iter().map(|r| r.info.run_id).collect(),
        logged_models_deleted: models.len(),
    };
    Ok((cleanup, experiment_id))
}

/// The runs a re-run would duplicate: those named like a planned run. Other runs in the
/// experiment (a student's, another task's) are not this publish's business.
fn runs_named_like_plan(plan: &RegistryPlan, mut runs: Vec<Run>) -> Vec<Run> {
    runs.retain(|r| plan.versions.iter().any(|v| v.run_name == r.info.run_name));
    runs
}

/// The logged models `runs` produced; a model from any other run stays.
fn models_of_runs(runs: &[Run], mut models: Vec<LoggedModel>) -> Vec<LoggedModel> {
    models.retain(|m| runs.iter().any(|r| r.info.run_id == m.info.source_run_id));
    models
}

/// The error of a publish without `--replace` that found `existing` and `active_runs` planned
/// runs (at least one of the two).
fn refusal(
    plan: &RegistryPlan,
    existing: Option<&RegisteredModel>,
    active_runs: usize,
    tracking_uri: &str,
) -> RunError {
    let name = &plan.registered_model;
    let mut what = Vec::new();
    if let Some(rm) = existing {
        let state = if rm.tag(INCOMPLETE_TAG).is_some() {
            ", left incomplete by an interrupted run"
        } else {
            ""
        };
        what.push(format!("registered model `{name}` already exists{state}"));
    }
    if active_runs > 0 {
        what.push(format!(
            "experiment `{}` already has {active_runs} active run(s) with this task's run names",
            plan.experiment,
        ));
    }
    RunError::AlreadyExists {
        what: what.join(" and "),
        tracking_uri: tracking_uri.to_owned(),
        registered_model: name.clone(),
        run_names: quoted_run_names(plan),
    }
}

/// What `--replace` is about to delete, for the progress line.
fn replace_message(registered_model: bool, runs: usize, models: usize) -> String {
    format!(
        "--replace: deleting {}{runs} run(s) and {models} logged model(s)",
        if registered_model {
            "the registered model, "
        } else {
            ""
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::mlflow::{KeyValue, LoggedModelInfo, RunInfo};

    use super::super::VersionPlan;
    use super::*;

    fn plan() -> RegistryPlan {
        RegistryPlan {
            experiment: "wine-exp".into(),
            registered_model: "wine-model".into(),
            description: String::new(),
            tags: vec![],
            versions: ["wine-v1", "wine-v2"]
                .map(|n| VersionPlan {
                    run_name: n.into(),
                    run_tags: vec![],
                })
                .into(),
        }
    }

    fn run(id: &str, name: &str) -> Run {
        Run {
            info: RunInfo {
                run_id: id.into(),
                run_name: name.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn model(id: &str, source_run: &str) -> LoggedModel {
        LoggedModel {
            info: LoggedModelInfo {
                model_id: id.into(),
                source_run_id: source_run.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn only_runs_named_like_a_planned_run_are_taken() {
        let runs = vec![
            run("r1", "wine-v1"),
            run("r2", "student-run"),
            run("r3", "wine-v2"),
            run("r4", "wine-v1"),
        ];
        let ids: Vec<String> = runs_named_like_plan(&plan(), runs)
            .into_iter()
            .map(|r| r.info.run_id)
            .collect();
        assert_eq!(
            ids,
            ["r1", "r3", "r4"],
            "every run of a planned name, in order"
        );
    }

    #[test]
    fn only_logged_models_of_the_taken_runs_are_taken() {
        let runs = vec![run("r1", "wine-v1")];
        let models = vec![model("m1", "r1"), model("m2", "r2"), model("m3", "")];
        let ids: Vec<String> = models_of_runs(&runs, models)
            .into_iter()
            .map(|m| m.info.model_id)
            .collect();
        assert_eq!(ids, ["m1"]);
    }

    #[test]
    fn refusal_names_the_model_the_runs_and_how_to_replace() {
        let rm = RegisteredModel {
            name: "wine-model".into(),
            ..Default::default()
        };
        let err = refusal(&plan(), Some(&rm), 2, "http://127.0.0.1:5000");
        let RunError::AlreadyExists {
            what,
            tracking_uri,
            registered_model,
            run_names,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(
            what,
            "registered model `wine-model` already exists and experiment `wine-exp` already \
             has 2 active run(s) with this task's run names"
        );
        assert_eq!(tracking_uri, "http://127.0.0.1:5000");
        assert_eq!(registered_model, "wine-model");
        assert_eq!(run_names, "`wine-v1`, `wine-v2`");
        assert!(err.to_string().contains("--replace"), "{err}");
    }

    #[test]
    fn refusal_says_when_the_model_was_left_by_an_interrupted_run() {
        let rm = RegisteredModel {
            tags: vec![KeyValue::new(INCOMPLETE_TAG, "…")],
            ..Default::default()
        };
        let err = refusal(&plan(), Some(&rm), 0, "uri").to_string();
        assert!(
            err.contains("left incomplete by an interrupted run"),
            "{err}"
        );
        assert!(!err.contains("active run"), "no runs, no run clause: {err}");
    }

    #[test]
    fn refusal_for_runs_alone_does_not_mention_a_registered_model() {
        let RunError::AlreadyExists { what, .. } = refusal(&plan(), None, 1, "uri") else {
            panic!()
        };
        assert_eq!(
            what,
            "experiment `wine-exp` already has 1 active run(s) with this task's run names"
        );
    }

    #[test]
    fn replace_message_mentions_the_registered_model_only_when_there_is_one() {
        assert_eq!(
            replace_message(true, 3, 2),
            "--replace: deleting the registered model, 3 run(s) and 2 logged model(s)"
        );
        assert_eq!(
            replace_message(false, 1, 0),
            "--replace: deleting 1 run(s) and 0 logged model(s)"
        );
    }
}
