use std::net::TcpListener;
use std::time::{Duration, Instant};

use harness::mlflow::MlflowError;
use harness_e2e::impatient_client;

/// A loopback port that nothing listens on.
fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn a_dead_port_fails_fast_with_a_clear_error() {
    let port = dead_port();
    let c = impatient_client(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5));
    let began = Instant::now();
    let err = c.get_registered_model("anything").unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "took {:?}",
        began.elapsed()
    );
    let msg = err.to_string();
    assert!(
        matches!(err, MlflowError::Transport { attempts: 2, .. }),
        "{msg}"
    );
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
}

#[test]
fn a_server_that_never_answers_times_out() {
    // Accepts connections but never responds.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _hold = std::thread::spawn(move || {
        let _conns: Vec<_> = listener.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(10));
    });
    let c = impatient_client(
        &format!("http://127.0.0.1:{port}"),
        Duration::from_millis(800),
    );
    let began = Instant::now();
    let err = c.health().unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(4),
        "took {:?}",
        began.elapsed()
    );
    assert!(
        err.to_string().to_lowercase().contains("timed out"),
        "{err}"
    );
}
