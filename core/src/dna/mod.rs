//! Domain name associations (DNA): proving that a certificate may speak for
//! an XMPP domain beyond PKIX names: DANE (RFC 6698/7671/7673) and POSH
//! (RFC 7711). The caller does the DNS and HTTPS lookups and hands
//! over what it got: the core does no IO.

pub mod dane;
pub mod posh;
