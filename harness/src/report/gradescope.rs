//! Gradescope autograder `results.json` (one per submission).
//! Format: <https://gradescope-autograders.readthedocs.io/en/latest/specs/>.

use serde::Serialize;

use crate::grading::checks::CheckStatus;
use crate::grading::points::{Grade, ItemStatus};

#[derive(Debug, Serialize)]
pub(crate) struct Results {
    pub(crate) score: f64,
    pub(crate) max_score: f64,
    pub(crate) output: String,
    pub(crate) visibility: &'static str,
    pub(crate) stdout_visibility: &'static str,
    pub(crate) tests: Vec<Test>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Test {
    pub name: String,
    pub(crate) name_format: &'static str,
    pub(crate) score: f64,
    pub(crate) max_score: f64,
    pub status: &'static str,
    pub(crate) output: String,
    pub(crate) output_format: &'static str,
    pub(crate) visibility: &'static str,
}

/// One Gradescope test per rubric item, in raw rubric points; manual checks carry 0 points and
/// a note for the TA until a TA's review is merged (`--manual`), then its points and comment.
/// The overall `score`/`max_score` are the scaled ones when the task files state a total
/// (`scale_to`): Gradescope takes a top-level `score` over the sum of the tests.
pub(crate) fn results(grade: &Grade) -> Results {
    let tests = grade
        .tasks
        .iter()
        .flat_map(|t| t.items.iter().map(move |i| (t, i)))
        .map(|(task, item)| {
            let output = item
                .checks
                .iter()
                .map(|c| {
                    let sym = match c.status {
                        CheckStatus::Pass => "✓",
                        CheckStatus::Fail => "✗",
                        CheckStatus::Manual => "…",
                        CheckStatus::Error => "!",
                    };
                    format!("{sym} {}", c.message)
                })
                .chain(item.ta.as_ref().map(|ta| {
                    let mut line = format!("TA: {}/{}", ta.points, ta.max_points);
                    if !ta.comment.is_empty() {
                        line.push_str(" — ");
                        line.push_str(&ta.comment);
                    }
                    line
                }))
                .collect::<Vec<_>>()
                .join("\n");
            Test {
                name: format!("{} · {}", task.task, item.title),
                name_format: "text",
                score: f64::from(item.points),
                max_score: f64::from(item.max_points),
                status: if matches!(item.status, ItemStatus::Pass | ItemStatus::Manual) {
                    "passed"
                } else {
                    "failed"
                },
                output,
                output_format: "text",
                visibility: "visible",
            }
        })
        .collect();
    let reviewed = grade
        .tasks
        .iter()
        .flat_map(|t| &t.items)
        .any(|i| i.ta.is_some());
    let mut output = format!(
        "Rubric points: {}/{} ({}).",
        grade.points,
        grade.max_points,
        if reviewed {
            "automatic checks and the TA's review so far"
        } else {
            "automatic checks only; manual rubric items are scored by a TA"
        }
    );
    let (score, max_score) = match grade.scaled {
        Some(s) => {
            output.push_str(&format!(" Scaled to the course's total: {}.", s.text()));
            (s.points, s.max_points)
        }
        None => (f64::from(grade.points), f64::from(grade.max_points)),
    };
    Results {
        score,
        max_score,
        output,
        visibility: "visible",
        stdout_visibility: "hidden",
        tests,
    }
}
