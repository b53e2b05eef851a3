use std::process::Command;

use harness_e2e::{harness_bin, unique};

fn harness(args: &[&str]) -> std::process::Output {
    Command::new(harness_bin())
        .args(args)
        .arg("--quiet")
        .output()
        .unwrap()
}

fn pids_of_group(pgid: u32) -> Vec<u32> {
    let out = Command::new("ps")
        .args(["-eo", "pid=,pgid="])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let pid: u32 = it.next()?.parse().ok()?;
            let group: u32 = it.next()?.parse().ok()?;
            (group == pgid).then_some(pid)
        })
        .collect()
}

/// `harness mlflow up` prints a URI whose /health answers OK; a second `up` reuses the server;
/// `status` reports it; `down` leaves no process of its group behind.
#[test]
fn up_status_reuse_down_leaves_nothing_running() {
    let instance = unique("lifecycle");
    let up = harness(&["mlflow", "up", "--instance", &instance]);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let stdout = String::from_utf8(up.stdout).unwrap();
    let uri = stdout
        .trim()
        .strip_prefix("MLFLOW_TRACKING_URI=")
        .expect(&stdout)
        .to_string();
    assert!(uri.starts_with("http://127.0.0.1:"), "{uri}");
    harness::mlflow::MlflowClient::connect(&uri)
        .unwrap()
        .health()
        .unwrap();

    let again = harness(&["mlflow", "up", "--instance", &instance]);
    assert_eq!(
        String::from_utf8(again.stdout).unwrap().trim(),
        format!("MLFLOW_TRACKING_URI={uri}")
    );

    let status = harness(&["mlflow", "status", "--instance", &instance]);
    assert!(status.status.success());
    assert!(String::from_utf8_lossy(&status.stdout).contains(&uri));

    let state = harness::server::read_state(&harness_e2e::home(), &instance)
        .unwrap()
        .unwrap();
    assert!(!pids_of_group(state.pid).is_empty());
    let down = harness(&["mlflow", "down", "--instance", &instance]);
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert!(
        pids_of_group(state.pid).is_empty(),
        "processes left: {:?}",
        pids_of_group(state.pid)
    );
    let status = harness(&["mlflow", "status", "--instance", &instance]);
    assert_eq!(status.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(harness_e2e::home().instance_dir(&instance));
}

#[test]
#[ignore = "needs Docker: run with `just test-docker` (cargo nextest run --features harness/docker --run-ignored only)"]
fn container_backend_serves_the_api() {
    let progress = harness::progress::Progress::hidden();
    let server = harness::server::connect(
        &harness::server::ServerTarget::Container {
            image: harness::server::DEFAULT_IMAGE.into(),
        },
        &progress,
    )
    .expect("container start");
    let client = server.client().unwrap();
    client.health().unwrap();
    let name = unique("docker");
    client
        .create_registered_model(&name, &[], Some("from a container"))
        .unwrap();
    assert_eq!(
        client.get_registered_model(&name).unwrap().description,
        "from a container"
    );
}
