//! `--rescore`: adds a `rescore` check to each task's model-loading item, with the recomputed
//! and logged accuracy as evidence. It earns no points; a mismatch fails the check, so `check`
//! exits 1 and the TA looks.

use std::path::PathBuf;

use super::check::{Graded, ModelFiles};
use crate::checks::{CheckResult, CheckStatus, Context};
use crate::grade::ItemStatus;
use crate::rescore::{self, Sandbox};
use crate::task::{TaskSpec, Training};

/// Accuracies closer than this are the same score (half a sample of the wine test set).
const TOLERANCE: f64 = 1e-6;

pub fn rescore(tasks: &[TaskSpec], graded: &mut Graded, sandbox: &Sandbox) {
    let Some(snapshot) = graded.snapshot.clone() else {
        return;
    };
    for spec in tasks {
        let Some(Training::Sklearn(training)) = &spec.training else {
            continue;
        };
        let ctx = Context::new(spec, &snapshot);
        let result = rescore_task(spec, training, &ctx, &graded.files, sandbox);
        let Some(task) = graded.grade.tasks.iter_mut().find(|t| t.task == spec.id) else {
            continue;
        };
        // The model-loading item, else the last automatic item of the task.
        let at = task
            .items
            .iter()
            .position(|i| i.id.ends_with(".loading"))
            .or_else(|| {
                task.items
                    .iter()
                    .rposition(|i| i.status != ItemStatus::Manual)
            });
        let item = at.map(|i| &mut task.items[i]);
        if let Some(item) = item {
            item.checks.push(result);
        }
    }
}

fn rescore_task(
    spec: &TaskSpec,
    training: &crate::task::SklearnTraining,
    ctx: &Context<'_>,
    files: &ModelFiles,
    sandbox: &Sandbox,
) -> CheckResult {
    let id = format!("{}.rescore", spec.id);
    let fail = |status: CheckStatus, message: String, evidence: Vec<String>| CheckResult {
        id: id.clone(),
        status,
        message,
        evidence,
    };
    let Some(model) = ctx.model else {
        return fail(
            CheckStatus::Fail,
            "no registered model to rescore".into(),
            vec![],
        );
    };
    let Some(version) = model.aliases.get("champion").copied() else {
        return fail(
            CheckStatus::Fail,
            "no `champion` alias to rescore".into(),
            vec![],
        );
    };
    let Some(logged) = ctx.accuracy.get(&version).map(|a| a.value) else {
        return fail(
            CheckStatus::Fail,
            format!("v{version} logged no accuracy to compare with"),
            vec![],
        );
    };
    let Some(mv) = ctx.versions.iter().find(|v| v.version == version) else {
        return fail(
            CheckStatus::Fail,
            format!("champion v{version} is not a version of {}", model.name),
            vec![],
        );
    };
    let dataset = match crate::data::wine::load() {
        Ok(d) => d,
        Err(e) => {
            return fail(
                CheckStatus::Error,
                format!("cannot load the wine data: {e}"),
                vec![],
            );
        }
    };
    let split = match crate::data::split::train_test_split(
        dataset.n_samples(),
        training.test_size,
        training.seed as u32,
    ) {
        Ok(s) => s,
        Err(e) => return fail(CheckStatus::Error, format!("cannot split: {e}"), vec![]),
    };
    let rows: Vec<Vec<f64>> = split
        .test
        .iter()
        .map(|&i| dataset.row(i).to_vec())
        .collect();
    let targets: Vec<usize> = split.test.iter().map(|&i| dataset.targets[i]).collect();

    let _tmp; // keeps a downloaded model alive while it is scored
    let dir: PathBuf = match files {
        ModelFiles::Local(root) => match &mv.artifact.location {
            Some(rel) => root.join(rel),
            None => {
                return fail(
                    CheckStatus::Fail,
                    format!("champion v{version}'s files were not found"),
                    vec![],
                );
            }
        },
        ModelFiles::Remote(client) => {
            let tmp = match tempfile::tempdir() {
                Ok(t) => t,
                Err(e) => return fail(CheckStatus::Error, format!("temp dir: {e}"), vec![]),
            };
            if let Err(e) =
                client.download_model(&format!("models:/{}/{version}", model.name), tmp.path())
            {
                return fail(
                    CheckStatus::Fail,
                    format!("cannot download champion v{version}: {e}"),
                    vec![],
                );
            }
            let path = tmp.path().to_path_buf();
            _tmp = tmp;
            path
        }
    };
    match rescore::predict(&dir, &rows, Some(sandbox)) {
        Ok(pred) => {
            let recomputed = rescore::accuracy(&pred, &targets);
            let evidence = vec![
                format!(
                    "champion v{version}, {} test rows (test_size {}, seed {})",
                    rows.len(),
                    training.test_size,
                    training.seed
                ),
                format!("logged accuracy {logged:.4}, recomputed {recomputed:.4}"),
            ];
            if (recomputed - logged).abs() <= TOLERANCE {
                fail(
                    CheckStatus::Pass,
                    format!("champion v{version}'s logged accuracy {logged:.4} reproduces"),
                    evidence,
                )
            } else {
                fail(
                    CheckStatus::Fail,
                    format!(
                        "champion v{version} logged accuracy {logged:.4} but scores {recomputed:.4} on the test split"
                    ),
                    evidence,
                )
            }
        }
        Err(e) => fail(
            CheckStatus::Error,
            format!("cannot rescore champion v{version}: {e}"),
            vec![dir.display().to_string()],
        ),
    }
}
