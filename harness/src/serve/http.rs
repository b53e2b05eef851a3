//! The HTTP side: MLflow's scoring protocol (`/ping`, `/health`, `/version`, `/invocations`),
//! the seed's `/predict`, and `/metrics`. Every answer names the version that gave it
//! (`X-Model-Version`); bad input gets MLflow's error JSON and never stops the server.

use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::input::{self, Batch, InputError};
use super::metrics::Metrics;
use super::model::{Scores, ServedModel};

/// The response header naming the registry version that answered.
pub const VERSION_HEADER: &str = "x-model-version";

/// Above this many values a batch is scored on the blocking pool, so one big request does
/// not hold up the small ones.
const INLINE_VALUES: usize = 64 * 1024;

/// A body over the limit but under this is read and dropped before the 413 (see `read_body`).
const DRAIN_BYTES: usize = 64 << 20;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// What a request may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_batch_rows: usize,
}

/// What every handler shares: the model (swapped whole when the alias moves), the metrics and
/// the limits.
#[derive(Debug)]
pub struct AppState {
    model: ArcSwap<ServedModel>,
    pub(crate) metrics: Metrics,
    limits: Limits,
}

impl AppState {
    pub fn new(model: ServedModel, limits: Limits) -> Arc<Self> {
        let metrics = Metrics::new();
        metrics.serving(&model.identity, None);
        Arc::new(AppState {
            model: ArcSwap::from_pointee(model),
            metrics,
            limits,
        })
    }

    /// The model answering now.
    pub fn current(&self) -> Arc<ServedModel> {
        self.model.load_full()
    }

    /// Puts `model` in place of the current one: requests already running finish with the
    /// model they started with, the next ones get the new one.
    pub fn swap(&self, model: ServedModel) {
        let new = Arc::new(model);
        let old = self.model.swap(Arc::clone(&new));
        self.metrics.serving(&new.identity, Some(&old.identity));
    }
}

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/ping", get(ping))
        .route("/health", get(ping))
        .route("/version", get(version))
        .route("/invocations", post(invocations))
        .route("/predict", post(predict))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .with_state(state)
}

/// Records the request in the metrics and stamps the version header.
fn finish(
    state: &AppState,
    handler: &str,
    method: &Method,
    started: Instant,
    model: &ServedModel,
    mut response: Response,
) -> Response {
    if let Ok(v) = HeaderValue::from_str(&model.identity.version) {
        response.headers_mut().insert(VERSION_HEADER, v);
    }
    state.metrics.request(
        handler,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

fn respond(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    respond(status, "application/json", value.to_string())
}

/// MLflow's error body: `{"error_code": …, "message": …}`.
fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    json_response(
        status,
        &json!({ "error_code": code, "message": message.into() }),
    )
}

fn bad_request(e: InputError) -> Response {
    error(StatusCode::BAD_REQUEST, "BAD_REQUEST", e.0)
}

async fn ping(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let model = state.current();
    let response = respond(StatusCode::OK, "application/json", "\n");
    finish(
        &state,
        request.uri().path(),
        request.method(),
        started,
        &model,
        response,
    )
}

async fn version(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let model = state.current();
    let id = &model.identity;
    let body = json!({
        "model_uri": id.uri,
        "name": id.name,
        "version": id.version,
        "alias": id.alias,
        "run_id": id.run_id,
        "flavor": model.flavor,
        "harness_version": crate::version::VERSION,
    });
    let response = json_response(StatusCode::OK, &body);
    finish(
        &state,
        "/version",
        request.method(),
        started,
        &model,
        response,
    )
}

async fn metrics(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let model = state.current();
    let response = respond(
        StatusCode::OK,
        "application/openmetrics-text; version=1.0.0; charset=utf-8",
        state.metrics.render(),
    );
    finish(
        &state,
        "/metrics",
        request.method(),
        started,
        &model,
        response,
    )
}

async fn not_found(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let model = state.current();
    let response = error(
        StatusCode::NOT_FOUND,
        "ENDPOINT_NOT_FOUND",
        format!(
            "no endpoint {} {}; this server answers GET /ping, /health, /version, /metrics and POST /invocations, /predict",
            request.method(),
            request.uri().path()
        ),
    );
    // One label for every unknown path, so scanners cannot grow the metrics without bound.
    finish(&state, "other", request.method(), started, &model, response)
}

async fn invocations(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let model = state.current();
    let method = request.method().clone();
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let response = match read_body(request, state.limits.max_body_bytes).await {
        Err(response) => response,
        Ok(body) => {
            let mime = content_type
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let rows = state.limits.max_batch_rows;
            let parsed = match mime.as_str() {
                "application/json" => Some(input::parse_json(&body, &model.schema, rows)),
                "text/csv" => Some(input::parse_csv(&body, &model.schema, rows)),
                _ => None,
            };
            match parsed {
                None => error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "BAD_REQUEST",
                    format!(
                        "Content-Type {content_type:?} is not supported: send application/json or text/csv (curl: -H 'Content-Type: application/json')"
                    ),
                ),
                Some(Err(e)) => bad_request(e),
                Some(Ok(batch)) => match score(&state, &model, batch).await {
                    Ok(scores) => json_response(StatusCode::OK, &predictions(&scores)),
                    Err(response) => response,
                },
            }
        }
    };
    finish(&state, "/invocations", &method, started, &model, response)
}

async fn predict(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let model = state.current();
    let method = request.method().clone();
    let response = match read_body(request, state.limits.max_body_bytes).await {
        Err(response) => response,
        // Any content type: the seed's clients post JSON without always saying so.
        Ok(body) => match input::parse_predict(&body, &model.schema) {
            Err(e) => bad_request(e),
            Ok(batch) => match score(&state, &model, batch).await {
                Ok(scores) => {
                    let label = scores.labels[0];
                    let probabilities = &scores.probabilities[0];
                    json_response(
                        StatusCode::OK,
                        &json!({
                            "class": label,
                            "class_name": model.class_name(label),
                            "confidence": probabilities.get(label).copied().unwrap_or(f64::NAN),
                            "probabilities": probabilities,
                            "model_version": model.identity.version,
                        }),
                    )
                }
                Err(response) => response,
            },
        },
    };
    finish(&state, "/predict", &method, started, &model, response)
}

/// The body, at most `limit` bytes; 413 past it.
async fn read_body(request: Request, limit: usize) -> Result<Bytes, Response> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BAD_REQUEST",
            format!(
                "the body is larger than the server's limit of {limit} bytes (--max-body-bytes); send smaller batches"
            ),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|&n| n > limit as u64) {
        // Read (and drop) a moderately large body before answering: a client still writing it
        // would otherwise see the connection reset instead of the 413.
        if n <= DRAIN_BYTES as u64 {
            let drain = axum::body::to_bytes(request.into_body(), DRAIN_BYTES);
            let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
        }
        return Err(too_large());
    }
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|e| {
            let mut cause: Option<&dyn std::error::Error> = Some(&e);
            while let Some(c) = cause {
                if c.to_string().contains("length limit exceeded") {
                    return too_large();
                }
                cause = c.source();
            }
            error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("the body could not be read: {e}"),
            )
        })
}

/// Scores `batch` (big ones off the async workers) and records the prediction metrics.
async fn score(
    state: &AppState,
    model: &Arc<ServedModel>,
    batch: Batch,
) -> Result<Scores, Response> {
    let started = Instant::now();
    let scored = if batch.values.len() <= INLINE_VALUES {
        model.classifier.predict(&batch)
    } else {
        let model = Arc::clone(model);
        tokio::task::spawn_blocking(move || model.classifier.predict(&batch))
            .await
            .unwrap_or_else(|e| Err(format!("the prediction task failed: {e}")))
    };
    match scored {
        Ok(scores) => {
            state.metrics.predicted(&scores.labels, started.elapsed());
            Ok(scores)
        }
        Err(e) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            format!("the model failed to predict: {e}"),
        )),
    }
}

/// `{"predictions": [{"label": …, "probability_0": …, …}, …]}`: what `mlflow models serve`
/// answers for our models' ONNX flavor (a frame of `label` and `probability_<k>` columns in
/// pandas' records orient), so a client can switch servers without a change.
fn predictions(scores: &Scores) -> Value {
    let rows = scores
        .labels
        .iter()
        .zip(&scores.probabilities)
        .map(|(label, proba)| {
            let mut row = Map::with_capacity(proba.len() + 1);
            row.insert("label".into(), json!(label));
            for (k, p) in proba.iter().enumerate() {
                row.insert(format!("probability_{k}"), json!(p));
            }
            Value::Object(row)
        })
        .collect();
    json!({ "predictions": Value::Array(rows) })
}
