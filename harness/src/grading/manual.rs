//! A TA's scores for the rubric's manual checks.
//!
//! `check --out DIR` writes the review sheets: `DIR/manual.csv` (one row per student × rubric
//! item with manual checks) and the same rows per student in `DIR/<student>/manual.toml`. A TA
//! fills in `points` (whole points, `0..=max_points`) and `comment` in either, and
//! `--manual FILE|DIR` reads them back: [`read`] parses, [`validate`] checks every row against
//! the graded class and the rubric (all of it, before anything is written), [`apply`] merges
//! the scores into the grades. An empty `points` cell means "not reviewed yet".
//!
//! [`read_out_dir`] and [`would_lose`] keep a TA's work safe when the sheets are written again:
//! a filled row that the new sheets would drop or blank stops the run instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Graded;
use super::checks::CheckStatus;
use super::points::{Grade, TaScore};
use crate::task::{RubricItem, TaskSpec};

/// The class-wide review sheet's file name.
pub(crate) const MANUAL_CSV: &str = "manual.csv";
/// Each student's review sheet, in their report folder.
pub(crate) const MANUAL_TOML: &str = "manual.toml";

/// What is wrong with a review sheet; every variant names the file, and the line where one is
/// known. All are usage errors (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ManualError {
    #[error("--manual {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "--manual {path}: no {MANUAL_TOML} in this folder or its sub-folders (give a {MANUAL_CSV} file instead)"
    )]
    Empty { path: PathBuf },
    #[error("{path} line {line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// Writing the sheets again would drop or blank a TA's filled row.
    #[error(
        "{path} line {line} holds a TA's review of `{id}` that writing the review sheets again \
         would {what}; merge it with --manual {path} and run again (or move the file away)"
    )]
    WouldLose {
        path: PathBuf,
        line: usize,
        id: String,
        what: &'static str,
    },
    /// A sheet already in `--out` that cannot be read: it may hold a TA's work.
    #[error(
        "{path} is in the way: it cannot be read as a review sheet, and it may hold a TA's scores, \
         so it is not overwritten (fix it or move it away): {source}"
    )]
    Unreadable {
        path: PathBuf,
        #[source]
        source: Box<ManualError>,
    },
}

/// One row of a review sheet as read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) path: PathBuf,
    pub(crate) line: usize,
    pub(crate) student: String,
    pub(crate) item: String,
    pub(crate) review: Review,
}

/// What a TA wrote for one student's item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Review {
    /// `None`: not reviewed yet.
    pub(crate) points: Option<u32>,
    pub(crate) comment: String,
}

impl Review {
    pub(crate) fn is_filled(&self) -> bool {
        self.points.is_some() || !self.comment.trim().is_empty()
    }
}

/// Validated reviews by (student, item id).
#[derive(Debug, Clone, Default)]
pub(crate) struct ManualScores {
    reviews: BTreeMap<(String, String), Review>,
}

impl ManualScores {
    pub(crate) fn get(&self, student: &str, item: &str) -> Option<&Review> {
        self.reviews.get(&(student.to_string(), item.to_string()))
    }
}

/// The stable id of a row: `<student>/<item id>`.
pub(crate) fn row_id(student: &str, item: &str) -> String {
    format!("{student}/{item}")
}

/// The items a TA scores for one graded submission and what their manual part is worth: the
/// rubric's manual checks, plus the checks that fell to the TA in this grading (hand-in checks
/// when a live server or a lone store was graded, with no notebook or screenshots to read).
/// In rubric order.
pub(crate) fn manual_items<'t>(
    grade: &Grade,
    tasks: &'t [TaskSpec],
) -> Vec<(&'t TaskSpec, &'t RubricItem, u32)> {
    tasks
        .iter()
        .flat_map(|t| t.rubric.iter().map(move |item| (t, item)))
        .filter_map(|(t, item)| {
            let graded = grade.task(&t.id).and_then(|tg| tg.item(&item.id));
            let to_ta = |(i, c): (usize, &crate::task::CheckSpec)| {
                c.is_manual()
                    || graded
                        .and_then(|g| g.checks.get(i))
                        .is_some_and(|r| r.status == CheckStatus::Manual)
            };
            let checks: Vec<_> = item
                .checks
                .iter()
                .enumerate()
                .filter(|&ic| to_ta(ic))
                .collect();
            (!checks.is_empty()).then(|| (t, item, checks.iter().map(|(_, c)| c.weight()).sum()))
        })
        .collect()
}

/// Each graded submission's manual items and their worth, by item id.
fn manual_by_student<'g>(
    graded: &'g [Graded],
    tasks: &[TaskSpec],
) -> BTreeMap<&'g str, BTreeMap<String, (String, u32)>> {
    graded
        .iter()
        .map(|g| {
            let items = manual_items(&g.grade, tasks)
                .into_iter()
                .map(|(t, i, max)| (i.id.clone(), (t.id.clone(), max)))
                .collect();
            (g.submission.as_str(), items)
        })
        .collect()
}

/// Reads a review sheet: a `.toml` file, any other file as CSV, or a folder's `manual.toml`
/// and `*/manual.toml` files.
pub(crate) fn read(path: &Path) -> Result<Vec<Row>, ManualError> {
    let io = |source| ManualError::Io {
        path: path.to_path_buf(),
        source,
    };
    if path.is_dir() {
        let files = toml_files(path).map_err(io)?;
        if files.is_empty() {
            return Err(ManualError::Empty {
                path: path.to_path_buf(),
            });
        }
        let mut rows = Vec::new();
        for f in files {
            rows.extend(read_file(&f)?);
        }
        Ok(rows)
    } else {
        read_file(path)
    }
}

/// `dir/manual.toml` and `dir/*/manual.toml`, sorted.
fn toml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if dir.join(MANUAL_TOML).is_file() {
        files.push(dir.join(MANUAL_TOML));
    }
    let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path().join(MANUAL_TOML))
        .filter(|p| p.is_file())
        .collect();
    subs.sort();
    files.extend(subs);
    Ok(files)
}

fn read_file(path: &Path) -> Result<Vec<Row>, ManualError> {
    let text = std::fs::read_to_string(path).map_err(|source| ManualError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if path.extension().is_some_and(|e| e == "toml") {
        parse_toml(&text, path)
    } else {
        parse_csv(&text, path)
    }
}

/// The filled rows of the review sheets a previous run left in `dir` (`manual.csv` and the
/// per-student `manual.toml` files). A sheet that cannot be read is an error: it may hold work.
pub(crate) fn read_out_dir(dir: &Path) -> Result<Vec<Row>, ManualError> {
    let mut files = Vec::new();
    if dir.join(MANUAL_CSV).is_file() {
        files.push(dir.join(MANUAL_CSV));
    }
    if dir.is_dir() {
        files.extend(toml_files(dir).map_err(|source| ManualError::Io {
            path: dir.to_path_buf(),
            source,
        })?);
    }
    let mut rows = Vec::new();
    for f in files {
        let read = read_file(&f).map_err(|e| ManualError::Unreadable {
            path: f.clone(),
            source: Box::new(e),
        })?;
        rows.extend(read.into_iter().filter(|r| r.review.is_filled()));
    }
    Ok(rows)
}

/// Checks every row against the graded class and the rubric: a known student, an item with
/// manual checks, points within that item's manual weight, each (student, item) once.
pub(crate) fn validate(
    rows: &[Row],
    graded: &[Graded],
    tasks: &[TaskSpec],
) -> Result<ManualScores, ManualError> {
    let manual = manual_by_student(graded, tasks);
    let mut seen: BTreeMap<(String, String), &Row> = BTreeMap::new();
    let mut scores = ManualScores::default();
    for r in rows {
        let invalid = |message: String| ManualError::Invalid {
            path: r.path.clone(),
            line: r.line,
            message,
        };
        let Some(items) = manual.get(r.student.as_str()) else {
            return Err(invalid(format!(
                "no graded submission is named `{}` (graded: {})",
                r.student,
                listing(manual.keys().copied())
            )));
        };
        let Some(&(_, max)) = items.get(r.item.as_str()) else {
            return Err(invalid(format!(
                "`{}` is not a rubric item with manual checks for `{}` (those are: {})",
                r.item,
                r.student,
                listing(items.keys().map(String::as_str))
            )));
        };
        let id = row_id(&r.student, &r.item);
        if let Some(p) = r.review.points
            && p > max
        {
            return Err(invalid(format!(
                "`{id}`: {p} points is more than the {max} its manual checks are worth"
            )));
        }
        let key = (r.student.clone(), r.item.clone());
        if let Some(first) = seen.get(&key) {
            return Err(invalid(format!(
                "`{id}` is reviewed twice (first at {} line {})",
                first.path.display(),
                first.line
            )));
        }
        seen.insert(key.clone(), r);
        scores.reviews.insert(key, r.review.clone());
    }
    Ok(scores)
}

fn listing<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.len() {
        0 => "none".into(),
        n if n > 8 => format!("{}, … ({n} in all)", names[..8].join(", ")),
        _ => names.join(", "),
    }
}

/// Merges the reviewed points into the grades (items without points stay pending) and sums
/// the grades again.
pub(crate) fn apply(scores: &ManualScores, graded: &mut [Graded], tasks: &[TaskSpec]) {
    for g in graded.iter_mut() {
        let manual: BTreeMap<String, (String, u32)> = manual_items(&g.grade, tasks)
            .into_iter()
            .map(|(t, i, max)| (i.id.clone(), (t.id.clone(), max)))
            .collect();
        let mut changed = false;
        for ((student, item), review) in &scores.reviews {
            let (Some(points), true) = (review.points, *student == g.submission) else {
                continue;
            };
            let Some((task, max)) = manual.get(item.as_str()) else {
                continue;
            };
            let (task, max) = (task.as_str(), *max);
            if let Some(i) = g.grade.task_mut(task).and_then(|t| t.item_mut(item)) {
                i.set_ta(TaScore {
                    points,
                    max_points: max,
                    comment: review.comment.trim().to_string(),
                });
                changed = true;
            }
        }
        if changed {
            g.grade.total(tasks);
        }
    }
}

/// The first filled row of an existing sheet that the new sheets (written from `scores` for
/// the graded class) would drop or blank, and which of the two. A filled row whose key the new
/// sheets fill too is safe: the sheet given with `--manual` is the truth, the other copy is
/// rewritten from it.
pub(crate) fn would_lose(
    existing: &[Row],
    graded: &[Graded],
    tasks: &[TaskSpec],
    scores: &ManualScores,
) -> Option<ManualError> {
    let manual = manual_by_student(graded, tasks);
    existing
        .iter()
        .filter(|r| r.review.is_filled())
        .find_map(|r| {
            let kept = manual
                .get(r.student.as_str())
                .is_some_and(|items| items.contains_key(r.item.as_str()));
            let what = if !kept {
                "drop"
            } else if !scores
                .get(&r.student, &r.item)
                .is_some_and(Review::is_filled)
            {
                "blank"
            } else {
                return None;
            };
            Some(ManualError::WouldLose {
                path: r.path.clone(),
                line: r.line,
                id: row_id(&r.student, &r.item),
                what,
            })
        })
}

/// Whole points from a cell: empty is "not reviewed yet"; negative, fractional or non-numeric
/// values are refused with the reason.
fn parse_points(cell: &str) -> Result<Option<u32>, String> {
    let t = cell.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = t.parse::<u32>() {
        return Ok(Some(n));
    }
    match t.parse::<f64>() {
        Ok(x) if !x.is_finite() => Err(format!("points `{t}` is not a number")),
        Ok(x) if x < 0.0 => Err(format!(
            "points `{t}` is negative (points go from 0 to the item's maximum)"
        )),
        Ok(x) if x.fract() != 0.0 => Err(format!(
            "points `{t}`: whole points only (the rubric's weights are whole points)"
        )),
        Ok(x) if x <= f64::from(u32::MAX) => Ok(Some(x as u32)),
        Ok(_) => Err(format!("points `{t}` is far too large")),
        Err(_) => Err(format!("points `{t}` is not a number")),
    }
}

// ----- CSV

/// A CSV record and the line it starts on.
type Record = (usize, Vec<String>);

/// Reads RFC 4180 CSV (quoted cells may hold commas, quotes and line breaks; a byte-order
/// mark and CRLF are accepted) into records with the line each starts on; blank lines are
/// skipped.
fn csv_records(text: &str) -> Result<Vec<Record>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    let mut end_record = |fields: &mut Vec<String>, field: &mut String, start: usize| {
        fields.push(std::mem::take(field));
        let record = std::mem::take(fields);
        if !(record.len() == 1 && record[0].is_empty()) {
            records.push((start, record));
        }
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                end_record(&mut fields, &mut field, start);
                line += 1;
                start = line;
            }
            c => field.push(c),
        }
    }
    if quoted {
        return Err((start, "a quoted cell is never closed".into()));
    }
    end_record(&mut fields, &mut field, start);
    Ok(records)
}

/// A cell as the gradebook writer guards it against spreadsheet formulas (`'=…`), unguarded.
fn unguard(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => cell.to_string(),
    }
}

fn parse_csv(text: &str, path: &Path) -> Result<Vec<Row>, ManualError> {
    let invalid = |line: usize, message: String| ManualError::Invalid {
        path: path.to_path_buf(),
        line,
        message,
    };
    let records = csv_records(text).map_err(|(line, m)| invalid(line, m))?;
    let Some(((header_line, header), body)) = records.split_first() else {
        return Err(invalid(1, "empty file: expected a header row".into()));
    };
    let column = |name: &str| -> Result<usize, ManualError> {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                invalid(
                    *header_line,
                    format!(
                        "no `{name}` column (the header must name student, item, points and comment)"
                    ),
                )
            })
    };
    let (student, item, points, comment) = (
        column("student")?,
        column("item")?,
        column("points")?,
        column("comment")?,
    );
    body.iter()
        .map(|(line, cells)| {
            let cell = |i: usize| cells.get(i).map(String::as_str).unwrap_or("");
            Ok(Row {
                path: path.to_path_buf(),
                line: *line,
                student: unguard(cell(student).trim()),
                item: cell(item).trim().to_string(),
                review: Review {
                    points: parse_points(cell(points)).map_err(|m| {
                        invalid(
                            *line,
                            format!(
                                "`{}`: {m}",
                                row_id(&unguard(cell(student).trim()), cell(item).trim())
                            ),
                        )
                    })?,
                    comment: cell(comment).trim().to_string(),
                },
            })
        })
        .collect()
}

// ----- TOML

/// `manual.toml`: one student's rows. The informational keys (`name`, `title`, `evidence`, …)
/// are what the writer puts there; only `student`, `item`, `points` and `comment` are read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlSheet {
    student: String,
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    student_id: Option<String>,
    #[serde(default)]
    items: Vec<toml::Spanned<TomlItem>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TomlItem {
    #[serde(default)]
    id: Option<String>,
    item: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    max_points: Option<toml::Value>,
    #[serde(default)]
    evidence: Option<String>,
    #[serde(default)]
    points: Option<toml::Value>,
    #[serde(default)]
    comment: Option<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    1 + text
        .get(..offset)
        .map_or(0, |s| s.bytes().filter(|&b| b == b'\n').count())
}

fn parse_toml(text: &str, path: &Path) -> Result<Vec<Row>, ManualError> {
    let sheet: TomlSheet = toml::from_str(text).map_err(|e| ManualError::Invalid {
        path: path.to_path_buf(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    sheet
        .items
        .iter()
        .map(|spanned| {
            let line = line_of(text, spanned.span().start);
            let it = spanned.get_ref();
            let id = row_id(&sheet.student, &it.item);
            let points = match &it.points {
                None => Ok(None),
                Some(toml::Value::String(s)) => parse_points(s),
                Some(toml::Value::Integer(n)) => parse_points(&n.to_string()),
                Some(toml::Value::Float(x)) => parse_points(&x.to_string()),
                Some(other) => Err(format!("points `{other}` is not a number")),
            }
            .map_err(|m| ManualError::Invalid {
                path: path.to_path_buf(),
                line,
                message: format!("`{id}`: {m}"),
            })?;
            Ok(Row {
                path: path.to_path_buf(),
                line,
                student: sheet.student.clone(),
                item: it.item.clone(),
                review: Review {
                    points,
                    comment: it.comment.clone().unwrap_or_default().trim().to_string(),
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> PathBuf {
        PathBuf::from("manual.csv")
    }

    fn class() -> (Vec<TaskSpec>, Vec<Graded>) {
        let tasks = crate::task::TaskSource::Builtin.resolve("all").unwrap();
        let graded = ["ann", "bob"]
            .iter()
            .map(|n| {
                Graded::new(
                    n.to_string(),
                    super::super::submission::Identity::default(),
                    &tasks,
                    Err("no store".into()),
                    None,
                    super::super::ModelFiles::Local(PathBuf::from(".")),
                )
            })
            .collect();
        (tasks, graded)
    }

    fn row(line: usize, student: &str, item: &str, points: Option<u32>, comment: &str) -> Row {
        Row {
            path: p(),
            line,
            student: student.into(),
            item: item.into(),
            review: Review {
                points,
                comment: comment.into(),
            },
        }
    }

    #[test]
    fn validated_reviews_merge_and_refills_are_safe() {
        let (tasks, mut graded) = class();
        let rows = [
            row(2, "ann", "overall.organization", Some(7), "ok"),
            row(3, "ann", "overall.screenshots", None, "look again"),
            row(4, "bob", "wine.code_quality", Some(5), ""),
        ];
        let scores = validate(&rows, &graded, &tasks).unwrap();
        apply(&scores, &mut graded, &tasks);
        assert_eq!((graded[0].grade.points, graded[1].grade.points), (7, 5));
        // The same filled rows written again: nothing lost.
        assert!(would_lose(&rows, &graded, &tasks, &scores).is_none());
        // Without them: the filled ones would be blanked, the first one is named.
        let err = would_lose(&rows, &graded, &tasks, &ManualScores::default())
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("manual.csv line 2")
                && err.contains("`ann/overall.organization`")
                && err.contains("blank"),
            "{err}"
        );
        // A filled row of a student no longer graded would be dropped.
        let gone = [row(9, "cat", "overall.organization", Some(1), "")];
        let err = would_lose(&gone, &graded, &tasks, &scores)
            .unwrap()
            .to_string();
        assert!(err.contains("line 9") && err.contains("drop"), "{err}");
        // Over the item's manual weight (wine.code_quality is worth 10).
        let err = validate(
            &[row(5, "ann", "wine.code_quality", Some(11), "")],
            &graded,
            &tasks,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 5") && err.contains("more than the 10"),
            "{err}"
        );
        // Graded with no hand-in to read, the screenshot count fell to the TA too: the item's
        // whole 10 points are the TA's, a fully automatic item still is no TA's.
        assert!(
            validate(
                &[row(5, "ann", "overall.screenshots", Some(9), "")],
                &graded,
                &tasks
            )
            .is_ok()
        );
        let err = validate(
            &[row(6, "ann", "wine.model1", Some(1), "")],
            &graded,
            &tasks,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("not a rubric item with manual checks for `ann`"),
            "{err}"
        );
    }

    #[test]
    fn points_are_whole_and_within_reason() {
        assert_eq!(parse_points(" 7 "), Ok(Some(7)));
        assert_eq!(parse_points(""), Ok(None));
        assert_eq!(parse_points("3.0"), Ok(Some(3)));
        for (bad, why) in [
            ("2.5", "whole points"),
            ("-1", "negative"),
            ("seven", "not a number"),
            ("inf", "not a number"),
        ] {
            let e = parse_points(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn csv_rows_keep_their_lines_and_quoted_cells() {
        let text = "\u{feff}id,student,item,points,comment\r\n\
                    a/x,a,x,3,\"fine, mostly\"\r\n\
                    \r\n\
                    b/x,'-b,x,,\"two\nlines\"\n\
                    c/x,c,x,1,\"say \"\"hi\"\"\"\n";
        let rows = parse_csv(text, &p()).unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.student.as_str(),
                    r.review.points,
                    r.review.comment.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (2, "a", Some(3), "fine, mostly"),
                (4, "-b", None, "two\nlines"),
                (6, "c", Some(1), "say \"hi\""),
            ]
        );
    }

    #[test]
    fn csv_errors_name_the_line() {
        let err = parse_csv("student,item,points,comment\na,x,2.5,\n", &p())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("manual.csv line 2: `a/x`"), "{err}");
        let err = parse_csv("student,item,comment\n", &p())
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1") && err.contains("`points`"), "{err}");
        let err = parse_csv("student,item,points,comment\na,x,1,\"open\n", &p())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("never closed"),
            "{err}"
        );
    }

    #[test]
    fn toml_rows_name_their_lines() {
        let text = "student = \"a\"\n\n[[items]]\nitem = \"x\"\npoints = \"\"\n\n[[items]]\nitem = \"y\"\npoints = 4\ncomment = \" ok \"\n";
        let rows = parse_toml(text, Path::new("a/manual.toml")).unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.item.as_str(),
                    r.review.points,
                    r.review.comment.as_str(),
                )
            })
            .collect();
        assert_eq!(got, [(3, "x", None, ""), (7, "y", Some(4), "ok")]);
        let err = parse_toml(
            &text.replace("points = 4", "points = -4"),
            Path::new("m.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("m.toml line 7: `a/y`") && err.contains("negative"),
            "{err}"
        );
        let err = parse_toml(
            &text.replace("points = 4", "pionts = 4"),
            Path::new("m.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("pionts") && err.contains("line 9"), "{err}");
    }
}
