//! Classification and regression metrics with scikit-learn's exact definitions, so the numbers
//! the harness logs can be compared with what a student's notebook logs.

/// `sklearn.metrics.accuracy_score`: the fraction of equal entries (0 for empty input).
///
/// # Panics
/// If the slices differ in length (a programming error, not a data error).
pub(crate) fn accuracy(y_true: &[usize], y_pred: &[usize]) -> f64 {
    assert_eq!(y_true.len(), y_pred.len(), "accuracy: length mismatch");
    if y_true.is_empty() {
        return 0.0;
    }
    let correct = y_true.iter().zip(y_pred).filter(|(t, p)| t == p).count();
    correct as f64 / y_true.len() as f64
}

/// `confusion_matrix(y_true, y_pred, labels=range(n_classes))`: row = true class, column =
/// predicted class.
///
/// # Panics
/// If the slices differ in length or a label is `>= n_classes`.
pub(crate) fn confusion_matrix(
    y_true: &[usize],
    y_pred: &[usize],
    n_classes: usize,
) -> Vec<Vec<usize>> {
    assert_eq!(
        y_true.len(),
        y_pred.len(),
        "confusion_matrix: length mismatch"
    );
    let mut m = vec![vec![0usize; n_classes]; n_classes];
    for (&t, &p) in y_true.iter().zip(y_pred) {
        m[t][p] += 1;
    }
    m
}

/// Per-class F1 as scikit-learn computes it: `2·tp / (support + predicted)`, and 0 where both
/// are zero (`zero_division=0`; a class with support that is never predicted gets 0 because
/// its tp is 0).
pub(crate) fn f1_per_class(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Vec<f64> {
    let m = confusion_matrix(y_true, y_pred, n_classes);
    (0..n_classes)
        .map(|k| {
            let tp = m[k][k] as f64;
            let support: usize = m[k].iter().sum();
            let predicted: usize = m.iter().map(|row| row[k]).sum();
            let denom = (support + predicted) as f64;
            if denom == 0.0 { 0.0 } else { 2.0 * tp / denom }
        })
        .collect()
}

/// `f1_score(y_true, y_pred, average="weighted")`: per-class F1 averaged with the true class
/// counts as weights. Classes absent from `y_true` weigh 0, so passing the full class count
/// gives the same value as scikit-learn's "labels present in either vector". 0 for empty input.
///
/// # Panics
/// If the slices differ in length or a label is `>= n_classes`.
pub(crate) fn f1_weighted(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> f64 {
    let f1 = f1_per_class(y_true, y_pred, n_classes);
    let mut support = vec![0usize; n_classes];
    for &t in y_true {
        support[t] += 1;
    }
    let total: usize = support.iter().sum();
    if total == 0 {
        return 0.0;
    }
    // np.average(f1, weights=support) = Σ f1·w / Σ w.
    let weighted: f64 = f1.iter().zip(&support).map(|(f, &w)| f * w as f64).sum();
    weighted / total as f64
}

/// `mean_squared_error` (0 for empty input).
///
/// # Panics
/// If the slices differ in length.
pub(crate) fn mse(y_true: &[f64], y_pred: &[f64]) -> f64 {
    assert_eq!(y_true.len(), y_pred.len(), "mse: length mismatch");
    if y_true.is_empty() {
        return 0.0;
    }
    let sum: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (t - p) * (t - p))
        .sum();
    sum / y_true.len() as f64
}

/// `root_mean_squared_error`: the square root of [`mse`].
pub(crate) fn rmse(y_true: &[f64], y_pred: &[f64]) -> f64 {
    mse(y_true, y_pred).sqrt()
}

/// `mean_absolute_error` (0 for empty input).
///
/// # Panics
/// If the slices differ in length.
pub(crate) fn mae(y_true: &[f64], y_pred: &[f64]) -> f64 {
    assert_eq!(y_true.len(), y_pred.len(), "mae: length mismatch");
    if y_true.is_empty() {
        return 0.0;
    }
    let sum: f64 = y_true.iter().zip(y_pred).map(|(t, p)| (t - p).abs()).sum();
    sum / y_true.len() as f64
}

/// `r2_score` with its default `force_finite=True`: `1 − SS_res / SS_tot`; a constant target
/// scores 1 when predicted exactly and 0 otherwise.
///
/// # Panics
/// If the slices differ in length.
pub(crate) fn r2(y_true: &[f64], y_pred: &[f64]) -> f64 {
    assert_eq!(y_true.len(), y_pred.len(), "r2: length mismatch");
    let n = y_true.len() as f64;
    let mean = y_true.iter().sum::<f64>() / n;
    let ss_res: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (t - p) * (t - p))
        .sum();
    let ss_tot: f64 = y_true.iter().map(|t| (t - mean) * (t - mean)).sum();
    if ss_tot == 0.0 {
        return if ss_res == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - ss_res / ss_tot
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_metrics_hand_computed() {
        let t = [3.0, -0.5, 2.0, 7.0];
        let p = [2.5, 0.0, 2.0, 8.0];
        // scikit-learn's docstring examples: mse 0.375, mae 0.5, r2 0.9486081370449679.
        assert!(close(mse(&t, &p), 0.375));
        assert!(close(rmse(&t, &p), 0.375f64.sqrt()));
        assert!(close(mae(&t, &p), 0.5));
        assert!(close(r2(&t, &p), 0.9486081370449679));
        assert_eq!(r2(&[1.0, 1.0], &[1.0, 1.0]), 1.0);
        assert_eq!(r2(&[1.0, 1.0], &[1.0, 2.0]), 0.0);
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn accuracy_counts_matches() {
        assert!(close(accuracy(&[0, 1, 2, 1], &[0, 2, 2, 1]), 0.75));
        assert_eq!(accuracy(&[], &[]), 0.0);
    }

    #[test]
    fn f1_weighted_hand_computed() {
        // y_true 0,0,1,1,1,2 / y_pred 0,1,1,1,0,2
        // class 0: tp 1, support 2, predicted 2 → 2/4 = 0.5
        // class 1: tp 2, support 3, predicted 3 → 4/6
        // class 2: tp 1, support 1, predicted 1 → 1
        // weighted: (2·0.5 + 3·4/6 + 1·1) / 6 = 4/6
        let t = [0, 0, 1, 1, 1, 2];
        let p = [0, 1, 1, 1, 0, 2];
        assert!(close(f1_weighted(&t, &p, 3), 4.0 / 6.0));
        assert_eq!(
            confusion_matrix(&t, &p, 3),
            [[1, 1, 0], [1, 2, 0], [0, 0, 1]]
        );
    }

    #[test]
    fn class_never_predicted_scores_zero() {
        // Class 2 has support 2 but is never predicted: its F1 is 0 (zero_division=0).
        // class 0: tp 2, support 2, predicted 3 → 4/5; class 1: tp 1, s 1, p 2 → 2/3.
        let t = [0, 0, 1, 2, 2];
        let p = [0, 0, 1, 0, 1];
        let f1 = f1_per_class(&t, &p, 3);
        assert!(close(f1[2], 0.0));
        let expected = (2.0 * 0.8 + 2.0 / 3.0) / 5.0;
        assert!(close(f1_weighted(&t, &p, 3), expected));
    }

    #[test]
    fn absent_class_has_no_weight() {
        // Class 3 neither occurs nor is predicted; class 2 is only predicted (weight 0).
        let t = [0, 1, 1];
        let p = [0, 1, 2];
        // class 0: 1; class 1: tp 1, s 2, p 1 → 2/3; weighted (1 + 2·2/3)/3
        assert!(close(f1_weighted(&t, &p, 4), (1.0 + 4.0 / 3.0) / 3.0));
        assert!(close(f1_weighted(&[1, 1], &[1, 1], 2), 1.0));
    }
}
