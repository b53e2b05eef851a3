//! Errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {}
impl Error {
    pub fn exit_code(&self) -> u8 {
        2
    }
}
pub fn report(err: &Error) -> String {
    err.to_string()
}
