//! `xmpptls demo`: two endpoints, an in-memory router, everything printed.

use std::time::SystemTime;

use serde_json::json;
use xmpptls::xml::{self, Element, Node, XmlLimits};
use xmpptls::xtls::router::{MemoryRouter, WireRecord};
use xmpptls::{
    CloseReason, Endpoint, EndpointConfig, Error, Event, Identity, Jid, PinStore, TrustMode,
    TunnelInfo, UnixTime,
};

const ROMEO: &str = "romeo@montague.lit/orchard";
const JULIET: &str = "juliet@capulet.lit/balcony";

const LINES: [(&str, &str); 4] = [
    (ROMEO, "But soft, what light through yonder window breaks?"),
    (JULIET, "O Romeo, Romeo, wherefore art thou Romeo?"),
    (
        ROMEO,
        "I take thee at thy word: call me but love, and I'll be new baptized.",
    ),
    (
        JULIET,
        "Good night, good night! Parting is such sweet sorrow.",
    ),
];

struct Out {
    json: bool,
}

impl Out {
    fn text(&self, s: &str) {
        if !self.json {
            println!("{s}");
        }
    }
    fn obj(&self, v: serde_json::Value) {
        if self.json {
            println!("{v}");
        }
    }
}

fn now() -> UnixTime {
    UnixTime::since_unix_epoch(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

/// A demo endpoint: a self-signed identity, trust on first use.
pub(crate) fn endpoint(jid: &str) -> Result<Endpoint, Error> {
    let jid = Jid::parse(jid)?;
    let identity = Identity::self_signed(&jid)?;
    // Trust on first use, with the XEP-0250 offer hash checked as well.
    Endpoint::new(EndpointConfig::new(
        jid,
        identity,
        TrustMode::TrustOnFirstUse(PinStore::new()),
    ))
}

/// Shortens long base64 and hashes so a stanza fits a line.
fn abbreviate(stanza: &str) -> String {
    fn walk(e: &mut Element) {
        for n in &mut e.children {
            match n {
                Node::Text(t) if t.len() > 24 => {
                    *t = format!("{}…[{} chars]", &t[..16], t.len());
                }
                Node::Element(c) => walk(c),
                Node::Text(_) => {}
            }
        }
    }
    match xml::parse(stanza.as_bytes(), &XmlLimits::default()) {
        Ok(mut e) => {
            walk(&mut e);
            e.to_xml()
        }
        Err(_) => stanza.to_owned(),
    }
}

fn who(jid: &str) -> &str {
    jid.split('@').next().unwrap_or(jid)
}

fn print_wire(out: &Out, log: &[WireRecord]) {
    for w in log {
        let short = abbreviate(&w.stanza);
        out.text(&format!(
            "  {:>6} → {:<6} {short}",
            who(&w.from),
            who(&w.to)
        ));
        out.obj(json!({"event": "wire", "from": w.from, "to": w.to, "stanza": short}));
    }
}

fn info_json(side: &str, peer: &str, i: &TunnelInfo) -> serde_json::Value {
    json!({
        "event": "established", "side": side, "peer": peer,
        "role": format!("{:?}", i.role).to_lowercase(),
        "tls_version": i.tls_version, "cipher_suite": i.cipher_suite, "kx_group": i.kx_group,
        "resumed": i.resumed, "peer_auth": i.peer_auth.to_string(),
        "offer_verified": i.offer_verified, "peer_spki_sha256": i.peer_spki_sha256,
        "report": i.report.to_json_value(),
    })
}

/// Drains events of both sides, printing them; returns (messages, infos).
fn drain(
    out: &Out,
    r: &mut MemoryRouter,
    delivered: &mut usize,
    infos: &mut Vec<TunnelInfo>,
) -> Result<(), Error> {
    for me in [ROMEO, JULIET] {
        let ep = r
            .get_mut(&Jid::parse(me)?)
            .ok_or_else(|| Error::Config("endpoint missing".into()))?;
        while let Some(ev) = ep.poll_event() {
            match ev {
                Event::Established { peer, info } => {
                    out.text(&format!(
                        "  {} ⇄ {}: {} {} ({}), {}; {} authenticated {} by {}{}; policy verdict: {}",
                        who(me),
                        who(peer.as_str()),
                        info.tls_version,
                        info.cipher_suite,
                        info.kx_group,
                        if info.resumed {
                            "resumed session"
                        } else {
                            "full handshake"
                        },
                        who(me),
                        who(peer.as_str()),
                        info.peer_auth,
                        if info.offer_verified {
                            " + XEP-0250 offer hash verified"
                        } else {
                            ""
                        },
                        info.report.evaluation.verdict,
                    ));
                    out.obj(info_json(me, peer.as_str(), &info));
                    infos.push(*info);
                }
                Event::Stanza { peer, stanza } => {
                    *delivered += 1;
                    let body = xml::parse(stanza.as_bytes(), &XmlLimits::default())
                        .ok()
                        .and_then(|e| e.elements().find(|c| c.name == "body").map(Element::text))
                        .unwrap_or_default();
                    out.text(&format!(
                        "  {} received from {}: “{body}”",
                        who(me),
                        who(peer.as_str())
                    ));
                    out.text(&format!("         {stanza}"));
                    out.obj(json!({"event": "message", "to": me, "from": peer.as_str(), "stanza": stanza, "body": body}));
                }
                Event::Closed {
                    peer,
                    reason,
                    returned,
                } => {
                    let why = match &reason {
                        CloseReason::Error(e) => format!("error: {e}"),
                        other => other.to_string(),
                    };
                    if !returned.is_empty() {
                        return Err(Error::Config(format!(
                            "{} stanzas were not acknowledged",
                            returned.len()
                        )));
                    }
                    out.text(&format!(
                        "  {}: tunnel with {} {why}",
                        who(me),
                        who(peer.as_str())
                    ));
                    out.obj(json!({"event": "closed", "side": me, "peer": peer.as_str(), "reason": why}));
                    if let CloseReason::Error(e) = reason {
                        return Err(e);
                    }
                }
                Event::StanzaRejected { peer, error } => {
                    out.text(&format!(
                        "  {}: rejected a stanza from {}: {error}",
                        who(me),
                        who(peer.as_str())
                    ));
                    out.obj(json!({"event": "rejected", "side": me, "peer": peer.as_str(), "error": error.to_string()}));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn step(
    out: &Out,
    r: &mut MemoryRouter,
    title: &str,
    delivered: &mut usize,
    infos: &mut Vec<TunnelInfo>,
) -> Result<(), Error> {
    out.text(&format!("\n== {title}"));
    r.log.clear();
    r.run(now())?;
    print_wire(out, &r.log);
    drain(out, r, delivered, infos)?;
    if let Some((jid, e)) = r.errors.first() {
        return Err(Error::Config(format!("{jid} refused a stanza: {e}")));
    }
    Ok(())
}

fn ep<'a>(r: &'a mut MemoryRouter, j: &Jid) -> Result<&'a mut Endpoint, Error> {
    r.get_mut(j)
        .ok_or_else(|| Error::Config("endpoint missing".into()))
}

/// Runs the demo.
pub fn run(json: bool) -> Result<(), Error> {
    let out = Out { json };
    let (romeo, juliet) = (Jid::parse(ROMEO)?, Jid::parse(JULIET)?);
    let mut r = MemoryRouter::new();
    r.record = true;
    r.add(endpoint(ROMEO)?);
    r.add(endpoint(JULIET)?);
    out.text(
        "XTLS demo (urn:xmpp:tmp:xtls): romeo@montague.lit/orchard ⇄ juliet@capulet.lit/balcony",
    );
    out.text(
        "Each side has a self-signed certificate naming its JID (XmppAddr); trust on first use,",
    );
    out.text(
        "with the certificate hash of each side's XEP-0250 offer checked against the handshake.",
    );

    let (mut delivered, mut infos) = (0usize, Vec::new());
    ep(&mut r, &romeo)?.open(&juliet, now())?;
    step(
        &out,
        &mut r,
        "start/proceed and the TLS handshake in <data/> IQs",
        &mut delivered,
        &mut infos,
    )?;

    for (from, body) in LINES {
        let (me, peer) = if from == ROMEO {
            (&romeo, &juliet)
        } else {
            (&juliet, &romeo)
        };
        let stanza = format!("<message type='chat'><body>{body}</body></message>");
        ep(&mut r, me)?.send(peer, stanza.as_bytes(), now())?;
    }
    step(
        &out,
        &mut r,
        "encrypted messages (routing stripped, restored by the receiver)",
        &mut delivered,
        &mut infos,
    )?;

    ep(&mut r, &romeo)?.close(&juliet, now())?;
    step(&out, &mut r, "close/closed", &mut delivered, &mut infos)?;

    ep(&mut r, &romeo)?.open(&juliet, now())?;
    step(
        &out,
        &mut r,
        "re-open: TLS session resumption",
        &mut delivered,
        &mut infos,
    )?;
    ep(&mut r, &juliet)?.send(
        &romeo,
        b"<message type='chat'><body>Again, so soon?</body></message>",
        now(),
    )?;
    ep(&mut r, &romeo)?.close(&juliet, now())?;
    step(
        &out,
        &mut r,
        "one more message, then close",
        &mut delivered,
        &mut infos,
    )?;

    let first = infos
        .first()
        .ok_or_else(|| Error::Config("no tunnel was established".into()))?;
    let resumed = infos.iter().skip(2).all(|i| i.resumed);
    let open = r.get(&romeo).map_or(0, Endpoint::tunnel_count)
        + r.get(&juliet).map_or(0, Endpoint::tunnel_count);
    out.text(&format!(
        "\nSummary: {delivered} messages delivered over {} {}; re-open {}; {} stanzas routed; tunnel {}.",
        first.tls_version,
        first.cipher_suite,
        if resumed { "resumed the session" } else { "did a full handshake" },
        r.routed,
        if open == 0 { "closed" } else { "open" },
    ));
    out.obj(json!({
        "tunnel": if open == 0 { "closed" } else { "open" },
        "messages_delivered": delivered,
        "tls_version": first.tls_version,
        "cipher_suite": first.cipher_suite,
        "kx_group": first.kx_group,
        "resumed_on_reopen": resumed,
        "stanzas_routed": r.routed,
        "romeo_authenticated_juliet_by": infos.iter().find(|i| i.role == xmpptls::Role::Initiator).map(|i| i.peer_auth.to_string()),
        "juliet_authenticated_romeo_by": infos.iter().find(|i| i.role == xmpptls::Role::Responder).map(|i| i.peer_auth.to_string()),
    }));
    Ok(())
}
