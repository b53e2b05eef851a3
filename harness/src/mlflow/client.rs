//! The core of the blocking MLflow REST client: configuration, credentials, and sending requests
//! (retries with back-off, timeouts, JSON decoding, error mapping). The endpoints live next door,
//! one file per API area: `tracking`, `logged_models`, `registry`, `artifacts`.

use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::error::{MlflowError, Result};
use super::redact::{redact_str, redact_text, redact_url};

/// Credentials for a protected server, taken from the environment by the settings layer.
/// `Debug` never shows the secret.
#[derive(Clone)]
pub enum Auth {
    Basic { username: String, password: String },
    Bearer { token: String },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { username, .. } => write!(f, "Basic({username}:***)"),
            Auth::Bearer { .. } => f.write_str("Bearer(***)"),
        }
    }
}

impl Auth {
    /// Reads `MLFLOW_TRACKING_TOKEN` (Bearer) or `MLFLOW_TRACKING_USERNAME`/`_PASSWORD` (Basic),
    /// the variables the Python client reads.
    pub fn from_env() -> Option<Auth> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(token) = var("MLFLOW_TRACKING_TOKEN") {
            return Some(Auth::Bearer { token });
        }
        let username = var("MLFLOW_TRACKING_USERNAME")?;
        Some(Auth::Basic {
            username,
            password: var("MLFLOW_TRACKING_PASSWORD").unwrap_or_default(),
        })
    }
}

/// How a client reaches its server and how patient it is.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub tracking_uri: Url,
    pub(crate) auth: Option<Auth>,
    /// Per-request limit, connection included.
    pub timeout: Duration,
    /// Retries after the first attempt on refused connections, 429 and 5xx.
    pub max_retries: u32,
    /// First back-off; doubles on each retry.
    pub backoff: Duration,
    /// The most bytes one API answer may hold; a longer one is an [`MlflowError::TooLarge`]
    /// instead of a body read into memory without end (a hostile or broken server).
    pub max_response_bytes: u64,
}

/// The default for [`ClientConfig::max_response_bytes`]: far above any answer MLflow sends to
/// this harness (a page of runs with their metrics is a few MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// The default per-request limit, connection and body included.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Overrides [`DEFAULT_TIMEOUT`], in seconds.
pub(crate) const TIMEOUT_ENV: &str = "HARNESS_HTTP_TIMEOUT_S";

/// Overrides [`DEFAULT_MAX_RESPONSE_BYTES`], in MiB.
pub const MAX_RESPONSE_ENV: &str = "HARNESS_MAX_RESPONSE_MIB";

/// What is read of an error answer or a health/version answer: only its start is ever shown.
const SMALL_BODY_BYTES: u64 = 64 * 1024;

impl ClientConfig {
    pub fn new(tracking_uri: Url) -> Self {
        Self {
            tracking_uri,
            auth: None,
            timeout: timeout_from_env(),
            max_retries: 4,
            backoff: Duration::from_millis(250),
            max_response_bytes: max_response_bytes_from_env(),
        }
    }
}

/// [`DEFAULT_TIMEOUT`], or [`TIMEOUT_ENV`] seconds when that is set to a positive number.
fn timeout_from_env() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs)
}

/// [`DEFAULT_MAX_RESPONSE_BYTES`], or [`MAX_RESPONSE_ENV`] MiB when that is set to a positive
/// whole number.
fn max_response_bytes_from_env() -> u64 {
    std::env::var(MAX_RESPONSE_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&mib| mib > 0)
        .map_or(DEFAULT_MAX_RESPONSE_BYTES, |mib| {
            mib.saturating_mul(1024 * 1024)
        })
}

/// A typed client for one MLflow server.
#[derive(Debug, Clone)]
pub struct MlflowClient {
    http: Client,
    config: ClientConfig,
}

/// Milliseconds since the epoch, MLflow's unit for times.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl MlflowClient {
    pub fn new(config: ClientConfig) -> Result<Self> {
        let mut builder = Client::builder();
        if is_loopback(&config.tracking_uri) {
            // MLflow's uvicorn server answers a reused keep-alive connection ~40 ms late (a
            // delayed-ACK stall: 46 ms a request against 15 ms on fresh connections, measured
            // with curl too). On loopback a new connection costs microseconds, so never reuse one.
            builder = builder.pool_max_idle_per_host(0);
        }
        let http = builder
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("harness/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| MlflowError::Transport {
                url: redact_url(&config.tracking_uri),
                attempts: 0,
                reason: format!("cannot build HTTP client: {}", transport_reason(e)),
            })?;
        Ok(Self { http, config })
    }

    /// A client with default patience for `uri`, credentials from the environment.
    pub fn connect(uri: &str) -> Result<Self> {
        let url = Url::parse(uri).map_err(|e| MlflowError::InvalidUri {
            uri: redact_str(uri),
            reason: e.to_string(),
        })?;
        let mut config = ClientConfig::new(url);
        config.auth = Auth::from_env();
        Self::new(config)
    }

    /// The same server and credentials with a short `timeout` and no retries: for a last
    /// request on the way out (marking runs KILLED when interrupted).
    pub(crate) fn impatient(&self, timeout: Duration) -> MlflowClient {
        let mut config = self.config.clone();
        config.timeout = timeout;
        config.max_retries = 0;
        Self::new(config).unwrap_or_else(|_| self.clone())
    }

    pub fn tracking_uri(&self) -> &Url {
        &self.config.tracking_uri
    }

    pub(super) fn url(&self, path: &str) -> Url {
        let mut url = self.config.tracking_uri.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}/{}", path.trim_start_matches('/')));
        url
    }

    pub(super) fn api_url(&self, endpoint: &str) -> Url {
        self.url(&format!("api/2.0/mlflow/{endpoint}"))
    }

    /// Sends a request built by `build`, retrying refused connections, 429 and 5xx with
    /// exponential back-off, and turns non-2xx answers into [`MlflowError::Api`].
    pub(super) fn send(
        &self,
        method: Method,
        url: Url,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response> {
        self.send_timed(method, url, build).map(|(resp, _)| resp)
    }

    /// [`Self::send`], also giving when the answering attempt started: its body must be read by
    /// `started + timeout` (reqwest's blocking reads time out per read, so a server trickling an
    /// endless body would otherwise never time out).
    pub(super) fn send_timed(
        &self,
        method: Method,
        url: Url,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<(Response, Instant)> {
        let mut attempt = 0;
        let mut delay = self.config.backoff;
        loop {
            attempt += 1;
            let mut req = self.http.request(method.clone(), url.clone());
            req = match &self.config.auth {
                Some(Auth::Basic { username, password }) => {
                    req.basic_auth(username, Some(password))
                }
                Some(Auth::Bearer { token }) => req.bearer_auth(token),
                None => req,
            };
            let retries_left = attempt <= self.config.max_retries;
            let started = Instant::now();
            match build(req).send() {
                Ok(resp) if resp.status().is_success() => return Ok((resp, started)),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retryable = status == 429 || (status >= 500 && status != 501);
                    if retryable && retries_left {
                        std::thread::sleep(delay);
                        delay *= 2;
                        continue;
                    }
                    return Err(api_error(&method, &url, resp, self.body_limits(started)));
                }
                Err(err) => {
                    if err.is_connect() && retries_left {
                        std::thread::sleep(delay);
                        delay *= 2;
                        continue;
                    }
                    return Err(MlflowError::Transport {
                        url: redact_url(&url),
                        attempts: attempt,
                        reason: transport_reason(err),
                    });
                }
            }
        }
    }

    pub(super) fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        endpoint: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<T> {
        let url = self.api_url(endpoint);
        let (resp, started) = self.send_timed(method, url.clone(), |req| {
            let req = if query.is_empty() {
                req
            } else {
                req.query(query)
            };
            match body {
                Some(b) => req.json(b),
                None => req,
            }
        })?;
        decode_within(&url, resp, self.body_limits(started))
    }

    /// How much of an answer to a request started at `started` may be read, and until when.
    pub(super) fn body_limits(&self, started: Instant) -> BodyLimits {
        BodyLimits {
            max_bytes: self.config.max_response_bytes,
            deadline: started + self.config.timeout,
            timeout: self.config.timeout,
        }
    }

    pub(super) fn get<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
    ) -> Result<T> {
        self.call(Method::GET, endpoint, query, None)
    }

    pub(super) fn post<T: DeserializeOwned>(&self, endpoint: &str, body: Value) -> Result<T> {
        self.call(Method::POST, endpoint, &[], Some(&body))
    }

    pub(super) fn patch<T: DeserializeOwned>(&self, endpoint: &str, body: Value) -> Result<T> {
        self.call(Method::PATCH, endpoint, &[], Some(&body))
    }

    pub(super) fn delete(&self, endpoint: &str, body: Value) -> Result<()> {
        self.call::<Value>(Method::DELETE, endpoint, &[], Some(&body))
            .map(drop)
    }

    /// `GET /health`: `Ok` when the server answers "OK".
    pub fn health(&self) -> Result<()> {
        let url = self.url("health");
        let (resp, started) = self.send_timed(Method::GET, url.clone(), |r| r)?;
        let body = read_small_text(&url, resp, self.body_limits(started))?;
        if body.trim() == "OK" {
            Ok(())
        } else {
            Err(MlflowError::Decode {
                url: redact_url(&url),
                reason: "health is not OK".into(),
                body_start: redact_text(&prefix(&body)),
            })
        }
    }

    /// `GET /version`: the server's MLflow version.
    pub(crate) fn server_version(&self) -> Result<String> {
        let url = self.url("version");
        let (resp, started) = self.send_timed(Method::GET, url.clone(), |r| r)?;
        Ok(read_small_text(&url, resp, self.body_limits(started))?
            .trim()
            .to_string())
    }
}

/// The bounds on reading one answer's body: its size and the request's deadline.
#[derive(Debug, Clone, Copy)]
pub(super) struct BodyLimits {
    pub(super) max_bytes: u64,
    pub(super) deadline: Instant,
    pub(super) timeout: Duration,
}

/// Reads an answer's body, at most `limits.max_bytes` of it and no later than
/// `limits.deadline`: a server that sends more is an [`MlflowError::TooLarge`], one that is
/// still sending at the deadline a timed-out [`MlflowError::Transport`].
pub(super) fn read_body(url: &Url, resp: Response, limits: BodyLimits) -> Result<Vec<u8>> {
    let too_large = || MlflowError::TooLarge {
        url: redact_url(url),
        limit: limits.max_bytes,
    };
    if resp.content_length().is_some_and(|n| n > limits.max_bytes) {
        return Err(too_large());
    }
    let (body, complete) = read_prefix(url, resp, limits)?;
    if complete { Ok(body) } else { Err(too_large()) }
}

/// Reads up to `limits.max_bytes` of a body by `limits.deadline`; says whether that was all.
fn read_prefix(url: &Url, mut resp: Response, limits: BodyLimits) -> Result<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if Instant::now() > limits.deadline {
            return Err(MlflowError::Transport {
                url: redact_url(url),
                attempts: 1,
                reason: format!(
                    "the answer was still arriving after {} s (the request timeout); {} bytes read",
                    limits.timeout.as_secs_f64(),
                    body.len()
                ),
            });
        }
        let n = match resp.read(&mut buf) {
            Ok(0) => return Ok((body, true)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(MlflowError::Transport {
                    url: redact_url(url),
                    attempts: 1,
                    reason: redact_text(&error_chain(&e)),
                });
            }
        };
        let room = usize::try_from(limits.max_bytes)
            .unwrap_or(usize::MAX)
            .saturating_sub(body.len());
        if n > room {
            body.extend_from_slice(&buf[..room]);
            return Ok((body, false));
        }
        body.extend_from_slice(&buf[..n]);
    }
}

/// A short answer (health, version, an error's explanation) as text: only its start is ever
/// shown, so at most [`SMALL_BODY_BYTES`] of it is read.
fn read_small_text(url: &Url, resp: Response, limits: BodyLimits) -> Result<String> {
    let limits = BodyLimits {
        max_bytes: limits.max_bytes.min(SMALL_BODY_BYTES),
        ..limits
    };
    let (body, _) = read_prefix(url, resp, limits)?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

fn api_error(method: &Method, url: &Url, resp: Response, limits: BodyLimits) -> MlflowError {
    let status = resp.status().as_u16();
    let is_json = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    let body = read_small_text(url, resp, limits).unwrap_or_default();
    let (error_code, message) = if is_json {
        match serde_json::from_str::<Value>(&body) {
            Ok(v) => (
                v.get("error_code")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                v.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or(&body)
                    .to_string(),
            ),
            Err(_) => (None, prefix(&body)),
        }
    } else {
        (None, prefix(body.trim()))
    };
    MlflowError::Api {
        method: method.to_string(),
        url: redact_url(url),
        status,
        error_code,
        message: redact_text(&message),
    }
}

/// Reads a 2xx answer's JSON body (an empty body reads as `{}`) within the default limits
/// (size as [`ClientConfig::new`] sets it, a minute from now); the client's own requests use
/// [`decode_within`] with its configured limits.
pub(super) fn decode<T: DeserializeOwned>(url: &Url, resp: Response) -> Result<T> {
    decode_within(
        url,
        resp,
        BodyLimits {
            max_bytes: max_response_bytes_from_env(),
            deadline: Instant::now() + DEFAULT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
        },
    )
}

/// Reads a 2xx answer's JSON body (an empty body reads as `{}`) within `limits`.
pub(super) fn decode_within<T: DeserializeOwned>(
    url: &Url,
    resp: Response,
    limits: BodyLimits,
) -> Result<T> {
    let body = read_body(url, resp, limits)?;
    let body: &[u8] = if body.is_empty() { b"{}" } else { &body };
    serde_json::from_slice(body).map_err(|e| MlflowError::Decode {
        url: redact_url(url),
        reason: redact_text(&e.to_string()),
        body_start: redact_text(&prefix(&String::from_utf8_lossy(body))),
    })
}

fn prefix(s: &str) -> String {
    s.chars().take(300).collect()
}

/// Whether `url` names this machine (127.0.0.0/8, ::1, localhost).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// A reqwest error as text fit for a message: without the request URL (it may carry a query or
/// credentials; callers show a redacted one), causes included, and any URL or `token=…` that a
/// cause still mentions redacted.
fn transport_reason(err: reqwest::Error) -> String {
    redact_text(&error_chain(&err.without_url()))
}

/// An error and its causes on one line: reqwest's top-level message alone hides
/// "connection refused".
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_debug_hides_secrets() {
        let basic = Auth::Basic {
            username: "ta".into(),
            password: "hunter2".into(),
        };
        let bearer = Auth::Bearer {
            token: "tok-secret".into(),
        };
        assert!(!format!("{basic:?}").contains("hunter2"));
        assert!(!format!("{bearer:?}").contains("tok-secret"));
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for u in [
            "http://127.0.0.1:5000",
            "http://localhost:5000",
            "http://[::1]:5000",
            "http://127.1.2.3",
        ] {
            assert!(is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
        for u in ["http://10.0.0.1:5000", "https://mlflow.example.org"] {
            assert!(!is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
    }

    /// A client for a loopback port nothing listens on (port 1), quick to give up.
    fn dead_client(uri: &str) -> MlflowClient {
        let mut config = ClientConfig::new(Url::parse(uri).unwrap());
        config.timeout = Duration::from_secs(2);
        config.max_retries = 1;
        config.backoff = Duration::from_millis(1);
        MlflowClient::new(config).unwrap()
    }

    /// The error's message and every cause's, one per line.
    fn whole_chain(err: &MlflowError) -> String {
        let mut text = err.to_string();
        let mut cur = std::error::Error::source(err);
        while let Some(e) = cur {
            text.push('\n');
            text.push_str(&e.to_string());
            cur = e.source();
        }
        text
    }

    #[test]
    fn transport_errors_do_not_leak_the_query() {
        let err = dead_client("http://127.0.0.1:1/?token=secret")
            .health()
            .unwrap_err();
        assert!(matches!(err, MlflowError::Transport { .. }), "{err}");
        let text = whole_chain(&err);
        assert!(!text.contains("secret"), "{text}");
        assert!(!text.contains("token=secret"), "{text}");
        assert!(text.contains("127.0.0.1:1"), "{text}");
    }

    #[test]
    fn transport_errors_do_not_leak_credentials() {
        let err = dead_client("http://user:top@secret@127.0.0.1:1/")
            .get_run("r")
            .unwrap_err();
        assert!(matches!(err, MlflowError::Transport { .. }), "{err}");
        let text = whole_chain(&err);
        for leak in ["secret", "user", ":top", "top%40", "top@"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
    }

    /// A hostile server on a free loopback port: `/health` is OK, every other request gets a
    /// 200 whose body never ends, `chunk` bytes at a time with `pause` between them.
    fn endless_server(chunk: usize, pause: Duration) -> String {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut first = String::new();
                    reader.read_line(&mut first).unwrap_or(0);
                    let mut line = String::new();
                    while reader.read_line(&mut line).unwrap_or(0) > 2 {
                        line.clear();
                    }
                    if first.contains("/health") {
                        let _ = conn.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK",
                        );
                        return;
                    }
                    let _ = conn.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"runs\": [",
                    );
                    let filler = vec![b' '; chunk];
                    while conn.write_all(&filler).is_ok() {
                        std::thread::sleep(pause);
                    }
                });
            }
        });
        format!("http://127.0.0.1:{port}/?token=secret")
    }

    #[test]
    fn an_endless_answer_is_cut_at_the_limit() {
        let mut config =
            ClientConfig::new(Url::parse(&endless_server(64 * 1024, Duration::ZERO)).unwrap());
        config.max_response_bytes = 2 * 1024 * 1024;
        config.max_retries = 0;
        let client = MlflowClient::new(config).unwrap();
        client.health().unwrap();
        let err = client.get_run("r").unwrap_err();
        assert!(matches!(err, MlflowError::TooLarge { .. }), "{err}");
        let text = whole_chain(&err);
        assert!(text.contains("larger than 2 MiB"), "{text}");
        assert!(text.contains("127.0.0.1"), "{text}");
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn a_trickling_answer_is_bounded_by_the_timeout() {
        let mut config =
            ClientConfig::new(Url::parse(&endless_server(1, Duration::from_millis(20))).unwrap());
        config.timeout = Duration::from_secs(1);
        config.max_retries = 0;
        let client = MlflowClient::new(config).unwrap();
        let start = Instant::now();
        let err = client.get_run("r").unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert!(matches!(err, MlflowError::Transport { .. }), "{err}");
        assert!(err.to_string().contains("still arriving"), "{err}");
    }

    #[test]
    fn an_answer_announcing_too_many_bytes_is_refused_unread() {
        use std::io::{Read as _, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\nConnection: close\r\n\r\n{",
            );
            std::thread::sleep(Duration::from_secs(2));
        });
        let mut config =
            ClientConfig::new(Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap());
        config.max_retries = 0;
        let err = MlflowClient::new(config).unwrap().get_run("r").unwrap_err();
        assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
    }

    #[test]
    fn an_unparseable_uri_is_reported_redacted() {
        let err =
            MlflowClient::connect("http://user:top@secret@host:99999/x?token=abc").unwrap_err();
        assert!(matches!(err, MlflowError::InvalidUri { .. }), "{err}");
        let text = whole_chain(&err);
        for leak in ["secret", "user", "top", "abc"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
        assert!(text.contains("host:99999"), "{text}");
    }
}
