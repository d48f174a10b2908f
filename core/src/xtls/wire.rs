//! The XTLS elements and their IQ envelopes, read from and written to XML
//! (ProtoXEP "XMPP Transport Layer Security" v0.0.5 §4, §9 schema).

use crate::error::Error;
pub use crate::stanza_error::{Condition, StanzaError, NS_STANZAS};
use crate::xml::{
    escape_into, read_base64_leaf, read_empty_element, read_head, Element, Node, StartTag,
    XmlLimits,
};

/// The XTLS namespace (§10: temporary until the XSF assigns `urn:xmpp:xtls:0`).
pub const NS: &str = "urn:xmpp:tmp:xtls";
/// The XEP-0250 offer namespace used inside start/proceed (§4.2).
pub const NS_C2CTLS: &str = "urn:xmpp:tmp:c2ctls";
/// The namespace of `<keyinfo/>` inside an offer (XEP-0189).
pub const NS_PUBKEY: &str = "urn:xmpp:tmp:pubkey";
/// The only TLS method this implementation supports in `<data method=''/>`.
pub const METHOD_X509: &str = "x509";

/// The `type` of an IQ stanza (RFC 6120 §8.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IqType {
    /// `get`
    Get,
    /// `set`
    Set,
    /// `result`
    Result,
    /// `error`
    Error,
}

impl IqType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "get" => IqType::Get,
            "set" => IqType::Set,
            "result" => IqType::Result,
            "error" => IqType::Error,
            _ => return None,
        })
    }

    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            IqType::Get => "get",
            IqType::Set => "set",
            IqType::Result => "result",
            IqType::Error => "error",
        }
    }
}

/// A XEP-0250 offer as carried in `<start/>` and `<proceed/>` (§4.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Offer {
    /// The `<keyinfo><name/>` values: hashes of the offerer's X.509
    /// certificate. We write lowercase hex SHA-256 of the certificate DER.
    pub x509_hashes: Vec<String>,
    /// Whether `<srp/>` was offered (never by us: rustls has no SRP).
    pub srp: bool,
}

impl Offer {
    fn from_element(e: &Element) -> Self {
        let mut offer = Offer::default();
        for c in e.elements() {
            if c.is("keyinfo", NS_PUBKEY) {
                for n in c.elements().filter(|n| n.name == "name") {
                    offer.x509_hashes.push(n.text().trim().to_owned());
                }
            } else if c.name == "srp" {
                offer.srp = true;
            }
        }
        offer
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("offer", NS_C2CTLS);
        for h in &self.x509_hashes {
            e = e.with_child(
                Element::new("keyinfo", NS_PUBKEY)
                    .with_child(Element::new("name", NS_PUBKEY).with_text(h)),
            );
        }
        if self.srp {
            e = e.with_child(Element::new("srp", NS_C2CTLS));
        }
        e
    }
}

/// The element in `<start/>` and `<proceed/>` that offers (and, in
/// `<proceed/>`, accepts) data in IQ results: an extension of XTLS §4.3,
/// see [`Payload::AckData`]. A peer that does not know it ignores it.
pub const PIGGYBACK: &str = "piggyback";

/// What an XTLS-relevant IQ carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// IQ-set `<start/>`, optionally with an offer.
    Start {
        /// The XEP-0250 offer.
        offer: Option<Offer>,
        /// `<piggyback/>`: the initiator takes data in IQ results.
        piggyback: bool,
    },
    /// IQ-result `<proceed/>`, optionally with an offer.
    Proceed {
        /// The XEP-0250 offer.
        offer: Option<Offer>,
        /// `<piggyback/>`: both sides may put data in IQ results.
        piggyback: bool,
    },
    /// IQ-set `<data/>`: base64 text as received (whitespace allowed) and the
    /// `method` attribute.
    Data {
        /// The `method` attribute (present on the first data of a tunnel).
        method: Option<String>,
        /// The base64 text.
        base64: String,
        /// The `ack` attribute (with piggyback): TLS octets of our stream
        /// the sender has read, which confirms every data IQ or result up
        /// to there.
        ack: Option<u64>,
    },
    /// IQ-result carrying `<data/>` (with piggyback): the acknowledgement
    /// of the data IQ it answers, and the next TLS octets of the answering
    /// side's stream. So a request answered at once costs two stanzas
    /// through the servers instead of four (data and acknowledgement each
    /// way); the octets it carries are confirmed by the `ack` of the
    /// receiver's next `<data/>` (or by its result to a later data IQ).
    AckData {
        /// The base64 text (may be empty).
        base64: String,
        /// The `ack` attribute, as in [`Payload::Data`].
        ack: Option<u64>,
    },
    /// IQ-set `<close/>`.
    Close,
    /// IQ-result `<closed/>`.
    Closed,
    /// An empty IQ-result (acknowledgement).
    Ack,
    /// An IQ-error.
    Error(StanzaError),
}

impl Payload {
    /// The IQ type this payload travels in.
    pub fn iq_type(&self) -> IqType {
        match self {
            Payload::Start { .. } | Payload::Data { .. } | Payload::Close => IqType::Set,
            Payload::Proceed { .. } | Payload::Closed | Payload::Ack | Payload::AckData { .. } => {
                IqType::Result
            }
            Payload::Error(_) => IqType::Error,
        }
    }
}

/// An IQ stanza with an XTLS payload, or an IQ result/error that may answer an
/// XTLS request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XtlsIq {
    /// `from`, as stamped by the server.
    pub from: Option<String>,
    /// `to`.
    pub to: Option<String>,
    /// `id`.
    pub id: String,
    /// The payload.
    pub payload: Payload,
}

/// Reads an IQ element. Returns `Ok(None)` when it is not ours to handle
/// (another namespace, not an IQ, a get): the host library keeps it.
pub fn read_iq(mut iq: Element) -> Result<Option<XtlsIq>, Error> {
    if iq.name != "iq" || !stanza_ns(&iq.ns) {
        return Ok(None);
    }
    let Some(kind) = iq.attr("type").and_then(IqType::parse) else {
        return Ok(None);
    };
    // An IQ-set or result has one payload element (RFC 6120 §8.2.3): ours
    // when it is in the XTLS namespace.
    let xtls_child = iq
        .elements()
        .next()
        .filter(|c| c.ns == NS)
        .map(|c| c.name.clone());
    let id = iq.attr("id").map(str::to_owned);
    let from = iq.attr("from").map(str::to_owned);
    let to = iq.attr("to").map(str::to_owned);
    let payload = match kind {
        IqType::Get => return Ok(None),
        IqType::Error => {
            let err = iq
                .child("error", &iq.ns)
                .or_else(|| iq.elements().find(|e| e.name == "error"))
                .map(StanzaError::from_element)
                .unwrap_or_else(|| {
                    StanzaError::new(Condition::Other("undefined-condition".into()), None)
                });
            Payload::Error(err)
        }
        IqType::Result => match xtls_child.as_deref() {
            Some("proceed") => {
                let (offer, piggyback) = negotiation(&iq, "proceed");
                Payload::Proceed { offer, piggyback }
            }
            Some("closed") => Payload::Closed,
            Some("data") => {
                let data = data_child(&mut iq)?;
                Payload::AckData {
                    ack: ack_attr(data)?,
                    base64: data.take_text(),
                }
            }
            Some(other) => return Err(Error::BadRequest(format!("<{other}/> in an IQ-result"))),
            None => Payload::Ack,
        },
        IqType::Set => match xtls_child.as_deref() {
            None => return Ok(None),
            Some("start") => {
                let (offer, piggyback) = negotiation(&iq, "start");
                Payload::Start { offer, piggyback }
            }
            Some("close") => Payload::Close,
            Some("data") => {
                let data = data_child(&mut iq)?;
                Payload::Data {
                    method: data.attr("method").map(str::to_owned),
                    ack: ack_attr(data)?,
                    base64: data.take_text(),
                }
            }
            Some(other) => return Err(Error::BadRequest(format!("<{other}/> in an IQ-set"))),
        },
    };
    let id = id.ok_or_else(|| Error::BadRequest("IQ without id".into()))?;
    Ok(Some(XtlsIq {
        from,
        to,
        id,
        payload,
    }))
}

/// The offer and the `<piggyback/>` flag of a `<start/>` or `<proceed/>`.
fn negotiation(iq: &Element, name: &str) -> (Option<Offer>, bool) {
    let el = iq.child(name, NS);
    let offer = el
        .and_then(|p| p.child("offer", NS_C2CTLS))
        .map(Offer::from_element);
    let piggyback = el.is_some_and(|p| p.child(PIGGYBACK, NS).is_some());
    (offer, piggyback)
}

/// The `<data/>` child of an IQ, to take its text.
fn data_child(iq: &mut Element) -> Result<&mut Element, Error> {
    match iq
        .children
        .iter_mut()
        .find(|n| matches!(n, Node::Element(e) if e.is("data", NS)))
    {
        Some(Node::Element(data)) => Ok(data),
        _ => Err(Error::BadRequest("data element vanished".into())),
    }
}

/// The `ack` attribute of a `<data/>`: a TLS stream offset.
fn ack_attr(data: &Element) -> Result<Option<u64>, Error> {
    parse_ack(data.attr("ack"))
}

/// Reads an `ack` value: decimal digits only.
fn parse_ack(value: Option<&str>) -> Result<Option<u64>, Error> {
    value
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| Error::BadRequest(format!("ack='{v}' is not an octet count")))
        })
        .transpose()
}

/// The envelope of an XTLS IQ-set that could not be read whole (too large,
/// malformed further in, an unknown child): enough to answer it with an
/// error, as every IQ-set must be (RFC 6120 §8.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestHead {
    /// `id`.
    pub id: String,
    /// `from`, as stamped by the server.
    pub from: Option<String>,
    /// `to`.
    pub to: Option<String>,
}

/// Reads the front of `stanza`: `Some` when it is an IQ-set with an `id`
/// whose first child is in the XTLS namespace, whatever follows.
pub(crate) fn read_request_head(stanza: &[u8], limits: &XmlLimits) -> Option<RequestHead> {
    let (root, child) = read_head(stanza, limits)?;
    let ours = root.name == "iq"
        && stanza_ns(&root.ns)
        && root.attr("type") == Some("set")
        && child.is_some_and(|c| c.ns == NS);
    if !ours {
        return None;
    }
    Some(RequestHead {
        id: root.attr("id")?.to_owned(),
        from: root.attr("from").map(str::to_owned),
        to: root.attr("to").map(str::to_owned),
    })
}

/// The envelope of a `<data/>` IQ-set read by [`read_data_iq`], borrowed
/// from the stanza (values with references unescaped).
#[derive(Debug)]
pub(crate) struct DataIq<'a> {
    /// The `<iq/>`'s start tag: `from` (as stamped by the server), `to`, `id`.
    iq: StartTag<'a>,
    /// The `<data/>`'s start tag: `method`.
    data: StartTag<'a>,
}

impl DataIq<'_> {
    /// `from`, as stamped by the server.
    pub fn from(&self) -> Option<&str> {
        self.iq.attr("from")
    }
    /// `to`.
    pub fn to(&self) -> Option<&str> {
        self.iq.attr("to")
    }
    /// `id` (present: [`read_data_iq`] checks).
    pub fn id(&self) -> &str {
        self.iq.attr("id").unwrap_or_default()
    }
    /// The `method` attribute of `<data/>`.
    pub fn method(&self) -> Option<&str> {
        self.data.attr("method")
    }
    /// True for an IQ-result carrying data ([`Payload::AckData`]).
    pub fn is_result(&self) -> bool {
        self.iq.attr("type") == Some("result")
    }
    /// The `ack` attribute of `<data/>`, or why it cannot be read.
    pub fn ack(&self) -> Result<Option<u64>, Error> {
        parse_ack(self.data.attr("ack"))
    }
}

/// True for the namespaces a stanza of a client or server stream has.
fn stanza_ns(ns: &str) -> bool {
    ns.is_empty() || ns == "jabber:client" || ns == "jabber:server"
}

/// The data path's reader (XTLS §4.3): a `<data/>` IQ-set (or, with
/// piggyback, IQ-result) whose base64 is
/// strict is read with the TLS octets decoded straight into `out`, without
/// building a tree or copying its text. `None` for every other stanza (and a
/// `<data/>` with whitespace or references in its base64): [`read_iq`] then
/// reads it, with the same result for anything that is valid.
#[inline]
pub(crate) fn read_data_iq<'a>(
    stanza: &'a [u8],
    limits: &XmlLimits,
    out: &mut Vec<u8>,
) -> Option<DataIq<'a>> {
    let mark = out.len();
    let (iq, data) = read_base64_leaf(stanza, limits, out)?;
    let ours = iq.name() == b"iq"
        && stanza_ns(iq.ns())
        && matches!(iq.attr("type"), Some("set" | "result"))
        && iq.attr("id").is_some()
        && data.name() == b"data"
        && data.ns() == NS;
    if !ours {
        out.truncate(mark);
        return None;
    }
    Some(DataIq { iq, data })
}

/// The acknowledgement's reader: an empty IQ-result with an id, the answer
/// to every data IQ (XTLS §4.3), read without building a tree. `None` for
/// anything else: [`read_iq`] then reads it.
#[inline]
pub(crate) fn read_ack<'a>(stanza: &'a [u8], limits: &XmlLimits) -> Option<StartTag<'a>> {
    let iq = read_empty_element(stanza, limits)?;
    let ours = iq.name() == b"iq"
        && stanza_ns(iq.ns())
        && iq.attr("type") == Some("result")
        && iq.attr("id").is_some();
    ours.then_some(iq)
}

impl XtlsIq {
    /// The IQ type this payload travels in.
    pub fn iq_type(&self) -> IqType {
        self.payload.iq_type()
    }

    /// Writes the IQ as XML text (a stanza of a client stream), straight into
    /// one string: these are the most frequent stanzas of a tunnel.
    pub fn to_xml(&self) -> String {
        iq_xml(
            &self.id,
            self.from.as_deref(),
            self.to.as_deref(),
            &self.payload,
        )
    }

    /// The payload element, if the IQ has one.
    fn child(&self) -> Option<Element> {
        let with_offer = |name: &str, offer: &Option<Offer>, piggyback: bool| {
            let mut el = Element::new(name, NS);
            if let Some(o) = offer {
                el = el.with_child(o.to_element());
            }
            if piggyback {
                el = el.with_child(Element::new(PIGGYBACK, NS));
            }
            el
        };
        let data = |method: Option<&str>, base64: &str, ack: Option<u64>| {
            let mut d = Element::new("data", NS);
            if !base64.is_empty() {
                d = d.with_text(base64);
            }
            if let Some(m) = method {
                d.set_attr("method", m);
            }
            if let Some(a) = ack {
                d.set_attr("ack", &a.to_string());
            }
            d
        };
        match &self.payload {
            Payload::Start { offer, piggyback } => Some(with_offer("start", offer, *piggyback)),
            Payload::Proceed { offer, piggyback } => Some(with_offer("proceed", offer, *piggyback)),
            Payload::Data {
                method,
                base64,
                ack,
            } => Some(data(method.as_deref(), base64, *ack)),
            Payload::AckData { base64, ack } => Some(data(None, base64, *ack)),
            Payload::Close => Some(Element::new("close", NS)),
            Payload::Closed => Some(Element::new("closed", NS)),
            Payload::Ack => None,
            Payload::Error(err) => Some(err.to_element()),
        }
    }

    /// The IQ as an element tree.
    pub fn to_element(&self) -> Element {
        let mut e = Element::new("iq", "jabber:client");
        e.set_attr("type", self.iq_type().as_str());
        e.set_attr("id", &self.id);
        if let Some(f) = &self.from {
            e.set_attr("from", f);
        }
        if let Some(t) = &self.to {
            e.set_attr("to", t);
        }
        if let Some(c) = self.child() {
            e = e.with_child(c);
        }
        e
    }
}

/// Writes an IQ carrying `payload` as XML text (a stanza of a client
/// stream), straight into one string: the same text as
/// [`XtlsIq::to_element`]'s writer, without building the tree.
pub(crate) fn iq_xml(id: &str, from: Option<&str>, to: Option<&str>, payload: &Payload) -> String {
    let data_len = match payload {
        Payload::Data { base64, .. } | Payload::AckData { base64, .. } => base64.len(),
        _ => 0,
    };
    let mut out = String::with_capacity(data_len + 256);
    write_iq_open(&mut out, payload.iq_type(), id, from, to);
    match payload {
        Payload::Ack => {
            out.push_str("/>");
            return out;
        }
        Payload::Data {
            method,
            base64,
            ack,
        } => write_data(&mut out, method.as_deref(), *ack, base64),
        Payload::AckData { base64, ack } => write_data(&mut out, None, *ack, base64),
        Payload::Start { offer, piggyback } => {
            write_negotiation(&mut out, "start", offer.as_ref(), *piggyback)
        }
        Payload::Proceed { offer, piggyback } => {
            write_negotiation(&mut out, "proceed", offer.as_ref(), *piggyback)
        }
        Payload::Close => out.push_str("><close xmlns='urn:xmpp:tmp:xtls'/>"),
        Payload::Closed => out.push_str("><closed xmlns='urn:xmpp:tmp:xtls'/>"),
        Payload::Error(err) => {
            out.push('>');
            err.to_element().write_to(&mut out, "jabber:client");
        }
    }
    out.push_str("</iq>");
    out
}

/// `><start xmlns='urn:xmpp:tmp:xtls'>` with its XEP-0250 offer (§4.2), or
/// the same for `<proceed/>`.
fn write_negotiation(out: &mut String, name: &str, offer: Option<&Offer>, piggyback: bool) {
    out.push_str("><");
    out.push_str(name);
    out.push_str(" xmlns='urn:xmpp:tmp:xtls'");
    if offer.is_none() && !piggyback {
        out.push_str("/>");
        return;
    }
    out.push('>');
    if let Some(offer) = offer {
        out.push_str("<offer xmlns='urn:xmpp:tmp:c2ctls'");
        if offer.x509_hashes.is_empty() && !offer.srp {
            out.push_str("/>");
        } else {
            out.push('>');
            for h in &offer.x509_hashes {
                out.push_str("<keyinfo xmlns='urn:xmpp:tmp:pubkey'><name>");
                escape_into(out, h, false);
                out.push_str("</name></keyinfo>");
            }
            if offer.srp {
                out.push_str("<srp/>");
            }
            out.push_str("</offer>");
        }
    }
    if piggyback {
        out.push_str("<piggyback/>");
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// `<iq type='…' id='…' from='…' to='…'` (no closing `>`): the attribute
/// order and escaping of [`XtlsIq::to_element`]'s writer.
fn write_iq_open(out: &mut String, kind: IqType, id: &str, from: Option<&str>, to: Option<&str>) {
    out.push_str("<iq type='");
    out.push_str(kind.as_str());
    for (name, value) in [("id", Some(id)), ("from", from), ("to", to)] {
        if let Some(v) = value {
            out.push_str("' ");
            out.push_str(name);
            out.push_str("='");
            escape_into(out, v, true);
        }
    }
    out.push('\'');
}

/// `><data xmlns='urn:xmpp:tmp:xtls' method='…' ack='…'>`: closes the IQ's
/// start tag and opens its `<data/>`.
fn write_data_open(out: &mut String, method: Option<&str>, ack: Option<u64>) {
    out.push_str("><data xmlns='urn:xmpp:tmp:xtls'");
    if let Some(m) = method {
        out.push_str(" method='");
        escape_into(out, m, true);
        out.push('\'');
    }
    if let Some(a) = ack {
        // Written in place: a String for the number was one more
        // allocation per data IQ.
        out.push_str(" ack='");
        crate::xml::push_decimal(out, a);
        out.push('\'');
    }
    out.push('>');
}

/// A `<data/>` with its text, as the tree writer writes it (an empty one
/// closes itself).
fn write_data(out: &mut String, method: Option<&str>, ack: Option<u64>, base64: &str) {
    write_data_open(out, method, ack);
    if base64.is_empty() {
        out.pop();
        out.push_str("/>");
    } else {
        out.push_str(base64);
        out.push_str("</data>");
    }
}

/// Writes a data IQ-set carrying `raw` TLS octets.
pub fn data_iq_xml(from: &str, to: &str, id: &str, method: Option<&str>, raw: &[u8]) -> String {
    let mut w = DataIqWriter::new(Some(from), to, id, DataHead::set(method), raw.len());
    w.push(raw);
    w.finish()
}

/// A data IQ-set being written (XTLS §4.3): TLS octets written into it are
/// base64-encoded straight into the stanza text, so rustls's output goes
/// from its buffer to the stanza in one pass (the hot path). Takes at most
/// `room` octets; [`finish`](Self::finish) closes the stanza.
#[derive(Debug)]
pub(crate) struct DataIqWriter {
    out: String,
    /// Octets that did not fill a whole 3-octet base64 group yet.
    carry: [u8; 2],
    carry_len: usize,
    room: usize,
    written: usize,
    /// Take only whole records, even when the IQ is still empty.
    whole_only: bool,
}

/// What goes in a data IQ's start tags besides its addresses and id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DataHead<'a> {
    /// An IQ-set, or (with piggyback) the IQ-result of the peer's data IQ.
    pub kind: IqType,
    /// `method`, on the initiator's first data (XTLS §4.3).
    pub method: Option<&'a str>,
    /// `ack` (with piggyback): TLS octets of the peer's stream read so far.
    pub ack: Option<u64>,
}

impl<'a> DataHead<'a> {
    /// A plain data IQ-set.
    pub(crate) fn set(method: Option<&'a str>) -> Self {
        DataHead {
            kind: IqType::Set,
            method,
            ack: None,
        }
    }
}

impl DataIqWriter {
    /// Starts `<iq type='set' …><data xmlns='urn:xmpp:tmp:xtls' …>` (or the
    /// IQ-result that `head` says).
    pub(crate) fn new(
        from: Option<&str>,
        to: &str,
        id: &str,
        head: DataHead<'_>,
        room: usize,
    ) -> Self {
        let mut out = String::with_capacity(256);
        write_iq_open(&mut out, head.kind, id, from, Some(to));
        write_data_open(&mut out, head.method, head.ack);
        DataIqWriter {
            out,
            carry: [0; 2],
            carry_len: 0,
            room,
            written: 0,
            whole_only: false,
        }
    }

    /// Takes only whole records: one that does not fit leaves the IQ
    /// empty rather than cut (the sender waits for the window instead).
    pub(crate) fn whole_records_only(mut self) -> Self {
        self.whole_only = true;
        self
    }

    /// Octets it still takes.
    pub(crate) fn room(&self) -> usize {
        self.room
    }

    /// Octets written so far.
    pub(crate) fn written(&self) -> usize {
        self.written
    }

    /// Encodes as much of `data` as there is room for; returns how much.
    pub(crate) fn push(&mut self, data: &[u8]) -> usize {
        let taken = data.len().min(self.room);
        let mut rest = &data[..taken];
        if self.carry_len > 0 {
            let need = 3 - self.carry_len;
            if rest.len() < need {
                self.carry[self.carry_len..self.carry_len + rest.len()].copy_from_slice(rest);
                self.carry_len += rest.len();
                rest = &[];
            } else {
                let group = [
                    self.carry[0],
                    if self.carry_len > 1 {
                        self.carry[1]
                    } else {
                        rest[0]
                    },
                    rest[need - 1],
                ];
                base64_simd::STANDARD.encode_append(group, &mut self.out);
                self.carry_len = 0;
                rest = &rest[need..];
            }
        }
        let whole = rest.len() / 3 * 3;
        if whole > 0 {
            self.out.reserve(whole / 3 * 4 + 32);
            base64_simd::STANDARD.encode_append(&rest[..whole], &mut self.out);
        }
        let tail = &rest[whole..];
        if !tail.is_empty() {
            self.carry[..tail.len()].copy_from_slice(tail);
            self.carry_len = tail.len();
        }
        self.room -= taken;
        self.written += taken;
        taken
    }

    /// Encodes the last group (with padding) and closes the stanza.
    pub(crate) fn finish(mut self) -> String {
        if self.carry_len > 0 {
            base64_simd::STANDARD.encode_append(&self.carry[..self.carry_len], &mut self.out);
        }
        self.out.push_str("</data></iq>");
        self.out
    }
}

impl std::io::Write for DataIqWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(self.push(buf))
    }

    /// rustls hands over its queued records at once, one slice each. A
    /// record that does not fit whole waits for the next data IQ (unless
    /// this one is empty and may cut it), so the receiver can decrypt every
    /// IQ as it arrives instead of holding half a record.
    fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        let mut n = 0;
        for b in bufs {
            if b.len() > self.room && (self.written > 0 || self.whole_only) {
                break;
            }
            let taken = self.push(b);
            n += taken;
            if taken < b.len() {
                break;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{parse, XmlLimits};

    fn read(s: &str) -> Option<XtlsIq> {
        read_iq(parse(s.as_bytes(), &XmlLimits::default()).unwrap()).unwrap()
    }

    #[test]
    fn data_fast_path_equals_tree_writer() {
        let iq = XtlsIq {
            from: Some("a@b/c".into()),
            to: Some("d@e/f".into()),
            id: "x'1".into(),
            payload: Payload::Data {
                method: Some("x509".into()),
                base64: "AAEC".into(),
                ack: None,
            },
        };
        assert_eq!(iq.to_xml(), iq.to_element().to_xml());
        assert_eq!(read(&iq.to_xml()), Some(iq.clone()));
        assert_eq!(
            data_iq_xml("a@b/c", "d@e/f", "x'1", Some("x509"), &[0, 1, 2]),
            iq.to_xml()
        );
        let offer = Some(Offer {
            x509_hashes: vec!["ab".into(), "c<d".into()],
            srp: true,
        });
        let bare_offer = Some(Offer::default());
        let srp_only = Some(Offer {
            x509_hashes: Vec::new(),
            srp: true,
        });
        let start = |offer: &Option<Offer>, piggyback| Payload::Start {
            offer: offer.clone(),
            piggyback,
        };
        let proceed = |offer: &Option<Offer>, piggyback| Payload::Proceed {
            offer: offer.clone(),
            piggyback,
        };
        for payload in [
            start(&offer, false),
            proceed(&offer, false),
            start(&offer, true),
            proceed(&offer, true),
            start(&bare_offer, false),
            proceed(&bare_offer, true),
            start(&srp_only, false),
            proceed(&None, false),
            start(&None, false),
            start(&None, true),
            proceed(&None, true),
            Payload::Data {
                method: None,
                base64: String::new(),
                ack: Some(12),
            },
            Payload::Data {
                method: Some("x509".into()),
                base64: "AAEC".into(),
                ack: Some(0),
            },
            Payload::AckData {
                base64: "AAEC".into(),
                ack: Some(7),
            },
            Payload::AckData {
                base64: "AAEC".into(),
                ack: None,
            },
            Payload::Close,
            Payload::Closed,
            Payload::Ack,
            Payload::Error(StanzaError::new(Condition::Conflict, Some("<x>".into()))),
        ] {
            let iq = XtlsIq {
                from: None,
                to: Some("d@e/f".into()),
                id: "i\"d".into(),
                payload,
            };
            assert_eq!(iq.to_xml(), iq.to_element().to_xml(), "{:?}", iq.payload);
            assert_eq!(read(&iq.to_xml()), Some(iq.clone()), "{:?}", iq.payload);
        }
    }

    #[test]
    fn data_in_results_and_acks_are_read_by_both_readers() {
        let limits = XmlLimits::default();
        let text = "<iq type='result' id='7' from='a@b/c'><data xmlns='urn:xmpp:tmp:xtls' ack='4096'>AAEC</data></iq>";
        let mut out = Vec::new();
        let fast = read_data_iq(text.as_bytes(), &limits, &mut out).unwrap();
        assert!(fast.is_result());
        assert_eq!(
            (fast.ack(), out.as_slice()),
            (Ok(Some(4096)), &[0u8, 1, 2][..])
        );
        assert_eq!(
            read(text).unwrap().payload,
            Payload::AckData {
                base64: "AAEC".into(),
                ack: Some(4096)
            }
        );
        for bad in ["-1", "1e3", "", "18446744073709551616", "+5"] {
            let text = format!("<iq type='set' id='7'><data xmlns='urn:xmpp:tmp:xtls' ack='{bad}'>AAEC</data></iq>");
            let mut out = Vec::new();
            let fast = read_data_iq(text.as_bytes(), &limits, &mut out).unwrap();
            assert!(matches!(fast.ack(), Err(Error::BadRequest(_))), "{bad}");
            let e = parse(text.as_bytes(), &limits).unwrap();
            assert!(matches!(read_iq(e), Err(Error::BadRequest(_))), "{bad}");
        }
    }

    #[test]
    fn data_writer_encodes_across_writes() {
        use std::io::{IoSlice, Write};
        let raw: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let expected = data_iq_xml("a@b/c", "d@e/f", "1", None, &raw);
        // Every way of cutting the octets gives the same stanza.
        for cut in [1usize, 2, 3, 4, 5, 7, 64, 999] {
            let mut w =
                DataIqWriter::new(Some("a@b/c"), "d@e/f", "1", DataHead::set(None), raw.len());
            for chunk in raw.chunks(cut) {
                assert_eq!(w.write(chunk).unwrap(), chunk.len());
            }
            assert_eq!(w.finish(), expected, "cut {cut}");
        }
        let mut w = DataIqWriter::new(Some("a@b/c"), "d@e/f", "1", DataHead::set(None), 10);
        // A second record that does not fit whole waits for the next IQ.
        let n = w
            .write_vectored(&[IoSlice::new(&raw[..4]), IoSlice::new(&raw[4..20])])
            .unwrap();
        assert_eq!((n, w.room(), w.written()), (4, 6, 4));
        // A record larger than an empty IQ is split.
        let mut empty = DataIqWriter::new(Some("a@b/c"), "d@e/f", "1", DataHead::set(None), 10);
        assert_eq!(
            empty.write_vectored(&[IoSlice::new(&raw[..16])]).unwrap(),
            10
        );
        assert_eq!(w.write(&raw[4..10]).unwrap(), 6);
        assert_eq!(w.write(&raw[10..]).unwrap(), 0);
        let iq = read(&w.finish()).unwrap();
        let Payload::Data { base64, .. } = iq.payload else {
            panic!("not data")
        };
        assert_eq!(
            base64_simd::STANDARD.decode_to_vec(base64).unwrap(),
            &raw[..10]
        );
    }

    #[test]
    fn not_ours() {
        assert_eq!(
            read("<iq type='get' id='1'><start xmlns='urn:xmpp:tmp:xtls'/></iq>"),
            None
        );
        assert_eq!(
            read("<iq type='set' id='1'><query xmlns='jabber:iq:roster'/></iq>"),
            None
        );
        assert_eq!(
            read("<message><start xmlns='urn:xmpp:tmp:xtls'/></message>"),
            None
        );
        let e = parse(
            b"<iq type='set'><start xmlns='urn:xmpp:tmp:xtls'/></iq>",
            &XmlLimits::default(),
        )
        .unwrap();
        assert!(matches!(read_iq(e), Err(Error::BadRequest(_))));
    }
}
