//! `harness check`: grade one MLflow state, or a folder of submissions.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::error::Error;
use crate::grade::{self, Grade};
use crate::mlflow::MlflowClient;
use crate::output::{gradebook, gradescope, text};
use crate::report::{self, ReportExtras, SubmissionInput, Templates};
use crate::snapshot::Snapshot;
use crate::source::rest;
use crate::submission::{self, Identity, Submission};
use crate::task::TaskSpec;

/// What to grade.
#[derive(Debug)]
pub enum Target {
    /// A live server (read-only calls only); the caller keeps the server itself alive.
    Server(MlflowClient),
    /// A submitted `mlflow.db` (any name), opened read-only; artefacts under its folder.
    Store(PathBuf),
    /// A submitted `mlruns/` folder.
    Mlruns(PathBuf),
    /// One sub-folder per student.
    Submissions(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    /// The Markdown report (the class summary for a batch).
    Markdown,
    Gradescope,
}

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub format: Format,
    pub audience: text::Audience,
    pub out_dir: Option<PathBuf>,
    /// Recompute champions' accuracy (`--rescore`), with this sandbox for Python models.
    pub rescore: Option<crate::rescore::Sandbox>,
}

/// One graded submission with who it belongs to.
#[derive(Debug, Clone)]
pub struct Graded {
    pub submission: String,
    pub identity: Identity,
    pub grade: Grade,
    pub snapshot: Option<Snapshot>,
    pub problem: Option<String>,
    /// Where the model files are, for `--rescore`.
    pub files: ModelFiles,
}

/// Where a graded state's model artefacts can be read.
#[derive(Debug, Clone)]
pub enum ModelFiles {
    /// Under a submission folder (artefact summaries hold paths relative to it).
    Local(PathBuf),
    /// Through a live server's artefact proxy.
    Remote(MlflowClient),
}

/// `harness check` from its settings: connects to a server when one is the target, prepares the
/// rescoring sandbox when asked, then [`check`]s.
pub fn execute(
    settings: &crate::settings::Settings,
    tasks: &[TaskSpec],
    target: &crate::settings::CheckTarget,
    options: &CheckOptions,
    rescore: bool,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let progress = crate::progress::Progress::spinner(settings.quiet);
    let (target, _server) = open_target(target, &progress)?;
    let mut options = options.clone();
    if rescore {
        let sandbox =
            crate::rescore::Sandbox::provision(&settings.home, &settings.python, &progress)
                .map_err(|e| Error::Usage(format!("--rescore: {e}")))?;
        options.rescore = Some(sandbox);
    }
    progress.finish();
    check(tasks, target, &options, out)
}

/// Turns a settings target into a grading target. A server it started comes back too: the caller
/// holds it until grading ends, since dropping it stops the server.
pub fn open_target(
    target: &crate::settings::CheckTarget,
    progress: &crate::progress::Progress,
) -> Result<(Target, Option<crate::server::TrackingServer>), Error> {
    use crate::settings::CheckTarget;
    Ok(match target {
        CheckTarget::Server(t) => {
            let server = crate::server::connect(t, progress)?;
            (Target::Server(server.client()?), Some(server))
        }
        CheckTarget::Store(p) => (Target::Store(p.clone()), None),
        CheckTarget::Mlruns(p) => (Target::Mlruns(p.clone()), None),
        CheckTarget::Submissions(p) => (Target::Submissions(p.clone()), None),
    })
}

/// Grades `target` against `tasks`; writes the chosen format to `out` and files to `out_dir`.
/// Exit 0 when every automatic check of every submission passes, 1 otherwise.
pub fn check(
    tasks: &[TaskSpec],
    target: Target,
    opts: &CheckOptions,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let mut graded = grade_target(tasks, target)?;
    if let Some(sandbox) = &opts.rescore {
        for g in &mut graded {
            super::rescore::rescore(tasks, g, sandbox);
        }
    }
    for g in &graded {
        match opts.format {
            Format::Text => {
                text::render(&g.grade, opts.audience, out)?;
                writeln!(out)?;
            }
            Format::Json | Format::Markdown => {}
            Format::Gradescope => {
                serde_json::to_writer_pretty(&mut *out, &gradescope::results(&g.grade))
                    .map_err(std::io::Error::from)?;
                writeln!(out)?;
            }
        }
    }
    if opts.format == Format::Markdown {
        let templates = Templates::embedded()?;
        let date = report_date();
        match graded.as_slice() {
            [one] => {
                let extras = ReportExtras {
                    date,
                    ..Default::default()
                };
                report::render_submission_md(
                    &templates,
                    &report::view::submission(tasks, one.into(), &extras),
                    out,
                )?;
            }
            many => {
                let inputs: Vec<SubmissionInput<'_>> = many.iter().map(Into::into).collect();
                report::render_class_md(
                    &templates,
                    &report::view::class(tasks, &inputs, &date),
                    out,
                )?;
            }
        }
    }
    if opts.format == Format::Json {
        let value = match graded.as_slice() {
            [one] => serde_json::to_value(&one.grade),
            many => serde_json::to_value(many.iter().map(|g| &g.grade).collect::<Vec<_>>()),
        }
        .map_err(std::io::Error::from)?;
        serde_json::to_writer_pretty(&mut *out, &value).map_err(std::io::Error::from)?;
        writeln!(out)?;
    }
    if let Some(dir) = &opts.out_dir {
        let date = report_date();
        write_reports(tasks, &graded, dir, &date, &|_| ReportExtras {
            date: date.clone(),
            ..Default::default()
        })?;
    }
    if opts.format == Format::Text && graded.len() > 1 {
        for g in &graded {
            writeln!(
                out,
                "{:<30} {:>3}/{:<3} {}",
                g.submission,
                g.grade.points,
                g.grade.max_points,
                g.problem.as_deref().unwrap_or("")
            )?;
        }
    }
    let ok = graded.iter().all(|g| g.grade.all_automatic_passed());
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Grades everything the target holds; an unreadable store becomes a graded submission whose
/// automatic items are `error`, never an early exit.
pub fn grade_target(tasks: &[TaskSpec], target: Target) -> Result<Vec<Graded>, Error> {
    let one = |name: String,
               identity: Identity,
               snapshot: Result<Snapshot, String>,
               files: ModelFiles| {
        let grade = grade::grade(&name, tasks, snapshot.as_ref().map_err(String::as_str));
        let (snapshot, problem) = match snapshot {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        Graded {
            submission: name,
            identity,
            grade,
            snapshot,
            problem,
            files,
        }
    };
    Ok(match target {
        Target::Server(client) => {
            let scope = rest::Scope {
                experiments: Some(tasks.iter().filter_map(|t| t.experiment.clone()).collect()),
                registered_models: Some(
                    tasks
                        .iter()
                        .filter_map(|t| t.registered_model.clone())
                        .collect(),
                ),
            };
            let snapshot = rest::load(&client, &scope).map_err(|e| e.to_string());
            vec![one(
                crate::mlflow::redact_url(client.tracking_uri()),
                Identity::default(),
                snapshot,
                ModelFiles::Remote(client),
            )]
        }
        Target::Store(path) => {
            let s = submission_for_file(&path);
            vec![one(
                s.name.clone(),
                s.identity.clone(),
                s.snapshot(),
                ModelFiles::Local(s.root.clone()),
            )]
        }
        Target::Mlruns(dir) => {
            let root = dir
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| ".".into());
            let mut s = Submission::at(&root);
            s.store = submission::Store::Mlruns(dir);
            vec![one(
                s.name.clone(),
                s.identity.clone(),
                s.snapshot(),
                ModelFiles::Local(s.root.clone()),
            )]
        }
        Target::Submissions(dir) => {
            let subs = submission::discover(&dir)
                .map_err(|e| Error::Usage(format!("--submissions {}: {e}", dir.display())))?;
            if subs.is_empty() {
                return Err(Error::Usage(format!(
                    "--submissions {}: no sub-folders (one per student expected)",
                    dir.display()
                )));
            }
            subs.into_iter()
                .map(|s| {
                    one(
                        s.name.clone(),
                        s.identity.clone(),
                        s.snapshot(),
                        ModelFiles::Local(s.root.clone()),
                    )
                })
                .collect()
        }
    })
}

fn submission_for_file(db: &Path) -> Submission {
    let root = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut s = Submission::at(root);
    s.store = submission::Store::Sqlite(db.to_path_buf());
    s
}

/// Writes the reports: for one submission `report.md`, `report.html`, `results.json` and
/// Gradescope's results into `dir`; for a batch the class report, one such folder per student and
/// `gradebook.csv`. `extras_for` supplies what MLflow state does not hold (date, predictions,
/// screenshots).
pub fn write_reports(
    tasks: &[TaskSpec],
    graded: &[Graded],
    dir: &Path,
    date: &str,
    extras_for: &dyn Fn(&Graded) -> ReportExtras,
) -> Result<(), Error> {
    let templates = Templates::embedded()?;
    let io =
        |e: std::io::Error, p: &Path| Error::Usage(format!("cannot write {}: {e}", p.display()));
    let gradescope_into = |folder: &Path, g: &Graded| -> Result<(), Error> {
        let path = folder.join("gradescope-results.json");
        let json = serde_json::to_vec_pretty(&gradescope::results(&g.grade))
            .map_err(std::io::Error::from)?;
        std::fs::write(&path, json).map_err(|e| io(e, &path))
    };
    if let [one] = graded {
        report::write_submission_dir(dir, &templates, tasks, one.into(), &extras_for(one))?;
        return gradescope_into(dir, one);
    }
    let inputs: Vec<SubmissionInput<'_>> = graded.iter().map(Into::into).collect();
    let by_name = |s: &SubmissionInput<'_>| graded.iter().find(|g| g.submission == s.submission);
    let class = report::write_class_dir(dir, &templates, tasks, &inputs, date, &|s| {
        by_name(s).map(extras_for).unwrap_or_else(|| ReportExtras {
            date: date.into(),
            ..Default::default()
        })
    })?;
    for (g, row) in graded.iter().zip(&class.students) {
        gradescope_into(&dir.join(&row.folder), g)?;
    }
    let rows: Vec<gradebook::Row<'_>> = graded
        .iter()
        .map(|g| gradebook::Row {
            submission: &g.submission,
            identity: &g.identity,
            grade: Some(&g.grade),
            problem: g.problem.as_deref(),
        })
        .collect();
    let csv_path = dir.join("gradebook.csv");
    let mut file = std::fs::File::create(&csv_path).map_err(|e| io(e, &csv_path))?;
    gradebook::write(&rows, &mut file).map_err(|e| io(e, &csv_path))?;
    Ok(())
}

/// Now, as reports show it.
pub fn report_date() -> String {
    let stamp = crate::reference::mlmodel::utc_time(crate::mlflow::now_ms());
    format!("{} UTC", &stamp[..16])
}
