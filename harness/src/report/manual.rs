//! The TA's review sheets (see [`crate::grading::manual`]): `manual.csv`, one row per student ×
//! rubric item with manual checks, and the same rows per student as `manual.toml`. A row
//! carries what the TA needs to judge the item without opening the report (the automatic
//! checks' verdicts and the manual note), and the `points`/`comment` the TA fills in, already
//! filled where a review was merged (`--manual`), so writing the sheets again keeps the work.

use std::io::{self, Write};

use super::gradebook::csv;
use crate::grading::Graded;
use crate::grading::checks::CheckStatus;
use crate::grading::manual::{ManualScores, Review, row_id};
use crate::grading::points::ItemGrade;
use crate::task::TaskSpec;

/// The longest a single check's message gets in the evidence cell.
const MESSAGE_CHARS: usize = 160;

/// One student × item row.
#[derive(Debug, Clone)]
pub(crate) struct SheetRow {
    pub(crate) id: String,
    pub(crate) student: String,
    pub(crate) name: String,
    pub(crate) student_id: String,
    pub(crate) item: String,
    pub(crate) title: String,
    pub(crate) max_points: u32,
    pub(crate) evidence: String,
    pub(crate) review: Review,
}

/// The rows of one graded submission, in rubric order.
pub(crate) fn rows(g: &Graded, tasks: &[TaskSpec], scores: &ManualScores) -> Vec<SheetRow> {
    crate::grading::manual::manual_items(&g.grade, tasks)
        .into_iter()
        .map(|(t, item, max)| {
            let graded = g.grade.task(&t.id).and_then(|tg| tg.item(&item.id));
            SheetRow {
                id: row_id(&g.submission, &item.id),
                student: g.submission.clone(),
                name: g.identity.name.clone().unwrap_or_default(),
                student_id: g.identity.student_id.clone().unwrap_or_default(),
                item: item.id.clone(),
                title: item.title.clone(),
                max_points: max,
                evidence: graded.map(evidence).unwrap_or_default(),
                review: scores
                    .get(&g.submission, &item.id)
                    .cloned()
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The item's automatic verdicts (✓/✗/!) and its manual note, in one short line.
pub(crate) fn evidence(item: &ItemGrade) -> String {
    item.checks
        .iter()
        .map(|c| {
            let message = shorten(&c.message);
            match c.status {
                // A hand-in check that fell to the TA: what to look for, by its check id.
                CheckStatus::Manual if c.id != "manual" => {
                    format!("? {}: to judge from the hand-in", c.id)
                }
                CheckStatus::Manual => message,
                CheckStatus::Pass => format!("✓ {message}"),
                CheckStatus::Fail => format!("✗ {message}"),
                CheckStatus::Error => format!("! {message}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn shorten(s: &str) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MESSAGE_CHARS {
        flat
    } else {
        let cut: String = flat.chars().take(MESSAGE_CHARS - 1).collect();
        format!("{cut}…")
    }
}

const CSV_HEADER: [&str; 10] = [
    "id",
    "student",
    "name",
    "student_id",
    "item",
    "title",
    "max_points",
    "evidence",
    "points",
    "comment",
];

/// `manual.csv` (RFC 4180; cells from students are guarded against spreadsheet formulas).
pub(crate) fn write_csv(rows: &[SheetRow], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", CSV_HEADER.join(","))?;
    for r in rows {
        let cells = [
            csv(&r.id),
            csv(&r.student),
            csv(&r.name),
            csv(&r.student_id),
            csv(&r.item),
            csv(&r.title),
            r.max_points.to_string(),
            csv(&r.evidence),
            r.review.points.map(|p| p.to_string()).unwrap_or_default(),
            csv(&r.review.comment),
        ];
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// One student's `manual.toml`.
pub(crate) fn write_toml(student: &str, rows: &[SheetRow], out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "# Review sheet for one hand-in. For each item fill in `points` (whole points, 0 to\n\
         # max_points; \"\" while not reviewed) and `comment`, then run the same harness command\n\
         # again with `--manual REPORTS` (REPORTS: the --out folder, the one with manual.csv).\n\
         # Only `student`, `item`, `points` and `comment` are read; the rest is for you."
    )?;
    writeln!(out, "student = {}", toml_str(student))?;
    if let Some(first) = rows.first() {
        writeln!(out, "name = {}", toml_str(&first.name))?;
        writeln!(out, "student_id = {}", toml_str(&first.student_id))?;
    }
    for r in rows {
        writeln!(out)?;
        writeln!(out, "[[items]]")?;
        writeln!(out, "id = {}", toml_str(&r.id))?;
        writeln!(out, "item = {}", toml_str(&r.item))?;
        writeln!(out, "title = {}", toml_str(&r.title))?;
        writeln!(out, "max_points = {}", r.max_points)?;
        writeln!(out, "evidence = {}", toml_str(&r.evidence))?;
        match r.review.points {
            Some(p) => writeln!(out, "points = {p}")?,
            None => writeln!(out, "points = \"\"")?,
        }
        writeln!(out, "comment = {}", toml_str(&r.review.comment))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grading::manual;

    fn row(points: Option<u32>, comment: &str) -> SheetRow {
        SheetRow {
            id: "=a/x".into(),
            student: "=a".into(),
            name: "Ann, \"A\"".into(),
            student_id: "64".into(),
            item: "x".into(),
            title: "X".into(),
            max_points: 5,
            evidence: "✓ ok; for the TA: look".into(),
            review: Review {
                points,
                comment: comment.into(),
            },
        }
    }

    #[test]
    fn sheets_read_back_as_written() {
        let rows = [row(None, ""), row(Some(4), "good,\n\"mostly\"")];
        let mut buf = Vec::new();
        write_csv(&rows, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manual.csv");
        std::fs::write(&path, &text).unwrap();
        let back = manual::read(&path).unwrap();
        let got: Vec<_> = back
            .iter()
            .map(|r| (r.student.as_str(), r.item.as_str(), r.review.clone()))
            .collect();
        assert_eq!(got[0], ("=a", "x", Review::default()));
        assert_eq!(got[1].2, rows[1].review);

        let mut buf = Vec::new();
        write_toml("=a", &rows, &mut buf).unwrap();
        let path = dir.path().join("manual.toml");
        std::fs::write(&path, &buf).unwrap();
        let back = manual::read(&path).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].review, rows[1].review);
        assert_eq!(back[1].student, "=a");
    }

    #[test]
    fn long_messages_are_shortened() {
        let s = shorten(&"word ".repeat(100));
        assert_eq!(s.chars().count(), MESSAGE_CHARS);
        assert!(s.ends_with('…'));
    }
}
