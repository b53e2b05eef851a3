//! Plain settings built from the command line and the environment.
use crate::cli::Cli;
#[derive(Debug)]
pub struct Settings {}
impl Settings {
    pub fn from_cli(_cli: Cli) -> Result<Self, crate::Error> {
        Ok(Settings {})
    }
}
