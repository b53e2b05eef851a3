//! Ctrl-C and SIGTERM during a reference run: the runs it has open are marked KILLED before the
//! process exits, so an interrupted `harness run` does not leave runs RUNNING for ever.
//!
//! The signal handler only records the signal (all a handler may safely do); a watcher thread
//! sees it, restores the default handlers (a second Ctrl-C ends harness at once), marks every
//! open run KILLED with a short timeout each, and exits with 128 + the signal number, as a
//! shell reports a process killed by it. Runs register when created and leave when they end
//! (FINISHED or FAILED); error paths already end theirs without this module.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use crate::mlflow::{MlflowClient, RunStatus, now_ms};

/// Runs created and not yet ended: the client that made each, and its id.
static OPEN: Mutex<Vec<(MlflowClient, String)>> = Mutex::new(Vec::new());
/// The signal received, 0 before any.
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// How long marking one run KILLED may take on the way out.
const KILL_TIMEOUT: Duration = Duration::from_secs(3);

extern "C" fn record(signal: libc::c_int) {
    SIGNAL.store(signal, Ordering::SeqCst);
}

/// Installs the SIGINT/SIGTERM handlers and their watcher, once per process. Commands that
/// create runs (`run`, `grade`) call it before they start.
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let handler = record as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: `record` only stores into an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
        std::thread::spawn(|| {
            loop {
                let signal = SIGNAL.load(Ordering::SeqCst);
                if signal != 0 {
                    // SAFETY: restoring the default disposition.
                    unsafe {
                        libc::signal(libc::SIGINT, libc::SIG_DFL);
                        libc::signal(libc::SIGTERM, libc::SIG_DFL);
                    }
                    let killed = kill_open_runs();
                    if killed > 0 {
                        eprintln!("\ninterrupted: {killed} open MLflow run(s) marked KILLED");
                    }
                    std::process::exit(128 + signal);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
    });
}

/// Records a run this process created and has not ended yet.
pub(crate) fn opened(client: &MlflowClient, run_id: &str) {
    if let Ok(mut open) = OPEN.lock() {
        open.push((client.clone(), run_id.to_owned()));
    }
}

/// Forgets a run once it ended (FINISHED, FAILED).
pub(crate) fn ended(run_id: &str) {
    if let Ok(mut open) = OPEN.lock() {
        open.retain(|(_, id)| id != run_id);
    }
}

/// Marks every open run KILLED (best effort, a short timeout each) and says how many were.
fn kill_open_runs() -> usize {
    let open = match OPEN.lock() {
        Ok(mut open) => std::mem::take(&mut *open),
        Err(_) => return 0,
    };
    open.iter()
        .filter(|(client, run_id)| {
            client
                .impatient(KILL_TIMEOUT)
                .update_run(run_id, RunStatus::Killed, Some(now_ms()))
                .is_ok()
        })
        .count()
}
