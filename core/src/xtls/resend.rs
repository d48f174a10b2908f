//! Recognising a stanza sent again after its tunnel handed it back as
//! "maybe delivered", so that "resend what came back" never delivers twice.
//!
//! Why it is needed: with XEP-0198 stream management a server holds the
//! session of a peer whose connection dropped, and delivers what it queued
//! once the peer resumes, minutes later. Our tunnel cannot wait that long
//! for an acknowledgement (a dead peer must be noticed), so it ends and
//! hands the stanzas back; the application sends them again through a new
//! tunnel, and the peer may receive both copies.
//!
//! How, without anything the application must do:
//!
//! - Both ends of a tunnel name it by 8 octets exported from its TLS
//!   session (RFC 8446 §7.5 / RFC 5705, label [`TUNNEL_ID_LABEL`]), and
//!   both count the stanzas in its TLS stream from 0.
//! - When a tunnel ends, the sender remembers, for each stanza it hands
//!   back as maybe delivered, a digest of its text with the tunnel's name
//!   and the stanza's number ([`HandedBack`]). When the application sends a
//!   stanza with the same text to the same peer again, it goes into the
//!   new tunnel's TLS stream right after a marker
//!   `<resent xmlns='urn:xmpp:tmp:xtls:resent:0' tunnel='…' seq='…'/>`.
//! - The receiver remembers, for each tunnel that ended, how many stanzas
//!   arrived through it ([`Remembered`]). A marked stanza whose number is
//!   below that count arrived already: it is dropped, and nothing is
//!   delivered twice. Servers deliver one sender's stanzas in order, so
//!   the late copies through the old tunnel arrive before the peer's new
//!   `<start/>` ends it, and the count is complete before the copy comes.
//!
//! Both memories are bounded by [`Limits::remembered_tunnels`]: a resend
//! after that many further tunnels ended is delivered as new. A peer on an
//! older version of this library reports the marker as a rejected stanza
//! and delivers the stanza.
//!
//! [`Limits::remembered_tunnels`]: super::Limits::remembered_tunnels

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

use crate::jid::Jid;
use crate::xml::Element;

/// The namespace of the `<resent/>` marker (experimental, like XTLS's own
/// `urn:xmpp:tmp:xtls`).
pub const RESENT_NS: &str = "urn:xmpp:tmp:xtls:resent:0";

/// The exporter label of a tunnel's name: "EXPERIMENTAL" labels are the
/// ones RFC 5705 §4 leaves unregistered.
pub const TUNNEL_ID_LABEL: &[u8] = b"EXPERIMENTAL-xmpptls-tunnel-id";

/// A digest of a stanza's text (after routing was stripped), to find the
/// same stanza sent again. Not cryptographic: it only compares the
/// application's own stanzas with each other.
pub(crate) fn digest(stanza: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    stanza.hash(&mut h);
    h.finish()
}

/// The marker written before a stanza sent again.
pub(crate) fn marker(tunnel: u64, seq: u64) -> Box<[u8]> {
    format!("<resent xmlns='{RESENT_NS}' tunnel='{tunnel:016x}' seq='{seq}'/>")
        .into_bytes()
        .into_boxed_slice()
}

/// The (tunnel, number) a marker element names; `None` when `el` is not
/// a marker, `Some(None)` when it is one but unreadable.
pub(crate) fn read_marker(el: &Element) -> Option<Option<(u64, u64)>> {
    if el.name != "resent" || el.ns != RESENT_NS {
        return None;
    }
    let tunnel = el
        .attr("tunnel")
        .and_then(|t| u64::from_str_radix(t, 16).ok());
    let seq = el.attr("seq").and_then(|s| s.parse().ok());
    Some(tunnel.zip(seq))
}

/// Stanzas handed back as maybe delivered, to recognise when they are sent
/// again: (peer, digest, tunnel, number), oldest first.
#[derive(Debug, Default)]
pub(crate) struct HandedBack {
    entries: VecDeque<(Jid, u64, u64, u64)>,
    /// Tunnels whose stanzas are in `entries`, oldest first.
    tunnels: VecDeque<u64>,
}

impl HandedBack {
    /// Remembers what tunnel `tunnel` to `peer` handed back: each
    /// stanza's text and number. Forgets the oldest tunnel's beyond
    /// `limit` tunnels.
    pub(crate) fn remember<'a>(
        &mut self,
        peer: &Jid,
        tunnel: u64,
        stanzas: impl Iterator<Item = (&'a [u8], u64)>,
        limit: usize,
    ) {
        let before = self.entries.len();
        for (text, seq) in stanzas {
            self.entries
                .push_back((peer.clone(), digest(text), tunnel, seq));
        }
        if self.entries.len() == before {
            return;
        }
        self.tunnels.push_back(tunnel);
        while self.tunnels.len() > limit {
            if let Some(old) = self.tunnels.pop_front() {
                self.entries.retain(|e| e.2 != old);
            }
        }
    }

    /// The marker for `stanza` sent to `peer`, when it is one handed back
    /// (each is matched once).
    pub(crate) fn take(&mut self, peer: &Jid, stanza: &[u8]) -> Option<Box<[u8]>> {
        if self.entries.is_empty() {
            return None;
        }
        let d = digest(stanza);
        let i = self
            .entries
            .iter()
            .position(|(p, dd, _, _)| *dd == d && p == peer)?;
        let (_, _, tunnel, seq) = self.entries.remove(i)?;
        Some(marker(tunnel, seq))
    }
}

/// How many stanzas arrived through each tunnel that ended, newest last.
#[derive(Debug, Default)]
pub(crate) struct Remembered {
    closed: VecDeque<(Jid, u64, u64)>,
}

impl Remembered {
    /// Tunnel `tunnel` with `peer` ended after `count` stanzas arrived.
    pub(crate) fn remember(&mut self, peer: &Jid, tunnel: u64, count: u64, limit: usize) {
        self.closed.push_back((peer.clone(), tunnel, count));
        while self.closed.len() > limit {
            self.closed.pop_front();
        }
    }

    /// True when stanza `seq` of tunnel `tunnel` with `peer` arrived.
    pub(crate) fn arrived(&self, peer: &Jid, tunnel: u64, seq: u64) -> bool {
        self.closed
            .iter()
            .any(|(p, t, n)| *t == tunnel && seq < *n && p == peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{parse, XmlLimits};

    #[test]
    fn a_marker_reads_back() {
        let m = marker(0xfeed, 7);
        let el = parse(&m, &XmlLimits::default()).unwrap();
        assert_eq!(read_marker(&el), Some(Some((0xfeed, 7))));
        let bad = parse(
            format!("<resent xmlns='{RESENT_NS}' tunnel='zz' seq='1'/>").as_bytes(),
            &XmlLimits::default(),
        )
        .unwrap();
        assert_eq!(read_marker(&bad), Some(None));
        let other = parse(b"<resent/>", &XmlLimits::default()).unwrap();
        assert_eq!(read_marker(&other), None);
    }

    #[test]
    fn handed_back_stanzas_match_once_and_are_bounded() {
        let peer = Jid::parse("juliet@capulet.lit/balcony").unwrap();
        let other = Jid::parse("nurse@capulet.lit/c").unwrap();
        let mut h = HandedBack::default();
        h.remember(&peer, 1, [(&b"<message/>"[..], 3)].into_iter(), 2);
        assert!(h.take(&other, b"<message/>").is_none(), "another peer");
        assert_eq!(h.take(&peer, b"<message/>"), Some(marker(1, 3)));
        assert!(h.take(&peer, b"<message/>").is_none(), "matched once");
        for t in 2..5 {
            h.remember(&peer, t, [(&b"<x/>"[..], t)].into_iter(), 2);
        }
        assert_eq!(h.take(&peer, b"<x/>"), Some(marker(3, 3)), "tunnel 2 forgotten");
        let mut r = Remembered::default();
        r.remember(&peer, 9, 4, 1);
        assert!(r.arrived(&peer, 9, 3) && !r.arrived(&peer, 9, 4));
        r.remember(&peer, 10, 4, 1);
        assert!(!r.arrived(&peer, 9, 0), "bounded");
    }
}
