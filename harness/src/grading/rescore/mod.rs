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
        let printed = graded.hand_in.as_ref().and_then(|e| printed_rows(spec, e));
        let printed_actual: Vec<usize> = match &printed {
            Some(Ok(rows)) => rows.iter().map(|r| r.actual).collect(),
            _ => Vec::new(),
        };
        let mut rescored = None;
        let result = rescore_champion(
            spec,
            &ctx,
            &graded.files,
            sandbox,
            &printed_actual,
            &mut rescored,
        );
        let printed = match (printed, &rescored) {
            (Some(Ok(rows)), Some(r)) if !r.predicted.is_empty() => {
                Some(cross_check(spec, &rows, r))
            }
            (Some(Err(note)), Some(r)) if !r.predicted.is_empty() => Some(Err(note)),
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
    /// The probability of each predicted class (empty where the model gives none).
    confidence: Vec<f64>,
    actual: Vec<usize>,
}

/// A printed prediction row read as classes.
struct PrintedRow {
    predicted: usize,
    actual: usize,
    confidence: Option<crate::handin::Number>,
}

/// The hand-in's printed prediction rows (the table the task's `predictions_shown` counts, else
/// any), as classes; `Err` is a note saying why they cannot be compared; `None`: none printed.
fn printed_rows(
    spec: &TaskSpec,
    e: &crate::grading::evidence::HandInEvidence,
) -> Option<Result<Vec<PrintedRow>, String>> {
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
    let class = |s: &str| s.parse::<usize>().ok();
    let mut rows = Vec::new();
    for (i, p) in printed.iter().enumerate() {
        let (Some(predicted), Some(actual)) = (class(&p.predicted), class(&p.actual)) else {
            return Some(Err(not_checked(
                spec,
                &format!(
                    "row {i} prints `{}`/`{}`, not class numbers",
                    p.predicted, p.actual
                ),
            )));
        };
        let confidence = p
            .confidence
            .as_deref()
            .and_then(|c| crate::handin::numbers(c).into_iter().next());
        rows.push(PrintedRow {
            predicted,
            actual,
            confidence,
        });
    }
    Some(Ok(rows))
}

fn not_checked(spec: &TaskSpec, why: &str) -> String {
    format!(
        "{}: the printed predictions were not cross-checked with the champion's: {why}",
        spec.id
    )
}

/// Whether a printed confidence is `p` as printed: within half a unit of its last digit (a
/// percent or a fraction), and a little more for float32 arithmetic.
fn confidence_matches(printed: &crate::handin::Number, p: f64) -> bool {
    let scale = if printed.percent || printed.value > 1.0 {
        100.0
    } else {
        1.0
    };
    (printed.value / scale - p).abs() <= printed.resolution() / scale / 2.0 + 1e-5
}

/// Predictions the hand-in printed, checked against the champion's own on the same test rows
/// (and their confidences, when both have them). `Err` is a note: the printed rows could not be
/// matched with the test split. Earns nothing.
fn cross_check(spec: &TaskSpec, rows: &[PrintedRow], r: &Rescored) -> Result<CheckResult, String> {
    if rows.is_empty() || rows.len() > r.actual.len() {
        return Err(not_checked(
            spec,
            &format!(
                "{} printed rows for {} test rows",
                rows.len(),
                r.actual.len()
            ),
        ));
    }
    if rows
        .iter()
        .zip(&r.actual)
        .any(|(row, want)| row.actual != *want)
    {
        return Err(not_checked(
            spec,
            &format!(
                "their actual values are not the first {} of the test split ({})",
                rows.len(),
                r.how
            ),
        ));
    }
    let n = rows.len();
    let list = |v: &mut dyn Iterator<Item = String>| v.collect::<Vec<_>>().join(" ");
    let mut evidence = vec![
        format!(
            "printed:  {}",
            list(&mut rows.iter().map(|p| p.predicted.to_string()))
        ),
        format!(
            "champion: {}",
            list(&mut r.predicted.iter().take(n).map(|c| c.to_string()))
        ),
    ];
    let confidences = !r.confidence.is_empty() && rows.iter().all(|p| p.confidence.is_some());
    if confidences {
        evidence.push(format!(
            "printed confidence:  {}",
            list(
                &mut rows
                    .iter()
                    .filter_map(|p| p.confidence.as_ref().map(|c| c.text.clone()))
            )
        ));
        evidence.push(format!(
            "champion confidence: {}",
            list(&mut r.confidence.iter().take(n).map(|c| format!("{c:.4}")))
        ));
    }
    let mut differ = Vec::new();
    for (i, p) in rows.iter().enumerate() {
        let class = r.predicted[i];
        let conf = r.confidence.get(i).copied();
        let conf_differs = confidences
            && matches!((&p.confidence, conf), (Some(c), Some(want)) if !confidence_matches(c, want));
        if p.predicted != class || conf_differs {
            differ.push(match (&p.confidence, conf) {
                (Some(c), Some(want)) if confidences => format!(
                    "row {i} printed {} ({}), the champion predicts {class} ({want:.4})",
                    p.predicted, c.text
                ),
                _ => format!(
                    "row {i} printed {}, the champion predicts {class}",
                    p.predicted
                ),
            });
        }
    }
    let id = format!("{}.printed_predictions", spec.id);
    let what = if confidences {
        "predictions and confidences"
    } else {
        "predictions"
    };
    Ok(if differ.is_empty() {
        CheckResult {
            id,
            status: CheckStatus::Pass,
            message: format!(
                "the {n} printed {what} are the champion's own (recomputed with --rescore)"
            ),
            evidence,
        }
    } else {
        CheckResult {
            id,
            status: CheckStatus::Fail,
            message: format!(
                "printed {what} differ from the champion's own: {}",
                differ.join("; ")
            ),
            evidence,
        }
    })
}

fn rescore_champion(
    spec: &TaskSpec,
    ctx: &Context<'_>,
    files: &ModelFiles,
    sandbox: &Sandbox,
    printed_actual: &[usize],
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
        Some(Training::Mlp(t)) => score_mlp(
            t,
            run_seed,
            &dir,
            sandbox,
            &Expected {
                accuracy: logged,
                printed_actual: printed_actual.to_vec(),
            },
        ),
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
        confidence: Vec::new(),
        actual: targets,
    })
}

/// Task 2: harness's own network files natively, on the split the run recorded (its `seed`
/// param); a PyTorch model in the sandbox, on the test rows of both splits harness can rebuild
/// (the spec's `train_test_split` and torch's `random_split`, with that seed), scaled and
/// normalised. The student's split and preprocessing are the ones that reproduce the logged
/// accuracy; else the one the printed actual labels point to; else a TA decides.
fn score_mlp(
    t: &MlpTraining,
    run_seed: Option<u64>,
    dir: &Path,
    sandbox: &Sandbox,
    want: &Expected,
) -> Result<Rescored, NotRescored> {
    let err = |e: &dyn std::fmt::Display| NotRescored::Error(e.to_string());
    let seed = run_seed.unwrap_or(t.seed);
    let pool = crate::data::mnist::load_embedded().map_err(|e| err(&e))?;
    // The same rounding the reference run applies: 1 − 0.7 is 0.30000000000000004 in binary.
    let test_size = ((1.0 - t.train_fraction) * 1e9).round() / 1e9;
    let split = crate::data::split::train_test_split(pool.len(), test_size, seed as u32)
        .map_err(|e| err(&e))?;
    let Ok(model) = crate::nn::Mlp::load(dir) else {
        return score_torch(t, seed, dir, sandbox, &pool, split.test, want);
    };
    let (x, y) = pool.select(&split.test, model.normalize);
    let metrics = model
        .evaluate(crate::nn::Samples::new(&x, &y))
        .map_err(|e| err(&e))?;
    let proba = model.predict_proba(&x).map_err(|e| err(&e))?;
    let (predicted, confidence) = proba.iter().map(|p| arg_max(p)).unzip();
    Ok(Rescored {
        accuracy: metrics.accuracy,
        how: format!(
            "{} embedded test digits (test_size {test_size}, seed {seed})",
            y.len()
        ),
        predicted,
        confidence,
        actual: y.iter().map(|&c| usize::from(c)).collect(),
    })
}

/// The class with the highest probability (the first on a tie) and that probability.
fn arg_max(p: &[f32]) -> (usize, f64) {
    p.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, &v)| {
            if f64::from(v) > best.1 {
                (i, f64::from(v))
            } else {
                best
            }
        })
}

/// What a rescored model should reproduce: the logged accuracy (a fraction) and the actual
/// classes the hand-in printed beside its predictions, in order.
struct Expected {
    accuracy: f64,
    printed_actual: Vec<usize>,
}

fn score_torch(
    t: &MlpTraining,
    seed: u64,
    dir: &Path,
    sandbox: &Sandbox,
    pool: &crate::data::mnist::Mnist,
    test: Vec<usize>,
    want: &Expected,
) -> Result<Rescored, NotRescored> {
    let mlmodel = std::fs::read_to_string(dir.join("MLmodel")).unwrap_or_default();
    let flavors = crate::snapshot::MlModelSummary::parse(&mlmodel)
        .map(|m| m.flavors)
        .unwrap_or_default();
    if !flavors.iter().any(|f| f == "pytorch") {
        return Err(NotRescored::Manual(format!(
            "neither a harness network nor a PyTorch model (flavors: {}); its test split cannot be rebuilt here",
            if flavors.is_empty() {
                "none".to_string()
            } else {
                flavors.join(", ")
            }
        )));
    }
    let request = sandbox::MnistRequest {
        n: pool.len(),
        test_indices: test,
        seed,
        train_fraction: t.train_fraction,
    };
    let scores = sandbox
        .score_torch_mnist(dir, &request, &pool.images)
        .map_err(|e| NotRescored::Error(e.to_string()))?;
    let actual_of = |s: &sandbox::MnistScores| -> Vec<usize> {
        s.indices
            .iter()
            .map(|&i| pool.labels.get(i).map_or(usize::MAX, |&c| usize::from(c)))
            .collect()
    };
    let accuracy_of = |s: &sandbox::MnistScores| {
        let actual = actual_of(s);
        let hits = s
            .predicted
            .iter()
            .zip(&actual)
            .filter(|(p, a)| p == a)
            .count();
        hits as f64 / actual.len().max(1) as f64
    };
    let describe = |s: &sandbox::MnistScores| {
        format!(
            "{} test digits of the {} split (seed {seed}), pixels {}",
            s.indices.len(),
            s.split,
            if s.normalized {
                "normalised (0.1307, 0.3081)"
            } else {
                "scaled to [0, 1]"
            }
        )
    };
    let printed_split = |s: &sandbox::MnistScores| {
        !want.printed_actual.is_empty() && actual_of(s).starts_with(&want.printed_actual)
    };
    let chosen = scores
        .iter()
        .find(|s| (accuracy_of(s) - want.accuracy).abs() <= TOLERANCE)
        .or_else(|| scores.iter().find(|s| printed_split(s)));
    let Some(s) = chosen else {
        let tried: Vec<String> = scores
            .iter()
            .map(|s| format!("{:.4} ({})", accuracy_of(s), describe(s)))
            .collect();
        return Err(NotRescored::Manual(format!(
            "the PyTorch champion scores {} on the splits harness can rebuild, none the logged {:.4}; \
             the notebook's own split may differ",
            tried.join(", "),
            want.accuracy
        )));
    };
    Ok(Rescored {
        accuracy: accuracy_of(s),
        how: describe(s),
        predicted: s.predicted.clone(),
        confidence: s.confidence.clone(),
        actual: actual_of(s),
    })
}
