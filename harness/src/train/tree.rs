//! CART trees built the way scikit-learn's `BestSplitter` builds them, shared by the decision
//! tree, the forest and gradient boosting.
//!
//! Fidelity points, each a place where a naive tree (or linfa) differs from scikit-learn:
//! - scikit-learn casts `X` to float32 before fitting and predicting; `grid` does the same so
//!   thresholds and comparisons see the same numbers.
//! - candidate thresholds sit between consecutive distinct sorted values (distinct meaning more
//!   than 1e-7 apart), at the midpoint `a/2 + b/2` (or `a` if that rounds up to `b`);
//! - `x <= threshold` goes left, in training and in prediction alike;
//! - features are visited in a random order per node and the first strictly best split wins;
//!   here the order comes from a seeded ChaCha8 stream, so trees are reproducible;
//! - sample weights (bootstrap counts in the forest) weigh the impurity but `min_samples_*`
//!   count distinct rows, as in scikit-learn.

use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// scikit-learn's `FEATURE_THRESHOLD`: values closer than this count as equal.
const FEATURE_THRESHOLD: f64 = 1e-7;

/// A uniform index in `0..n` from the raw 64-bit stream (Lemire's method). Written out rather
/// than using `rand`'s range sampling so the trees do not change when `rand` changes it.
pub(crate) fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    debug_assert!(n > 0);
    let n = n as u64;
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(n);
        if (m as u64) >= threshold {
            return (m >> 64) as usize;
        }
    }
}

/// The value a feature has after scikit-learn's cast of `X` to float32.
#[inline]
pub(crate) fn grid(v: f64) -> f64 {
    f64::from(v as f32)
}

/// One node of a fitted tree, stored in a flat vector (children have larger indices).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Node {
    /// Rows with `x[feature] <= threshold` go to `left`, the others to `right`.
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
    /// A leaf: class probabilities (classification) or a single value (regression).
    Leaf { value: Vec<f64> },
}

/// A fitted binary tree; node 0 is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
}

impl Tree {
    /// Index of the leaf `row` falls into.
    pub(crate) fn leaf_index(&self, row: &[f64]) -> usize {
        let mut i = 0;
        loop {
            match &self.nodes[i] {
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    i = if grid(row[*feature]) <= *threshold {
                        *left
                    } else {
                        *right
                    }
                }
                Node::Leaf { .. } => return i,
            }
        }
    }

    /// The value vector of the leaf `row` falls into.
    pub(crate) fn leaf_value(&self, row: &[f64]) -> &[f64] {
        match &self.nodes[self.leaf_index(row)] {
            Node::Leaf { value } => value,
            Node::Split { .. } => unreachable!("leaf_index returns leaves"),
        }
    }

    #[cfg(test)]
    /// Depth of the deepest leaf (a lone root has depth 0).
    pub(crate) fn depth(&self) -> usize {
        fn go(nodes: &[Node], i: usize) -> usize {
            match &nodes[i] {
                Node::Split { left, right, .. } => 1 + go(nodes, *left).max(go(nodes, *right)),
                Node::Leaf { .. } => 0,
            }
        }
        go(&self.nodes, 0)
    }

    /// Checks a tree read from a file: children point forward (so walks end), features are in
    /// range, thresholds are not NaN, leaves hold `value_len` finite numbers.
    ///
    /// # Errors
    /// A message naming the first bad node.
    pub(crate) fn validate(&self, n_features: usize, value_len: usize) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("tree has no nodes".into());
        }
        let n = self.nodes.len();
        for (i, node) in self.nodes.iter().enumerate() {
            match node {
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    if *feature >= n_features {
                        return Err(format!(
                            "node {i}: feature {feature} is out of range for {n_features} features"
                        ));
                    }
                    if threshold.is_nan() {
                        return Err(format!("node {i}: threshold is NaN"));
                    }
                    for child in [left, right] {
                        if *child <= i || *child >= n {
                            return Err(format!(
                                "node {i}: child {child} must lie after the node and before {n}"
                            ));
                        }
                    }
                }
                Node::Leaf { value } => {
                    if value.len() != value_len {
                        return Err(format!(
                            "node {i}: leaf holds {} values, expected {value_len}",
                            value.len()
                        ));
                    }
                    if value.iter().any(|v| !v.is_finite()) {
                        return Err(format!("node {i}: leaf value is not finite"));
                    }
                }
            }
        }
        Ok(())
    }

    #[cfg(test)]
    /// Number of leaves.
    pub(crate) fn n_leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::Leaf { .. }))
            .count()
    }
}

/// What the tree predicts and how it measures impurity.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// Gini impurity over class indices `< n_classes`; leaves hold class probabilities.
    Gini { y: &'a [usize], n_classes: usize },
    /// Squared error with Friedman's improvement score (`friedman_mse`); leaves hold the mean.
    FriedmanMse { y: &'a [f64] },
    /// Plain squared error (`squared_error`, the regressors' default); leaves hold the mean.
    SquaredError { y: &'a [f64] },
}

/// Growth limits, already resolved to counts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GrowParams {
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_samples_split: usize,
    pub(crate) min_samples_leaf: usize,
    /// Features to examine per node (1..=n_features).
    pub(crate) max_features: usize,
}

/// Training data seen by the builder: `x` is row-major and already on the float32 grid.
struct Builder<'a> {
    x: &'a [f64],
    n_features: usize,
    target: Target<'a>,
    weights: &'a [f64],
    params: GrowParams,
    rng: &'a mut ChaCha8Rng,
    nodes: Vec<Node>,
    /// Scratch buffer of (value, sample) pairs, reused across nodes.
    scratch: Vec<(f64, usize)>,
}

/// Sufficient statistics of a set of samples.
#[derive(Debug, Clone)]
enum Stats {
    Gini { counts: Vec<f64>, w: f64 },
    Mse { sum: f64, sq_sum: f64, w: f64 },
}

impl Stats {
    fn empty(target: &Target) -> Self {
        match target {
            Target::Gini { n_classes, .. } => Stats::Gini {
                counts: vec![0.0; *n_classes],
                w: 0.0,
            },
            Target::FriedmanMse { .. } | Target::SquaredError { .. } => Stats::Mse {
                sum: 0.0,
                sq_sum: 0.0,
                w: 0.0,
            },
        }
    }

    fn add(&mut self, target: &Target, i: usize, weight: f64) {
        match (self, target) {
            (Stats::Gini { counts, w }, Target::Gini { y, .. }) => {
                counts[y[i]] += weight;
                *w += weight;
            }
            (
                Stats::Mse { sum, sq_sum, w },
                Target::FriedmanMse { y } | Target::SquaredError { y },
            ) => {
                *sum += weight * y[i];
                *sq_sum += weight * y[i] * y[i];
                *w += weight;
            }
            _ => unreachable!("stats and target kinds always match"),
        }
    }

    /// Node impurity: Gini `1 − Σ p²`, or the variance.
    fn impurity(&self) -> f64 {
        match self {
            Stats::Gini { counts, w } => {
                1.0 - counts.iter().map(|c| (c / w) * (c / w)).sum::<f64>()
            }
            Stats::Mse { sum, sq_sum, w } => {
                let mean = sum / w;
                sq_sum / w - mean * mean
            }
        }
    }

    /// The leaf value: class probabilities or the mean.
    fn value(&self) -> Vec<f64> {
        match self {
            Stats::Gini { counts, w } => counts.iter().map(|c| c / w).collect(),
            Stats::Mse { sum, w, .. } => vec![sum / w],
        }
    }
}

/// A candidate split: larger `proxy` is better.
#[derive(Debug, Clone, Copy)]
struct BestSplit {
    feature: usize,
    threshold: f64,
    proxy: f64,
}

/// Grows a tree on the rows `samples` (each with weight `weights[row]` > 0).
///
/// `x` must already be on the float32 grid ([`grid`]).
pub(crate) fn grow(
    x: &[f64],
    n_features: usize,
    target: Target,
    weights: &[f64],
    samples: Vec<usize>,
    params: GrowParams,
    rng: &mut ChaCha8Rng,
) -> Tree {
    let mut b = Builder {
        x,
        n_features,
        target,
        weights,
        params,
        rng,
        nodes: Vec::new(),
        scratch: Vec::new(),
    };
    let mut samples = samples;
    b.node(&mut samples, 0);
    Tree { nodes: b.nodes }
}

impl Builder<'_> {
    fn stats(&self, samples: &[usize]) -> Stats {
        let mut s = Stats::empty(&self.target);
        for &i in samples {
            s.add(&self.target, i, self.weights[i]);
        }
        s
    }

    /// Builds the subtree for `samples` and returns its node index.
    fn node(&mut self, samples: &mut [usize], depth: usize) -> usize {
        let stats = self.stats(samples);
        let id = self.nodes.len();
        self.nodes.push(Node::Leaf {
            value: stats.value(),
        });
        let n = samples.len();
        let p = self.params;
        let is_leaf = p.max_depth.is_some_and(|d| depth >= d)
            || n < p.min_samples_split
            || n < 2 * p.min_samples_leaf
            || stats.impurity() <= f64::EPSILON;
        if is_leaf {
            return id;
        }
        let Some(split) = self.best_split(samples, &stats) else {
            return id;
        };
        // Partition in place: rows with x <= threshold first.
        let mut n_left = 0;
        for k in 0..n {
            if self.x[samples[k] * self.n_features + split.feature] <= split.threshold {
                samples.swap(k, n_left);
                n_left += 1;
            }
        }
        let (left_samples, right_samples) = samples.split_at_mut(n_left);
        let left = self.node(left_samples, depth + 1);
        let right = self.node(right_samples, depth + 1);
        self.nodes[id] = Node::Split {
            feature: split.feature,
            threshold: split.threshold,
            left,
            right,
        };
        id
    }

    /// scikit-learn's `node_split_best`: visit features in a random order until `max_features`
    /// were drawn and at least one was not constant; keep the first strictly best split.
    fn best_split(&mut self, samples: &[usize], total: &Stats) -> Option<BestSplit> {
        let mut features: Vec<usize> = (0..self.n_features).collect();
        let mut best: Option<BestSplit> = None;
        let mut found_non_constant = false;
        for visited in 0..self.n_features {
            if visited >= self.params.max_features && found_non_constant {
                break;
            }
            let j = visited + below(self.rng, self.n_features - visited);
            features.swap(visited, j);
            let f = features[visited];
            if let Some(candidate) = self.best_split_on(samples, total, f, &mut found_non_constant)
                && best.is_none_or(|b| candidate.proxy > b.proxy)
            {
                best = Some(candidate);
            }
        }
        best
    }

    /// The best threshold on feature `f`, if any split respects `min_samples_leaf`.
    fn best_split_on(
        &mut self,
        samples: &[usize],
        total: &Stats,
        f: usize,
        found_non_constant: &mut bool,
    ) -> Option<BestSplit> {
        let mut sorted = std::mem::take(&mut self.scratch);
        sorted.clear();
        sorted.extend(
            samples
                .iter()
                .map(|&i| (self.x[i * self.n_features + f], i)),
        );
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = sorted.len();
        if sorted[n - 1].0 <= sorted[0].0 + FEATURE_THRESHOLD {
            self.scratch = sorted;
            return None;
        }
        *found_non_constant = true;
        let min_leaf = self.params.min_samples_leaf;
        let mut left = Stats::empty(&self.target);
        let mut best: Option<BestSplit> = None;
        for pos in 1..n {
            let (_, i) = sorted[pos - 1];
            left.add(&self.target, i, self.weights[i]);
            let (prev, next) = (sorted[pos - 1].0, sorted[pos].0);
            if next <= prev + FEATURE_THRESHOLD {
                continue;
            }
            if pos < min_leaf || n - pos < min_leaf {
                continue;
            }
            let proxy = proxy_improvement(&self.target, &left, total);
            if best.is_none_or(|b| proxy > b.proxy) {
                let mut threshold = prev / 2.0 + next / 2.0;
                if threshold == next || !threshold.is_finite() {
                    threshold = prev;
                }
                best = Some(BestSplit {
                    feature: f,
                    threshold,
                    proxy,
                });
            }
        }
        self.scratch = sorted;
        best
    }
}

/// scikit-learn's `proxy_impurity_improvement`, which ranks splits like the real improvement
/// but skips constant terms. Gini: `Σc_l²/w_l + Σc_r²/w_r`. friedman_mse:
/// `(w_r·s_l − w_l·s_r)² / (w_l·w_r)`. squared_error: `s_l²/w_l + s_r²/w_r`.
fn proxy_improvement(target: &Target, left: &Stats, total: &Stats) -> f64 {
    match (left, total) {
        (Stats::Gini { counts: cl, w: wl }, Stats::Gini { counts: ct, w: wt }) => {
            let wr = wt - wl;
            let (mut sl, mut sr) = (0.0, 0.0);
            for (l, t) in cl.iter().zip(ct) {
                let r = t - l;
                sl += l * l;
                sr += r * r;
            }
            sl / wl + sr / wr
        }
        (Stats::Mse { sum: sl, w: wl, .. }, Stats::Mse { sum: st, w: wt, .. }) => {
            let (wr, sr) = (wt - wl, st - sl);
            if matches!(target, Target::SquaredError { .. }) {
                sl * sl / wl + sr * sr / wr
            } else {
                let diff = wr * sl - wl * sr;
                diff * diff / (wl * wr)
            }
        }
        _ => unreachable!("stats kinds always match"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn params(max_depth: Option<usize>) -> GrowParams {
        GrowParams {
            max_depth,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: 1,
        }
    }

    #[test]
    fn one_dimensional_split_at_midpoint() {
        // 1-D: 1,2,3 are class 0; 10,11 class 1 → one split at (3+10)/2 = 6.5.
        let x = [1.0, 2.0, 3.0, 10.0, 11.0];
        let y = [0, 0, 0, 1, 1];
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let tree = grow(
            &x,
            1,
            Target::Gini {
                y: &y,
                n_classes: 2,
            },
            &[1.0; 5],
            (0..5).collect(),
            params(None),
            &mut rng,
        );
        assert_eq!(tree.nodes.len(), 3);
        assert!(
            matches!(tree.nodes[0], Node::Split { feature: 0, threshold, .. } if threshold == 6.5)
        );
        assert_eq!(tree.leaf_value(&[6.5]), [1.0, 0.0]); // <= goes left
        assert_eq!(tree.leaf_value(&[6.6]), [0.0, 1.0]);
        assert_eq!(tree.depth(), 1);
        assert_eq!(tree.n_leaves(), 2);
    }

    #[test]
    fn gini_picks_the_purest_split_and_weights_count() {
        // x: 0 1 2 3, y: 0 0 1 0. Unweighted the best first cut is at 1.5 (left pure 0,0).
        // With weight 5 on the row x=2 (class 1) the purer cut isolates it.
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [0, 0, 1, 0];
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let t = grow(
            &x,
            1,
            Target::Gini {
                y: &y,
                n_classes: 2,
            },
            &[1.0; 4],
            (0..4).collect(),
            params(Some(1)),
            &mut rng,
        );
        assert!(matches!(t.nodes[0], Node::Split { threshold, .. } if threshold == 1.5));
        let w = [1.0, 1.0, 5.0, 1.0];
        let t = grow(
            &x,
            1,
            Target::Gini {
                y: &y,
                n_classes: 2,
            },
            &w,
            (0..4).collect(),
            params(Some(1)),
            &mut rng,
        );
        // Left {0, 0} (weight 2) vs right {1×5, 0} (weight 6): 4/2 + 26/6 beats the other cuts.
        assert!(matches!(t.nodes[0], Node::Split { threshold, .. } if threshold == 1.5));
        // Leaf probabilities are weighted: 5/6 for class 1.
        let right = t.leaf_value(&[2.0]);
        assert!((right[1] - 5.0 / 6.0).abs() < 1e-12, "{right:?}");
    }

    #[test]
    fn regression_leaf_is_the_mean_and_min_samples_leaf_holds() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [1.0, 1.0, 1.0, 9.0];
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut p = params(Some(1));
        p.min_samples_leaf = 2;
        let t = grow(
            &x,
            1,
            Target::FriedmanMse { y: &y },
            &[1.0; 4],
            (0..4).collect(),
            p,
            &mut rng,
        );
        // The best cut (2.5) would leave one row on the right: min_samples_leaf forces 1.5.
        assert!(matches!(t.nodes[0], Node::Split { threshold, .. } if threshold == 1.5));
        assert_eq!(t.leaf_value(&[3.0]), [5.0]);
    }

    #[test]
    fn constant_features_are_skipped_and_pure_nodes_stop() {
        // Feature 0 constant, feature 1 separates; max_features = 1 must still find feature 1.
        let x = [5.0, 0.0, 5.0, 1.0, 5.0, 2.0, 5.0, 3.0];
        let y = [0, 0, 1, 1];
        for seed in 0..10 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let t = grow(
                &x,
                2,
                Target::Gini {
                    y: &y,
                    n_classes: 2,
                },
                &[1.0; 4],
                (0..4).collect(),
                params(None),
                &mut rng,
            );
            assert!(
                matches!(t.nodes[0], Node::Split { feature: 1, threshold, .. } if threshold == 1.5)
            );
            assert_eq!(t.nodes.len(), 3);
        }
    }

    #[test]
    fn validate_catches_broken_trees() {
        let leaf = || Node::Leaf { value: vec![1.0] };
        let split = |left, right| Node::Split {
            feature: 0,
            threshold: 0.5,
            left,
            right,
        };
        assert!(
            Tree {
                nodes: vec![split(1, 2), leaf(), leaf()]
            }
            .validate(1, 1)
            .is_ok()
        );
        assert!(Tree { nodes: vec![] }.validate(1, 1).is_err());
        // A cycle back to the root.
        assert!(
            Tree {
                nodes: vec![split(0, 2), leaf(), leaf()]
            }
            .validate(1, 1)
            .is_err()
        );
        assert!(
            Tree {
                nodes: vec![split(1, 3), leaf(), leaf()]
            }
            .validate(1, 1)
            .is_err()
        );
        assert!(
            Tree {
                nodes: vec![split(1, 2), leaf(), leaf()]
            }
            .validate(0, 1)
            .is_err()
        );
        assert!(
            Tree {
                nodes: vec![split(1, 2), leaf(), leaf()]
            }
            .validate(1, 2)
            .is_err()
        );
    }

    #[test]
    fn below_is_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for n in 1..50 {
            assert!(below(&mut rng, n) < n);
        }
    }
}
