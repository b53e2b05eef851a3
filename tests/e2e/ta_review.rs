//! The TA's part: review sheets written by `check --out`, filled in and merged back with
//! `--manual`, validated before anything is written, kept across reruns; and the rubric's
//! scaled total (`scale_to`), on the fixture class made by the real Python MLflow client.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness_e2e::{digests, harness_bin};

/// Rubric items with manual checks in the shipped task files (wine 3, mnist 3, overall 3).
const MANUAL_ITEMS: usize = 4;

fn submissions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/submissions")
}

fn students() -> usize {
    std::fs::read_dir(submissions()).unwrap().count()
}

/// `harness check --task all --submissions <fixtures> --out <out> --quiet <extra…>`.
fn check_class(out: &Path, extra: &[&str]) -> Output {
    Command::new(harness_bin())
        .args(["check", "--task", "all", "--submissions"])
        .arg(submissions())
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&read(p)).unwrap()
}

/// Fills the `points` and `comment` cells (the last two, empty as written) of the row `id`.
fn fill(sheet: &Path, id: &str, points: &str, comment: &str) {
    let text = read(sheet);
    let mut found = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with(&format!("{id},")) {
                found = true;
                let stem = l
                    .strip_suffix(",,")
                    .unwrap_or_else(|| panic!("not empty: {l}"));
                format!("{stem},{points},\"{}\"", comment.replace('"', "\"\""))
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(found, "no row {id} in {}", sheet.display());
    std::fs::write(sheet, lines.join("\n") + "\n").unwrap();
}

/// The gradebook cell of `student` under `column`.
fn gradebook_cell(out: &Path, student: &str, column: &str) -> String {
    let text = read(&out.join("gradebook.csv"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == column).unwrap();
    let row = lines
        .find(|l| l.starts_with(&format!("{student},")))
        .unwrap();
    // The fixtures' names hold no commas, and the columns up to `problem` are plain.
    row.split(',').nth(col).unwrap().to_string()
}

#[test]
fn check_out_writes_a_review_sheet_row_per_student_and_manual_item() {
    let out = tempfile::tempdir().unwrap();
    let o = check_class(out.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));

    let csv = read(&out.path().join("manual.csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,student,name,student_id,item,title,max_points,evidence,points,comment"
    );
    assert_eq!(lines.len(), 1 + students() * MANUAL_ITEMS, "{csv}");
    let row = |id: &str| *lines.iter().find(|l| l.starts_with(id)).unwrap();
    // An item with automatic checks beside its manual one: their verdicts, then the note.
    let shots = row("perfect/overall.screenshots,");
    assert!(
        shots.starts_with("perfect/overall.screenshots,perfect,นักศึกษา ตัวอย่าง,6400000000,overall.screenshots,MLflow UI screenshots,2,"),
        "{shots}"
    );
    assert!(
        shots.contains("✗ 0 image(s) in the hand-in")
            && shots.contains("for the TA: the screenshots show")
            && shots.ends_with(",,"),
        "{shots}"
    );
    // A store that could not be read still gets its rows.
    let broken = row("corrupted/wine.code_quality,");
    assert!(broken.contains(",10,"), "{broken}");
    assert!(row("perfect/overall.organization,").contains(",10,\"for the TA: well structured"));
    // Every fully automatic item is absent.
    assert!(!csv.contains("/wine.model1,"), "{csv}");

    // The same rows per student, as TOML to edit by hand.
    let toml = read(&out.path().join("perfect/manual.toml"));
    assert_eq!(toml.matches("[[items]]").count(), MANUAL_ITEMS, "{toml}");
    assert!(
        toml.contains("student = \"perfect\"")
            && toml.contains("id = \"perfect/overall.screenshots\"")
            && toml.contains("max_points = 2")
            && toml.contains("points = \"\""),
        "{toml}"
    );
}

#[test]
fn the_scaled_total_is_in_every_output() {
    let out = tempfile::tempdir().unwrap();
    check_class(out.path(), &[]);
    let p = out.path();
    // perfect: 52/70 + 52/70 + 0/30 raw; scaled 30.61/41.2 + 30.61/41.2 + 0/17.6.
    assert_eq!(gradebook_cell(p, "perfect", "points"), "104");
    assert_eq!(gradebook_cell(p, "perfect", "max_points"), "170");
    assert_eq!(gradebook_cell(p, "perfect", "scaled"), "61.22");
    assert_eq!(gradebook_cell(p, "perfect", "scaled_max"), "100");
    assert_eq!(gradebook_cell(p, "corrupted", "scaled"), "0");

    let results = json(&p.join("perfect/results.json"));
    assert_eq!(results["points"], 104);
    assert_eq!(results["scaled"]["points"].as_f64(), Some(61.22));
    assert_eq!(results["scaled"]["max_points"].as_f64(), Some(100.0));
    assert_eq!(
        results["tasks"][0]["scaled"]["max_points"].as_f64(),
        Some(41.2)
    );

    let gs = json(&p.join("perfect/gradescope-results.json"));
    assert_eq!(
        (gs["score"].as_f64(), gs["max_score"].as_f64()),
        (Some(61.22), Some(100.0)),
        "Gradescope gets the scaled score"
    );
    assert!(gs["output"].as_str().unwrap().contains("104/170"), "{gs}");

    let md = read(&p.join("perfect/report.md"));
    assert!(
        md.contains("**Score: 104 / 170 (61.2 %), scaled: 61.22/100**"),
        "{md}"
    );
    assert!(md.contains("### Overall: 0 / 30 (scaled 0/17.6)"), "{md}");
    let html = read(&p.join("perfect/report.html"));
    assert!(
        html.contains("<span id=\"scaled\">61.22&#x2F;100</span>"),
        "{html}"
    );
    let class = read(&p.join("report.md"));
    assert!(
        class.contains("| 104 / 170 | 61.2 % | 61.22/100 |"),
        "{class}"
    );
}

#[test]
fn a_filled_sheet_is_merged_into_every_output() {
    let out = tempfile::tempdir().unwrap();
    let p = out.path();
    check_class(p, &[]);
    let sheet = p.join("manual.csv");
    fill(
        &sheet,
        "perfect/overall.organization",
        "7",
        "both tables, no summary",
    );
    fill(&sheet, "perfect/wine.code_quality", "5", "");
    fill(
        &sheet,
        "staging-v1/overall.screenshots",
        "",
        "screenshots missing?",
    );
    let o = check_class(p, &["--manual", sheet.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));

    // 104 automatic + 7 + 5.
    assert_eq!(gradebook_cell(p, "perfect", "points"), "116");
    assert_eq!(gradebook_cell(p, "perfect", "overall.organization"), "7");
    assert_eq!(gradebook_cell(p, "perfect", "wine.code_quality"), "5");
    // wine 57/70 → 33.55, mnist 52/70 → 30.61, overall 7/30 → 4.11.
    assert_eq!(gradebook_cell(p, "perfect", "scaled"), "68.27");
    // A comment without points is "not reviewed yet": nothing changes.
    assert_eq!(gradebook_cell(p, "staging-v1", "points"), "104");

    let results = json(&p.join("perfect/results.json"));
    let overall = &results["tasks"][2];
    assert_eq!(overall["points"], 7);
    let tables = &overall["items"][2];
    assert_eq!(tables["id"], "overall.organization");
    assert_eq!(tables["status"], "partial");
    assert_eq!(tables["ta"]["points"], 7);
    assert_eq!(tables["ta"]["max_points"], 10);
    assert_eq!(tables["ta"]["comment"], "both tables, no summary");
    assert_eq!(results["tasks"][0]["items"][6]["status"], "partial");

    let gs = json(&p.join("perfect/gradescope-results.json"));
    assert_eq!(gs["score"].as_f64(), Some(68.27));
    let test = gs["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "overall · Code organization")
        .unwrap();
    assert_eq!(test["score"].as_f64(), Some(7.0));
    assert!(
        test["output"]
            .as_str()
            .unwrap()
            .contains("TA: 7/10 — both tables, no summary"),
        "{test}"
    );

    let md = read(&p.join("perfect/report.md"));
    assert!(
        md.contains("| Code organization (`overall.organization`) | 7 | 10 | partial | 7 / 10 — both tables, no summary |"),
        "{md}"
    );
    let html = read(&p.join("perfect/report.html"));
    assert!(
        html.contains("TA: 7/10 — both tables, no summary"),
        "{html}"
    );
    // The sheets written again carry the review over.
    let again = read(&sheet);
    assert!(
        again.contains(",7,\"both tables, no summary\"\n")
            && again.contains(",,screenshots missing?\n"),
        "{again}"
    );
    let toml = read(&p.join("perfect/manual.toml"));
    assert!(
        toml.contains("points = 7\ncomment = \"both tables, no summary\""),
        "{toml}"
    );
}

#[test]
fn per_student_toml_sheets_merge_from_the_reports_folder() {
    let out = tempfile::tempdir().unwrap();
    let p = out.path();
    check_class(p, &[]);
    let toml_path = p.join("missing-tags/manual.toml");
    let toml = read(&toml_path).replacen(
        "id = \"missing-tags/overall.organization\"",
        "id = \"missing-tags/overall.organization\"\n# edited by hand",
        1,
    );
    // Fill the last item (overall.organization): its `points = ""` is the last one.
    let at = toml.rfind("points = \"\"").unwrap();
    let toml = format!(
        "{}points = 9{}",
        &toml[..at],
        &toml[at + "points = \"\"".len()..]
    );
    std::fs::write(&toml_path, toml).unwrap();
    let o = check_class(p, &["--manual", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        gradebook_cell(p, "missing-tags", "overall.organization"),
        "9"
    );
    assert_eq!(gradebook_cell(p, "missing-tags", "points"), "109");
    // …and the class sheet now holds it too.
    assert!(
        read(&p.join("manual.csv"))
            .lines()
            .any(|l| l.starts_with("missing-tags/overall.organization,") && l.ends_with(",9,")),
    );
}

#[test]
fn reviews_survive_reruns_and_are_never_blanked() {
    let out = tempfile::tempdir().unwrap();
    let p = out.path();
    check_class(p, &[]);
    let sheet = p.join("manual.csv");
    fill(&sheet, "perfect/mnist.code_quality", "8", "tidy");

    // Without --manual the filled sheet would be overwritten blank: refused, nothing written.
    let before = digests(p);
    let o = check_class(p, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("manual.csv line")
            && err.contains("`perfect/mnist.code_quality`")
            && err.contains("--manual"),
        "{err}"
    );
    assert_eq!(digests(p), before, "a refused run wrote something");

    // Merged, then rerun from either copy: the review stays.
    for source in [sheet.clone(), p.to_path_buf(), sheet.clone()] {
        let o = check_class(p, &["--manual", source.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert_eq!(gradebook_cell(p, "perfect", "mnist.code_quality"), "8");
        assert!(read(&sheet).contains(",8,tidy\n"));
        assert!(read(&p.join("perfect/manual.toml")).contains("points = 8\ncomment = \"tidy\""));
    }
}

#[test]
fn bad_review_rows_exit_2_name_the_row_and_change_nothing() {
    let out = tempfile::tempdir().unwrap();
    let p = out.path();
    check_class(p, &[]);
    let header = "id,student,name,student_id,item,title,max_points,evidence,points,comment";
    for (rows, want) in [
        (
            "nobody/wine.code_quality,nobody,,,wine.code_quality,,10,,2,",
            "line 2: no graded submission is named `nobody`",
        ),
        (
            "perfect/wine.model1,perfect,,,wine.model1,,10,,2,",
            "line 2: `wine.model1` is not a rubric item with manual checks",
        ),
        (
            "perfect/wine.code_quality,perfect,,,wine.code_quality,,10,,,\nperfect/overall.screenshots,perfect,,,overall.screenshots,,2,,6,",
            "line 3: `perfect/overall.screenshots`: 6 points is more than the 2",
        ),
        (
            "perfect/wine.code_quality,perfect,,,wine.code_quality,,10,,three,",
            "line 2: `perfect/wine.code_quality`: points `three` is not a number",
        ),
        (
            "perfect/wine.code_quality,perfect,,,wine.code_quality,,10,,-1,",
            "line 2: `perfect/wine.code_quality`: points `-1` is negative",
        ),
        (
            "perfect/wine.code_quality,perfect,,,wine.code_quality,,10,,2.5,",
            "line 2: `perfect/wine.code_quality`: points `2.5`: whole points only",
        ),
        (
            "perfect/wine.code_quality,perfect,,,wine.code_quality,,10,,2,\nperfect/wine.code_quality,perfect,,,wine.code_quality,,10,,3,",
            "line 3: `perfect/wine.code_quality` is reviewed twice (first at",
        ),
    ] {
        let sheet = p.join("manual.csv");
        std::fs::write(&sheet, format!("{header}\n{rows}\n")).unwrap();
        let before = digests(p);
        let o = check_class(p, &["--manual", sheet.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{rows}: {err}");
        assert!(
            err.contains(&format!("{} {want}", sheet.display())),
            "{rows}: {err}"
        );
        assert_eq!(digests(p), before, "{rows}: an output file changed");
    }
    // A review sheet that does not exist is a usage error before any grading.
    let o = check_class(p, &["--manual", "/nonexistent/manual.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--manual /nonexistent/manual.csv: no such file"));
}

#[test]
fn grade_a_class_writes_and_merges_review_sheets_too() {
    let out = tempfile::tempdir().unwrap();
    let p = out.path();
    let grade = |extra: &[&str]| {
        Command::new(harness_bin())
            .args(["grade", "--quiet", "--submissions"])
            .arg(submissions())
            .arg("--out")
            .arg(p)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = grade(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let sheet = p.join("manual.csv");
    fill(&sheet, "perfect/overall.organization", "10", "");
    let o = grade(&["--manual", sheet.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("perfect: 114/170 points (scaled: 67.09/100)"),
        "{stdout}"
    );
    assert_eq!(gradebook_cell(p, "perfect", "overall.organization"), "10");
}

/// `harness check --task all --store <perfect's mlflow.db> --out <out> --quiet <extra…>`: a lone
/// store, so the hand-in checks fall to the TA.
fn check_lone_store(out: &Path, extra: &[&str]) -> Output {
    Command::new(harness_bin())
        .args(["check", "--task", "all", "--store"])
        .arg(submissions().join("perfect/mlflow.db"))
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn hand_in_checks_that_fall_to_the_ta_get_review_rows_and_merge() {
    let out = tempfile::tempdir().unwrap();
    let p = out.path();
    let o = check_lone_store(p, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = read(&p.join("manual.csv"));
    let row = |id: &str| {
        csv.lines()
            .find(|l| l.starts_with(&format!("perfect/{id},")))
            .unwrap_or_else(|| panic!("no row {id}: {csv}"))
            .to_string()
    };
    // The rubric's manual items, and every item with a hand-in check nobody could read, worth
    // what those checks weigh: wine.data's three one-point code/printing checks, the loading
    // item's 1 + 2 + 2, all of the screenshots (8 + the TA's 2) and both tables.
    for (item, max) in [
        ("wine.data", 3),
        ("wine.loading", 5),
        ("wine.code_quality", 10),
        ("mnist.data", 3),
        ("mnist.loading", 5),
        ("overall.screenshots", 10),
        ("overall.tables", 10),
        ("overall.organization", 10),
    ] {
        assert!(
            row(item).contains(&format!(",{max},")),
            "{item}: {}",
            row(item)
        );
    }
    assert_eq!(csv.lines().count(), 1 + 9, "{csv}");
    let loading = row("wine.loading");
    assert!(
        loading.contains("? model_loaded:champion: to judge from the hand-in")
            && loading.contains("? predictions_shown"),
        "{loading}"
    );

    // Scored and merged like the rubric's manual items; over the fallen checks' weight is refused.
    let sheet = p.join("manual.csv");
    fill(&sheet, "perfect/wine.loading", "6", "");
    let before = digests(p);
    let o = check_lone_store(p, &["--manual", sheet.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("`perfect/wine.loading`: 6 points is more than the 5"),
        "{}",
        stderr(&o)
    );
    assert_eq!(digests(p), before);
    // Fresh sheets, filled within bounds.
    let o = check_lone_store(p, &[]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "the filled sheet is kept: {}",
        stderr(&o)
    );
    std::fs::remove_file(&sheet).unwrap();
    std::fs::remove_file(p.join("manual.toml")).unwrap();
    check_lone_store(p, &[]);
    fill(
        &sheet,
        "perfect/wine.loading",
        "5",
        "loads @champion, 10 predictions",
    );
    fill(&sheet, "perfect/overall.tables", "10", "");
    let o = check_lone_store(p, &["--manual", sheet.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let results = json(&p.join("results.json"));
    let wine = &results["tasks"][0];
    let loading = wine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "wine.loading")
        .unwrap();
    // alias_loadable's 5 automatic points plus the TA's 5.
    assert_eq!(loading["points"], 10, "{loading}");
    assert_eq!(loading["ta"]["max_points"], 5, "{loading}");
    assert_eq!(results["points"], 104 + 5 + 10, "{results}");
    // The rewritten sheet keeps the review.
    assert!(read(&sheet).contains(",5,\"loads @champion, 10 predictions\"\n"));
}
