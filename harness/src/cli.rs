//! Command-line types (clap derive). Nothing outside [`crate::settings`] sees them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The exit codes, as `--help` lists them (and README's command table).
const EXIT_CODES: &str = "Exit codes: 0 every automatic check passed (or the command succeeded); \
1 a check failed, or the work failed (an MLflow server unreachable, a run that failed); \
2 usage errors and unusable inputs (options, task files, --out inside what is graded); \
3 the reports or output could not be written (--out unwritable).";

const GATE_EXIT_CODES: &str = "Exit codes: 0 every threshold holds; 1 a threshold failed, or \
the model could not be loaded or scored; 2 usage errors (options, the config file).";

/// Reproducible reference runs, grading and reports for the MLflow Model Registry homework.
#[derive(Debug, Parser)]
#[command(
    name = "harness",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// Where harness keeps its MLflow venv and embedded server stores
    /// [default: the per-user cache directory, e.g. ~/.cache/harness]
    #[arg(long, env = "HARNESS_HOME", global = true, value_name = "DIR")]
    pub(crate) home: Option<PathBuf>,

    /// No progress output (for CI and scripts)
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,

    /// Raise or lower a limit on what is read from a hand-in, e.g. `--limit notebook=1GiB`.
    /// Kinds: mlmodel (16MiB), meta (4MiB), value (4MiB), metric (256MiB), notebook (256MiB),
    /// text (32MiB), image (64MiB), database (4GiB), artifact (1GiB); also yaml-depth=N (100) and
    /// time=SECONDS per hand-in of a class (120)
    #[arg(long = "limit", global = true, value_name = "KIND=SIZE")]
    pub(crate) limits: Vec<String>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Manage the embedded MLflow server (up, down, status)
    #[command(subcommand)]
    Mlflow(MlflowCommand),
    /// Grade an MLflow state against the rubric: a live server, a store file, an mlruns/ folder,
    /// or a folder with one sub-folder per student
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Start MLflow, run every task's reference with its fixed seed, grade it, and write reports
    /// (what `just grade` runs); with --tracking-uri, --store, --mlruns or --submissions, grade
    /// that instead of running the reference
    #[command(after_help = EXIT_CODES)]
    Grade(GradeArgs),
    /// Do a homework task against an MLflow server exactly as a perfect submission would
    /// (runs, logged models, registered versions, tags, aliases) and load the champion back
    Run(RunArgs),
    /// The CI step that fails a bad model: load `models:/NAME@alias`, score it on a task's test
    /// rows, and exit 1 when a threshold does not hold
    #[command(after_help = GATE_EXIT_CODES)]
    Gate(GateArgs),
    /// A hyperparameter sweep (grid, random or TPE) over an experiment config: one child run per
    /// trial under a parent run named after the sweep; a rerun keeps finished trials
    Sweep(SweepArgs),
    /// Measure things (training throughput)
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Serve a model over HTTP: MLflow's scoring protocol (/invocations, /ping, /version), the
    /// course's /predict and Prometheus /metrics; follows the alias when it moves
    #[command(after_help = EXIT_CODES)]
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The model: `models:/NAME@alias`, `models:/NAME/VERSION`, `models:/NAME/Stage`,
    /// `runs:/RUN_ID/path`, or a local model folder (with its MLmodel)
    #[arg(value_name = "MODEL_URI")]
    pub model: String,

    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    pub host: String,

    /// Port to listen on (0 = any free port; the URL is printed)
    #[arg(long, default_value_t = 8000, value_name = "PORT")]
    pub port: u16,

    /// Seconds between asking the registry where the alias (or stage) points; 0 = never
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub poll_interval: f64,

    /// Largest request body accepted (bigger ones get 413)
    #[arg(long, default_value_t = 8 << 20, value_name = "N")]
    pub max_body_bytes: usize,

    /// Most rows one request may score
    #[arg(long, default_value_t = 5000, value_name = "N")]
    pub max_batch_rows: usize,

    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Samples per second of training each MNIST architecture on the embedded digits
    /// (7 000 training images, the spec's batch sizes)
    Train {
        /// Epochs per architecture
        #[arg(long, default_value_t = 2, value_name = "N")]
        epochs: usize,
        /// Which implementation trains (auto = fused on the CPU)
        #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
        engine: EngineArg,
    },
}

/// `--engine` of `bench train`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EngineArg {
    /// Fused CPU kernels on the CPU, candle elsewhere
    Auto,
    /// Hand-written forward/backward + Adam (CPU only)
    Fused,
    /// candle tensors and autograd
    Candle,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Task to grade: a name in the tasks folder (wine, mnist, overall, zoomcamp-hw2, …), `all`
    /// (the registry homework), a group of tasks (zoomcamp, day28, labs), or a path to a .toml
    #[arg(long, default_value = "all", value_name = "TASK")]
    pub task: String,

    /// Folder with the task files [default: ./tasks if present, else the built-in copies]
    #[arg(long, value_name = "DIR")]
    pub(crate) tasks_dir: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) state: StateArgs,

    /// What to print on stdout
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,

    /// Also write results.json, Gradescope results and (for batches) gradebook.csv here
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,

    /// Student self-check view: what is wrong, without the grader's evidence
    #[arg(long)]
    pub(crate) student: bool,

    /// Merge a TA's reviews of the manual rubric items: a manual.csv, or a folder whose
    /// manual.toml files (one per student folder) are read; both as an earlier --out wrote them
    #[arg(long, value_name = "FILE|DIR")]
    pub(crate) manual: Option<PathBuf>,

    /// Recompute each champion's test accuracy from its files and compare with the logged one
    /// (Python models load only in a sandboxed subprocess: no network, memory and time limits)
    #[arg(long)]
    pub rescore: bool,

    /// With --rescore: the Python (a venv with torch and mlflow) that loads PyTorch models in
    /// the sandbox; default: the sandbox's own venv
    #[arg(
        long,
        value_name = "PYTHON",
        env = "HARNESS_TORCH_PYTHON",
        requires = "rescore"
    )]
    pub(crate) torch_python: Option<PathBuf>,

    /// Without --store/--mlruns/--submissions: the live server to grade
    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

#[derive(Debug, Args)]
pub(crate) struct GradeArgs {
    /// Where the reports go
    #[arg(long, default_value = "reports/latest", value_name = "DIR")]
    pub(crate) out: PathBuf,

    /// Skip the MLflow UI screenshots (taken with headless Chromium when one is installed)
    #[arg(long)]
    pub(crate) no_screenshots: bool,

    /// Merge a TA's reviews of the manual rubric items (a manual.csv, or a folder of
    /// manual.toml files), as `check --manual` does
    #[arg(long, value_name = "FILE|DIR")]
    pub(crate) manual: Option<PathBuf>,

    /// Seed for the reference runs [default: each task file's]
    #[arg(long, value_name = "N")]
    pub seed: Option<u32>,

    /// MNIST epochs for the reference: `quick` (the task file's short run) or `full` (the
    /// homework's 50/100/150)
    #[arg(long, default_value = "quick", value_name = "PROFILE")]
    pub profile: String,

    /// Where the MNIST networks train: cpu, cuda or cuda:N (CUDA needs the `cuda` feature)
    #[arg(long, default_value = "cpu", value_name = "DEVICE")]
    pub device: String,

    /// Folder with the task files [default: ./tasks if present, else the built-in copies]
    #[arg(long, value_name = "DIR")]
    pub(crate) tasks_dir: Option<PathBuf>,

    /// Grade one of these instead of running the reference
    #[command(flatten)]
    pub(crate) state: StateArgs,

    /// The server: started for the reference run, or (with --tracking-uri) graded as it is
    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

/// A submitted MLflow state on disk (at most one).
#[derive(Debug, Args)]
#[group(multiple = false)]
pub(crate) struct StateArgs {
    /// A submitted MLflow SQLite store (any file name); opened read-only
    #[arg(long, value_name = "FILE")]
    pub(crate) store: Option<PathBuf>,

    /// A submitted mlruns/ file store
    #[arg(long, value_name = "DIR")]
    pub(crate) mlruns: Option<PathBuf>,

    /// A folder with one sub-folder per student (each with an mlflow.db or mlruns/)
    #[arg(long, value_name = "DIR")]
    pub(crate) submissions: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    /// A readable table
    Text,
    /// The results JSON (one object, or an array for --submissions)
    Json,
    /// The Markdown report (the class summary for --submissions)
    Md,
    /// Gradescope autograder results.json
    Gradescope,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Which task to run: wine, mnist or all (the homework), or an exercise whose task file has
    /// a [reference] section (day28-tracking, day28-versioning, day28-pipeline, day28-sweep,
    /// registry-lab), a group of them (day28, labs) or a task file (FILE.toml). Or `--config
    /// FILE` for an experiment of your own
    #[arg(value_name = "TASK", required_unless_present_any = ["config", "print_defaults"])]
    pub task: Option<String>,

    /// Run the experiment a config file describes (YAML, or TOML when it ends in .toml): data,
    /// model, training, registration. `--print-defaults` shows every key with its default
    #[arg(long, value_name = "FILE", conflicts_with = "task")]
    pub config: Option<PathBuf>,

    /// Print an experiment config with every default and exit
    #[arg(long, conflicts_with = "task")]
    pub print_defaults: bool,

    #[command(flatten)]
    pub(crate) server: ServerArgs,

    /// random_state of the train/test split and of every model [default: the task file's, 42]
    #[arg(long, value_name = "N")]
    pub seed: Option<u32>,

    /// MNIST epochs: `full` (the homework's 50/100/150) or `quick` (the task file's short run)
    /// [default: full for `run mnist`, quick for `run all`]
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Where the MNIST networks train: cpu, cuda or cuda:N (CUDA needs the `cuda` feature)
    #[arg(long, default_value = "cpu", value_name = "DEVICE")]
    pub device: String,

    /// MNIST IDX files (train-images-idx3-ubyte[.gz], …) instead of the embedded 10 000 digits
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Folder with the task files [default: ./tasks if present, else the built-in copies]
    #[arg(long, value_name = "DIR")]
    pub(crate) tasks_dir: Option<PathBuf>,

    /// If the task's registered model or runs already exist: delete the registered model (all
    /// versions and aliases), soft-delete the experiment's runs with the task's run names and
    /// their logged models, then run. Without it such a server is refused, unchanged
    #[arg(long)]
    pub replace: bool,

    /// Prepend this to the experiment and registered-model names (e.g. `alice-`), so several
    /// runs can share one server without touching each other's models
    #[arg(long, value_name = "PREFIX")]
    pub name_prefix: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct GateArgs {
    /// The model: `models:/NAME@alias`, `models:/NAME/VERSION` or `runs:/RUN_ID/model`
    #[arg(value_name = "MODEL_URI")]
    pub model: String,

    /// Whose test rows: `wine` (the homework's 80/20 split, seed 42), `mnist` (the embedded
    /// digits, 70/30, seed 42) or an experiment config file (the test part of its split)
    #[arg(long, value_name = "wine|mnist|CONFIG")]
    pub task: String,

    /// The metric `--min` applies to
    #[arg(long, value_enum, default_value_t = GateMetricArg::Accuracy)]
    pub metric: GateMetricArg,

    /// Fail (exit 1) when the metric is below this
    #[arg(long, value_name = "VALUE")]
    pub min: Option<f64>,

    /// Fail (exit 1) when predicting one row takes longer than this on average
    #[arg(long, value_name = "N")]
    pub max_latency_ms: Option<f64>,

    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    /// The sweep file: an experiment config (see `harness run --print-defaults`) with a
    /// `sweep:` section (strategy, metric, goal, parameters, max_evals, n_startup_trials)
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,

    /// Trials trained side by side [default: the number of CPUs]; TPE proposes this many at a
    /// time, so a TPE sweep reproduces at the same --jobs
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

/// `--metric` of `gate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GateMetricArg {
    Accuracy,
    /// Weighted F1 (scikit-learn's `f1_score(average="weighted")`)
    F1,
}

/// The homework's tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TaskName {
    /// Task 1: wine classification with three tree models
    Wine,
    /// Task 2: MNIST digits with neural networks
    Mnist,
    /// Every task, in order
    All,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MlflowCommand {
    /// Start a server (or reuse the running one) and print MLFLOW_TRACKING_URI=… on stdout
    Up {
        #[command(flatten)]
        instance: InstanceArgs,
        /// Where the server comes from
        #[arg(long = "mlflow", value_enum, default_value_t = UpBackend::Embedded)]
        backend: UpBackend,
    },
    /// Stop the server started by `up` and everything it spawned
    Down {
        #[command(flatten)]
        instance: InstanceArgs,
    },
    /// Say whether the server is running, where, and with which store
    Status {
        #[command(flatten)]
        instance: InstanceArgs,
    },
}

#[derive(Debug, Args)]
pub(crate) struct InstanceArgs {
    /// Name of the embedded server instance (each has its own store)
    #[arg(long, default_value = "default", value_name = "NAME")]
    pub(crate) instance: String,
}

/// Backends that `mlflow up` can leave running (a container lives only as long as its command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum UpBackend {
    Embedded,
}

/// Where the MLflow server comes from for commands that need one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Backend {
    /// Docker when a Docker engine answers (and harness has the `docker` feature), else embedded
    #[default]
    Auto,
    /// A pinned mlflow in a venv that harness installs once and starts on a free loopback port
    Embedded,
    /// ghcr.io/mlflow/mlflow in Docker through testcontainers
    Container,
}

/// How to reach MLflow, shared by every command that talks to a server.
#[derive(Debug, Args, Clone)]
pub(crate) struct ServerArgs {
    /// Use this MLflow server instead of starting one; credentials come from
    /// MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN
    #[arg(long, env = "MLFLOW_TRACKING_URI", value_name = "URI")]
    pub tracking_uri: Option<String>,

    /// Where to get a server when no --tracking-uri is given
    #[arg(long = "mlflow", value_enum, default_value_t = Backend::Auto)]
    pub(crate) backend: Backend,

    /// Image for --mlflow container
    #[arg(long, default_value = crate::server::DEFAULT_IMAGE, value_name = "IMAGE")]
    pub(crate) mlflow_image: String,

    /// Embedded instance to use or start
    #[arg(long = "instance", default_value = "default", value_name = "NAME")]
    pub(crate) instance: String,
}
