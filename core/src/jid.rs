//! JIDs (RFC 7622) as far as XTLS needs them: parsing, bare/full forms and the
//! i;octet ordering (RFC 4790 §9.3) that decides simultaneous starts.
//!
//! The core does not apply PRECIS profiles: JIDs are compared as the octets the
//! caller (normally the XMPP server, which stamps `from`) provides. Callers that
//! accept JIDs from users should canonicalise them before handing them over.

use std::cmp::Ordering;
use std::fmt;

use crate::error::Error;

/// Longest localpart, domainpart or resourcepart in octets (RFC 7622 §3).
pub const MAX_JID_PART: usize = 1023;

/// A parsed JID, `[local@]domain[/resource]`.
///
/// Equality, ordering and hashing are on the octets of the full JID, which
/// is exactly the "i;octet" collation the XTLS spec uses for conflict
/// resolution, so a JID is found in a map by its text (`Borrow<str>`).
#[derive(Clone, PartialEq, Eq)]
pub struct Jid {
    full: String,
    /// Octet offset where the domain starts (after `@`, or 0).
    domain_start: usize,
    /// Octet offset where the bare JID ends (the `/`, or the length).
    bare_end: usize,
}

impl Jid {
    /// Parses a JID, checking the RFC 7622 structure (non-empty parts, lengths,
    /// no characters forbidden in a localpart).
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::InvalidJid(format!("\"{}\": {why}", s.escape_debug()));
        if s.is_empty() {
            return Err(bad("empty"));
        }
        // The resource may contain '@' and '/', so split it off first.
        let bare_end = s.find('/').unwrap_or(s.len());
        let bare = &s[..bare_end];
        if bare_end < s.len() {
            let resource = &s[bare_end + 1..];
            if resource.is_empty() {
                return Err(bad("empty resourcepart"));
            }
            if resource.len() > MAX_JID_PART {
                return Err(bad("resourcepart too long"));
            }
        }
        let domain_start = match bare.find('@') {
            Some(at) => {
                let local = &bare[..at];
                if local.is_empty() {
                    return Err(bad("empty localpart"));
                }
                if local.len() > MAX_JID_PART {
                    return Err(bad("localpart too long"));
                }
                if local
                    .chars()
                    .any(|c| "\"&'/:<>@".contains(c) || c.is_whitespace() || c.is_control())
                {
                    return Err(bad("forbidden character in localpart"));
                }
                at + 1
            }
            None => 0,
        };
        let domain = &bare[domain_start..];
        if domain.is_empty() || domain.len() > MAX_JID_PART {
            return Err(bad("domainpart empty or too long"));
        }
        if domain
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "@/<>'\"&".contains(c))
        {
            return Err(bad("forbidden character in domainpart"));
        }
        Ok(Jid {
            full: s.to_owned(),
            domain_start,
            bare_end,
        })
    }

    /// The full JID as an owned string, without copying it (for events that
    /// hand the peer's address to the application).
    pub fn into_string(self) -> String {
        self.full
    }

    /// The whole JID as given.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The bare JID `local@domain` (or `domain`).
    pub fn bare_str(&self) -> &str {
        &self.full[..self.bare_end]
    }

    /// The bare JID as a `Jid`.
    pub fn to_bare(&self) -> Jid {
        Jid {
            full: self.bare_str().to_owned(),
            domain_start: self.domain_start,
            bare_end: self.bare_end,
        }
    }

    /// The domainpart.
    pub fn domain(&self) -> &str {
        &self.full[self.domain_start..self.bare_end]
    }

    /// The localpart, if any.
    pub fn local(&self) -> Option<&str> {
        (self.domain_start > 0).then(|| &self.full[..self.domain_start - 1])
    }

    /// The resourcepart, if any.
    pub fn resource(&self) -> Option<&str> {
        (self.bare_end < self.full.len()).then(|| &self.full[self.bare_end + 1..])
    }

    /// True when `other` names this JID or its bare form: the test used for
    /// inner stanza routing (an inner `from` may be the peer's bare JID).
    pub fn is_or_bare_of(&self, other: &str) -> bool {
        other == self.full || other == self.bare_str()
    }
}

impl Ord for Jid {
    /// i;octet collation (RFC 4790 §9.3): plain octet comparison.
    fn cmp(&self, other: &Self) -> Ordering {
        self.full.as_bytes().cmp(other.full.as_bytes())
    }
}

impl PartialOrd for Jid {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::hash::Hash for Jid {
    /// As the text hashes (the parts' offsets follow from it), so that
    /// hashing agrees with `Borrow<str>`.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.full.hash(state)
    }
}

impl std::borrow::Borrow<str> for Jid {
    fn borrow(&self) -> &str {
        &self.full
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl fmt::Debug for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jid({})", self.full)
    }
}

impl std::str::FromStr for Jid {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Jid::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JID is found in ordered and hashed maps by its text, as the
    /// endpoint finds a known peer's tunnel without parsing its `from`.
    #[test]
    fn maps_find_a_jid_by_its_text() {
        let romeo = Jid::parse("romeo@montague.lit/orchard").unwrap();
        let ordered = std::collections::BTreeMap::from([(romeo.clone(), 1)]);
        let hashed = std::collections::HashMap::from([(romeo.clone(), 2)]);
        assert_eq!(ordered.get("romeo@montague.lit/orchard"), Some(&1));
        assert_eq!(hashed.get("romeo@montague.lit/orchard"), Some(&2));
        assert_eq!(hashed.get("romeo@montague.lit"), None);
        assert_eq!(
            ordered
                .get_key_value("romeo@montague.lit/orchard")
                .map(|(k, _)| k),
            Some(&romeo)
        );
    }

    #[test]
    fn parts() {
        let j = Jid::parse("romeo@montague.lit/orchard").unwrap();
        assert_eq!(j.local(), Some("romeo"));
        assert_eq!(j.domain(), "montague.lit");
        assert_eq!(j.resource(), Some("orchard"));
        assert_eq!(j.bare_str(), "romeo@montague.lit");
        let r = Jid::parse("a@b/c@d/e").unwrap();
        assert_eq!(r.resource(), Some("c@d/e"));
        assert_eq!(Jid::parse("capulet.lit").unwrap().local(), None);
    }

    #[test]
    fn rejects() {
        for bad in ["", "@x", "a@", "a@b/", "a b@c", "a@b c", "a\"@b"] {
            assert!(Jid::parse(bad).is_err(), "{bad}");
        }
        assert!(Jid::parse(&format!("{}@x", "a".repeat(1024))).is_err());
    }

    #[test]
    fn octet_order_matches_spec_example() {
        // XTLS §"Agreeing to Use XTLS": juliet sorts before romeo.
        let j = Jid::parse("juliet@capulet.com/balcony").unwrap();
        let r = Jid::parse("romeo@montague.net/orchard").unwrap();
        assert!(j < r);
        // Octet order, not case-insensitive: 'Z' (0x5a) < 'a' (0x61).
        assert!(Jid::parse("Zed@x").unwrap() < Jid::parse("abe@x").unwrap());
    }
}
