//! The common shape of a stanza, checked without quick-xml: the fast path
//! of [`check`](super::check), which every stanza through a tunnel takes
//! twice (the sender checks what the application hands over, the receiver
//! what it decrypted; XTLS §4.4).
//!
//! Most stanzas use a small part of XML: unprefixed element names, default
//! namespace declarations, `xml:` attributes, values without references,
//! text with the five predefined entities. For those, quick-xml's namespace
//! reader costs more to set up than the stanza costs to scan (its resolver
//! allocates; a 1 KiB message took about 0.6 µs, this takes a fraction).
//!
//! [`check_common`] accepts only what the general reader accepts, with the
//! same root: anything outside the subset, and every error, returns `None`,
//! and the general reader then gives the answer, errors included. A test
//! compares both on generated input.

use super::element::Element;
use super::limits::XmlLimits;
use super::name::valid_name;

/// Deepest nesting checked here; deeper stanzas go to the general reader.
const MAX_COMMON_DEPTH: usize = 32;

/// Most attributes (namespace declarations included) on one tag checked
/// here; more go to the general reader. A stanza as servers route it has
/// at most six (`xmlns`, `type`, `id`, `from`, `to`, `xml:lang`). The tag is
/// returned by value, so it stays small: six instead of eight made 1 KiB
/// tunnel stanzas about 2 % faster (`scripts/bench.sh`, three runs each).
const MAX_COMMON_ATTRIBUTES: usize = 6;

/// XML 1.0 §2.3 `S`.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn skip_space(b: &[u8], mut at: usize) -> usize {
    while b.get(at).copied().is_some_and(is_space) {
        at += 1;
    }
    at
}

/// One start tag: `<name attr='v' …>` or `…/>`.
pub(super) struct Tag<'a> {
    pub(super) name: &'a [u8],
    attrs: [(&'a [u8], &'a [u8]); MAX_COMMON_ATTRIBUTES],
    len: usize,
    pub(super) empty: bool,
    /// The index after the tag's `>`.
    pub(super) end: usize,
}

impl Default for Tag<'_> {
    fn default() -> Self {
        Tag {
            name: &[],
            attrs: [(&[][..], &[][..]); MAX_COMMON_ATTRIBUTES],
            len: 0,
            empty: false,
            end: 0,
        }
    }
}

impl<'a> Tag<'a> {
    /// The attributes as written, namespace declarations included (their
    /// values need no unescaping: they hold no references).
    pub(super) fn attrs(&self) -> &[(&'a [u8], &'a [u8])] {
        &self.attrs[..self.len]
    }
}

/// Reads the start tag at `b[at]`; `None` for anything outside the
/// subset (prefixed names, `xmlns:` declarations, references or `<` in a
/// value, spaces around `=`, a name the general reader refuses, duplicate
/// attributes, more than `max_attributes`).
/// Shared with the data path's reader
/// ([`flat`](super::flat)).
#[inline]
pub(super) fn start_tag<'a>(b: &'a [u8], at: usize, max_attributes: usize) -> Option<Tag<'a>> {
    let mut tag = Tag::default();
    read_start_tag(b, at, max_attributes, &mut tag)?;
    Some(tag)
}

/// [`start_tag`] into `tag` (reused across the tags of a stanza: a tag is
/// a few hundred octets, and moving it cost more than reading it).
fn read_start_tag<'a>(
    b: &'a [u8],
    at: usize,
    max_attributes: usize,
    tag: &mut Tag<'a>,
) -> Option<()> {
    if b.get(at) != Some(&b'<') {
        return None;
    }
    let mut p = at + 1;
    let name_end = p + b[p..]
        .iter()
        .position(|&c| is_space(c) || c == b'/' || c == b'>')?;
    let name = &b[p..name_end];
    if !valid_name(name) || name.contains(&b':') {
        return None;
    }
    p = name_end;
    tag.name = name;
    tag.len = 0;
    tag.empty = false;
    let mut counted = 0;
    loop {
        let spaced = b.get(p).copied().is_some_and(is_space);
        p = skip_space(b, p);
        match *b.get(p)? {
            b'>' => {
                tag.end = p + 1;
                return Some(());
            }
            b'/' => {
                if b.get(p + 1) != Some(&b'>') {
                    return None;
                }
                tag.empty = true;
                tag.end = p + 2;
                return Some(());
            }
            _ if !spaced => return None,
            _ => {}
        }
        let key_end = p + b[p..]
            .iter()
            .position(|&c| is_space(c) || c == b'=' || c == b'/' || c == b'>')?;
        let key = &b[p..key_end];
        let binding = key == b"xmlns";
        let prefixed = match key.iter().position(|&c| c == b':') {
            None => false,
            Some(3) if key.starts_with(b"xml:") && !key[4..].contains(&b':') => true,
            Some(_) => return None,
        };
        if !valid_name(key) || (prefixed && key.len() == 4) {
            return None;
        }
        let quote = *b.get(key_end + 1).filter(|_| b[key_end] == b'=')?;
        if quote != b'\'' && quote != b'"' {
            return None;
        }
        let start = key_end + 2;
        let value_len = memchr::memchr(quote, b.get(start..)?)?;
        let value = &b[start..start + value_len];
        if memchr::memchr2(b'<', b'&', value).is_some() {
            return None;
        }
        if tag.len == MAX_COMMON_ATTRIBUTES || tag.attrs[..tag.len].iter().any(|(k, _)| *k == key) {
            return None;
        }
        if !binding {
            counted += 1;
            if counted > max_attributes {
                return None;
            }
        }
        tag.attrs[tag.len] = (key, value);
        tag.len += 1;
        p = start + value_len + 1;
    }
}

/// The index after the end tag `</name>` at `b[at]`, written exactly so.
fn end_tag(b: &[u8], at: usize, name: &[u8]) -> Option<usize> {
    let after = at + 2 + name.len();
    (b.get(at + 2..after)? == name && b.get(after) == Some(&b'>')).then_some(after + 1)
}

/// Text from `at` to the next `<`: only the five predefined entity
/// references (XML 1.0 §4.6) may appear in it here. Returns the index of
/// that `<`.
fn text(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at += memchr::memchr2(b'<', b'&', &b[at..])?;
        if b[at] == b'<' {
            return Some(at);
        }
        let rest = &b[at + 1..];
        let len = [&b"amp;"[..], b"lt;", b"gt;", b"quot;", b"apos;"]
            .iter()
            .find(|e| rest.starts_with(e))?
            .len();
        at += 1 + len;
    }
}

/// The root element of `input` (name, namespace, attributes; no children)
/// when `input` is one stanza in the common subset and well-formed within
/// `limits`; `None` otherwise, for the general reader to decide.
pub(super) fn check_common(input: &str, limits: &XmlLimits) -> Option<Element> {
    root_element(&common_root(input, limits)?)
}

/// [`check_common`]'s scan: the root's start tag, borrowed from `input`.
pub(super) fn common_root<'a>(input: &'a str, limits: &XmlLimits) -> Option<Tag<'a>> {
    let b = input.as_bytes();
    if b.len() > limits.max_bytes {
        return None;
    }
    let max_depth = limits.max_depth.min(MAX_COMMON_DEPTH);
    let mut open: [&[u8]; MAX_COMMON_DEPTH] = [&[]; MAX_COMMON_DEPTH];
    let mut depth = 0usize;
    let mut root = None;
    let mut tag = Tag::default();
    let mut at = skip_space(b, 0);
    loop {
        if b.get(at) != Some(&b'<') {
            return None;
        }
        match *b.get(at + 1)? {
            b'/' => {
                depth = depth.checked_sub(1)?;
                at = end_tag(b, at, open.get(depth).copied()?)?;
            }
            b'!' | b'?' => return None,
            _ => {
                read_start_tag(b, at, limits.max_attributes, &mut tag)?;
                if depth == max_depth {
                    return None;
                }
                at = tag.end;
                if !tag.empty {
                    open[depth] = tag.name;
                    depth += 1;
                }
                if root.is_none() {
                    root = Some(std::mem::take(&mut tag));
                }
            }
        }
        if depth == 0 {
            return (skip_space(b, at) == b.len()).then_some(root?);
        }
        at = text(b, at)?;
    }
}

/// The root as [`check`](super::check) returns it.
fn root_element(tag: &Tag<'_>) -> Option<Element> {
    let text = |s: &[u8]| std::str::from_utf8(s).ok().map(str::to_owned);
    let mut el = Element {
        name: text(tag.name)?,
        attrs: Vec::with_capacity(tag.len),
        ..Element::default()
    };
    for &(k, v) in tag.attrs() {
        if k == b"xmlns" {
            el.ns = text(v)?;
        } else {
            el.attrs.push((text(k)?, text(v)?));
        }
    }
    Some(el)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::check;
    use crate::xml::read::check_general;

    fn limits() -> XmlLimits {
        XmlLimits::default()
    }

    #[test]
    fn common_stanzas_take_the_fast_path() {
        for s in [
            "<message type='chat' to='a@b/c' xml:lang='en'><body>hi &amp; bye &lt;3</body></message>",
            " <iq xmlns='jabber:client' type=\"get\" id='1'><query xmlns='jabber:iq:roster'/></iq>\n",
            "<presence/>",
            "<message><x xmlns='urn:x'><y a='1' b=\"'\"/>text > more</x></message>",
        ] {
            let fast = check_common(s, &limits()).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(Ok(fast), check(s, &limits()), "{s}");
        }
    }

    #[test]
    fn anything_else_is_left_to_the_general_reader() {
        for s in [
            "<a>&#65;</a>",
            "<a>&lol;</a>",
            "<a x='&amp;'/>",
            "<a><![CDATA[x]]></a>",
            "<a><!-- c --></a>",
            "<?xml version='1.0'?><a/>",
            "<p:a xmlns:p='u'/>",
            "<a xmlns:p='u'/>",
            "<a b:c='1'/>",
            "<a x = '1'/>",
            "<a x='1'y='2'/>",
            "<a x='1' x='2'/>",
            "<a xmlns='u' xmlns='v'/>",
            "<a></a >",
            "<a></b>",
            "<a>",
            "<a/><b/>",
            "<a/>x",
            "x<a/>",
            "\x0c<a/>",
            "< a/>",
            "<1a/>",
            "<a xml:='1'/>",
            "<a xml:b:c='1'/>",
            "<a x='<'/>",
        ] {
            assert_eq!(check_common(s, &limits()), None, "{s}");
        }
        let deep = "<a>".repeat(33) + &"</a>".repeat(33);
        assert_eq!(check_common(&deep, &limits()), None);
        let few = XmlLimits {
            max_attributes: 1,
            ..limits()
        };
        assert_eq!(check_common("<a xmlns='u' b='1' c='2'/>", &few), None);
        assert!(check_common("<a xmlns='u' b='1'/>", &few).is_some());
    }

    /// A small deterministic generator (xorshift).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[(self.next() % from.len() as u64) as usize]
        }
    }

    const NAMES: &[&str] = &["a", "b", "message", "é", "p:a", "x.y", "1a", "a-b"];
    const ATTRS: &[&str] = &[
        " x='1'",
        " x=\"2\"",
        " y='&amp;'",
        " xmlns='u'",
        " xmlns=''",
        " xmlns:p='u'",
        " xml:lang='en'",
        " p:x='1'",
        " a = '1'",
        " z='\n\t'",
        " q='>'",
        " r=\"'\"",
        " 1='x'",
        " x='1'y='2'",
        " s='\u{1}'",
    ];
    const TEXTS: &[&str] = &[
        "",
        "text",
        "é",
        "&amp;",
        "&lt;&gt;&quot;&apos;",
        "&bogus;",
        "&#65;",
        "&",
        "]]>",
        " ",
        "\n",
        "\u{1}",
        "\0",
        "<!--c-->",
        "<![CDATA[x]]>",
        "<?p?>",
        ">",
    ];
    /// Pieces that break or bend a stanza, inserted at random places.
    const BREAKS: &[&str] = &[
        "<", ">", "/>", "</a>", "'", "\"", "=", "&", " ", "\x0c", "<a", "</", "<!", "<?", ":",
        "<a/>", "text",
    ];

    /// A stanza-like tree of up to `depth` levels.
    fn tree(r: &mut Rng, depth: u32, out: &mut String) {
        let name = r.pick(NAMES);
        out.push('<');
        out.push_str(name);
        for _ in 0..r.next() % 4 {
            out.push_str(r.pick(ATTRS));
        }
        if depth == 0 || r.next() % 3 == 0 {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for _ in 0..r.next() % 3 {
            out.push_str(r.pick(TEXTS));
            tree(r, depth - 1, out);
        }
        out.push_str(r.pick(TEXTS));
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }

    /// Generated input: trees, a third of them with a piece inserted, a
    /// piece cut out, or whitespace around.
    fn generated(seed: u64, n: usize) -> Vec<String> {
        let mut r = Rng(seed);
        (0..n)
            .map(|_| {
                let mut s = String::new();
                let depth = 1 + (r.next() % 5) as u32;
                tree(&mut r, depth, &mut s);
                let at = |r: &mut Rng, s: &String| {
                    let mut i = (r.next() % (s.len() as u64 + 1)) as usize;
                    while !s.is_char_boundary(i) {
                        i -= 1;
                    }
                    i
                };
                match r.next() % 6 {
                    0 => {
                        let i = at(&mut r, &s);
                        s.insert_str(i, r.pick(BREAKS));
                    }
                    1 => {
                        let i = at(&mut r, &s);
                        let j = at(&mut r, &s);
                        s.replace_range(i.min(j)..i.max(j), "");
                    }
                    2 => s = format!("{}{s}{}", r.pick(TEXTS), r.pick(TEXTS)),
                    _ => {}
                }
                s
            })
            .collect()
    }

    #[test]
    fn accepts_only_what_the_general_reader_accepts_with_the_same_root() {
        let limits = XmlLimits {
            max_attributes: 3,
            max_depth: 4,
            ..limits()
        };
        let mut fast = 0;
        for s in generated(0x9e37_79b9_7f4a_7c15, 200_000) {
            if let Some(root) = check_common(&s, &limits) {
                fast += 1;
                assert_eq!(check_general(&s, &limits), Ok(root), "{s:?}");
            }
            // The acknowledgement's reader shares the tag scanner.
            if let Some(tag) = crate::xml::read_empty_element(s.as_bytes(), &limits) {
                let root = check_general(&s, &limits).expect(&s);
                assert_eq!(tag.name(), root.name.as_bytes(), "{s:?}");
                assert_eq!(tag.ns(), root.ns, "{s:?}");
                let attrs: Vec<_> = root
                    .attrs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                assert_eq!(tag.attrs().collect::<Vec<_>>(), attrs, "{s:?}");
            }
        }
        // The generator reaches the fast path, so this test can fail.
        assert!(fast > 20_000, "{fast}");
    }
}
