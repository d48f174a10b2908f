//! Service discovery for XTLS (XTLS §6, XEP-0030): the feature string, a
//! disco#info answer, and reading a peer's answer.

use super::wire::NS;
use crate::error::Error;
use crate::xml::{self, Element, XmlLimits};

/// The feature an entity that supports XTLS advertises (XTLS §6).
pub const FEATURE: &str = NS;
/// The disco#info namespace (XEP-0030).
pub const NS_DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";

/// A disco#info request from `from` to `to` (XTLS §6, first example).
pub fn info_request(from: &str, to: &str, id: &str) -> String {
    Element::new("iq", "jabber:client")
        .with_attr("from", from)
        .with_attr("id", id)
        .with_attr("to", to)
        .with_attr("type", "get")
        .with_child(Element::new("query", NS_DISCO_INFO))
        .to_xml()
}

/// Answers a disco#info request with the XTLS feature plus `other_features`
/// (the host's own). `Ok(None)` when `request` is not a disco#info get
/// without node.
pub fn answer_info(request: &[u8], other_features: &[&str]) -> Result<Option<String>, Error> {
    let iq = xml::parse(request, &XmlLimits::default())?;
    let is_get = iq.name == "iq" && iq.attr("type") == Some("get");
    let Some(query) = iq.child("query", NS_DISCO_INFO).filter(|_| is_get) else {
        return Ok(None);
    };
    if query.attr("node").is_some() {
        return Ok(None);
    }
    let mut q = Element::new("query", NS_DISCO_INFO);
    for f in std::iter::once(&FEATURE).chain(other_features) {
        q = q.with_child(Element::new("feature", NS_DISCO_INFO).with_attr("var", f));
    }
    let mut reply = Element::new("iq", "jabber:client");
    if let Some(to) = iq.attr("to") {
        reply.set_attr("from", to);
    }
    reply.set_attr("id", iq.attr("id").unwrap_or_default());
    if let Some(from) = iq.attr("from") {
        reply.set_attr("to", from);
    }
    reply.set_attr("type", "result");
    Ok(Some(reply.with_child(q).to_xml()))
}

/// Whether a disco#info result lists the XTLS feature.
pub fn supports_xtls(response: &[u8]) -> Result<bool, Error> {
    let iq = xml::parse(response, &XmlLimits::default())?;
    if iq.name != "iq" || iq.attr("type") != Some("result") {
        return Ok(false);
    }
    Ok(iq.child("query", NS_DISCO_INFO).is_some_and(|q| {
        q.elements()
            .any(|f| f.name == "feature" && f.attr("var") == Some(FEATURE))
    }))
}
