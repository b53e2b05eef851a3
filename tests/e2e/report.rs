//! Reports: Markdown snapshots of real fixture stores, the HTML rendered by headless Chromium,
//! MLflow UI screenshots from the shared server, and the class summary.
//!
//! Chromium is required, not optional: `harness_e2e::browser()` installs it when it is missing
//! (and fails with what to install when it cannot), since a test that silently skipped would
//! let a broken HTML report through.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use harness::grading::points::{self as grade, Grade};
use harness::grading::submission::{Identity, Submission};
use harness::mlflow::{KeyValue, NewModelVersion};
use harness::report::{
    self, PredictionRow, PredictionsView, ReportExtras, Screenshot, SubmissionInput, Templates,
    screenshot,
};
use harness::snapshot::Snapshot;
use harness::task::TaskSpec;
use harness_e2e::Scene;

const DATE: &str = "2026-01-15";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/submissions")
}

fn tasks() -> Vec<TaskSpec> {
    TaskSpec::load_all(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks")).unwrap()
}

/// One fixture graded as `harness check` grades it.
struct Fixture {
    name: String,
    identity: Identity,
    grade: Grade,
    snapshot: Option<Snapshot>,
    problem: Option<String>,
}

impl Fixture {
    fn load(root: &Path) -> Fixture {
        let sub = Submission::at(root);
        let snap = sub.snapshot();
        let grade = grade::grade(
            &sub.name,
            &tasks(),
            snap.as_ref().map_err(String::as_str),
            None,
        );
        let (snapshot, problem) = match snap {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        Fixture {
            name: sub.name,
            identity: sub.identity,
            grade,
            snapshot,
            problem,
        }
    }

    fn input(&self) -> SubmissionInput<'_> {
        SubmissionInput {
            submission: &self.name,
            identity: &self.identity,
            grade: &self.grade,
            snapshot: self.snapshot.as_ref(),
            problem: self.problem.as_deref(),
            notes: &[],
            hand_in: None,
            root: None,
        }
    }
}

fn all_fixtures() -> Vec<Fixture> {
    harness::grading::submission::discover(&fixtures(), &[])
        .unwrap()
        .iter()
        .map(|s| Fixture::load(&s.root))
        .collect()
}

fn extras() -> ReportExtras {
    ReportExtras {
        date: DATE.into(),
        ..Default::default()
    }
}

/// Redacts what changes between machines and runs: ids, absolute paths, the harness version.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(
        &regex_escape(&fixtures().display().to_string()),
        "[fixtures]",
    );
    s.add_filter(r"\b[0-9a-f]{32}\b", "[id]");
    // Floats in the checks' evidence, cut to 4 decimals: noise in the last digits (another
    // platform, another libm) must not fail CI.
    s.add_filter(r"(\d+\.\d{4})\d+", "$1");
    s.add_filter(r"\b1[6-9]\d{11}\b", "[timestamp-ms]");
    s.add_filter(r"\d+(\.\d+)?\s?ms\b", "[duration]");
    s.add_filter(
        &regex_escape(&format!("| harness | {} |", harness::VERSION)),
        "| harness | [version] |",
    );
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

fn markdown(f: &Fixture, extras: &ReportExtras) -> String {
    let view = report::view::submission(&tasks(), f.input(), extras);
    let mut out = Vec::new();
    report::render_submission_md(&Templates::embedded().unwrap(), &view, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn report_markdown_snapshots_of_fixture_submissions() {
    for scenario in [
        "perfect",
        "champion-hardcoded-v3",
        "corrupted",
        "accuracy-percent",
    ] {
        let f = Fixture::load(&fixtures().join(scenario));
        let md = markdown(&f, &extras());
        settings().bind(|| insta::assert_snapshot!(format!("report-md-{scenario}"), md));
    }
}

#[test]
fn report_markdown_shows_the_homework_tables() {
    let f = Fixture::load(&fixtures().join("perfect"));
    let md = markdown(&f, &extras());
    assert!(
        md.contains("| Version | Algorithm | Accuracy | F1-Score |"),
        "{md}"
    );
    assert!(
        md.contains("| Version | Architecture | Accuracy | Loss | Parameters | Training Time |"),
        "{md}"
    );
    assert!(md.contains("| Metric | v1 | v2 | v3 |"), "{md}");
    assert!(md.contains("**Champion Model:** v2 RandomForest"), "{md}");
    assert!(md.contains("| @champion | v2 | RandomForest |"), "{md}");
    // Student stores hold no predictions: the report says so instead of inventing any.
    assert!(md.contains("not kept in the MLflow state"), "{md}");
    // Manual rubric items get a blank for the TA.
    assert!(md.contains("____ / 10"), "{md}");

    let hard = Fixture::load(&fixtures().join("champion-hardcoded-v3"));
    let md = markdown(&hard, &extras());
    assert!(
        md.contains("**Champion Model:** v3 GradientBoosting"),
        "{md}"
    );
    assert!(
        md.contains("| @champion | v3 | GradientBoosting | 94.44 % | fail"),
        "{md}"
    );

    let broken = Fixture::load(&fixtures().join("corrupted"));
    let md = markdown(&broken, &extras());
    assert!(md.contains("The MLflow store could not be read"), "{md}");
}

/// Extras as a reference run fills them: predictions, seed, checksums and a screenshot.
fn reference_extras() -> ReportExtras {
    let rows = |n: usize, confidence: bool| {
        (0..n)
            .map(|i| PredictionRow {
                index: i,
                predicted: (i % 3).to_string(),
                actual: if i == 4 {
                    "9".into()
                } else {
                    (i % 3).to_string()
                },
                confidence: confidence.then_some(0.9 + (i as f64) / 1000.0),
                correct: i != 4,
            })
            .collect()
    };
    let mut predictions = BTreeMap::new();
    predictions.insert(
        "wine".to_string(),
        PredictionsView {
            model: "champion (v2 RandomForest) loaded by alias".into(),
            rows: rows(10, false),
            test_accuracy: Some(1.0),
        },
    );
    predictions.insert(
        "mnist".to_string(),
        PredictionsView {
            model: "champion (v3 Deep NN with Dropout) loaded by alias".into(),
            rows: rows(20, true),
            test_accuracy: Some(0.9812),
        },
    );
    ReportExtras {
        date: DATE.into(),
        seed: Some(42),
        data_checksums: vec![("wine_data.csv".into(), "ab".repeat(32))],
        mlflow_versions: vec!["3.17.2".into()],
        tracking_uri: Some("http://127.0.0.1:5000".into()),
        predictions,
        screenshots: vec![Screenshot {
            title: "Registered model wine-quality-classifier".into(),
            png: tiny_png(),
        }],
    }
}

/// A 16×16 two-colour PNG (not blank), for embedding tests.
fn tiny_png() -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, 16, 16);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    let data: Vec<u8> = (0..16 * 16)
        .flat_map(|i| if i % 2 == 0 { [0u8; 3] } else { [255u8; 3] })
        .collect();
    w.write_image_data(&data).unwrap();
    w.finish().unwrap();
    bytes
}

#[test]
fn report_markdown_with_reference_extras_shows_predictions() {
    let f = Fixture::load(&fixtures().join("perfect"));
    let md = markdown(&f, &reference_extras());
    assert!(md.contains("| Seed | 42 |"), "{md}");
    let shared = ReportExtras {
        tracking_uri: Some("http://ta:s3cret@127.0.0.1:5000".into()),
        ..extras()
    };
    let md_shared = markdown(&f, &shared);
    assert!(!md_shared.contains("s3cret"), "credentials in the report");
    assert!(
        md_shared.contains("| Source | `http://127.0.0.1:5000/` |"),
        "{md_shared}"
    );
    assert!(
        md.contains("| # | Predicted | Actual | Confidence | |"),
        "{md}"
    );
    assert!(
        md.contains("9 of 10 correct; test-set accuracy 100.00 %"),
        "{md}"
    );
    assert!(
        md.contains("19 of 20 correct; test-set accuracy 98.12 %"),
        "{md}"
    );
    assert!(md.contains("![Registered model wine-quality-classifier](screenshots/1-Registered_model_wine-quality-classifier.png)"), "{md}");
}

/// Every `src=`/`href=` value in `html`.
fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\"", "src='", "href='"] {
        let quote = attr.chars().last().unwrap();
        for part in html.split(attr).skip(1) {
            out.push(part.split(quote).next().unwrap_or_default().to_string());
        }
    }
    out
}

fn is_local(reference: &str) -> bool {
    reference.starts_with("data:")
        || reference.starts_with('#')
        || (!reference.contains(':') && !reference.starts_with("//") && !reference.starts_with('/'))
}

#[test]
fn report_html_is_self_contained_and_renders_in_chromium() {
    let f = Fixture::load(&fixtures().join("perfect"));
    let dir = tempfile::tempdir().unwrap();
    let view = report::write_submission_dir(
        dir.path(),
        &Templates::embedded().unwrap(),
        &tasks(),
        f.input(),
        &reference_extras(),
    )
    .unwrap();
    for file in ["report.md", "report.html", "results.json"] {
        assert!(dir.path().join(file).is_file(), "{file} missing");
    }
    let shot = dir.path().join(&view.screenshots[0].file);
    assert_eq!(std::fs::read(shot).unwrap(), tiny_png());
    let results: Grade =
        serde_json::from_slice(&std::fs::read(dir.path().join("results.json")).unwrap()).unwrap();
    assert_eq!(results, f.grade);

    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let refs = references(&html);
    assert!(
        refs.iter().any(|r| r.starts_with("data:image/png;base64,")),
        "screenshot not embedded"
    );
    let outside: Vec<&String> = refs.iter().filter(|r| !is_local(r)).collect();
    assert!(
        outside.is_empty(),
        "references leaving the file: {outside:?}"
    );
    for needle in ["@import", "url(", "<script", "<link"] {
        assert!(!html.contains(needle), "{needle} in the HTML");
    }
    assert!(html.contains("@media print"));

    let browser = harness_e2e::browser();
    let url = format!("file://{}", dir.path().join("report.html").display());
    let dom = browser.dump_dom(&url, 2_000).unwrap();
    for id in [
        "id=\"header\"",
        "id=\"score\"",
        "id=\"task-wine\"",
        "id=\"task-mnist\"",
        "id=\"screenshots\"",
        "id=\"rubric\"",
        "id=\"item-overall.screenshots\"",
    ] {
        assert!(dom.contains(id), "{id} missing from the rendered DOM");
    }
    assert!(dom.contains("Champion Model:"));
    assert!(dom.contains("<table class=\"predictions\">"));
    // Charts: one accuracy bar chart per task, loss and accuracy curves per MNIST version.
    let svgs = dom.matches("<svg").count();
    assert!(svgs >= 2 + 3 * 2, "{svgs} charts");
    let paths: Vec<&str> = dom
        .split("<path class=\"series\"")
        .skip(1)
        .map(|p| p.split(" d=\"").nth(1).unwrap().split('"').next().unwrap())
        .collect();
    assert!(paths.len() >= 6, "{} series paths", paths.len());
    for d in &paths {
        let numbers = d
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|s| !s.is_empty())
            .count();
        assert!(d.starts_with('M') && numbers >= 4, "empty path: {d}");
    }
    assert!(dom.matches("<rect class=\"bar\"").count() >= 6);
}

#[test]
fn report_class_summary_links_every_student() {
    let fx = all_fixtures();
    let inputs: Vec<SubmissionInput<'_>> = fx.iter().map(Fixture::input).collect();
    let dir = tempfile::tempdir().unwrap();
    let class = report::write_class_dir(
        dir.path(),
        &Templates::embedded().unwrap(),
        &tasks(),
        &inputs,
        DATE,
        &|_| extras(),
    )
    .unwrap();
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert_eq!(class.students.len(), fx.len());
    for s in &class.students {
        assert!(
            dir.path().join(&s.report_html).is_file(),
            "{}",
            s.report_html
        );
        assert!(dir.path().join(&s.report_md).is_file(), "{}", s.report_md);
        assert!(dir.path().join(&s.folder).join("results.json").is_file());
        assert!(html.contains(&format!("href=\"{}\"", s.report_html)));
        assert!(md.contains(&format!("]({})", s.report_md)));
    }
    assert!(html.contains("href=\"gradebook.csv\""));
    let bins: u32 = html
        .split("data-count=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse::<u32>().unwrap())
        .sum();
    assert_eq!(bins as usize, fx.len(), "histogram counts every submission");
    for r in class.items.iter().chain(&class.checks) {
        if let Some(rate) = r.rate {
            assert!((0.0..=1.0).contains(&rate), "{}: {rate}", r.id);
            assert!(r.passed <= r.graded);
        }
    }
    assert!(class.items.iter().any(|r| r.rate.is_some_and(|x| x < 1.0)));
    assert!(references(&html).iter().all(|r| is_local(r)));
    settings().bind(|| insta::assert_snapshot!("report-class-md", md));
}

#[test]
fn report_screenshots_of_the_mlflow_ui_are_not_blank() {
    let scene = Scene::new("report-shots");
    let c = &scene.client;
    let name = scene.model_name("classifier");
    c.create_registered_model(
        &name,
        &[KeyValue::new("task", "classification")],
        Some("Report screenshot test: a baseline and a champion"),
    )
    .unwrap();
    for (v, algo) in [(1, "DecisionTree"), (2, "RandomForest")] {
        let run = scene.run(&format!("v{v}-{algo}"));
        c.log_param(&run.info.run_id, "algorithm", algo).unwrap();
        c.create_model_version(&NewModelVersion {
            name: name.clone(),
            source: format!("{}/model", run.info.artifact_uri),
            run_id: Some(run.info.run_id.clone()),
            model_id: None,
            tags: vec![KeyValue::new("model_type", algo)],
            description: None,
        })
        .unwrap();
        scene.finish(&run);
    }
    c.set_alias(&name, "baseline", "1").unwrap();
    c.set_alias(&name, "champion", "2").unwrap();

    let browser = harness_e2e::browser();
    let shots = report::mlflow_ui_screenshots(
        &browser,
        harness_e2e::tracking_uri(),
        &name,
        Some(&scene.experiment_id),
        screenshot::DEFAULT_BUDGET_MS,
    )
    .unwrap();
    assert_eq!(shots.len(), 2);
    for s in &shots {
        assert!(
            s.png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{}: not a PNG",
            s.title
        );
        let variance = screenshot::png_variance(&s.png).unwrap();
        assert!(
            variance >= screenshot::BLANK_VARIANCE,
            "{}: blank (variance {variance})",
            s.title
        );
    }
    // Variance says "something was drawn"; the DOM says it is the right page.
    let uri = harness_e2e::tracking_uri();
    let models = browser
        .dump_dom(
            &screenshot::model_page_url(uri, &name),
            screenshot::DEFAULT_BUDGET_MS,
        )
        .unwrap();
    for text in [name.as_str(), "champion", "baseline"] {
        assert!(models.contains(text), "{text} not on the model page");
    }
    let runs = browser
        .dump_dom(
            &screenshot::experiment_page_url(uri, &scene.experiment_id),
            screenshot::DEFAULT_BUDGET_MS,
        )
        .unwrap();
    for text in ["v1-DecisionTree", "v2-RandomForest"] {
        assert!(runs.contains(text), "{text} not on the runs page");
    }
    // The captures embed into a report and land in screenshots/.
    let f = Fixture::load(&fixtures().join("perfect"));
    let dir = tempfile::tempdir().unwrap();
    let extras = ReportExtras {
        screenshots: shots,
        ..extras()
    };
    let view = report::write_submission_dir(
        dir.path(),
        &Templates::embedded().unwrap(),
        &tasks(),
        f.input(),
        &extras,
    )
    .unwrap();
    assert_eq!(view.screenshots.len(), 2);
    for s in &view.screenshots {
        assert!(dir.path().join(&s.file).is_file(), "{}", s.file);
    }
}

/// The `perfect` executed-notebook hand-in in a class folder of its own, with a hostile code
/// cell added to its notebook (markup in the code and in the output).
fn hostile_class() -> tempfile::TempDir {
    let class = tempfile::tempdir().unwrap();
    let dest = class.path().join("perfect");
    harness_e2e::copy_tree(&fixtures().join("../handins/perfect"), &dest);
    let nb_path = dest.join("homework.ipynb");
    let mut nb: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&nb_path).unwrap()).unwrap();
    let cell = serde_json::json!({
        "cell_type": "code",
        "execution_count": 99,
        "id": "hostile",
        "metadata": {},
        "source": [
            "# wine wine-quality-homework wine-quality-classifier decisiontree randomforest gradientboosting baseline\n",
            "# </pre><script>alert('src')</script>\n",
            "print('<img src=x onerror=alert(1)>')"
        ],
        "outputs": [{"name": "stdout", "output_type": "stream", "text": ["<img src=x onerror=alert(1)>\n"]}]
    });
    nb["cells"].as_array_mut().unwrap().push(cell);
    std::fs::write(&nb_path, serde_json::to_string(&nb).unwrap()).unwrap();
    class
}

#[test]
fn manual_items_show_the_hand_in_evidence_escaped_with_bounded_thumbnails() {
    let class = hostile_class();
    let out = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(harness_e2e::harness_bin())
        .args(["check", "--task", "all", "--quiet", "--submissions"])
        .arg(class.path())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    // Every automatic check of the copied `perfect` hand-in passes; the rest awaits the TA.
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    let section = |id: &str| -> String {
        let start = html
            .find(&format!("<tr class=\"review\" id=\"review-{id}\">"))
            .unwrap_or_else(|| panic!("no evidence beside {id}"));
        let end = html[start..].find("</details>").unwrap() + start;
        html[start..end].to_string()
    };
    // Code quality: the task's own cells with their outputs.
    let wine = section("wine.code_quality");
    assert!(wine.contains("def train_and_register"), "{wine}");
    assert!(wine.contains("<pre class=\"output\">"), "{wine}");
    let mnist = section("mnist.code_quality");
    assert!(mnist.contains("MNIST_MODEL"), "{mnist}");
    assert!(!mnist.contains("def train_and_register"), "{mnist}");
    // Organisation: the header cell with the student's name.
    assert!(section("overall.organization").contains("รหัสนักศึกษา: 6400000000"));
    // Screenshots: one bounded PNG thumbnail per screenshot file.
    let shots = section("overall.screenshots");
    let thumbs: Vec<&str> = shots
        .split("src=\"data:image/png;base64,")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert_eq!(thumbs.len(), 3, "{shots}");
    for t in thumbs {
        use base64::Engine as _;
        let png = base64::engine::general_purpose::STANDARD.decode(t).unwrap();
        let size = harness::handin::image_size(&png).unwrap();
        assert!(size.width <= 320 && size.width >= 100, "{size:?}");
        assert!(png.len() < 150_000, "{} bytes", png.len());
    }
    assert!(
        shots.contains("1-registered-models.png</figcaption>"),
        "{shots}"
    );
    // Items fully decided automatically get none.
    assert!(!html.contains("id=\"review-wine.model1\""));
    // Student text is escaped, in the code and in the output.
    assert!(!html.contains("<script>alert"), "unescaped script");
    assert!(!html.contains("<img src=x"), "unescaped img");
    assert!(
        html.contains("&lt;script&gt;alert("),
        "the hostile cell is not shown"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // ANSI colour codes from stderr are gone.
    assert!(!html.contains('\u{1b}'));

    // Chromium renders it: the evidence is in the DOM, and no script ran.
    let browser = harness_e2e::browser();
    let url = format!("file://{}", out.path().join("report.html").display());
    let dom = browser.dump_dom(&url, 2_000).unwrap();
    assert!(dom.contains("id=\"review-overall.screenshots\""));
    assert_eq!(dom.matches("<figure class=\"thumb\">").count(), 3);
    assert!(!dom.contains("<script"));
}
