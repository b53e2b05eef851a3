//! `harness run` interrupted by a signal: the runs it opened end KILLED, not RUNNING for ever.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::mlflow::{INCOMPLETE_TAG, RunSearch, RunStatus};
use harness_e2e::{client, harness_bin, tracking_uri, unique};

/// Regression: SIGTERM (or Ctrl-C) during `harness run` left the run being trained RUNNING.
#[test]
fn a_run_interrupted_by_sigterm_marks_its_open_runs_killed() {
    let prefix = format!("{}-", unique("int"));
    let experiment = format!("{prefix}mnist-pytorch-homework");
    let mut child = Command::new(harness_bin())
        .args([
            "run",
            "mnist",
            "--quiet",
            "--profile",
            "full",
            "--tracking-uri",
            tracking_uri(),
            "--name-prefix",
            &prefix,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let c = client();
    // Wait until the first version's run exists and trains.
    let started = Instant::now();
    let experiment_id = loop {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no run started"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("harness run ended before it could be interrupted: {status}");
        }
        if let Some(e) = c.get_experiment_by_name(&experiment).unwrap() {
            let runs = c
                .search_runs(&RunSearch {
                    experiment_ids: vec![e.experiment_id.clone()],
                    ..Default::default()
                })
                .unwrap();
            if runs.iter().any(|r| r.info.status == RunStatus::Running) {
                break e.experiment_id;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let pid = child.id().to_string();
    let kill = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(128 + 15), "{stderr}");
    assert!(stderr.contains("marked KILLED"), "{stderr}");

    let runs = c
        .search_runs(&RunSearch {
            experiment_ids: vec![experiment_id],
            ..Default::default()
        })
        .unwrap();
    assert!(!runs.is_empty());
    for r in &runs {
        assert_ne!(r.info.status, RunStatus::Running, "{}", r.info.run_name);
    }
    assert!(
        runs.iter().any(|r| r.info.status == RunStatus::Killed),
        "{:?}",
        runs.iter()
            .map(|r| (&r.info.run_name, r.info.status))
            .collect::<Vec<_>>()
    );
    // The registry still says the publish did not finish.
    let rm = c
        .get_registered_model(&format!("{prefix}mnist-digit-classifier"))
        .unwrap();
    assert!(rm.tag(INCOMPLETE_TAG).is_some());
}
