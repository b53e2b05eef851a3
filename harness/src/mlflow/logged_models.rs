//! MLflow 3 logged models: create, read, finalize, tag, parametrize, search and delete.

use serde_json::{Value, json};

use super::client::MlflowClient;
use super::error::Result;
use super::types::*;

impl MlflowClient {
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
    pub(crate) fn delete_logged_model(&self, model_id: &str) -> Result<()> {
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
}
