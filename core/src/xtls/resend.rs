//! Recognising a stanza sent again after its tunnel handed it back, so
//! that "resend what came back" never delivers twice. A stanza flagged
//! "maybe delivered" may have arrived; so may one the server refused, when
//! the server resends IQs (XEP-0198) and bounces one copy after delivering
//! another: both are remembered once they went into the TLS stream.
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
//!   back that went into the TLS stream, a digest of its text with the names of the
//!   copies that may have arrived: (tunnel, number) for this tunnel, and
//!   for every earlier tunnel it was sent through (`HandedBack`). When the
//!   application sends a stanza with the same text to the same peer again,
//!   it goes into the new tunnel's TLS stream right after a marker
//!   `<resent xmlns='urn:xmpp:tmp:xtls:resent:0' of='TUNNEL:SEQ …'/>`
//!   (at most [`MAX_COPIES`] names, the newest).
//! - The receiver remembers, for each tunnel that ended, how many stanzas
//!   arrived through it (`Remembered`). A marked stanza one of whose
//!   copies arrived (its number is below its tunnel's count) is dropped,
//!   and nothing is delivered twice. Servers deliver one sender's stanzas
//!   in order, so the late copies through an old tunnel arrive before the
//!   peer's new `<start/>` ends it, and the count is complete before the
//!   copy comes.
//!
//! Both memories are bounded by [`Limits::remembered_tunnels`]: a resend
//! after that many further tunnels ended is delivered as new. A peer on an
//! older version of this library reports the marker as a rejected stanza
//! and delivers the stanza.
//!
//! [`Limits::remembered_tunnels`]: super::Limits::remembered_tunnels

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
/// application's own stanzas with each other (and data IQs of one peer with
/// each other), and it is small in the npm package.
pub(crate) fn digest(data: &[u8]) -> u64 {
    digest_parts(&[data])
}

/// [`digest`] of `parts` in order, without joining them: each part's length,
/// then its octets eight at a time, multiplied into the state and folded
/// (a word at a time: on the data path this runs for every data IQ, where
/// FNV-1a's octet at a time cost a tenth of a small stanza's time).
pub(crate) fn digest_parts(parts: &[&[u8]]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mix = |h: u64, w: u64| {
        let h = (h ^ w).wrapping_mul(K);
        h ^ (h >> 29)
    };
    parts.iter().fold(0xcbf2_9ce4_8422_2325, |h, part| {
        part.chunks(8).fold(mix(h, part.len() as u64), |h, chunk| {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            mix(h, u64::from_le_bytes(word))
        })
    })
}

/// Most copies a marker names: a stanza sent again more often than this
/// through tunnels that all timed out is recognised by its newest copies.
pub const MAX_COPIES: usize = 8;

/// One copy of a stanza: the tunnel it went through and its number there.
pub(crate) type Copy = (u64, u64);

/// What a tunnel that ended could still have delivered: each stanza's text
/// as sent (routing stripped) and its copies.
pub(crate) type Resendable = Vec<(Vec<u8>, Vec<Copy>)>;

/// The marker written before a stanza sent again, naming its copies.
pub(crate) fn marker(copies: &[Copy]) -> Box<[u8]> {
    let mut m = String::with_capacity(64 + 28 * copies.len());
    m.push_str("<resent xmlns='");
    m.push_str(RESENT_NS);
    m.push_str("' of='");
    for (i, (tunnel, seq)) in copies.iter().enumerate() {
        if i > 0 {
            m.push(' ');
        }
        m.push_str(&crate::identity::hex(&tunnel.to_be_bytes()));
        m.push(':');
        m.push_str(&seq.to_string());
    }
    m.push_str("'/>");
    m.into_bytes().into_boxed_slice()
}

/// The copies a marker element names; `None` when `el` is not a marker.
/// Names that cannot be read are left out.
pub(crate) fn read_marker(el: &Element) -> Option<Vec<Copy>> {
    if el.name != "resent" || el.ns != RESENT_NS {
        return None;
    }
    let copies = el
        .attr("of")
        .unwrap_or_default()
        .split_ascii_whitespace()
        .filter_map(|c| {
            let (t, n) = c.split_once(':')?;
            Some((u64::from_str_radix(t, 16).ok()?, n.parse().ok()?))
        })
        .take(MAX_COPIES)
        .collect();
    Some(copies)
}

/// `copies` with `newest` added, keeping the newest [`MAX_COPIES`].
pub(crate) fn with_copy(mut copies: Vec<Copy>, newest: Option<Copy>) -> Vec<Copy> {
    copies.extend(newest);
    let extra = copies.len().saturating_sub(MAX_COPIES);
    copies.drain(..extra);
    copies
}

/// A stanza handed back as maybe delivered.
#[derive(Debug)]
struct Entry {
    /// The tunnel that handed it back (its age in the endpoint).
    group: u64,
    peer: Jid,
    digest: u64,
    copies: Vec<Copy>,
}

/// Stanzas handed back as maybe delivered, to recognise when they are sent
/// again, oldest first.
#[derive(Debug, Default)]
pub(crate) struct HandedBack {
    entries: Vec<Entry>,
    /// Tunnels whose stanzas are in `entries`, oldest first.
    groups: Vec<u64>,
}

impl HandedBack {
    /// Remembers what a tunnel to `peer` (of age `group`) handed back:
    /// each stanza's text (as sent) and its copies. Forgets the oldest
    /// tunnel's beyond `limit` tunnels.
    pub(crate) fn remember(&mut self, peer: &Jid, group: u64, stanzas: Resendable, limit: usize) {
        if stanzas.is_empty() {
            return;
        }
        for (text, copies) in stanzas {
            self.entries.push(Entry {
                group,
                peer: peer.clone(),
                digest: digest(&text),
                copies,
            });
        }
        self.groups.push(group);
        if self.groups.len() > limit {
            let old: Vec<u64> = self.groups.drain(..self.groups.len() - limit).collect();
            self.entries.retain(|e| !old.contains(&e.group));
        }
    }

    /// The copies of `stanza` sent to `peer`, when it is one handed back
    /// (each is matched once).
    pub(crate) fn take(&mut self, peer: &Jid, stanza: &[u8]) -> Option<Vec<Copy>> {
        if self.entries.is_empty() {
            return None;
        }
        let d = digest(stanza);
        let i = self
            .entries
            .iter()
            .position(|e| e.digest == d && e.peer == *peer)?;
        Some(self.entries.remove(i).copies)
    }
}

/// How many stanzas arrived through each tunnel that ended, newest last.
#[derive(Debug, Default)]
pub(crate) struct Remembered {
    closed: Vec<(Jid, u64, u64)>,
}

impl Remembered {
    /// Tunnel `tunnel` with `peer` ended after `count` stanzas arrived.
    pub(crate) fn remember(&mut self, peer: &Jid, tunnel: u64, count: u64, limit: usize) {
        self.closed.push((peer.clone(), tunnel, count));
        if self.closed.len() > limit {
            self.closed.drain(..self.closed.len() - limit);
        }
    }

    /// True when one of `copies` of a stanza from `peer` arrived.
    pub(crate) fn arrived(&self, peer: &Jid, copies: &[Copy]) -> bool {
        copies.iter().any(|(tunnel, seq)| {
            self.closed
                .iter()
                .any(|(p, t, n)| t == tunnel && seq < n && p == peer)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{parse, XmlLimits};

    #[test]
    fn a_marker_reads_back() {
        let m = marker(&[(0xfeed, 7), (1, 0)]);
        let el = parse(&m, &XmlLimits::default()).unwrap();
        assert_eq!(read_marker(&el), Some(vec![(0xfeed, 7), (1, 0)]));
        let bad = parse(
            format!("<resent xmlns='{RESENT_NS}' of='zz:1 2:x 3:4'/>").as_bytes(),
            &XmlLimits::default(),
        )
        .unwrap();
        assert_eq!(read_marker(&bad), Some(vec![(3, 4)]));
        let other = parse(b"<resent/>", &XmlLimits::default()).unwrap();
        assert_eq!(read_marker(&other), None);
        let many = (0..20).fold(Vec::new(), |c, i| with_copy(c, Some((i, i))));
        assert_eq!(many.len(), MAX_COPIES);
        assert_eq!(many[0], (12, 12), "the newest are kept");
    }

    #[test]
    fn handed_back_stanzas_match_once_and_are_bounded() {
        let peer = Jid::parse("juliet@capulet.lit/balcony").unwrap();
        let other = Jid::parse("nurse@capulet.lit/c").unwrap();
        let mut h = HandedBack::default();
        h.remember(&peer, 1, vec![(b"<message/>".to_vec(), vec![(1, 3)])], 2);
        assert!(h.take(&other, b"<message/>").is_none(), "another peer");
        assert_eq!(h.take(&peer, b"<message/>"), Some(vec![(1, 3)]));
        assert!(h.take(&peer, b"<message/>").is_none(), "matched once");
        for t in 2..5 {
            h.remember(&peer, t, vec![(b"<x/>".to_vec(), vec![(t, t)])], 2);
        }
        assert_eq!(
            h.take(&peer, b"<x/>"),
            Some(vec![(3, 3)]),
            "tunnel 2 forgotten"
        );
        let mut r = Remembered::default();
        r.remember(&peer, 9, 4, 1);
        assert!(r.arrived(&peer, &[(1, 0), (9, 3)]) && !r.arrived(&peer, &[(9, 4)]));
        assert!(!r.arrived(&other, &[(9, 3)]));
        r.remember(&peer, 10, 4, 1);
        assert!(!r.arrived(&peer, &[(9, 0)]), "bounded");
    }
}
