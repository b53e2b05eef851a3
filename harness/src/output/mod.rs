//! Grade renderers: terminal text, Gradescope `results.json`, and the class gradebook CSV.
//! Each writes into an injected writer.

pub mod gradebook;
pub mod gradescope;
pub mod text;
