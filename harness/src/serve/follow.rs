//! Following an alias (or a stage): the registry is asked every poll interval which version
//! the URI names now; a new one is downloaded and loaded on this thread while the old one keeps
//! answering, then swapped in whole.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::mlflow::{MlflowClient, ModelUri};

use super::http::AppState;
use super::model::load_from_registry;

/// Whether `uri` can name another version later (an alias or a stage can move).
pub fn follows(uri: &str) -> bool {
    matches!(
        ModelUri::parse(uri),
        Ok(ModelUri::Alias { .. } | ModelUri::Stage { .. })
    )
}

/// The polling thread; dropping it stops the thread (after a poll in progress).
#[derive(Debug)]
pub struct Follower {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts polling `uri` every `every`; what happens is told on stderr (the server's log).
pub fn follow(
    client: MlflowClient,
    uri: String,
    state: Arc<AppState>,
    every: Duration,
) -> Follower {
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let Ok(parsed) = ModelUri::parse(&uri) else {
            return;
        };
        loop {
            match stopped.recv_timeout(every) {
                Err(RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
            let current = state.current().identity.version.clone();
            let now = match client.resolve_model_uri(&parsed) {
                Ok(resolved) => resolved.version.map(|v| v.version),
                Err(e) => {
                    eprintln!(
                        "warning: asking the registry about {uri}: {e}; still serving version {current}"
                    );
                    continue;
                }
            };
            if now.is_none() || now.as_deref() == Some(current.as_str()) {
                continue;
            }
            match load_from_registry(&client, &uri) {
                Ok(model) => {
                    let version = model.identity.version.clone();
                    state.swap(model);
                    eprintln!("{uri} moved: now serving version {version} (was {current})");
                }
                Err(e) => {
                    eprintln!("warning: {e}; still serving version {current}");
                }
            }
        }
    });
    Follower {
        stop: Some(stop),
        thread: Some(thread),
    }
}
