//! The readable terminal view of a grade.

use std::io::{self, Write};

use crate::grading::checks::CheckStatus;
use crate::grading::points::{Grade, ItemStatus};

/// Who reads the view: a TA sees every check with its evidence; a student (`--student`) sees
/// what to fix, in the rubric's words, without the grader's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    Grader,
    Student,
}

fn mark(status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Pass => "PASS",
        ItemStatus::Partial => "PART",
        ItemStatus::Fail => "FAIL",
        ItemStatus::Manual => "TA  ",
        ItemStatus::Error => "ERR ",
    }
}

pub(crate) fn render(grade: &Grade, audience: Audience, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Submission: {}", grade.submission)?;
    for task in &grade.tasks {
        writeln!(out, "\n{} — {}/{}", task.task, task.points, task.max_points)?;
        for item in &task.items {
            writeln!(
                out,
                "  [{}] {:>2}/{:<2} {}",
                mark(item.status),
                item.points,
                item.max_points,
                item.title
            )?;
            for check in &item.checks {
                let show = match audience {
                    Audience::Grader => true,
                    Audience::Student => {
                        matches!(check.status, CheckStatus::Fail | CheckStatus::Error)
                    }
                };
                if !show {
                    continue;
                }
                let sym = match check.status {
                    CheckStatus::Pass => "✓",
                    CheckStatus::Fail => "✗",
                    CheckStatus::Manual => "…",
                    CheckStatus::Error => "!",
                };
                writeln!(out, "         {sym} {}", check.message)?;
                if audience == Audience::Grader && check.status != CheckStatus::Pass {
                    for line in &check.evidence {
                        writeln!(out, "             {line}")?;
                    }
                }
            }
            if let Some(ta) = &item.ta {
                write!(out, "         TA: {}/{}", ta.points, ta.max_points)?;
                if !ta.comment.is_empty() {
                    write!(out, " — {}", ta.comment)?;
                }
                writeln!(out)?;
            }
        }
    }
    if let Some(n) = &grade.needs_store {
        writeln!(out, "\n{}", n.line())?;
    }
    write!(out, "\nTotal: {}/{}", grade.points, grade.max_points)?;
    if let Some(s) = grade.scaled {
        write!(out, " (scaled: {})", s.text())?;
    }
    writeln!(out, " ({} points await a TA)", awaiting_ta(grade))
}

/// Points a TA can still award: whole manual items, and the manual checks of items whose
/// automatic checks all passed, unless a TA's review of the item was merged.
pub(crate) fn awaiting_ta(grade: &Grade) -> u32 {
    grade
        .tasks
        .iter()
        .flat_map(|t| &t.items)
        .filter(|i| i.ta.is_none() && i.checks.iter().any(|c| c.status == CheckStatus::Manual))
        .filter(|i| {
            i.checks
                .iter()
                .all(|c| matches!(c.status, CheckStatus::Pass | CheckStatus::Manual))
        })
        .map(|i| i.max_points - i.points)
        .sum()
}
