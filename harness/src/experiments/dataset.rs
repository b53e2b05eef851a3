//! The data of an experiment as one table (wine, the embedded MNIST digits, or a CSV file with a
//! class column), split three ways with the validation part kept apart from the test part.

use std::collections::BTreeSet;
use std::path::Path;

use super::config::{DataConfig, DataSource};
use super::error::ExperimentError;
use crate::data::split::train_test_split;

/// A classification table: row-major features, class indices, and names.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    pub features: Vec<f64>,
    pub n_features: usize,
    pub targets: Vec<usize>,
    pub feature_names: Vec<String>,
    pub class_names: Vec<String>,
    /// sha256 (hex) of the source, recorded with the model.
    pub digest: String,
    /// MNIST pixels are scaled to [0, 1] already; recorded in the model's flavor.
    pub input_scale: &'static str,
}

/// Row indices of the three parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreeWaySplit {
    pub train: Vec<usize>,
    pub val: Vec<usize>,
    pub test: Vec<usize>,
}

impl Table {
    pub fn n_rows(&self) -> usize {
        self.targets.len()
    }

    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.features[i * self.n_features..(i + 1) * self.n_features]
    }

    /// The rows `indices` as a row-major matrix and their classes.
    pub fn select(&self, indices: &[usize]) -> (Vec<f64>, Vec<usize>) {
        let mut x = Vec::with_capacity(indices.len() * self.n_features);
        for &i in indices {
            x.extend_from_slice(self.row(i));
        }
        (x, indices.iter().map(|&i| self.targets[i]).collect())
    }
}

/// Loads the dataset `source` names.
///
/// # Errors
/// [`ExperimentError::Data`] with the file and what is wrong.
pub fn load(source: &DataSource) -> Result<Table, ExperimentError> {
    match source {
        DataSource::Wine => {
            let d = crate::data::wine::load().map_err(|e| ExperimentError::Data(e.to_string()))?;
            Ok(Table {
                name: "wine".into(),
                n_features: d.n_features,
                targets: d.targets.clone(),
                feature_names: d.feature_names.clone(),
                class_names: d.class_names.clone(),
                digest: d.digest().to_owned(),
                input_scale: "none",
                features: d.features,
            })
        }
        DataSource::Mnist => {
            let m = crate::data::mnist::load_embedded()
                .map_err(|e| ExperimentError::Data(e.to_string()))?;
            let n_features = m.n_features();
            Ok(Table {
                name: "mnist".into(),
                features: m.features(None).into_iter().map(f64::from).collect(),
                n_features,
                targets: m.labels.iter().map(|&l| usize::from(l)).collect(),
                feature_names: (0..n_features).map(|i| format!("pixel_{i}")).collect(),
                class_names: (0..m.n_classes()).map(|c| c.to_string()).collect(),
                digest: m.digest(),
                input_scale: "1/255",
            })
        }
        DataSource::Csv { path, target } => read_csv(path, target),
    }
}

/// A CSV file with a header line; every column but `target` must be numeric. Classes are the
/// distinct target values, sorted (numerically when they all are numbers).
fn read_csv(path: &Path, target: &str) -> Result<Table, ExperimentError> {
    // Generous for a course's tabular data, yet bounded.
    const MAX_BYTES: u64 = 512 * 1024 * 1024;
    let bad = |m: String| ExperimentError::Data(format!("{}: {m}", path.display()));
    let len = std::fs::metadata(path)
        .map_err(|e| bad(format!("cannot read: {e}")))?
        .len();
    if len > MAX_BYTES {
        return Err(bad(format!(
            "{len} bytes is more than the {MAX_BYTES} read"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad("not UTF-8 text".into()))?;
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| bad("the file is empty".into()))?;
    let columns: Vec<String> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_owned())
        .collect();
    let target_col = columns.iter().position(|c| c == target).ok_or_else(|| {
        bad(format!(
            "no column `{target}` (columns: {})",
            columns.join(", ")
        ))
    })?;
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for (line_no, line) in lines {
        let cells: Vec<&str> = line
            .split(',')
            .map(|c| c.trim().trim_matches('"'))
            .collect();
        if cells.len() != columns.len() {
            return Err(bad(format!(
                "line {line_no}: {} fields, the header has {}",
                cells.len(),
                columns.len()
            )));
        }
        for (col, cell) in cells.iter().enumerate() {
            if col == target_col {
                labels.push((*cell).to_owned());
                continue;
            }
            let value: f64 = cell.parse().map_err(|_| {
                bad(format!(
                    "line {line_no}, column `{}`: `{cell}` is not a number",
                    columns[col]
                ))
            })?;
            if !value.is_finite() {
                return Err(bad(format!(
                    "line {line_no}, column `{}`: `{cell}` is not finite",
                    columns[col]
                )));
            }
            features.push(value);
        }
    }
    if labels.len() < 3 {
        return Err(bad(format!(
            "{} data rows: too few to split three ways",
            labels.len()
        )));
    }
    let distinct: BTreeSet<&str> = labels.iter().map(String::as_str).collect();
    let mut class_names: Vec<String> = distinct.into_iter().map(str::to_owned).collect();
    if class_names.iter().all(|c| c.parse::<f64>().is_ok()) {
        class_names.sort_by(|a, b| {
            a.parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
        });
    }
    if class_names.len() < 2 {
        return Err(bad(format!("column `{target}` has a single class")));
    }
    let targets = labels
        .iter()
        .map(|l| class_names.iter().position(|c| c == l).unwrap_or(0))
        .collect();
    Ok(Table {
        name: path
            .file_stem()
            .map_or_else(|| "csv".into(), |s| s.to_string_lossy().into_owned()),
        features,
        n_features: columns.len() - 1,
        targets,
        feature_names: columns
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != target_col)
            .map(|(_, c)| c.clone())
            .collect(),
        class_names,
        digest: crate::data::sha256_hex(&bytes),
        input_scale: "none",
    })
}

/// Train / validation / test rows: `test_split` is taken first with scikit-learn's
/// `train_test_split`, then the validation part from what is left (`val / (train + val)`), the
/// usual two-step split of the course's notebooks, so a Python user can reproduce the rows.
///
/// # Errors
/// [`ExperimentError::Data`] when a part would be empty.
pub fn split(
    n_rows: usize,
    data: &DataConfig,
    seed: u32,
) -> Result<ThreeWaySplit, ExperimentError> {
    let err = |e: crate::data::split::SplitError| ExperimentError::Data(format!("split: {e}"));
    let first = train_test_split(n_rows, data.test_split, seed).map_err(err)?;
    let val_share = data.val_split / (data.train_split + data.val_split);
    let second = train_test_split(first.train.len(), val_share, seed).map_err(err)?;
    let pick = |idx: &[usize]| idx.iter().map(|&i| first.train[i]).collect::<Vec<_>>();
    Ok(ThreeWaySplit {
        train: pick(&second.train),
        val: pick(&second.test),
        test: first.test,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(train: f64, val: f64, test: f64) -> DataConfig {
        DataConfig {
            dataset: "wine".into(),
            target: None,
            train_split: train,
            val_split: val,
            test_split: test,
            seed: None,
        }
    }

    #[test]
    fn three_parts_cover_every_row_once() {
        let s = split(178, &data(0.7, 0.15, 0.15), 42).unwrap();
        assert_eq!(s.test.len(), 27); // ceil(0.15 · 178)
        assert_eq!(s.train.len() + s.val.len() + s.test.len(), 178);
        let mut all: Vec<usize> = s
            .train
            .iter()
            .chain(&s.val)
            .chain(&s.test)
            .copied()
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..178).collect::<Vec<_>>());
        assert_eq!(s, split(178, &data(0.7, 0.15, 0.15), 42).unwrap());
        assert_ne!(s, split(178, &data(0.7, 0.15, 0.15), 43).unwrap());
    }

    #[test]
    fn a_csv_with_named_classes_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iris.csv");
        std::fs::write(
            &path,
            "a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n7,8,versicolor\n",
        )
        .unwrap();
        let t = read_csv(&path, "species").unwrap();
        assert_eq!(t.class_names, ["setosa", "versicolor", "virginica"]);
        assert_eq!(t.targets, [0, 2, 0, 1]);
        assert_eq!(t.feature_names, ["a", "b"]);
        assert_eq!(t.row(3), [7.0, 8.0]);
        let e = read_csv(&path, "kind").unwrap_err().to_string();
        assert!(e.contains("no column `kind`"), "{e}");
        std::fs::write(&path, "a,y\n1,0\nx,1\n2,1\n").unwrap();
        let e = read_csv(&path, "y").unwrap_err().to_string();
        assert!(
            e.contains("line 3") && e.contains("`x` is not a number"),
            "{e}"
        );
    }
}
