//! Who may open a tunnel to us: the host's decision, taken before any TLS
//! state is made for a `<start/>` (XTLS §4.1 lets the responder refuse).
//!
//! An endpoint accepts starts from anyone by default, as the spec's examples
//! do. An application that wants tunnels only with its roster contacts
//! restricts the gate and lists them (bare JIDs, or whole domains); a start
//! from anyone else is answered `service-unavailable`, as if XTLS were not
//! implemented (RFC 6120 §8.3.3.19: nothing is revealed to strangers), and
//! costs no tunnel slot.

use crate::jid::Jid;

/// The start gate of an endpoint.
#[derive(Debug, Default, Clone)]
pub(crate) struct StartGate {
    /// Only listed JIDs and domains may start tunnels.
    restricted: bool,
    /// Bare JIDs and domains (a list: rosters are small, and a set's code
    /// costs the npm package more than a scan costs a start).
    listed: Vec<String>,
}

impl StartGate {
    /// Whether a start from `peer` may make a tunnel.
    pub(crate) fn admits(&self, peer: &Jid) -> bool {
        !self.restricted
            || self
                .listed
                .iter()
                .any(|l| l == peer.bare_str() || l == peer.domain())
    }

    /// Admit only listed JIDs (true) or anyone (false, the default).
    pub(crate) fn restrict(&mut self, restricted: bool) {
        self.restricted = restricted;
    }

    /// Lists `jid`'s bare form (a domain stands for all its JIDs).
    pub(crate) fn allow(&mut self, jid: &Jid) {
        if !self.listed.iter().any(|l| l == jid.bare_str()) {
            self.listed.push(jid.bare_str().to_owned());
        }
    }

    /// Takes `jid`'s bare form off the list; true when it was listed.
    pub(crate) fn revoke(&mut self, jid: &Jid) -> bool {
        let before = self.listed.len();
        self.listed.retain(|l| l != jid.bare_str());
        self.listed.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restricted_gate_admits_listed_jids_and_domains() {
        let j = |s| Jid::parse(s).unwrap();
        let mut g = StartGate::default();
        assert!(g.admits(&j("anyone@x.example/r")));
        g.restrict(true);
        assert!(!g.admits(&j("anyone@x.example/r")));
        g.allow(&j("juliet@capulet.lit/balcony"));
        g.allow(&j("montague.lit"));
        assert!(g.admits(&j("juliet@capulet.lit/other")));
        assert!(g.admits(&j("romeo@montague.lit/orchard")));
        assert!(!g.admits(&j("nurse@capulet.lit/c")));
        assert!(g.revoke(&j("juliet@capulet.lit")));
        assert!(!g.admits(&j("juliet@capulet.lit/balcony")));
    }
}
