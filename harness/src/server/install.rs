//! What the two provisioners (the Python venv and the browser) share: a file lock between
//! processes, and running one install step with its output in a log and a time limit.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::progress::Progress;

/// An exclusive lock on a file, released on drop; serialises provisioning and start-up
/// between concurrent harness processes (nextest runs each test in its own process).
#[derive(Debug)]
pub(crate) struct Lock(File);

/// Why a lock could not be taken.
#[derive(Debug)]
pub(crate) enum LockError {
    /// Creating, opening or locking the file failed.
    Io(std::io::Error),
    /// Another process held it for longer than the wait allowed.
    Timeout,
}

impl Lock {
    /// Waits (without limit) for the lock on `path`, creating the file and its folder.
    pub(crate) fn acquire(path: &Path) -> std::io::Result<Lock> {
        let file = open_lock_file(path)?;
        file.lock()?;
        Ok(Lock(file))
    }

    /// Waits at most `wait` for the lock on `path`. While another process holds it, `waiting`
    /// is called once (to tell the user why nothing happens).
    pub(crate) fn acquire_within(
        path: &Path,
        wait: Duration,
        waiting: impl FnOnce(),
    ) -> Result<Lock, LockError> {
        let file = open_lock_file(path).map_err(LockError::Io)?;
        let deadline = Instant::now() + wait;
        let mut waiting = Some(waiting);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock(file)),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(LockError::Io(e)),
            }
            if Instant::now() >= deadline {
                return Err(LockError::Timeout);
            }
            if let Some(tell) = waiting.take() {
                tell();
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn open_lock_file(path: &Path) -> std::io::Result<File> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// How one logged step ended, when it did not succeed.
#[derive(Debug)]
pub(crate) enum StepFailure {
    /// The program does not exist.
    NotFound,
    /// It could not be started, or the log could not be written.
    Io(std::io::Error),
    /// It exited unsuccessfully.
    Exit(ExitStatus),
    /// It ran past its limit and was killed (with its process group).
    Timeout(Duration),
}

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepFailure::NotFound => f.write_str("program not found"),
            StepFailure::Io(e) => write!(f, "{e}"),
            StepFailure::Exit(status) => write!(f, "{status}"),
            StepFailure::Timeout(limit) => write!(f, "killed after {:?}", limit),
        }
    }
}

/// Runs `cmd` with stdin closed and stdout and stderr appended to `log`, in its own process
/// group, killing the group if it runs longer than `limit`. The spinner shows `message` and the
/// seconds elapsed.
pub(crate) fn run_logged(
    cmd: &mut Command,
    log: &Path,
    limit: Duration,
    message: &str,
    progress: &Progress,
) -> Result<(), StepFailure> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(StepFailure::Io)?;
    let err = file.try_clone().map_err(StepFailure::Io)?;
    let mut child = match cmd
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .process_group(0)
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StepFailure::NotFound),
        Err(e) => return Err(StepFailure::Io(e)),
    };
    let began = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(StepFailure::Exit(status)),
            Ok(None) if began.elapsed() > limit => {
                // SAFETY: the child leads its own process group (process_group(0) above).
                unsafe {
                    libc::killpg(child.id() as libc::pid_t, libc::SIGKILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                return Err(StepFailure::Timeout(limit));
            }
            Ok(None) => {
                progress.set_message(format!("{message} ({} s)", began.elapsed().as_secs()));
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => return Err(StepFailure::Io(e)),
        }
    }
}

/// The first `program` on PATH.
pub(crate) fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
}

/// A regular file someone may execute.
pub(crate) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The last `n` lines of a log file, for error messages.
pub(crate) fn tail(path: &Path, n: usize) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(16 * 1024)));
    let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log");
        fs::write(
            &p,
            (0..100).map(|i| format!("line {i}\n")).collect::<String>(),
        )
        .unwrap();
        assert_eq!(tail(&p, 2), "line 98\nline 99");
        assert_eq!(tail(&dir.path().join("missing"), 2), "");
    }

    #[test]
    fn a_held_lock_makes_others_wait_and_is_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/install.lock");
        let held = Lock::acquire(&path).unwrap();
        // flock belongs to the open file, so a second open in this process contends like
        // another process would.
        let mut told = false;
        let began = Instant::now();
        let second = Lock::acquire_within(&path, Duration::from_millis(300), || told = true);
        assert!(matches!(second, Err(LockError::Timeout)), "{second:?}");
        assert!(told, "the waiter is told why it waits");
        assert!(began.elapsed() >= Duration::from_millis(300));
        drop(held);
        let mut told = false;
        let third = Lock::acquire_within(&path, Duration::from_secs(5), || told = true);
        assert!(third.is_ok());
        assert!(!told, "a free lock is taken without waiting");
    }

    #[test]
    fn a_step_is_logged_and_its_failure_named() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("install.log");
        let hidden = Progress::hidden();
        let limit = Duration::from_secs(30);
        run_logged(
            Command::new("sh").args(["-c", "echo out; echo err >&2"]),
            &log,
            limit,
            "step",
            &hidden,
        )
        .unwrap();
        let failed = run_logged(
            Command::new("sh").args(["-c", "echo boom; exit 3"]),
            &log,
            limit,
            "step",
            &hidden,
        )
        .unwrap_err();
        assert!(matches!(failed, StepFailure::Exit(s) if s.code() == Some(3)));
        assert_eq!(tail(&log, 3), "out\nerr\nboom");
        let missing = run_logged(
            &mut Command::new("/nonexistent/program"),
            &log,
            limit,
            "step",
            &hidden,
        )
        .unwrap_err();
        assert!(matches!(missing, StepFailure::NotFound));
    }

    #[test]
    fn a_step_past_its_limit_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("install.log");
        let pid_file = dir.path().join("pid");
        let began = Instant::now();
        let failed = run_logged(
            // apt-get and pip start children; they must die with the step.
            Command::new("sh").args([
                "-c",
                &format!("sleep 30 & echo $! > {}; wait", pid_file.display()),
            ]),
            &log,
            Duration::from_millis(500),
            "step",
            &Progress::hidden(),
        )
        .unwrap_err();
        assert!(matches!(failed, StepFailure::Timeout(_)), "{failed:?}");
        assert!(began.elapsed() < Duration::from_secs(10));
        let pid = fs::read_to_string(&pid_file).unwrap().trim().to_string();
        // Gone, or a zombie waiting for init to reap it.
        let alive = || {
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| stat.split(") ").nth(1).is_some_and(|s| !s.starts_with('Z')))
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!alive(), "the step's child {pid} outlived it");
    }
}
