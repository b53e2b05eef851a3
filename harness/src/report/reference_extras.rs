//! What a reference run knows that MLflow state does not (predictions, seed, data checksums),
//! as report extras.

use std::collections::BTreeMap;

use super::view::{PredictionRow, PredictionsView, ReportExtras};
use crate::reference::TaskSummary;

/// What the reference run knows that MLflow state does not: predictions, seed, checksums.
impl ReportExtras {
    pub(crate) fn from_reference(summaries: &[TaskSummary], date: &str) -> ReportExtras {
        let mut extras = ReportExtras {
            date: date.into(),
            ..Default::default()
        };
        let mut predictions = BTreeMap::new();
        for s in summaries {
            match s {
                TaskSummary::Wine(w) => {
                    extras.seed = Some(u64::from(w.seed));
                    extras
                        .data_checksums
                        .push(("wine_data.csv".into(), w.data_sha256.clone()));
                    predictions.insert(
                        "wine".to_string(),
                        PredictionsView {
                            model: w.champion.uri.clone(),
                            rows: w
                                .champion
                                .predictions
                                .iter()
                                .map(|p| PredictionRow {
                                    index: p.row,
                                    predicted: p.predicted_class.clone(),
                                    actual: p.actual_class.clone(),
                                    confidence: None,
                                    correct: p.predicted == p.actual,
                                })
                                .collect(),
                            test_accuracy: w.champion_result().map(|v| v.accuracy),
                        },
                    );
                }
                TaskSummary::Mnist(m) => {
                    extras.seed = extras.seed.or(Some(u64::from(m.seed)));
                    extras
                        .data_checksums
                        .push(("mnist (images + labels)".into(), m.data.sha256.clone()));
                    predictions.insert(
                        "mnist".to_string(),
                        PredictionsView {
                            model: m.champion.uri.clone(),
                            rows: m
                                .champion
                                .predictions
                                .iter()
                                .map(|p| PredictionRow {
                                    index: p.row,
                                    predicted: p.predicted.to_string(),
                                    actual: p.actual.to_string(),
                                    confidence: Some(f64::from(p.confidence)),
                                    correct: p.predicted == p.actual,
                                })
                                .collect(),
                            test_accuracy: Some(m.champion.test_accuracy),
                        },
                    );
                }
            }
        }
        extras.predictions = predictions;
        extras
    }
}
