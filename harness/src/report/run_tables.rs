//! The tables `harness run` prints for each task, as the homework asks to show them.

use std::io::Write;

use crate::reference::mnist::MnistSummary;
use crate::reference::wine::{SKLEARN_TOLERANCE, WineSummary};
use crate::reference::{self, TaskSummary};

/// Prints one task's summary.
pub(crate) fn render(summary: &TaskSummary, out: &mut dyn Write) -> std::io::Result<()> {
    match summary {
        TaskSummary::Wine(s) => render_wine(s, out),
        TaskSummary::Mnist(s) => render_mnist(s, out),
    }
}

/// Task 2 as the homework asks to show it: the version table, the Metric × Version comparison,
/// the champion and aliases, then the champion's 20 predictions after loading it by alias.
pub(crate) fn render_mnist(s: &MnistSummary, out: &mut dyn Write) -> std::io::Result<()> {
    let p = &s.published;
    writeln!(
        out,
        "Task 2 — mnist: experiment `{}` (id {}), registered model `{}` at {}",
        p.experiment, p.experiment_id, p.registered_model, p.tracking_uri
    )?;
    let d = &s.data;
    writeln!(
        out,
        "Data: MNIST {} ({} images {}x{}, {} classes, sha256 {}), pixels / 255 (normalization none), \
         train_test_split(test_size={}, random_state={}) → {} train / {} test",
        d.source,
        d.samples,
        d.image_shape[0],
        d.image_shape[1],
        d.num_classes,
        d.sha256,
        s.test_size,
        s.seed,
        d.n_train,
        d.n_test
    )?;
    writeln!(
        out,
        "Training: profile `{}`, device {}, {}",
        s.profile, s.device, s.framework
    )?;
    write_cleanup(&p.cleanup, out)?;
    writeln!(out)?;
    writeln!(
        out,
        "| Version | Architecture | Accuracy | Loss | Parameters | Training Time |"
    )?;
    writeln!(
        out,
        "|---------|--------------|----------|------|------------|---------------|"
    )?;
    for v in &s.versions {
        writeln!(
            out,
            "| v{} | {} ({}) | {:.4} | {:.4} | {} | {:.1} s |",
            v.version,
            v.model_type,
            v.architecture,
            v.final_test_accuracy,
            v.final_test_loss,
            v.n_parameters,
            v.training_time_s
        )?;
    }
    writeln!(out)?;
    let header: Vec<String> = s
        .versions
        .iter()
        .map(|v| format!("v{}", v.version))
        .collect();
    writeln!(out, "| Metric | {} |", header.join(" | "))?;
    writeln!(
        out,
        "|--------|{}",
        header.iter().map(|_| "------|").collect::<String>()
    )?;
    type Cell = fn(&reference::mnist::MnistVersionResult) -> String;
    let rows: [(&str, Cell); 6] = [
        ("Accuracy", |v| format!("{:.4}", v.final_test_accuracy)),
        ("Loss", |v| format!("{:.4}", v.final_test_loss)),
        ("Parameters", |v| v.n_parameters.to_string()),
        ("Training time (s)", |v| format!("{:.1}", v.training_time_s)),
        ("Model size (MB)", |v| format!("{:.3}", v.model_size_mb)),
        ("Epochs", |v| v.epochs.to_string()),
    ];
    for (name, cell) in rows {
        let cells: Vec<String> = s.versions.iter().map(cell).collect();
        writeln!(out, "| {name} | {} |", cells.join(" | "))?;
    }
    writeln!(out)?;
    if let Some(ch) = s.champion_result() {
        writeln!(
            out,
            "Champion Model: v{} {} {} (accuracy {:.4}, loss {:.4})",
            ch.version, ch.model_type, ch.architecture, ch.final_test_accuracy, ch.final_test_loss
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Aliases ({}):", p.alias_rule)?;
    for (alias, version) in p.aliases.pairs() {
        let name = s
            .versions
            .iter()
            .find(|v| v.version == version)
            .map(|v| v.model_type.as_str())
            .unwrap_or("?");
        writeln!(out, "  @{alias:<8} → v{version} {name}")?;
    }
    writeln!(out)?;
    let ch = &s.champion;
    writeln!(
        out,
        "Champion loaded from {} (v{} {}, {}): {} test predictions",
        ch.uri,
        ch.version,
        ch.architecture,
        ch.model_id,
        ch.predictions.len()
    )?;
    writeln!(
        out,
        "| # | Test image | Predicted | Actual | Confidence | Correct |"
    )?;
    writeln!(
        out,
        "|---|------------|-----------|--------|------------|---------|"
    )?;
    for (k, pr) in ch.predictions.iter().enumerate() {
        writeln!(
            out,
            "| {} | {} | {} | {} | {:.4} | {} |",
            k + 1,
            pr.row,
            pr.predicted,
            pr.actual,
            pr.confidence,
            if pr.predicted == pr.actual {
                "yes"
            } else {
                "no"
            }
        )?;
    }
    let correct = ch
        .predictions
        .iter()
        .filter(|p| p.predicted == p.actual)
        .count();
    writeln!(
        out,
        "{correct}/{} of these correct. Test accuracy of the loaded champion on all {} test images: \
         {:.4} (loss {:.4}), equal to the logged final_test_accuracy.",
        ch.predictions.len(),
        ch.n_test,
        ch.test_accuracy,
        ch.test_loss
    )?;
    Ok(())
}

/// Task 1 as the homework asks to show it: the version table, the champion, the aliases, then
/// the comparison with scikit-learn and the champion's predictions after loading it by alias.
pub(crate) fn render_wine(s: &WineSummary, out: &mut dyn Write) -> std::io::Result<()> {
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
    write_cleanup(&p.cleanup, out)?;
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

/// What `--replace` removed, when it removed anything.
fn write_cleanup(
    c: &crate::reference::publish::Cleanup,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if c.registered_model_deleted || !c.runs_deleted.is_empty() {
        let rm = if c.registered_model_deleted {
            "the registered model, "
        } else {
            ""
        };
        writeln!(
            out,
            "--replace: deleted {rm}{} run(s) and {} logged model(s) of an earlier run",
            c.runs_deleted.len(),
            c.logged_models_deleted
        )?;
    }
    Ok(())
}
