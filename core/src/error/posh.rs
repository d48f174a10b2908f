//! Why POSH (RFC 7711) could not authenticate, an error of
//! [`dna::posh`](crate::dna::posh).

use std::fmt;

/// Why POSH could not authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoshError {
    /// Not a POSH document (bad JSON, wrong shape, bad base64, too large).
    Malformed(String),
    /// A redirect whose URL is not `https://`.
    InsecureRedirect(String),
    /// A redirect was given but the document it points to was not.
    RedirectNotFollowed(String),
    /// The redirect target redirects again (only one is allowed).
    TooManyRedirects,
    /// No fingerprint uses an algorithm we can check.
    NoUsableFingerprint,
    /// The document is older than its `expires` allows.
    Expired,
    /// No fingerprint matches the certificate.
    NoMatch,
}

impl fmt::Display for PoshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoshError::Malformed(why) => write!(f, "not a POSH document: {why}"),
            PoshError::InsecureRedirect(u) => write!(f, "POSH redirect to a non-HTTPS URL {u}"),
            PoshError::RedirectNotFollowed(u) => write!(f, "POSH redirect to {u} was not fetched"),
            PoshError::TooManyRedirects => f.write_str("POSH redirect leads to another redirect"),
            PoshError::NoUsableFingerprint => {
                f.write_str("POSH lists no SHA-256/384/512 fingerprint")
            }
            PoshError::Expired => f.write_str("POSH document expired"),
            PoshError::NoMatch => f.write_str("no POSH fingerprint matches the certificate"),
        }
    }
}

impl std::error::Error for PoshError {}

impl PoshError {
    /// The stable code every binding reports for it (302, as
    /// [`Error::code`](crate::Error::code) of the wrapping error).
    pub fn code(&self) -> u32 {
        crate::Error::from(self.clone()).code()
    }
}
