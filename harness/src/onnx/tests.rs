//! Every exported model, reloaded by tract, predicts what the harness model predicts.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::nn::{Mlp, MlpConfig};
use crate::train::{Algorithm, Hyperparameters, TreeModel};

const TOLERANCE: f32 = 1e-5;

fn wine() -> (Vec<f64>, usize, Vec<usize>) {
    let d = crate::data::wine::load().unwrap();
    (d.features.clone(), d.n_features, d.targets.clone())
}

fn assert_agrees(model: &TreeModel, x: &[f64], n_features: usize) {
    let onnx = OnnxClassifier::load(&export_tree_model(model)).unwrap();
    assert_eq!(onnx.n_features(), n_features);
    assert_eq!(onnx.n_classes(), model.n_classes());
    let rows: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let p = onnx.predict(&rows).unwrap();
    for (i, row) in x.chunks(n_features).enumerate() {
        let name = model.algorithm().name();
        assert_eq!(p.labels[i], model.predict(row) as i64, "{name} row {i}");
        for (a, b) in p.probabilities[i].iter().zip(model.predict_proba(row)) {
            assert!(
                (f64::from(*a) - b).abs() < f64::from(TOLERANCE),
                "{name} row {i}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn tree_models_exported_to_onnx_predict_like_the_harness_on_every_wine_row() {
    let (x, nf, y) = wine();
    for algorithm in [
        Algorithm::DecisionTree,
        Algorithm::RandomForest,
        Algorithm::GradientBoosting,
    ] {
        let model =
            TreeModel::fit(&Hyperparameters::default_for(algorithm), &x, nf, &y, 3, 42).unwrap();
        assert_agrees(&model, &x, nf);
    }
}

#[test]
fn two_class_models_keep_both_probabilities_and_the_sigmoid_of_boosting() {
    let (x, nf, y) = wine();
    let keep: Vec<usize> = (0..y.len()).filter(|&i| y[i] < 2).collect();
    let x2: Vec<f64> = keep
        .iter()
        .flat_map(|&i| x[i * nf..(i + 1) * nf].to_vec())
        .collect();
    let y2: Vec<usize> = keep.iter().map(|&i| y[i]).collect();
    for algorithm in [Algorithm::RandomForest, Algorithm::GradientBoosting] {
        let model =
            TreeModel::fit(&Hyperparameters::default_for(algorithm), &x2, nf, &y2, 2, 7).unwrap();
        assert_agrees(&model, &x2, nf);
    }
}

#[test]
fn an_mlp_exported_to_onnx_predicts_like_the_harness() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mlp = Mlp::init(&MlpConfig::medium(), &mut rng);
    let d = mlp.input_size();
    let x: Vec<f32> = (0..64 * d).map(|_| rng.random::<f32>()).collect();
    let onnx = OnnxClassifier::load(&export_mlp(&mlp)).unwrap();
    assert_eq!((onnx.n_features(), onnx.n_classes()), (784, 10));
    let p = onnx.predict(&x).unwrap();
    let labels = mlp.predict(&x).unwrap();
    let proba = mlp.predict_proba(&x).unwrap();
    for i in 0..64 {
        assert_eq!(p.labels[i], i64::from(labels[i]), "row {i}");
        for (a, b) in p.probabilities[i].iter().zip(proba[i]) {
            assert!((a - b).abs() < TOLERANCE, "row {i}: {a} vs {b}");
        }
    }
    // Any batch size: one row, then an empty batch.
    assert_eq!(
        onnx.predict(&x[..d]).unwrap().labels,
        vec![i64::from(labels[0])]
    );
}

#[test]
fn a_batch_of_the_wrong_width_or_foreign_bytes_are_errors() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mlp = Mlp::init(&MlpConfig::shallow(), &mut rng);
    let onnx = OnnxClassifier::load(&export_mlp(&mlp)).unwrap();
    assert!(onnx.predict(&[0.5; 783]).is_err());
    assert!(OnnxClassifier::load(b"not a model").is_err());
}
