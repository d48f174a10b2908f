//! Why a channel binding value (RFC 5929, RFC 9266) cannot be computed, an
//! error of [`channel_binding`](crate::channel_binding).

/// Why a channel binding value cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindingError {
    /// The certificate could not be parsed.
    BadCertificate(String),
    /// RFC 5929 §4.1 defines no hash for this signature algorithm (e.g.
    /// Ed25519, Ed448, or an unknown algorithm).
    UndefinedHash(String),
    /// The TLS connection cannot export keying material (handshake not done).
    NotExportable(String),
}

impl std::fmt::Display for BindingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindingError::BadCertificate(e) => write!(f, "certificate unreadable: {e}"),
            BindingError::UndefinedHash(a) => {
                write!(
                    f,
                    "tls-server-end-point is undefined for signature algorithm {a}"
                )
            }
            BindingError::NotExportable(e) => write!(f, "cannot export keying material: {e}"),
        }
    }
}

impl std::error::Error for BindingError {}

impl BindingError {
    /// The stable code every binding reports for it (304; 106 for a
    /// certificate that does not parse), as [`Error::code`](crate::Error::code).
    pub fn code(&self) -> u32 {
        crate::Error::from(self.clone()).code()
    }
}
