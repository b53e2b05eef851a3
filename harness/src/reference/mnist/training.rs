//! One network of task 2 trained inside its run: each epoch on the progress bar and, once
//! trained, logged as metrics; then the network measured on the test split.

use crate::mlflow::{Metric, now_ms};
use crate::nn::{self, EpochMetrics, Mlp, N_CLASSES, Samples};
use crate::progress::Progress;
use crate::reference::error::{RunError, at};
use crate::reference::publish::OpenRun;
use crate::train::metrics;

use super::data::TaskData;
use super::spec::MnistRunSpec;
use super::summary::MnistVersionResult;

/// Trains version `open.index` of `spec` on `data`, logs its epochs to its run, and returns
/// its result with the trained network.
pub(super) fn train_version(
    spec: &MnistRunSpec,
    open: &OpenRun<'_>,
    data: &TaskData,
    progress: &Progress,
) -> Result<(MnistVersionResult, Mlp), RunError> {
    let v = &spec.versions[open.index];
    let test = &data.test;
    progress.start_bar(v.epochs as u64, format!("v{} {}", open.index + 1, v.key));
    let started_ms = now_ms();
    let outcome = nn::train(
        &v.config(spec),
        Samples::new(&data.train_x, &data.train_y),
        Samples::new(&test.x, &test.y),
        spec.device,
        &mut |m: &EpochMetrics| {
            let test = m
                .test
                .map(|t| format!(" test_acc {:.4}", t.accuracy))
                .unwrap_or_default();
            progress.set_message(format!(
                "loss {:.4} acc {:.4}{test}",
                m.train_loss, m.train_accuracy
            ));
            progress.inc(1);
        },
    );
    progress.spin();
    let mut out = outcome.map_err(|source| RunError::Nn {
        what: format!("training {}", v.run_name),
        source: Box::new(source),
    })?;
    out.model.normalize = spec.normalize;
    progress.set_message(format!("logging {}", v.run_name));
    open.client
        .log_batch(
            open.run_id,
            &epoch_metrics(&out.epochs, started_ms),
            &[],
            &[],
        )
        .map_err(at(format!("logging the epoch metrics of `{}`", v.run_name)))?;
    let predicted = out.model.predict(&test.x).map_err(|source| RunError::Nn {
        what: format!("predicting the test split with {}", v.run_name),
        source: Box::new(source),
    })?;
    let f1 = metrics::f1_weighted(
        &test.y.iter().map(|&y| usize::from(y)).collect::<Vec<_>>(),
        &predicted
            .iter()
            .map(|&y| usize::from(y))
            .collect::<Vec<_>>(),
        N_CLASSES,
    );
    let result = MnistVersionResult {
        version: open.index as u32 + 1,
        key: v.key.clone(),
        run_name: v.run_name.clone(),
        model_type: v.tags.get("model_type").cloned().unwrap_or_default(),
        architecture: v.architecture(),
        dropout: v.dropout.clone(),
        learning_rate: v.learning_rate,
        batch_size: v.batch_size,
        epochs: v.epochs,
        final_test_accuracy: out.final_test.accuracy,
        final_test_loss: out.final_test.loss,
        f1_weighted: f1,
        n_parameters: out.n_parameters,
        training_time_s: out.training_time_s,
        samples_per_second: out.samples_per_second,
        model_size_mb: out.model_size_mb,
        history: out.epochs,
    };
    Ok((result, out.model))
}
/// Per epoch `train_loss` and `train_accuracy`; on test epochs `test_loss` and
/// `test_accuracy`; step = the 0-based epoch, timestamp = when the epoch ended.
fn epoch_metrics(epochs: &[EpochMetrics], started_ms: i64) -> Vec<Metric> {
    let mut out = Vec::with_capacity(epochs.len() * 4);
    for m in epochs {
        let ts = started_ms + (m.elapsed_s * 1000.0) as i64;
        let step = m.epoch as i64;
        out.push(Metric::new("train_loss", m.train_loss, ts, step));
        out.push(Metric::new("train_accuracy", m.train_accuracy, ts, step));
        if let Some(t) = m.test {
            out.push(Metric::new("test_loss", t.loss, ts, step));
            out.push(Metric::new("test_accuracy", t.accuracy, ts, step));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::nn::EvalMetrics;

    use super::*;

    #[test]
    fn every_epoch_logs_train_metrics_and_test_epochs_also_test_metrics() {
        let epochs = [
            EpochMetrics {
                epoch: 0,
                train_loss: 2.0,
                train_accuracy: 0.5,
                test: Some(EvalMetrics {
                    loss: 1.5,
                    accuracy: 0.625,
                }),
                elapsed_s: 1.5,
            },
            EpochMetrics {
                epoch: 1,
                train_loss: 1.0,
                train_accuracy: 0.75,
                test: None,
                elapsed_s: 2.25,
            },
        ];
        let metrics = epoch_metrics(&epochs, 10_000);
        let logged: Vec<(&str, f64, i64, i64)> = metrics
            .iter()
            .map(|m| (m.key.as_str(), m.value, m.timestamp, m.step))
            .collect();
        // Step is the 0-based epoch; the timestamp is when the epoch ended.
        assert_eq!(
            logged,
            [
                ("train_loss", 2.0, 11_500, 0),
                ("train_accuracy", 0.5, 11_500, 0),
                ("test_loss", 1.5, 11_500, 0),
                ("test_accuracy", 0.625, 11_500, 0),
                ("train_loss", 1.0, 12_250, 1),
                ("train_accuracy", 0.75, 12_250, 1),
            ]
        );
    }
}
