//! The one error type of the bindings: a flat enum (no nested errors), one
//! variant per group of the core's stable codes, each with the number
//! itself so an app can log or branch on it.

use std::fmt;

/// Everything that can fail, one variant per `xmpptls::ErrorGroup` of the
/// core's codes (`xmpptls::Error::code`): 1xx input, 2xx XTLS protocol, 3xx TLS and trust,
/// 4xx limits, 5xx configuration and usage. `code` is the core's number,
/// never renumbered (an `Int` in Kotlin); `detail` is a sentence for logs.
///
/// Kotlin: `XmppTlsException.Trust(code, detail)`, Swift:
/// `XmppTlsError.trust(code:detail:)`, Python: `XmppTlsError.Trust`; in
/// each, `code` and `detail` are on the base type too and the message reads
/// `[code] detail` (scripts/lib/polish-bindings.py and the Python package's
/// `__init__.py` shape the generated code so).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum XmppTlsError {
    /// 1xx: malformed XML, JID, base64, or a payload over a limit.
    Input {
        /// The stable code.
        code: i32,
        /// What was wrong.
        detail: String,
    },
    /// 2xx: an XTLS protocol error, or the peer refused.
    Protocol {
        /// The stable code.
        code: i32,
        /// What was wrong.
        detail: String,
    },
    /// 300: TLS failed.
    Tls {
        /// The stable code.
        code: i32,
        /// rustls's message.
        detail: String,
    },
    /// 301: the peer's certificate was not accepted (including a changed pin).
    Trust {
        /// The stable code.
        code: i32,
        /// Why.
        detail: String,
    },
    /// 4xx: a configured limit was reached.
    Limit {
        /// The stable code.
        code: i32,
        /// Which limit.
        detail: String,
    },
    /// 5xx: invalid configuration, identity material or argument.
    Config {
        /// The stable code.
        code: i32,
        /// What was wrong.
        detail: String,
    },
}

impl From<xmpptls::Error> for XmppTlsError {
    fn from(e: xmpptls::Error) -> Self {
        use xmpptls::ErrorGroup;
        // Codes are below 1000: an Int in Kotlin (`e.code == 301`), Int32
        // in Swift.
        let (code, detail) = (e.code() as i32, e.to_string());
        match e.group() {
            ErrorGroup::Input => XmppTlsError::Input { code, detail },
            ErrorGroup::Protocol => XmppTlsError::Protocol { code, detail },
            ErrorGroup::Tls => XmppTlsError::Tls { code, detail },
            ErrorGroup::Trust => XmppTlsError::Trust { code, detail },
            ErrorGroup::Limit => XmppTlsError::Limit { code, detail },
            ErrorGroup::Config => XmppTlsError::Config { code, detail },
        }
    }
}

impl fmt::Display for XmppTlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (XmppTlsError::Input { code, detail }
        | XmppTlsError::Protocol { code, detail }
        | XmppTlsError::Tls { code, detail }
        | XmppTlsError::Trust { code, detail }
        | XmppTlsError::Limit { code, detail }
        | XmppTlsError::Config { code, detail }) = self;
        write!(f, "[{code}] {detail}")
    }
}

impl std::error::Error for XmppTlsError {}

/// The JID `s`, or an input error.
pub(crate) fn parse_jid(s: &str) -> Result<xmpptls::Jid, XmppTlsError> {
    xmpptls::Jid::parse(s).map_err(XmppTlsError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_follow_the_core_codes() {
        let e: XmppTlsError = xmpptls::Error::Base64.into();
        assert_eq!(
            e,
            XmppTlsError::Input {
                code: 102,
                detail: "<data/> is not valid base64".into()
            }
        );
        let e: XmppTlsError = xmpptls::Error::TunnelClosed.into();
        assert!(matches!(e, XmppTlsError::Protocol { code: 210, .. }));
        let e: XmppTlsError = xmpptls::Error::Trust(xmpptls::TrustError::UnknownPeer).into();
        assert!(matches!(e, XmppTlsError::Trust { code: 301, .. }));
        let e: XmppTlsError = xmpptls::Error::BufferFull { limit: 1 }.into();
        assert!(matches!(e, XmppTlsError::Limit { code: 401, .. }));
        assert!(parse_jid("not a jid@@").is_err());
    }
}
