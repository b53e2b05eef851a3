//! harness's own version, recorded in provenance tags and reports.

/// The crate version from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
