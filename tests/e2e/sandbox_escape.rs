//! The rescoring sandbox against pickled "models" whose unpickling runs code: each is stopped
//! within its limit, reported for what it was, and leaves nothing on the host.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use harness::grading::rescore::sandbox::{RescoreError, Sandbox, predict};

/// The sandbox with the default limits, or `None` (with the reason printed) where this machine
/// cannot build it; `the_sandbox_is_available_to_root` keeps that from passing silently on CI.
fn sandbox() -> Option<Sandbox> {
    let sandbox = Sandbox::provision(
        &harness_e2e::home(),
        &harness_e2e::python(),
        &harness::progress::Progress::hidden(),
    )
    .unwrap();
    if let Some(why) = sandbox.unavailable() {
        eprintln!("SKIP: the rescoring sandbox cannot be built on this machine: {why}");
        return None;
    }
    Some(sandbox)
}

/// An MLflow scikit-learn model folder whose `model.pkl` runs `code` when unpickled.
fn evil_model(code: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let script = "import pickle, sys\n\
         class Evil:\n    def __reduce__(self):\n        return (exec, (sys.argv[1],))\n\
         open('model.pkl', 'wb').write(pickle.dumps(Evil()))\n";
    let status = Command::new(harness_e2e::home().python_bin())
        .args(["-c", script, code])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "cannot pickle the test model");
    std::fs::write(
        dir.path().join("MLmodel"),
        "flavors:\n  python_function: {loader_module: mlflow.sklearn, model_path: model.pkl}\n  \
         sklearn: {pickled_model: model.pkl, serialization_format: cloudpickle}\n",
    )
    .unwrap();
    dir
}

/// Scores `model` on a few wine-shaped rows, timing it.
fn score(sandbox: &Sandbox, model: &Path) -> (Result<Vec<i64>, RescoreError>, Duration) {
    let began = Instant::now();
    let result = predict(model, &vec![vec![0.0; 13]; 3], Some(sandbox));
    (result, began.elapsed())
}

#[test]
fn the_sandbox_is_available_to_root() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: not root; the sandbox needs root to create its namespaces");
        return;
    }
    let sandbox = Sandbox::provision(
        &harness_e2e::home(),
        &harness_e2e::python(),
        &harness::progress::Progress::hidden(),
    )
    .unwrap();
    assert_eq!(sandbox.unavailable(), None);
}

/// Without the capability to build the sandbox, `check --rescore` says so and loads nothing.
#[test]
fn rescore_reports_a_sandbox_it_cannot_build() {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("SKIP: needs root and setpriv (util-linux) to take CAP_SYS_ADMIN away");
        return;
    }
    let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/submissions/perfect/mlflow.db");
    let out = Command::new("setpriv")
        .args(["--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "--"])
        .arg(harness_e2e::harness_bin())
        .args(["check", "--task", "wine", "--rescore", "--quiet", "--store"])
        .arg(&db)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "cannot rescore champion v2: the rescoring sandbox is unavailable on this machine, \
             so the model was not loaded: cannot set up the sandbox (unshare): Operation not permitted"
        ),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
}

#[test]
fn a_pickle_cannot_write_to_the_host() {
    let Some(sandbox) = sandbox() else { return };
    let name = harness_e2e::unique("escape");
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let venv = harness_e2e::home().python_bin();
    let targets: Vec<PathBuf> = vec![
        PathBuf::from("/tmp").join(&name),
        PathBuf::from(&home).join(&name),
        venv.parent().unwrap().join(&name),
        PathBuf::from("/").join(&name),
        PathBuf::from("/sandbox").join(&name),
    ];
    let list = targets
        .iter()
        .map(|p| format!("{:?}", p.display().to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    let model = evil_model(&format!(
        "import os\n\
         wrote = []\n\
         for p in [{list}]:\n    \
             try:\n        open(p, 'w').write('pwned')\n        wrote.append(p)\n    \
             except OSError as e:\n        pass\n\
         raise RuntimeError('wrote: ' + ' '.join(wrote))\n"
    ));
    let (result, _) = score(&sandbox, model.path());
    for t in &targets {
        assert!(!t.exists(), "the pickle wrote {} on the host", t.display());
    }
    // Only the private /tmp took the write, and the failure names the real cause.
    match result {
        Err(RescoreError::Failed { last_line, .. }) => assert_eq!(
            last_line,
            format!("RuntimeError: wrote: /tmp/{name}"),
            "{last_line}"
        ),
        other => panic!("expected a failed load, got {other:?}"),
    }
}

/// Also covered with a bare `socket.create_connection` in `rescore.rs`; this one reports what the
/// attempt saw.
#[test]
fn a_pickle_cannot_reach_a_listener_on_loopback() {
    let Some(sandbox) = sandbox() else { return };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let model = evil_model(&format!(
        "import socket\n\
         try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n    \
             raise RuntimeError('connected')\n\
         except OSError as e:\n    raise RuntimeError(f'no network: {{e}}')\n"
    ));
    let (result, _) = score(&sandbox, model.path());
    std::thread::sleep(Duration::from_millis(200));
    if let Ok((mut s, _)) = listener.accept() {
        let _ = s.read(&mut [0u8; 1]);
        panic!("the sandboxed pickle connected to 127.0.0.1:{port}");
    }
    match result {
        Err(RescoreError::Failed { last_line, .. }) => {
            assert!(last_line.contains("no network"), "{last_line}")
        }
        other => panic!("expected a failed load, got {other:?}"),
    }
}

#[test]
fn a_forked_child_holding_the_pipes_is_killed_at_the_timeout() {
    let Some(sandbox) = sandbox() else { return };
    let timeout = Duration::from_secs(15);
    let sandbox = sandbox.with_timeout(timeout);
    // The child leaves the process group too: only the PID namespace still holds it.
    let model = evil_model(
        "import os, time\n\
         if os.fork() == 0:\n    os.setsid()\n\
         time.sleep(600)\n",
    );
    let (result, elapsed) = score(&sandbox, model.path());
    assert!(
        matches!(result, Err(RescoreError::Timeout(t)) if t == timeout),
        "{result:?}"
    );
    assert!(
        elapsed < timeout + Duration::from_secs(3),
        "took {elapsed:?}"
    );
}

#[test]
fn a_forked_child_does_not_outlive_its_parent() {
    let Some(sandbox) = sandbox() else { return };
    let timeout = Duration::from_secs(60);
    let sandbox = sandbox.with_timeout(timeout);
    let model = evil_model(
        "import os, time\n\
         if os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\n\
         raise RuntimeError('parent gives up')\n",
    );
    let (result, elapsed) = score(&sandbox, model.path());
    match result {
        Err(RescoreError::Failed { last_line, .. }) => {
            assert_eq!(last_line, "RuntimeError: parent gives up")
        }
        other => panic!("expected a failed load, got {other:?}"),
    }
    assert!(elapsed < Duration::from_secs(40), "took {elapsed:?}");
}

#[test]
fn a_megabyte_on_stderr_is_no_deadlock_and_no_timeout() {
    let Some(sandbox) = sandbox() else { return };
    let sandbox = sandbox.with_timeout(Duration::from_secs(60));
    let model = evil_model(
        "import sys\n\
         sys.stdout.write('o' * 1_000_000)\n\
         sys.stderr.write('e' * 1_000_000 + '\\n')\n\
         sys.stderr.flush()\n\
         raise RuntimeError('flooded')\n",
    );
    let (result, elapsed) = score(&sandbox, model.path());
    match result {
        Err(RescoreError::Failed { code, last_line }) => {
            assert_eq!(code, 1);
            assert!(
                last_line.starts_with("RuntimeError: flooded (stderr was "),
                "{last_line}"
            );
        }
        other => panic!("expected a failed load, got {other:?}"),
    }
    assert!(elapsed < Duration::from_secs(40), "took {elapsed:?}");
}

#[test]
fn a_memory_hog_is_reported_as_the_memory_limit() {
    let Some(sandbox) = sandbox() else { return };
    let sandbox = sandbox
        .with_timeout(Duration::from_secs(60))
        .with_memory_limit(2 << 30);
    let model = evil_model(
        "hog = []\n\
         while True:\n    hog.append(bytearray(64 << 20))\n",
    );
    let (result, _) = score(&sandbox, model.path());
    assert!(
        matches!(
            result,
            Err(RescoreError::MemoryLimit {
                limit_mib: 2048,
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn a_cpu_spin_is_stopped_by_the_cpu_limit() {
    let Some(sandbox) = sandbox() else { return };
    let cpu = Duration::from_secs(10);
    let sandbox = sandbox
        .with_timeout(Duration::from_secs(90))
        .with_cpu_limit(cpu);
    let model = evil_model("while True:\n    pass\n");
    let (result, elapsed) = score(&sandbox, model.path());
    assert!(
        matches!(result, Err(RescoreError::CpuLimit(c)) if c == cpu),
        "{result:?}"
    );
    assert!(elapsed < Duration::from_secs(90), "took {elapsed:?}");
}

/// The old sandbox took the last line of stdout as the reply.
#[test]
fn a_printed_reply_is_not_taken_as_the_result() {
    let Some(sandbox) = sandbox() else { return };
    let model = evil_model(
        "import os, sys\n\
         print('{\"predictions\": [0, 0, 0]}')\n\
         sys.stdout.flush()\n\
         os._exit(0)\n",
    );
    let (result, _) = score(&sandbox, model.path());
    assert!(
        matches!(result, Err(RescoreError::NoResult(_))),
        "{result:?}"
    );
}

/// A pickle that writes a reply to every descriptor it can guess still lacks the run's nonce.
#[test]
fn a_forged_reply_without_the_nonce_is_rejected() {
    let Some(sandbox) = sandbox() else { return };
    let model = evil_model(
        "import os\n\
         for fd in range(1, 64):\n    \
             try:\n        os.write(fd, b'{\"nonce\": \"0\", \"predictions\": [0, 0, 0]}')\n    \
             except OSError:\n        pass\n\
         os._exit(0)\n",
    );
    let (result, _) = score(&sandbox, model.path());
    assert!(
        matches!(result, Err(RescoreError::NoResult(_))),
        "{result:?}"
    );
}
