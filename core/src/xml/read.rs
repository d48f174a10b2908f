//! Reading one stanza into an [`Element`] with quick-xml's namespace reader.

use std::borrow::Cow;

use quick_xml::encoding::Decoder;
use quick_xml::escape::{resolve_predefined_entity, unescape};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::common::check_common;
use super::limits::XmlLimits;
use super::name::valid_name;
use super::{Element, Node, XmlError};

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

/// The element's namespace as resolved by quick-xml, unescaped.
fn namespace<'n>(ns: ResolveResult<'n>) -> Result<Cow<'n, str>, XmlError> {
    match ns {
        // quick-xml hands the namespace over as written: unescape it like
        // any attribute value, or a round trip would double-escape it.
        ResolveResult::Bound(n) => {
            let raw = std::str::from_utf8(n.into_inner()).map_err(malformed)?;
            unescape(raw).map_err(malformed)
        }
        ResolveResult::Unbound => Ok(Cow::Borrowed("")),
        ResolveResult::Unknown(p) => Err(XmlError::UnboundPrefix(
            String::from_utf8_lossy(&p).into_owned(),
        )),
    }
}

/// The element's local name, after checking its whole (qualified) name.
pub(super) fn local_name<'e>(e: &'e BytesStart<'_>) -> Result<&'e str, XmlError> {
    if !valid_name(e.name().into_inner()) {
        return Err(XmlError::Malformed(format!(
            "invalid element name \"{}\"",
            String::from_utf8_lossy(e.name().as_ref()).escape_debug()
        )));
    }
    std::str::from_utf8(e.local_name().into_inner()).map_err(malformed)
}

/// Checks every attribute of a start tag (well-formed, valid names, no
/// duplicates, values that unescape, at most `max_attributes`) and hands
/// each one that is not a namespace declaration to `each`, unescaped.
fn attributes(
    decoder: Decoder,
    e: &BytesStart<'_>,
    limits: &XmlLimits,
    mut each: impl FnMut(&str, Cow<'_, str>),
) -> Result<(), XmlError> {
    let mut count = 0;
    for attr in e.attributes() {
        let attr = attr.map_err(malformed)?;
        let key = attr.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        if !valid_name(key.as_ref()) {
            return Err(XmlError::Malformed("invalid attribute name".into()));
        }
        if count >= limits.max_attributes {
            return Err(XmlError::TooManyAttributes);
        }
        count += 1;
        let k = std::str::from_utf8(key.into_inner()).map_err(malformed)?;
        let v = attr.decode_and_unescape_value(decoder).map_err(malformed)?;
        each(k, v);
    }
    Ok(())
}

fn start_element(
    decoder: Decoder,
    ns: ResolveResult<'_>,
    e: &BytesStart<'_>,
    limits: &XmlLimits,
) -> Result<Element, XmlError> {
    let mut el = Element {
        ns: namespace(ns)?.into_owned(),
        name: local_name(e)?.to_owned(),
        attrs: Vec::new(),
        children: Vec::new(),
    };
    attributes(decoder, e, limits, |k, v| {
        el.attrs.push((k.to_owned(), v.into_owned()));
    })?;
    Ok(el)
}

/// What [`start_element`] checks, without building anything: for elements
/// below the root in [`check`].
fn check_start(
    decoder: Decoder,
    ns: ResolveResult<'_>,
    e: &BytesStart<'_>,
    limits: &XmlLimits,
) -> Result<(), XmlError> {
    namespace(ns)?;
    local_name(e)?;
    attributes(decoder, e, limits, |_, _| {})
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(top) = stack.last_mut() {
        match top.children.last_mut() {
            Some(Node::Text(t)) => t.push_str(text),
            _ => top.children.push(Node::Text(text.to_owned())),
        }
    }
}

/// Parses exactly one element from `input`.
///
/// Leading and trailing whitespace is allowed; anything else outside the root
/// element, and every DOCTYPE, comment, processing instruction (the XML
/// declaration included) or non-predefined entity, is refused.
pub fn parse(input: &[u8], limits: &XmlLimits) -> Result<Element, XmlError> {
    walk(input, limits, true)
}

/// Checks `input` exactly as [`parse`] does (same refusals and limits) but
/// keeps only the root element's name, namespace and attributes: no children
/// and no copies of text. For stanzas that pass through unchanged, where only
/// the root matters (routing, stanza kind). Taking `&str` means the caller
/// has validated UTF-8 once for the whole stanza, so text is not decoded.
pub fn check(input: &str, limits: &XmlLimits) -> Result<Element, XmlError> {
    match check_common(input, limits) {
        Some(root) => Ok(root),
        None => check_general(input, limits),
    }
}

/// [`check`] with quick-xml only, for what the common subset leaves out.
pub(super) fn check_general(input: &str, limits: &XmlLimits) -> Result<Element, XmlError> {
    walk(input.as_bytes(), limits, false)
}

/// Reads only the front of a stanza: the root's start tag, and the start
/// tag of its first child element (as an element without content), with
/// the checks [`parse`] applies to them. For answering a stanza that cannot
/// be read whole (too large, or malformed further in): an IQ-set still gets
/// its error (RFC 6120 §8.2.3). Reads at most the two tags, whatever the
/// size of the input; `None` when they cannot be read.
pub fn read_head(input: &[u8], limits: &XmlLimits) -> Option<(Element, Option<Element>)> {
    let mut reader = NsReader::from_reader(input);
    let decoder = reader.decoder();
    let root = loop {
        match reader.read_resolved_event().ok()? {
            (_, Event::Text(t)) if t.iter().all(u8::is_ascii_whitespace) => {}
            (ns, Event::Start(e)) => break start_element(decoder, ns, &e, limits).ok()?,
            (ns, Event::Empty(e)) => {
                return Some((start_element(decoder, ns, &e, limits).ok()?, None))
            }
            _ => return None,
        }
    };
    loop {
        match reader.read_resolved_event().ok()? {
            (_, Event::Text(_) | Event::GeneralRef(_) | Event::CData(_)) => {}
            (ns, Event::Start(e) | Event::Empty(e)) => {
                let child = start_element(decoder, ns, &e, limits).ok()?;
                return Some((root, Some(child)));
            }
            (_, Event::End(_)) => return Some((root, None)),
            _ => return None,
        }
    }
}

fn walk(input: &[u8], limits: &XmlLimits, build: bool) -> Result<Element, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge);
    }
    let mut reader = NsReader::from_reader(input);
    reader.config_mut().check_end_names = true;
    let decoder = reader.decoder();
    // With `build`, every open element; without, only the root, and `depth`
    // counts the open elements below it.
    let mut stack: Vec<Element> = Vec::new();
    let mut depth = 0usize;
    let mut root: Option<Element> = None;
    loop {
        let (ns, ev) = reader.read_resolved_event().map_err(malformed)?;
        let open = depth > 0;
        match ev {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError::NotOneElement);
            }
            Event::Start(e) => {
                if depth >= limits.max_depth {
                    return Err(XmlError::TooDeep);
                }
                if build || !open {
                    stack.push(start_element(decoder, ns, &e, limits)?);
                } else {
                    check_start(decoder, ns, &e, limits)?;
                }
                depth += 1;
            }
            Event::Empty(e) => {
                if depth >= limits.max_depth {
                    return Err(XmlError::TooDeep);
                }
                match stack.last_mut() {
                    None => root = Some(start_element(decoder, ns, &e, limits)?),
                    Some(parent) if build => parent
                        .children
                        .push(Node::Element(start_element(decoder, ns, &e, limits)?)),
                    Some(_) => check_start(decoder, ns, &e, limits)?,
                }
            }
            Event::End(_) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| XmlError::Malformed("unmatched end tag".into()))?;
                if build || depth == 0 {
                    let el = stack
                        .pop()
                        .ok_or_else(|| XmlError::Malformed("unmatched end tag".into()))?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(el)),
                        None => root = Some(el),
                    }
                }
            }
            Event::Text(t) => {
                if !open {
                    if !t.iter().all(u8::is_ascii_whitespace) {
                        return Err(XmlError::NotOneElement);
                    }
                } else if build {
                    push_text(&mut stack, &t.decode().map_err(malformed)?);
                }
            }
            Event::CData(c) => {
                if !open {
                    return Err(XmlError::NotOneElement);
                }
                if build {
                    push_text(&mut stack, std::str::from_utf8(&c).map_err(malformed)?);
                }
            }
            Event::GeneralRef(r) => {
                if !open {
                    return Err(XmlError::NotOneElement);
                }
                let resolved = match r.resolve_char_ref().map_err(malformed)? {
                    Some(ch) => ch.to_string(),
                    None => {
                        let name = r.decode().map_err(malformed)?;
                        resolve_predefined_entity(&name)
                            .ok_or(XmlError::Forbidden("an entity reference"))?
                            .to_owned()
                    }
                };
                if build {
                    push_text(&mut stack, &resolved);
                }
            }
            Event::DocType(_) => return Err(XmlError::Forbidden("a DOCTYPE")),
            Event::Comment(_) => return Err(XmlError::Forbidden("a comment")),
            Event::PI(_) | Event::Decl(_) => {
                return Err(XmlError::Forbidden("a processing instruction"))
            }
            Event::Eof => break,
        }
    }
    if depth != 0 {
        return Err(XmlError::Malformed("unexpected end of input".into()));
    }
    root.ok_or(XmlError::NotOneElement)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Element, XmlError> {
        parse(s.as_bytes(), &XmlLimits::default())
    }

    #[test]
    fn namespaces_and_text() {
        let e = p("<iq type='set' xmlns='jabber:client'><data xmlns='urn:x' a='&lt;&#65;'>aGk=\n</data></iq>").unwrap();
        assert_eq!(e.ns, "jabber:client");
        assert_eq!(e.attr("type"), Some("set"));
        let d = e.child("data", "urn:x").unwrap();
        assert_eq!(d.attr("a"), Some("<A"));
        assert_eq!(d.text(), "aGk=\n");
        let pre = p("<a xmlns:x='urn:y'><x:b/></a>").unwrap();
        assert!(pre.child("b", "urn:y").is_some());
    }

    #[test]
    fn escaped_namespace_round_trips() {
        // Found by the stanza_parser fuzz target.
        let e = p("<a xmlns='urn:&lt;x&#62;'><b/></a>").unwrap();
        assert_eq!(e.ns, "urn:<x>");
        let again = p(&e.to_xml()).unwrap();
        assert_eq!(again, e);
        assert!(p("<a xmlns='&nope;'/>").is_err());
    }

    #[test]
    fn refuses_invalid_names() {
        // Found by the stanza_parser fuzz target: "< \t/>" read as an element
        // with an empty name, written back as "</>".
        for bad in ["< \t/>", "<1a/>", "<-a/>", "<a\u{1}b/>", "<a b\u{1}='1'/>"] {
            assert!(matches!(p(bad), Err(XmlError::Malformed(_))), "{bad:?}");
            assert!(matches!(
                check(bad, &XmlLimits::default()),
                Err(XmlError::Malformed(_))
            ));
        }
        assert!(p("<a:b xmlns:a='u' c-d.e_f='1'><é/></a:b>").is_ok());
    }

    #[test]
    fn refuses_dangerous_constructs() {
        let bomb =
            "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><a>&lol2;</a>";
        assert_eq!(p(bomb), Err(XmlError::Forbidden("a DOCTYPE")));
        assert_eq!(
            p("<a>&lol;</a>"),
            Err(XmlError::Forbidden("an entity reference"))
        );
        assert_eq!(
            p("<a><!-- c --></a>"),
            Err(XmlError::Forbidden("a comment"))
        );
        assert!(matches!(
            p("<?xml version='1.0'?><a/>"),
            Err(XmlError::Forbidden(_))
        ));
        assert!(matches!(p("<a><?pi x?></a>"), Err(XmlError::Forbidden(_))));
    }

    #[test]
    fn check_refuses_what_parse_refuses() {
        let cases = [
            "<a><b x='1'>t &amp; &#65;<![CDATA[c]]></b><c/></a>",
            "<!DOCTYPE a><a/>",
            "<a>&lol;</a>",
            "<a><!-- c --></a>",
            "<a/><b/>",
            "<a></b>",
            "<a><b>",
            "<p:a/>",
            "<a><p:b/></a>",
            "<a x='1' x='2'/>",
            "</a>",
            "<a/>junk",
        ];
        for c in cases {
            let full = p(c);
            let root = check(c, &XmlLimits::default());
            match (&full, &root) {
                (Ok(f), Ok(r)) => {
                    assert_eq!(
                        (&f.name, &f.ns, &f.attrs),
                        (&r.name, &r.ns, &r.attrs),
                        "{c}"
                    );
                    assert!(r.children.is_empty());
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{c}"),
                _ => panic!("{c}: parse {full:?} vs check {root:?}"),
            }
        }
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert_eq!(check(&deep, &XmlLimits::default()), Err(XmlError::TooDeep));
    }

    #[test]
    fn refuses_bad_shapes() {
        assert_eq!(p(""), Err(XmlError::NotOneElement));
        assert_eq!(p("<a/><b/>"), Err(XmlError::NotOneElement));
        assert_eq!(p("<a/>junk"), Err(XmlError::NotOneElement));
        assert!(matches!(p("<a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(p("<a></b>"), Err(XmlError::Malformed(_))));
        assert!(matches!(p("<a x='1' x='2'/>"), Err(XmlError::Malformed(_))));
        assert_eq!(p("<p:a/>"), Err(XmlError::UnboundPrefix("p".into())));
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert_eq!(p(&deep), Err(XmlError::TooDeep));
        let limits = XmlLimits {
            max_bytes: 10,
            ..XmlLimits::default()
        };
        assert_eq!(
            parse(b"<a>0123456789</a>", &limits),
            Err(XmlError::TooLarge)
        );
        let attrs: String = (0..70).map(|i| format!(" a{i}='x'")).collect();
        assert_eq!(p(&format!("<a{attrs}/>")), Err(XmlError::TooManyAttributes));
    }
}
