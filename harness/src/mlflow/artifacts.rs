//! Artefacts: upload, list and download through the server's artefact proxy (or a local
//! directory), recursive downloads, and downloading a model named by a `models:/` or `runs:/` URI.

use std::path::Path;

use reqwest::Method;
use url::Url;

use super::client::{MlflowClient, decode, read_body};
use super::error::{MlflowError, Result};
use super::redact::redact_str;
use super::types::{FileInfo, ModelVersion, Stage};
use super::uri::{ModelUri, ResolvedModel};
use crate::handin::{Kind, Limits, read_capped};

impl MlflowClient {
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
                let (resp, started) = self.send_timed(Method::GET, url.clone(), |r| r)?;
                let mut limits = self.body_limits(started);
                // Model files are bigger than any API answer; they get the artefact cap.
                limits.max_bytes = limits.max_bytes.max(Limits::current().cap(Kind::Artifact));
                read_body(&url, resp, limits)
            }
            ArtifactRoot::Local(dir) => {
                let path = dir.join(rel_path);
                read_capped(&path, Kind::Artifact).map_err(|e| MlflowError::Io {
                    action: "read",
                    path,
                    source: std::io::Error::other(e.to_string()),
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

    // ---- models:/ and runs:/ ----

    /// Follows a model URI to the artefact directory that holds its files.
    pub fn resolve_model_uri(&self, uri: &ModelUri) -> Result<ResolvedModel> {
        let from_version = |mv: ModelVersion| -> Result<ResolvedModel> {
            let artifact_uri = self.get_model_version_download_uri(&mv.name, &mv.version)?;
            Ok(ResolvedModel {
                artifact_uri,
                version: Some(mv),
            })
        };
        match uri {
            ModelUri::Alias { name, alias } => {
                from_version(self.get_model_version_by_alias(name, alias)?)
            }
            ModelUri::Version { name, version } => {
                from_version(self.get_model_version(name, version)?)
            }
            ModelUri::Stage { name, stage } => {
                let stages: Vec<Stage> = stage.iter().copied().collect();
                let newest = self
                    .get_latest_versions(name, &stages)?
                    .into_iter()
                    .max_by_key(|v| v.version.parse::<u64>().unwrap_or(0))
                    .ok_or_else(|| MlflowError::InvalidUri {
                        uri: format!(
                            "models:/{name}/{}",
                            stage.map(Stage::as_str).unwrap_or("latest")
                        ),
                        reason: "no version is in that stage".into(),
                    })?;
                from_version(newest)
            }
            ModelUri::LoggedModel { model_id } => {
                let m = self.get_logged_model(model_id)?;
                Ok(ResolvedModel {
                    artifact_uri: m.info.artifact_uri,
                    version: None,
                })
            }
            ModelUri::Run { run_id, path } => {
                let run = self.get_run(run_id)?;
                let base = run.info.artifact_uri.trim_end_matches('/');
                let artifact_uri = if path.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}/{path}")
                };
                Ok(ResolvedModel {
                    artifact_uri,
                    version: None,
                })
            }
        }
    }

    /// Resolves `uri` (any form [`ModelUri::parse`] takes) and downloads the model's files into `dest`.
    pub fn download_model(&self, uri: &str, dest: &Path) -> Result<(ResolvedModel, Vec<String>)> {
        let resolved = self.resolve_model_uri(&ModelUri::parse(uri)?)?;
        let files = self.download_dir(&resolved.artifact_uri, "", dest)?;
        Ok((resolved, files))
    }
}

/// Where an artefact URI's files are reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArtifactRoot {
    /// Through the server's artefact proxy; the path after `mlflow-artifacts:`.
    Proxied(String),
    /// A directory on this machine (`file://…` or a plain absolute path).
    Local(std::path::PathBuf),
}

impl ArtifactRoot {
    pub(super) fn parse(uri: &str) -> Result<ArtifactRoot> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
