//! Anti-fabrication (`harness check --rescore`): recompute the champion's test accuracy from its
//! files and compare it with what the run logged.
//!
//! harness's own model files are scored natively. A student's pickled scikit-learn model is code:
//! it is only ever loaded in the jail (`jail.rs`) — a read-only view of the system and the
//! harness venv, a copy of the model, a private tmpfs `/tmp`, no network, user `nobody`, memory,
//! CPU and wall-clock limits — never in this process. Where that cannot be built, rescoring says
//! so instead of loading the model unconfined.
//!
//! The predictions come back on a pipe of their own, tagged with a nonce; whatever the model
//! prints is only diagnostics. (A model still decides what its `predict` returns: rescoring
//! measures that, it cannot make a model honest.)

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::jail::{Captured, Ended, INPUTS, Jail, Limits, NOBODY, Outcome};
use crate::handin::{self, HandIn, Kind};
use crate::progress::Progress;
use crate::server::{Home, ServerError, mlflow_requirement};
use crate::train::ModelFile;

/// What the sandbox venv needs besides mlflow to load scikit-learn models as students save them.
pub(crate) const SANDBOX_PACKAGES: [&str; 2] = ["scikit-learn==1.9.1", "skops==0.16.0"];

#[derive(Debug, thiserror::Error)]
pub enum RescoreError {
    #[error("cannot prepare the rescoring sandbox: {0}")]
    Sandbox(#[from] ServerError),
    #[error(
        "the rescoring sandbox is unavailable on this machine, so the model was not loaded: {0}"
    )]
    SandboxUnavailable(String),
    #[error("cannot run the rescoring sandbox: {0}")]
    Jail(String),
    #[error("no model files in {0}")]
    NoModel(PathBuf),
    #[error(
        "model in {dir} has flavors {flavors:?}; rescoring supports harness models and scikit-learn pickles"
    )]
    UnsupportedFlavor { dir: PathBuf, flavors: Vec<String> },
    #[error("loading the model in the sandbox failed: {0}")]
    Subprocess(String),
    #[error("the sandbox took longer than {0:?} and was killed")]
    Timeout(Duration),
    #[error("the model ran out of the sandbox's {limit_mib} MiB of memory ({detail})")]
    MemoryLimit { limit_mib: u64, detail: String },
    #[error("the model used more than {0:?} of CPU time and was stopped")]
    CpuLimit(Duration),
    #[error("the model was killed by signal {signal} ({why})")]
    Killed { signal: i32, why: String },
    #[error("loading the model in the sandbox failed with exit code {code}: {last_line}")]
    Failed { code: i32, last_line: String },
    #[error("the sandbox returned no valid result: {0}")]
    NoResult(String),
    #[error("{0}")]
    Model(String),
}

/// Limits for the Python subprocess that unpickles student models.
#[derive(Debug, Clone)]
pub struct Sandbox {
    python: PathBuf,
    jail: Jail,
    pub(crate) timeout: Duration,
    pub(crate) cpu: Duration,
    pub(crate) memory_bytes: u64,
    /// Why the sandbox cannot be built here (the probe at provisioning failed).
    unavailable: Option<String>,
    /// Another interpreter for PyTorch models (`--torch-python`); this one when `None`.
    torch: Option<Box<Sandbox>>,
}

impl Sandbox {
    /// The harness venv with [`SANDBOX_PACKAGES`] added (installed once, beside mlflow), and a
    /// probe that the sandbox can be built on this machine.
    pub fn provision(
        home: &Home,
        python: &str,
        progress: &Progress,
    ) -> Result<Sandbox, RescoreError> {
        let mlflow = mlflow_requirement();
        let mut requirements = vec![mlflow.as_str()];
        requirements.extend(SANDBOX_PACKAGES);
        let venv = home.mlflow_venv();
        venv.ensure(python, &requirements, progress)?;
        // The canonical path, because that is where the sandbox binds the venv.
        let venv_dir = std::fs::canonicalize(venv.path()).unwrap_or_else(|_| venv.path());
        Ok(Sandbox::on(venv_dir.join("bin").join("python")))
    }

    /// A sandbox running `py`, probed.
    fn on(py: PathBuf) -> Sandbox {
        let (prefixes, unavailable) = match interpreter_prefixes(&py) {
            Ok(p) => (p, None),
            Err(why) => (vec![], Some(why)),
        };
        let mut sandbox = Sandbox {
            python: py,
            jail: Jail::new(&prefixes),
            timeout: Duration::from_secs(120),
            cpu: Duration::from_secs(121),
            memory_bytes: 4 << 30,
            unavailable,
            torch: None,
        };
        if sandbox.unavailable.is_none() {
            sandbox.unavailable = sandbox.probe().err().map(|e| {
                let why = match e {
                    RescoreError::Jail(why) => why,
                    e => e.to_string(),
                };
                // SAFETY: geteuid has no preconditions.
                if unsafe { libc::geteuid() } == 0 {
                    why
                } else {
                    format!("{why} (building it needs root or unprivileged user namespaces)")
                }
            });
        }
        sandbox
    }

    /// PyTorch models load with `python` (a venv with torch and this mlflow), in a sandbox of
    /// its own with the same limits, but memory: torch maps gigabytes of libraries at import.
    pub fn with_torch_python(mut self, python: &Path) -> Sandbox {
        // The folder canonical (where the sandbox binds it), not the file: a venv's `python`
        // is a link out of the venv, and Python finds its venv through that link's own path.
        let python = match (python.parent(), python.file_name()) {
            (Some(dir), Some(name)) if !dir.as_os_str().is_empty() => std::fs::canonicalize(dir)
                .map(|d| d.join(name))
                .unwrap_or_else(|_| python.to_path_buf()),
            _ => python.to_path_buf(),
        };
        let mut torch = Sandbox::on(python);
        torch.timeout = self.timeout;
        torch.cpu = self.cpu;
        torch.memory_bytes = self.memory_bytes.max(TORCH_MEMORY);
        self.torch = Some(Box::new(torch));
        self
    }

    /// The wall-clock limit (default 120 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Sandbox {
        self.timeout = timeout;
        self
    }

    /// The CPU-time limit (default a second over the wall-clock limit).
    pub fn with_cpu_limit(mut self, cpu: Duration) -> Sandbox {
        self.cpu = cpu;
        self
    }

    /// The address-space limit (default 4 GiB).
    pub fn with_memory_limit(mut self, bytes: u64) -> Sandbox {
        self.memory_bytes = bytes;
        self
    }

    /// Why models cannot be loaded on this machine, when they cannot.
    pub fn unavailable(&self) -> Option<&str> {
        self.unavailable.as_deref()
    }

    /// Predicts class labels for `rows` with the scikit-learn model saved in `model_dir`.
    pub(crate) fn predict_sklearn(
        &self,
        model_dir: &Path,
        rows: &[Vec<f64>],
    ) -> Result<Vec<i64>, RescoreError> {
        if let Some(why) = &self.unavailable {
            return Err(RescoreError::SandboxUnavailable(why.clone()));
        }
        let reply = self.run(
            PREDICT_SCRIPT,
            Some(model_dir),
            serde_json::json!({ "rows": rows }),
            None,
        )?;
        serde_json::from_value(reply)
            .map_err(|e| RescoreError::NoResult(format!("the reply holds no predictions: {e}")))
    }

    /// Scores the PyTorch MNIST model in `model_dir` on the test splits in `request` (see
    /// [`MnistRequest`]) with the torch interpreter; `pixels` are the pool's images, 784 bytes each.
    pub(crate) fn score_torch_mnist(
        &self,
        model_dir: &Path,
        request: &MnistRequest,
        pixels: &[u8],
    ) -> Result<Vec<MnistScores>, RescoreError> {
        let sandbox = self.torch.as_deref().unwrap_or(self);
        if let Some(why) = &sandbox.unavailable {
            return Err(RescoreError::SandboxUnavailable(why.clone()));
        }
        let payload = serde_json::to_value(request)
            .map_err(|e| RescoreError::Jail(format!("request: {e}")))?;
        let reply = sandbox.run(
            MNIST_TORCH_SCRIPT,
            Some(model_dir),
            payload,
            Some(("pixels.u8", pixels)),
        )?;
        serde_json::from_value(reply)
            .map_err(|e| RescoreError::NoResult(format!("the reply holds no MNIST scores: {e}")))
    }

    /// Runs the sandbox once with a script that checks what it must not be able to do.
    fn probe(&self) -> Result<serde_json::Value, RescoreError> {
        self.clone().with_timeout(Duration::from_secs(30)).run(
            PROBE_SCRIPT,
            None,
            serde_json::json!({}),
            None,
        )
    }

    /// Runs `script` on a copy of `model_dir`, with `payload`'s fields in the request and
    /// `file` (name, bytes) beside it; returns the reply's `result`.
    fn run(
        &self,
        script: &str,
        model_dir: Option<&Path>,
        payload: serde_json::Value,
        file: Option<(&str, &[u8])>,
    ) -> Result<serde_json::Value, RescoreError> {
        let io = |what: &str, e: std::io::Error| RescoreError::Jail(format!("{what}: {e}"));
        let stage = tempfile::Builder::new()
            .prefix("harness-sandbox-")
            .tempdir()
            .map_err(|e| io("staging folder", e))?;
        // What the sandbox reads: a copy, so that its permissions let `nobody` read it whoever
        // owns the original, and nothing outside it is reachable through its links.
        let inputs = stage.path().join("in");
        make_readable_dir(&inputs).map_err(|e| io("staging folder", e))?;
        if let Some(dir) = model_dir {
            copy_model(dir, &inputs.join("model"), 0)
                .map_err(|e| io(&format!("copying {}", dir.display()), e))?;
        }
        if let Some((name, bytes)) = file {
            let path = inputs.join(name);
            std::fs::write(&path, bytes)
                .and_then(|()| {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
                })
                .map_err(|e| io(name, e))?;
        }
        let nonce = format!("{:032x}", rand::random::<u128>());
        // SAFETY: geteuid and getuid have no preconditions.
        let (root, uid) = unsafe { (libc::geteuid() == 0, libc::getuid()) };
        let request = serde_json::json!({
            "nonce": nonce,
            "model_dir": format!("{INPUTS}/model"),
            "payload": payload,
            // What the probe checks: `nobody` without groups, or (in a user namespace) the
            // caller's own uid, whose groups cannot be dropped without root.
            "uid": if root { NOBODY } else { uid },
            "no_groups": root,
        });
        let request_path = inputs.join("request.json");
        std::fs::write(&request_path, request.to_string())
            .and_then(|()| {
                std::fs::set_permissions(&request_path, std::fs::Permissions::from_mode(0o644))
            })
            .map_err(|e| io("request", e))?;
        let limits = Limits {
            wall: self.timeout,
            cpu: self.cpu,
            memory_bytes: self.memory_bytes,
            tmp_bytes: 64 << 20,
        };
        let outcome = self
            .jail
            .run(
                &self.python,
                &["-I", "-B", "-c", script],
                &SANDBOX_ENV,
                &inputs,
                stage.path(),
                limits,
            )
            .map_err(|e| RescoreError::Jail(e.to_string()))?;
        self.verdict(outcome, &nonce)
    }

    /// What the run's ending says: the result channel only when the program exited cleanly.
    fn verdict(&self, outcome: Outcome, nonce: &str) -> Result<serde_json::Value, RescoreError> {
        let stderr = &outcome.stderr;
        let last_line = || describe_output(stderr, &outcome.stdout);
        match outcome.ended {
            Ended::TimedOut => Err(RescoreError::Timeout(self.timeout)),
            Ended::SetupFailed(why) => Err(RescoreError::SandboxUnavailable(why)),
            Ended::Vanished => Err(RescoreError::Subprocess(format!(
                "the sandbox ended without a report after {:?}; {}",
                outcome.elapsed,
                last_line()
            ))),
            Ended::Signaled(libc::SIGXCPU) => Err(RescoreError::CpuLimit(self.cpu)),
            Ended::Signaled(signal) if out_of_memory(stderr) => Err(RescoreError::MemoryLimit {
                limit_mib: self.memory_bytes >> 20,
                detail: format!("signal {signal}; {}", last_line()),
            }),
            Ended::Signaled(signal) => Err(RescoreError::Killed {
                signal,
                why: if signal == libc::SIGKILL {
                    format!(
                        "the CPU limit's hard stop or the kernel's out-of-memory killer; {}",
                        last_line()
                    )
                } else {
                    last_line()
                },
            }),
            Ended::Exited(code) if code != 0 && out_of_memory(stderr) => {
                Err(RescoreError::MemoryLimit {
                    limit_mib: self.memory_bytes >> 20,
                    detail: last_line(),
                })
            }
            Ended::Exited(code) if code != 0 => Err(RescoreError::Failed {
                code,
                last_line: last_line(),
            }),
            Ended::Exited(_) => parse_reply(&outcome.result, nonce),
        }
    }
}

/// No proxy, no index and no tracking server to reach, one BLAS thread (threads eat the address
/// space the memory limit counts).
const SANDBOX_ENV: [(&str, &str); 11] = [
    ("PATH", "/usr/bin:/bin"),
    ("HOME", "/tmp"),
    ("TMPDIR", "/tmp"),
    ("LANG", "C.UTF-8"),
    ("HTTP_PROXY", "http://127.0.0.1:9"),
    ("HTTPS_PROXY", "http://127.0.0.1:9"),
    ("PIP_NO_INDEX", "1"),
    ("MLFLOW_TRACKING_URI", "file:///nonexistent"),
    ("OPENBLAS_NUM_THREADS", "1"),
    ("OMP_NUM_THREADS", "1"),
    ("MKL_NUM_THREADS", "1"),
];

/// The last line of stderr (of stdout when stderr is empty), and whether stderr was cut.
fn describe_output(stderr: &Captured, stdout: &Captured) -> String {
    let line = stderr
        .last_line()
        .or_else(|| stdout.last_line().map(|l| format!("stdout: {l}")))
        .unwrap_or_else(|| "no output".into());
    if stderr.truncated() {
        format!(
            "{line} (stderr was {} bytes; the first and last {} KiB were kept)",
            stderr.total,
            stderr.tail.len().max(stderr.head.len()) >> 10
        )
    } else {
        line
    }
}

/// Whether the program said it could not get memory (RLIMIT_AS makes allocations fail, which
/// Python reports as MemoryError).
fn out_of_memory(stderr: &Captured) -> bool {
    let tail = String::from_utf8_lossy(&stderr.tail);
    let head = String::from_utf8_lossy(&stderr.head);
    // A traceback ends in the tail once stderr is long; a short one is all in the head.
    let text = if stderr.tail.is_empty() { head } else { tail };
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    [
        "MemoryError",
        "Cannot allocate memory",
        "bad_alloc",
        "out of memory",
    ]
    .iter()
    .any(|m| last.contains(m))
}

/// The one reply on the result channel, with this run's nonce.
fn parse_reply(result: &Captured, nonce: &str) -> Result<serde_json::Value, RescoreError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Reply {
        nonce: String,
        result: serde_json::Value,
    }
    if result.truncated() {
        return Err(RescoreError::NoResult(format!(
            "the reply was larger than {} bytes",
            result.head.len()
        )));
    }
    if result.head.is_empty() {
        return Err(RescoreError::NoResult(
            "the script exited without writing its reply".into(),
        ));
    }
    let reply: Reply = serde_json::from_slice(&result.head).map_err(|e| {
        RescoreError::NoResult(format!("the result channel held something else: {e}"))
    })?;
    if reply.nonce != nonce {
        return Err(RescoreError::NoResult(
            "the reply does not carry this run's nonce".into(),
        ));
    }
    Ok(reply.result)
}

/// `sys.prefix` (the venv), `sys.base_prefix` and the real interpreter's folder: what the
/// sandbox must show for this Python to start.
fn interpreter_prefixes(python: &Path) -> Result<Vec<PathBuf>, String> {
    let out = Command::new(python)
        .args([
            "-I",
            "-c",
            "import os, sys; print(sys.prefix); print(sys.base_prefix); \
             print(os.path.dirname(os.path.realpath(sys.executable)))",
        ])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect())
}

fn make_readable_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
}

/// Copies a model folder for the sandbox: folders and regular files, readable by all; symlinks
/// as they are (they resolve inside the sandbox, where the host is not); nothing else.
fn copy_model(from: &Path, to: &Path, depth: usize) -> std::io::Result<()> {
    if depth > 16 {
        return Err(std::io::Error::other("model folder nested deeper than 16"));
    }
    make_readable_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_model(&src, &dst, depth + 1)?;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst)?;
            std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o644))?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        }
    }
    Ok(())
}

/// Shared start of both scripts: the request, and the result channel kept from the model's
/// subprocesses.
macro_rules! script_prelude {
    () => {
        r#"
import json, os, sys
_out = int(os.environ.pop("HARNESS_RESULT_FD"))  # jail::RESULT_FD_ENV
os.set_inheritable(_out, False)
with open("/sandbox/request.json") as f:
    req = json.load(f)
payload = req["payload"]
def reply(result):
    with os.fdopen(_out, "w") as f:
        json.dump({"nonce": req["nonce"], "result": result}, f)
"#
    };
}

/// Loads an MLflow scikit-learn model directory and predicts; the reply goes to the result
/// channel only.
const PREDICT_SCRIPT: &str = concat!(
    script_prelude!(),
    r#"
import numpy as np
import mlflow.sklearn
model = mlflow.sklearn.load_model(req["model_dir"])
X = np.asarray(payload["rows"], dtype=float)
try:
    pred = model.predict(X)
except Exception:
    import pandas as pd
    names = getattr(model, "feature_names_in_", None)
    pred = model.predict(pd.DataFrame(X, columns=list(names) if names is not None else None))
reply([int(p) for p in np.asarray(pred).ravel()])
"#
);

/// The address-space limit for PyTorch models: importing torch maps its (CUDA) libraries.
const TORCH_MEMORY: u64 = 16 << 30;

/// What the MNIST scoring script is asked: the pool's size, the test rows of the spec's split
/// (`train_test_split`-compatible, rebuilt here), and the seed and train fraction with which the
/// script also rebuilds `torch.utils.data.random_split`'s test rows, which only torch can.
#[derive(Debug, serde::Serialize)]
pub(crate) struct MnistRequest {
    pub(crate) n: usize,
    pub(crate) test_indices: Vec<usize>,
    pub(crate) seed: u64,
    pub(crate) train_fraction: f64,
}

/// The model's answers on one test split under one preprocessing.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MnistScores {
    /// How the test rows were chosen: `train_test_split` or `random_split`.
    pub(crate) split: String,
    /// Pixels normalised with MNIST's mean and std after scaling to [0, 1] (else only scaled).
    pub(crate) normalized: bool,
    /// Pool rows of the test split, in its order.
    pub(crate) indices: Vec<usize>,
    pub(crate) predicted: Vec<usize>,
    /// The softmax probability of the predicted class.
    pub(crate) confidence: Vec<f64>,
}

/// Loads an MLflow PyTorch model and scores it on both rebuildable test splits, with pixels
/// scaled to [0, 1] and also normalised (the starter code's `Normalize((0.1307,), (0.3081,))`),
/// computed as torchvision does, in float32.
const MNIST_TORCH_SCRIPT: &str = concat!(
    script_prelude!(),
    r#"
import numpy as np
import torch
torch.set_num_threads(1)
import mlflow.pytorch
from torch.utils.data import random_split
model = mlflow.pytorch.load_model(req["model_dir"], map_location="cpu")
model.eval()
n = payload["n"]
pixels = torch.from_numpy(np.fromfile("/sandbox/pixels.u8", dtype=np.uint8).reshape(n, 1, 28, 28).copy())
f = payload["train_fraction"]
_, test = random_split(range(n), [f, 1 - f], generator=torch.Generator().manual_seed(payload["seed"]))
splits = [("train_test_split", list(payload["test_indices"])), ("random_split", list(test.indices))]
def outputs(x):
    try:
        return model(x)
    except Exception:
        return model(x.reshape(len(x), -1))
result = []
with torch.no_grad():
    for name, rows in splits:
        scaled = pixels[torch.tensor(rows, dtype=torch.long)].float().div(255)
        for normalized in (False, True):
            x = scaled.sub(0.1307).div(0.3081) if normalized else scaled
            out = torch.cat([outputs(x[i:i + 500]) for i in range(0, len(x), 500)]).float()
            is_proba = bool((out >= 0).all()) and bool(torch.allclose(out.sum(dim=1), torch.ones(len(out)), atol=1e-4))
            proba = out if is_proba else torch.softmax(out, dim=1)
            conf, pred = proba.max(dim=1)
            result.append({"split": name, "normalized": normalized, "indices": rows,
                           "predicted": [int(p) for p in pred], "confidence": [round(float(c), 6) for c in conf]})
reply(result)
"#
);

/// Fails unless the sandbox is what it claims: the expected user, nothing writable but `/tmp`.
const PROBE_SCRIPT: &str = concat!(
    script_prelude!(),
    r#"
if os.getuid() != req["uid"] or (req["no_groups"] and os.getgroups()):
    sys.exit(f"runs as uid {os.getuid()} groups {os.getgroups()}")
for p in ["/probe", "/sandbox/probe", os.path.join(sys.prefix, "probe")]:
    try:
        open(p, "w").close()
    except OSError:
        continue
    sys.exit(f"could write {p}")
import numpy
reply([])
"#
);

/// How a model directory is scored.
#[derive(Debug)]
pub(crate) enum Scorer<'a> {
    /// harness's own JSON model file.
    Native(Box<ModelFile>),
    /// A pickled or skops scikit-learn model, through the sandbox.
    Sklearn(&'a Sandbox),
}

/// Finds how to score `model_dir`: a harness model file first, else the sklearn flavor.
pub(crate) fn scorer_for<'a>(
    model_dir: &Path,
    sandbox: Option<&'a Sandbox>,
) -> Result<Scorer<'a>, RescoreError> {
    // The folder was located inside the hand-in; its files are read as hand-in files too.
    let hand_in = HandIn::new(model_dir).map_err(|_| RescoreError::NoModel(model_dir.into()))?;
    let mlmodel = match hand_in.read_text(Path::new("MLmodel"), Kind::Mlmodel) {
        Ok(text) => text,
        Err(e) if e.is_not_found() => return Err(RescoreError::NoModel(model_dir.into())),
        Err(e) => return Err(RescoreError::Model(e.to_string())),
    };
    let summary = crate::snapshot::MlModelSummary::parse(&mlmodel).map_err(RescoreError::Model)?;
    for entry in std::fs::read_dir(model_dir)
        .map_err(|_| RescoreError::NoModel(model_dir.into()))?
        .flatten()
    {
        let path = entry.path();
        // Only plain files: a FIFO named model.json must not block the grader.
        if path.extension().is_some_and(|e| e == "json")
            && entry.file_type().is_ok_and(|t| t.is_file())
            && entry
                .metadata()
                .is_ok_and(|m| m.len() <= handin::Limits::current().cap(Kind::Artifact))
            && let Ok(file) = ModelFile::read(&path)
        {
            return Ok(Scorer::Native(Box::new(file)));
        }
    }
    if summary.flavors.iter().any(|f| f == "sklearn") {
        return sandbox
            .map(Scorer::Sklearn)
            .ok_or_else(|| RescoreError::Model("no sandbox for a scikit-learn model".into()));
    }
    Err(RescoreError::UnsupportedFlavor {
        dir: model_dir.into(),
        flavors: summary.flavors,
    })
}

/// Predictions of the model in `model_dir` for `rows` (each of the dataset's feature count).
pub fn predict(
    model_dir: &Path,
    rows: &[Vec<f64>],
    sandbox: Option<&Sandbox>,
) -> Result<Vec<i64>, RescoreError> {
    match scorer_for(model_dir, sandbox)? {
        Scorer::Native(file) => rows
            .iter()
            .map(|r| {
                file.model
                    .try_predict(r)
                    .map(|p| p as i64)
                    .map_err(|e| RescoreError::Model(e.to_string()))
            })
            .collect(),
        Scorer::Sklearn(sandbox) => sandbox.predict_sklearn(model_dir, rows),
    }
}

/// Accuracy of `predictions` against `targets`.
pub(crate) fn accuracy(predictions: &[i64], targets: &[usize]) -> f64 {
    if targets.is_empty() {
        return 0.0;
    }
    let hits = predictions
        .iter()
        .zip(targets)
        .filter(|(p, t)| **p == **t as i64)
        .count();
    hits as f64 / targets.len() as f64
}
