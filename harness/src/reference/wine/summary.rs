//! What `harness run wine` reports: each version's scores beside scikit-learn's, and the
//! champion as it was loaded back from the registry.

use serde::Serialize;

use crate::reference::Published;
use crate::train::Algorithm;

use super::sklearn::SklearnReference;

/// One version's result next to scikit-learn's on the same split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WineVersionResult {
    pub version: u32,
    pub algorithm: Algorithm,
    pub run_name: String,
    pub accuracy: f64,
    pub f1: f64,
    /// scikit-learn's result on this split, when the harness has one.
    pub(crate) sklearn: Option<SklearnReference>,
}

/// One test row predicted by the champion loaded from the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prediction {
    /// Row of the wine dataset.
    pub row: usize,
    pub predicted: usize,
    pub actual: usize,
    pub(crate) predicted_class: String,
    pub(crate) actual_class: String,
}

/// The champion as loaded back through the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChampionCheck {
    /// `models:/<name>@champion`.
    pub uri: String,
    pub version: u32,
    pub algorithm: Algorithm,
    pub model_id: String,
    /// Files downloaded, relative to the model directory.
    pub(crate) files: Vec<String>,
    pub predictions: Vec<Prediction>,
    /// Always true in a returned summary: a mismatch is an error.
    pub matches_in_memory: bool,
}

/// Everything `harness run wine` did, for printing and for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WineSummary {
    pub published: Published,
    pub seed: u32,
    pub test_size: f64,
    pub n_train: usize,
    pub n_test: usize,
    pub(crate) data_sha256: String,
    pub(crate) git_commit: Option<String>,
    pub versions: Vec<WineVersionResult>,
    pub(crate) sklearn_version: Option<String>,
    pub champion: ChampionCheck,
}

impl WineSummary {
    /// The champion's row of [`Self::versions`].
    pub(crate) fn champion_result(&self) -> Option<&WineVersionResult> {
        self.versions
            .iter()
            .find(|v| v.version == self.champion.version)
    }
}
