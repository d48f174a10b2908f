//! Certificate Transparency (RFC 6962; RFC 9162 where it applies): the
//! signed certificate timestamps (SCTs) a server's certificate carries, each
//! checked against a log list, and a policy on how many distinct logs a
//! certificate needs.
//!
//! - [`sct`]: the SCT list of RFC 6962 §3.3, from any of its three places:
//!   the certificate's extension (embedded, §3.3), the TLS
//!   `signed_certificate_timestamp` extension and a stapled OCSP response
//!   (the caller hands over those octets: the platform's TLS stack has them).
//! - [`certificate`]: what an embedded SCT signed: the precertificate's
//!   TBSCertificate rebuilt from the final certificate (§3.2).
//! - [`log_list`]: the log list in Google's v3 JSON format (data, not code:
//!   a snapshot is bundled, a newer file can replace it).
//! - [`verify`]: each SCT's signature, by the log's key (§3.2).
//! - [`policy`]: Chrome's CT policy, and the findings; `output` the
//!   report's text line and JSON.

pub mod certificate;
pub mod log_list;
mod output;
pub mod policy;
pub mod sct;
pub mod verify;

pub use log_list::{LogList, LogState, TransparencyLog};
pub use policy::{check, CtReport, SctCheck, SctSource, SctStatus, MAX_LOG_LIST_AGE_DAYS};
pub use sct::Sct;

/// Why CT data could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtError(pub String);

impl std::fmt::Display for CtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "certificate transparency: {}", self.0)
    }
}

impl std::error::Error for CtError {}

fn err(why: impl Into<String>) -> CtError {
    CtError(why.into())
}
