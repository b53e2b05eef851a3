//! Blocking MLflow REST client: tracking, logged models, registry, and the artefact proxy.

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

use super::error::{MlflowError, Result};
use super::redact::{redact_str, redact_text, redact_url};
use super::types::*;

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
    pub auth: Option<Auth>,
    /// Per-request limit, connection included.
    pub timeout: Duration,
    /// Retries after the first attempt on refused connections, 429 and 5xx.
    pub max_retries: u32,
    /// First back-off; doubles on each retry.
    pub backoff: Duration,
}

impl ClientConfig {
    pub fn new(tracking_uri: Url) -> Self {
        Self {
            tracking_uri,
            auth: None,
            timeout: Duration::from_secs(60),
            max_retries: 4,
            backoff: Duration::from_millis(250),
        }
    }
}

/// MLflow's per-request limits for `runs/log-batch`.
pub const MAX_BATCH_METRICS: usize = 1000;
pub const MAX_BATCH_PARAMS: usize = 100;
pub const MAX_BATCH_TAGS: usize = 100;
pub const MAX_BATCH_ENTITIES: usize = 1000;

/// A run to create.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewRun {
    pub experiment_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    pub tags: Vec<KeyValue>,
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

    pub fn tracking_uri(&self) -> &Url {
        &self.config.tracking_uri
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.config.tracking_uri.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}/{}", path.trim_start_matches('/')));
        url
    }

    fn api_url(&self, endpoint: &str) -> Url {
        self.url(&format!("api/2.0/mlflow/{endpoint}"))
    }

    /// Sends a request built by `build`, retrying refused connections, 429 and 5xx with
    /// exponential back-off, and turns non-2xx answers into [`MlflowError::Api`].
    fn send(
        &self,
        method: Method,
        url: Url,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response> {
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
            match build(req).send() {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retryable = status == 429 || (status >= 500 && status != 501);
                    if retryable && retries_left {
                        std::thread::sleep(delay);
                        delay *= 2;
                        continue;
                    }
                    return Err(api_error(&method, &url, resp));
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

    fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        endpoint: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<T> {
        let url = self.api_url(endpoint);
        let resp = self.send(method, url.clone(), |req| {
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
        decode(&url, resp)
    }

    fn get<T: DeserializeOwned>(&self, endpoint: &str, query: &[(&str, &str)]) -> Result<T> {
        self.call(Method::GET, endpoint, query, None)
    }

    fn post<T: DeserializeOwned>(&self, endpoint: &str, body: Value) -> Result<T> {
        self.call(Method::POST, endpoint, &[], Some(&body))
    }

    fn patch<T: DeserializeOwned>(&self, endpoint: &str, body: Value) -> Result<T> {
        self.call(Method::PATCH, endpoint, &[], Some(&body))
    }

    fn delete(&self, endpoint: &str, body: Value) -> Result<()> {
        self.call::<Value>(Method::DELETE, endpoint, &[], Some(&body))
            .map(drop)
    }

    /// `GET /health`: `Ok` when the server answers "OK".
    pub fn health(&self) -> Result<()> {
        let url = self.url("health");
        let resp = self.send(Method::GET, url.clone(), |r| r)?;
        let body = resp.text().unwrap_or_default();
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
    pub fn server_version(&self) -> Result<String> {
        let url = self.url("version");
        let resp = self.send(Method::GET, url, |r| r)?;
        Ok(resp.text().unwrap_or_default().trim().to_string())
    }

    // ---- experiments ----

    pub fn create_experiment(&self, name: &str, tags: &[KeyValue]) -> Result<String> {
        #[derive(serde::Deserialize)]
        struct R {
            experiment_id: String,
        }
        let r: R = self.post("experiments/create", json!({"name": name, "tags": tags}))?;
        Ok(r.experiment_id)
    }

    /// The experiment called `name`, or `None` when there is none.
    pub fn get_experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
        #[derive(serde::Deserialize)]
        struct R {
            experiment: Experiment,
        }
        match self.get::<R>("experiments/get-by-name", &[("experiment_name", name)]) {
            Ok(r) => Ok(Some(r.experiment)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn get_experiment(&self, experiment_id: &str) -> Result<Experiment> {
        #[derive(serde::Deserialize)]
        struct R {
            experiment: Experiment,
        }
        Ok(self
            .get::<R>("experiments/get", &[("experiment_id", experiment_id)])?
            .experiment)
    }

    /// The id of experiment `name`, creating it when missing (and tolerating a concurrent create).
    pub fn get_or_create_experiment(&self, name: &str) -> Result<String> {
        if let Some(e) = self.get_experiment_by_name(name)? {
            return Ok(e.experiment_id);
        }
        match self.create_experiment(name, &[]) {
            Ok(id) => Ok(id),
            Err(e) if e.is_already_exists() => Ok(self
                .get_experiment_by_name(name)?
                .map(|e| e.experiment_id)
                .unwrap_or_default()),
            Err(e) => Err(e),
        }
    }

    /// Every experiment matching `filter`, following page tokens.
    pub fn search_experiments(
        &self,
        filter: Option<&str>,
        view: ViewType,
    ) -> Result<Vec<Experiment>> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct R {
            experiments: Vec<Experiment>,
            next_page_token: Option<String>,
        }
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({"max_results": 1000, "view_type": view});
            if let Some(f) = filter {
                body["filter"] = json!(f);
            }
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let r: R = self.post("experiments/search", body)?;
            out.extend(r.experiments);
            match r.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    pub fn delete_experiment(&self, experiment_id: &str) -> Result<()> {
        self.post::<Value>(
            "experiments/delete",
            json!({"experiment_id": experiment_id}),
        )
        .map(drop)
    }

    // ---- runs ----

    pub fn create_run(&self, run: &NewRun) -> Result<Run> {
        #[derive(serde::Deserialize)]
        struct R {
            run: Run,
        }
        let mut body = serde_json::to_value(run).unwrap_or_default();
        if run.start_time.is_none() {
            body["start_time"] = json!(now_ms());
        }
        Ok(self.post::<R>("runs/create", body)?.run)
    }

    /// Ends (or re-opens) a run.
    pub fn update_run(
        &self,
        run_id: &str,
        status: RunStatus,
        end_time: Option<i64>,
    ) -> Result<RunInfo> {
        #[derive(serde::Deserialize)]
        struct R {
            run_info: RunInfo,
        }
        let mut body = json!({"run_id": run_id, "status": status});
        if let Some(t) = end_time {
            body["end_time"] = json!(t);
        }
        Ok(self.post::<R>("runs/update", body)?.run_info)
    }

    pub fn get_run(&self, run_id: &str) -> Result<Run> {
        #[derive(serde::Deserialize)]
        struct R {
            run: Run,
        }
        Ok(self.get::<R>("runs/get", &[("run_id", run_id)])?.run)
    }

    pub fn delete_run(&self, run_id: &str) -> Result<()> {
        self.post::<Value>("runs/delete", json!({"run_id": run_id}))
            .map(drop)
    }

    /// One page of `runs/search`; returns the runs and the next page token, if any.
    pub fn search_runs_page(
        &self,
        search: &RunSearch,
        page_token: Option<&str>,
    ) -> Result<(Vec<Run>, Option<String>)> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct R {
            runs: Vec<Run>,
            next_page_token: Option<String>,
        }
        let mut body = serde_json::to_value(search).unwrap_or_default();
        if let Some(t) = page_token {
            body["page_token"] = json!(t);
        }
        let r: R = self.post("runs/search", body)?;
        Ok((r.runs, r.next_page_token.filter(|t| !t.is_empty())))
    }

    /// Every run matching `search`, following page tokens.
    pub fn search_runs(&self, search: &RunSearch) -> Result<Vec<Run>> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let (runs, next) = self.search_runs_page(search, token.as_deref())?;
            out.extend(runs);
            match next {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    /// Every point of one metric, in the order the server keeps them (step, then timestamp).
    pub fn get_metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct R {
            metrics: Vec<Metric>,
            next_page_token: Option<String>,
        }
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = vec![
                ("run_id", run_id),
                ("metric_key", key),
                ("max_results", "25000"),
            ];
            if let Some(t) = &token {
                q.push(("page_token", t));
            }
            let r: R = self.get("metrics/get-history", &q)?;
            out.extend(r.metrics);
            match r.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    /// Logs any number of metrics, params and tags, split into as many `log-batch` requests as
    /// MLflow's per-request limits require. Order within each kind is preserved.
    pub fn log_batch(
        &self,
        run_id: &str,
        metrics: &[Metric],
        params: &[KeyValue],
        tags: &[KeyValue],
    ) -> Result<()> {
        for batch in split_batches(metrics, params, tags) {
            self.post::<Value>(
                "runs/log-batch",
                json!({"run_id": run_id, "metrics": batch.metrics, "params": batch.params, "tags": batch.tags}),
            )?;
        }
        Ok(())
    }

    pub fn log_metric(&self, run_id: &str, metric: &Metric) -> Result<()> {
        let mut body = serde_json::to_value(metric).unwrap_or_default();
        body["run_id"] = json!(run_id);
        self.post::<Value>("runs/log-metric", body).map(drop)
    }

    pub fn log_param(&self, run_id: &str, key: &str, value: &str) -> Result<()> {
        self.post::<Value>(
            "runs/log-parameter",
            json!({"run_id": run_id, "key": key, "value": value}),
        )
        .map(drop)
    }

    pub fn set_tag(&self, run_id: &str, key: &str, value: &str) -> Result<()> {
        self.post::<Value>(
            "runs/set-tag",
            json!({"run_id": run_id, "key": key, "value": value}),
        )
        .map(drop)
    }

    /// The run's description, shown in the UI as its notes.
    pub fn set_run_note(&self, run_id: &str, note: &str) -> Result<()> {
        self.set_tag(run_id, "mlflow.note.content", note)
    }

    pub fn log_inputs(&self, run_id: &str, datasets: &[DatasetInput]) -> Result<()> {
        self.post::<Value>(
            "runs/log-inputs",
            json!({"run_id": run_id, "datasets": datasets}),
        )
        .map(drop)
    }

    /// Records logged models as outputs of a run (what the UI's "Logged models" column shows).
    pub fn log_outputs(&self, run_id: &str, model_ids: &[(&str, i64)]) -> Result<()> {
        let models: Vec<Value> = model_ids
            .iter()
            .map(|(id, step)| json!({"model_id": id, "step": step}))
            .collect();
        self.post::<Value>("runs/outputs", json!({"run_id": run_id, "models": models}))
            .map(drop)
    }

    // ---- logged models (MLflow 3) ----

    pub fn create_logged_model(&self, model: &NewLoggedModel) -> Result<LoggedModel> {
        #[derive(serde::Deserialize)]
        struct R {
            model: LoggedModel,
        }
        Ok(self
            .post::<R>(
                "logged-models",
                serde_json::to_value(model).unwrap_or_default(),
            )?
            .model)
    }

    pub fn get_logged_model(&self, model_id: &str) -> Result<LoggedModel> {
        #[derive(serde::Deserialize)]
        struct R {
            model: LoggedModel,
        }
        Ok(self
            .get::<R>(&format!("logged-models/{model_id}"), &[])?
            .model)
    }

    /// Marks a logged model's upload as finished (or failed).
    pub fn finalize_logged_model(
        &self,
        model_id: &str,
        status: LoggedModelStatus,
    ) -> Result<LoggedModel> {
        #[derive(serde::Deserialize)]
        struct R {
            model: LoggedModel,
        }
        let body = json!({"model_id": model_id, "status": status});
        Ok(self
            .patch::<R>(&format!("logged-models/{model_id}"), body)?
            .model)
    }

    /// Deletes a logged model (MLflow marks it deleted; its files stay until `mlflow gc`).
    pub fn delete_logged_model(&self, model_id: &str) -> Result<()> {
        self.delete(&format!("logged-models/{model_id}"), json!({}))
    }

    pub fn set_logged_model_tags(&self, model_id: &str, tags: &[KeyValue]) -> Result<()> {
        self.patch::<Value>(
            &format!("logged-models/{model_id}/tags"),
            json!({"tags": tags}),
        )
        .map(drop)
    }

    pub fn log_logged_model_params(&self, model_id: &str, params: &[KeyValue]) -> Result<()> {
        self.post::<Value>(
            &format!("logged-models/{model_id}/params"),
            json!({"model_id": model_id, "params": params}),
        )
        .map(drop)
    }

    pub fn search_logged_models(&self, experiment_ids: &[String]) -> Result<Vec<LoggedModel>> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct R {
            models: Vec<LoggedModel>,
            next_page_token: Option<String>,
        }
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({"experiment_ids": experiment_ids, "max_results": 100});
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let r: R = self.post("logged-models/search", body)?;
            out.extend(r.models);
            match r.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    // ---- registered models ----

    pub fn create_registered_model(
        &self,
        name: &str,
        tags: &[KeyValue],
        description: Option<&str>,
    ) -> Result<RegisteredModel> {
        #[derive(serde::Deserialize)]
        struct R {
            registered_model: RegisteredModel,
        }
        let mut body = json!({"name": name, "tags": tags});
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        Ok(self
            .post::<R>("registered-models/create", body)?
            .registered_model)
    }

    pub fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        #[derive(serde::Deserialize)]
        struct R {
            registered_model: RegisteredModel,
        }
        Ok(self
            .get::<R>("registered-models/get", &[("name", name)])?
            .registered_model)
    }

    /// The registered model called `name`, or `None` when it does not exist.
    pub fn find_registered_model(&self, name: &str) -> Result<Option<RegisteredModel>> {
        match self.get_registered_model(name) {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn update_registered_model_description(
        &self,
        name: &str,
        description: &str,
    ) -> Result<RegisteredModel> {
        #[derive(serde::Deserialize)]
        struct R {
            registered_model: RegisteredModel,
        }
        Ok(self
            .patch::<R>(
                "registered-models/update",
                json!({"name": name, "description": description}),
            )?
            .registered_model)
    }

    pub fn delete_registered_model(&self, name: &str) -> Result<()> {
        self.delete("registered-models/delete", json!({"name": name}))
    }

    /// Every registered model matching `filter` (e.g. `name LIKE 'wine%'`), following page tokens.
    pub fn search_registered_models(&self, filter: Option<&str>) -> Result<Vec<RegisteredModel>> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct R {
            registered_models: Vec<RegisteredModel>,
            next_page_token: Option<String>,
        }
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q: Vec<(&str, &str)> = vec![("max_results", "1000")];
            if let Some(f) = filter {
                q.push(("filter", f));
            }
            if let Some(t) = &token {
                q.push(("page_token", t));
            }
            let r: R = self.get("registered-models/search", &q)?;
            out.extend(r.registered_models);
            match r.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    pub fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        self.post::<Value>(
            "registered-models/set-tag",
            json!({"name": name, "key": key, "value": value}),
        )
        .map(drop)
    }

    pub fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        self.delete(
            "registered-models/delete-tag",
            json!({"name": name, "key": key}),
        )
    }

    // ---- model versions ----

    pub fn create_model_version(&self, version: &NewModelVersion) -> Result<ModelVersion> {
        #[derive(serde::Deserialize)]
        struct R {
            model_version: ModelVersion,
        }
        Ok(self
            .post::<R>(
                "model-versions/create",
                serde_json::to_value(version).unwrap_or_default(),
            )?
            .model_version)
    }

    pub fn get_model_version(&self, name: &str, version: &str) -> Result<ModelVersion> {
        #[derive(serde::Deserialize)]
        struct R {
            model_version: ModelVersion,
        }
        Ok(self
            .get::<R>(
                "model-versions/get",
                &[("name", name), ("version", version)],
            )?
            .model_version)
    }

    pub fn update_model_version_description(
        &self,
        name: &str,
        version: &str,
        description: &str,
    ) -> Result<ModelVersion> {
        #[derive(serde::Deserialize)]
        struct R {
            model_version: ModelVersion,
        }
        Ok(self
            .patch::<R>(
                "model-versions/update",
                json!({"name": name, "version": version, "description": description}),
            )?
            .model_version)
    }

    pub fn delete_model_version(&self, name: &str, version: &str) -> Result<()> {
        self.delete(
            "model-versions/delete",
            json!({"name": name, "version": version}),
        )
    }

    /// Every model version matching `filter` (e.g. `name='wine'`), following page tokens.
    /// The server leaves `aliases` out of search results; read them from the registered model.
    pub fn search_model_versions(&self, filter: Option<&str>) -> Result<Vec<ModelVersion>> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct R {
            model_versions: Vec<ModelVersion>,
            next_page_token: Option<String>,
        }
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q: Vec<(&str, &str)> = vec![("max_results", "10000")];
            if let Some(f) = filter {
                q.push(("filter", f));
            }
            if let Some(t) = &token {
                q.push(("page_token", t));
            }
            let r: R = self.get("model-versions/search", &q)?;
            out.extend(r.model_versions);
            match r.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    pub fn set_model_version_tag(
        &self,
        name: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> Result<()> {
        self.post::<Value>(
            "model-versions/set-tag",
            json!({"name": name, "version": version, "key": key, "value": value}),
        )
        .map(drop)
    }

    pub fn delete_model_version_tag(&self, name: &str, version: &str, key: &str) -> Result<()> {
        self.delete(
            "model-versions/delete-tag",
            json!({"name": name, "version": version, "key": key}),
        )
    }

    /// Where a version's files live (`mlflow-artifacts:/…`).
    pub fn get_model_version_download_uri(&self, name: &str, version: &str) -> Result<String> {
        #[derive(serde::Deserialize)]
        struct R {
            artifact_uri: String,
        }
        Ok(self
            .get::<R>(
                "model-versions/get-download-uri",
                &[("name", name), ("version", version)],
            )?
            .artifact_uri)
    }

    /// Moves a version to a (deprecated but still served) stage.
    pub fn transition_model_version_stage(
        &self,
        name: &str,
        version: &str,
        stage: Stage,
        archive_existing: bool,
    ) -> Result<ModelVersion> {
        #[derive(serde::Deserialize)]
        struct R {
            model_version: ModelVersion,
        }
        let body = json!({"name": name, "version": version, "stage": stage.as_str(),
            "archive_existing_versions": archive_existing});
        Ok(self
            .post::<R>("model-versions/transition-stage", body)?
            .model_version)
    }

    /// The newest version in each of `stages` (all stages when empty).
    pub fn get_latest_versions(&self, name: &str, stages: &[Stage]) -> Result<Vec<ModelVersion>> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct R {
            model_versions: Vec<ModelVersion>,
        }
        let stages: Vec<&str> = stages.iter().map(|s| s.as_str()).collect();
        Ok(self
            .post::<R>(
                "registered-models/get-latest-versions",
                json!({"name": name, "stages": stages}),
            )?
            .model_versions)
    }

    // ---- aliases ----

    pub fn set_alias(&self, name: &str, alias: &str, version: &str) -> Result<()> {
        self.post::<Value>(
            "registered-models/alias",
            json!({"name": name, "alias": alias, "version": version}),
        )
        .map(drop)
    }

    pub fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        self.delete(
            "registered-models/alias",
            json!({"name": name, "alias": alias}),
        )
    }

    /// The version `alias` points at. An unknown alias is an `INVALID_PARAMETER_VALUE` (HTTP 400).
    pub fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        #[derive(serde::Deserialize)]
        struct R {
            model_version: ModelVersion,
        }
        Ok(self
            .get::<R>(
                "registered-models/alias",
                &[("name", name), ("alias", alias)],
            )?
            .model_version)
    }

    // ---- artefacts ----

    /// Uploads `bytes` as `rel_path` under `artifact_uri` (a run's, a logged model's, or any
    /// `mlflow-artifacts:` / local directory URI).
    pub fn upload_artifact(
        &self,
        artifact_uri: &str,
        rel_path: &str,
        bytes: Vec<u8>,
    ) -> Result<()> {
        match ArtifactRoot::parse(artifact_uri)? {
            ArtifactRoot::Proxied(root) => {
                let url = self.proxy_url(&root, rel_path);
                self.send(Method::PUT, url, |req| req.body(bytes.clone()))?;
                Ok(())
            }
            ArtifactRoot::Local(dir) => {
                let path = dir.join(rel_path);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|source| MlflowError::Io {
                        action: "create",
                        path: parent.into(),
                        source,
                    })?;
                }
                std::fs::write(&path, bytes).map_err(|source| MlflowError::Io {
                    action: "write",
                    path,
                    source,
                })
            }
        }
    }

    /// Uploads a local file or directory tree under `artifact_uri`, at `rel_dir` (may be empty).
    pub fn upload_path(&self, artifact_uri: &str, rel_dir: &str, local: &Path) -> Result<()> {
        let meta = std::fs::metadata(local).map_err(|source| MlflowError::Io {
            action: "read",
            path: local.into(),
            source,
        })?;
        if meta.is_file() {
            let bytes = std::fs::read(local).map_err(|source| MlflowError::Io {
                action: "read",
                path: local.into(),
                source,
            })?;
            let name = local.file_name().and_then(|n| n.to_str()).unwrap_or("file");
            return self.upload_artifact(artifact_uri, &join_rel(rel_dir, name), bytes);
        }
        let mut entries: Vec<_> = std::fs::read_dir(local)
            .map_err(|source| MlflowError::Io {
                action: "list",
                path: local.into(),
                source,
            })?
            .filter_map(|e| e.ok())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if path.is_dir() {
                self.upload_path(artifact_uri, &join_rel(rel_dir, &name), &path)?;
            } else {
                self.upload_path(artifact_uri, rel_dir, &path)?;
            }
        }
        Ok(())
    }

    pub fn download_artifact(&self, artifact_uri: &str, rel_path: &str) -> Result<Vec<u8>> {
        match ArtifactRoot::parse(artifact_uri)? {
            ArtifactRoot::Proxied(root) => {
                let url = self.proxy_url(&root, rel_path);
                let resp = self.send(Method::GET, url.clone(), |r| r)?;
                resp.bytes()
                    .map(|b| b.to_vec())
                    .map_err(|e| body_error(&url, e))
            }
            ArtifactRoot::Local(dir) => {
                let path = dir.join(rel_path);
                std::fs::read(&path).map_err(|source| MlflowError::Io {
                    action: "read",
                    path,
                    source,
                })
            }
        }
    }

    /// The direct children of `rel_dir` under `artifact_uri`; `path` in each entry is relative to
    /// `artifact_uri`, so it can be passed back to [`Self::download_artifact`].
    pub fn list_artifacts(&self, artifact_uri: &str, rel_dir: &str) -> Result<Vec<FileInfo>> {
        match ArtifactRoot::parse(artifact_uri)? {
            ArtifactRoot::Proxied(root) => {
                #[derive(serde::Deserialize, Default)]
                #[serde(default)]
                struct R {
                    files: Vec<FileInfo>,
                }
                let dir = join_rel(&root, rel_dir);
                let url = self.url("api/2.0/mlflow-artifacts/artifacts");
                let resp = self.send(Method::GET, url.clone(), |r| {
                    r.query(&[("path", dir.as_str())])
                })?;
                let r: R = decode(&url, resp)?;
                Ok(r.files
                    .into_iter()
                    .map(|f| {
                        let name = f.path.rsplit('/').next().unwrap_or(&f.path).to_string();
                        FileInfo {
                            path: join_rel(rel_dir, &name),
                            ..f
                        }
                    })
                    .collect())
            }
            ArtifactRoot::Local(dir) => {
                let path = dir.join(rel_dir);
                if !path.exists() {
                    return Ok(Vec::new());
                }
                let mut out = Vec::new();
                for entry in std::fs::read_dir(&path)
                    .map_err(|source| MlflowError::Io {
                        action: "list",
                        path: path.clone(),
                        source,
                    })?
                    .filter_map(|e| e.ok())
                {
                    let meta = entry.metadata().ok();
                    let name = entry.file_name().to_string_lossy().into_owned();
                    out.push(FileInfo {
                        path: join_rel(rel_dir, &name),
                        is_dir: meta.as_ref().is_some_and(|m| m.is_dir()),
                        file_size: meta.filter(|m| m.is_file()).map(|m| m.len() as i64),
                    });
                }
                out.sort_by(|a, b| a.path.cmp(&b.path));
                Ok(out)
            }
        }
    }

    /// Downloads everything under `artifact_uri`/`rel_dir` into `dest`, keeping the tree;
    /// returns the files written, relative to `dest`.
    pub fn download_dir(
        &self,
        artifact_uri: &str,
        rel_dir: &str,
        dest: &Path,
    ) -> Result<Vec<String>> {
        let mut written = Vec::new();
        let mut pending = vec![rel_dir.to_string()];
        while let Some(dir) = pending.pop() {
            for entry in self.list_artifacts(artifact_uri, &dir)? {
                if entry.is_dir {
                    pending.push(entry.path);
                    continue;
                }
                let bytes = self.download_artifact(artifact_uri, &entry.path)?;
                let rel = entry
                    .path
                    .strip_prefix(rel_dir)
                    .unwrap_or(&entry.path)
                    .trim_start_matches('/')
                    .to_string();
                let target = dest.join(&rel);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|source| MlflowError::Io {
                        action: "create",
                        path: parent.into(),
                        source,
                    })?;
                }
                std::fs::write(&target, bytes).map_err(|source| MlflowError::Io {
                    action: "write",
                    path: target.clone(),
                    source,
                })?;
                written.push(rel);
            }
        }
        written.sort();
        Ok(written)
    }

    fn proxy_url(&self, root: &str, rel_path: &str) -> Url {
        let mut url = self.url("api/2.0/mlflow-artifacts/artifacts");
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty();
            for seg in join_rel(root, rel_path)
                .split('/')
                .filter(|s| !s.is_empty())
            {
                segs.push(seg);
            }
        }
        url
    }
}

/// Where an artefact URI's files are reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactRoot {
    /// Through the server's artefact proxy; the path after `mlflow-artifacts:`.
    Proxied(String),
    /// A directory on this machine (`file://…` or a plain absolute path).
    Local(std::path::PathBuf),
}

impl ArtifactRoot {
    pub fn parse(uri: &str) -> Result<ArtifactRoot> {
        if let Some(rest) = uri.strip_prefix("mlflow-artifacts:") {
            // `mlflow-artifacts://host:port/path` names a server; we always use our own.
            let path = match rest.strip_prefix("//") {
                Some(with_authority) => {
                    with_authority.split_once('/').map(|(_, p)| p).unwrap_or("")
                }
                None => rest,
            };
            return Ok(ArtifactRoot::Proxied(path.trim_matches('/').to_string()));
        }
        if let Some(rest) = uri.strip_prefix("file://") {
            return Ok(ArtifactRoot::Local(rest.into()));
        }
        if uri.starts_with('/') {
            return Ok(ArtifactRoot::Local(uri.into()));
        }
        Err(MlflowError::InvalidUri {
            uri: redact_str(uri),
            reason: "only mlflow-artifacts:/…, file://… and absolute paths are supported as artefact locations".into(),
        })
    }
}

fn join_rel(dir: &str, name: &str) -> String {
    let dir = dir.trim_matches('/');
    let name = name.trim_matches('/');
    match (dir.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (_, true) => dir.to_string(),
        _ => format!("{dir}/{name}"),
    }
}

/// One `log-batch` request's worth of entities.
#[derive(Debug, Default, PartialEq)]
pub struct Batch<'a> {
    pub metrics: &'a [Metric],
    pub params: &'a [KeyValue],
    pub tags: &'a [KeyValue],
}

/// Splits entities into requests within MLflow's limits: ≤1000 metrics, ≤100 params, ≤100 tags,
/// ≤1000 in total. Params and tags go first, so a run's metadata lands before its metrics.
pub fn split_batches<'a>(
    metrics: &'a [Metric],
    params: &'a [KeyValue],
    tags: &'a [KeyValue],
) -> Vec<Batch<'a>> {
    let (mut m, mut p, mut t) = (metrics, params, tags);
    let mut out = Vec::new();
    while !(m.is_empty() && p.is_empty() && t.is_empty()) {
        let np = p.len().min(MAX_BATCH_PARAMS);
        let nt = t.len().min(MAX_BATCH_TAGS);
        let nm = m
            .len()
            .min(MAX_BATCH_METRICS)
            .min(MAX_BATCH_ENTITIES - np - nt);
        out.push(Batch {
            metrics: &m[..nm],
            params: &p[..np],
            tags: &t[..nt],
        });
        m = &m[nm..];
        p = &p[np..];
        t = &t[nt..];
    }
    out
}

fn api_error(method: &Method, url: &Url, resp: Response) -> MlflowError {
    let status = resp.status().as_u16();
    let is_json = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    let body = resp.text().unwrap_or_default();
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

/// Reads a 2xx answer's JSON body (an empty body reads as `{}`).
fn decode<T: DeserializeOwned>(url: &Url, resp: Response) -> Result<T> {
    let body = resp.bytes().map_err(|e| body_error(url, e))?;
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

/// The error for a 2xx answer whose body could not be read.
fn body_error(url: &Url, err: reqwest::Error) -> MlflowError {
    MlflowError::Transport {
        url: redact_url(url),
        attempts: 1,
        reason: transport_reason(err),
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

    fn metrics(n: usize) -> Vec<Metric> {
        (0..n)
            .map(|i| Metric::new("m", i as f64, 0, i as i64))
            .collect()
    }

    #[test]
    fn batches_respect_every_limit_and_keep_order() {
        let m = metrics(2500);
        let p: Vec<_> = (0..250)
            .map(|i| KeyValue::new(format!("p{i}"), "v"))
            .collect();
        let t: Vec<_> = (0..30)
            .map(|i| KeyValue::new(format!("t{i}"), "v"))
            .collect();
        let batches = split_batches(&m, &p, &t);
        for b in &batches {
            assert!(b.metrics.len() <= MAX_BATCH_METRICS);
            assert!(b.params.len() <= MAX_BATCH_PARAMS);
            assert!(b.tags.len() <= MAX_BATCH_TAGS);
            assert!(b.metrics.len() + b.params.len() + b.tags.len() <= MAX_BATCH_ENTITIES);
        }
        let steps: Vec<i64> = batches
            .iter()
            .flat_map(|b| b.metrics.iter().map(|m| m.step))
            .collect();
        assert_eq!(steps, (0..2500).collect::<Vec<_>>());
        assert_eq!(batches.iter().map(|b| b.params.len()).sum::<usize>(), 250);
        assert_eq!(batches.iter().map(|b| b.tags.len()).sum::<usize>(), 30);
    }

    #[test]
    fn empty_batch_sends_nothing() {
        assert!(split_batches(&[], &[], &[]).is_empty());
    }

    #[test]
    fn artifact_roots() {
        assert_eq!(
            ArtifactRoot::parse("mlflow-artifacts:/1/abc/artifacts").unwrap(),
            ArtifactRoot::Proxied("1/abc/artifacts".into())
        );
        assert_eq!(
            ArtifactRoot::parse("mlflow-artifacts://host:5000/1/models/m-1/artifacts").unwrap(),
            ArtifactRoot::Proxied("1/models/m-1/artifacts".into())
        );
        assert_eq!(
            ArtifactRoot::parse("file:///tmp/a").unwrap(),
            ArtifactRoot::Local("/tmp/a".into())
        );
        assert!(ArtifactRoot::parse("s3://bucket/x").is_err());
    }

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
