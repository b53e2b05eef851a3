//! Command-line types (clap derive). They end at [`crate::settings`].
#[derive(Debug, clap::Parser)]
#[command(name = "harness", version, about)]
pub struct Cli {}
