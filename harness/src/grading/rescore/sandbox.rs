//! Anti-fabrication (`harness check --rescore`): recompute the champion's test accuracy from its
//! files and compare it with what the run logged.
//!
//! harness's own model files are scored natively. A student's pickled scikit-learn model is code:
//! it is only ever loaded inside a subprocess of the harness venv, in its own network namespace
//! (no network), with address-space and CPU limits and a wall-clock kill — never in this process.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::progress::Progress;
use crate::server::{Home, ServerError, mlflow_requirement};
use crate::train::ModelFile;

/// What the sandbox venv needs besides mlflow to load scikit-learn models as students save them.
pub(crate) const SANDBOX_PACKAGES: [&str; 2] = ["scikit-learn==1.9.1", "skops==0.16.0"];

#[derive(Debug, thiserror::Error)]
pub enum RescoreError {
    #[error("cannot prepare the rescoring sandbox: {0}")]
    Sandbox(#[from] ServerError),
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
    #[error("{0}")]
    Model(String),
}

/// Limits for the Python subprocess that unpickles student models.
#[derive(Debug, Clone)]
pub struct Sandbox {
    python: PathBuf,
    pub(crate) timeout: Duration,
    pub(crate) memory_bytes: u64,
    /// `unshare -n` works here (it needs root or user namespaces); without it the subprocess is
    /// still cut off from proxies and the index, but not from the network as such.
    isolate_network: bool,
}

impl Sandbox {
    /// The harness venv with [`SANDBOX_PACKAGES`] added (installed once, beside mlflow).
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
        let py = venv.python();
        let isolate_network = Command::new("unshare")
            .args(["-n", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        Ok(Sandbox {
            python: py,
            timeout: Duration::from_secs(120),
            memory_bytes: 4 << 30,
            isolate_network,
        })
    }

    /// Predicts class labels for `rows` with the scikit-learn model saved in `model_dir`.
    pub(crate) fn predict_sklearn(
        &self,
        model_dir: &Path,
        rows: &[Vec<f64>],
    ) -> Result<Vec<i64>, RescoreError> {
        let request = serde_json::json!({ "model_dir": model_dir, "rows": rows }).to_string();
        let mut cmd = if self.isolate_network {
            let mut c = Command::new("unshare");
            c.arg("-n").arg(&self.python);
            c
        } else {
            Command::new(&self.python)
        };
        cmd.args(["-I", "-c", PREDICT_SCRIPT])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", std::env::temp_dir())
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("PIP_NO_INDEX", "1")
            .env("MLFLOW_TRACKING_URI", "file:///nonexistent")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let (memory, cpu) = (self.memory_bytes, self.timeout.as_secs() + 1);
        // SAFETY: setrlimit is async-signal-safe; the closure touches no shared state.
        unsafe {
            cmd.pre_exec(move || {
                let mem = libc::rlimit {
                    rlim_cur: memory,
                    rlim_max: memory,
                };
                let cpu = libc::rlimit {
                    rlim_cur: cpu,
                    rlim_max: cpu,
                };
                libc::setrlimit(libc::RLIMIT_AS, &mem);
                libc::setrlimit(libc::RLIMIT_CPU, &cpu);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| RescoreError::Subprocess(format!("{}: {e}", self.python.display())))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(request.as_bytes())
                .map_err(|e| RescoreError::Subprocess(e.to_string()))?;
        }
        let began = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if began.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(RescoreError::Timeout(self.timeout));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(RescoreError::Subprocess(e.to_string())),
            }
        }
        let out = child
            .wait_with_output()
            .map_err(|e| RescoreError::Subprocess(e.to_string()))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .to_string();
            return Err(RescoreError::Subprocess(format!("{} ({last})", out.status)));
        }
        #[derive(serde::Deserialize)]
        struct Reply {
            predictions: Vec<i64>,
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().last().unwrap_or("");
        serde_json::from_str::<Reply>(line)
            .map(|r| r.predictions)
            .map_err(|e| RescoreError::Subprocess(format!("unexpected reply {line:?}: {e}")))
    }
}

/// Loads an MLflow scikit-learn model directory and predicts; reads JSON on stdin, writes JSON.
const PREDICT_SCRIPT: &str = r#"
import json, sys
req = json.load(sys.stdin)
import numpy as np
import mlflow.sklearn
model = mlflow.sklearn.load_model(req["model_dir"])
X = np.asarray(req["rows"], dtype=float)
try:
    pred = model.predict(X)
except Exception:
    import pandas as pd
    names = getattr(model, "feature_names_in_", None)
    pred = model.predict(pd.DataFrame(X, columns=list(names) if names is not None else None))
print(json.dumps({"predictions": [int(p) for p in np.asarray(pred).ravel()]}))
"#;

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
    let mlmodel = std::fs::read_to_string(model_dir.join("MLmodel"))
        .map_err(|_| RescoreError::NoModel(model_dir.into()))?;
    let summary = crate::snapshot::MlModelSummary::parse(&mlmodel).map_err(RescoreError::Model)?;
    for entry in std::fs::read_dir(model_dir)
        .map_err(|_| RescoreError::NoModel(model_dir.into()))?
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json")
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
