//! Does a certificate name the XMPP service we wanted to reach?
//! RFC 6125 (and its successor RFC 9525) as profiled for XMPP by RFC 6120
//! §13.7.1.2 and RFC 7590 §3.
//!
//! The reference identity is the domain the user asked for plus the service
//! (`xmpp-client` or `xmpp-server`). A certificate matches through:
//! * a **DNS-ID** equal to the domain, or a wildcard `*.parent` whose `*` is
//!   the whole left-most label and stands for exactly one label (never the
//!   apex, never part of a label, never directly under a top-level domain);
//! * an **SRV-ID** `_service.domain` with the right service (no wildcards);
//! * an **XmppAddr** equal to the domain (RFC 6120 §13.7.1.4);
//! * a **CN-ID**, only when the policy allows it *and* the certificate has no
//!   subjectAltName of a type we understand (RFC 6125 §6.4.4; RFC 9525 drops
//!   CN-IDs, hence off by default).
//!
//! URI-IDs and IP addresses never match a domain. Domains compare
//! case-insensitively, without a trailing dot, after IDNA conversion of
//! U-labels to A-labels (so `bücher.example` matches `xn--bcher-kva.example`).
//! Hosting several domains on one certificate of another name (the
//! multi-tenant case of the IETF 87 slides) does not match: only DANE or
//! POSH can delegate, and they are checked elsewhere.

use std::fmt;

use super::PresentedIds;

/// The XMPP service of a reference identity (RFC 6120 §3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Service {
    /// Client-to-server: SRV-ID `_xmpp-client.<domain>`.
    XmppClient,
    /// Server-to-server: SRV-ID `_xmpp-server.<domain>`.
    XmppServer,
}

impl Service {
    /// The SRV service label, e.g. `_xmpp-client`.
    pub fn srv_label(self) -> &'static str {
        match self {
            Service::XmppClient => "_xmpp-client",
            Service::XmppServer => "_xmpp-server",
        }
    }

    /// `xmpp-client` or `xmpp-server`.
    pub fn as_str(self) -> &'static str {
        &self.srv_label()[1..]
    }

    /// Parses `xmpp-client` / `xmpp-server`.
    pub fn parse(s: &str) -> Option<Service> {
        <Service as crate::names::Named>::parse(s)
    }
}

/// What we expected the certificate to name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceIdentity {
    /// The domain in A-label form, lowercase, without trailing dot.
    domain: String,
    service: Service,
}

/// Why an identifier could not be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidDomain(pub String);

impl fmt::Display for InvalidDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a valid domain name: \"{}\"", self.0.escape_debug())
    }
}

impl std::error::Error for InvalidDomain {}

/// A domain in the form we compare: IDNA A-labels (UTS 46 processing), lower
/// case, no trailing dot. `None` when it is not a domain name.
pub fn normalize_domain(domain: &str) -> Option<String> {
    let d = domain.strip_suffix('.').unwrap_or(domain);
    if d.is_empty() || d.contains('*') {
        return None;
    }
    let ascii = super::idn::to_ascii(d)?;
    let ok = !ascii.is_empty()
        && ascii.len() <= 253
        && ascii.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    ok.then_some(ascii)
}

impl ReferenceIdentity {
    /// The reference identity for `domain` (U-labels or A-labels) and
    /// `service`.
    pub fn new(domain: &str, service: Service) -> Result<Self, InvalidDomain> {
        let d = normalize_domain(domain).ok_or_else(|| InvalidDomain(domain.to_owned()))?;
        Ok(ReferenceIdentity { domain: d, service })
    }

    /// The domain, in A-label form.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The service.
    pub fn service(&self) -> Service {
        self.service
    }
}

/// Which presented identifier matched (for the report).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Matched {
    /// A DNS-ID equal to the domain.
    DnsId(String),
    /// A wildcard DNS-ID covering the domain.
    WildcardDnsId(String),
    /// An SRV-ID for the service and domain.
    SrvId(String),
    /// An XmppAddr equal to the domain.
    XmppAddr(String),
    /// The subject CN (only with CN fallback, and only without usable SANs).
    CnId(String),
}

/// Which presented identifier matched (RFC 6125 §6, RFC 6120 §13.7.1.4),
/// without the identifier ([`Matched`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum MatchKind {
    /// [`Matched::DnsId`].
    DnsId,
    /// [`Matched::WildcardDnsId`].
    WildcardDnsId,
    /// [`Matched::SrvId`].
    SrvId,
    /// [`Matched::XmppAddr`].
    XmppAddr,
    /// [`Matched::CnId`].
    CnId,
}

impl MatchKind {
    /// `DNS-ID`, `SRV-ID`, … : the RFC 6125 name of the identifier type,
    /// as reports print it (the report JSON's `identity.type`).
    pub fn label(self) -> &'static str {
        match self {
            MatchKind::DnsId => "DNS-ID",
            MatchKind::WildcardDnsId => "DNS-ID (wildcard)",
            MatchKind::SrvId => "SRV-ID",
            MatchKind::XmppAddr => "XmppAddr",
            MatchKind::CnId => "CN-ID",
        }
    }
}

impl From<&Matched> for MatchKind {
    fn from(m: &Matched) -> Self {
        match m {
            Matched::DnsId(_) => MatchKind::DnsId,
            Matched::WildcardDnsId(_) => MatchKind::WildcardDnsId,
            Matched::SrvId(_) => MatchKind::SrvId,
            Matched::XmppAddr(_) => MatchKind::XmppAddr,
            Matched::CnId(_) => MatchKind::CnId,
        }
    }
}

crate::names::named!(MatchKind, "match kind" {
    DnsId = 1, "dns-id";
    WildcardDnsId = 2, "wildcard-dns-id";
    SrvId = 3, "srv-id";
    XmppAddr = 4, "xmpp-addr";
    CnId = 5, "cn-id";
});

impl Matched {
    /// `DNS-ID`, `SRV-ID`, … : the RFC 6125 name of the identifier type
    /// ([`MatchKind::label`]).
    pub fn kind(&self) -> &'static str {
        MatchKind::from(self).label()
    }

    /// The presented identifier, as it appears in the certificate.
    pub fn presented(&self) -> &str {
        match self {
            Matched::DnsId(s)
            | Matched::WildcardDnsId(s)
            | Matched::SrvId(s)
            | Matched::XmppAddr(s)
            | Matched::CnId(s) => s,
        }
    }
}

impl fmt::Display for Matched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.presented())
    }
}

/// Whether a presented DNS-ID (possibly a wildcard) names `reference` (an
/// A-label domain). Returns `Some(true)` for a wildcard match.
fn dns_id_matches(presented: &str, reference: &str) -> Option<bool> {
    if let Some(parent) = presented.strip_prefix("*.") {
        // The wildcard is the whole left-most label and stands for exactly
        // one label; `*.tld` is refused (it would cover a whole TLD).
        let parent = normalize_domain(parent)?;
        if !parent.contains('.') {
            return None;
        }
        let (first, rest) = reference.split_once('.')?;
        return (!first.is_empty() && rest == parent).then_some(true);
    }
    (normalize_domain(presented)? == reference).then_some(false)
}

/// Matches the presented identifiers of a certificate against the reference
/// identity. `cn_fallback` allows a CN-ID where the certificate has no
/// subjectAltName of type DNS, SRV, XmppAddr or URI.
pub fn match_identity(
    ids: &PresentedIds,
    reference: &ReferenceIdentity,
    cn_fallback: bool,
) -> Option<Matched> {
    let want = reference.domain.as_str();
    for d in &ids.dns {
        match dns_id_matches(d, want) {
            Some(false) => return Some(Matched::DnsId(d.clone())),
            Some(true) => return Some(Matched::WildcardDnsId(d.clone())),
            None => {}
        }
    }
    for s in &ids.srv {
        let Some((label, domain)) = s.split_once('.') else {
            continue;
        };
        if label.eq_ignore_ascii_case(reference.service.srv_label())
            && normalize_domain(domain).as_deref() == Some(want)
        {
            return Some(Matched::SrvId(s.clone()));
        }
    }
    for a in &ids.xmpp_addr {
        // A server's XmppAddr is its bare domain (no localpart, no resource).
        if !a.contains('@') && !a.contains('/') && normalize_domain(a).as_deref() == Some(want) {
            return Some(Matched::XmppAddr(a.clone()));
        }
    }
    let has_san = !(ids.dns.is_empty()
        && ids.srv.is_empty()
        && ids.xmpp_addr.is_empty()
        && ids.uri.is_empty());
    if cn_fallback && !has_san {
        for cn in &ids.cn {
            if dns_id_matches(cn, want).is_some() {
                return Some(Matched::CnId(cn.clone()));
            }
        }
    }
    None
}

crate::names::named!(Service, "service" {
    XmppClient = 0, "xmpp-client";
    XmppServer = 1, "xmpp-server";
});

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(dns: &[&str], srv: &[&str], xmpp: &[&str], cn: &[&str]) -> PresentedIds {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect();
        PresentedIds {
            dns: v(dns),
            srv: v(srv),
            xmpp_addr: v(xmpp),
            cn: v(cn),
            ..PresentedIds::default()
        }
    }

    fn client(d: &str) -> ReferenceIdentity {
        ReferenceIdentity::new(d, Service::XmppClient).unwrap()
    }

    #[test]
    fn dns_id_rules() {
        let r = client("Example.NET.");
        assert_eq!(
            match_identity(&ids(&["example.net"], &[], &[], &[]), &r, false),
            Some(Matched::DnsId("example.net".into()))
        );
        let im = client("im.example.net");
        let w = ids(&["*.example.net"], &[], &[], &[]);
        assert_eq!(
            match_identity(&w, &im, false),
            Some(Matched::WildcardDnsId("*.example.net".into()))
        );
        // Never the apex, never two labels, never partial or TLD-wide.
        assert_eq!(match_identity(&w, &r, false), None);
        assert_eq!(match_identity(&w, &client("a.im.example.net"), false), None);
        assert_eq!(
            match_identity(
                &ids(
                    &["f*.example.net", "*im.example.net", "im.*.net"],
                    &[],
                    &[],
                    &[]
                ),
                &im,
                false
            ),
            None
        );
        assert_eq!(
            match_identity(&ids(&["*.net"], &[], &[], &[]), &r, false),
            None
        );
        assert_eq!(match_identity(&ids(&["*"], &[], &[], &[]), &r, false), None);
    }

    #[cfg(feature = "unicode-domains")]
    #[test]
    fn idn_labels_compare_after_conversion() {
        let r = client("bücher.example");
        assert_eq!(r.domain(), "xn--bcher-kva.example");
        assert!(
            match_identity(&ids(&["xn--bcher-kva.example"], &[], &[], &[]), &r, false).is_some()
        );
        assert!(match_identity(&ids(&["BÜCHER.example"], &[], &[], &[]), &r, false).is_some());
        assert!(match_identity(&ids(&[], &[], &["bücher.example"], &[]), &r, false).is_some());
        assert!(ReferenceIdentity::new("exa mple.com", Service::XmppClient).is_err());
        assert!(ReferenceIdentity::new("", Service::XmppClient).is_err());
    }

    #[test]
    fn srv_id_needs_the_right_service() {
        let c = ids(&[], &["_xmpp-client.example.net"], &[], &[]);
        assert_eq!(
            match_identity(&c, &client("example.net"), false),
            Some(Matched::SrvId("_xmpp-client.example.net".into()))
        );
        let s = ReferenceIdentity::new("example.net", Service::XmppServer).unwrap();
        assert_eq!(match_identity(&c, &s, false), None);
        assert_eq!(
            match_identity(
                &ids(&[], &["_xmpp-client.*.net"], &[], &[]),
                &client("example.net"),
                false
            ),
            None
        );
    }

    #[test]
    fn xmppaddr_is_the_bare_domain_only() {
        let r = client("example.net");
        assert!(match_identity(&ids(&[], &[], &["example.net"], &[]), &r, false).is_some());
        assert_eq!(
            match_identity(
                &ids(&[], &[], &["admin@example.net", "example.net/x"], &[]),
                &r,
                false
            ),
            None
        );
    }

    #[test]
    fn cn_only_with_fallback_and_without_sans() {
        let r = client("example.net");
        let cn_only = ids(&[], &[], &[], &["example.net"]);
        assert_eq!(match_identity(&cn_only, &r, false), None);
        assert_eq!(
            match_identity(&cn_only, &r, true),
            Some(Matched::CnId("example.net".into()))
        );
        // A SAN of a supported type disables CN fallback, even if it does not match.
        let both = ids(&["other.example"], &[], &[], &["example.net"]);
        assert_eq!(match_identity(&both, &r, true), None);
        let mut uri = cn_only.clone();
        uri.uri.push("xmpp:example.net".into());
        assert_eq!(
            match_identity(&uri, &r, true),
            None,
            "a URI-ID is a SAN too"
        );
    }

    #[test]
    fn multi_tenant_hosting_does_not_match() {
        // IETF 87: a provider's certificate presented for a hosted domain.
        let hosting = ids(
            &["hosting.example.net", "*.hosting.example.net"],
            &["_xmpp-client.hosting.example.net"],
            &["hosting.example.net"],
            &[],
        );
        assert_eq!(
            match_identity(&hosting, &client("shire.example"), true),
            None
        );
    }

    #[test]
    fn uri_and_ip_never_match_a_domain() {
        let mut p = PresentedIds::default();
        p.uri.push("xmpp:example.net".into());
        p.ip.push("192.0.2.1".into());
        assert_eq!(match_identity(&p, &client("example.net"), true), None);
    }
}
