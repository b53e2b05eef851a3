//! One file per command: each connects the parts below it and writes to an injected writer. No
//! grading, formatting or training logic lives here.

pub(crate) mod bench;
pub(crate) mod check;
pub(crate) mod gate;
pub(crate) mod grade;
pub(crate) mod mlflow;
pub(crate) mod run;
pub(crate) mod serve;
pub(crate) mod sweep;
