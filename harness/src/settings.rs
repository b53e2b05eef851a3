//! Plain settings built from the command line and the environment; clap types end here.

use url::Url;

use std::path::{Path, PathBuf};

use crate::cli::{
    Backend, BenchCommand, CheckFormat, Cli, Command, EngineArg, GradeArgs, MlflowCommand,
    ServeArgs, ServerArgs, StateArgs, TaskName,
};
use crate::error::Error;
use crate::handin::Limits;
use crate::mlflow::Auth;
use crate::nn::{DeviceKind, Engine};
use crate::reference::{RunOptions, Task};
use crate::report::Format;
use crate::report::text::Audience;
use crate::server::{Home, ServerTarget, docker_available};
use crate::task::{TaskSource, TaskSpec};

/// Everything a command needs, decided once.
#[derive(Debug)]
pub struct Settings {
    pub(crate) home: Home,
    pub(crate) quiet: bool,
    /// The interpreter that creates the MLflow venv (`HARNESS_PYTHON`, default `python3`).
    pub(crate) python: String,
    /// Caps on what is read from hand-ins (`--limit`).
    pub(crate) limits: Limits,
    pub(crate) action: Action,
}

// One value per process: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Action {
    MlflowUp {
        instance: String,
    },
    MlflowDown {
        instance: String,
    },
    MlflowStatus {
        instance: String,
    },
    Check {
        tasks: Vec<TaskSpec>,
        target: CheckTarget,
        options: CheckOptions,
    },
    Grade {
        tasks: Vec<TaskSpec>,
        source: GradeSource,
        options: GradeOptions,
    },
    /// `harness run`: the task files in order, the server, and how to vary the tasks' specs.
    Run {
        tasks: Vec<TaskSpec>,
        server: ServerTarget,
        options: RunOptions,
    },
    /// `harness run --config FILE`: the parsed and validated config, the file as given (logged
    /// as an artefact), and the server.
    RunConfig {
        config: Box<crate::experiments::ExperimentConfig>,
        config_file: crate::experiments::ConfigFile,
        server: ServerTarget,
    },
    /// `harness run zoomcamp-hw2`.
    RunZoomcamp {
        options: crate::experiments::zoomcamp::ZoomcampOptions,
        server: ServerTarget,
    },
    /// `harness gate`.
    Gate {
        spec: Box<crate::experiments::GateSpec>,
        server: ServerTarget,
    },
    /// `harness sweep`.
    Sweep {
        plan: Box<crate::experiments::sweep::SweepPlan>,
        config_file: crate::experiments::ConfigFile,
        jobs: usize,
        server: ServerTarget,
    },
    /// `harness run --print-defaults`.
    PrintDefaults,
    /// `harness bench train`.
    BenchTrain {
        epochs: usize,
        engine: Engine,
    },
    /// `harness serve`.
    Serve(ServeSettings),
}

/// What `harness serve` serves, where, and how.
#[derive(Debug)]
pub(crate) struct ServeSettings {
    pub(crate) model: ModelSource,
    pub(crate) host: String,
    pub(crate) port: u16,
    /// How often to ask the registry where the alias points (`None`: never).
    pub(crate) poll_interval: Option<std::time::Duration>,
    pub(crate) limits: crate::serve::Limits,
}

/// Where `harness serve` gets its model.
#[derive(Debug)]
pub(crate) enum ModelSource {
    /// A `models:/…` or `runs:/…` URI, resolved on this server.
    Registry { uri: String, server: ServerTarget },
    /// A model folder on this machine.
    Folder(PathBuf),
}

/// How `check` reports.
#[derive(Debug, Clone)]
pub(crate) struct CheckOptions {
    pub format: Format,
    pub(crate) audience: Audience,
    pub(crate) out_dir: Option<PathBuf>,
    /// Recompute champions' accuracy from their files (`--rescore`).
    pub rescore: bool,
    /// The TA's review sheet(s) to merge (`--manual`).
    pub(crate) manual: Option<PathBuf>,
    /// The Python that loads PyTorch models when rescoring (`--torch-python`).
    pub(crate) torch_python: Option<PathBuf>,
}

/// What `grade` does.
#[derive(Debug, Clone)]
pub(crate) struct GradeOptions {
    pub(crate) out: PathBuf,
    /// The TA's review sheet(s) to merge (`--manual`).
    pub(crate) manual: Option<PathBuf>,
    pub screenshots: bool,
    pub run: RunOptions,
    /// The exercises whose reference runs `grade` does after the homework's (their task files'
    /// `[reference]` sections); empty when it grades given state.
    pub(crate) exercises: Vec<TaskSpec>,
}

/// Where `grade` gets its MLflow state.
#[derive(Debug)]
pub(crate) enum GradeSource {
    /// Start (or reuse) this server and run the reference into it.
    Reference(ServerTarget),
    /// Grade this state as it is.
    Given(CheckTarget),
}

/// What `check` reads.
#[derive(Debug)]
pub(crate) enum CheckTarget {
    Server(ServerTarget),
    Store(PathBuf),
    Mlruns(PathBuf),
    Submissions(PathBuf),
}

impl Settings {
    pub fn from_cli(cli: Cli) -> Result<Self, Error> {
        let home = cli.home.map(Home::new).unwrap_or_else(Home::from_env);
        let limits = Limits::default()
            .with_settings(cli.limits.iter().map(String::as_str))
            .map_err(|e| Error::Usage(format!("--limit: {e}")))?;
        let python = std::env::var("HARNESS_PYTHON")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "python3".into());
        let action = match cli.command {
            Command::Mlflow(MlflowCommand::Up { instance, .. }) => Action::MlflowUp {
                instance: instance.instance,
            },
            Command::Mlflow(MlflowCommand::Down { instance }) => Action::MlflowDown {
                instance: instance.instance,
            },
            Command::Mlflow(MlflowCommand::Status { instance }) => Action::MlflowStatus {
                instance: instance.instance,
            },
            Command::Grade(args) => grade_action(args, &home, &python)?,
            Command::Check(args) => {
                let tasks = TaskSource::detect(args.tasks_dir.as_deref()).resolve(&args.task)?;
                let target = given_target(&args.state, &args.server, &home, &python)?.ok_or_else(|| {
                    Error::Usage(
                        "say what to grade: --tracking-uri URI, --store FILE, --mlruns DIR or --submissions DIR".into(),
                    )
                })?;
                let format = match args.format {
                    CheckFormat::Text => Format::Text,
                    CheckFormat::Json => Format::Json,
                    CheckFormat::Md => Format::Markdown,
                    CheckFormat::Gradescope => Format::Gradescope,
                };
                let audience = if args.student {
                    Audience::Student
                } else {
                    Audience::Grader
                };
                if let Some(out) = &args.out {
                    refuse_out_inside_graded(out, &target)?;
                }
                Action::Check {
                    tasks,
                    target,
                    options: CheckOptions {
                        format,
                        audience,
                        out_dir: args.out,
                        rescore: args.rescore,
                        manual: existing_manual(args.manual)?,
                        torch_python: args.torch_python,
                    },
                }
            }
            Command::Gate(args) => {
                use crate::experiments::{ExperimentConfig, GateData, GateMetric, GateSpec};
                for (name, value) in [
                    ("--min", args.min),
                    ("--max-latency-ms", args.max_latency_ms),
                ] {
                    if value.is_some_and(|v| !v.is_finite() || v < 0.0) {
                        return Err(Error::Usage(format!(
                            "{name} must be a non-negative number"
                        )));
                    }
                }
                if !args.model.starts_with("models:/") && !args.model.starts_with("runs:/") {
                    return Err(Error::Usage(format!(
                        "`{}` is not a model URI (models:/NAME@alias, models:/NAME/VERSION, runs:/RUN_ID/model)",
                        args.model
                    )));
                }
                let data = match args.task.as_str() {
                    "wine" => GateData::Wine,
                    "mnist" => GateData::Mnist,
                    path => GateData::Config(Box::new(ExperimentConfig::load(Path::new(path))?)),
                };
                Action::Gate {
                    spec: Box::new(GateSpec {
                        model_uri: args.model,
                        data,
                        metric: match args.metric {
                            crate::cli::GateMetricArg::Accuracy => GateMetric::Accuracy,
                            crate::cli::GateMetricArg::F1 => GateMetric::F1Weighted,
                        },
                        min: args.min,
                        max_latency_ms: args.max_latency_ms,
                    }),
                    server: server_target(&args.server, &home, &python)?,
                }
            }
            Command::Sweep(args) => {
                if args.jobs == Some(0) {
                    return Err(Error::Usage("--jobs must be at least 1".into()));
                }
                let plan = crate::experiments::sweep::SweepPlan::load(&args.config)?;
                let bytes = std::fs::read(&args.config).map_err(|e| {
                    Error::Usage(format!("--config {}: {e}", args.config.display()))
                })?;
                Action::Sweep {
                    plan: Box::new(plan),
                    config_file: crate::experiments::ConfigFile {
                        name: args.config.file_name().map_or_else(
                            || "sweep.yaml".into(),
                            |n| n.to_string_lossy().into_owned(),
                        ),
                        bytes,
                    },
                    jobs: args.jobs.unwrap_or_else(|| {
                        std::thread::available_parallelism().map_or(1, usize::from)
                    }),
                    server: server_target(&args.server, &home, &python)?,
                }
            }
            Command::Run(args) if args.print_defaults => Action::PrintDefaults,
            Command::Run(args) if args.config.is_some() => {
                let path = args.config.unwrap_or_default();
                // Read and checked here, before any server is touched: a bad config logs nothing.
                let config = crate::experiments::ExperimentConfig::load(&path)?;
                let bytes = std::fs::read(&path)
                    .map_err(|e| Error::Usage(format!("--config {}: {e}", path.display())))?;
                Action::RunConfig {
                    config: Box::new(config),
                    config_file: crate::experiments::ConfigFile {
                        name: path.file_name().map_or_else(
                            || "config.yaml".into(),
                            |n| n.to_string_lossy().into_owned(),
                        ),
                        bytes,
                    },
                    server: server_target(&args.server, &home, &python)?,
                }
            }
            Command::Run(args) if args.task.as_deref() == Some("zoomcamp-hw2") => {
                let mut options = crate::experiments::zoomcamp::ZoomcampOptions {
                    name_prefix: args.name_prefix.unwrap_or_default(),
                    ..Default::default()
                };
                if let Some(seed) = args.seed {
                    options.seed = u64::from(seed);
                }
                Action::RunZoomcamp {
                    options,
                    server: server_target(&args.server, &home, &python)?,
                }
            }
            Command::Run(args) => {
                let name = args.task.unwrap_or_else(|| "all".to_owned());
                let task = match name.as_str() {
                    "wine" => Some(TaskName::Wine),
                    "mnist" => Some(TaskName::Mnist),
                    "all" => Some(TaskName::All),
                    _ => None,
                };
                let device: DeviceKind = args
                    .device
                    .parse()
                    .map_err(|e: crate::nn::NnError| Error::Usage(format!("--device: {e}")))?;
                if let Some(dir) = &args.data_dir
                    && !dir.is_dir()
                {
                    return Err(Error::Usage(format!(
                        "--data-dir {}: no such folder",
                        dir.display()
                    )));
                }
                // `all` is a smoke run of every task unless a profile is asked for.
                let profile = args
                    .profile
                    .or_else(|| (task == Some(TaskName::All)).then(|| "quick".to_owned()));
                let tasks = match task {
                    Some(task) => run_tasks(task, args.tasks_dir.as_deref())?,
                    None => exercise_tasks(&name, args.tasks_dir.as_deref())?,
                };
                Action::Run {
                    tasks,
                    server: server_target(&args.server, &home, &python)?,
                    options: RunOptions {
                        seed: args.seed,
                        replace: args.replace,
                        name_prefix: args.name_prefix.filter(|p| !p.is_empty()),
                        profile,
                        device,
                        data_dir: args.data_dir,
                        max_train_samples: None,
                    },
                }
            }
            Command::Serve(args) => Action::Serve(serve_settings(args, &home, &python)?),
            Command::Bench(BenchCommand::Train { epochs: 0, .. }) => {
                return Err(Error::Usage("--epochs must be at least 1".into()));
            }
            Command::Bench(BenchCommand::Train { epochs, engine }) => Action::BenchTrain {
                epochs,
                engine: match engine {
                    EngineArg::Auto => Engine::Auto,
                    EngineArg::Fused => Engine::Fused,
                    EngineArg::Candle => Engine::Candle,
                },
            },
        };
        Ok(Settings {
            limits,
            home,
            quiet: cli.quiet,
            python,
            action,
        })
    }
}

/// The task files `harness run <task>` performs, in order (`all`: wine, then mnist), from
/// `--tasks-dir`, `./tasks` or the built-in copies. Each must describe the run it is named for.
fn run_tasks(name: TaskName, dir: Option<&std::path::Path>) -> Result<Vec<TaskSpec>, Error> {
    let wanted: &[Task] = match name {
        TaskName::Wine => &[Task::Wine],
        TaskName::Mnist => &[Task::Mnist],
        TaskName::All => &Task::ALL,
    };
    let source = TaskSource::detect(dir);
    wanted
        .iter()
        .map(|&task| {
            let spec = source
                .resolve(task.name())?
                .pop()
                .ok_or_else(|| Error::Usage(format!("no task file for `{}`", task.name())))?;
            if Task::of(&spec) != Some(task) {
                return Err(Error::Usage(format!(
                    "task file `{}` has no [training.{}] section, so `harness run {}` has nothing to train",
                    spec.id,
                    match task {
                        Task::Wine => "sklearn",
                        Task::Mnist => "mlp",
                    },
                    task.name()
                )));
            }
            Ok(spec)
        })
        .collect()
}

/// The exercises `harness run <name>` performs: a task, a group or a task file, each with a
/// `[reference]` section.
fn exercise_tasks(name: &str, dir: Option<&std::path::Path>) -> Result<Vec<TaskSpec>, Error> {
    let tasks = TaskSource::detect(dir).resolve(name)?;
    match tasks.iter().find(|t| !crate::exercise::has_reference(t)) {
        Some(t) => Err(Error::Usage(format!(
            "task `{}` has no [reference] section, so `harness run {name}` has nothing to run \
             (the homework's tasks are wine, mnist and all)",
            t.id
        ))),
        None => Ok(tasks),
    }
}

/// The MLflow state a command was given to read: a file store, a class folder, or (with a
/// tracking URI) a live server; `None` when none was given.
fn given_target(
    state: &StateArgs,
    server: &ServerArgs,
    home: &Home,
    python: &str,
) -> Result<Option<CheckTarget>, Error> {
    let existing = |p: &PathBuf, what: &str| -> Result<PathBuf, Error> {
        if p.exists() {
            Ok(p.clone())
        } else {
            Err(Error::Usage(format!(
                "{what} {}: no such file or folder",
                p.display()
            )))
        }
    };
    Ok(Some(if let Some(p) = &state.store {
        CheckTarget::Store(existing(p, "--store")?)
    } else if let Some(p) = &state.mlruns {
        CheckTarget::Mlruns(existing(p, "--mlruns")?)
    } else if let Some(p) = &state.submissions {
        CheckTarget::Submissions(existing(p, "--submissions")?)
    } else if server.tracking_uri.is_some() {
        CheckTarget::Server(server_target(server, home, python)?)
    } else {
        return Ok(None);
    }))
}

/// Refuses an `--out` that is, or is inside, a folder being graded: the class folder, or the
/// folder holding the store (a student's hand-in), where the reports would overwrite the
/// student's own `report.md` or `results.json`. Both paths are compared canonical (symlinks,
/// `..`), `--out` as far as it exists.
fn refuse_out_inside_graded(out: &Path, target: &CheckTarget) -> Result<(), Error> {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let graded: Vec<(PathBuf, &str)> = match target {
        CheckTarget::Server(_) => Vec::new(),
        CheckTarget::Submissions(p) => canonical(p)
            .map(|p| (p, "the class folder being graded"))
            .into_iter()
            .collect(),
        CheckTarget::Store(p) | CheckTarget::Mlruns(p) => match canonical(p) {
            Some(store) if store.is_dir() && matches!(target, CheckTarget::Store(_)) => {
                vec![(store, "the store being graded")]
            }
            Some(store) => store
                .parent()
                .map(|dir| {
                    (
                        dir.to_path_buf(),
                        "the folder holding the store being graded",
                    )
                })
                .into_iter()
                .collect(),
            None => Vec::new(),
        },
    };
    let out_abs = canonical_as_far_as_exists(out);
    for (dir, what) in graded {
        if out_abs.starts_with(&dir) {
            return Err(Error::Usage(format!(
                "--out {} is {} {} ({what}): the reports would overwrite files of the hand-in; \
                 choose a folder outside it",
                out.display(),
                if out_abs == dir {
                    "the graded folder itself,"
                } else {
                    "inside"
                },
                dir.display()
            )));
        }
    }
    Ok(())
}

/// `path` made absolute and canonical up to its deepest existing ancestor, the rest appended
/// with `.` and `..` resolved by name.
fn canonical_as_far_as_exists(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let components: Vec<std::path::Component<'_>> = absolute.components().collect();
    // The longest prefix that exists, canonical; the rest resolved by name.
    for keep in (1..=components.len()).rev() {
        let prefix: PathBuf = components[..keep].iter().collect();
        if let Ok(mut base) = std::fs::canonicalize(&prefix) {
            for c in &components[keep..] {
                match c {
                    std::path::Component::ParentDir => {
                        base.pop();
                    }
                    std::path::Component::CurDir => {}
                    other => base.push(other),
                }
            }
            return base;
        }
    }
    absolute
}

fn grade_action(args: GradeArgs, home: &Home, python: &str) -> Result<Action, Error> {
    let source_of_tasks = TaskSource::detect(args.tasks_dir.as_deref());
    let tasks = source_of_tasks.resolve("all")?;
    let (source, exercises) = match given_target(&args.state, &args.server, home, python)? {
        Some(target) => {
            refuse_out_inside_graded(&args.out, &target)?;
            (GradeSource::Given(target), Vec::new())
        }
        None => (
            GradeSource::Reference(server_target(&args.server, home, python)?),
            // A student's homework is not graded on the other exercises, but the reference
            // shows that each of them can earn every point.
            crate::exercise::reference_tasks(&source_of_tasks)?,
        ),
    };
    // The reference is harness's own state: each `grade` rebuilds it from scratch.
    let device = args
        .device
        .parse()
        .map_err(|e: crate::nn::NnError| Error::Usage(format!("--device: {e}")))?;
    let run = RunOptions {
        seed: args.seed,
        replace: true,
        profile: Some(args.profile),
        device,
        ..RunOptions::default()
    };
    Ok(Action::Grade {
        tasks,
        source,
        options: GradeOptions {
            manual: existing_manual(args.manual)?,
            out: args.out,
            screenshots: !args.no_screenshots,
            run,
            exercises,
        },
    })
}

/// `--manual`, which must exist (what is in it is checked once the class is graded).
fn existing_manual(path: Option<PathBuf>) -> Result<Option<PathBuf>, Error> {
    match path {
        Some(p) if !p.exists() => Err(Error::Usage(format!(
            "--manual {}: no such file or folder",
            p.display()
        ))),
        other => Ok(other),
    }
}

/// Decides which server a command uses: `--tracking-uri`/`MLFLOW_TRACKING_URI` first, then the
/// requested backend (`auto` = Docker when an engine answers, else embedded).
fn serve_settings(args: ServeArgs, home: &Home, python: &str) -> Result<ServeSettings, Error> {
    if !args.poll_interval.is_finite() || args.poll_interval < 0.0 {
        return Err(Error::Usage(
            "--poll-interval must be a number of seconds, 0 or more".into(),
        ));
    }
    if args.max_body_bytes == 0 || args.max_batch_rows == 0 {
        return Err(Error::Usage(
            "--max-body-bytes and --max-batch-rows must be at least 1".into(),
        ));
    }
    let model = if args.model.starts_with("models:/") || args.model.starts_with("runs:/") {
        crate::mlflow::ModelUri::parse(&args.model)
            .map_err(|e| Error::Usage(format!("MODEL_URI: {e}")))?;
        ModelSource::Registry {
            uri: args.model,
            server: server_target(&args.server, home, python)?,
        }
    } else {
        let dir = PathBuf::from(args.model.strip_prefix("file://").unwrap_or(&args.model));
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "`{}` is neither a model URI (models:/NAME@alias, models:/NAME/VERSION, models:/NAME/Stage, runs:/RUN_ID/path) nor a model folder",
                args.model
            )));
        }
        ModelSource::Folder(dir)
    };
    Ok(ServeSettings {
        model,
        host: args.host,
        port: args.port,
        poll_interval: (args.poll_interval > 0.0)
            .then(|| std::time::Duration::from_secs_f64(args.poll_interval)),
        limits: crate::serve::Limits {
            max_body_bytes: args.max_body_bytes,
            max_batch_rows: args.max_batch_rows,
        },
    })
}

pub(crate) fn server_target(
    args: &ServerArgs,
    home: &Home,
    python: &str,
) -> Result<ServerTarget, Error> {
    if let Some(uri) = args.tracking_uri.as_deref().filter(|u| !u.is_empty()) {
        let (uri, auth_in_uri) = parse_tracking_uri(uri)?;
        return Ok(ServerTarget::External {
            uri,
            auth: Auth::from_env().or(auth_in_uri),
        });
    }
    let container = match args.backend {
        Backend::Container => true,
        Backend::Embedded => false,
        Backend::Auto => docker_available(),
    };
    Ok(if container {
        ServerTarget::Container {
            image: args.mlflow_image.clone(),
        }
    } else {
        ServerTarget::Embedded {
            home: home.clone(),
            instance: args.instance.clone(),
            python: python.into(),
        }
    })
}

/// Parses a tracking URI, moving any `user:password@` into Basic auth so that no URL the harness
/// prints or logs carries a credential.
pub(crate) fn parse_tracking_uri(raw: &str) -> Result<(Url, Option<Auth>), Error> {
    let mut url = Url::parse(raw).map_err(|e| {
        Error::Usage(format!(
            "--tracking-uri `{}` is not a URL: {e}",
            crate::mlflow::redact_str(raw)
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Usage(format!(
            "--tracking-uri must be an http:// or https:// MLflow server, not `{}`; to grade a store file use --store",
            crate::mlflow::redact_str(raw)
        )));
    }
    let auth = (!url.username().is_empty()).then(|| Auth::Basic {
        username: url.username().to_string(),
        password: url.password().unwrap_or_default().to_string(),
    });
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Ok((url, auth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_uri_become_auth_and_leave_the_url() {
        let (url, auth) = parse_tracking_uri("http://ta:s3cret@127.0.0.1:5000").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:5000/");
        assert!(
            matches!(auth, Some(Auth::Basic { ref username, ref password }) if username == "ta" && password == "s3cret")
        );
    }

    #[test]
    fn out_paths_are_compared_canonical_as_far_as_they_exist() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(root.join("hand-in")).unwrap();
        std::os::unix::fs::symlink(root.join("hand-in"), root.join("link")).unwrap();
        for (given, want) in [
            (root.join("link/new/x"), root.join("hand-in/new/x")),
            (root.join("link/new/../y"), root.join("hand-in/y")),
            (root.join("hand-in/./z"), root.join("hand-in/z")),
        ] {
            assert_eq!(
                canonical_as_far_as_exists(&given),
                want,
                "{}",
                given.display()
            );
        }
        let store = root.join("hand-in/mlflow.db");
        std::fs::write(&store, "").unwrap();
        let target = CheckTarget::Store(store);
        assert!(refuse_out_inside_graded(&root.join("link"), &target).is_err());
        assert!(refuse_out_inside_graded(&root.join("hand-in/r"), &target).is_err());
        assert!(refuse_out_inside_graded(&root.join("hand-in-reports"), &target).is_ok());
        let class = CheckTarget::Submissions(root.clone());
        assert!(refuse_out_inside_graded(&root, &class).is_err());
        assert!(refuse_out_inside_graded(&root.join("../elsewhere"), &class).is_ok());
    }

    fn settings(args: &[&str]) -> Result<Settings, Error> {
        use clap::Parser;
        let cli = Cli::try_parse_from(std::iter::once("harness").chain(args.iter().copied()))
            .map_err(|e| Error::Usage(e.to_string()))?;
        Settings::from_cli(cli)
    }

    #[test]
    fn run_wine_maps_to_a_run_action_with_its_options() {
        let s = settings(&[
            "run",
            "wine",
            "--tracking-uri",
            "http://127.0.0.1:5000",
            "--seed",
            "7",
            "--replace",
            "--name-prefix",
            "alice-",
        ])
        .unwrap();
        let Action::Run {
            tasks,
            server,
            options,
        } = s.action
        else {
            panic!("not a run: {:?}", s.action);
        };
        assert_eq!(
            tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            ["wine"]
        );
        assert!(
            matches!(server, ServerTarget::External { ref uri, .. } if uri.as_str() == "http://127.0.0.1:5000/")
        );
        assert_eq!(
            options,
            RunOptions {
                seed: Some(7),
                replace: true,
                name_prefix: Some("alice-".into()),
                ..RunOptions::default()
            }
        );
    }

    #[test]
    fn run_all_is_wine_then_mnist_quick_and_mnist_takes_its_options() {
        let s = settings(&["run", "all", "--tracking-uri", "http://127.0.0.1:5000"]).unwrap();
        let Action::Run { tasks, options, .. } = s.action else {
            panic!("not a run");
        };
        assert_eq!(
            tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            ["wine", "mnist"]
        );
        assert_eq!(options.profile.as_deref(), Some("quick"));
        let s = settings(&[
            "run",
            "mnist",
            "--tracking-uri",
            "http://127.0.0.1:5000",
            "--profile",
            "quick",
            "--device",
            "cuda:1",
        ])
        .unwrap();
        let Action::Run { tasks, options, .. } = s.action else {
            panic!("not a run");
        };
        assert_eq!(tasks[0].id, "mnist");
        assert_eq!(options.profile.as_deref(), Some("quick"));
        assert_eq!(options.device, DeviceKind::Cuda(1));
        // `run mnist` alone trains the homework's epochs.
        let s = settings(&["run", "mnist", "--tracking-uri", "http://x:1"]).unwrap();
        assert!(matches!(s.action, Action::Run { ref options, .. } if options.profile.is_none()));
        let err = settings(&["run", "mnist", "--device", "tpu"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("cuda"), "{err}");
        // numpy's RandomState takes seeds below 2^32.
        assert!(settings(&["run", "wine", "--seed", "4294967296"]).is_err());
    }

    #[test]
    fn bench_train_maps_epochs_and_engine() {
        let s = settings(&["bench", "train", "--epochs", "3", "--engine", "fused"]).unwrap();
        assert!(matches!(
            s.action,
            Action::BenchTrain {
                epochs: 3,
                engine: Engine::Fused
            }
        ));
    }

    #[test]
    fn bad_uris_are_usage_errors_without_secrets() {
        let err = parse_tracking_uri("sqlite:///mlflow.db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("--store"), "{err}");
        let err = parse_tracking_uri("ftp://u:pw@host/x")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("pw"), "{err}");
    }
}
