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

/// One Gradescope test per rubric item; manual items carry 0 points and a note for the TA,
/// who adds the points by hand in Gradescope.
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
    Results {
        score: f64::from(grade.points),
        max_score: f64::from(grade.max_points),
        output: format!(
            "Automatic points: {}/{}. Manual rubric items are scored by a TA.",
            grade.points, grade.max_points
        ),
        visibility: "visible",
        stdout_visibility: "hidden",
        tests,
    }
}
