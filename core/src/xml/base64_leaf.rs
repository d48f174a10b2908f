//! Reading `<root …><child …>BASE64</child></root>` with the base64 decoded
//! straight from the input: the shape of every XTLS `<data/>` IQ (XTLS §4.3),
//! whose text is up to ~22 KB. [`parse`](super::parse) would copy that text
//! into the tree and check it as UTF-8 before base64 looks at it; here the
//! decoder is the only pass over it.
//!
//! Well-formedness holds without reading the text as XML: strict base64 has
//! no `<` or `&`, so the text cannot hold markup or references, and the end
//! tags must be exactly `</child></root>`. Anything else (whitespace or
//! character references in the base64, CDATA, other children, other end-tag
//! spellings) returns `None`, and the caller reads the stanza with the strict
//! general parser instead, which also gives the right error.

use quick_xml::events::Event;
use quick_xml::NsReader;

use super::read::start_element;
use super::{Element, XmlLimits};

/// Reads `input` if it is a root element holding one child element whose
/// only content is strict (RFC 4648 §4, padded, no whitespace) base64.
/// Returns the root and child (attributes and namespaces, no children) and
/// appends the decoded octets to `out`; `out` is unchanged on `None`.
pub fn read_base64_leaf(
    input: &[u8],
    limits: &XmlLimits,
    out: &mut Vec<u8>,
) -> Option<(Element, Element)> {
    if input.len() > limits.max_bytes || limits.max_depth < 2 {
        return None;
    }
    let input = input.trim_ascii();
    let mut reader = NsReader::from_reader(input);
    let decoder = reader.decoder();
    let (ns, Event::Start(root_tag)) = reader.read_resolved_event().ok()? else {
        return None;
    };
    let root = start_element(decoder, ns, &root_tag, limits).ok()?;
    let mut next = reader.read_resolved_event().ok()?;
    if let (_, Event::Text(t)) = &next {
        if !t.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        next = reader.read_resolved_event().ok()?;
    }
    let (ns, Event::Start(child_tag)) = next else {
        return None;
    };
    let child = start_element(decoder, ns, &child_tag, limits).ok()?;
    let text_start = usize::try_from(reader.buffer_position()).ok()?;
    let rest = input.get(text_start..)?;
    let (child_name, root_name) = (child_tag.name(), root_tag.name());
    let suffix_len = child_name.as_ref().len() + root_name.as_ref().len() + 6;
    let text_end = rest.len().checked_sub(suffix_len)?;
    let (text, suffix) = rest.split_at(text_end);
    let expected = [b"</", child_name.as_ref(), b"></", root_name.as_ref(), b">"];
    let mut at = 0;
    for part in expected {
        if suffix.get(at..at + part.len())? != part {
            return None;
        }
        at += part.len();
    }
    let mark = out.len();
    if base64_simd::STANDARD.decode_append(text, out).is_err() {
        out.truncate(mark);
        return None;
    }
    Some((root, child))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    fn read(s: &str) -> Option<(Element, Element, Vec<u8>)> {
        let mut out = Vec::new();
        read_base64_leaf(s.as_bytes(), &XmlLimits::default(), &mut out).map(|(r, c)| (r, c, out))
    }

    #[test]
    fn reads_the_data_shape_like_the_full_parser() {
        let s = " <iq type='set' id='a&amp;b' xmlns='jabber:client'>\n<x:data xmlns:x='urn:xmpp:tmp:xtls' method=\"x509\">AAECAw==</x:data></iq>\n";
        let (root, child, bytes) = read(s).unwrap();
        assert_eq!(bytes, [0, 1, 2, 3]);
        let full = parse(s.as_bytes(), &XmlLimits::default()).unwrap();
        assert_eq!((&root.name, &root.ns, &root.attrs), (&full.name, &full.ns, &full.attrs));
        let data = full.child("data", "urn:xmpp:tmp:xtls").unwrap();
        assert_eq!((&child.name, &child.ns, &child.attrs), (&data.name, &data.ns, &data.attrs));
        assert_eq!(child.attr("method"), Some("x509"));
    }

    #[test]
    fn anything_else_is_left_to_the_full_parser() {
        for s in [
            // Text the strict decoder refuses, including markup smuggled in
            // between the tags the suffix check sees.
            "<iq><data>AAEC AwQF</data></iq>",
            "<iq><data>&#65;AAA</data></iq>",
            "<iq><data><![CDATA[AAAA]]></data></iq>",
            "<iq><data>AAAA</data></iq><iq><data>AAAA</data></iq>",
            "<iq><data>AA</data><x>AA</data></iq>",
            "<iq><data>AAA</data></iq>",
            // Other shapes and spellings.
            "<iq><data>AAAA</data> </iq>",
            "<iq><data>AAAA</data ></iq>",
            "<iq><data/></iq>",
            "<iq>x<data>AAAA</data></iq>",
            "<!DOCTYPE iq><iq><data>AAAA</data></iq>",
            "<?xml version='1.0'?><iq><data>AAAA</data></iq>",
            "<iq><data a='1' a='2'>AAAA</data></iq>",
            "<iq><p:data>AAAA</p:data></iq>",
            "<iq><data>AAAA</datum></iq>",
            "<iq><data>AAAA</data></iq",
        ] {
            let mut out = vec![7];
            assert!(
                read_base64_leaf(s.as_bytes(), &XmlLimits::default(), &mut out).is_none(),
                "{s}"
            );
            assert_eq!(out, [7], "{s}");
        }
    }

    #[test]
    fn keeps_the_limits() {
        let s = "<iq><data>AAAA</data></iq>";
        let mut out = Vec::new();
        let small = XmlLimits {
            max_bytes: s.len() - 1,
            ..XmlLimits::default()
        };
        assert!(read_base64_leaf(s.as_bytes(), &small, &mut out).is_none());
        let flat = XmlLimits {
            max_depth: 1,
            ..XmlLimits::default()
        };
        assert!(read_base64_leaf(s.as_bytes(), &flat, &mut out).is_none());
        let few = XmlLimits {
            max_attributes: 1,
            ..XmlLimits::default()
        };
        assert!(read_base64_leaf(b"<iq a='1' b='2'><data>AAAA</data></iq>", &few, &mut out).is_none());
        assert!(out.is_empty());
    }
}
