//! Every finding a report can carry, by its stable code: one owner, so the
//! code, the bindings and the README's list agree (a test checks the
//! README, and that no other file spells a code). Codes are never renamed.

use super::{Finding, Severity};

macro_rules! finding_codes {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)*) => {
        /// The stable code of a finding (`Finding::code`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum FindingCode {
            $($(#[$doc])* $variant,)*
        }

        impl FindingCode {
            /// Every code, in the README's order.
            pub const ALL: &'static [FindingCode] = &[$(FindingCode::$variant,)*];

            /// The code as reports and bindings spell it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(FindingCode::$variant => $code,)*
                }
            }

            /// The code spelled `s`, if there is one.
            pub fn parse(s: &str) -> Option<Self> {
                FindingCode::ALL.iter().copied().find(|c| c.as_str() == s)
            }
        }
    };
}

finding_codes! {
    /// No TLS at all (RFC 7590 §3.1).
    Unencrypted => "unencrypted",
    /// SSL 2.0 or 3.0 (RFC 6176, RFC 7568).
    VersionForbidden => "version-forbidden",
    /// TLS 1.0 or 1.1 (RFC 8996).
    VersionDeprecated => "version-deprecated",
    /// A version below the policy's minimum.
    VersionBelowPolicy => "version-below-policy",
    /// A version number we do not know.
    VersionUnknown => "version-unknown",
    /// The server speaks no version a rustls client accepts.
    VersionUnsupported => "version-unsupported",
    /// A suite RFC 7525 forbids (NULL, export, RC4, 3DES, anonymous).
    SuiteForbidden => "suite-forbidden",
    /// A suite RFC 7525 does not recommend (static RSA, CBC, SHA-1 MAC).
    SuiteNotRecommended => "suite-not-recommended",
    /// A suite below the policy's minimum class.
    SuiteBelowPolicy => "suite-below-policy",
    /// A recommended suite that is not the best (information).
    SuiteNotPreferred => "suite-not-preferred",
    /// A suite the policy denies by name.
    SuiteDenied => "suite-denied",
    /// A suite code not in the IANA registry table.
    SuiteUnknown => "suite-unknown",
    /// A suite that does not belong to the negotiated version.
    SuiteVersionMismatch => "suite-version-mismatch",
    /// The server offers no suite a rustls client accepts.
    SuiteUnsupported => "suite-unsupported",
    /// Finite-field Diffie-Hellman below the policy's size.
    WeakDh => "weak-dh",
    /// An elliptic curve below the policy's size.
    WeakEcdh => "weak-ecdh",
    /// The key exchange is classical only, with no post-quantum part
    /// (draft-ietf-tls-ecdhe-mlkem): recorded traffic could be decrypted
    /// by a future quantum computer. Information, or an error under
    /// [`Policy::require_post_quantum`](super::Policy::require_post_quantum).
    ClassicalKeyExchange => "classical-key-exchange",
    /// The peer's certificate key below the policy's size.
    WeakPeerKey => "weak-peer-key",
    /// TLS-level compression (RFC 7525 §3.3).
    Compression => "compression",
    /// TLS 1.2 without extended master secret (RFC 7627).
    NoExtendedMasterSecret => "no-extended-master-secret",
    /// TLS 1.2 resumed with a session ticket (RFC 7525 §3.4).
    SessionTicket => "session-ticket",
    /// Resumed although the policy disables resumption.
    ResumptionDisabled => "resumption-disabled",
    /// Encrypted but not authenticated (RFC 7590 §3.4).
    NotAuthenticated => "not-authenticated",
    /// Authenticated by a method the policy does not allow.
    AuthMethodNotAllowed => "auth-method-not-allowed",
    /// A server verified only by Server Dialback (XEP-0220).
    DialbackOnly => "dialback-only",
    /// The key differs from the one pinned earlier (RFC 7590 §3.6).
    PinChanged => "pin-changed",
    /// The chain is not trusted (PKIX, RFC 5280).
    CertificateUntrusted => "certificate-untrusted",
    /// The handshake was stopped over the certificate.
    CertificateRejected => "certificate-rejected",
    /// The certificate could not be read.
    CertificateUnreadable => "certificate-unreadable",
    /// The certificate does not name the domain for the service (RFC 6125).
    IdentityMismatch => "identity-mismatch",
    /// The stream features did not offer STARTTLS (stripped?), but the
    /// server accepted it.
    StarttlsNotOffered => "starttls-not-offered",
    /// No TLS could be started on the stream.
    StarttlsFailed => "starttls-failed",
    /// The TLS handshake failed for another reason.
    HandshakeFailed => "handshake-failed",
    /// The server ended the handshake without an answer: EOF, a reset or
    /// silence until the deadline.
    ServerSilent => "server-silent",
    /// The server does not accept TLS 1.3 (information; `xmpptls check`).
    NoTls13 => "no-tls13",
    /// A TLS 1.2-or-older answer without the renegotiation_info extension
    /// (RFC 5746).
    NoSecureRenegotiation => "no-secure-renegotiation",
    /// The server ignores TLS_FALLBACK_SCSV (RFC 7507).
    NoFallbackScsv => "no-fallback-scsv",
    /// The server picks suites by the client's order (information).
    ClientSuiteOrder => "client-suite-order",
    /// STARTTLS is offered but not required (RFC 7590 §3.1).
    StarttlsNotRequired => "starttls-not-required",
    /// SASL PLAIN (or LOGIN) is offered before TLS: passwords in the clear.
    SaslPlainBeforeTls => "sasl-plain-before-tls",
    /// DNSSEC-secure TLSA records exist and none matches the server's
    /// chain: a DANE client must not connect (RFC 6698 §2.1.1, RFC 7673).
    DaneFailed => "dane-failed",
    /// TLSA records exist but DNSSEC did not prove them: DANE is ignored
    /// (RFC 6698 §4.1).
    DaneInsecure => "dane-insecure",
    /// After TLS the server did not answer an XMPP stream header with
    /// stream features (RFC 6120 §4.3.2): not an XMPP service on this port,
    /// or one that stalls (`xmpptls check`).
    NotXmpp => "not-xmpp",
    /// No XMPP-over-WebSocket endpoint is advertised through XEP-0156
    /// (`host-meta`, `host-meta.json`): browser clients cannot find one.
    WebsocketNotFound => "websocket-not-found",
    /// The WebSocket endpoint is advertised only over plain HTTP: anyone
    /// on the path can point browser clients elsewhere (XEP-0156 §3).
    WebsocketDiscoveryInsecure => "websocket-discovery-insecure",
    /// The HTTPS `host-meta` server's certificate does not verify for the
    /// XMPP domain (RFC 6125; XEP-0156 §3).
    WebsocketDiscoveryUntrusted => "websocket-discovery-untrusted",
    /// A `ws://` endpoint: XMPP over WebSocket without TLS (RFC 7395 §9).
    WebsocketUnencrypted => "websocket-unencrypted",
    /// The `wss://` endpoint's certificate does not verify for its host
    /// (RFC 6125): a browser refuses it.
    WebsocketCertificate => "websocket-certificate",
    /// The endpoint did not open an XMPP stream over WebSocket (RFC 7395
    /// §3.3.1 subprotocol `xmpp`, §3.4 `<open/>` and stream features).
    WebsocketNotXmpp => "websocket-not-xmpp",
    /// The endpoint is on another host than the XMPP domain: its
    /// certificate names that host, and nothing in the WebSocket binding
    /// ties it to the domain (RFC 7395 §9).
    WebsocketOtherDomain => "websocket-other-domain",
    /// The certificate has no signed certificate timestamp (RFC 6962 §3.3)
    /// in any of the three places: browsers reject a publicly trusted
    /// certificate without Certificate Transparency.
    CtNoSct => "ct-no-sct",
    /// An SCT whose signature, timestamp or log interval does not hold
    /// (RFC 6962 §3.2).
    CtInvalidSct => "ct-invalid-sct",
    /// An SCT from a log the log list does not know.
    CtUnknownLog => "ct-unknown-log",
    /// An SCT from a log that is pending, rejected, or retired before the
    /// SCT (Chrome's CT log states).
    CtLogNotTrusted => "ct-log-not-trusted",
    /// Not enough SCTs from logs that count, or from too few distinct log
    /// operators, for the CT policy (Chrome's).
    CtTooFewLogs => "ct-too-few-logs",
    /// The CT log list is older than
    /// [`MAX_LOG_LIST_AGE_DAYS`](crate::ct::MAX_LOG_LIST_AGE_DAYS).
    CtLogListStale => "ct-log-list-stale",
}

impl Finding {
    /// A finding with its stable code.
    pub fn new(code: FindingCode, severity: Severity, rfc: &'static str, message: String) -> Self {
        Finding {
            code: code.as_str(),
            severity,
            rfc,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        for (i, c) in FindingCode::ALL.iter().enumerate() {
            assert_eq!(FindingCode::parse(c.as_str()), Some(*c));
            assert!(FindingCode::ALL[..i]
                .iter()
                .all(|o| o.as_str() != c.as_str()));
        }
        assert_eq!(FindingCode::parse("no-such-finding"), None);
    }

    /// The README's list of finding codes is this list, in this order.
    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("Findings have stable codes:")
            .expect("the README lists the finding codes");
        let list = &readme[start..];
        let list = &list[..list.find(".\n").expect("the list ends with a full stop")];
        let listed: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
        let ours: Vec<&str> = FindingCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, ours);
    }

    /// No other Rust source of the workspace spells a finding code outside
    /// its tests: findings are made with [`FindingCode`] only.
    #[test]
    fn no_other_source_spells_a_code() {
        let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut stack: Vec<_> = [
            "core",
            "cli",
            "bindings-c",
            "bindings-mobile",
            "bindings-wasm",
            "observatory",
        ]
        .iter()
        .map(|c| workspace.join(c).join("src"))
        .collect();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("source folder") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name == "findings.rs" || name == "tests.rs" || !name.ends_with(".rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("source");
                let code_part = text.split("#[cfg(test)]").next().unwrap_or("");
                for c in FindingCode::ALL {
                    // "compression" also names the negotiation's fact that
                    // the finding is about (api::Negotiation::FIELDS).
                    if crate::api::Negotiation::FIELDS.contains(&c.as_str()) {
                        continue;
                    }
                    let spelled = format!("\"{}\"", c.as_str());
                    assert!(
                        !code_part.contains(&spelled),
                        "{} spells {spelled}: use FindingCode",
                        path.display()
                    );
                }
            }
        }
    }
}
