//! `harness run wine|all`: perform the tasks against a server and print what was done.

use std::io::Write;
use std::process::ExitCode;

use crate::error::Error;
use crate::progress::Progress;
use crate::reference::wine::{SKLEARN_TOLERANCE, WineSummary};
use crate::reference::{self, RunOptions, Task, TaskSummary};
use crate::server::{self, ServerTarget};

/// Connects to the server, runs each task and prints its tables. Progress goes to stderr.
pub fn run(
    tasks: &[Task],
    target: &ServerTarget,
    options: &RunOptions,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let progress = Progress::spinner(quiet);
    progress.set_message("connecting to MLflow");
    let server = server::connect(target, &progress);
    progress.finish();
    let server = server?;
    let client = server.client()?;
    for (i, &task) in tasks.iter().enumerate() {
        // A spinner per task, cleared before the task's tables are printed.
        let progress = Progress::spinner(quiet);
        let summary = reference::run_task(&client, task, options, &progress);
        progress.finish();
        let summary = summary.map_err(|source| Error::Run {
            task: task.name(),
            source,
        })?;
        if i > 0 {
            writeln!(out)?;
        }
        render(&summary, out)?;
    }
    if server.owns_server() && !quiet {
        eprintln!(
            "note: harness started MLflow at {} for this command and stops it now; the store \
             keeps the results (`harness mlflow up` serves it for the UI)",
            server.uri
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints one task's summary.
pub fn render(summary: &TaskSummary, out: &mut dyn Write) -> std::io::Result<()> {
    match summary {
        TaskSummary::Wine(s) => render_wine(s, out),
    }
}

/// Task 1 as the homework asks to show it: the version table, the champion, the aliases, then
/// the comparison with scikit-learn and the champion's predictions after loading it by alias.
pub fn render_wine(s: &WineSummary, out: &mut dyn Write) -> std::io::Result<()> {
    let p = &s.published;
    writeln!(
        out,
        "Task 1 — wine: experiment `{}` (id {}), registered model `{}` at {}",
        p.experiment, p.experiment_id, p.registered_model, p.tracking_uri
    )?;
    writeln!(
        out,
        "Data: wine 178 × 13 (sha256 {}), train_test_split(test_size={}, random_state={}) → {} train / {} test",
        s.data_sha256, s.test_size, s.seed, s.n_train, s.n_test
    )?;
    let c = &p.cleanup;
    if c.registered_model_deleted || !c.runs_deleted.is_empty() {
        writeln!(
            out,
            "--replace: deleted {}{} run(s) and {} logged model(s) of an earlier run",
            if c.registered_model_deleted {
                "the registered model, "
            } else {
                ""
            },
            c.runs_deleted.len(),
            c.logged_models_deleted
        )?;
    }
    writeln!(out)?;
    writeln!(out, "| Version | Algorithm | Accuracy | F1-Score |")?;
    writeln!(out, "|---------|-----------|----------|----------|")?;
    for v in &s.versions {
        writeln!(
            out,
            "| v{} | {} | {:.4} | {:.4} |",
            v.version, v.algorithm, v.accuracy, v.f1
        )?;
    }
    writeln!(out)?;
    if let Some(ch) = s.champion_result() {
        writeln!(
            out,
            "Champion Model: v{} {} (accuracy {:.4}, F1-Score {:.4})",
            ch.version, ch.algorithm, ch.accuracy, ch.f1
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Aliases ({}):", p.alias_rule)?;
    for (alias, version) in p.aliases.pairs() {
        let algorithm = s
            .versions
            .iter()
            .find(|v| v.version == version)
            .map(|v| v.algorithm.name())
            .unwrap_or("?");
        writeln!(out, "  @{alias:<8} → v{version} {algorithm}")?;
    }
    writeln!(out)?;
    match &s.sklearn_version {
        Some(version) => {
            writeln!(
                out,
                "Against scikit-learn {version} on the same split (median of random_state 0–4; tolerance ±{SKLEARN_TOLERANCE}):"
            )?;
            writeln!(
                out,
                "| Algorithm | harness | scikit-learn | Difference | Within |"
            )?;
            writeln!(
                out,
                "|-----------|---------|--------------|------------|--------|"
            )?;
            for v in &s.versions {
                if let Some(r) = &v.sklearn {
                    writeln!(
                        out,
                        "| {} | {:.4} | {:.4} | {:+.4} | {} |",
                        v.algorithm,
                        v.accuracy,
                        r.accuracy,
                        r.accuracy_diff,
                        if r.within_tolerance { "yes" } else { "NO" }
                    )?;
                }
            }
        }
        None => writeln!(
            out,
            "No scikit-learn reference for random_state={} test_size={} (the harness has them for 42/0.2, 0/0.2, 7/0.3, 2024/0.3)",
            s.seed, s.test_size
        )?,
    }
    writeln!(out)?;
    let ch = &s.champion;
    writeln!(
        out,
        "Champion loaded from {} (v{} {}, {}): {} test predictions",
        ch.uri,
        ch.version,
        ch.algorithm,
        ch.model_id,
        ch.predictions.len()
    )?;
    writeln!(out, "| Test row | Predicted | Actual | Correct |")?;
    writeln!(out, "|----------|-----------|--------|---------|")?;
    for pr in &ch.predictions {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            pr.row,
            pr.predicted_class,
            pr.actual_class,
            if pr.predicted == pr.actual {
                "yes"
            } else {
                "no"
            }
        )?;
    }
    writeln!(
        out,
        "The loaded champion's predictions equal the in-memory model's."
    )?;
    Ok(())
}
