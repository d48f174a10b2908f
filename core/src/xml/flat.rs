//! Reading the two small, fixed shapes of XTLS's most frequent stanzas
//! without building a tree (XTLS §4.3):
//!
//! - one empty element, `<iq type='result' id='…' from='…' to='…'/>`: the
//!   acknowledgement of every data IQ;
//! - an element whose one child holds only base64,
//!   `<iq …><data …>BASE64</data></iq>`: every data IQ, with up to ~22 KB
//!   of text. The base64 is decoded straight from the input: the general
//!   reader would copy it into the tree and check it as UTF-8 first.
//!
//! Both accept a subset of what [`parse`](super::parse) accepts and read it
//! the same way: start tags go through the same checks, and element names
//! must be unprefixed with no `xmlns:` declarations, so a namespace is the
//! nearest `xmlns`. Strict base64 has no `<` or `&`, so the text cannot hide
//! markup or references, and the end tags must be exactly `</child></root>`.
//! Anything else returns `None` and is left to the general reader, which
//! also gives the right error.

use std::borrow::Cow;

use quick_xml::encoding::Decoder;
use quick_xml::events::attributes::Attributes;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::common::{start_tag, Tag};
use super::limits::XmlLimits;
use super::name::valid_name;
use super::read::local_name;

/// Most attributes a start tag read here may have besides `xmlns` (XTLS's
/// data IQs and acknowledgements have four, five with a server's
/// `xml:lang`); a tag with more is left to the general reader. Kept inline,
/// so reading a tag allocates nothing, and no larger than needed: the tags
/// are moved by value.
const MAX_FLAT_ATTRIBUTES: usize = 5;

/// A checked start tag: its name, namespace and attributes, borrowed from
/// the input unless unescaping changed them.
#[derive(Debug)]
pub struct StartTag<'a> {
    name: &'a [u8],
    ns: Cow<'a, str>,
    attrs: [(&'a str, Cow<'a, str>); MAX_FLAT_ATTRIBUTES],
    len: usize,
}

impl<'a> StartTag<'a> {
    /// Reads the tag `raw` (from `<` to `>`), which the reader returned as
    /// `tag`, with the general reader's checks; `None` for a prefixed name,
    /// an `xmlns:` declaration, or anything the general reader refuses.
    fn read(
        raw: &'a [u8],
        tag: &BytesStart<'_>,
        decoder: Decoder,
        parent_ns: &str,
        limits: &XmlLimits,
    ) -> Option<Self> {
        let name_len = tag.name().as_ref().len();
        if local_name(tag).ok()?.len() != name_len {
            return None;
        }
        // The tag's content between '<' and '>' or '/>', as quick-xml reads it.
        let end = raw
            .len()
            .saturating_sub(if raw.ends_with(b"/>") { 2 } else { 1 });
        let content = std::str::from_utf8(raw.get(1..end)?).ok()?;
        let mut ns = None;
        let mut attrs: [(&str, Cow<'_, str>); MAX_FLAT_ATTRIBUTES] =
            std::array::from_fn(|_| ("", Cow::Borrowed("")));
        let mut len = 0;
        let max = limits.max_attributes.min(MAX_FLAT_ATTRIBUTES);
        let mut iter = Attributes::new(content, name_len);
        // Duplicates are checked below, over the few attributes kept,
        // without the iterator's bookkeeping allocation.
        iter.with_checks(false);
        for attr in iter {
            let attr = attr.ok()?;
            let key = std::str::from_utf8(attr.key.into_inner()).ok()?;
            let value = attr.decode_and_unescape_value(decoder).ok()?;
            if key == "xmlns" {
                if ns.replace(value).is_some() {
                    return None;
                }
                continue;
            }
            if attr.key.as_namespace_binding().is_some()
                || !valid_name(key.as_bytes())
                || len >= max
                || attrs[..len].iter().any(|(k, _)| *k == key)
            {
                return None;
            }
            attrs[len] = (key, value);
            len += 1;
        }
        Some(StartTag {
            name: content.as_bytes().get(..name_len)?,
            ns: ns.unwrap_or_else(|| Cow::Owned(parent_ns.to_owned())),
            attrs,
            len,
        })
    }

    /// A tag of `input` read by the common subset's scanner (no
    /// references, no prefixed names, at most `max_attributes`): its values
    /// borrowed. The tag is checked as UTF-8 once, and its name, keys and
    /// values are slices of that text (one check per attribute was 2 % of
    /// a 1 KiB stanza's time in perf).
    #[inline]
    fn from_common(input: &'a [u8], tag: &Tag<'a>, parent_ns: &Cow<'a, str>) -> Option<Self> {
        let base = input.as_ptr() as usize;
        let start = (tag.name.as_ptr() as usize).checked_sub(base)?;
        let whole = std::str::from_utf8(input.get(start..tag.end)?).ok()?;
        // Every part is a slice of the tag, at its offset from the name.
        let text = |s: &'a [u8]| {
            let at = (s.as_ptr() as usize).checked_sub(base + start)?;
            whole.get(at..at.checked_add(s.len())?)
        };
        let mut ns = None;
        let mut attrs: [(&str, Cow<'_, str>); MAX_FLAT_ATTRIBUTES] =
            std::array::from_fn(|_| ("", Cow::Borrowed("")));
        let mut len = 0;
        for &(k, v) in tag.attrs() {
            if k == b"xmlns" {
                ns = Some(Cow::Borrowed(text(v)?));
            } else {
                *attrs.get_mut(len)? = (text(k)?, Cow::Borrowed(text(v)?));
                len += 1;
            }
        }
        text(tag.name)?;
        Some(StartTag {
            name: tag.name,
            ns: ns.unwrap_or_else(|| parent_ns.clone()),
            attrs,
            len,
        })
    }

    /// The element's name.
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// The element's namespace (`""` when none is declared).
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// The attributes in document order, values unescaped (`xmlns` is the
    /// namespace, not an attribute: as in [`Element`](super::Element)).
    pub fn attrs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs[..self.len].iter().map(|(k, v)| (*k, v.as_ref()))
    }

    /// The value of attribute `name`, unescaped.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs[..self.len]
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_ref())
    }
}

/// The next event and the octets of input it was read from.
fn next<'a>(reader: &mut Reader<&'a [u8]>, input: &'a [u8]) -> Option<(Event<'a>, &'a [u8])> {
    let start = usize::try_from(reader.buffer_position()).ok()?;
    let event = reader.read_event().ok()?;
    let end = usize::try_from(reader.buffer_position()).ok()?;
    Some((event, input.get(start..end)?))
}

/// Reads `input` if it is one empty element, `<name …/>`, with nothing
/// around it but whitespace.
#[inline]
pub fn read_empty_element<'a>(input: &'a [u8], limits: &XmlLimits) -> Option<StartTag<'a>> {
    if input.len() > limits.max_bytes || limits.max_depth < 1 {
        return None;
    }
    let input = input.trim_ascii();
    if !input.ends_with(b"/>") {
        return None;
    }
    let max = limits.max_attributes.min(MAX_FLAT_ATTRIBUTES);
    if let Some(tag) = start_tag(input, 0, max) {
        // The common subset, read without quick-xml: its answer is final.
        let whole = tag.empty && tag.end == input.len();
        return whole
            .then(|| StartTag::from_common(input, &tag, &Cow::Borrowed("")))
            .flatten();
    }
    let mut reader = Reader::from_reader(input);
    let (Event::Empty(tag), raw) = next(&mut reader, input)? else {
        return None;
    };
    let Event::Eof = reader.read_event().ok()? else {
        return None;
    };
    StartTag::read(raw, &tag, reader.decoder(), "", limits)
}

/// The root's and first child's start tags when both are in the common
/// subset, and where the child's content starts.
#[inline]
fn common_pair<'a>(
    input: &'a [u8],
    limits: &XmlLimits,
) -> Option<(StartTag<'a>, StartTag<'a>, usize)> {
    let max = limits.max_attributes.min(MAX_FLAT_ATTRIBUTES);
    let root = start_tag(input, 0, max).filter(|t| !t.empty)?;
    let at = root.end
        + input[root.end..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    if input.get(at) != Some(&b'<') {
        return None;
    }
    let child = start_tag(input, at, max).filter(|t| !t.empty)?;
    let root_tag = StartTag::from_common(input, &root, &Cow::Borrowed(""))?;
    let child_tag = StartTag::from_common(input, &child, &root_tag.ns)?;
    Some((root_tag, child_tag, child.end))
}

/// [`common_pair`] read by quick-xml, for everything else.
fn general_pair<'a>(
    input: &'a [u8],
    limits: &XmlLimits,
) -> Option<(StartTag<'a>, StartTag<'a>, usize)> {
    let mut reader = Reader::from_reader(input);
    let decoder = reader.decoder();
    let (Event::Start(tag), raw) = next(&mut reader, input)? else {
        return None;
    };
    let root = StartTag::read(raw, &tag, decoder, "", limits)?;
    let mut event = next(&mut reader, input)?;
    if let (Event::Text(t), _) = &event {
        if !t.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        event = next(&mut reader, input)?;
    }
    let (Event::Start(tag), raw) = event else {
        return None;
    };
    let child = StartTag::read(raw, &tag, decoder, root.ns(), limits)?;
    let text_start = usize::try_from(reader.buffer_position()).ok()?;
    Some((root, child, text_start))
}

/// Reads `input` if it is a root element holding one child element whose
/// only content is strict (RFC 4648 §4, padded, no whitespace) base64.
/// Returns the two start tags and appends the decoded octets to `out`;
/// `out` is unchanged on `None`.
#[inline]
pub fn read_base64_leaf<'a>(
    input: &'a [u8],
    limits: &XmlLimits,
    out: &mut Vec<u8>,
) -> Option<(StartTag<'a>, StartTag<'a>)> {
    if input.len() > limits.max_bytes || limits.max_depth < 2 {
        return None;
    }
    let input = input.trim_ascii();
    let (root, child, text_start) = match common_pair(input, limits) {
        Some(pair) => pair,
        None => general_pair(input, limits)?,
    };
    let rest = input.get(text_start..)?;
    let suffix_len = child.name().len() + root.name().len() + 6;
    let text_end = rest.len().checked_sub(suffix_len)?;
    let (text, suffix) = rest.split_at(text_end);
    let mut at = 0;
    for part in [b"</", child.name(), b"></", root.name(), b">"] {
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

    fn same_as_parse(tag: &StartTag<'_>, full: &crate::xml::Element) {
        assert_eq!(tag.name(), full.name.as_bytes());
        assert_eq!(tag.ns(), full.ns);
        let attrs: Vec<(&str, &str)> = full
            .attrs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(tag.attrs().collect::<Vec<_>>(), attrs);
        for (k, v) in attrs {
            assert_eq!(tag.attr(k), Some(v), "{k}");
        }
    }

    #[test]
    fn reads_the_data_shape_like_the_full_parser() {
        let s = " <iq type='set' id='a&amp;b' xmlns='jabber:client'>\n<data xmlns='urn:xmpp:tmp:xtls' method=\"x509\">AAECAw==</data></iq>\n";
        let mut out = vec![9];
        let (root, child) =
            read_base64_leaf(s.as_bytes(), &XmlLimits::default(), &mut out).unwrap();
        assert_eq!(out, [9, 0, 1, 2, 3]);
        let full = parse(s.as_bytes(), &XmlLimits::default()).unwrap();
        same_as_parse(&root, &full);
        same_as_parse(&child, full.child("data", "urn:xmpp:tmp:xtls").unwrap());
        assert_eq!(root.attr("id"), Some("a&b"));
        assert_eq!(child.attr("nope"), None);
        // The child inherits the default namespace.
        let (_, child) = read_base64_leaf(
            b"<a xmlns='urn:x'><b>AAAA</b></a>",
            &XmlLimits::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!(child.ns(), "urn:x");
    }

    #[test]
    fn reads_the_ack_shape_like_the_full_parser() {
        let s = "\n<iq type='result' id='x&apos;1' from='a@b/c' to=\"d@e/f\"/> ";
        let tag = read_empty_element(s.as_bytes(), &XmlLimits::default()).unwrap();
        same_as_parse(&tag, &parse(s.as_bytes(), &XmlLimits::default()).unwrap());
        assert_eq!(tag.ns(), "");
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
            "<iq><data xmlns='a' xmlns='b'>AAAA</data></iq>",
            "<iq><p:data xmlns:p='urn:x'>AAAA</p:data></iq>",
            "<iq xmlns:p='urn:x'><data>AAAA</data></iq>",
            "<iq><data a='&bogus;'>AAAA</data></iq>",
            "<iq><data>AAAA</datum></iq>",
            "<iq><data>AAAA</data></iq",
            "<iq><data>AAAA</data></iq>trailing",
        ] {
            let mut out = vec![7];
            assert!(
                read_base64_leaf(s.as_bytes(), &XmlLimits::default(), &mut out).is_none(),
                "{s}"
            );
            assert_eq!(out, [7], "{s}");
        }
        for s in [
            "<iq/><iq/>",
            "<iq></iq>",
            "<iq/>x",
            "<!-- c --><iq/>",
            "<p:iq xmlns:p='u'/>",
            "<iq a='1' a='1'/>",
            "< />",
            "<iq",
        ] {
            assert!(
                read_empty_element(s.as_bytes(), &XmlLimits::default()).is_none(),
                "{s}"
            );
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
        assert!(read_empty_element(
            b"<iq a='1'/>",
            &XmlLimits {
                max_bytes: 5,
                ..XmlLimits::default()
            }
        )
        .is_none());
        let flat = XmlLimits {
            max_depth: 1,
            ..XmlLimits::default()
        };
        assert!(read_base64_leaf(s.as_bytes(), &flat, &mut out).is_none());
        let few = XmlLimits {
            max_attributes: 1,
            ..XmlLimits::default()
        };
        assert!(
            read_base64_leaf(b"<iq a='1' b='2'><data>AAAA</data></iq>", &few, &mut out).is_none()
        );
        assert!(read_empty_element(b"<iq a='1' b='2'/>", &few).is_none());
        assert!(out.is_empty());
    }
}
