//! What a hand-in shows besides its MLflow store: its code (as facts), what it printed, the
//! tables in that output and its images, read once per submission through [`crate::handin`].
//! Pure data for the checks; nothing here grades.

use std::path::{Path, PathBuf};

use crate::handin::{HandIn, Inventory, Notebook, PythonFacts, Table, find_tables};

/// The parts of a hand-in the hand-in checks look at.
#[derive(Debug, Clone, Default)]
pub struct HandInEvidence {
    pub inventory: Inventory,
    /// Every notebook that could be read, with its path in the hand-in.
    pub notebooks: Vec<(String, Notebook)>,
    /// Facts from all notebooks' code cells and all scripts, in file order.
    pub code: PythonFacts,
    /// Everything printed: notebook outputs, then text captures (`output.txt`, `*.log`).
    pub printed: String,
    /// Tables found in what was printed (HTML tables of notebook outputs included).
    pub tables: Vec<Table>,
    /// Images: files plus images embedded in notebook outputs and attachments.
    pub images: Vec<String>,
    /// For the TA: error outputs, out-of-order or never-run notebooks, secrets in code,
    /// hard-coded absolute paths, files that could not be read.
    pub hygiene: Vec<String>,
}

impl HandInEvidence {
    /// Reads the hand-in at `root`; what cannot be read becomes a hygiene note.
    pub fn read(root: &Path) -> HandInEvidence {
        let mut e = HandInEvidence::default();
        let hand_in = match HandIn::new(root) {
            Ok(h) => h,
            Err(err) => {
                e.hygiene.push(err.to_string());
                return e;
            }
        };
        match hand_in.inventory() {
            Ok(inv) => e.inventory = inv,
            Err(err) => e.hygiene.push(err.to_string()),
        }
        for n in &e.inventory.notes {
            e.hygiene.push(format!("{}: {}", n.path, n.reason));
        }
        let mut cells: Vec<String> = Vec::new();
        for f in &e.inventory.notebooks {
            match hand_in.read_notebook(&PathBuf::from(&f.path)) {
                Ok(nb) => e.notebooks.push((f.path.clone(), nb)),
                Err(err) => e.hygiene.push(err.to_string()),
            }
        }
        let mut scripts = Vec::new();
        for f in &e.inventory.scripts {
            match hand_in.read_text(Path::new(&f.path), crate::handin::Kind::Text) {
                Ok(text) => scripts.push(text),
                Err(err) => e.hygiene.push(err.to_string()),
            }
        }
        for (path, nb) in &e.notebooks {
            if !nb.was_executed() {
                e.hygiene.push(format!(
                    "{path}: never executed (no outputs, no execution counts)"
                ));
            }
            for o in nb.out_of_order().iter().take(3) {
                e.hygiene.push(format!(
                    "{path}: cell {} ran as [{}] after cell {} ran as [{}] (out of order)",
                    o.cell + 1,
                    o.count,
                    o.earlier_cell + 1,
                    o.earlier_count
                ));
            }
            for err in nb.errors().iter().take(5) {
                e.hygiene.push(format!(
                    "{path}: cell {} raised {}: {}",
                    err.cell + 1,
                    err.ename,
                    err.evalue.chars().take(160).collect::<String>()
                ));
            }
            e.printed.push_str(&nb.printed_text());
            e.printed.push('\n');
            e.tables.extend(nb.tables().into_iter().map(|(_, t)| t));
            for (i, cell) in nb.cells.iter().enumerate() {
                for o in &cell.outputs {
                    if let crate::handin::Output::Data(d) = o {
                        for img in &d.images {
                            e.images.push(format!(
                                "{path}: {} in the output of cell {}{}",
                                img.mime,
                                i + 1,
                                img.size
                                    .map(|s| format!(" ({}×{})", s.width, s.height))
                                    .unwrap_or_default()
                            ));
                        }
                    }
                }
                for a in &cell.attachments {
                    e.images
                        .push(format!("{path}: attachment {} of cell {}", a.name, i + 1));
                }
            }
            cells.extend(
                nb.cells
                    .iter()
                    .filter(|c| c.kind == crate::handin::CellKind::Code)
                    .map(|c| c.source.clone()),
            );
        }
        let code_cells = cells
            .iter()
            .map(String::as_str)
            .chain(scripts.iter().map(String::as_str))
            .enumerate();
        e.code = PythonFacts::from_cells(code_cells);
        for f in &e.inventory.captures {
            match hand_in.read_text(Path::new(&f.path), crate::handin::Kind::Text) {
                Ok(text) => {
                    e.tables.extend(find_tables(&text));
                    e.printed.push_str(&text);
                    e.printed.push('\n');
                }
                Err(err) => e.hygiene.push(err.to_string()),
            }
        }
        // Tables printed as text by notebooks are in `nb.tables()` already; captures added above.
        for img in &e.inventory.images {
            e.images.push(match img.size {
                Some(s) => format!("{} ({}×{})", img.file.path, s.width, s.height),
                None => format!("{} (not a readable image)", img.file.path),
            });
        }
        for s in &e.code.secrets {
            e.hygiene.push(format!(
                "a credential in the code ({:?}{}) at {}; it is not shown here",
                s.kind,
                s.name
                    .as_deref()
                    .map(|n| format!(", `{n}`"))
                    .unwrap_or_default(),
                location(&s.loc)
            ));
        }
        for p in e.code.absolute_paths.iter().take(5) {
            e.hygiene.push(format!(
                "a hard-coded absolute path `{}` at {}",
                p.path,
                location(&p.loc)
            ));
        }
        e
    }

    /// The first printed table of predictions next to actual values with `rows` rows (any
    /// number when `None`): cell texts, in printed order.
    pub(crate) fn printed_predictions(
        &self,
        rows: Option<usize>,
    ) -> Option<Vec<PrintedPrediction>> {
        let column = |t: &Table, want: &dyn Fn(&str) -> bool| {
            t.header.iter().position(|h| want(&h.to_lowercase()))
        };
        self.tables.iter().find_map(|t| {
            let p = column(t, &|h| h.contains("pred"))?;
            let a = column(t, &|h| {
                !h.contains("pred")
                    && ["actual", "true", "label", "target", "expected", "y_test"]
                        .iter()
                        .any(|w| h.contains(w))
            })?;
            let c = column(t, &|h| {
                ["conf", "prob", "softmax"].iter().any(|w| h.contains(w))
            });
            if rows.is_some_and(|n| t.rows.len() != n) {
                return None;
            }
            let cell = |r: &Vec<String>, i: usize| r.get(i).map(|v| v.trim().to_string());
            Some(
                t.rows
                    .iter()
                    .filter_map(|r| {
                        Some(PrintedPrediction {
                            predicted: cell(r, p)?,
                            actual: cell(r, a)?,
                            confidence: c.and_then(|c| cell(r, c)),
                        })
                    })
                    .collect(),
            )
        })
    }

    /// True when the hand-in holds nothing but (perhaps) a store.
    pub fn is_empty(&self) -> bool {
        self.notebooks.is_empty() && self.inventory.scripts.is_empty() && self.printed.is_empty()
    }
}

fn location(loc: &crate::handin::Loc) -> String {
    match loc.cell {
        Some(c) => format!("code cell {}, line {}", c + 1, loc.line),
        None => format!("line {}", loc.line),
    }
}

/// One row of a printed table of predictions, as printed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrintedPrediction {
    pub(crate) predicted: String,
    pub(crate) actual: String,
    /// The confidence column's cell, when the table has one.
    pub(crate) confidence: Option<String>,
}
