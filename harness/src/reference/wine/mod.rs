//! Task 1 of the homework, done the way a perfect submission does it: train the three wine
//! models, log and register them through [`super::publish`], then load the champion back by
//! alias and check it predicts what the model in memory predicts.
//!
//! This file is the run; beside it are `spec` (what the task file asks for), `publication`
//! (what each version logs), `champion` (the reload check), `sklearn` (the comparison with
//! scikit-learn) and `summary` (what the run reports).

mod champion;
mod publication;
mod sklearn;
mod spec;
mod summary;

use crate::data::split::train_test_split;
use crate::data::wine;
use crate::mlflow::MlflowClient;
use crate::progress::Progress;
use crate::train;

use super::error::RunError;

use super::publish::{OpenRun, check_run_names, publish};

pub(crate) use sklearn::SKLEARN_TOLERANCE;
pub use spec::{WineRunSpec, WineVersionSpec};
pub use summary::{ChampionCheck, Prediction, WineSummary, WineVersionResult};

use champion::check_champion;
use publication::{draft, registry_plan};
use sklearn::sklearn_reference;

/// Runs task 1 against `client`'s server and returns what it did.
///
/// # Errors
/// [`RunError::AlreadyExists`] when the registered model or the runs exist and `replace` is
/// false; any training, MLflow or verification failure, with its step.
pub fn run(
    client: &MlflowClient,
    spec: &WineRunSpec,
    replace: bool,
    progress: &Progress,
) -> Result<WineSummary, RunError> {
    check_spec(spec)?;
    let dataset = wine::load()?;
    let split = train_test_split(dataset.n_samples(), spec.test_size, spec.seed)?;
    let git_commit = crate::server::git::git_commit();
    let plan = registry_plan(spec, &dataset, &split, git_commit.as_deref());

    let mut trained: Vec<train::wine::TrainedModel> = Vec::with_capacity(spec.versions.len());
    let published = publish(client, &plan, replace, progress, |open: &OpenRun<'_>| {
        let vspec = &spec.versions[open.index];
        progress.set_message(format!("training {}", vspec.run_name));
        let t = train::wine::train_with(&vspec.model, &dataset, &split, u64::from(spec.seed))
            .map_err(|source| RunError::Train {
                what: vspec.run_name.clone(),
                source,
            })?;
        let draft = draft(spec, vspec, &dataset, &split, &t);
        trained.push(t);
        Ok(draft)
    })?;

    progress.set_message("loading the champion by alias");
    let champion = check_champion(client, spec, &published, &dataset, &trained)?;
    let reference = sklearn_reference(spec.seed, spec.test_size);
    let versions = published
        .versions
        .iter()
        .zip(&spec.versions)
        .map(|(p, v)| {
            let algorithm = v.model.algorithm();
            WineVersionResult {
                version: p.version,
                algorithm,
                run_name: p.run_name.clone(),
                accuracy: p.accuracy,
                f1: p.f1,
                sklearn: reference
                    .as_ref()
                    .and_then(|r| r.compare(algorithm, p.accuracy)),
            }
        })
        .collect();
    Ok(WineSummary {
        seed: spec.seed,
        test_size: spec.test_size,
        n_train: split.train.len(),
        n_test: split.test.len(),
        data_sha256: dataset.digest().to_owned(),
        git_commit,
        versions,
        sklearn_version: reference.map(|r| r.sklearn_version),
        champion,
        published,
    })
}

fn check_spec(spec: &WineRunSpec) -> Result<(), RunError> {
    check_run_names(spec.versions.iter().map(|v| v.run_name.as_str()))?;
    if spec.predict_samples == 0 {
        return Err(RunError::Spec(
            "`predict_samples` must be at least 1".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_spec_refuses_duplicate_run_names() {
        let mut s = WineRunSpec::default();
        s.versions[1].run_name = s.versions[0].run_name.clone();
        assert!(matches!(check_spec(&s), Err(RunError::Spec(_))));
    }
}
