//! The data of an experiment as one table (wine, the embedded MNIST digits, the diabetes
//! regression data, or a CSV file with a class or numeric target column), split three ways with
//! the validation part kept apart from the test part.

use std::collections::BTreeSet;
use std::path::Path;

use super::config::{DataConfig, DataSource, MAX_INFERRED_CLASSES, TaskKind};
use super::error::ExperimentError;
use crate::data::split::train_test_split;

/// A table: row-major features, and either class indices and class names (classification) or
/// one number per row (`values`, regression; `targets` and `class_names` then empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    pub features: Vec<f64>,
    pub n_features: usize,
    pub targets: Vec<usize>,
    /// Regression targets; `Some` makes this a regression table.
    pub values: Option<Vec<f64>>,
    /// The target column's name (regression).
    pub target_name: String,
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
        self.values.as_ref().map_or(self.targets.len(), Vec::len)
    }

    pub fn is_regression(&self) -> bool {
        self.values.is_some()
    }

    /// The rows `indices` as a row-major matrix and their regression targets (empty for a
    /// classification table).
    pub fn select_values(&self, indices: &[usize]) -> (Vec<f64>, Vec<f64>) {
        let mut x = Vec::with_capacity(indices.len() * self.n_features);
        for &i in indices {
            x.extend_from_slice(self.row(i));
        }
        let y = match &self.values {
            Some(v) => indices.iter().map(|&i| v[i]).collect(),
            None => Vec::new(),
        };
        (x, y)
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
        let y = if self.targets.is_empty() {
            Vec::new()
        } else {
            indices.iter().map(|&i| self.targets[i]).collect()
        };
        (x, y)
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
                values: None,
                target_name: "class".into(),
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
                values: None,
                target_name: "digit".into(),
                feature_names: (0..n_features).map(|i| format!("pixel_{i}")).collect(),
                class_names: (0..m.n_classes()).map(|c| c.to_string()).collect(),
                digest: m.digest(),
                input_scale: "1/255",
            })
        }
        DataSource::Diabetes => {
            let d =
                crate::data::diabetes::load().map_err(|e| ExperimentError::Data(e.to_string()))?;
            Ok(Table {
                name: "diabetes".into(),
                features: d.features,
                n_features: d.n_features,
                targets: Vec::new(),
                values: Some(d.targets),
                target_name: crate::data::diabetes::TARGET_NAME.into(),
                feature_names: d.feature_names,
                class_names: Vec::new(),
                digest: d.digest,
                input_scale: "none",
            })
        }
        DataSource::Csv { path, target, task } => read_csv(path, target, *task),
    }
}

/// Regression when asked, or (not asked) when every label is a finite number and one has a
/// fraction or there are more than [`MAX_INFERRED_CLASSES`] distinct labels.
fn infer_task(labels: &[String], asked: Option<TaskKind>) -> TaskKind {
    if let Some(task) = asked {
        return task;
    }
    let numbers: Option<Vec<f64>> = labels
        .iter()
        .map(|l| l.parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect();
    let Some(numbers) = numbers else {
        return TaskKind::Classification;
    };
    let distinct: BTreeSet<u64> = numbers.iter().map(|v| v.to_bits()).collect();
    if numbers.iter().any(|v| v.fract() != 0.0) || distinct.len() > MAX_INFERRED_CLASSES {
        TaskKind::Regression
    } else {
        TaskKind::Classification
    }
}

/// A CSV file with a header line; every column but `target` must be numeric. Classes are the
/// distinct target values, sorted (numerically when they all are numbers).
fn read_csv(path: &Path, target: &str, task: Option<TaskKind>) -> Result<Table, ExperimentError> {
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
    let name = path
        .file_stem()
        .map_or_else(|| "csv".into(), |s| s.to_string_lossy().into_owned());
    let feature_names: Vec<String> = columns
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != target_col)
        .map(|(_, c)| c.clone())
        .collect();
    if infer_task(&labels, task) == TaskKind::Regression {
        let mut values = Vec::with_capacity(labels.len());
        for (row, label) in labels.iter().enumerate() {
            let v = label
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    bad(format!(
                        "data row {}, column `{target}`: `{label}` is not a finite number, \
                         which a regression target must be",
                        row + 1
                    ))
                })?;
            values.push(v);
        }
        return Ok(Table {
            name,
            features,
            n_features: columns.len() - 1,
            targets: Vec::new(),
            values: Some(values),
            target_name: target.to_owned(),
            feature_names,
            class_names: Vec::new(),
            digest: crate::data::sha256_hex(&bytes),
            input_scale: "none",
        });
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
        name,
        features,
        n_features: columns.len() - 1,
        targets,
        values: None,
        target_name: target.to_owned(),
        feature_names,
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
            task: None,
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
        let t = read_csv(&path, "species", None).unwrap();
        assert!(!t.is_regression());
        assert_eq!(t.class_names, ["setosa", "versicolor", "virginica"]);
        assert_eq!(t.targets, [0, 2, 0, 1]);
        assert_eq!(t.feature_names, ["a", "b"]);
        assert_eq!(t.row(3), [7.0, 8.0]);
        let e = read_csv(&path, "kind", None).unwrap_err().to_string();
        assert!(e.contains("no column `kind`"), "{e}");
        std::fs::write(&path, "a,y\n1,0\nx,1\n2,1\n").unwrap();
        let e = read_csv(&path, "y", None).unwrap_err().to_string();
        assert!(
            e.contains("line 3") && e.contains("`x` is not a number"),
            "{e}"
        );
    }

    #[test]
    fn a_numeric_target_is_regression_when_inferred_or_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prices.csv");
        std::fs::write(&path, "a,price\n1,2.5\n2,3\n3,7.25\n").unwrap();
        let t = read_csv(&path, "price", None).unwrap();
        assert_eq!(t.values.as_deref(), Some(&[2.5, 3.0, 7.25][..]));
        assert_eq!((t.n_rows(), t.target_name.as_str()), (3, "price"));
        assert_eq!(t.select_values(&[2]), (vec![3.0], vec![7.25]));
        // Few whole numbers read as classes, unless the config says regression.
        std::fs::write(&path, "a,price\n1,2\n2,3\n3,2\n").unwrap();
        assert!(!read_csv(&path, "price", None).unwrap().is_regression());
        let t = read_csv(&path, "price", Some(TaskKind::Regression)).unwrap();
        assert_eq!(t.values.as_deref(), Some(&[2.0, 3.0, 2.0][..]));
        // Many distinct whole numbers (the diabetes target's kind) are a quantity.
        let rows: String = (0..30).map(|i| format!("{i},{}\n", i * 7)).collect();
        std::fs::write(&path, format!("a,price\n{rows}")).unwrap();
        assert!(read_csv(&path, "price", None).unwrap().is_regression());
        std::fs::write(&path, "a,price\n1,2\n2,cheap\n3,2\n").unwrap();
        let e = read_csv(&path, "price", Some(TaskKind::Regression))
            .unwrap_err()
            .to_string();
        assert!(e.contains("data row 2") && e.contains("`cheap`"), "{e}");
    }

    #[test]
    fn diabetes_loads_as_a_regression_table() {
        let t = load(&DataSource::Diabetes).unwrap();
        assert!(t.is_regression());
        assert_eq!((t.n_rows(), t.n_features), (442, 10));
        assert_eq!(t.feature_names[2], "bmi");
    }
}
