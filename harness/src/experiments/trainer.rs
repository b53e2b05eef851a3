//! Training of one experiment: per-epoch train/validation metrics (a tree trains in one
//! "epoch"), early stopping on the validation accuracy, the best epoch's model, and its test
//! metrics. Nothing is logged or printed here.

use super::config::{Architecture, ExperimentConfig, Optimizer, Scheduler};
use super::dataset::{Table, ThreeWaySplit};
use super::error::ExperimentError;
use crate::nn::{self, DeviceKind, EpochMetrics, Mlp, MlpConfig, Samples, TrainObserver};
use crate::train::metrics;
use crate::train::{
    DecisionTreeParams, GradientBoostingParams, Hyperparameters, RandomForestParams,
    RegressionModel, RegressorParams, TreeModel,
};

/// One epoch's metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub val_loss: f64,
    pub val_accuracy: f64,
}

/// A trained model of either family.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    Mlp(Mlp),
    Tree(TreeModel),
    /// A regression tree model (regression tables only).
    Regressor(RegressionModel),
}

impl Model {
    /// Class probabilities of each row of the row-major `x` (`n_features` columns) over
    /// `n_classes` classes.
    ///
    /// # Errors
    /// When the rows do not fit the model.
    pub fn predict_proba(
        &self,
        x: &[f64],
        n_features: usize,
        n_classes: usize,
    ) -> Result<Vec<Vec<f64>>, String> {
        match self {
            Model::Mlp(m) => {
                let x32: Vec<f32> = match &m.standardize {
                    Some(s) => s.apply(x),
                    None => x.iter().map(|&v| v as f32).collect(),
                };
                // The engine always has 10 outputs; a dataset with fewer classes uses the first
                // ones (training pushes the others towards zero), renormalised over them.
                Ok(m.predict_proba(&x32)
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .map(|p| {
                        let kept = &p[..n_classes.min(p.len())];
                        let total: f32 = kept.iter().sum();
                        kept.iter()
                            .map(|&v| f64::from(v / total.max(f32::MIN_POSITIVE)))
                            .collect()
                    })
                    .collect())
            }
            Model::Tree(t) => x
                .chunks_exact(n_features.max(1))
                .map(|row| {
                    t.try_predict(row).map_err(|e| e.to_string())?;
                    Ok(t.predict_proba(row))
                })
                .collect(),
            Model::Regressor(_) => {
                Err("a regression model predicts numbers, not class probabilities".into())
            }
        }
    }

    /// Predicted values of each row of the row-major `x` (regressors only).
    ///
    /// # Errors
    /// When the model is a classifier or the rows do not fit it.
    pub fn predict_values(&self, x: &[f64], n_features: usize) -> Result<Vec<f64>, String> {
        match self {
            Model::Regressor(m) => x
                .chunks_exact(n_features.max(1))
                .map(|row| m.try_predict(row).map_err(|e| e.to_string()))
                .collect(),
            _ => Err("a classifier predicts classes, not numbers".into()),
        }
    }
}

/// RMSE, MAE and R² of a regressor on some rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegressionMetrics {
    pub rmse: f64,
    pub mae: f64,
    pub r2: f64,
}

impl RegressionMetrics {
    pub fn of(y_true: &[f64], y_pred: &[f64]) -> Self {
        RegressionMetrics {
            rmse: metrics::rmse(y_true, y_pred),
            mae: metrics::mae(y_true, y_pred),
            r2: metrics::r2(y_true, y_pred),
        }
    }
}

/// How a regressor did on the three parts, and its test predictions (for the chart).
#[derive(Debug, Clone, PartialEq)]
pub struct RegressionScores {
    pub train: RegressionMetrics,
    pub val: RegressionMetrics,
    pub test: RegressionMetrics,
    pub test_targets: Vec<f64>,
    pub test_predictions: Vec<f64>,
}

/// Accuracy, mean log loss, and the predictions of a model on some rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub accuracy: f64,
    pub loss: f64,
    pub f1_weighted: f64,
    pub predictions: Vec<usize>,
    /// Rows = true class, columns = predicted class.
    pub confusion_matrix: Vec<Vec<usize>>,
}

/// Scores `model` on rows `x` with classes `y`.
///
/// # Errors
/// When the rows do not fit the model.
pub fn evaluate(
    model: &Model,
    x: &[f64],
    y: &[usize],
    n_features: usize,
    n_classes: usize,
) -> Result<Evaluation, String> {
    let proba = model.predict_proba(x, n_features, n_classes)?;
    let predictions: Vec<usize> = proba.iter().map(|p| crate::train::argmax(p)).collect();
    let loss = proba
        .iter()
        .zip(y)
        .map(|(p, &c)| -p.get(c).copied().unwrap_or(0.0).max(1e-15).ln())
        .sum::<f64>()
        / y.len().max(1) as f64;
    Ok(Evaluation {
        accuracy: metrics::accuracy(y, &predictions),
        loss,
        f1_weighted: metrics::f1_weighted(y, &predictions, n_classes),
        confusion_matrix: metrics::confusion_matrix(y, &predictions, n_classes),
        predictions,
    })
}

/// What training produced. A regressor has one epoch whose losses are mean squared errors
/// and whose accuracies are NaN, a `test` evaluation with NaN accuracy and F1, and its real
/// scores in `regression`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    pub history: Vec<EpochRecord>,
    /// 0-based epoch whose model is kept (highest validation accuracy, the earliest on ties).
    pub best_epoch: usize,
    /// Training ended before `num_epochs` because the validation accuracy stopped improving.
    pub stopped_early: bool,
    pub model: Model,
    pub test: Evaluation,
    /// The regression scores (regression tables only).
    pub regression: Option<RegressionScores>,
}

/// Trains the model `config` describes on the train rows, watching the validation rows.
///
/// # Errors
/// [`ExperimentError::Train`] when the data does not suit the model or training fails.
pub fn train(
    config: &ExperimentConfig,
    table: &Table,
    split: &ThreeWaySplit,
) -> Result<Trained, ExperimentError> {
    if table.is_regression() {
        return train_regressor(config, table, split);
    }
    if config.model.architecture != Architecture::Mlp && table.n_classes() < 2 {
        return Err(ExperimentError::Train(format!(
            "`{}` has fewer than two classes",
            table.name
        )));
    }
    let (x_train, y_train) = table.select(&split.train);
    let (x_val, y_val) = table.select(&split.val);
    let (x_test, y_test) = table.select(&split.test);
    let (history, model) = match config.model.architecture {
        Architecture::Mlp => train_mlp(config, table, (&x_train, &y_train), (&x_val, &y_val))?,
        _ => {
            let hp = tree_hyperparameters(config);
            let model = TreeModel::fit(
                &hp,
                &x_train,
                table.n_features,
                &y_train,
                table.n_classes(),
                config.seed,
            )
            .map_err(|e| ExperimentError::Train(e.to_string()))?;
            let model = Model::Tree(model);
            let score = |x: &[f64], y: &[usize]| {
                evaluate(&model, x, y, table.n_features, table.n_classes())
                    .map_err(ExperimentError::Train)
            };
            let (t, v) = (score(&x_train, &y_train)?, score(&x_val, &y_val)?);
            let record = EpochRecord {
                epoch: 0,
                train_loss: t.loss,
                train_accuracy: t.accuracy,
                val_loss: v.loss,
                val_accuracy: v.accuracy,
            };
            (vec![record], model)
        }
    };
    let best_epoch = best_epoch(&history);
    let stopped_early = history.len() < config.training.num_epochs
        && config.model.architecture == Architecture::Mlp;
    let test = evaluate(
        &model,
        &x_test,
        &y_test,
        table.n_features,
        table.n_classes(),
    )
    .map_err(ExperimentError::Train)?;
    Ok(Trained {
        history,
        best_epoch,
        stopped_early,
        model,
        test,
        regression: None,
    })
}

/// Fits the regressor `config` describes and scores it on the three parts.
fn train_regressor(
    config: &ExperimentConfig,
    table: &Table,
    split: &ThreeWaySplit,
) -> Result<Trained, ExperimentError> {
    let params = regressor_params(config).ok_or_else(|| {
        ExperimentError::Train(format!(
            "`{}` has a numeric target (regression); `mlp` trains classifiers: use \
             decision_tree, random_forest or gradient_boosting",
            table.name
        ))
    })?;
    let (x_train, y_train) = table.select_values(&split.train);
    let (x_val, y_val) = table.select_values(&split.val);
    let (x_test, y_test) = table.select_values(&split.test);
    let model = RegressionModel::fit(&params, &x_train, table.n_features, &y_train, config.seed)
        .map_err(|e| ExperimentError::Train(e.to_string()))?;
    let score = |x: &[f64], y: &[f64]| {
        let predictions = model.predict_rows(x);
        (RegressionMetrics::of(y, &predictions), predictions)
    };
    let (train, _) = score(&x_train, &y_train);
    let (val, _) = score(&x_val, &y_val);
    let (test, test_predictions) = score(&x_test, &y_test);
    let record = EpochRecord {
        epoch: 0,
        train_loss: train.rmse * train.rmse,
        train_accuracy: f64::NAN,
        val_loss: val.rmse * val.rmse,
        val_accuracy: f64::NAN,
    };
    Ok(Trained {
        history: vec![record],
        best_epoch: 0,
        stopped_early: false,
        model: Model::Regressor(model),
        test: Evaluation {
            accuracy: f64::NAN,
            loss: test.rmse * test.rmse,
            f1_weighted: f64::NAN,
            predictions: Vec::new(),
            confusion_matrix: Vec::new(),
        },
        regression: Some(RegressionScores {
            train,
            val,
            test,
            test_targets: y_test,
            test_predictions,
        }),
    })
}

/// The regressor and its hyperparameters a config asks for, with scikit-learn's regressor
/// defaults; `None` for an MLP.
pub(crate) fn regressor_params(config: &ExperimentConfig) -> Option<RegressorParams> {
    Some(match tree_hyperparameters(config) {
        _ if config.model.architecture == Architecture::Mlp => return None,
        Hyperparameters::DecisionTree(p) => RegressorParams::DecisionTree(p),
        Hyperparameters::RandomForest(p) => RegressorParams::RandomForest(RandomForestParams {
            max_features: config
                .model
                .max_features
                .unwrap_or(RegressorParams::default_forest().max_features),
            ..p
        }),
        Hyperparameters::GradientBoosting(p) => RegressorParams::GradientBoosting(p),
    })
}

/// The epoch with the highest validation accuracy; the earliest of equals.
pub(crate) fn best_epoch(history: &[EpochRecord]) -> usize {
    history
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(best, acc), (i, r)| {
            if r.val_accuracy > acc {
                (i, r.val_accuracy)
            } else {
                (best, acc)
            }
        })
        .0
}

pub(crate) fn tree_hyperparameters(config: &ExperimentConfig) -> Hyperparameters {
    let m = &config.model;
    match m.architecture {
        Architecture::DecisionTree => {
            let d = DecisionTreeParams::default();
            Hyperparameters::DecisionTree(DecisionTreeParams {
                max_depth: m.max_depth.or(d.max_depth),
                min_samples_split: m.min_samples_split.unwrap_or(d.min_samples_split),
                min_samples_leaf: m.min_samples_leaf.unwrap_or(d.min_samples_leaf),
                max_features: m.max_features.unwrap_or(d.max_features),
            })
        }
        Architecture::RandomForest => {
            let d = RandomForestParams::default();
            Hyperparameters::RandomForest(RandomForestParams {
                n_estimators: m.n_estimators.unwrap_or(d.n_estimators),
                bootstrap: m.bootstrap.unwrap_or(d.bootstrap),
                max_depth: m.max_depth.or(d.max_depth),
                min_samples_split: m.min_samples_split.unwrap_or(d.min_samples_split),
                min_samples_leaf: m.min_samples_leaf.unwrap_or(d.min_samples_leaf),
                max_features: m.max_features.unwrap_or(d.max_features),
            })
        }
        Architecture::GradientBoosting | Architecture::Mlp => {
            let d = GradientBoostingParams::default();
            Hyperparameters::GradientBoosting(GradientBoostingParams {
                n_estimators: m.n_estimators.unwrap_or(d.n_estimators),
                learning_rate: m.learning_rate.unwrap_or(d.learning_rate),
                max_depth: m.max_depth.or(d.max_depth),
                min_samples_split: m.min_samples_split.unwrap_or(d.min_samples_split),
                min_samples_leaf: m.min_samples_leaf.unwrap_or(d.min_samples_leaf),
                max_features: m.max_features.unwrap_or(d.max_features),
            })
        }
    }
}

/// The engine's configuration for this experiment (validation every epoch).
pub(crate) fn mlp_config(config: &ExperimentConfig, n_features: usize) -> MlpConfig {
    let hidden = config
        .model
        .hidden_sizes
        .clone()
        .unwrap_or_else(|| vec![128]);
    let p = config.model.dropout.unwrap_or(0.0);
    let t = &config.training;
    MlpConfig {
        name: config.run_name(),
        input_size: n_features,
        dropout: if p > 0.0 {
            vec![p; hidden.len()]
        } else {
            vec![]
        },
        hidden,
        learning_rate: t.learning_rate,
        batch_size: t.batch_size,
        epochs: t.num_epochs,
        seed: config.seed,
        eval_every: 1,
        optimizer: match t.optimizer {
            Optimizer::Adam => nn::OptimizerKind::Adam,
            Optimizer::Adamw => nn::OptimizerKind::AdamW {
                weight_decay: t
                    .weight_decay
                    .unwrap_or(nn::OptimizerKind::ADAMW_DEFAULT_WEIGHT_DECAY),
            },
            Optimizer::Sgd => nn::OptimizerKind::Sgd {
                momentum: t.momentum.unwrap_or(0.0),
            },
        },
        schedule: match t.scheduler {
            Scheduler::None => nn::LrSchedule::Constant,
            Scheduler::Cosine => nn::LrSchedule::Cosine {
                t_max: t.num_epochs,
            },
            // Validation guarantees a step size; 1 only keeps this total.
            Scheduler::Step => nn::LrSchedule::Step {
                step_size: t.step_size.unwrap_or(1),
                gamma: t.gamma.unwrap_or(0.1),
            },
        },
        ..MlpConfig::default()
    }
}

/// Stops after `patience` epochs without a better validation accuracy.
struct EarlyStopping {
    patience: Option<usize>,
    best: f64,
    since_best: usize,
}

impl TrainObserver for EarlyStopping {
    fn on_epoch(&mut self, m: &EpochMetrics) {
        let acc = m.test.map_or(f64::NEG_INFINITY, |t| t.accuracy);
        if acc > self.best {
            self.best = acc;
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
    }
    fn stop(&self) -> bool {
        self.patience.is_some_and(|p| self.since_best >= p)
    }
}

type Rows<'a> = (&'a [f64], &'a [usize]);

fn train_mlp(
    config: &ExperimentConfig,
    table: &Table,
    (x_train, y_train): Rows<'_>,
    (x_val, y_val): Rows<'_>,
) -> Result<(Vec<EpochRecord>, Model), ExperimentError> {
    if table.n_classes() > nn::N_CLASSES {
        return Err(ExperimentError::Train(format!(
            "the MLP engine has {} outputs; `{}` has {} classes",
            nn::N_CLASSES,
            table.name,
            table.n_classes()
        )));
    }
    // Tabular features (wine's proline is in the thousands, its hue near 1) are standardised
    // with the train rows' statistics, kept with the model; MNIST pixels are scaled already.
    let standardize =
        (table.input_scale == "none").then(|| nn::Standardize::fit(x_train, table.n_features));
    let f32s = |x: &[f64]| match &standardize {
        Some(s) => s.apply(x),
        None => x.iter().map(|&v| v as f32).collect::<Vec<f32>>(),
    };
    let u8s = |y: &[usize]| y.iter().map(|&c| c as u8).collect::<Vec<u8>>();
    let (tx, ty, vx, vy) = (f32s(x_train), u8s(y_train), f32s(x_val), u8s(y_val));
    let mlp = mlp_config(config, table.n_features);
    let fail = |e: nn::NnError| ExperimentError::Train(e.to_string());
    let mut watch = EarlyStopping {
        patience: config.training.early_stopping_patience,
        best: f64::NEG_INFINITY,
        since_best: 0,
    };
    let run = |epochs: usize, observer: &mut dyn TrainObserver| {
        nn::train(
            &mlp.clone().with_epochs(epochs),
            Samples::new(&tx, &ty),
            Samples::new(&vx, &vy),
            DeviceKind::Cpu,
            observer,
        )
    };
    let outcome = run(mlp.epochs, &mut watch).map_err(fail)?;
    let history: Vec<EpochRecord> = outcome
        .epochs
        .iter()
        .map(|e| {
            let val = e.test.unwrap_or(nn::EvalMetrics {
                loss: f64::NAN,
                accuracy: f64::NAN,
            });
            EpochRecord {
                epoch: e.epoch,
                train_loss: e.train_loss,
                train_accuracy: e.train_accuracy,
                val_loss: val.loss,
                val_accuracy: val.accuracy,
            }
        })
        .collect();
    let best = best_epoch(&history);
    // The engine keeps only its last weights; the best epoch's are those of a run stopped
    // there, which the seeded engine reproduces bit for bit.
    let mut model = if best + 1 == history.len() {
        outcome.model
    } else {
        run(best + 1, &mut |_: &EpochMetrics| {})
            .map_err(fail)?
            .model
    };
    model.standardize = standardize;
    Ok((history, Model::Mlp(model)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::{config::ExperimentConfig, dataset};

    fn config(model: &str, training: &str) -> ExperimentConfig {
        ExperimentConfig::parse(
            &format!("experiment_name: t\nseed: 3\ndata: {{dataset: wine}}\nmodel: {model}\ntraining: {training}\n"),
            false,
            "t.yaml",
        )
        .unwrap()
    }

    fn run(c: &ExperimentConfig) -> Trained {
        let table = dataset::load(&c.source()).unwrap();
        let split = dataset::split(table.n_rows(), &c.data, c.split_seed()).unwrap();
        train(c, &table, &split).unwrap()
    }

    #[test]
    fn a_tree_trains_in_one_epoch_and_scores_like_the_homework() {
        let t = run(&config(
            "{architecture: random_forest, n_estimators: 20}",
            "{}",
        ));
        assert_eq!(t.history.len(), 1);
        assert_eq!(t.best_epoch, 0);
        assert!(t.test.accuracy > 0.85, "{}", t.test.accuracy);
        assert_eq!(t.history[0].train_accuracy, 1.0);
        let n: usize = t.test.confusion_matrix.iter().flatten().sum();
        assert_eq!(n, 27);
    }

    #[test]
    fn the_kept_mlp_is_the_best_validation_epoch() {
        let c = config(
            "{architecture: mlp, hidden_sizes: [16]}",
            "{num_epochs: 6, learning_rate: 0.01, batch_size: 16}",
        );
        let t = run(&c);
        assert_eq!(t.history.len(), 6);
        let best = &t.history[t.best_epoch];
        assert!(
            t.history
                .iter()
                .all(|r| r.val_accuracy <= best.val_accuracy)
        );
        // The kept model scores on the validation rows what its epoch logged.
        let table = dataset::load(&c.source()).unwrap();
        let split = dataset::split(table.n_rows(), &c.data, c.split_seed()).unwrap();
        let (x, y) = table.select(&split.val);
        let e = evaluate(&t.model, &x, &y, table.n_features, 3).unwrap();
        assert_eq!(e.accuracy, best.val_accuracy);
        assert_eq!(run(&c), t, "same config, same result");
    }

    #[test]
    fn early_stopping_ends_after_patience_epochs_without_improvement() {
        let c = config(
            "{architecture: mlp, hidden_sizes: [8]}",
            "{num_epochs: 40, learning_rate: 0.0001, batch_size: 64, early_stopping_patience: 2}",
        );
        let t = run(&c);
        assert!(t.stopped_early, "{} epochs", t.history.len());
        assert!(t.history.len() < 40);
        assert_eq!(t.history.len(), t.best_epoch + 3);
    }

    fn diabetes(model: &str) -> ExperimentConfig {
        ExperimentConfig::parse(
            &format!("experiment_name: t\nseed: 3\ndata: {{dataset: diabetes}}\nmodel: {model}\n"),
            false,
            "t.yaml",
        )
        .unwrap()
    }

    #[test]
    fn regressors_train_on_diabetes_and_score_like_sklearn() {
        for (model, max_rmse) in [
            ("{architecture: decision_tree, max_depth: 3}", 70.0),
            ("{architecture: random_forest, n_estimators: 30}", 65.0),
            ("{architecture: gradient_boosting, n_estimators: 50}", 65.0),
        ] {
            let c = diabetes(model);
            let t = run(&c);
            let r = t.regression.as_ref().unwrap();
            assert!(matches!(t.model, Model::Regressor(_)), "{model}");
            // The diabetes target spans 25–346 with a standard deviation near 77: a useful
            // model stays well under that.
            assert!(r.test.rmse < max_rmse, "{model}: test rmse {}", r.test.rmse);
            assert!(
                r.test.r2 > 0.2 && r.test.r2 < 1.0,
                "{model}: r2 {}",
                r.test.r2
            );
            assert!(r.test.mae < r.test.rmse);
            assert_eq!(r.test_predictions.len(), 67); // ceil(0.15 · 442)
            assert_eq!(t.history[0].val_loss, r.val.rmse * r.val.rmse);
            assert_eq!(run(&c).regression, t.regression, "same config, same result");
        }
        // The forest examines every feature by default, as RandomForestRegressor does.
        let c = diabetes("{architecture: random_forest}");
        let Some(RegressorParams::RandomForest(p)) = regressor_params(&c) else {
            panic!("a forest")
        };
        assert_eq!(p.max_features, crate::train::MaxFeatures::All);
    }

    #[test]
    fn an_mlp_on_regression_data_is_refused_with_the_key() {
        let e = ExperimentConfig::parse(
            "experiment_name: t\ndata: {dataset: diabetes}\nmodel: {architecture: mlp}\n",
            false,
            "t.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`model.architecture`") && e.contains("regression"),
            "{e}"
        );
        let e = ExperimentConfig::parse(
            "experiment_name: t\ndata: {dataset: wine, task: regression}\nmodel: {architecture: decision_tree}\n",
            false,
            "t.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`data.task`") && e.contains("classification"),
            "{e}"
        );
    }

    /// `harness run --config` with the `--print-defaults` config (wine, MLP [128], Adam 0.001,
    /// 10 epochs) learns wine because the features are standardised, and the fitted scaling
    /// is saved with the model: loaded back it scores the test rows the same.
    #[test]
    fn the_default_mlp_learns_wine_and_keeps_its_scaling() {
        let c = ExperimentConfig::parse(
            crate::experiments::config::DEFAULTS_YAML,
            false,
            "defaults.yaml",
        )
        .unwrap();
        let t = run(&c);
        assert!(t.test.accuracy >= 0.9, "test accuracy {}", t.test.accuracy);
        let Model::Mlp(mlp) = &t.model else {
            panic!("an MLP")
        };
        let s = mlp.standardize.as_ref().expect("wine is standardised");
        let table = dataset::load(&c.source()).unwrap();
        let split = dataset::split(table.n_rows(), &c.data, c.split_seed()).unwrap();
        let (x_train, _) = table.select(&split.train);
        assert_eq!(s, &nn::Standardize::fit(&x_train, table.n_features));
        let dir = tempfile::tempdir().unwrap();
        mlp.save(dir.path()).unwrap();
        let loaded = Model::Mlp(Mlp::load(dir.path()).unwrap());
        let (x, y) = table.select(&split.test);
        let e = evaluate(&loaded, &x, &y, table.n_features, 3).unwrap();
        assert_eq!(e, t.test);
    }

    #[test]
    fn standardize_centres_and_scales_each_feature_and_spares_constants() {
        let x = [1.0, 5.0, 3.0, 5.0, 5.0, 5.0];
        let s = nn::Standardize::fit(&x, 2);
        assert_eq!(s.mean, vec![3.0, 5.0]);
        assert!((s.scale[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(s.scale[1], 1.0);
        let z = s.apply(&x);
        assert_eq!(z[1], 0.0);
        assert!((z[0] + z[4]).abs() < 1e-6 && z[2] == 0.0);
    }
}
