//! Result codes. Codes below 100 are the C layer's own; from 100 on they
//! are the core's stable `Error::code` values, passed through unchanged.

use std::cell::RefCell;

/// A result code: `XMPPTLS_OK` or the reason a call failed.
pub type xmpptls_result = u32;

/// Success.
pub const XMPPTLS_OK: xmpptls_result = 0;
/// A required pointer argument was NULL.
pub const XMPPTLS_NULL_PARAMETER: xmpptls_result = 1;
/// An argument is invalid (not UTF-8, not a JID, unknown constant).
pub const XMPPTLS_INVALID_PARAMETER: xmpptls_result = 2;
/// The caller's buffer is too small; ask the matching `*_len` function.
pub const XMPPTLS_BUFFER_TOO_SMALL: xmpptls_result = 3;
/// A panic inside the library was caught (a bug: please report it).
pub const XMPPTLS_PANIC: xmpptls_result = 4;
/// Nothing to return (no stanza to send, no event).
pub const XMPPTLS_EMPTY: xmpptls_result = 5;
/// The operation is not defined for this input (e.g. `tls-server-end-point`
/// for an Ed25519 certificate, RFC 5929 §4.1).
pub const XMPPTLS_UNSUPPORTED: xmpptls_result = 6;
/// Malformed or refused XML (core code 100).
pub const XMPPTLS_ERR_XML: xmpptls_result = 100;
/// Invalid JID (101).
pub const XMPPTLS_ERR_INVALID_JID: xmpptls_result = 101;
/// Invalid base64 in `<data/>` (102).
pub const XMPPTLS_ERR_BASE64: xmpptls_result = 102;
/// A payload exceeds a limit (103).
pub const XMPPTLS_ERR_PAYLOAD_TOO_LARGE: xmpptls_result = 103;
/// Not an XMPP stanza (104).
pub const XMPPTLS_ERR_NOT_A_STANZA: xmpptls_result = 104;
/// Bad XTLS request (200).
pub const XMPPTLS_ERR_BAD_REQUEST: xmpptls_result = 200;
/// No tunnel with that peer (201).
pub const XMPPTLS_ERR_NO_TUNNEL: xmpptls_result = 201;
/// Data before the tunnel was agreed (202).
pub const XMPPTLS_ERR_DATA_BEFORE_PROCEED: xmpptls_result = 202;
/// Duplicate start (203).
pub const XMPPTLS_ERR_DUPLICATE_START: xmpptls_result = 203;
/// Unexpected IQ result or error (204).
pub const XMPPTLS_ERR_UNEXPECTED_IQ: xmpptls_result = 204;
/// The peer refused (205).
pub const XMPPTLS_ERR_PEER_REFUSED: xmpptls_result = 205;
/// Unsupported TLS method (206).
pub const XMPPTLS_ERR_UNSUPPORTED_METHOD: xmpptls_result = 206;
/// Inner stanza routing contradicts the IQ (207).
pub const XMPPTLS_ERR_ROUTING_MISMATCH: xmpptls_result = 207;
/// XTLS disabled (208).
pub const XMPPTLS_ERR_DISABLED: xmpptls_result = 208;
/// Addressed to another JID (209).
pub const XMPPTLS_ERR_WRONG_RECIPIENT: xmpptls_result = 209;
/// The tunnel is closed or closing (210).
pub const XMPPTLS_ERR_TUNNEL_CLOSED: xmpptls_result = 210;
/// TLS failed (300).
pub const XMPPTLS_ERR_TLS: xmpptls_result = 300;
/// The peer is not trusted (301).
pub const XMPPTLS_ERR_TRUST: xmpptls_result = 301;
/// Tunnel limit reached (400).
pub const XMPPTLS_ERR_TOO_MANY_TUNNELS: xmpptls_result = 400;
/// Buffer limit reached (401).
pub const XMPPTLS_ERR_BUFFER_FULL: xmpptls_result = 401;
/// Invalid configuration (500).
pub const XMPPTLS_ERR_CONFIG: xmpptls_result = 500;
/// A pin store document that does not parse (105).
pub const XMPPTLS_ERR_PIN_STORE: xmpptls_result = 105;
/// Certificate or key material (PEM or DER) that does not parse (106).
pub const XMPPTLS_ERR_CERTIFICATE: xmpptls_result = 106;
/// POSH did not authenticate the server (302; RFC 7711).
pub const XMPPTLS_ERR_POSH: xmpptls_result = 302;
/// A TLSA record that cannot be used (303; RFC 6698).
pub const XMPPTLS_ERR_TLSA: xmpptls_result = 303;
/// A channel binding that cannot be computed (304; RFC 5929, RFC 9266).
pub const XMPPTLS_ERR_CHANNEL_BINDING: xmpptls_result = 304;
/// A constant or name none of the enum's values has (501).
pub const XMPPTLS_ERR_UNKNOWN_NAME: xmpptls_result = 501;

/// What `code` means, for people (`xmpptls_result_message`).
pub(crate) fn message(code: xmpptls_result) -> &'static str {
    match code {
        XMPPTLS_OK => "success",
        XMPPTLS_NULL_PARAMETER => "a required pointer argument was NULL",
        XMPPTLS_INVALID_PARAMETER => {
            "an argument is invalid (not UTF-8, not a JID or an unknown constant)"
        }
        XMPPTLS_BUFFER_TOO_SMALL => {
            "the buffer is too small; ask the matching *_len function for the size"
        }
        XMPPTLS_PANIC => "a panic inside libxmpptls was caught (a bug: please report it)",
        XMPPTLS_EMPTY => "nothing to return",
        XMPPTLS_UNSUPPORTED => "not defined for this input",
        XMPPTLS_ERR_XML => "malformed or refused XML (DOCTYPE, entity, comment, depth or size)",
        XMPPTLS_ERR_INVALID_JID => "invalid JID",
        XMPPTLS_ERR_BASE64 => "<data/> is not valid base64",
        XMPPTLS_ERR_PAYLOAD_TOO_LARGE => "payload exceeds a configured limit",
        XMPPTLS_ERR_NOT_A_STANZA => "not a <message/>, <presence/> or <iq/> stanza",
        XMPPTLS_ERR_BAD_REQUEST => "bad XTLS request",
        XMPPTLS_ERR_NO_TUNNEL => "no XTLS tunnel with that peer",
        XMPPTLS_ERR_DATA_BEFORE_PROCEED => "<data/> before the tunnel was agreed",
        XMPPTLS_ERR_DUPLICATE_START => "start for a peer that already has a tunnel",
        XMPPTLS_ERR_UNEXPECTED_IQ => "IQ result or error that answers nothing sent",
        XMPPTLS_ERR_PEER_REFUSED => "the peer refused",
        XMPPTLS_ERR_UNSUPPORTED_METHOD => "TLS method not supported (only x509)",
        XMPPTLS_ERR_ROUTING_MISMATCH => "inner stanza routing contradicts the carrying IQ",
        XMPPTLS_ERR_DISABLED => "XTLS is disabled on this endpoint",
        XMPPTLS_ERR_WRONG_RECIPIENT => "XTLS IQ addressed to another JID",
        XMPPTLS_ERR_TUNNEL_CLOSED => "the tunnel is closed",
        XMPPTLS_ERR_TLS => "TLS failed",
        XMPPTLS_ERR_TRUST => "the peer is not trusted",
        XMPPTLS_ERR_TOO_MANY_TUNNELS => "tunnel limit reached",
        XMPPTLS_ERR_BUFFER_FULL => "buffer limit reached",
        XMPPTLS_ERR_CONFIG => "invalid configuration",
        XMPPTLS_ERR_PIN_STORE => "the pin store does not parse",
        XMPPTLS_ERR_CERTIFICATE => "certificate or key material does not parse",
        XMPPTLS_ERR_POSH => "POSH did not authenticate the server",
        XMPPTLS_ERR_TLSA => "the TLSA record cannot be used",
        XMPPTLS_ERR_CHANNEL_BINDING => "the channel binding cannot be computed",
        XMPPTLS_ERR_UNKNOWN_NAME => "unknown constant or name for this argument",
        _ => "unknown result code",
    }
}

thread_local! {
    /// The detail text of the last core error a call on this thread returned.
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The C code of a core error (they are the same numbers); its text is
/// kept for `xmpptls_last_error_detail`.
pub(crate) fn code(e: &xmpptls::Error) -> xmpptls_result {
    LAST_ERROR.with(|l| *l.borrow_mut() = e.to_string());
    e.code()
}

/// `f` of the detail text of the last core error on this thread.
pub(crate) fn with_last_error<R>(f: impl FnOnce(&str) -> R) -> R {
    LAST_ERROR.with(|l| f(&l.borrow()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use xmpptls::xml::XmlError;
    use xmpptls::{Error, TlsFailure, TrustError};

    /// The C names of the core's codes are the core's numbers, one each,
    /// and every one has a message: a renumbering fails here.
    #[test]
    fn c_codes_are_the_core_codes() {
        let all = [
            (Error::Xml(XmlError::TooLarge), XMPPTLS_ERR_XML),
            (Error::InvalidJid("x".into()), XMPPTLS_ERR_INVALID_JID),
            (Error::Base64, XMPPTLS_ERR_BASE64),
            (
                Error::PayloadTooLarge { size: 2, limit: 1 },
                XMPPTLS_ERR_PAYLOAD_TOO_LARGE,
            ),
            (Error::NotAStanza("x".into()), XMPPTLS_ERR_NOT_A_STANZA),
            (Error::BadRequest("x".into()), XMPPTLS_ERR_BAD_REQUEST),
            (Error::NoTunnel("x".into()), XMPPTLS_ERR_NO_TUNNEL),
            (Error::DataBeforeProceed, XMPPTLS_ERR_DATA_BEFORE_PROCEED),
            (Error::DuplicateStart, XMPPTLS_ERR_DUPLICATE_START),
            (Error::UnexpectedIq, XMPPTLS_ERR_UNEXPECTED_IQ),
            (
                Error::PeerRefused(xmpptls::stanza_error::StanzaError::new(
                    xmpptls::stanza_error::Condition::Conflict,
                    None,
                )),
                XMPPTLS_ERR_PEER_REFUSED,
            ),
            (
                Error::UnsupportedMethod("srp".into()),
                XMPPTLS_ERR_UNSUPPORTED_METHOD,
            ),
            (
                Error::RoutingMismatch {
                    found: "a".into(),
                    expected: "b".into(),
                },
                XMPPTLS_ERR_ROUTING_MISMATCH,
            ),
            (Error::Disabled, XMPPTLS_ERR_DISABLED),
            (
                Error::WrongRecipient("x".into()),
                XMPPTLS_ERR_WRONG_RECIPIENT,
            ),
            (Error::TunnelClosed, XMPPTLS_ERR_TUNNEL_CLOSED),
            (Error::Tls(TlsFailure::Decrypt), XMPPTLS_ERR_TLS),
            (Error::Trust(TrustError::UnknownPeer), XMPPTLS_ERR_TRUST),
            (
                Error::TooManyTunnels { limit: 1 },
                XMPPTLS_ERR_TOO_MANY_TUNNELS,
            ),
            (Error::BufferFull { limit: 1 }, XMPPTLS_ERR_BUFFER_FULL),
            (Error::Config("x".into()), XMPPTLS_ERR_CONFIG),
            (Error::PinStore("x".into()), XMPPTLS_ERR_PIN_STORE),
            (Error::Certificate("x".into()), XMPPTLS_ERR_CERTIFICATE),
            (
                Error::Posh(xmpptls::dna::posh::PoshError::NoMatch),
                XMPPTLS_ERR_POSH,
            ),
            (
                Error::Tlsa(xmpptls::dna::dane::TlsaError("x".into())),
                XMPPTLS_ERR_TLSA,
            ),
            (
                Error::ChannelBinding(xmpptls::channel_binding::BindingError::UndefinedHash(
                    "x".into(),
                )),
                XMPPTLS_ERR_CHANNEL_BINDING,
            ),
            (
                Error::UnknownName {
                    what: "x",
                    name: "y".into(),
                },
                XMPPTLS_ERR_UNKNOWN_NAME,
            ),
        ];
        for (e, c) in &all {
            assert_eq!(e.code(), *c, "{e}");
            assert_ne!(message(*c), "unknown result code", "{e}");
        }
        // Every core code has its own C name.
        let mut codes: Vec<u32> = all.iter().map(|(_, c)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
