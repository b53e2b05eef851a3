//! The one Python venv installer: a venv with a given list of pinned requirements, installed
//! once and shared by every harness process.
//!
//! Layout of a venv folder `<dir>`:
//! - `<dir>/venv`: the virtual environment;
//! - `<dir>/.installed`: the requirements installed so far, one a line, written only after an
//!   install succeeded (no file: nothing complete; the venv is rebuilt from scratch);
//! - `<dir>/install.log`: the output of the installs;
//! - `<dir>/.install.lock`: held while installing, so parallel processes (nextest runs each test
//!   in its own) install once and wait for each other.
//!
//! It uses `uv` when it is on PATH (much faster), else `python3 -m venv` + pip. Requirements asked
//! for later (the rescoring sandbox adds scikit-learn) are installed into the same venv, together
//! with those already there so the resolver keeps them.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::error::ServerError;
use super::install::{Lock, LockError, StepFailure, run_logged, tail, which};
use crate::progress::Progress;

/// What MLflow's ONNX flavor needs beside mlflow to load a model (`mlflow.onnx` imports
/// `onnxruntime`; `onnx` checks the file): named in every exported model's requirements and
/// installed into the harness venv on demand, like the rescoring sandbox's scikit-learn.
pub const ONNX_PACKAGES: [&str; 2] = ["onnx==1.23.2", "onnxruntime==1.32.0"];

/// Makes sure the harness venv has the pinned mlflow and [`ONNX_PACKAGES`] (installed once,
/// cached); returns its `python`.
pub fn ensure_onnx_runtime(
    home: &super::Home,
    python: &str,
    progress: &Progress,
) -> Result<PathBuf, ServerError> {
    let mlflow = super::mlflow_requirement();
    let mut requirements = vec![mlflow.as_str()];
    requirements.extend(ONNX_PACKAGES);
    let venv = home.mlflow_venv();
    venv.ensure(python, &requirements, progress)?;
    Ok(venv.python())
}

/// The longest one step (creating the venv, one `pip install`) may run before it is killed.
pub(crate) const STEP_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// A venv folder harness provisions (see the module docs for its layout).
#[derive(Debug, Clone)]
pub(crate) struct Venv {
    dir: PathBuf,
    step_timeout: Duration,
}

impl Venv {
    /// The venv folder `dir` (the environment itself is `dir/venv`).
    pub(crate) fn new(dir: impl Into<PathBuf>) -> Venv {
        Venv {
            dir: dir.into(),
            step_timeout: STEP_TIMEOUT,
        }
    }

    /// The virtual environment itself.
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.join("venv")
    }

    /// A program the venv installs (`python`, `mlflow`, `pip`).
    pub(crate) fn bin(&self, program: &str) -> PathBuf {
        self.path().join("bin").join(program)
    }

    pub(crate) fn python(&self) -> PathBuf {
        self.bin("python")
    }

    /// The log of every install into this venv.
    pub(crate) fn log(&self) -> PathBuf {
        self.dir.join("install.log")
    }

    fn marker(&self) -> PathBuf {
        self.dir.join(".installed")
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join(".install.lock")
    }

    /// The requirements a completed install recorded; `None` when there is no usable venv.
    pub(crate) fn installed(&self) -> Option<Vec<String>> {
        if !self.python().exists() {
            return None;
        }
        let text = fs::read_to_string(self.marker()).ok()?;
        Some(parse_marker(&text))
    }

    /// Whether every one of `requirements` is installed.
    pub(crate) fn has(&self, requirements: &[&str]) -> bool {
        self.installed()
            .is_some_and(|have| requirements.iter().all(|r| have.iter().any(|h| h == r)))
    }

    /// Makes sure the venv exists and has `requirements` (pinned `name==version` specs),
    /// creating it with the interpreter `python` when needed. Waits for another process that is
    /// installing into the same folder, then uses what it installed.
    pub(crate) fn ensure(
        &self,
        python: &str,
        requirements: &[&str],
        progress: &Progress,
    ) -> Result<(), ServerError> {
        if self.has(requirements) {
            return Ok(());
        }
        let lock_path = self.lock_path();
        let _lock = Lock::acquire_within(&lock_path, self.lock_wait(), || {
            progress.set_message(format!(
                "waiting for another harness process that installs into {} (lock {})",
                self.path().display(),
                lock_path.display()
            ))
        })
        .map_err(|e| match e {
            LockError::Io(source) => ServerError::Io {
                action: "lock",
                path: lock_path.clone(),
                source,
            },
            LockError::Timeout => ServerError::LockTimeout {
                lock: lock_path.clone(),
                secs: self.lock_wait().as_secs(),
                log: self.log(),
            },
        })?;
        if self.has(requirements) {
            return Ok(());
        }
        let have = self.installed();
        let plan = Plan::new(have.as_deref(), requirements);
        self.install(python, &plan, progress)?;
        let marker = self.marker();
        let temp = self.dir.join(".installed.tmp");
        fs::write(&temp, plan.all.join("\n")).map_err(ServerError::io("write", &temp))?;
        fs::rename(&temp, &marker).map_err(ServerError::io("write", &marker))?;
        Ok(())
    }

    /// The longest a process waits for another's install: all of its steps, and some.
    fn lock_wait(&self) -> Duration {
        self.step_timeout * 4
    }

    fn install(&self, python: &str, plan: &Plan, progress: &Progress) -> Result<(), ServerError> {
        let venv = self.path();
        let log = self.log();
        fs::create_dir_all(&self.dir).map_err(ServerError::io("create", &self.dir))?;
        if plan.fresh {
            // A half-finished earlier install: start clean so pip never sees a broken
            // environment. The log starts over with it.
            let _ = fs::remove_file(self.marker());
            if venv.exists() {
                fs::remove_dir_all(&venv).map_err(ServerError::io("remove", &venv))?;
            }
            fs::write(&log, "").map_err(ServerError::io("create", &log))?;
        }
        let uv = which("uv");
        let spec = plan.added.join(" ");
        let message = format!(
            "installing {spec} into {} with {} (once; later runs reuse it; log {})",
            venv.display(),
            if uv.is_some() { "uv" } else { "pip" },
            log.display()
        );
        progress.set_message(message.clone());
        let step = |name: &str, cmd: &mut Command| -> Result<(), ServerError> {
            let creates_with_python =
                plan.fresh && cmd.get_program() == std::ffi::OsStr::new(python);
            if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(&log) {
                let _ = writeln!(file, "== {name}");
            }
            run_logged(cmd, &log, self.step_timeout, &message, progress).map_err(|failure| {
                match failure {
                    StepFailure::NotFound if creates_with_python => ServerError::PythonMissing {
                        program: python.to_string(),
                    },
                    failure => ServerError::Install {
                        requirements: spec.clone(),
                        venv: venv.clone(),
                        step: format!("{name}: {failure}"),
                        log: log.clone(),
                        tail: tail(&log, 15),
                    },
                }
            })
        };
        let py = self.python();
        match uv {
            Some(uv) => {
                if plan.fresh {
                    step(
                        "uv venv",
                        Command::new(&uv)
                            .args(["venv", "--quiet", "--python", python])
                            .arg(&venv),
                    )?;
                }
                step(
                    "uv pip install",
                    Command::new(&uv)
                        .args(["pip", "install", "--quiet", "--python"])
                        .arg(&py)
                        .args(&plan.all),
                )?;
            }
            None => {
                if plan.fresh {
                    step(
                        "python3 -m venv",
                        Command::new(python).args(["-m", "venv"]).arg(&venv),
                    )?;
                } else if !self.bin("pip").exists() {
                    // A venv that uv made has no pip of its own.
                    step(
                        "python -m ensurepip",
                        Command::new(&py).args(["-m", "ensurepip", "--default-pip"]),
                    )?;
                }
                step(
                    "pip install",
                    Command::new(&py)
                        .args([
                            "-m",
                            "pip",
                            "install",
                            "--quiet",
                            "--disable-pip-version-check",
                        ])
                        .args(&plan.all),
                )?;
            }
        }
        Ok(())
    }
}

/// What one install does.
#[derive(Debug, PartialEq)]
struct Plan {
    /// No complete venv yet: create it from scratch.
    fresh: bool,
    /// What is new (for messages).
    added: Vec<String>,
    /// Everything the venv has afterwards; installed together so the resolver keeps the pins.
    all: Vec<String>,
}

impl Plan {
    fn new(have: Option<&[String]>, wanted: &[&str]) -> Plan {
        let mut all: Vec<String> = have.unwrap_or_default().to_vec();
        let mut added = Vec::new();
        for r in wanted {
            if !all.iter().any(|a| a == r) {
                all.push(r.to_string());
                added.push(r.to_string());
            }
        }
        Plan {
            fresh: have.is_none(),
            added,
            all,
        }
    }
}

fn parse_marker(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn layout_is_the_folder_the_venv_log_and_marker() {
        let v = Venv::new("/x/mlflow-3.17.2");
        assert_eq!(v.path(), Path::new("/x/mlflow-3.17.2/venv"));
        assert_eq!(
            v.bin("mlflow"),
            Path::new("/x/mlflow-3.17.2/venv/bin/mlflow")
        );
        assert_eq!(v.log(), Path::new("/x/mlflow-3.17.2/install.log"));
        assert_eq!(v.marker(), Path::new("/x/mlflow-3.17.2/.installed"));
    }

    #[test]
    fn the_marker_is_read_only_beside_a_venv() {
        let dir = tempfile::tempdir().unwrap();
        let v = Venv::new(dir.path());
        // What earlier harness versions wrote: one spec, no newline.
        fs::write(dir.path().join(".installed"), "mlflow==3.17.2").unwrap();
        assert_eq!(v.installed(), None, "no interpreter, no venv");
        fs::create_dir_all(v.path().join("bin")).unwrap();
        fs::write(v.python(), "").unwrap();
        assert_eq!(v.installed().unwrap(), ["mlflow==3.17.2"]);
        assert!(v.has(&["mlflow==3.17.2"]));
        assert!(!v.has(&["mlflow==3.17.2", "skops==0.16.0"]));
        assert!(!v.has(&["mlflow==3.18.0"]));
    }

    #[test]
    fn plans_add_to_what_is_there() {
        let have = vec!["mlflow==3.17.2".to_string()];
        let p = Plan::new(Some(&have), &["mlflow==3.17.2", "skops==0.16.0"]);
        assert!(!p.fresh);
        assert_eq!(p.added, ["skops==0.16.0"]);
        assert_eq!(p.all, ["mlflow==3.17.2", "skops==0.16.0"]);
        let p = Plan::new(None, &["mlflow==3.17.2"]);
        assert!(p.fresh);
        assert_eq!(p.all, ["mlflow==3.17.2"]);
        assert_eq!(parse_marker("a==1\n\n b==2 \n"), ["a==1", "b==2"]);
    }

    #[test]
    fn a_satisfied_venv_is_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        let v = Venv::new(dir.path());
        fs::create_dir_all(v.path().join("bin")).unwrap();
        fs::write(v.python(), "").unwrap();
        fs::write(dir.path().join(".installed"), "a==1\nb==2").unwrap();
        // A nonexistent interpreter proves nothing ran.
        v.ensure("/nonexistent/python3", &["b==2"], &Progress::hidden())
            .unwrap();
        assert!(!v.log().exists());
    }

    #[test]
    fn missing_python_is_reported_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let err = Venv::new(dir.path())
            .ensure(
                "/nonexistent/python3",
                &["mlflow==3.17.2"],
                &Progress::hidden(),
            )
            .unwrap_err();
        let msg = err.to_string();
        // With uv on PATH, uv itself reports the missing interpreter through the install log.
        assert!(
            msg.contains("/nonexistent/python3") || msg.contains("uv venv"),
            "{msg}"
        );
        assert!(!dir.path().join(".installed").exists());
    }

    #[test]
    fn a_failed_install_names_its_log() {
        let dir = tempfile::tempdir().unwrap();
        // A fake interpreter whose venv module "works" but whose pip fails.
        let fake = dir.path().join("fake-python");
        fs::write(
            &fake,
            "#!/bin/sh\nif [ \"$2\" = venv ]; then mkdir -p \"$3/bin\" && cp \"$0\" \"$3/bin/python\"; exit 0; fi\necho 'no such distribution' >&2\nexit 1\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
        if which("uv").is_some() {
            return; // uv would make a real venv; the pip path is what this checks
        }
        let v = Venv::new(dir.path().join("v"));
        let err = v
            .ensure(fake.to_str().unwrap(), &["nothing==0"], &Progress::hidden())
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("nothing==0"), "{msg}");
        assert!(msg.contains("pip install"), "{msg}");
        assert!(msg.contains(&v.log().display().to_string()), "{msg}");
        assert!(msg.contains("no such distribution"), "{msg}");
        assert_eq!(v.installed(), None, "no marker after a failure");
    }
}
