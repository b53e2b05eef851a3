//! The class summary: one row per student, score histogram, pass rate per item and check.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::grading::checks::CheckStatus;
use crate::task::TaskSpec;

use super::*;
use crate::report::chart::{self};

#[derive(Debug, Clone, Serialize)]
pub struct ClassView {
    pub date: String,
    pub(crate) harness_version: String,
    pub tasks: Vec<String>,
    pub students: Vec<StudentRow>,
    pub(crate) mean_text: String,
    pub(crate) median_text: String,
    pub max_points: u32,
    pub(crate) histogram: Option<String>,
    pub items: Vec<PassRate>,
    pub checks: Vec<PassRate>,
    /// Relative link to the CSV the gradebook writer puts beside the report.
    pub(crate) gradebook: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StudentRow {
    pub submission: String,
    pub name: String,
    pub(crate) student_id: String,
    pub points: u32,
    pub max_points: u32,
    pub(crate) percent_text: String,
    /// The total scaled to the task files' `scale_to`, when they state one.
    pub(crate) scaled_text: Option<String>,
    pub folder: String,
    pub report_md: String,
    pub report_html: String,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PassRate {
    pub id: String,
    pub title: String,
    pub passed: usize,
    /// Submissions where it was graded automatically (manual-only items count none).
    pub graded: usize,
    pub rate: Option<f64>,
    pub(crate) rate_text: String,
}

/// Builds the class summary from every submission's input.
pub fn class(tasks: &[TaskSpec], subs: &[SubmissionInput<'_>], date: &str) -> ClassView {
    let mut used = BTreeSet::new();
    let students: Vec<StudentRow> = subs
        .iter()
        .map(|s| {
            // Two names can share a slug (`a b`, `a_b`); each student needs a folder of their own.
            let base = slug(s.submission);
            let mut folder = base.clone();
            let mut n = 2;
            while !used.insert(folder.clone()) {
                folder = format!("{base}-{n}");
                n += 1;
            }
            StudentRow {
                submission: s.submission.to_string(),
                name: s.identity.name.clone().unwrap_or_else(dash),
                student_id: s.identity.student_id.clone().unwrap_or_else(dash),
                points: s.grade.points,
                max_points: s.grade.max_points,
                percent_text: if s.grade.max_points == 0 {
                    dash()
                } else {
                    format!(
                        "{:.1} %",
                        f64::from(s.grade.points) * 100.0 / f64::from(s.grade.max_points)
                    )
                },
                scaled_text: s.grade.scaled.map(|x| x.text()),
                report_md: format!("{folder}/report.md"),
                report_html: format!("{folder}/report.html"),
                folder,
                problem: s.problem.map(str::to_string),
            }
        })
        .collect();
    let mut scores: Vec<f64> = subs.iter().map(|s| f64::from(s.grade.points)).collect();
    scores.sort_by(f64::total_cmp);
    let max_points = subs.iter().map(|s| s.grade.max_points).max().unwrap_or(0);
    let mean = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    let median = (!scores.is_empty()).then(|| {
        let n = scores.len();
        if n % 2 == 1 {
            scores[n / 2]
        } else {
            (scores[n / 2 - 1] + scores[n / 2]) / 2.0
        }
    });
    let rate = |passed: usize, graded: usize| -> (Option<f64>, String) {
        if graded == 0 {
            (None, "manual".into())
        } else {
            let r = passed as f64 / graded as f64;
            (Some(r), format!("{:.0} %", r * 100.0))
        }
    };
    // Items and checks in rubric order, keyed by id.
    let mut items: Vec<PassRate> = Vec::new();
    let mut checks: Vec<PassRate> = Vec::new();
    for t in tasks {
        for item in &t.rubric {
            let grades: Vec<_> = subs
                .iter()
                .filter_map(|s| s.grade.task(&t.id)?.item(&item.id))
                .collect();
            // An item with a manual part never reaches `pass` before the TA scores it, so the
            // rate counts items whose automatic checks all passed.
            let automatic = |i: &&crate::grading::points::ItemGrade| {
                i.checks
                    .iter()
                    .filter(|c| c.status != CheckStatus::Manual)
                    .map(|c| c.status)
                    .collect::<Vec<_>>()
            };
            let graded = grades.iter().filter(|i| !automatic(i).is_empty()).count();
            let passed = grades
                .iter()
                .filter(|i| {
                    let a = automatic(i);
                    !a.is_empty() && a.iter().all(|s| *s == CheckStatus::Pass)
                })
                .count();
            let (r, text) = rate(passed, graded);
            items.push(PassRate {
                id: item.id.clone(),
                title: item.title.clone(),
                passed,
                graded,
                rate: r,
                rate_text: text,
            });
            for c in item.checks.iter().filter(|c| !c.is_manual()) {
                let id = c.id();
                let results: Vec<_> = grades
                    .iter()
                    .filter_map(|i| i.checks.iter().find(|r| r.id == id))
                    .collect();
                let passed = results
                    .iter()
                    .filter(|r| r.status == CheckStatus::Pass)
                    .count();
                let (r, text) = rate(passed, results.len());
                checks.push(PassRate {
                    id: format!("{}/{id}", item.id),
                    title: item.title.clone(),
                    passed,
                    graded: results.len(),
                    rate: r,
                    rate_text: text,
                });
            }
        }
    }
    ClassView {
        date: date.to_string(),
        harness_version: crate::version::VERSION.to_string(),
        tasks: tasks.iter().map(|t| t.title.clone()).collect(),
        histogram: chart::histogram(
            "Score distribution",
            "points",
            &scores,
            0.0,
            f64::from(max_points.max(1)),
            10,
        ),
        students,
        mean_text: mean.map_or_else(dash, |m| format!("{m:.1}")),
        median_text: median.map_or_else(dash, |m| format!("{m:.1}")),
        max_points,
        items,
        checks,
        gradebook: "gradebook.csv".into(),
    }
}
