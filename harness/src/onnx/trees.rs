//! Task-1 tree models as one `ai.onnx.ml.TreeEnsembleClassifier`, the structure scikit-learn's
//! converter (skl2onnx) produces: a decision tree is an ensemble of one tree, a forest averages
//! its trees' leaf probabilities (each weight divided by the number of trees), and multinomial
//! gradient boosting sums `learning_rate × leaf` per class on top of its base values and ends in
//! a softmax.

use tract_onnx::pb::{AttributeProto, ModelProto};

use tract_onnx::pb::GraphProto;
use tract_onnx::pb::tensor_proto::DataType;

use super::graph::{INPUT, classifier_graph};
use super::proto::{
    Dim, ML_DOMAIN, attr_floats, attr_int, attr_ints, attr_string, attr_strings, model, node,
    value_info,
};
use crate::train::tree::{Node, Tree};
use crate::train::{RegressionModel, TreeModel};

/// The output of an exported regressor: float `[N, 1]`, named as skl2onnx names it.
pub(crate) const REGRESSION_OUTPUT: &str = "variable";

/// A regressor as one `ai.onnx.ml.TreeEnsembleRegressor` (skl2onnx's structure): the sum over
/// trees of `weight × leaf mean` plus `base_values` — weight 1 for a decision tree, `1/n` for a
/// forest's trees, `learning_rate` for boosting's stages on top of its initial mean.
pub(crate) fn regressor_model(model_: &RegressionModel) -> ModelProto {
    let (base, weight) = model_.ensemble_weights();
    let mut ensemble = Ensemble::default();
    for tree in &model_.trees {
        ensemble.push(tree, |value| vec![(0, (weight * value[0]) as f32)]);
    }
    let mut attributes = ensemble.leaf_attributes("target");
    attributes.extend([
        attr_int("n_targets", 1),
        attr_string("aggregate_function", "SUM"),
        attr_string("post_transform", "NONE"),
        attr_floats("base_values", vec![base as f32]),
    ]);
    let trees = node(
        "TreeEnsembleRegressor",
        ML_DOMAIN,
        &[INPUT],
        &[REGRESSION_OUTPUT],
        attributes,
    );
    let batch = Dim::Named("N");
    let graph = GraphProto {
        node: vec![trees],
        name: format!("harness_{}", model_.params.sklearn_class()),
        input: vec![value_info(
            INPUT,
            DataType::Float,
            &[batch.clone(), Dim::Fixed(model_.n_features() as i64)],
        )],
        output: vec![value_info(
            REGRESSION_OUTPUT,
            DataType::Float,
            &[batch, Dim::Fixed(1)],
        )],
        ..Default::default()
    };
    model(
        graph,
        true,
        format!(
            "{} exported by harness; the same predictions as its model.json",
            model_.params.sklearn_class()
        ),
    )
}

/// The ONNX model of `model` (input `input`: float `[N, n_features]`).
pub(crate) fn tree_model(model_: &TreeModel) -> ModelProto {
    let n_classes = model_.n_classes();
    let mut ensemble = Ensemble::default();
    let post_transform = match model_ {
        TreeModel::DecisionTree(m) => {
            ensemble.push(&m.tree, |value| leaf_weights(value, 1.0));
            "NONE"
        }
        TreeModel::RandomForest(m) => {
            let share = 1.0 / m.trees.len() as f64;
            for tree in &m.trees {
                ensemble.push(tree, |value| leaf_weights(value, share));
            }
            "NONE"
        }
        TreeModel::GradientBoosting(m) => {
            let lr = m.params.learning_rate;
            if n_classes == 2 {
                // One raw score f with p(1) = sigmoid(f). A softmax over (−f/2, f/2) is exactly
                // that sigmoid, and keeps one post-transform for every class count.
                ensemble.base_values = vec![-m.init[0] as f32 / 2.0, m.init[0] as f32 / 2.0];
                for stage in &m.stages {
                    ensemble.push(&stage[0], |value| {
                        let half = lr * value[0] / 2.0;
                        vec![(0, (-half) as f32), (1, half as f32)]
                    });
                }
            } else {
                ensemble.base_values = m.init.iter().map(|&v| v as f32).collect();
                for stage in &m.stages {
                    for (class, tree) in stage.iter().enumerate() {
                        ensemble.push(tree, |value| vec![(class, (lr * value[0]) as f32)]);
                    }
                }
            }
            "SOFTMAX"
        }
    };
    let mut attributes = ensemble.attributes(n_classes);
    attributes.push(attr_string("post_transform", post_transform));
    let trees = node(
        "TreeEnsembleClassifier",
        ML_DOMAIN,
        &["input"],
        &["label", "probabilities"],
        attributes,
    );
    let graph = classifier_graph(
        &format!("harness_{}", model_.algorithm().name()),
        model_.n_features(),
        n_classes,
        vec![trees],
        vec![],
    );
    model(
        graph,
        true,
        format!(
            "{} exported by harness; the same predictions as its model.json",
            model_.algorithm().sklearn_class()
        ),
    )
}

/// Every class's weight in a classification leaf, scaled by `share`.
fn leaf_weights(value: &[f64], share: f64) -> Vec<(usize, f32)> {
    value
        .iter()
        .enumerate()
        .map(|(class, &p)| (class, (p * share) as f32))
        .collect()
}

/// The largest `f32` not above `threshold`. Inputs are float32 (as scikit-learn casts them), so
/// for every input `x <= threshold` and `x <= down(threshold)` agree — rounding to nearest could
/// move a threshold past the next float32 and send that value to the wrong side.
fn threshold_f32(threshold: f64) -> f32 {
    let t = threshold as f32;
    if f64::from(t) > threshold {
        t.next_down()
    } else {
        t
    }
}

/// The flat node and leaf attribute lists of a `TreeEnsembleClassifier`.
#[derive(Debug, Default)]
struct Ensemble {
    n_trees: i64,
    tree_ids: Vec<i64>,
    node_ids: Vec<i64>,
    feature_ids: Vec<i64>,
    modes: Vec<&'static str>,
    values: Vec<f32>,
    true_ids: Vec<i64>,
    false_ids: Vec<i64>,
    class_tree_ids: Vec<i64>,
    class_node_ids: Vec<i64>,
    class_ids: Vec<i64>,
    class_weights: Vec<f32>,
    base_values: Vec<f32>,
}

impl Ensemble {
    /// Adds `tree` (node ids are its node indices); `weights` turns a leaf's value into
    /// `(class, weight)` contributions.
    fn push(&mut self, tree: &Tree, weights: impl Fn(&[f64]) -> Vec<(usize, f32)>) {
        let id = self.n_trees;
        self.n_trees += 1;
        for (i, n) in tree.nodes.iter().enumerate() {
            self.tree_ids.push(id);
            self.node_ids.push(i as i64);
            match n {
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    self.feature_ids.push(*feature as i64);
                    self.modes.push("BRANCH_LEQ");
                    self.values.push(threshold_f32(*threshold));
                    self.true_ids.push(*left as i64);
                    self.false_ids.push(*right as i64);
                }
                Node::Leaf { value } => {
                    self.feature_ids.push(0);
                    self.modes.push("LEAF");
                    self.values.push(0.0);
                    self.true_ids.push(0);
                    self.false_ids.push(0);
                    for (class, w) in weights(value) {
                        self.class_tree_ids.push(id);
                        self.class_node_ids.push(i as i64);
                        self.class_ids.push(class as i64);
                        self.class_weights.push(w);
                    }
                }
            }
        }
    }

    fn attributes(self, n_classes: usize) -> Vec<AttributeProto> {
        let base_values = self.base_values.clone();
        let mut a = vec![attr_ints(
            "classlabels_int64s",
            (0..n_classes as i64).collect(),
        )];
        a.extend(self.leaf_attributes("class"));
        if !base_values.is_empty() {
            a.push(attr_floats("base_values", base_values));
        }
        a
    }

    /// The node lists and the leaf lists, the latter prefixed `class_` (classifier) or
    /// `target_` (regressor).
    fn leaf_attributes(self, prefix: &str) -> Vec<AttributeProto> {
        vec![
            attr_ints("nodes_treeids", self.tree_ids),
            attr_ints("nodes_nodeids", self.node_ids),
            attr_ints("nodes_featureids", self.feature_ids),
            attr_strings("nodes_modes", &self.modes),
            attr_floats("nodes_values", self.values),
            attr_ints("nodes_truenodeids", self.true_ids),
            attr_ints("nodes_falsenodeids", self.false_ids),
            attr_ints(&format!("{prefix}_treeids"), self.class_tree_ids),
            attr_ints(&format!("{prefix}_nodeids"), self.class_node_ids),
            attr_ints(&format!("{prefix}_ids"), self.class_ids),
            attr_floats(&format!("{prefix}_weights"), self.class_weights),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_round_down_so_float32_inputs_take_the_same_branch() {
        let a = 0.1_f32;
        let b = a.next_up();
        // The f64 midpoint of two neighbouring float32 values rounds to one of them.
        let mid = f64::from(a) / 2.0 + f64::from(b) / 2.0;
        let t = threshold_f32(mid);
        for x in [a, b] {
            assert_eq!(f64::from(x) <= mid, x <= t, "{x}");
        }
        assert_eq!(threshold_f32(1.5), 1.5);
        assert_eq!(threshold_f32(-0.1), -0.1_f32);
        assert_eq!(threshold_f32(0.1), 0.1_f32.next_down());
    }
}
