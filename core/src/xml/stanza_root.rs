//! What routing needs of a checked stanza: its root's name, namespace,
//! `from` and `to` (XTLS §4.4), borrowed from the stanza's text where the
//! common subset allows, so the data path copies nothing to read them.

use std::borrow::Cow;

use super::common::common_root;
use super::read::check_general;
use super::XmlError;
use super::XmlLimits;

/// The root of a stanza that [`check_root`] found well-formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StanzaRoot<'a> {
    /// Local name (`message`, `presence`, `iq`, or anything else).
    pub name: Cow<'a, str>,
    /// Namespace (`""` when none is declared).
    pub ns: Cow<'a, str>,
    /// `from`, unescaped.
    pub from: Option<Cow<'a, str>>,
    /// `to`, unescaped.
    pub to: Option<Cow<'a, str>>,
}

/// Checks `input` exactly as [`check`](super::check) does and returns what
/// routing needs of its root.
pub(crate) fn check_root<'a>(
    input: &'a str,
    limits: &XmlLimits,
) -> Result<StanzaRoot<'a>, XmlError> {
    let text = |s: &'a [u8]| std::str::from_utf8(s).map(Cow::Borrowed).ok();
    if let Some(tag) = common_root(input, limits) {
        let mut root = StanzaRoot {
            name: text(tag.name).unwrap_or_default(),
            ns: Cow::Borrowed(""),
            from: None,
            to: None,
        };
        for &(k, v) in tag.attrs() {
            let slot = match k {
                b"xmlns" => {
                    root.ns = text(v).unwrap_or_default();
                    continue;
                }
                b"from" => &mut root.from,
                b"to" => &mut root.to,
                _ => continue,
            };
            *slot = text(v);
        }
        return Ok(root);
    }
    let el = check_general(input, limits)?;
    let attr = |name: &str| el.attr(name).map(|v| Cow::Owned(v.to_owned()));
    Ok(StanzaRoot {
        from: attr("from"),
        to: attr("to"),
        name: Cow::Owned(el.name),
        ns: Cow::Owned(el.ns),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::check;

    #[test]
    fn the_same_root_as_check_on_both_paths() {
        let limits = XmlLimits::default();
        for s in [
            "<message from='a@b/c' to='d@e' type='chat'><body>x</body></message>",
            "<iq xmlns='jabber:client' to='a&amp;b@c'/>",
            "<presence><p:x xmlns:p='urn:x'/></presence>",
            "<message><![CDATA[x]]></message>",
        ] {
            let el = check(s, &limits).unwrap();
            let root = check_root(s, &limits).unwrap();
            assert_eq!(root.name, el.name, "{s}");
            assert_eq!(root.ns, el.ns, "{s}");
            assert_eq!(root.from.as_deref(), el.attr("from"), "{s}");
            assert_eq!(root.to.as_deref(), el.attr("to"), "{s}");
        }
        assert_eq!(
            check_root("<a><b></a>", &limits),
            Err(check("<a><b></a>", &limits).unwrap_err())
        );
    }
}
