//! scikit-learn's scores on the same split, from the fixture the fidelity tests use: a run
//! shows how far the harness's trees are from the library the homework is written for.

use serde::{Deserialize, Serialize};

use crate::train::Algorithm;

/// scikit-learn 1.9.1 on the same split: the median over `random_state` 0–4
/// (`train/testdata/sklearn_reference.json`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct SklearnReference {
    pub accuracy: f64,
    pub f1: f64,
    /// `accuracy - sklearn accuracy`.
    pub(crate) accuracy_diff: f64,
    /// `|accuracy_diff| <= SKLEARN_TOLERANCE`.
    pub(crate) within_tolerance: bool,
}

/// How far our accuracy may be from scikit-learn's (the bound).
pub(crate) const SKLEARN_TOLERANCE: f64 = 0.03;

/// scikit-learn's results for one split, from the fixture the fidelity tests use.
#[derive(Debug, Clone)]
pub(super) struct SklearnSplitReference {
    pub(super) sklearn_version: String,
    /// Algorithm → (median accuracy, median weighted F1) over `random_state` 0–4.
    by_algorithm: Vec<(Algorithm, f64, f64)>,
}

impl SklearnSplitReference {
    pub(super) fn compare(&self, algorithm: Algorithm, accuracy: f64) -> Option<SklearnReference> {
        let &(_, ref_acc, ref_f1) = self.by_algorithm.iter().find(|(a, _, _)| *a == algorithm)?;
        let diff = accuracy - ref_acc;
        Some(SklearnReference {
            accuracy: ref_acc,
            f1: ref_f1,
            accuracy_diff: diff,
            within_tolerance: diff.abs() <= SKLEARN_TOLERANCE + 1e-12,
        })
    }
}

/// scikit-learn's numbers for the split `(seed, test_size)`, if the fixture has that split.
pub(super) fn sklearn_reference(seed: u32, test_size: f64) -> Option<SklearnSplitReference> {
    #[derive(Deserialize)]
    struct Fixture {
        sklearn_version: String,
        cases: Vec<serde_json::Value>,
    }
    #[derive(Deserialize)]
    struct Runs {
        runs: Vec<RunResult>,
    }
    #[derive(Deserialize)]
    struct RunResult {
        accuracy: f64,
        f1_weighted: f64,
    }
    let fixture: Fixture =
        serde_json::from_str(include_str!("../../train/testdata/sklearn_reference.json")).ok()?;
    let case = fixture.cases.into_iter().find(|c| {
        c["split_seed"].as_u64() == Some(u64::from(seed))
            && c["test_size"]
                .as_f64()
                .is_some_and(|t| (t - test_size).abs() < 1e-12)
    })?;
    let mut by_algorithm = Vec::new();
    for a in Algorithm::ALL {
        let runs: Runs = serde_json::from_value(case[a.name()].clone()).ok()?;
        if runs.runs.is_empty() {
            continue;
        }
        let acc = median(runs.runs.iter().map(|r| r.accuracy).collect());
        let f1 = median(runs.runs.iter().map(|r| r.f1_weighted).collect());
        by_algorithm.push((a, acc, f1));
    }
    Some(SklearnSplitReference {
        sklearn_version: fixture.sklearn_version,
        by_algorithm,
    })
}

/// The median (upper middle for an even count): one seed's outlier, such as a random forest
/// that gets 35/36 for one `random_state`, does not move it.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sklearn_reference_for_the_default_split() {
        let r = sklearn_reference(42, 0.2).unwrap();
        let acc = |a| r.by_algorithm.iter().find(|x| x.0 == a).unwrap().1;
        assert!((acc(Algorithm::DecisionTree) - 0.9444).abs() < 1e-3);
        assert!((acc(Algorithm::RandomForest) - 1.0).abs() < 1e-9);
        assert!((acc(Algorithm::GradientBoosting) - 0.9444).abs() < 1e-3);
        assert!(sklearn_reference(43, 0.2).is_none());
    }

    #[test]
    fn median_is_the_upper_middle_whatever_the_order() {
        assert_eq!(median(vec![0.9, 0.1, 0.5]), 0.5);
        assert_eq!(median(vec![0.4, 0.1, 0.3, 0.2]), 0.3);
    }

    #[test]
    fn comparison_allows_exactly_the_tolerance_despite_float_error() {
        let r = SklearnSplitReference {
            sklearn_version: "1.9.1".into(),
            by_algorithm: vec![(Algorithm::DecisionTree, 0.9, 0.8)],
        };
        // 0.93 - 0.9 is a hair above 0.03 in binary; it must still count as within.
        let at_bound = r.compare(Algorithm::DecisionTree, 0.93).unwrap();
        assert!(at_bound.within_tolerance);
        assert!((at_bound.accuracy_diff - 0.03).abs() < 1e-12);
        assert_eq!((at_bound.accuracy, at_bound.f1), (0.9, 0.8));
        assert!(
            !r.compare(Algorithm::DecisionTree, 0.94)
                .unwrap()
                .within_tolerance
        );
        assert!(
            !r.compare(Algorithm::DecisionTree, 0.86)
                .unwrap()
                .within_tolerance
        );
        assert!(r.compare(Algorithm::RandomForest, 0.9).is_none());
    }
}
