//! Internationalized domain names: U-labels to A-labels (IDNA, UTS 46
//! processing), so that `bücher.example` and `xn--bcher-kva.example` compare
//! equal (RFC 6125 §6.4.2, RFC 9525 §7.2; RFC 7622 §3.2 for JIDs).
//!
//! Two back ends, chosen at build time:
//! * with the default `unicode-domains` feature, the `idna` crate (UTS 46
//!   with ICU4X's tables);
//! * without it, ASCII domains are handled here and non-ASCII ones by the
//!   converter the host installed with [`install_domain_to_ascii`], or are
//!   refused when there is none. The browser package installs the
//!   platform's own UTS 46 (the WHATWG URL parser every browser and Node
//!   ships) instead of carrying about 47 KiB (gzip) of Unicode tables.

/// A UTS 46 ToASCII supplied by the host: the domain in A-label form, or
/// `None` when it is not a valid domain name.
pub type DomainToAscii = fn(&str) -> Option<String>;

#[cfg(not(feature = "unicode-domains"))]
static HOST: std::sync::OnceLock<DomainToAscii> = std::sync::OnceLock::new();

/// Installs the host's UTS 46 conversion for non-ASCII domains, in builds
/// without the `unicode-domains` feature (once per process, like rustls's
/// `CryptoProvider::install_default`). Returns `false` when one was already
/// installed or the build has its own (`unicode-domains`); the first stays.
pub fn install_domain_to_ascii(f: DomainToAscii) -> bool {
    #[cfg(not(feature = "unicode-domains"))]
    {
        HOST.set(f).is_ok()
    }
    #[cfg(feature = "unicode-domains")]
    {
        let _ = f;
        false
    }
}

/// `domain` in A-label form (lower case), or `None` when it cannot be
/// converted. The caller checks the result's syntax.
pub(crate) fn to_ascii(domain: &str) -> Option<String> {
    #[cfg(feature = "unicode-domains")]
    {
        idna::domain_to_ascii(domain).ok()
    }
    #[cfg(not(feature = "unicode-domains"))]
    {
        if domain.is_ascii() {
            Some(domain.to_ascii_lowercase())
        } else {
            HOST.get()
                .and_then(|f| f(domain))
                .filter(|a| a.is_ascii())
                .map(|a| a.to_ascii_lowercase())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_lowered_and_u_labels_become_a_labels() {
        assert_eq!(to_ascii("XMPP.Example").as_deref(), Some("xmpp.example"));
        #[cfg(feature = "unicode-domains")]
        {
            assert_eq!(
                to_ascii("Bücher.example").as_deref(),
                Some("xn--bcher-kva.example")
            );
            assert!(!install_domain_to_ascii(|_| None), "the build has its own");
        }
        #[cfg(not(feature = "unicode-domains"))]
        {
            assert_eq!(to_ascii("bücher.example"), None, "no converter yet");
            assert!(install_domain_to_ascii(|d| {
                (d == "bücher.example").then(|| "XN--BCHER-KVA.example".to_owned())
            }));
            assert!(!install_domain_to_ascii(|_| None), "the first one stays");
            assert_eq!(
                to_ascii("bücher.example").as_deref(),
                Some("xn--bcher-kva.example")
            );
        }
    }
}
