//! placeholder, filled in by its own branch
