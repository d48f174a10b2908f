//! Malformed TLSA input (RFC 6698 §2.1), an error of [`dna::dane`](crate::dna::dane).

use std::fmt;

/// Malformed TLSA input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsaError(pub String);

impl fmt::Display for TlsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLSA record: {}", self.0)
    }
}

impl std::error::Error for TlsaError {}

impl TlsaError {
    /// The stable code every binding reports for it (303, as
    /// [`Error::code`](crate::Error::code) of the wrapping error).
    pub fn code(&self) -> u32 {
        crate::Error::from(self.clone()).code()
    }
}
