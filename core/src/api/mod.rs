//! The flat surface every binding wraps (C, wasm, uniffi): settings and
//! construction, flat events and tunnel summaries, stable names and codes
//! for every small enum, negotiations by name, identity export and import.
//! Decisions live here once; the bindings only translate them into their
//! ABI (DESIGN.md, "A core API that three foreign runtimes can carry").
//! Policy presets and knobs are [`Policy`](crate::policy::Policy)'s own
//! ([`Policy::preset`](crate::policy::Policy::preset),
//! [`Policy::deny_suite`](crate::policy::Policy::deny_suite), …).

mod certificate;
mod event;
mod field;
mod json;
mod limits;
pub mod names;
mod negotiation;
mod posh;
mod report;
mod settings;

pub use certificate::{certificate_info, check_identity};
pub use event::{CloseReason, FlatEvent, TunnelEvent, TunnelSummary};
pub use field::FieldValue;
pub use json::ToJson;
pub use limits::{LimitSettings, LIMIT_NAMES};
pub use names::{
    CloseKind, EventKind, MatchKind, Named, PeerAuthKind, PinKind, PolicyPreset, PoshOutcome,
    TrustKind,
};
pub use negotiation::Negotiation;
pub use posh::{posh_redirect_url, PoshResult};
pub use report::{
    CertificateSummary, CtSummary, FindingSummary, IdentityMatch, ReportSummary, SctSummary,
};
pub use settings::{EndpointSettings, IdentityPem};
