//! TLS policy for XMPP (RFC 7590, which pulls in RFC 7525 by reference).
//!
//! This module starts with what every other policy check stands on: the
//! complete TLS cipher suite registry and its classification.

pub mod suites;
