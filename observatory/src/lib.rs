//! The XMPP TLS observatory's engine: what a server's TLS accepts, not only
//! what one handshake negotiated.
//!
//! Like the IM Observatory's XMPPoke (and testssl.sh, sslyze), it offers
//! crafted ClientHellos — one protocol version, some cipher suites, some
//! groups — and reads what the server answers: a ServerHello (accepted,
//! with the server's choice), a HelloRetryRequest (TLS 1.3: accepted, with
//! the group it wants), an alert or silence (refused). From the answers it
//! builds a [`Profile`]: every version from SSL 3.0 to TLS 1.3 the server
//! accepts, every suite of the IANA registry it accepts per version in the
//! server's order of preference, the key exchange groups and finite-field
//! sizes, compression, secure renegotiation (RFC 5746) and the fallback
//! SCSV (RFC 7507). [`grade()`] turns a profile and the connection report
//! into a letter, A to F, by the published rules of `grade.rs`.
//!
//! Sans-IO, like the core: [`Scan`] says which probe to send next
//! ([`Probe::client_hello`] gives its bytes), the caller writes them on a
//! fresh connection (after STARTTLS for XMPP on 5222/5269), feeds what
//! comes back to an [`AnswerReader`] and hands the [`Answer`] to
//! [`Scan::record`]. The caller owns sockets, timeouts and the overall
//! deadline.
//!
//! [`report`] holds the whole check as data ([`report::CheckReport`]) and its
//! text, JSON and HTML; the command does the IO and prints.

mod answer;
mod assemble;
mod ct_log_list;
mod grade;
mod hello;
mod profile;
pub mod report;
mod scan;

pub use answer::{Answer, AnswerReader, ServerHelloFacts, MAX_FLIGHT};
pub use assemble::assemble;
pub use ct_log_list::{BUNDLED_CT_LOG_LIST, BUNDLED_CT_LOG_LIST_DATE};
pub use grade::{grade, Grade, GradeReport, Score};
pub use hello::{group_name, version_name, Probe, GROUPS, SSL3, TLS10, TLS11, TLS12, TLS13};
pub use profile::{About, Profile, ScanFinding, VersionProfile};
pub use scan::{Scan, ScanLimits};
