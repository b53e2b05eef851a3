//! The class gradebook: one row per submission, one column per rubric item.

use std::io::{self, Write};

use crate::grading::points::{Grade, number};
use crate::grading::submission::Identity;

/// One graded submission as the gradebook sees it.
#[derive(Debug)]
pub(crate) struct Row<'a> {
    pub submission: &'a str,
    pub identity: &'a Identity,
    /// `None` when grading could not even start (the reason goes in the last column).
    pub grade: Option<&'a Grade>,
    pub problem: Option<&'a str>,
}

/// Writes RFC 4180 CSV; columns are the rubric item ids in rubric order, taken from the first grade.
pub(crate) fn write(rows: &[Row<'_>], out: &mut dyn Write) -> io::Result<()> {
    let columns: Vec<(String, String)> = rows
        .iter()
        .find_map(|r| r.grade)
        .map(|g| {
            g.tasks
                .iter()
                .flat_map(|t| t.items.iter().map(move |i| (t.task.clone(), i.id.clone())))
                .collect()
        })
        .unwrap_or_default();
    let mut header = vec!["submission".to_string(), "name".into(), "student_id".into()];
    // Item ids are unique across tasks (`wine.model1`); prefix only the ones that are not.
    header.extend(columns.iter().map(|(t, i)| {
        if i.starts_with(&format!("{t}.")) {
            i.clone()
        } else {
            format!("{t}.{i}")
        }
    }));
    // Raw rubric points, then the same scaled to the total the task files state (`scale_to`).
    header.extend([
        "points".into(),
        "max_points".into(),
        "scaled".into(),
        "scaled_max".into(),
        "problem".into(),
    ]);
    writeln!(
        out,
        "{}",
        header.iter().map(|h| csv(h)).collect::<Vec<_>>().join(",")
    )?;
    for r in rows {
        let mut cells = vec![
            csv(r.submission),
            csv(r.identity.name.as_deref().unwrap_or("")),
            csv(r.identity.student_id.as_deref().unwrap_or("")),
        ];
        for (task, item) in &columns {
            let points = r
                .grade
                .and_then(|g| g.task(task))
                .and_then(|t| t.item(item))
                .map(|i| i.points.to_string())
                .unwrap_or_default();
            cells.push(points);
        }
        cells.push(r.grade.map(|g| g.points.to_string()).unwrap_or_default());
        cells.push(
            r.grade
                .map(|g| g.max_points.to_string())
                .unwrap_or_default(),
        );
        let scaled = r.grade.and_then(|g| g.scaled);
        cells.push(scaled.map(|s| number(s.points)).unwrap_or_default());
        cells.push(scaled.map(|s| number(s.max_points)).unwrap_or_default());
        cells.push(csv(r.problem.unwrap_or("")));
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}

/// One text cell. Cells come from students (folder names, notebook headers), and a spreadsheet
/// runs a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula (`=HYPERLINK(…)`):
/// such a cell gets a leading `'`, as OWASP's CSV-injection advice says, so it stays text.
pub(crate) fn csv(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_string()
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_fields_that_need_it() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn formula_cells_from_students_stay_text() {
        assert_eq!(csv("=1+1"), "'=1+1");
        assert_eq!(
            csv("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        for c in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv(c).trim_start_matches('"').starts_with('\''), "{c}");
        }
        assert_eq!(csv("Ann-Marie"), "Ann-Marie");
    }

    #[test]
    fn rows_without_a_grade_keep_their_problem() {
        let id = Identity {
            name: Some("Ann".into()),
            student_id: Some("1".into()),
        };
        let mut buf = Vec::new();
        write(
            &[Row {
                submission: "s1",
                identity: &id,
                grade: None,
                problem: Some("broken, db"),
            }],
            &mut buf,
        )
        .unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text.lines().nth(1).unwrap(), "s1,Ann,1,,,,,\"broken, db\"");
    }
}
