//! Datasets the homework uses, their checksums, and a scikit-learn-compatible split.
//!
//! Data ships inside the binary (`tasks/data/`, see its README for provenance), so a fresh clone
//! needs no download; every loader verifies the sha256 it expects.

pub mod diabetes;
pub mod mnist;
pub mod split;
pub mod wine;

use sha2::{Digest, Sha256};

/// Lower-case hex sha256 of `bytes`: the digest logged with datasets and checked on load.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
