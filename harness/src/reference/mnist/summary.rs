//! What `harness run mnist` reports: the data, each network's training and scores, and the
//! champion as it was loaded back from the registry.

use serde::Serialize;

use crate::nn::{Engine, EpochMetrics};
use crate::reference::Published;

/// What the data looked like.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MnistData {
    /// `embedded` or the directory of the IDX files.
    pub source: String,
    pub sha256: String,
    pub samples: usize,
    pub(crate) image_shape: [usize; 2],
    pub(crate) num_classes: usize,
    pub n_train: usize,
    pub n_test: usize,
    pub normalization: String,
}

/// One trained and registered network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MnistVersionResult {
    pub version: u32,
    pub key: String,
    pub run_name: String,
    /// The `model_type` tag.
    pub model_type: String,
    /// `784-128-10`.
    pub(crate) architecture: String,
    pub(crate) dropout: Vec<f64>,
    pub(crate) learning_rate: f64,
    pub(crate) batch_size: usize,
    pub epochs: usize,
    pub final_test_accuracy: f64,
    pub final_test_loss: f64,
    /// Weighted F1 on the test split (the alias rule's tie-break).
    pub(crate) f1_weighted: f64,
    pub(crate) n_parameters: usize,
    pub(crate) training_time_s: f64,
    pub(crate) samples_per_second: f64,
    pub(crate) model_size_mb: f64,
    /// Every epoch's metrics, as logged.
    pub history: Vec<EpochMetrics>,
}

/// One test image predicted by the champion loaded from the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigitPrediction {
    /// Image of the pool.
    pub row: usize,
    pub predicted: u8,
    pub actual: u8,
    /// Softmax probability of the predicted digit.
    pub confidence: f32,
}

/// The champion as loaded back through the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MnistChampion {
    /// `models:/<name>@champion`.
    pub uri: String,
    pub version: u32,
    pub model_id: String,
    pub(crate) architecture: String,
    /// Files downloaded, relative to the model directory.
    pub(crate) files: Vec<String>,
    pub predictions: Vec<DigitPrediction>,
    /// Accuracy of the loaded model on the whole test split.
    pub test_accuracy: f64,
    pub(crate) test_loss: f64,
    pub n_test: usize,
    /// `final_test_accuracy` as the server has it; equal to `test_accuracy` in any returned
    /// summary (a difference is an error).
    pub logged_accuracy: f64,
}

/// Everything `harness run mnist` did, for printing and for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MnistSummary {
    pub published: Published,
    pub profile: String,
    pub seed: u32,
    pub test_size: f64,
    pub device: String,
    pub(crate) engine: Engine,
    pub(crate) framework: String,
    pub data: MnistData,
    pub(crate) git_commit: Option<String>,
    pub versions: Vec<MnistVersionResult>,
    pub champion: MnistChampion,
}

impl MnistSummary {
    /// The champion's row of [`Self::versions`].
    pub(crate) fn champion_result(&self) -> Option<&MnistVersionResult> {
        self.versions
            .iter()
            .find(|v| v.version == self.champion.version)
    }
}
