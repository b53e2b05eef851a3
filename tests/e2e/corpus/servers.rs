//! Fake tracking servers for the corpus: loopback listeners in test threads that answer every
//! request the same hostile way. They live until the test process ends; writers stop when the
//! client goes away.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// What a fake server does with each request.
#[derive(Debug, Clone, Copy)]
pub(super) enum Behaviour {
    /// `200`, chunked, an endless stream of JSON-looking bytes.
    EndlessChunked,
    /// `200`, no length, `Connection: close`, endless bytes.
    EndlessUnsized,
    /// `200` with `Content-Length: 1000000000`, then bytes until the client hangs up.
    GigabyteLength,
    /// `200` with a body that is not JSON.
    InvalidJson,
    /// `200` with an HTML page (a proxy's login page, say).
    Html,
    /// Accepts the connection and never writes a byte.
    NeverAnswers,
    /// Headers, then one byte of a JSON body every 300 ms, forever.
    Drip,
    /// `302` to itself, forever.
    RedirectLoop,
    /// `401` with MLflow's error body.
    Unauthorized,
}

/// Starts a server and returns its port.
pub(super) fn start(behaviour: Behaviour) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || serve(stream, behaviour, port));
        }
    });
    port
}

fn read_request(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 1 << 20 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn serve(mut s: TcpStream, behaviour: Behaviour, port: u16) {
    if let Behaviour::NeverAnswers = behaviour {
        // Hold the connection open without reading or writing; the client must give up.
        std::thread::sleep(Duration::from_secs(600));
        drop(s);
        return;
    }
    read_request(&mut s);
    let filler = [b' '; 8192];
    let _ = match behaviour {
        Behaviour::EndlessChunked => (|| -> std::io::Result<()> {
            s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            )?;
            s.write_all(b"1\r\n[\r\n")?;
            loop {
                s.write_all(b"2000\r\n")?;
                s.write_all(&filler)?;
                s.write_all(b"\r\n")?;
            }
        })(),
        Behaviour::EndlessUnsized => (|| -> std::io::Result<()> {
            s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[",
            )?;
            loop {
                s.write_all(&filler)?;
            }
        })(),
        Behaviour::GigabyteLength => (|| -> std::io::Result<()> {
            s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n[",
            )?;
            let mut sent = 1usize;
            while sent < 1_000_000_000 {
                s.write_all(&filler)?;
                sent += filler.len();
            }
            Ok(())
        })(),
        Behaviour::InvalidJson => respond(&mut s, "200 OK", "application/json", "{\"experiments\": [{\"experiment_id\": \"1\", \"name\": "),
        Behaviour::Html => respond(
            &mut s,
            "200 OK",
            "text/html",
            "<!doctype html><html><body><h1>Sign in</h1><form></form></body></html>",
        ),
        Behaviour::Drip => (|| -> std::io::Result<()> {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")?;
            s.write_all(b"{\"experiments\": [")?;
            loop {
                std::thread::sleep(Duration::from_millis(300));
                s.write_all(b" ")?;
            }
        })(),
        Behaviour::RedirectLoop => s.write_all(
            format!(
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}/loop\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        ),
        Behaviour::Unauthorized => respond(
            &mut s,
            "401 Unauthorized",
            "application/json",
            "{\"error_code\": \"UNAUTHENTICATED\", \"message\": \"bad credentials\"}",
        ),
        Behaviour::NeverAnswers => unreachable!(),
    };
}

fn respond(s: &mut TcpStream, status: &str, content_type: &str, body: &str) -> std::io::Result<()> {
    s.write_all(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}
