//! STARTTLS for XMPP streams (RFC 6120 §5, RFC 7590 §3.1) and direct TLS
//! (XEP-0368), sans-IO: given what the server sent, decide what to send.
//!
//! A man in the middle can strip `<starttls/>` from the stream features
//! (STARTTLS stripping). A client that requires TLS must then not continue
//! in plaintext; this module can also try STARTTLS anyway, since RFC 6120
//! §5.3.1 lets a client send it whenever the server might support it, and a
//! real server that did not advertise it still answers `<proceed/>` or
//! `<failure/>`.

use crate::error::Error;
use crate::identity::Service;
use crate::policy::{Finding, FindingCode, Severity};
use crate::xml::{self, XmlLimits};

/// The STARTTLS namespace (RFC 6120 §5.4).
pub const NS_TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
/// The stream namespace (RFC 6120 §4.8.1).
pub const NS_STREAMS: &str = "http://etherx.jabber.org/streams";
/// The element a client sends to start TLS.
pub const STARTTLS: &str = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";

/// The ALPN protocol id for direct TLS (XEP-0368 §4): `xmpp-client` or
/// `xmpp-server`.
pub fn alpn(service: Service) -> &'static [u8] {
    service.as_str().as_bytes()
}

/// The opening stream header a client or server-to-server initiator sends
/// (RFC 6120 §4.7), with `to` the server's domain.
pub fn stream_header(to: &str, service: Service) -> String {
    let ns = match service {
        Service::XmppClient => "jabber:client",
        Service::XmppServer => "jabber:server",
    };
    let mut to_escaped = String::new();
    crate::xml::escape_into(&mut to_escaped, to, true);
    format!(
        "<?xml version='1.0'?><stream:stream to='{to_escaped}' version='1.0' xml:lang='en' xmlns='{ns}' xmlns:stream='{NS_STREAMS}'>"
    )
}

/// What the client does about the stream features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeaturesDecision {
    /// Send [`STARTTLS`]. `advertised` is false when the server did not
    /// offer it (possible stripping) and we try anyway.
    StartTls {
        /// Whether the server advertised STARTTLS.
        advertised: bool,
        /// Whether it marked TLS as required.
        required: bool,
    },
    /// Continue without TLS (only when the policy allows plaintext).
    Plaintext,
    /// Stop: TLS is required and was not offered (and trying anyway is off).
    Refuse(String),
}

/// The client's STARTTLS choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartTlsPolicy {
    /// Never continue in plaintext (RFC 7590 §3.1). Default true.
    pub require_tls: bool,
    /// Send STARTTLS even when the features do not offer it. Default true.
    pub attempt_when_not_offered: bool,
}

impl Default for StartTlsPolicy {
    fn default() -> Self {
        StartTlsPolicy {
            require_tls: true,
            attempt_when_not_offered: true,
        }
    }
}

/// Reads `<stream:features/>` (as the caller's stream parser extracted it;
/// the `stream` prefix may be undeclared) and decides.
pub fn on_features(features: &[u8], policy: StartTlsPolicy) -> Result<FeaturesDecision, Error> {
    let text =
        std::str::from_utf8(features).map_err(|_| Error::NotAStanza("stream:features".into()))?;
    let declared;
    let text = if text.contains("xmlns:stream") {
        text
    } else {
        declared = text.replacen(
            "<stream:features",
            &format!("<stream:features xmlns:stream='{NS_STREAMS}'"),
            1,
        );
        &declared
    };
    let el = xml::parse(text.as_bytes(), &XmlLimits::default())?;
    if !el.is("features", NS_STREAMS) {
        return Err(Error::NotAStanza(el.name));
    }
    if let Some(st) = el.child("starttls", NS_TLS) {
        return Ok(FeaturesDecision::StartTls {
            advertised: true,
            required: st.child("required", NS_TLS).is_some(),
        });
    }
    Ok(if policy.attempt_when_not_offered {
        FeaturesDecision::StartTls {
            advertised: false,
            required: false,
        }
    } else if policy.require_tls {
        FeaturesDecision::Refuse(
            "the server did not offer STARTTLS (stripped?) and TLS is required".into(),
        )
    } else {
        FeaturesDecision::Plaintext
    })
}

/// The server's answer to `<starttls/>` (RFC 6120 §5.4.2.3 / §5.4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartTlsAnswer {
    /// `<proceed/>`: start the TLS handshake on the same connection.
    Proceed,
    /// `<failure/>`: the server closes the stream; no TLS.
    Failure,
}

/// Reads the server's answer to `<starttls/>`.
pub fn on_answer(answer: &[u8]) -> Result<StartTlsAnswer, Error> {
    let el = xml::parse(answer, &XmlLimits::default())?;
    match (el.name.as_str(), el.ns.as_str()) {
        ("proceed", NS_TLS) => Ok(StartTlsAnswer::Proceed),
        ("failure", NS_TLS) => Ok(StartTlsAnswer::Failure),
        _ => Err(Error::BadRequest(format!(
            "<{}/> is not an answer to <starttls/>",
            el.name
        ))),
    }
}

/// The finding for a server that did not advertise STARTTLS but accepted
/// it when tried (RFC 6120 §5.3.1): the features may have been stripped by
/// a man in the middle (RFC 7590 §3.1).
pub fn not_offered_finding() -> Finding {
    Finding::new(
        FindingCode::StarttlsNotOffered,
        Severity::Warning,
        "RFC 7590 §3.1; RFC 6120 §5.3.1",
        "the stream features did not offer STARTTLS (stripped?), but the server accepted it".into(),
    )
}

/// The finding for a stream on which no TLS could be started (RFC 7590
/// §3.1), with the reason `why`.
pub fn failed_finding(why: &str) -> Finding {
    Finding::new(
        FindingCode::StarttlsFailed,
        Severity::Error,
        "RFC 7590 §3.1",
        format!("no TLS: {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFERED: &[u8] = b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
    const STRIPPED: &[u8] = b"<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";

    #[test]
    fn offered_starttls_is_taken() {
        assert_eq!(
            on_features(OFFERED, StartTlsPolicy::default()).unwrap(),
            FeaturesDecision::StartTls {
                advertised: true,
                required: true
            }
        );
    }

    #[test]
    fn stripped_starttls_is_tried_refused_or_tolerated_by_policy() {
        assert_eq!(
            on_features(STRIPPED, StartTlsPolicy::default()).unwrap(),
            FeaturesDecision::StartTls {
                advertised: false,
                required: false
            }
        );
        let no_try = StartTlsPolicy {
            attempt_when_not_offered: false,
            ..StartTlsPolicy::default()
        };
        assert!(matches!(
            on_features(STRIPPED, no_try).unwrap(),
            FeaturesDecision::Refuse(_)
        ));
        let plain_ok = StartTlsPolicy {
            require_tls: false,
            attempt_when_not_offered: false,
        };
        assert_eq!(
            on_features(STRIPPED, plain_ok).unwrap(),
            FeaturesDecision::Plaintext
        );
    }

    #[test]
    fn answers_and_bad_input() {
        assert_eq!(
            on_answer(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>").unwrap(),
            StartTlsAnswer::Proceed
        );
        assert_eq!(
            on_answer(b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>").unwrap(),
            StartTlsAnswer::Failure
        );
        assert!(on_answer(b"<proceed/>").is_err(), "wrong namespace");
        assert!(on_features(b"<features/>", StartTlsPolicy::default()).is_err());
        assert!(on_features(
            b"<stream:features><!DOCTYPE x></stream:features>",
            StartTlsPolicy::default()
        )
        .is_err());
    }

    #[test]
    fn header_and_alpn() {
        let h = stream_header("example.net", Service::XmppClient);
        assert!(h.contains("to='example.net'") && h.contains("xmlns='jabber:client'"));
        assert!(stream_header("a'b", Service::XmppServer).contains("to='a&apos;b'"));
        assert_eq!(alpn(Service::XmppServer), b"xmpp-server");
    }
}
