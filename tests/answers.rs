//! Every XTLS IQ-set gets exactly one answer with its id (RFC 6120 §8.2.3),
//! whatever is wrong with it: too large, malformed after its first child's
//! start tag, bad base64, TLS garbage, unknown tunnel, wrong state, wrong
//! recipient, a `from` that is no JID. Property test over generated
//! requests fed to endpoints in every tunnel state (proptest; failing cases
//! are recorded in `proptest-regressions/`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use xmpptls::xml::{self, XmlLimits};
use xmpptls::{Endpoint, Limits, TrustMode};
use xmpptls_integration::*;

/// A generated XTLS IQ-set: its front (the two start tags) is always
/// readable, so an answer is always due.
#[derive(Debug, Clone)]
struct Request {
    id: String,
    from: Option<&'static str>,
    to: Option<&'static str>,
    child: Child,
    tail: Tail,
}

#[derive(Debug, Clone)]
enum Child {
    Start {
        offer_names: Vec<String>,
        srp: bool,
    },
    Data {
        method: Option<&'static str>,
        text: Text,
    },
    Close,
    /// An element of the XTLS namespace that is no request.
    Other(&'static str),
}

#[derive(Debug, Clone)]
enum Text {
    Base64(Vec<u8>),
    Garbage(String),
    /// Valid base64 of `n` octets: with a small limit, too large.
    Huge(usize),
}

#[derive(Debug, Clone, Copy)]
enum Tail {
    Whole,
    Truncated(usize),
    Junk,
}

fn request() -> impl Strategy<Value = Request> {
    let from = prop_oneof![
        6 => Just(Some(ROMEO)),
        1 => Just(Some(NURSE)),
        1 => Just(Some("@@")),
        1 => Just(None),
    ];
    let to = prop_oneof![5 => Just(Some(JULIET)), 1 => Just(Some(NURSE)), 1 => Just(None)];
    let text = prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Text::Base64),
        2 => "[ -~]{0,40}".prop_map(Text::Garbage),
        1 => (3000usize..40_000).prop_map(Text::Huge),
    ];
    let child = prop_oneof![
        2 => (proptest::collection::vec("[0-9a-fA-F:x ]{0,70}", 0..3), any::<bool>())
            .prop_map(|(offer_names, srp)| Child::Start { offer_names, srp }),
        5 => (prop_oneof![Just(None), Just(Some("x509")), Just(Some("srp"))], text)
            .prop_map(|(method, text)| Child::Data { method, text }),
        2 => Just(Child::Close),
        1 => prop_oneof![Just("proceed"), Just("closed"), Just("bogus")].prop_map(Child::Other),
    ];
    let tail = prop_oneof![
        4 => Just(Tail::Whole),
        1 => (0usize..1000).prop_map(Tail::Truncated),
        1 => Just(Tail::Junk),
    ];
    ("[a-z0-9-]{1,12}", from, to, child, tail).prop_map(|(id, from, to, child, tail)| Request {
        id,
        from,
        to,
        child,
        tail,
    })
}

impl Request {
    fn xml(&self) -> String {
        let mut s = format!("<iq type='set' id='{}'", self.id);
        if let Some(f) = self.from {
            s.push_str(&format!(" from='{f}'"));
        }
        if let Some(t) = self.to {
            s.push_str(&format!(" to='{t}'"));
        }
        s.push('>');
        let ns = "xmlns='urn:xmpp:tmp:xtls'";
        match &self.child {
            Child::Start { offer_names, srp } => {
                s.push_str(&format!("<start {ns}><offer xmlns='urn:xmpp:tmp:c2ctls'>"));
                for n in offer_names {
                    s.push_str(&format!(
                        "<keyinfo xmlns='urn:xmpp:tmp:pubkey'><name>{n}</name></keyinfo>"
                    ));
                }
                if *srp {
                    s.push_str("<srp/>");
                }
                s.push_str("</offer></start>");
            }
            Child::Data { method, text } => {
                let m = method.map(|m| format!(" method='{m}'")).unwrap_or_default();
                let t = match text {
                    Text::Base64(b) => base64(b),
                    Text::Garbage(g) => xml_escape(g),
                    Text::Huge(n) => base64(&vec![0x17; *n]),
                };
                s.push_str(&format!("<data {ns}{m}>{t}</data>"));
            }
            Child::Close => s.push_str(&format!("<close {ns}/>")),
            Child::Other(name) => s.push_str(&format!("<{name} {ns}/>")),
        }
        s.push_str("</iq>");
        let front = s.find("xtls'").unwrap() + 6;
        match self.tail {
            Tail::Whole => s,
            Tail::Truncated(at) => s[..(front + at).min(s.len())].to_owned(),
            Tail::Junk => s + "<junk",
        }
    }
}

fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;")
}

/// Juliet in a given state with romeo: none, starting (she accepted his
/// start), established.
fn juliet_in(state: u8) -> Endpoint {
    let limits = Limits {
        max_stanza_bytes: 16 * 1024,
        ..Limits::default()
    };
    let mut j = endpoint_with(JULIET, TrustMode::Offer, |c| c.limits = limits);
    if state == 0 {
        return j;
    }
    let mut r = endpoint(ROMEO, TrustMode::Offer);
    r.open(&jid(JULIET), now()).unwrap();
    let start = r.poll_transmit().unwrap();
    j.handle_incoming(start.as_bytes(), now()).unwrap();
    if state == 2 {
        pump(&mut j, &mut r, now());
    }
    while j.poll_transmit().is_some() {}
    while j.poll_event().is_some() {}
    j
}

fn answers_to(out: &[String], id: &str) -> usize {
    let limits = XmlLimits::default();
    out.iter()
        .filter(|s| {
            let (root, _) = xml::read_head(s.as_bytes(), &limits).unwrap();
            root.attr("id") == Some(id) && matches!(root.attr("type"), Some("result" | "error"))
        })
        .count()
}

proptest! {
    #![proptest_config(proptest_config(0x4951_5345, 256))]

    #[test]
    fn every_xtls_iq_set_gets_exactly_one_answer(
        state in 0u8..3,
        requests in proptest::collection::vec(request(), 1..12),
    ) {
        let mut j = juliet_in(state);
        for r in &requests {
            let text = r.xml();
            let result = j.handle_incoming(text.as_bytes(), now());
            let out: Vec<String> = std::iter::from_fn(|| j.poll_transmit()).collect();
            prop_assert_eq!(answers_to(&out, &r.id), 1, "{:?} → {:?}: {}", r, result, text);
            let answer = out
                .iter()
                .find(|s| s.contains(&format!("id='{}'", r.id)))
                .unwrap();
            // To whom it came from, as it said so (none: our own server).
            match r.from {
                Some(f) => prop_assert!(answer.contains(&format!("to='{f}'")), "{}", answer),
                None => prop_assert!(!answer.contains(" to="), "{}", answer),
            }
            while j.poll_event().is_some() {}
            prop_assert!(j.poll_timeout().is_some() || j.pending_answers() == 0);
        }
    }
}
