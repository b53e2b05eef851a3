//! What each command does, on top of the library's parts. Output goes to an injected writer.

pub mod bench;
pub mod check;
pub mod grade;
pub mod mlflow;
pub mod rescore;
pub mod run;
pub mod tasks;
