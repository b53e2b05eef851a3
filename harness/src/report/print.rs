//! What `check` prints: the chosen format for each graded submission, then a class listing.

use std::io::Write;

use super::text::{self, Audience};
use super::view::{self, ReportExtras, SubmissionInput};
use super::{Result, Templates, files, gradescope, render_class_md, render_submission_md};
use crate::grading::Graded;
use crate::task::TaskSpec;

/// `check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Json,
    /// The Markdown report (the class summary for a batch).
    Markdown,
    Gradescope,
}

/// Writes `graded` to `out` in `format`; a batch in text format ends with one line per student.
pub(crate) fn print(
    tasks: &[TaskSpec],
    graded: &[Graded],
    format: Format,
    audience: Audience,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Text => {
            for g in graded {
                text::render(&g.grade, audience, out)?;
                let snapshot_notes = g.snapshot.iter().flat_map(|s| s.notes.iter());
                for note in g.notes.iter().chain(snapshot_notes) {
                    writeln!(out, "note: {note}")?;
                }
                writeln!(out)?;
            }
            if graded.len() > 1 {
                for g in graded {
                    let scaled = g
                        .grade
                        .scaled
                        .map(|s| format!(" ({})", s.text()))
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "{:<30} {:>3}/{:<3}{scaled} {}",
                        g.submission,
                        g.grade.points,
                        g.grade.max_points,
                        g.problem.as_deref().unwrap_or("")
                    )?;
                }
            }
        }
        Format::Gradescope => {
            for g in graded {
                serde_json::to_writer_pretty(&mut *out, &gradescope::results(&g.grade))
                    .map_err(std::io::Error::from)?;
                writeln!(out)?;
            }
        }
        Format::Markdown => {
            let templates = Templates::embedded()?;
            let date = files::report_date();
            match graded {
                [one] => {
                    let extras = ReportExtras {
                        date,
                        ..Default::default()
                    };
                    render_submission_md(
                        &templates,
                        &view::submission(tasks, one.into(), &extras),
                        out,
                    )?;
                }
                many => {
                    let inputs: Vec<SubmissionInput<'_>> = many.iter().map(Into::into).collect();
                    render_class_md(&templates, &view::class(tasks, &inputs, &date), out)?;
                }
            }
        }
        Format::Json => {
            let value = match graded {
                [one] => serde_json::to_value(&one.grade),
                many => serde_json::to_value(many.iter().map(|g| &g.grade).collect::<Vec<_>>()),
            }
            .map_err(std::io::Error::from)?;
            serde_json::to_writer_pretty(&mut *out, &value).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// What `grade` prints when it is done: where the reports are and each submission's score.
pub(crate) fn grade_summary(
    graded: &[Graded],
    out_dir: &std::path::Path,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "reports: {} ({} and report.md beside it)",
        out_dir.display(),
        out_dir.join("report.html").display()
    )?;
    for g in graded {
        writeln!(
            out,
            "{}: {}/{} points{}{}, {} awaiting a TA",
            g.submission,
            g.grade.points,
            g.grade.max_points,
            g.grade
                .scaled
                .map(|s| format!(" (scaled: {})", s.text()))
                .unwrap_or_default(),
            if g.grade.all_automatic_passed() {
                ", every automatic check passed"
            } else {
                ""
            },
            text::awaiting_ta(&g.grade)
        )?;
    }
    Ok(())
}

/// What `grade` prints for the exercises' reference runs: a table per exercise (its items and
/// points), each graded against its own task file.
pub(crate) fn exercise_summary(
    rows: &[(crate::exercise::ExerciseSummary, Graded)],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "exercise references (each graded by its own task file):"
    )?;
    for (summary, g) in rows {
        writeln!(
            out,
            "{}: {}/{} points{}",
            summary.task,
            g.grade.points,
            g.grade.max_points,
            if g.grade.all_automatic_passed() {
                ", every automatic check passed"
            } else {
                ""
            }
        )?;
        for t in &g.grade.tasks {
            for i in &t.items {
                writeln!(
                    out,
                    "  {:<28} {:>3}/{:<3} {}",
                    i.id, i.points, i.max_points, i.title
                )?;
            }
        }
    }
    Ok(())
}
