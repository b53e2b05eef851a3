//! The imports of `harness/src` point one way: down the layers the crate docs describe. This test
//! reads every `crate::…` path outside test modules and fails on any that points up or sideways,
//! so a circle between modules cannot come back unnoticed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules of `harness/src`, top layer first. A module may use modules of lower layers
/// only; modules on one layer are siblings that do not know each other.
const LAYERS: &[&[&str]] = &[
    &["lib"],
    &["commands"],
    &["settings"],
    &["cli", "error"],
    &["report"],
    // The exercises' reference runs are made of experiment runs and sweeps.
    &["exercise"],
    // Experiments reuse the reference runs' MLmodel writing and interrupt handling as they are.
    &["experiments"],
    &["grading", "reference", "serve"],
    // The MLmodel file: written by the reference runs, read by serve; names the ONNX flavor.
    &["model"],
    &["task", "source", "onnx"],
    &["server", "train", "nn"],
    &["snapshot", "mlflow", "data"],
    &["progress", "version", "handin"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`grading/checks/runs.rs` → `grading`).
fn module_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Source without comments, string literals and `#[cfg(test)]` modules: only code that ships.
fn shipped_code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every top-level module named by a `crate::` path, grouped imports (`crate::{a, b::c}`) too.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `harness_crate::` and the like
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut piece = String::new();
            let mut pieces = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        pieces.push(std::mem::take(&mut piece));
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                piece.push(c);
            }
            pieces.push(piece);
            for piece in pieces {
                let name: String = piece
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != "self" {
                    found.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

/// (from module, to module) → the files that make the arrow.
fn arrows() -> BTreeMap<(String, String), Vec<String>> {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut arrows: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&root).unwrap().to_path_buf();
        if rel == Path::new("main.rs") {
            continue; // the binary: it sees the library from outside
        }
        let from = module_of(&rel);
        let code = shipped_code(&std::fs::read_to_string(&file).unwrap());
        for to in crate_paths(&code) {
            if to != from {
                arrows
                    .entry((from.clone(), to))
                    .or_default()
                    .push(rel.display().to_string());
            }
        }
    }
    arrows
}

#[test]
fn every_import_points_down_the_layers() {
    let mut wrong = Vec::new();
    for ((from, to), files) in arrows() {
        let (Some(f), Some(t)) = (layer_of(&from), layer_of(&to)) else {
            wrong.push(format!(
                "`{from}` → `{to}`: module missing from LAYERS ({})",
                files.join(", ")
            ));
            continue;
        };
        if t <= f {
            let how = if t == f { "sideways" } else { "up" };
            wrong.push(format!(
                "`{from}` → `{to}` points {how} (in {})",
                files.join(", ")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn every_module_has_a_layer() {
    let root = src_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(&root).unwrap()))
        .filter(|m| m != "main")
        .collect();
    let missing: Vec<&String> = modules.iter().filter(|m| layer_of(m).is_none()).collect();
    assert!(missing.is_empty(), "modules with no layer: {missing:?}");
}

#[test]
fn the_reader_sees_grouped_and_plain_paths() {
    let code = shipped_code(
        "use crate::{grading::points::Grade, report};\n// crate::nn in a comment\nlet s = \"crate::data\";\nx = crate::mlflow::now_ms();",
    );
    assert_eq!(
        crate_paths(&code),
        BTreeSet::from(["grading".into(), "mlflow".into(), "report".into()])
    );
}
