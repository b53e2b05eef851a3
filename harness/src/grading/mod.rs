//! Grading: MLflow state (and, later, the rest of a hand-in) in, points with evidence out.
//!
//! - [`submission`]: a hand-in on disk, its store and who it belongs to;
//! - [`checks`]: pure functions over a [`Snapshot`], one file per concern;
//! - [`points`]: rubric points from check results;
//! - [`manual`]: the TA's review sheets, read, validated and merged into the grades;
//! - [`rescore`]: recomputing champions' accuracy from their files, Python models in a sandbox.
//!
//! [`grade_target`] ties them together for everything `check` and `grade` can be given.

pub mod checks;
pub mod evidence;
pub mod manual;
pub mod points;
pub mod rescore;
pub mod submission;

use std::path::PathBuf;

use crate::mlflow::MlflowClient;
use crate::snapshot::Snapshot;
use crate::source::{Store, rest};
use crate::task::TaskSpec;
use points::Grade;
use submission::{Identity, Submission};

/// What cannot be graded at all (a single broken hand-in is a graded row, never this).
#[derive(Debug, thiserror::Error)]
pub enum GradingError {
    #[error("--submissions {path}: {source}")]
    ListSubmissions {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--submissions {path}: no sub-folders (one per student expected)")]
    NoSubmissions { path: PathBuf },
}

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

/// One graded submission with who it belongs to.
#[derive(Debug, Clone)]
pub struct Graded {
    pub submission: String,
    pub identity: Identity,
    pub grade: Grade,
    pub snapshot: Option<Snapshot>,
    pub problem: Option<String>,
    /// Notices about the hand-in that are not check results: which store was graded and why,
    /// what was passed over.
    pub notes: Vec<String>,
    /// Where the model files are, for `--rescore`; the hand-in folder, when there is one.
    pub(crate) files: ModelFiles,
    /// What the hand-in folder shows (code, outputs, images), when one was read: the report
    /// puts it beside the items a TA judges.
    pub hand_in: Option<std::sync::Arc<evidence::HandInEvidence>>,
}

/// Where a graded state's model artefacts can be read.
#[derive(Debug, Clone)]
pub(crate) enum ModelFiles {
    /// Under a submission folder (artefact summaries hold paths relative to it).
    Local(PathBuf),
    /// Through a live server's artefact proxy.
    Remote(MlflowClient),
}

impl Graded {
    fn new(
        name: String,
        identity: Identity,
        tasks: &[TaskSpec],
        snapshot: Result<Snapshot, String>,
        evidence: Option<&evidence::HandInEvidence>,
        files: ModelFiles,
    ) -> Graded {
        let grade = points::grade(
            &name,
            tasks,
            snapshot.as_ref().map_err(String::as_str),
            evidence,
        );
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
            notes: Vec::new(),
            files,
            hand_in: None,
        }
    }

    /// Grades a submission; `hand_in` reads its notebooks, scripts and images too (a class
    /// folder's sub-folders are hand-ins; the folder around a `--store` file may be anything).
    fn of_submission(s: Submission, tasks: &[TaskSpec], hand_in: bool) -> Graded {
        let snapshot = s.snapshot();
        let evidence =
            (hand_in && s.refused.is_none()).then(|| evidence::HandInEvidence::read(&s.root));
        let mut g = Graded::new(
            s.name,
            s.identity,
            tasks,
            snapshot,
            evidence.as_ref(),
            ModelFiles::Local(s.root),
        );
        g.notes = s.notes;
        if let Some(e) = evidence {
            g.notes.extend(e.hygiene.iter().cloned());
            g.hand_in = Some(std::sync::Arc::new(e));
        }
        g
    }
}

/// Grades everything the target holds; an unreadable store becomes a graded submission whose
/// automatic items are `error`, never an early exit.
pub fn grade_target(tasks: &[TaskSpec], target: Target) -> Result<Vec<Graded>, GradingError> {
    Ok(match target {
        Target::Server(client) => {
            // General checks name their own experiments and models (patterns included), so a
            // task that has them reads the whole server.
            let scope = if tasks.iter().any(TaskSpec::reads_whole_server) {
                rest::Scope::default()
            } else {
                rest::Scope {
                    experiments: Some(tasks.iter().filter_map(|t| t.experiment.clone()).collect()),
                    registered_models: Some(
                        tasks
                            .iter()
                            .filter_map(|t| t.registered_model.clone())
                            .collect(),
                    ),
                }
            };
            grade_server(tasks, client, &scope)
        }
        Target::Store(path) => vec![Graded::of_submission(
            Submission::of_store(Store::Sqlite(path)),
            tasks,
            false,
        )],
        Target::Mlruns(dir) => vec![Graded::of_submission(
            Submission::of_store(Store::Mlruns(dir)),
            tasks,
            false,
        )],
        Target::Submissions(dir) => {
            let experiments: Vec<String> =
                tasks.iter().filter_map(|t| t.experiment.clone()).collect();
            let subs = submission::discover(&dir, &experiments).map_err(|source| {
                GradingError::ListSubmissions {
                    path: dir.clone(),
                    source,
                }
            })?;
            if subs.is_empty() {
                return Err(GradingError::NoSubmissions { path: dir });
            }
            let tasks = std::sync::Arc::new(tasks.to_vec());
            subs.into_iter().map(|s| within_budget(s, &tasks)).collect()
        }
    })
}

/// Grades what `scope` names on a live server (a scope that names experiments and models
/// leaves everything else on the server unread, whatever the tasks' checks would look at).
pub fn grade_server(tasks: &[TaskSpec], client: MlflowClient, scope: &rest::Scope) -> Vec<Graded> {
    let snapshot = rest::load(&client, scope).map_err(|e| e.to_string());
    vec![Graded::new(
        crate::mlflow::redact_url(client.tracking_uri()),
        Identity::default(),
        tasks,
        snapshot,
        None,
        ModelFiles::Remote(client),
    )]
}

/// Grades one hand-in of a batch on a thread of its own, giving up on it after the per-hand-in
/// time limit so one pathological hand-in cannot stop the class. Every read is bounded already;
/// this is the backstop for what no cap foresaw. A thread given up on is left to finish alone.
fn within_budget(s: Submission, tasks: &std::sync::Arc<Vec<TaskSpec>>) -> Graded {
    let budget = crate::handin::Limits::current().time_per_hand_in;
    let (name, identity, root) = (s.name.clone(), s.identity.clone(), s.root.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    let shared = std::sync::Arc::clone(tasks);
    let spawned = std::thread::Builder::new()
        .name(format!("grade {name}"))
        .spawn(move || {
            let _ = tx.send(Graded::of_submission(s, &shared, true));
        });
    let outcome = match spawned {
        Ok(_) => rx.recv_timeout(budget).map_err(|e| match e {
            std::sync::mpsc::RecvTimeoutError::Timeout => format!(
                "grading took longer than {} s and was abandoned (raise it with --limit time=SECONDS)",
                budget.as_secs()
            ),
            std::sync::mpsc::RecvTimeoutError::Disconnected => {
                "grading stopped unexpectedly (an internal error; please report it)".to_string()
            }
        }),
        Err(e) => Err(format!("cannot start grading: {e}")),
    };
    outcome.unwrap_or_else(|why| {
        Graded::new(
            name,
            identity,
            tasks,
            Err(why),
            None,
            ModelFiles::Local(root),
        )
    })
}

/// Whether every automatic check of every graded submission passed: `check` and `grade` exit 0
/// then, 1 otherwise.
pub(crate) fn all_passed(graded: &[Graded]) -> bool {
    graded.iter().all(|g| g.grade.all_automatic_passed())
}
