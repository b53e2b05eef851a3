//! `--rescore`: adds a `rescore` check to each task's model-loading item, with the recomputed
//! and logged accuracy as evidence. It earns no points; a mismatch fails the check, so `check`
//! exits 1 and the TA looks.

use std::path::{Path, PathBuf};

use crate::grading::checks::{CheckResult, CheckStatus, Context};
use crate::grading::points::ItemStatus;
use crate::grading::{Graded, ModelFiles};
mod jail;
pub mod sandbox;

use crate::task::{MlpTraining, SklearnTraining, TaskSpec, Training};
pub use sandbox::Sandbox;

/// Accuracies closer than this are the same score (far below one test sample).
const TOLERANCE: f64 = 1e-6;

pub fn rescore(tasks: &[TaskSpec], graded: &mut Graded, sandbox: &Sandbox) {
    let Some(snapshot) = graded.snapshot.clone() else {
        return;
    };
    for spec in tasks {
        if spec.training.is_none() {
            continue;
        }
        let ctx = Context::new(spec, &snapshot);
        let (result, rescored) = rescore_task(spec, &ctx, &graded.files, sandbox);
        let printed = match (&graded.hand_in, &rescored) {
            (Some(e), Some(r)) if !r.predicted.is_empty() => cross_check(spec, e, r),
            _ => None,
        };
        let printed = match printed {
            Some(Ok(check)) => Some(check),
            Some(Err(note)) => {
                graded.notes.push(note);
                None
            }
            None => None,
        };
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
        if let Some(i) = at {
            task.items[i].checks.push(result);
            task.items[i].checks.extend(printed);
        }
    }
}

/// A recomputed accuracy and how it was computed.
struct Rescored {
    accuracy: f64,
    how: String,
    /// The champion's predictions on the test split, in its order, and the actual classes
    /// (empty where the model is scored without them).
    predicted: Vec<usize>,
    actual: Vec<usize>,
}

/// Predictions the hand-in printed, checked against the champion's own on the same test rows.
/// `Err` is a note: the printed rows could not be matched with the test split. Earns nothing.
fn cross_check(
    spec: &TaskSpec,
    e: &crate::grading::evidence::HandInEvidence,
    r: &Rescored,
) -> Option<Result<CheckResult, String>> {
    let count = spec
        .rubric
        .iter()
        .flat_map(|i| &i.checks)
        .find_map(|c| match c {
            crate::task::CheckSpec::PredictionsShown { count, .. } => Some(*count),
            _ => None,
        });
    let printed = e
        .printed_predictions(count)
        .or_else(|| e.printed_predictions(None))?;
    let not_checked = |why: String| {
        Some(Err(format!(
            "{}: the printed predictions were not cross-checked with the champion's: {why}",
            spec.id
        )))
    };
    let class = |s: &str| s.parse::<usize>().ok();
    let mut rows = Vec::new();
    for (i, (p, a)) in printed.iter().enumerate() {
        let (Some(p), Some(a)) = (class(p), class(a)) else {
            return not_checked(format!("row {i} prints `{p}`/`{a}`, not class numbers"));
        };
        rows.push((p, a));
    }
    if rows.is_empty() || rows.len() > r.actual.len() {
        return not_checked(format!(
            "{} printed rows for {} test rows",
            rows.len(),
            r.actual.len()
        ));
    }
    if rows.iter().zip(&r.actual).any(|((_, a), want)| a != want) {
        return not_checked(format!(
            "their actual values are not the first {} of the test split ({})",
            rows.len(),
            r.how
        ));
    }
    let list =
        |v: &mut dyn Iterator<Item = usize>| v.map(|x| x.to_string()).collect::<Vec<_>>().join(" ");
    let evidence = vec![
        format!("printed:  {}", list(&mut rows.iter().map(|(p, _)| *p))),
        format!(
            "champion: {}",
            list(&mut r.predicted.iter().take(rows.len()).copied())
        ),
    ];
    let differ: Vec<String> = rows
        .iter()
        .zip(&r.predicted)
        .enumerate()
        .filter(|(_, ((p, _), c))| p != *c)
        .map(|(i, ((p, _), c))| format!("row {i} printed {p}, the champion predicts {c}"))
        .collect();
    let id = format!("{}.printed_predictions", spec.id);
    Some(Ok(if differ.is_empty() {
        CheckResult {
            id,
            status: CheckStatus::Pass,
            message: format!(
                "the {} printed predictions are the champion's own (recomputed with --rescore)",
                rows.len()
            ),
            evidence,
        }
    } else {
        CheckResult {
            id,
            status: CheckStatus::Fail,
            message: format!(
                "printed predictions differ from the champion's own: {}",
                differ.join("; ")
            ),
            evidence,
        }
    }))
}

fn rescore_task(
    spec: &TaskSpec,
    ctx: &Context<'_>,
    files: &ModelFiles,
    sandbox: &Sandbox,
) -> (CheckResult, Option<Rescored>) {
    let mut rescored = None;
    let result = rescore_champion(spec, ctx, files, sandbox, &mut rescored);
    (result, rescored)
}

fn rescore_champion(
    spec: &TaskSpec,
    ctx: &Context<'_>,
    files: &ModelFiles,
    sandbox: &Sandbox,
    out: &mut Option<Rescored>,
) -> CheckResult {
    let id = format!("{}.rescore", spec.id);
    let verdict = |status: CheckStatus, message: String, evidence: Vec<String>| CheckResult {
        id: id.clone(),
        status,
        message,
        evidence,
    };
    let Some(model) = ctx.model else {
        return verdict(
            CheckStatus::Fail,
            "no registered model to rescore".into(),
            vec![],
        );
    };
    let Some(version) = model.aliases.get("champion").copied() else {
        return verdict(
            CheckStatus::Fail,
            "no `champion` alias to rescore".into(),
            vec![],
        );
    };
    let Some(logged) = ctx.accuracy.get(&version).map(|a| a.value) else {
        return verdict(
            CheckStatus::Fail,
            format!("v{version} logged no accuracy to compare with"),
            vec![],
        );
    };
    let Some(mv) = ctx.versions.iter().find(|v| v.version == version) else {
        return verdict(
            CheckStatus::Fail,
            format!("champion v{version} is not a version of {}", model.name),
            vec![],
        );
    };
    let _download; // keeps a downloaded model alive while it is scored
    let dir: PathBuf = match files {
        ModelFiles::Local(root) => match &mv.artifact.location {
            Some(rel) => root.join(rel),
            None => {
                return verdict(
                    CheckStatus::Fail,
                    format!("champion v{version}'s files were not found"),
                    vec![],
                );
            }
        },
        ModelFiles::Remote(client) => {
            let tmp = match tempfile::tempdir() {
                Ok(t) => t,
                Err(e) => return verdict(CheckStatus::Error, format!("temp dir: {e}"), vec![]),
            };
            if let Err(e) =
                client.download_model(&format!("models:/{}/{version}", model.name), tmp.path())
            {
                return verdict(
                    CheckStatus::Fail,
                    format!("cannot download champion v{version}: {e}"),
                    vec![],
                );
            }
            let path = tmp.path().to_path_buf();
            _download = tmp;
            path
        }
    };
    let run_seed = ctx
        .run_of(mv)
        .and_then(|r| r.params.get("seed"))
        .and_then(|s| s.parse::<u64>().ok());
    let rescored = match &spec.training {
        Some(Training::Sklearn(t)) => score_tabular(t, &dir, sandbox),
        Some(Training::Mlp(t)) => score_mlp(t, run_seed, &dir),
        None => {
            return verdict(
                CheckStatus::Error,
                "task has no training section".into(),
                vec![],
            );
        }
    };
    match rescored {
        Ok(r) => {
            let evidence = vec![
                format!("champion v{version}: {}", r.how),
                format!("logged {logged:.4}, recomputed {:.4}", r.accuracy),
            ];
            let result = if (r.accuracy - logged).abs() <= TOLERANCE {
                verdict(
                    CheckStatus::Pass,
                    format!("champion v{version}'s logged accuracy {logged:.4} reproduces"),
                    evidence,
                )
            } else {
                verdict(
                    CheckStatus::Fail,
                    format!(
                        "champion v{version} logged accuracy {logged:.4} but scores {:.4} on the test split",
                        r.accuracy
                    ),
                    evidence,
                )
            };
            *out = Some(r);
            result
        }
        Err(NotRescored::Manual(why)) => {
            verdict(CheckStatus::Manual, format!("not rescored: {why}"), vec![])
        }
        Err(NotRescored::Error(why)) => verdict(
            CheckStatus::Error,
            format!("cannot rescore champion v{version}: {why}"),
            vec![dir.display().to_string()],
        ),
    }
}

enum NotRescored {
    /// The model cannot be scored on a split we can reproduce; a TA decides.
    Manual(String),
    Error(String),
}

/// Task 1: the wine test split from the task file; our tree files natively, scikit-learn pickles
/// in the sandbox.
fn score_tabular(
    t: &SklearnTraining,
    dir: &Path,
    sandbox: &Sandbox,
) -> Result<Rescored, NotRescored> {
    let err = |e: &dyn std::fmt::Display| NotRescored::Error(e.to_string());
    let dataset = crate::data::wine::load().map_err(|e| err(&e))?;
    let split =
        crate::data::split::train_test_split(dataset.n_samples(), t.test_size, t.seed as u32)
            .map_err(|e| err(&e))?;
    let rows: Vec<Vec<f64>> = split
        .test
        .iter()
        .map(|&i| dataset.row(i).to_vec())
        .collect();
    let targets: Vec<usize> = split.test.iter().map(|&i| dataset.targets[i]).collect();
    let predictions = sandbox::predict(dir, &rows, Some(sandbox)).map_err(|e| err(&e))?;
    Ok(Rescored {
        accuracy: sandbox::accuracy(&predictions, &targets),
        how: format!(
            "{} test rows (test_size {}, seed {})",
            rows.len(),
            t.test_size,
            t.seed
        ),
        // A negative class (never a wine cultivar) matches no printed one.
        predicted: predictions
            .iter()
            .map(|&p| usize::try_from(p).unwrap_or(usize::MAX))
            .collect(),
        actual: targets,
    })
}

/// Task 2: harness's own network files, natively, on the split the run recorded (its `seed`
/// param). Other formats were trained on the student's own split, which cannot be rebuilt here.
fn score_mlp(t: &MlpTraining, run_seed: Option<u64>, dir: &Path) -> Result<Rescored, NotRescored> {
    let err = |e: &dyn std::fmt::Display| NotRescored::Error(e.to_string());
    let model = crate::nn::Mlp::load(dir).map_err(|_| {
        NotRescored::Manual(
            "not a harness network; the student's own test split cannot be rebuilt here".into(),
        )
    })?;
    let seed = run_seed.unwrap_or(t.seed);
    let pool = crate::data::mnist::load_embedded().map_err(|e| err(&e))?;
    // The same rounding the reference run applies: 1 − 0.7 is 0.30000000000000004 in binary.
    let test_size = ((1.0 - t.train_fraction) * 1e9).round() / 1e9;
    let split = crate::data::split::train_test_split(pool.len(), test_size, seed as u32)
        .map_err(|e| err(&e))?;
    let (x, y) = pool.select(&split.test, model.normalize);
    let metrics = model
        .evaluate(crate::nn::Samples::new(&x, &y))
        .map_err(|e| err(&e))?;
    Ok(Rescored {
        accuracy: metrics.accuracy,
        how: format!(
            "{} embedded test digits (test_size {test_size}, seed {seed})",
            y.len()
        ),
        predicted: Vec::new(),
        actual: Vec::new(),
    })
}
