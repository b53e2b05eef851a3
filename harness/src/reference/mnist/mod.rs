//! Task 2 of the homework, done the way a perfect submission does it: train the three MNIST
//! networks of `tasks/mnist.toml`, log every epoch, register them through [`super::publish`],
//! then load the champion back by alias, predict with softmax confidence and check that its
//! accuracy on the test split equals the logged `final_test_accuracy`.
//!
//! This file is the run; beside it are `spec` (what the task file asks for), `data` (the split
//! pool), `training` (one network in its run), `publication` (what each version logs),
//! `champion` (the reload check) and `summary` (what the run reports).

mod champion;
mod data;
mod publication;
mod spec;
mod summary;
mod training;

use crate::mlflow::MlflowClient;
use crate::progress::Progress;

use super::error::RunError;

use super::publish::{OpenRun, check_run_names, publish};

pub use spec::{DEFAULT_PROFILE, MnistRunSpec, MnistVersionSpec};
pub use summary::{DigitPrediction, MnistChampion, MnistData, MnistSummary, MnistVersionResult};

use champion::check_champion;
use publication::{draft, registry_plan};
use training::train_version;

/// Runs task 2 against `client`'s server and returns what it did.
///
/// # Errors
/// [`RunError::AlreadyExists`] when the registered model or the runs exist and `replace` is
/// false; any data, training, MLflow or verification failure, with its step.
pub fn run(
    client: &MlflowClient,
    spec: &MnistRunSpec,
    replace: bool,
    progress: &Progress,
) -> Result<MnistSummary, RunError> {
    check_spec(spec)?;
    progress.set_message("loading MNIST");
    let data = data::load(spec)?;
    let framework = spec.framework();
    let git_commit = crate::server::git::git_commit();
    let plan = registry_plan(spec, &data.info, &framework, git_commit.as_deref());

    let mut results: Vec<MnistVersionResult> = Vec::with_capacity(spec.versions.len());
    let published = publish(client, &plan, replace, progress, |open: &OpenRun<'_>| {
        let (result, model) = train_version(spec, open, &data, progress)?;
        let v = &spec.versions[open.index];
        let draft = draft(spec, v, &data.info, &data.train_x, &model, &result)?;
        results.push(result);
        Ok(draft)
    })?;

    progress.set_message("loading the champion by alias");
    let champion = check_champion(client, spec, &published, &data.test)?;
    Ok(MnistSummary {
        profile: spec.profile.clone(),
        seed: spec.seed,
        test_size: spec.test_size,
        device: spec.device.to_string(),
        engine: spec.resolved_engine(),
        framework,
        data: data.info,
        git_commit,
        versions: results,
        champion,
        published,
    })
}

fn check_spec(spec: &MnistRunSpec) -> Result<(), RunError> {
    check_run_names(spec.versions.iter().map(|v| v.run_name.as_str()))?;
    for v in &spec.versions {
        if v.epochs == 0 {
            return Err(RunError::Spec(format!(
                "`{}` trains 0 epochs under profile `{}`",
                v.key, spec.profile
            )));
        }
        v.config(spec)
            .validate()
            .map_err(|e| RunError::Spec(format!("`{}`: {e}", v.key)))?;
    }
    if spec.predict_samples == 0 {
        return Err(RunError::Spec(
            "`predict_samples` must be at least 1".into(),
        ));
    }
    if spec.max_train_samples == Some(0) {
        return Err(RunError::Spec(
            "`max_train_samples` must be at least 1".into(),
        ));
    }
    Ok(())
}
