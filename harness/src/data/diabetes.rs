//! The diabetes regression data (scikit-learn's `load_diabetes(scaled=False)`), embedded in the
//! binary: 442 patients, ten baseline variables, and a quantitative measure of disease
//! progression one year later (Efron, Hastie, Johnstone and Tibshirani, "Least Angle
//! Regression", Annals of Statistics 32(2), 2004).
//!
//! The two files are scikit-learn 1.9.1's `sklearn/datasets/data/diabetes_data_raw.csv.gz` and
//! `diabetes_target.csv.gz`, unchanged, in `tasks/data/diabetes/` (provenance in
//! `tasks/data/README.md`). The features are the raw ones, not scikit-learn's default
//! mean-centred and scaled copy: trees do not care, and a student's CSV export looks like this.

use std::io::Read;

/// The space-separated feature rows, gzipped, as scikit-learn ships them.
const DATA_GZ: &[u8] = include_bytes!("../../../tasks/data/diabetes/diabetes_data_raw.csv.gz");
/// One target value per line, gzipped.
const TARGET_GZ: &[u8] = include_bytes!("../../../tasks/data/diabetes/diabetes_target.csv.gz");

/// sha256 of scikit-learn 1.9.1's `diabetes_data_raw.csv.gz`.
pub const DATA_SHA256: &str = "7fc0ded571454b1982210d3bb43f0aca44eae01a0b8654a3b24022bdb6b38009";
/// sha256 of scikit-learn 1.9.1's `diabetes_target.csv.gz`.
pub const TARGET_SHA256: &str = "8e53f65eb811df43c206f3534bb3af0e5fed213bc37ed6ba36310157d6023803";

/// Column names as `load_diabetes().feature_names` spells them.
pub const FEATURE_NAMES: [&str; 10] = [
    "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6",
];

/// The name of the target column in exports and model files.
pub const TARGET_NAME: &str = "progression";

const N_ROWS: usize = 442;

/// What is wrong with the embedded files (only possible if the copies were changed).
#[derive(Debug, thiserror::Error)]
pub enum DiabetesError {
    #[error("embedded {file}: sha256 is {actual}, expected {expected} (the file was modified)")]
    Checksum {
        file: &'static str,
        expected: &'static str,
        actual: String,
    },
    #[error("embedded {file}: {problem}")]
    Parse { file: &'static str, problem: String },
}

/// A regression table: row-major features and one real target per row.
#[derive(Debug, Clone, PartialEq)]
pub struct RegressionData {
    pub features: Vec<f64>,
    pub n_features: usize,
    pub targets: Vec<f64>,
    pub feature_names: Vec<String>,
    /// sha256 (hex) of the source bytes: here of the two gzip files, data then target.
    pub digest: String,
}

impl RegressionData {
    pub fn n_samples(&self) -> usize {
        self.targets.len()
    }

    /// The features of row `i`.
    ///
    /// # Panics
    /// If `i >= n_samples()`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.features[i * self.n_features..(i + 1) * self.n_features]
    }

    /// The rows `indices` (in that order) as a row-major matrix and their targets.
    pub fn select(&self, indices: &[usize]) -> (Vec<f64>, Vec<f64>) {
        let mut x = Vec::with_capacity(indices.len() * self.n_features);
        for &i in indices {
            x.extend_from_slice(self.row(i));
        }
        (x, indices.iter().map(|&i| self.targets[i]).collect())
    }
}

/// The embedded diabetes data (442 × 10), checksums verified.
///
/// # Errors
/// Only if the embedded copies in `tasks/data/diabetes/` were changed.
pub fn load() -> Result<RegressionData, DiabetesError> {
    let data = text("diabetes_data_raw.csv.gz", DATA_GZ, DATA_SHA256)?;
    let target = text("diabetes_target.csv.gz", TARGET_GZ, TARGET_SHA256)?;
    let numbers = |file: &'static str, line_no: usize, line: &str| {
        line.split_whitespace()
            .map(|cell| {
                cell.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| DiabetesError::Parse {
                        file,
                        problem: format!("line {line_no}: `{cell}` is not a number"),
                    })
            })
            .collect::<Result<Vec<f64>, _>>()
    };
    let mut features = Vec::with_capacity(N_ROWS * FEATURE_NAMES.len());
    for (i, line) in data.lines().enumerate() {
        let row = numbers("diabetes_data_raw.csv.gz", i + 1, line)?;
        if row.len() != FEATURE_NAMES.len() {
            return Err(DiabetesError::Parse {
                file: "diabetes_data_raw.csv.gz",
                problem: format!("line {}: {} values, expected 10", i + 1, row.len()),
            });
        }
        features.extend(row);
    }
    let mut targets = Vec::with_capacity(N_ROWS);
    for (i, line) in target.lines().enumerate() {
        targets.extend(numbers("diabetes_target.csv.gz", i + 1, line)?);
    }
    if targets.len() != N_ROWS || features.len() != N_ROWS * FEATURE_NAMES.len() {
        return Err(DiabetesError::Parse {
            file: "diabetes_target.csv.gz",
            problem: format!(
                "{} targets for {} feature rows, expected {N_ROWS} of each",
                targets.len(),
                features.len() / FEATURE_NAMES.len()
            ),
        });
    }
    Ok(RegressionData {
        features,
        n_features: FEATURE_NAMES.len(),
        targets,
        feature_names: FEATURE_NAMES.iter().map(|s| (*s).to_owned()).collect(),
        digest: super::sha256_hex(&[DATA_GZ, TARGET_GZ].concat()),
    })
}

/// Verifies and gunzips one embedded file.
fn text(file: &'static str, gz: &[u8], expected: &'static str) -> Result<String, DiabetesError> {
    let actual = super::sha256_hex(gz);
    if actual != expected {
        return Err(DiabetesError::Checksum {
            file,
            expected,
            actual,
        });
    }
    let mut out = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut out)
        .map_err(|e| DiabetesError::Parse {
            file,
            problem: format!("not gzipped UTF-8 text: {e}"),
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_data_is_scikit_learns() {
        let d = load().unwrap();
        assert_eq!(d.n_samples(), 442);
        assert_eq!(d.n_features, 10);
        // The first row of `load_diabetes(scaled=False)` and its target.
        assert_eq!(
            d.row(0),
            [59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]
        );
        assert_eq!(d.targets[0], 151.0);
        assert_eq!(d.targets[441], 57.0);
        // scikit-learn's documented target range: 25 to 346.
        let lo = d.targets.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = d.targets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((lo, hi), (25.0, 346.0));
        let (x, y) = d.select(&[2, 0]);
        assert_eq!(y, [d.targets[2], d.targets[0]]);
        assert_eq!(&x[10..], d.row(0));
    }
}
