//! Task 1's champion loaded back the way a student's code loads it: by alias from the
//! registry, then checked against the model trained in memory.

use crate::data::wine::Dataset;
use crate::mlflow::MlflowClient;
use crate::model::mlmodel::{HARNESS_TREE_FLAVOR, HarnessTreeFlavor, parse_columns};
use crate::reference::publish::{DownloadedChampion, download_champion};
use crate::reference::{Published, RunError};
use crate::train::{self, ModelFile};

use super::spec::WineRunSpec;
use super::summary::{ChampionCheck, Prediction};

/// Downloads `models:/<name>@champion`, reads its MLmodel and model file, predicts the first
/// `predict_samples` test rows and compares with the model trained in memory.
pub(super) fn check_champion(
    client: &MlflowClient,
    spec: &WineRunSpec,
    published: &Published,
    dataset: &Dataset,
    trained: &[train::wine::TrainedModel],
) -> Result<ChampionCheck, RunError> {
    let DownloadedChampion {
        uri,
        dir,
        files,
        version,
        mlmodel,
        flavor,
    } = download_champion::<HarnessTreeFlavor>(
        client,
        &published.registered_model,
        HARNESS_TREE_FLAVOR,
    )?;
    let bad = |reason: String| RunError::LoadedModel {
        uri: uri.clone(),
        reason,
    };
    let model_file = ModelFile::read(&dir.path().join(&flavor.model_file)).map_err(|source| {
        RunError::ModelFile {
            uri: uri.clone(),
            source,
        }
    })?;
    if let Some(sig) = &mlmodel.signature {
        let names: Vec<String> = parse_columns(&sig.inputs)
            .map_err(|e| bad(format!("signature inputs: {e}")))?
            .into_iter()
            .map(|c| c.name)
            .collect();
        if names != model_file.feature_names {
            return Err(bad(format!(
                "signature inputs {names:?} differ from the model file's features {:?}",
                model_file.feature_names
            )));
        }
    }
    let index = published
        .versions
        .iter()
        .position(|v| v.version == version)
        .ok_or_else(|| bad(format!("version {version} was not published by this run")))?;
    let in_memory = &trained[index];
    let n = spec.predict_samples.min(in_memory.test_indices.len());
    let rows = &in_memory.test_indices[..n];
    let mut predictions = Vec::with_capacity(n);
    for (k, &row) in rows.iter().enumerate() {
        let predicted = model_file
            .model
            .try_predict(dataset.row(row))
            .map_err(|e| bad(format!("predicting row {row}: {e}")))?;
        let actual = in_memory.test_targets[k];
        let class = |c: usize| {
            dataset
                .class_names
                .get(c)
                .cloned()
                .unwrap_or_else(|| c.to_string())
        };
        predictions.push(Prediction {
            row,
            predicted,
            actual,
            predicted_class: class(predicted),
            actual_class: class(actual),
        });
    }
    let loaded: Vec<usize> = predictions.iter().map(|p| p.predicted).collect();
    if loaded != in_memory.predictions[..n] {
        return Err(RunError::PredictionMismatch {
            uri,
            rows: rows.to_vec(),
            loaded,
            expected: in_memory.predictions[..n].to_vec(),
        });
    }
    Ok(ChampionCheck {
        uri,
        version,
        algorithm: model_file.model.algorithm(),
        model_id: mlmodel.model_id,
        files,
        predictions,
        matches_in_memory: true,
    })
}
