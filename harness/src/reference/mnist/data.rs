//! Task 2's data: the MNIST pool (embedded or IDX files) split, capped and scaled the way the
//! task file says, and a description of it for params and the summary.

use crate::data::mnist::{self, Normalize};
use crate::data::split::train_test_split;
use crate::reference::RunError;

use super::spec::MnistRunSpec;
use super::summary::MnistData;

/// The test split, scaled.
pub(super) struct TestData {
    /// Image of the pool behind each test sample.
    pub(super) rows: Vec<usize>,
    pub(super) x: Vec<f32>,
    pub(super) y: Vec<u8>,
}

/// Both splits ready for the networks, and what they were.
pub(super) struct TaskData {
    pub(super) train_x: Vec<f32>,
    pub(super) train_y: Vec<u8>,
    pub(super) test: TestData,
    pub(super) info: MnistData,
}

/// Loads the pool `spec` names and splits it; the training part is capped at
/// `spec.max_train_samples`, the test part never is (the champion is measured on all of it).
pub(super) fn load(spec: &MnistRunSpec) -> Result<TaskData, RunError> {
    let pool = match &spec.data_dir {
        Some(dir) => mnist::load_dir(dir)?,
        None => mnist::load_embedded()?,
    };
    let split = train_test_split(pool.len(), spec.test_size, spec.seed)?;
    let mut train_rows = split.train;
    if let Some(max) = spec.max_train_samples {
        train_rows.truncate(max);
    }
    // Pixels / 255 into [0, 1], then the task file's mean/std when it asks (recorded as params
    // and inside the saved model, so the champion reloads with the same input scaling).
    let (train_x, train_y) = pool.select(&train_rows, spec.normalize);
    let (test_x, test_y) = pool.select(&split.test, spec.normalize);
    let info = MnistData {
        source: pool.source.clone(),
        sha256: pool.digest(),
        samples: pool.len(),
        image_shape: [pool.rows, pool.cols],
        num_classes: pool.n_classes(),
        n_train: train_rows.len(),
        n_test: split.test.len(),
        normalization: normalization(spec.normalize),
    };
    Ok(TaskData {
        train_x,
        train_y,
        test: TestData {
            rows: split.test,
            x: test_x,
            y: test_y,
        },
        info,
    })
}

/// The `normalization` param: the task file's mean and std, or `none`.
fn normalization(normalize: Option<Normalize>) -> String {
    match normalize {
        Some(n) => format!("mean={} std={}", n.mean, n.std),
        None => "none".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::spec::tests::task;
    use super::*;

    #[test]
    fn the_cap_shortens_training_only_and_the_description_says_so() {
        let mut spec = MnistRunSpec::from_task(&task(), "quick").unwrap();
        spec.max_train_samples = Some(100);
        spec.normalize = None;
        let d = load(&spec).unwrap();
        let pixels = 28 * 28;
        assert_eq!((d.train_x.len(), d.train_y.len()), (100 * pixels, 100));
        assert_eq!(
            d.test.rows.len(),
            3000,
            "30 % of the embedded 10 000 digits"
        );
        assert_eq!(d.test.x.len(), 3000 * pixels);
        assert_eq!(d.test.y.len(), 3000);
        assert_eq!(
            (d.info.samples, d.info.n_train, d.info.n_test),
            (10_000, 100, 3000)
        );
        assert_eq!((d.info.image_shape, d.info.num_classes), ([28, 28], 10));
        assert_eq!(d.info.source, "embedded");
        assert_eq!(d.info.normalization, "none");
        assert!(
            d.train_x.iter().all(|&p| (0.0..=1.0).contains(&p)),
            "scaled to [0, 1]"
        );
    }

    #[test]
    fn normalization_is_described_by_its_mean_and_std() {
        let n = Normalize {
            mean: 0.1307,
            std: 0.3081,
        };
        assert_eq!(normalization(Some(n)), "mean=0.1307 std=0.3081");
        assert_eq!(normalization(None), "none");
    }
}
