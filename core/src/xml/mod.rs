//! A small owned XML tree for single stanzas, read with quick-xml under strict
//! limits and written back with correct escaping.
//!
//! XMPP forbids DOCTYPEs, entity declarations, comments and processing
//! instructions inside streams (RFC 6120 §11.1); the reader refuses all of them,
//! which also rules out entity-expansion attacks. Only the five predefined
//! entities and character references are understood.

mod common;
mod element;
mod flat;
mod frame;
mod limits;
mod name;
mod read;
mod splice;
mod stanza_root;
mod write;

pub use element::{Element, Node};
pub use flat::{read_base64_leaf, read_empty_element, StartTag};
pub use frame::StanzaFramer;
pub use limits::XmlLimits;
pub use read::{check, parse, read_head};
pub use splice::splice_root_attrs;
pub(crate) use stanza_root::{check_root, StanzaRoot};
pub(crate) use write::{escape_into, push_decimal};

use std::fmt;

/// Why XML was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum XmlError {
    /// Not well-formed; the message says where.
    Malformed(String),
    /// A construct XMPP forbids: DOCTYPE, entity, comment, PI.
    Forbidden(&'static str),
    /// More nesting than [`XmlLimits::max_depth`].
    TooDeep,
    /// More attributes on one element than [`XmlLimits::max_attributes`].
    TooManyAttributes,
    /// Input larger than [`XmlLimits::max_bytes`].
    TooLarge,
    /// Not exactly one root element (nothing, or content after it).
    NotOneElement,
    /// A namespace prefix without a declaration.
    UnboundPrefix(String),
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::Malformed(m) => write!(f, "not well-formed: {m}"),
            XmlError::Forbidden(what) => write!(f, "{what} is not allowed in XMPP"),
            XmlError::TooDeep => f.write_str("nesting too deep"),
            XmlError::TooManyAttributes => f.write_str("too many attributes"),
            XmlError::TooLarge => f.write_str("stanza too large"),
            XmlError::NotOneElement => f.write_str("expected exactly one element"),
            XmlError::UnboundPrefix(p) => {
                write!(f, "undeclared namespace prefix \"{}\"", p.escape_debug())
            }
        }
    }
}

impl std::error::Error for XmlError {}
