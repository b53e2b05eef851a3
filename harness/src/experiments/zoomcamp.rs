//! `harness run zoomcamp-hw2`: the MLOps Zoomcamp's week-2 homework (experiment tracking and the
//! model registry) done the way its scripts do it, on harness's own random-forest regressor.
//!
//! The homework trains on the NYC taxi trip data, which cannot be fetched where harness is
//! built; this run uses the diabetes data shipped in the repository (see
//! `tasks/data/README.md`) and says so. Step by step, as the homework's scripts:
//! - `train.py` (Q3): a `RandomForestRegressor(max_depth=10, random_state=0)` logged as
//!   `mlflow.sklearn.autolog` logs it: every `get_params()` key as a param, the estimator tags,
//!   the `training_*` metrics, and the model;
//! - `hpo.py` (Q5): trials over hpo.py's search space (`max_depth` 1–20, `n_estimators` 10–50,
//!   `min_samples_split` 2–10, `min_samples_leaf` 1–4, `random_state` 42), proposed by the
//!   sweep's TPE, each a run in `random-forest-hyperopt` logging its params and the validation
//!   `rmse`, without a model (hpo.py logs none);
//! - `register_model.py` (Q6): the top runs by `rmse` re-trained in `random-forest-best-models`
//!   with autologging, `val_rmse` and `test_rmse` logged, and the model of the run with the
//!   lowest `test_rmse` registered.

use std::io::Write;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::config::DataConfig;
use super::dataset::{self, Table, ThreeWaySplit};
use super::error::{ExperimentError, at};
use super::log::{self, ModelArtefact};
use super::space::{Dim, Space};
use super::tpe::{Observation, Tpe};
use super::trainer::RegressionMetrics;
use crate::mlflow::{KeyValue, Metric, MlflowClient, NewRun, RunStatus, now_ms};
use crate::model::mlmodel::MlModel;
use crate::progress::Progress;
use crate::train::{RandomForestParams, RegressionModel, RegressorFile, RegressorParams};

/// The homework's experiment names (prefixed with `--name-prefix`).
pub const TRAIN_EXPERIMENT: &str = "random-forest-train";
pub const HPO_EXPERIMENT: &str = "random-forest-hyperopt";
pub const BEST_EXPERIMENT: &str = "random-forest-best-models";
/// The registered model (the homework lets the student choose the name).
pub const MODEL_NAME: &str = "random-forest-regressor";

/// How the run varies.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoomcampOptions {
    /// Prepended to experiment and model names.
    pub name_prefix: String,
    /// Seeds the split and TPE; hpo.py's `rstate` is 42 too.
    pub seed: u64,
    /// hpo.py's `--num_trials` (15).
    pub trials: usize,
    /// Random trials before TPE proposes (hyperopt's default is 20, which with 15 trials
    /// would make every trial random; 5 lets TPE do the searching).
    pub startup_trials: usize,
    /// register_model.py's `--top_n` (5).
    pub top_n: usize,
}

impl Default for ZoomcampOptions {
    fn default() -> Self {
        ZoomcampOptions {
            name_prefix: String::new(),
            seed: 42,
            trials: 15,
            startup_trials: 5,
            top_n: 5,
        }
    }
}

/// One logged run: its id, the forest's tuned params, and its scores.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestRun {
    pub run_id: String,
    pub params: RandomForestParams,
    pub val_rmse: f64,
    pub test_rmse: Option<f64>,
}

/// What the run did.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoomcampSummary {
    pub rows: (usize, usize, usize),
    pub autolog: ForestRun,
    pub hpo_experiment: String,
    pub trials: Vec<ForestRun>,
    pub best_experiment: String,
    pub best_models: Vec<ForestRun>,
    /// `(name, version, run id)` of the registered model.
    pub registered: (String, String, String),
}

/// The diabetes data and its homework-like split: 60 % train (January's trips), 20 %
/// validation (February's), 20 % test (March's).
fn data(seed: u64) -> Result<(Table, ThreeWaySplit), ExperimentError> {
    let table = dataset::load(&super::config::DataSource::Diabetes)?;
    let config = DataConfig {
        dataset: "diabetes".into(),
        target: None,
        task: None,
        train_split: 0.6,
        val_split: 0.2,
        test_split: 0.2,
        seed: None,
    };
    let split = dataset::split(table.n_rows(), &config, seed as u32)?;
    Ok((table, split))
}

/// hpo.py's search space, in its order.
fn search_space() -> Vec<(&'static str, Space)> {
    let q = |low: f64, high: f64| Space::QUniform { low, high, q: 1.0 };
    vec![
        ("max_depth", q(1.0, 20.0)),
        ("n_estimators", q(10.0, 50.0)),
        ("min_samples_split", q(2.0, 10.0)),
        ("min_samples_leaf", q(1.0, 4.0)),
    ]
}

/// The forest of a point of [`search_space`] (`scope.int` of each coordinate).
fn forest_at(point: &[f64]) -> RandomForestParams {
    let int = |i: usize| point[i].round().max(1.0) as usize;
    RandomForestParams {
        max_depth: Some(int(0)),
        n_estimators: int(1),
        min_samples_split: int(2).max(2),
        min_samples_leaf: int(3),
        ..RegressorParams::default_forest()
    }
}

/// Fits a forest on the train rows and scores it on `parts` (validation, then test).
fn fit(
    table: &Table,
    split: &ThreeWaySplit,
    params: RandomForestParams,
    seed: u64,
) -> Result<(RegressionModel, RegressionMetrics, Vec<RegressionMetrics>), ExperimentError> {
    let (x, y) = table.select_values(&split.train);
    let model = RegressionModel::fit(
        &RegressorParams::RandomForest(params),
        &x,
        table.n_features,
        &y,
        seed,
    )
    .map_err(|e| ExperimentError::Train(e.to_string()))?;
    let score = |rows: &[usize]| {
        let (x, y) = table.select_values(rows);
        RegressionMetrics::of(&y, &model.predict_rows(&x))
    };
    let train = score(&split.train);
    let parts = vec![score(&split.val), score(&split.test)];
    Ok((model, train, parts))
}

/// Opens a run, lets `body` log into it, and ends it FINISHED (FAILED on an error).
fn with_run<T>(
    client: &MlflowClient,
    experiment_id: &str,
    tags: Vec<KeyValue>,
    body: impl FnOnce(&crate::mlflow::RunInfo) -> Result<T, ExperimentError>,
) -> Result<T, ExperimentError> {
    let run = client
        .create_run(&NewRun {
            experiment_id: experiment_id.to_owned(),
            run_name: None,
            start_time: None,
            tags,
        })
        .map_err(at("creating a run"))?;
    let run_id = run.info.run_id.clone();
    crate::reference::interrupt::opened(client, &run_id);
    let result = body(&run.info);
    let status = if result.is_ok() {
        RunStatus::Finished
    } else {
        RunStatus::Failed
    };
    let ended = client.update_run(&run_id, status, Some(now_ms()));
    crate::reference::interrupt::ended(&run_id);
    let value = result?;
    ended.map_err(at("finishing a run"))?;
    Ok(value)
}

fn source_tags(script: &str) -> Vec<KeyValue> {
    vec![
        KeyValue::new(
            "mlflow.source.name",
            format!("harness run zoomcamp-hw2 ({script})"),
        ),
        KeyValue::new("mlflow.source.type", "LOCAL"),
        KeyValue::new("harness.version", crate::version::VERSION),
        KeyValue::new(
            "harness.data",
            "diabetes (scikit-learn) in place of the NYC taxi trips",
        ),
    ]
}

/// What `mlflow.sklearn.autolog` leaves on a run of `RandomForestRegressor.fit`: every
/// `get_params()` key, the estimator tags, and the `training_*` metrics on the training rows.
fn autolog_record(
    params: RandomForestParams,
    seed: u64,
    train: RegressionMetrics,
) -> (Vec<KeyValue>, Vec<KeyValue>, Vec<Metric>) {
    let now = now_ms();
    let p = RegressorParams::RandomForest(params);
    let params = p
        .sklearn_params(seed)
        .into_iter()
        .map(|(k, v)| KeyValue::new(k, v))
        .collect();
    let tags = vec![
        KeyValue::new("estimator_name", "RandomForestRegressor"),
        KeyValue::new(
            "estimator_class",
            "sklearn.ensemble._forest.RandomForestRegressor",
        ),
        KeyValue::new("harness.autolog", "as mlflow.sklearn.autolog logs it"),
    ];
    let mse = train.rmse * train.rmse;
    let metrics = [
        ("training_mean_squared_error", mse),
        ("training_root_mean_squared_error", train.rmse),
        ("training_mean_absolute_error", train.mae),
        ("training_r2_score", train.r2),
        ("training_score", train.r2),
    ]
    .into_iter()
    .map(|(k, v)| Metric::new(k, v, now, 0))
    .collect();
    (params, tags, metrics)
}

/// The model files of a fitted forest, logged like an experiment's regressor.
fn model_files(
    model: &RegressionModel,
    table: &Table,
    split: &ThreeWaySplit,
) -> (Vec<ModelArtefact>, MlModel) {
    let file = RegressorFile::new(
        model.clone(),
        table.feature_names.clone(),
        table.target_name.clone(),
        table.digest.clone(),
    );
    let example = split
        .train
        .iter()
        .take(5)
        .map(|&i| table.row(i).to_vec())
        .collect();
    log::regressor_artefacts(&file, example)
}

/// Runs the homework's three scripts against `client`.
///
/// # Errors
/// [`ExperimentError`] naming the step; runs already logged stay.
pub fn run(
    client: &MlflowClient,
    options: &ZoomcampOptions,
    progress: &Progress,
) -> Result<ZoomcampSummary, ExperimentError> {
    let (table, split) = data(options.seed)?;
    let name = |n: &str| format!("{}{n}", options.name_prefix);
    let experiment = |n: &str| {
        client
            .get_or_create_experiment(n)
            .map_err(at(format!("creating experiment `{n}`")))
    };

    // train.py: an autologged RandomForestRegressor(max_depth=10, random_state=0).
    progress.set_message("train.py: autologged random forest");
    let train_experiment = experiment(&name(TRAIN_EXPERIMENT))?;
    let q3 = RandomForestParams {
        max_depth: Some(10),
        ..RegressorParams::default_forest()
    };
    let autolog = with_run(client, &train_experiment, source_tags("train.py"), |run| {
        let (model, train, parts) = fit(&table, &split, q3, 0)?;
        let (params, tags, mut metrics) = autolog_record(q3, 0, train);
        // train.py computes the validation RMSE (and the 2022 cohort logs it as `rmse`).
        metrics.push(Metric::new("rmse", parts[0].rmse, now_ms(), 0));
        client
            .log_batch(&run.run_id, &metrics, &params, &tags)
            .map_err(at("logging train.py's run"))?;
        let (files, mlmodel) = model_files(&model, &table, &split);
        log::log_model(client, run, &params, files, mlmodel)?;
        Ok(ForestRun {
            run_id: run.run_id.clone(),
            params: q3,
            val_rmse: parts[0].rmse,
            test_rmse: None,
        })
    })?;

    // hpo.py: TPE over the search space, one run per trial with its params and `rmse`.
    let hpo_experiment = name(HPO_EXPERIMENT);
    let hpo_id = experiment(&hpo_experiment)?;
    let space = search_space();
    let dims: Vec<Dim> = space.iter().map(|(_, s)| s.dim()).collect();
    let tpe = Tpe::default();
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut history: Vec<Observation> = Vec::new();
    let mut trials = Vec::with_capacity(options.trials);
    for i in 0..options.trials {
        progress.set_message(format!("hpo.py: trial {}/{}", i + 1, options.trials));
        let point: Vec<f64> = if i < options.startup_trials {
            dims.iter().map(|d| d.sample(&mut rng)).collect()
        } else {
            tpe.suggest(&dims, &history, &mut rng)
        };
        let params = forest_at(&point);
        let trial = with_run(client, &hpo_id, source_tags("hpo.py"), |run| {
            let (_, _, parts) = fit(&table, &split, params, 42)?;
            let logged: Vec<KeyValue> = hpo_params(params)
                .into_iter()
                .map(|(k, v)| KeyValue::new(k, v))
                .collect();
            client
                .log_batch(
                    &run.run_id,
                    &[Metric::new("rmse", parts[0].rmse, now_ms(), 0)],
                    &logged,
                    &[KeyValue::new("model", "random-forest")],
                )
                .map_err(at("logging a hyperopt trial"))?;
            Ok(ForestRun {
                run_id: run.run_id.clone(),
                params,
                val_rmse: parts[0].rmse,
                test_rmse: None,
            })
        })?;
        history.push(Observation {
            point,
            loss: trial.val_rmse,
        });
        trials.push(trial);
    }

    // register_model.py: the top runs by `rmse` re-trained with autologging, their test RMSE
    // logged, and the model of the lowest test RMSE registered.
    let best_experiment = name(BEST_EXPERIMENT);
    let best_id = experiment(&best_experiment)?;
    let mut ranked = trials.clone();
    ranked.sort_by(|a, b| a.val_rmse.total_cmp(&b.val_rmse));
    let mut best_models = Vec::new();
    let mut model_ids = Vec::new();
    for (i, top) in ranked.iter().take(options.top_n).enumerate() {
        progress.set_message(format!(
            "register_model.py: re-training {}/{}",
            i + 1,
            options.top_n.min(ranked.len())
        ));
        let (retrained, model_id) =
            with_run(client, &best_id, source_tags("register_model.py"), |run| {
                let (model, train, parts) = fit(&table, &split, top.params, 42)?;
                let (params, tags, mut metrics) = autolog_record(top.params, 42, train);
                metrics.push(Metric::new("val_rmse", parts[0].rmse, now_ms(), 0));
                metrics.push(Metric::new("test_rmse", parts[1].rmse, now_ms(), 0));
                client
                    .log_batch(&run.run_id, &metrics, &params, &tags)
                    .map_err(at("logging a re-trained run"))?;
                let (files, mlmodel) = model_files(&model, &table, &split);
                let model_id = log::log_model(client, run, &params, files, mlmodel)?;
                Ok((
                    ForestRun {
                        run_id: run.run_id.clone(),
                        params: top.params,
                        val_rmse: parts[0].rmse,
                        test_rmse: Some(parts[1].rmse),
                    },
                    model_id,
                ))
            })?;
        best_models.push(retrained);
        model_ids.push(model_id);
    }
    // The earliest of equal test RMSEs, as `order_by=["metrics.test_rmse ASC"]` would keep.
    let best = (0..best_models.len())
        .min_by(|&a, &b| {
            let rmse = |i: usize| best_models[i].test_rmse.unwrap_or(f64::INFINITY);
            rmse(a).total_cmp(&rmse(b))
        })
        .ok_or_else(|| ExperimentError::Train("no trials to re-train (top_n is 0)".into()))?;
    progress.set_message("registering the best model");
    let model_name = name(MODEL_NAME);
    let (registered_name, version, _) = log::register(
        client,
        &super::config::RegisterConfig {
            name: model_name,
            alias: None,
        },
        &best_models[best].run_id,
        &model_ids[best],
        format!(
            "Random forest with the lowest test RMSE ({:.4}) of the re-trained hyperopt runs \
             (MLOps Zoomcamp week 2, on the diabetes data)",
            best_models[best].test_rmse.unwrap_or(f64::NAN)
        ),
    )?;
    Ok(ZoomcampSummary {
        rows: (split.train.len(), split.val.len(), split.test.len()),
        autolog,
        hpo_experiment,
        trials,
        best_experiment,
        registered: (registered_name, version, best_models[best].run_id.clone()),
        best_models,
    })
}

/// The params hpo.py logs for a trial (`mlflow.log_params(params)` of its search space).
fn hpo_params(p: RandomForestParams) -> Vec<(String, String)> {
    vec![
        ("max_depth".into(), crate::train::py_option(p.max_depth)),
        ("n_estimators".into(), p.n_estimators.to_string()),
        ("min_samples_split".into(), p.min_samples_split.to_string()),
        ("min_samples_leaf".into(), p.min_samples_leaf.to_string()),
        ("random_state".into(), "42".into()),
    ]
}

/// What `harness run zoomcamp-hw2` prints.
///
/// # Errors
/// When `out` cannot be written.
pub fn render(s: &ZoomcampSummary, out: &mut dyn Write) -> std::io::Result<()> {
    let (train, val, test) = s.rows;
    writeln!(
        out,
        "MLOps Zoomcamp week 2 (experiment tracking and the model registry), reproduced by harness"
    )?;
    writeln!(
        out,
        "Data: scikit-learn's diabetes data (442 patients, target: disease progression) in place \
         of the NYC taxi trips, which cannot be fetched here: {train} train / {val} validation / \
         {test} test rows"
    )?;
    writeln!(
        out,
        "train.py: autologged RandomForestRegressor(max_depth=10, random_state=0), run {}: \
         validation RMSE {:.4}",
        s.autolog.run_id, s.autolog.val_rmse
    )?;
    writeln!(
        out,
        "hpo.py: {} trials in `{}` (TPE), validation RMSE logged as `rmse`:",
        s.trials.len(),
        s.hpo_experiment
    )?;
    writeln!(
        out,
        "  max_depth  n_estimators  min_samples_split  min_samples_leaf      rmse"
    )?;
    let mut sorted = s.trials.clone();
    sorted.sort_by(|a, b| a.val_rmse.total_cmp(&b.val_rmse));
    for t in &sorted {
        let p = t.params;
        writeln!(
            out,
            "  {:>9}  {:>12}  {:>17}  {:>16}  {:>8.4}",
            crate::train::py_option(p.max_depth),
            p.n_estimators,
            p.min_samples_split,
            p.min_samples_leaf,
            t.val_rmse
        )?;
    }
    writeln!(
        out,
        "register_model.py: the top {} re-trained in `{}`:",
        s.best_models.len(),
        s.best_experiment
    )?;
    for b in &s.best_models {
        writeln!(
            out,
            "  run {}  val_rmse {:.4}  test_rmse {:.4}",
            b.run_id,
            b.val_rmse,
            b.test_rmse.unwrap_or(f64::NAN)
        )?;
    }
    let (name, version, run_id) = &s.registered;
    writeln!(
        out,
        "Registered `{name}` version {version} from run {run_id} (the lowest test_rmse)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_space_makes_valid_forests_at_its_ends() {
        let dims: Vec<Dim> = search_space().iter().map(|(_, s)| s.dim()).collect();
        let low: Vec<f64> = dims
            .iter()
            .map(|d| match d {
                Dim::Real { low, .. } => *low,
                Dim::Categorical(_) => 0.0,
            })
            .collect();
        let p = forest_at(&low);
        assert_eq!(
            (
                p.max_depth,
                p.n_estimators,
                p.min_samples_split,
                p.min_samples_leaf
            ),
            (Some(1), 10, 2, 1)
        );
        assert_eq!(p.max_features, crate::train::MaxFeatures::All);
        let params: std::collections::BTreeMap<_, _> = hpo_params(p).into_iter().collect();
        assert_eq!(params["max_depth"], "1");
        assert_eq!(params["random_state"], "42");
    }

    #[test]
    fn the_split_is_sixty_twenty_twenty_and_reproducible() {
        let (table, split) = data(42).unwrap();
        assert_eq!(table.n_rows(), 442);
        assert_eq!(
            (split.train.len(), split.val.len(), split.test.len()),
            (264, 89, 89)
        );
        assert_eq!(data(42).unwrap().1, split);
    }
}
