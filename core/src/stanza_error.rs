//! Stanza errors (RFC 6120 §8.3): the conditions and the `<error/>` element
//! that answers a request. Below the XTLS wire format and the error type,
//! which both use them.

use std::fmt;

use crate::xml::Element;

/// Stanza error conditions (RFC 6120 §8.3.3).
pub const NS_STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

/// The stanza error conditions XTLS uses (RFC 6120 §8.3.3), and any other the
/// peer might send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Condition {
    /// The responder does not support XTLS (§4.1).
    ServiceUnavailable,
    /// The responder will not use XTLS with us (§4.1), or refuses the offer.
    NotAcceptable,
    /// Lower-priority simultaneous start (§4.1).
    Conflict,
    /// Close for an unknown tunnel (§4.5).
    ItemNotFound,
    /// Malformed XTLS request or TLS data.
    BadRequest,
    /// A TLS method we do not implement.
    FeatureNotImplemented,
    /// Too many tunnels.
    ResourceConstraint,
    /// Data before proceed.
    UnexpectedRequest,
    /// A request larger than we take (RFC 6120 §4.9.3.14 names a size
    /// limit as a local service policy).
    PolicyViolation,
    /// Any other condition, by element name.
    Other(String),
}

impl Condition {
    /// The element name of the condition.
    pub fn as_str(&self) -> &str {
        match self {
            Condition::ServiceUnavailable => "service-unavailable",
            Condition::NotAcceptable => "not-acceptable",
            Condition::Conflict => "conflict",
            Condition::ItemNotFound => "item-not-found",
            Condition::BadRequest => "bad-request",
            Condition::FeatureNotImplemented => "feature-not-implemented",
            Condition::ResourceConstraint => "resource-constraint",
            Condition::UnexpectedRequest => "unexpected-request",
            Condition::PolicyViolation => "policy-violation",
            Condition::Other(s) => s,
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "service-unavailable" => Condition::ServiceUnavailable,
            "not-acceptable" => Condition::NotAcceptable,
            "conflict" => Condition::Conflict,
            "item-not-found" => Condition::ItemNotFound,
            "bad-request" => Condition::BadRequest,
            "feature-not-implemented" => Condition::FeatureNotImplemented,
            "resource-constraint" => Condition::ResourceConstraint,
            "unexpected-request" => Condition::UnexpectedRequest,
            "policy-violation" => Condition::PolicyViolation,
            other => Condition::Other(other.to_owned()),
        }
    }

    /// The error `type` RFC 6120 §8.3.3 gives for this condition.
    pub fn default_type(&self) -> &'static str {
        match self {
            Condition::BadRequest | Condition::PolicyViolation => "modify",
            Condition::ResourceConstraint | Condition::UnexpectedRequest => "wait",
            _ => "cancel",
        }
    }
}

/// A stanza error as carried in `<error/>` (RFC 6120 §8.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanzaError {
    /// The defined condition.
    pub condition: Condition,
    /// `cancel`, `modify`, `wait`, `auth` or `continue`.
    pub kind: String,
    /// Human-readable `<text/>`, if any.
    pub text: Option<String>,
}

impl StanzaError {
    /// An error with the condition's default type.
    pub fn new(condition: Condition, text: Option<String>) -> Self {
        StanzaError {
            kind: condition.default_type().to_owned(),
            condition,
            text,
        }
    }

    pub(crate) fn to_element(&self) -> Element {
        let mut e = Element::new("error", "jabber:client")
            .with_attr("type", &self.kind)
            .with_child(Element::new(self.condition.as_str(), NS_STANZAS));
        if let Some(t) = &self.text {
            e = e.with_child(Element::new("text", NS_STANZAS).with_text(t));
        }
        e
    }

    pub(crate) fn from_element(e: &Element) -> Self {
        let mut condition = Condition::Other("undefined-condition".into());
        let mut text = None;
        for c in e.elements().filter(|c| c.ns == NS_STANZAS) {
            if c.name == "text" {
                text = Some(c.text());
            } else {
                condition = Condition::parse(&c.name);
            }
        }
        StanzaError {
            condition,
            kind: e.attr("type").unwrap_or("cancel").to_owned(),
            text,
        }
    }
}

impl fmt::Display for StanzaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.condition.as_str(), self.kind)?;
        if let Some(t) = &self.text {
            write!(f, ": {t}")?;
        }
        Ok(())
    }
}
