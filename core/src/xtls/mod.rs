//! XTLS: TLS sessions between two XMPP entities, carried base64-encoded in
//! `<data/>` IQs (ProtoXEP "XMPP Transport Layer Security", `urn:xmpp:tmp:xtls`).
//!
//! [`Endpoint`] is the entry point. See the crate documentation for the
//! deliberate deviations from the spec (cipher suites, routing checks).

mod certificates;
mod config;
mod delivery;
pub mod disco;
mod endpoint;
mod event;
mod gate;
mod info;
mod io;
pub mod pacing;
mod piggyback;
pub mod resend;
pub mod router;
pub(crate) mod tls;
mod trust;
mod tunnel;
pub mod wire;

pub use crate::provider::KeyExchange;
pub use certificates::MAX_CACHED_CERTIFICATES;
pub use config::{EndpointConfig, Limits, TlsVersions, DEFAULT_DATA_BYTES, MAX_TLS_RECORD};
pub use endpoint::{Endpoint, Incoming, RX_KEEP_BYTES};
pub use event::{CloseReason, Event, ReturnedStanza, Role, TunnelInfo, Wait};
pub use pacing::WINDOW_DEADLINE_DIVISOR;
pub use resend::{RESENT_NS, TUNNEL_ID_LABEL};
pub use trust::{PeerAuth, TrustMode};
pub use tunnel::{TunnelState, RECENT_DATA_IDS};
