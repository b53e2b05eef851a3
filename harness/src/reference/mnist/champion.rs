//! Task 2's champion loaded back the way a student's code loads it: by alias from the
//! registry, then measured on the whole test split against the accuracy its run logged.

use crate::mlflow::MlflowClient;
use crate::model::mlmodel::{HARNESS_MLP_FLAVOR, HarnessMlpFlavor, tensor_shape};
use crate::nn::{self, Mlp, N_CLASSES, Samples};
use crate::reference::Published;
use crate::reference::error::{RunError, at};
use crate::reference::publish::{DownloadedChampion, download_champion};

use super::data::TestData;
use super::spec::MnistRunSpec;
use super::summary::{DigitPrediction, MnistChampion};

/// Downloads `models:/<name>@champion`, rebuilds the network from its files, predicts the first
/// `predict_samples` test images and measures the whole test split, which must give exactly
/// the `final_test_accuracy` the server has for that version.
pub(super) fn check_champion(
    client: &MlflowClient,
    spec: &MnistRunSpec,
    published: &Published,
    test: &TestData,
) -> Result<MnistChampion, RunError> {
    let DownloadedChampion {
        uri,
        dir,
        files,
        version,
        mlmodel,
        flavor,
    } = download_champion::<HarnessMlpFlavor>(
        client,
        &published.registered_model,
        HARNESS_MLP_FLAVOR,
    )?;
    let bad = |reason: String| RunError::LoadedModel {
        uri: uri.clone(),
        reason,
    };
    if flavor.format != nn::FORMAT
        || flavor.weights != nn::WEIGHTS_FILE
        || flavor.config != nn::CONFIG_FILE
    {
        return Err(bad(format!(
            "flavor `{HARNESS_MLP_FLAVOR}` names format `{}` with files {} and {}; this harness reads {} with {} and {}",
            flavor.format,
            flavor.weights,
            flavor.config,
            nn::FORMAT,
            nn::WEIGHTS_FILE,
            nn::CONFIG_FILE
        )));
    }
    let model = Mlp::load(dir.path()).map_err(|e| bad(e.to_string()))?;
    if let Some(sig) = &mlmodel.signature {
        let want = vec![-1, model.input_size() as i64];
        if tensor_shape(&sig.inputs).as_ref() != Some(&want) {
            return Err(bad(format!(
                "signature inputs {} do not match the model's {} inputs",
                sig.inputs,
                model.input_size()
            )));
        }
    }
    let index = published
        .versions
        .iter()
        .position(|v| v.version == version)
        .ok_or_else(|| bad(format!("version {version} was not published by this run")))?;
    let d = model.input_size();
    let n = spec.predict_samples.min(test.rows.len());
    let proba = model
        .predict_proba(&test.x[..n * d])
        .map_err(|e| bad(format!("predicting: {e}")))?;
    let predictions = proba
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let predicted = (0..N_CLASSES).fold(0, |best, j| if p[j] > p[best] { j } else { best });
            DigitPrediction {
                row: test.rows[k],
                predicted: predicted as u8,
                actual: test.y[k],
                confidence: p[predicted],
            }
        })
        .collect();
    let eval = model
        .evaluate(Samples::new(&test.x, &test.y))
        .map_err(|e| bad(format!("evaluating on the test split: {e}")))?;
    let run_id = &published.versions[index].run_id;
    let logged = client
        .get_run(run_id)
        .map_err(at(format!("reading run {run_id}")))?
        .metric("final_test_accuracy")
        .ok_or_else(|| bad(format!("run {run_id} has no final_test_accuracy")))?;
    if eval.accuracy != logged {
        return Err(RunError::AccuracyMismatch {
            uri,
            measured: eval.accuracy,
            logged,
        });
    }
    Ok(MnistChampion {
        uri,
        version,
        model_id: mlmodel.model_id,
        architecture: model
            .layer_sizes()
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("-"),
        files,
        predictions,
        test_accuracy: eval.accuracy,
        test_loss: eval.loss,
        n_test: test.rows.len(),
        logged_accuracy: logged,
    })
}
