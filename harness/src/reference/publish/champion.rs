//! The champion as a student's code would get it: downloaded through the registry alias, not
//! taken from memory, so a reference run proves the alias, the files and the `MLmodel` work.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::mlflow::{MlflowClient, ModelVersion};
use crate::model::mlmodel::{MLMODEL_FILE, MlModel};
use crate::reference::error::{RunError, at};

/// The champion as the registry serves it: downloaded through `models:/<name>@champion` into a
/// temporary directory (kept alive by this value), with its version number, `MLmodel` and our
/// flavor section `F`.
#[derive(Debug)]
pub struct DownloadedChampion<F> {
    pub uri: String,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) files: Vec<String>,
    pub version: u32,
    pub mlmodel: MlModel,
    pub flavor: F,
}

/// Downloads `models:/<registered_model>@champion` and reads its `MLmodel` and flavor `flavor`.
///
/// # Errors
/// [`RunError::Mlflow`] when the download fails; [`RunError::LoadedModel`] when the alias is
/// not a registry version or the `MLmodel` or its flavor cannot be read.
pub fn download_champion<F: DeserializeOwned>(
    client: &MlflowClient,
    registered_model: &str,
    flavor: &str,
) -> Result<DownloadedChampion<F>, RunError> {
    let uri = format!("models:/{registered_model}@champion");
    let bad = |reason: String| RunError::LoadedModel {
        uri: uri.clone(),
        reason,
    };
    let dir = tempfile::tempdir().map_err(|source| RunError::Io {
        action: "creating a temporary directory for",
        path: uri.clone(),
        source,
    })?;
    let (resolved, files) = client
        .download_model(&uri, dir.path())
        .map_err(at(format!("downloading {uri}")))?;
    let version = version_number(resolved.version.as_ref()).map_err(bad)?;
    let (mlmodel, flavor) = read_mlmodel(dir.path(), flavor).map_err(bad)?;
    Ok(DownloadedChampion {
        uri,
        dir,
        files,
        version,
        mlmodel,
        flavor,
    })
}

/// The number of the registry version an alias resolved to; why not, as a reason.
fn version_number(resolved: Option<&ModelVersion>) -> Result<u32, String> {
    let mv = resolved.ok_or("the alias resolved to no registry version")?;
    mv.version
        .parse()
        .map_err(|_| format!("version `{}` is not a number", mv.version))
}

/// The `MLmodel` in `dir` and its section for `flavor`; why not, as a reason.
fn read_mlmodel<F: DeserializeOwned>(dir: &Path, flavor: &str) -> Result<(MlModel, F), String> {
    let text = std::fs::read_to_string(dir.join(MLMODEL_FILE))
        .map_err(|e| format!("reading MLmodel: {e}"))?;
    let mlmodel =
        MlModel::from_yaml(&text).map_err(|e| format!("MLmodel is not valid YAML: {e}"))?;
    let section: F = mlmodel
        .flavor(flavor)
        .ok_or_else(|| format!("MLmodel has no `{flavor}` flavor"))?
        .map_err(|e| format!("flavor `{flavor}`: {e}"))?;
    Ok((mlmodel, section))
}

#[cfg(test)]
mod tests {
    use crate::model::mlmodel::{HARNESS_TREE_FLAVOR, HarnessTreeFlavor};

    use super::*;

    fn tree_flavor() -> HarnessTreeFlavor {
        HarnessTreeFlavor {
            algorithm: "RandomForest".into(),
            format: "harness-tree".into(),
            format_version: 1,
            harness_version: "0.1.0".into(),
            model_file: "model.json".into(),
        }
    }

    fn dir_with(mlmodel: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = mlmodel {
            std::fs::write(dir.path().join(MLMODEL_FILE), text).unwrap();
        }
        dir
    }

    #[test]
    fn the_version_must_exist_and_be_a_number() {
        let mv = |v: &str| ModelVersion {
            version: v.into(),
            ..Default::default()
        };
        assert_eq!(version_number(Some(&mv("3"))), Ok(3));
        let err = version_number(Some(&mv("latest"))).unwrap_err();
        assert!(err.contains("`latest` is not a number"), "{err}");
        let err = version_number(None).unwrap_err();
        assert!(err.contains("no registry version"), "{err}");
    }

    #[test]
    fn reads_the_mlmodel_and_our_flavor_back() {
        let written = MlModel {
            model_id: "m-1".into(),
            ..Default::default()
        }
        .with_flavor(HARNESS_TREE_FLAVOR, &tree_flavor());
        let dir = dir_with(Some(&written.to_yaml()));
        let (mlmodel, flavor): (MlModel, HarnessTreeFlavor) =
            read_mlmodel(dir.path(), HARNESS_TREE_FLAVOR).unwrap();
        assert_eq!(mlmodel, written);
        assert_eq!(flavor, tree_flavor());
    }

    #[test]
    fn a_missing_file_a_missing_flavor_and_bad_yaml_are_reasons() {
        let read = |dir: &tempfile::TempDir| {
            read_mlmodel::<HarnessTreeFlavor>(dir.path(), HARNESS_TREE_FLAVOR)
                .map(drop)
                .unwrap_err()
        };
        assert!(read(&dir_with(None)).starts_with("reading MLmodel"));
        let other_flavor = MlModel::default().with_flavor("sklearn", &tree_flavor());
        let err = read(&dir_with(Some(&other_flavor.to_yaml())));
        assert_eq!(err, "MLmodel has no `harness_tree` flavor");
        let err = read(&dir_with(Some("flavors: [unclosed")));
        assert!(err.starts_with("MLmodel is not valid YAML"), "{err}");
        let wrong_shape = MlModel::default().with_flavor(HARNESS_TREE_FLAVOR, &"just a string");
        let err = read(&dir_with(Some(&wrong_shape.to_yaml())));
        assert!(err.starts_with("flavor `harness_tree`: "), "{err}");
    }
}
