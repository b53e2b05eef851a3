//! The model registry: registered models, model versions, (deprecated) stages and aliases.

use serde_json::{Value, json};

use super::client::MlflowClient;
use super::error::Result;
use super::types::*;

impl MlflowClient {
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
    pub(crate) fn get_latest_versions(
        &self,
        name: &str,
        stages: &[Stage],
    ) -> Result<Vec<ModelVersion>> {
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
}
