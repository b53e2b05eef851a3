//! Every file the reports write: per-submission folders (`report.md`, `report.html`,
//! `results.json`, Gradescope's results, screenshots, the TA's `manual.toml`), the class report,
//! `gradebook.csv` and the TA's `manual.csv`.

use std::path::Path;

use super::view::{self, ClassView, ReportExtras, SubmissionInput, SubmissionView};
use super::{
    ReportError, Result, Templates, gradebook, gradescope, manual, render_class_html,
    render_class_md, render_submission_html, render_submission_md,
};
use crate::grading::Graded;
use crate::grading::manual::{MANUAL_CSV, MANUAL_TOML, ManualError, ManualScores};
use crate::task::TaskSpec;

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `report.md`, `report.html`, `results.json` and `screenshots/*.png` into `dir`.
pub fn write_submission_dir(
    dir: &Path,
    templates: &Templates,
    tasks: &[TaskSpec],
    input: SubmissionInput<'_>,
    extras: &ReportExtras,
) -> Result<SubmissionView> {
    let view = view::submission(tasks, input, extras);
    create_dir(dir)?;
    let mut md = Vec::new();
    render_submission_md(templates, &view, &mut md)?;
    write_file(&dir.join("report.md"), &md)?;
    let mut html = Vec::new();
    render_submission_html(templates, &view, &mut html)?;
    write_file(&dir.join("report.html"), &html)?;
    let json = serde_json::to_vec_pretty(input.grade).map_err(std::io::Error::from)?;
    write_file(&dir.join("results.json"), &json)?;
    if !extras.screenshots.is_empty() {
        create_dir(&dir.join("screenshots"))?;
        for (shot, sv) in extras.screenshots.iter().zip(&view.screenshots) {
            write_file(&dir.join(&sv.file), &shot.png)?;
        }
    }
    Ok(view)
}

/// Writes the class `report.md`/`report.html` into `dir` and one sub-folder per submission
/// (named by [`view::slug`]) with its own report. `extras_for` gives each submission's extras
/// (the date at least). The gradebook CSV is the caller's (`output::gradebook`), written as
/// `dir/gradebook.csv`, which the class report links to.
pub fn write_class_dir(
    dir: &Path,
    templates: &Templates,
    tasks: &[TaskSpec],
    subs: &[SubmissionInput<'_>],
    date: &str,
    extras_for: &dyn Fn(&SubmissionInput<'_>) -> ReportExtras,
) -> Result<ClassView> {
    create_dir(dir)?;
    let class = view::class(tasks, subs, date);
    for (s, row) in subs.iter().zip(&class.students) {
        write_submission_dir(&dir.join(&row.folder), templates, tasks, *s, &extras_for(s))?;
    }
    let mut md = Vec::new();
    render_class_md(templates, &class, &mut md)?;
    write_file(&dir.join("report.md"), &md)?;
    let mut html = Vec::new();
    render_class_html(templates, &class, &mut html)?;
    write_file(&dir.join("report.html"), &html)?;
    Ok(class)
}

/// Writes the reports: for one submission `report.md`, `report.html`, `results.json`,
/// Gradescope's results, `manual.toml` and `manual.csv` into `dir`; for a batch the class report,
/// one such folder per student, `gradebook.csv` and the class's `manual.csv`. `extras_for`
/// supplies what MLflow state does not hold (date, predictions, screenshots); `scores` are the
/// TA's merged reviews, written back into the review sheets. Call [`guard_reviews`] first.
pub(crate) fn write_reports(
    tasks: &[TaskSpec],
    graded: &[Graded],
    dir: &Path,
    date: &str,
    extras_for: &dyn Fn(&Graded) -> ReportExtras,
    scores: &ManualScores,
) -> Result<()> {
    let templates = Templates::embedded()?;
    let gradescope_into = |folder: &Path, g: &Graded| -> Result<()> {
        let json = serde_json::to_vec_pretty(&gradescope::results(&g.grade))
            .map_err(std::io::Error::from)?;
        write_file(&folder.join("gradescope-results.json"), &json)
    };
    let mut sheet = Vec::new();
    let mut review_into = |folder: &Path, g: &Graded| -> Result<()> {
        let rows = manual::rows(g, tasks, scores);
        if !rows.is_empty() {
            let mut toml = Vec::new();
            manual::write_toml(&g.submission, &rows, &mut toml)?;
            write_file(&folder.join(MANUAL_TOML), &toml)?;
        }
        sheet.extend(rows);
        Ok(())
    };
    if let [one] = graded {
        write_submission_dir(dir, &templates, tasks, one.into(), &extras_for(one))?;
        gradescope_into(dir, one)?;
        review_into(dir, one)?;
        return write_sheet(dir, &sheet);
    }
    let inputs: Vec<SubmissionInput<'_>> = graded.iter().map(Into::into).collect();
    let by_name = |s: &SubmissionInput<'_>| graded.iter().find(|g| g.submission == s.submission);
    let class = write_class_dir(dir, &templates, tasks, &inputs, date, &|s| {
        by_name(s).map(extras_for).unwrap_or_else(|| ReportExtras {
            date: date.into(),
            ..Default::default()
        })
    })?;
    for (g, row) in graded.iter().zip(&class.students) {
        gradescope_into(&dir.join(&row.folder), g)?;
        review_into(&dir.join(&row.folder), g)?;
    }
    write_sheet(dir, &sheet)?;
    let rows: Vec<gradebook::Row<'_>> = graded
        .iter()
        .map(|g| gradebook::Row {
            submission: &g.submission,
            identity: &g.identity,
            grade: Some(&g.grade),
            problem: g.problem.as_deref(),
        })
        .collect();
    let mut csv = Vec::new();
    gradebook::write(&rows, &mut csv)?;
    write_file(&dir.join("gradebook.csv"), &csv)
}

/// `manual.csv`: every review row of the class (or of the one submission).
fn write_sheet(dir: &Path, rows: &[manual::SheetRow]) -> Result<()> {
    let mut csv = Vec::new();
    manual::write_csv(rows, &mut csv)?;
    write_file(&dir.join(MANUAL_CSV), &csv)
}

/// Refuses to write reports into `dir` when its review sheets from an earlier run hold a TA's
/// filled row that the new sheets would drop or blank (see [`crate::grading::manual::would_lose`]):
/// nothing is written then, and the TA is told to merge the sheet with `--manual`.
pub(crate) fn guard_reviews(
    dir: &Path,
    tasks: &[TaskSpec],
    graded: &[Graded],
    scores: &ManualScores,
) -> std::result::Result<(), ManualError> {
    let existing = crate::grading::manual::read_out_dir(dir)?;
    match crate::grading::manual::would_lose(&existing, graded, tasks, scores) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `reference-run.json`: what each reference run did, for the record beside its reports.
pub(crate) fn write_reference_summary(
    dir: &Path,
    summaries: &[crate::reference::TaskSummary],
) -> Result<()> {
    let json = serde_json::to_vec_pretty(summaries).map_err(std::io::Error::from)?;
    write_file(&dir.join("reference-run.json"), &json)
}

/// `exercise-references.json`: what each exercise's reference run did and its grade.
pub(crate) fn write_exercise_results(
    dir: &Path,
    rows: &[(crate::exercise::ExerciseSummary, crate::grading::Graded)],
) -> Result<()> {
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|(summary, g)| serde_json::json!({ "reference": summary, "grade": g.grade }))
        .collect();
    let json = serde_json::to_vec_pretty(&rows).map_err(std::io::Error::from)?;
    write_file(&dir.join("exercise-references.json"), &json)
}

/// Now, as reports show it.
pub(crate) fn report_date() -> String {
    let stamp = crate::model::mlmodel::utc_time(crate::mlflow::now_ms());
    format!("{} UTC", &stamp[..16])
}
