//! Tracking: experiments, runs, their params, metrics and tags (one by one or in batches),
//! dataset inputs, logged-model outputs, notes, and search.

use serde::Serialize;
use serde_json::{Value, json};

use super::client::{MlflowClient, now_ms};
use super::error::Result;
use super::types::*;

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

impl MlflowClient {
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

    pub(crate) fn delete_run(&self, run_id: &str) -> Result<()> {
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
}

/// One `log-batch` request's worth of entities.
#[derive(Debug, Default, PartialEq)]
pub struct Batch<'a> {
    pub(crate) metrics: &'a [Metric],
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
}
