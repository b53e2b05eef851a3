//! The wine dataset of task 1 (scikit-learn's `load_wine`), embedded in the binary.
//!
//! The CSV is scikit-learn 1.9.1's `sklearn/datasets/data/wine_data.csv`, copied to
//! `tasks/data/wine/` (provenance in `tasks/data/README.md`). Embedding it means a fresh clone
//! trains without a download; the sha256 is checked on every load so a modified copy is reported
//! instead of silently producing different numbers.

use std::path::PathBuf;

/// The CSV exactly as scikit-learn ships it.
const WINE_CSV: &[u8] = include_bytes!("../../../tasks/data/wine/wine_data.csv");

/// sha256 of scikit-learn 1.9.1's `wine_data.csv`.
pub const WINE_SHA256: &str = "10e8a802908b34f86e5da8ce962f3c806694bc98450a18f61851af59f324bede";

/// Feature names in column order, as `load_wine().feature_names` spells them.
pub const FEATURE_NAMES: [&str; 13] = [
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280/od315_of_diluted_wines",
    "proline",
];

/// What went wrong reading a wine CSV; every variant says where.
#[derive(Debug, thiserror::Error)]
pub enum WineError {
    #[error("cannot read wine data {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{origin}: sha256 is {actual}, expected {expected} (the file was modified or is another version)"
    )]
    Checksum {
        origin: String,
        expected: String,
        actual: String,
    },
    #[error("{origin}: the file is not UTF-8 text")]
    NotUtf8 { origin: String },
    #[error(
        "{origin}: the file is empty (expected a header like `178,13,class_0,class_1,class_2`)"
    )]
    Empty { origin: String },
    #[error("{origin}, line {line}: {problem}")]
    Parse {
        origin: String,
        line: usize,
        problem: String,
    },
}

/// A tabular classification dataset: row-major features and class indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Row-major feature matrix, `n_samples() × n_features` values.
    pub(crate) features: Vec<f64>,
    /// Number of columns of `features`.
    pub(crate) n_features: usize,
    /// Class index of each row, `< class_names.len()`.
    pub targets: Vec<usize>,
    /// Column names, `n_features` of them.
    pub(crate) feature_names: Vec<String>,
    /// Class names from the header (`class_0`, …).
    pub(crate) class_names: Vec<String>,
    /// sha256 (hex) of the bytes the dataset was parsed from, for provenance tags.
    digest: String,
}

impl Dataset {
    /// Number of rows.
    pub fn n_samples(&self) -> usize {
        self.targets.len()
    }

    /// Number of classes (from the header, not from the rows present).
    pub(crate) fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// The features of row `i`.
    ///
    /// # Panics
    /// If `i >= n_samples()`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.features[i * self.n_features..(i + 1) * self.n_features]
    }

    /// sha256 (hex) of the source bytes.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The rows `indices` (in that order) as a new row-major matrix and target vector, e.g. the
    /// train or test part of a [`super::split::Split`].
    ///
    /// # Panics
    /// If an index is out of range.
    pub fn select(&self, indices: &[usize]) -> (Vec<f64>, Vec<usize>) {
        let mut x = Vec::with_capacity(indices.len() * self.n_features);
        let mut y = Vec::with_capacity(indices.len());
        for &i in indices {
            x.extend_from_slice(self.row(i));
            y.push(self.targets[i]);
        }
        (x, y)
    }
}

/// The embedded wine dataset (178 × 13, 3 classes), checksum verified.
///
/// # Errors
/// Only if the embedded bytes do not match [`WINE_SHA256`] or fail to parse — i.e. the copy in
/// `tasks/data/wine/` was changed.
pub fn load() -> Result<Dataset, WineError> {
    verify(WINE_CSV, "embedded wine_data.csv")?;
    parse(WINE_CSV, "embedded wine_data.csv")
}

/// Loads a wine CSV in scikit-learn's format from `path`, checking it against [`WINE_SHA256`].
///
/// # Errors
/// [`WineError::Read`] if the file cannot be read, [`WineError::Checksum`] if it is not the
/// scikit-learn file, otherwise a parse error naming the line.
#[cfg(test)]
fn load_path(path: &std::path::Path) -> Result<Dataset, WineError> {
    let bytes = std::fs::read(path).map_err(|source| WineError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let origin = path.display().to_string();
    verify(&bytes, &origin)?;
    parse(&bytes, &origin)
}

fn verify(bytes: &[u8], origin: &str) -> Result<(), WineError> {
    let actual = super::sha256_hex(bytes);
    if actual != WINE_SHA256 {
        return Err(WineError::Checksum {
            origin: origin.to_owned(),
            expected: WINE_SHA256.to_owned(),
            actual,
        });
    }
    Ok(())
}

/// Parses scikit-learn's `load_csv_data` format: a header `n_samples,n_features,class names…`,
/// then `n_samples` rows of `n_features` numbers and an integer class index.
///
/// Feature names are the wine names when there are 13 columns, `feature_<i>` otherwise.
///
/// # Errors
/// [`WineError::Parse`] with the 1-based line number and what was wrong.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Dataset, WineError> {
    let text = std::str::from_utf8(bytes).map_err(|_| WineError::NotUtf8 {
        origin: origin.to_owned(),
    })?;
    let err = |line: usize, problem: String| WineError::Parse {
        origin: origin.to_owned(),
        line,
        problem,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    let (_, header) = lines.next().ok_or_else(|| WineError::Empty {
        origin: origin.to_owned(),
    })?;
    let fields: Vec<&str> = header.split(',').map(str::trim).collect();
    if fields.len() < 3 {
        return Err(err(
            1,
            format!("header `{header}` needs n_samples, n_features and at least one class name"),
        ));
    }
    let n_samples: usize = fields[0].parse().map_err(|_| {
        err(
            1,
            format!("n_samples `{}` is not a non-negative integer", fields[0]),
        )
    })?;
    let n_features: usize = fields[1].parse().map_err(|_| {
        err(
            1,
            format!("n_features `{}` is not a non-negative integer", fields[1]),
        )
    })?;
    if n_features == 0 {
        return Err(err(1, "n_features must be at least 1".to_owned()));
    }
    let class_names: Vec<String> = fields[2..].iter().map(|s| (*s).to_owned()).collect();

    let mut features = Vec::with_capacity(n_samples * n_features);
    let mut targets = Vec::with_capacity(n_samples);
    for (line_no, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        if targets.len() == n_samples {
            return Err(err(
                line_no,
                format!("more rows than the {n_samples} announced in the header"),
            ));
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != n_features + 1 {
            return Err(err(
                line_no,
                format!(
                    "expected {} fields ({n_features} features and the class), found {}",
                    n_features + 1,
                    cells.len()
                ),
            ));
        }
        for (col, cell) in cells[..n_features].iter().enumerate() {
            let value: f64 = cell.parse().map_err(|_| {
                err(
                    line_no,
                    format!("feature {} `{cell}` is not a number", col + 1),
                )
            })?;
            if !value.is_finite() {
                return Err(err(
                    line_no,
                    format!("feature {} `{cell}` is not finite", col + 1),
                ));
            }
            features.push(value);
        }
        let class_cell = cells[n_features];
        let class: usize = class_cell.parse().map_err(|_| {
            err(
                line_no,
                format!("class `{class_cell}` is not a non-negative integer"),
            )
        })?;
        if class >= class_names.len() {
            return Err(err(
                line_no,
                format!(
                    "class {class} is out of range: the header names {} classes",
                    class_names.len()
                ),
            ));
        }
        targets.push(class);
    }
    if targets.len() != n_samples {
        return Err(err(
            text.lines().count(),
            format!(
                "the header announces {n_samples} rows but the file has {}",
                targets.len()
            ),
        ));
    }
    let feature_names = if n_features == FEATURE_NAMES.len() {
        FEATURE_NAMES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        (0..n_features).map(|i| format!("feature_{i}")).collect()
    };
    Ok(Dataset {
        features,
        n_features,
        targets,
        feature_names,
        class_names,
        digest: super::sha256_hex(bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_wine_loads() {
        let d = load().unwrap();
        assert_eq!(d.n_samples(), 178);
        assert_eq!(d.n_features, 13);
        assert_eq!(d.n_classes(), 3);
        assert_eq!(d.class_names, ["class_0", "class_1", "class_2"]);
        assert_eq!(d.feature_names[11], "od280/od315_of_diluted_wines");
        assert_eq!(d.digest(), WINE_SHA256);
        // load_wine class counts.
        let counts: Vec<usize> = (0..3)
            .map(|k| d.targets.iter().filter(|&&t| t == k).count())
            .collect();
        assert_eq!(counts, [59, 71, 48]);
        assert_eq!(d.row(0)[0], 14.23);
        assert_eq!(d.row(0)[12], 1065.0);
        let (x, y) = d.select(&[1, 0]);
        assert_eq!(&x[13..26], d.row(0));
        assert_eq!(y, [0, 0]);
    }

    #[test]
    fn checksum_mismatch_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wine.csv");
        let mut bytes = WINE_CSV.to_vec();
        bytes.extend_from_slice(b"\n");
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(load_path(&path), Err(WineError::Checksum { .. })));
        std::fs::write(&path, WINE_CSV).unwrap();
        assert_eq!(load_path(&path).unwrap(), load().unwrap());
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = load_path(std::path::Path::new("/nonexistent/wine.csv")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/wine.csv"), "{e}");
    }

    #[test]
    fn parse_errors_name_the_line() {
        let cases: [(&str, usize, &str); 6] = [
            (
                "2,2,a,b\n1,2,0\n1,x,1\n",
                3,
                "feature 2 `x` is not a number",
            ),
            ("2,2,a,b\n1,2,0\n1,2\n", 3, "expected 3 fields"),
            ("2,2,a,b\n1,2,0\n1,2,5\n", 3, "class 5 is out of range"),
            ("2,2,a,b\n1,2,0\n", 2, "announces 2 rows but the file has 1"),
            ("1,2,a,b\n1,2,0\n1,2,1\n", 3, "more rows than the 1"),
            ("x,2,a\n", 1, "n_samples `x`"),
        ];
        for (text, line, needle) in cases {
            match parse(text.as_bytes(), "t.csv") {
                Err(WineError::Parse {
                    line: l, problem, ..
                }) => {
                    assert_eq!(l, line, "{text:?}: {problem}");
                    assert!(problem.contains(needle), "{text:?}: {problem}");
                }
                other => panic!("{text:?}: expected a parse error, got {other:?}"),
            }
        }
        assert!(matches!(parse(b"", "t"), Err(WineError::Empty { .. })));
    }

    #[test]
    fn small_file_gets_generic_names() {
        let d = parse(b"2,2,a,b\r\n1,2,0\r\n3,4,1\r\n", "t").unwrap();
        assert_eq!(d.feature_names, ["feature_0", "feature_1"]);
        assert_eq!(d.features, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(d.targets, [0, 1]);
    }
}
