//! The C constants of the core's small enums are the core's codes
//! (`xmpptls::api::Named`): cbindgen needs literals, this keeps them honest.

use xmpptls::api::{CloseKind, EventKind, MatchKind, Named, PolicyPreset, PoshOutcome, TrustKind};
use xmpptls::identity::Service;
use xmpptls::policy::{AuthMethod, Severity, Verdict};
use xmpptls::xtls::TunnelState;
use xmpptls::{KeyExchange, Role, TlsVersions, Wait};

use crate::*;

fn same<T: Named + std::fmt::Debug>(pairs: &[(T, u32)]) {
    assert_eq!(
        pairs.len(),
        T::ALL.len(),
        "every {} has a C constant",
        T::WHAT
    );
    for (v, c) in pairs {
        assert_eq!(v.code(), *c, "{v:?}");
    }
}

#[test]
fn c_constants_are_the_core_codes() {
    same(&[
        (TrustKind::Offer, XMPPTLS_TRUST_OFFER),
        (TrustKind::TrustOnFirstUse, XMPPTLS_TRUST_ON_FIRST_USE),
        (TrustKind::Pkix, XMPPTLS_TRUST_PKIX),
        (TrustKind::Pinned, XMPPTLS_TRUST_PINNED),
    ]);
    same(&[
        (TlsVersions::Tls12And13, XMPPTLS_VERSIONS_TLS12_AND_13),
        (TlsVersions::Tls13Only, XMPPTLS_VERSIONS_TLS13_ONLY),
        (TlsVersions::Tls12Only, XMPPTLS_VERSIONS_TLS12_ONLY),
    ]);
    same(&[
        (KeyExchange::PostQuantum, XMPPTLS_KEY_EXCHANGE_POST_QUANTUM),
        (
            KeyExchange::PostQuantumRequired,
            XMPPTLS_KEY_EXCHANGE_POST_QUANTUM_REQUIRED,
        ),
        (KeyExchange::Classical, XMPPTLS_KEY_EXCHANGE_CLASSICAL),
    ]);
    same(&[
        (EventKind::Established, XMPPTLS_EVENT_ESTABLISHED),
        (EventKind::Stanza, XMPPTLS_EVENT_STANZA),
        (EventKind::StanzaRejected, XMPPTLS_EVENT_STANZA_REJECTED),
        (EventKind::Closed, XMPPTLS_EVENT_CLOSED),
    ]);
    same(&[
        (CloseKind::Local, XMPPTLS_CLOSE_LOCAL),
        (CloseKind::Peer, XMPPTLS_CLOSE_PEER),
        (CloseKind::PeerUnavailable, XMPPTLS_CLOSE_PEER_UNAVAILABLE),
        (CloseKind::PeerRestarted, XMPPTLS_CLOSE_PEER_RESTARTED),
        (CloseKind::Timeout, XMPPTLS_CLOSE_TIMEOUT),
        (CloseKind::Error, XMPPTLS_CLOSE_ERROR),
    ]);
    same(&[
        (TunnelState::Starting, XMPPTLS_STATE_STARTING),
        (TunnelState::Handshaking, XMPPTLS_STATE_HANDSHAKING),
        (TunnelState::Established, XMPPTLS_STATE_ESTABLISHED),
        (TunnelState::Closing, XMPPTLS_STATE_CLOSING),
    ]);
    same(&[
        (Role::Initiator, XMPPTLS_ROLE_INITIATOR),
        (Role::Responder, XMPPTLS_ROLE_RESPONDER),
    ]);
    same(&[
        (Wait::Proceed, XMPPTLS_WAIT_PROCEED),
        (Wait::Handshake, XMPPTLS_WAIT_HANDSHAKE),
        (Wait::Ack, XMPPTLS_WAIT_ACK),
        (Wait::Closed, XMPPTLS_WAIT_CLOSED),
    ]);
    same(&[
        (PolicyPreset::Strict, XMPPTLS_POLICY_STRICT),
        (PolicyPreset::Tls13Only, XMPPTLS_POLICY_TLS13_ONLY),
        (
            PolicyPreset::OpportunisticS2s,
            XMPPTLS_POLICY_OPPORTUNISTIC_S2S,
        ),
        (PolicyPreset::Xtls, XMPPTLS_POLICY_XTLS),
    ]);
    same(&[
        (AuthMethod::Pkix, XMPPTLS_AUTH_PKIX),
        (AuthMethod::Dane, XMPPTLS_AUTH_DANE),
        (AuthMethod::Posh, XMPPTLS_AUTH_POSH),
        (AuthMethod::Pinned, XMPPTLS_AUTH_PINNED),
        (AuthMethod::Dialback, XMPPTLS_AUTH_DIALBACK),
        (AuthMethod::Offer, XMPPTLS_AUTH_OFFER),
    ]);
    same(&[
        (Verdict::Pass, XMPPTLS_VERDICT_PASS),
        (Verdict::Warn, XMPPTLS_VERDICT_WARN),
        (Verdict::Fail, XMPPTLS_VERDICT_FAIL),
    ]);
    same(&[
        (Severity::Info, XMPPTLS_SEVERITY_INFO),
        (Severity::Warning, XMPPTLS_SEVERITY_WARNING),
        (Severity::Error, XMPPTLS_SEVERITY_ERROR),
    ]);
    same(&[
        (Service::XmppClient, XMPPTLS_SERVICE_CLIENT),
        (Service::XmppServer, XMPPTLS_SERVICE_SERVER),
    ]);
    same(&[
        (MatchKind::DnsId, XMPPTLS_MATCH_DNS_ID),
        (MatchKind::WildcardDnsId, XMPPTLS_MATCH_WILDCARD_DNS_ID),
        (MatchKind::SrvId, XMPPTLS_MATCH_SRV_ID),
        (MatchKind::XmppAddr, XMPPTLS_MATCH_XMPP_ADDR),
        (MatchKind::CnId, XMPPTLS_MATCH_CN_ID),
    ]);
    same(&[
        (PoshOutcome::Match, XMPPTLS_POSH_MATCH),
        (PoshOutcome::NoMatch, XMPPTLS_POSH_NO_MATCH),
        (PoshOutcome::Expired, XMPPTLS_POSH_EXPIRED),
        (
            PoshOutcome::NoUsableFingerprint,
            XMPPTLS_POSH_NO_USABLE_FINGERPRINT,
        ),
        (PoshOutcome::Malformed, XMPPTLS_POSH_MALFORMED),
        (
            PoshOutcome::InsecureRedirect,
            XMPPTLS_POSH_INSECURE_REDIRECT,
        ),
        (
            PoshOutcome::RedirectNotFollowed,
            XMPPTLS_POSH_REDIRECT_NOT_FOLLOWED,
        ),
        (
            PoshOutcome::TooManyRedirects,
            XMPPTLS_POSH_TOO_MANY_REDIRECTS,
        ),
    ]);
    assert_eq!(XMPPTLS_AUTH_NONE, 0, "no method: not in the core table");
}
