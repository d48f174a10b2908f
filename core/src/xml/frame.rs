//! Splitting the plaintext of an XTLS tunnel into stanzas.
//!
//! Inside the tunnel the peers exchange bare stanzas one after another, with no
//! stream header. TLS records do not respect stanza boundaries, so plaintext is
//! buffered until a whole top-level element has arrived. The framer only finds
//! boundaries (tags, quoted attribute values, CDATA); each complete stanza is
//! then read by the strict [`parse`](super::parse).

use super::XmlError;

/// Incremental stanza splitter with a bound on buffered octets.
#[derive(Debug)]
pub struct StanzaFramer {
    buf: Vec<u8>,
    /// Where scanning resumes (always at a token boundary).
    scan: usize,
    /// Element depth at `scan`.
    depth: usize,
    /// Largest stanza (and so largest buffered partial stanza).
    max: usize,
}

enum Token {
    /// Need more input.
    Incomplete,
    /// Token ends before this offset; depth change.
    Open(usize),
    Close(usize),
    Empty(usize),
    Text(usize),
}

impl StanzaFramer {
    /// A framer that refuses stanzas larger than `max_stanza` octets.
    pub fn new(max_stanza: usize) -> Self {
        StanzaFramer {
            buf: Vec::new(),
            scan: 0,
            depth: 0,
            max: max_stanza,
        }
    }

    /// Octets buffered and not yet returned as stanzas.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Appends plaintext.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The token of `buf` that starts at `i`.
    fn token_at(buf: &[u8], i: usize) -> Result<Token, XmlError> {
        let rest = &buf[i..];
        if rest.first() != Some(&b'<') {
            let end = memchr::memchr(b'<', rest).map(|p| i + p);
            return Ok(match end {
                Some(e) => Token::Text(e),
                None => Token::Incomplete,
            });
        }
        const CDATA: &[u8] = b"<![CDATA[";
        if rest.get(1) == Some(&b'!') {
            if rest.len() < CDATA.len() {
                return if CDATA.starts_with(rest) {
                    Ok(Token::Incomplete)
                } else {
                    Err(XmlError::Forbidden("a comment or DOCTYPE"))
                };
            }
            if !rest.starts_with(CDATA) {
                return Err(XmlError::Forbidden("a comment or DOCTYPE"));
            }
            return Ok(match find(rest, b"]]>") {
                Some(p) => Token::Text(i + p + 3),
                None => Token::Incomplete,
            });
        }
        match rest.get(1) {
            None => return Ok(Token::Incomplete),
            Some(b'?') => return Err(XmlError::Forbidden("a processing instruction")),
            _ => {}
        }
        let mut quote: Option<u8> = None;
        for (p, &b) in rest.iter().enumerate().skip(1) {
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'\'' || b == b'"' => quote = Some(b),
                None if b == b'>' => {
                    let end = i + p + 1;
                    return Ok(if rest[1] == b'/' {
                        Token::Close(end)
                    } else if rest[p - 1] == b'/' {
                        Token::Empty(end)
                    } else {
                        Token::Open(end)
                    });
                }
                None => {}
            }
        }
        Ok(Token::Incomplete)
    }

    /// Returns the next complete stanza, `Ok(None)` when more input is needed,
    /// or an error when the plaintext cannot be XML stanzas (the tunnel is
    /// then unusable: framing is lost).
    pub fn next_stanza(&mut self) -> Result<Option<Vec<u8>>, XmlError> {
        if self.depth == 0 {
            let Some(skip) = stanza_start(&self.buf)? else {
                self.buf.clear();
                self.scan = 0;
                return Ok(None);
            };
            if skip > 0 {
                self.buf.drain(..skip);
                self.scan = 0;
            }
        }
        let Some(end) = Self::scan_stanza(&self.buf, &mut self.scan, &mut self.depth, self.max)?
        else {
            return Ok(None);
        };
        let rest = self.buf.split_off(end);
        let stanza = std::mem::replace(&mut self.buf, rest);
        self.scan = 0;
        Ok(Some(stanza))
    }

    /// With nothing buffered: the next complete stanza at the front of
    /// `data`, borrowed, with `data` advanced past it; `Ok(None)` when
    /// `data` holds no complete stanza (the rest is then for
    /// [`push`](Self::push)). Saves copying plaintext that arrives as whole
    /// stanzas, the usual case, through the buffer.
    pub fn next_in<'d>(&self, data: &mut &'d [u8]) -> Result<Option<&'d [u8]>, XmlError> {
        if !self.buf.is_empty() {
            return Ok(None);
        }
        let Some(start) = stanza_start(data)? else {
            *data = &[];
            return Ok(None);
        };
        *data = &data[start..];
        let (mut scan, mut depth) = (0, 0);
        let Some(end) = Self::scan_stanza(data, &mut scan, &mut depth, self.max)? else {
            return Ok(None);
        };
        let (stanza, rest) = data.split_at(end);
        *data = rest;
        Ok(Some(stanza))
    }

    /// Scans `buf`, which holds one stanza's start, from offset `scan` at
    /// element depth `depth` (both updated) to the end of the stanza.
    fn scan_stanza(
        buf: &[u8],
        scan: &mut usize,
        depth: &mut usize,
        max: usize,
    ) -> Result<Option<usize>, XmlError> {
        loop {
            match Self::token_at(buf, *scan)? {
                Token::Incomplete => {
                    if buf.len() > max {
                        return Err(XmlError::TooLarge);
                    }
                    return Ok(None);
                }
                Token::Text(end) | Token::Empty(end) => *scan = end,
                Token::Open(end) => {
                    *depth += 1;
                    *scan = end;
                }
                Token::Close(end) => {
                    *depth = depth
                        .checked_sub(1)
                        .ok_or_else(|| XmlError::Malformed("unmatched end tag".into()))?;
                    *scan = end;
                }
            }
            if *scan > max {
                return Err(XmlError::TooLarge);
            }
            if *depth == 0 {
                return Ok(Some(*scan));
            }
        }
    }
}

/// Between stanzas: whitespace may come first, then a `<` must follow.
/// The offset of that `<`, or `None` when `buf` is only whitespace.
fn stanza_start(buf: &[u8]) -> Result<Option<usize>, XmlError> {
    match buf.iter().position(|b| !b.is_ascii_whitespace()) {
        None => Ok(None),
        Some(i) if buf[i] == b'<' => Ok(Some(i)),
        Some(_) => Err(XmlError::NotOneElement),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_across_pushes_and_joins_several() {
        let mut f = StanzaFramer::new(1024);
        let all = b" <message a='x>y'><body>hi <![CDATA[<not a tag>]]></body></message>\n<presence/><iq type=\"get\"><q/></iq>";
        let mut out = Vec::new();
        for chunk in all.chunks(5) {
            f.push(chunk);
            while let Some(s) = f.next_stanza().unwrap() {
                out.push(String::from_utf8(s).unwrap());
            }
        }
        assert_eq!(
            out,
            vec![
                "<message a='x>y'><body>hi <![CDATA[<not a tag>]]></body></message>",
                "<presence/>",
                "<iq type=\"get\"><q/></iq>"
            ]
        );
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn borrowed_stanzas_match_buffered_ones() {
        let all: &[u8] =
            b" <message a='x>y'><body>hi</body></message>\n<presence/><iq type=\"get\"><q/></i";
        let f = StanzaFramer::new(1024);
        let mut rest = all;
        let mut out = Vec::new();
        while let Some(s) = f.next_in(&mut rest).unwrap() {
            out.push(s);
        }
        assert_eq!(
            out,
            [
                &b"<message a='x>y'><body>hi</body></message>"[..],
                b"<presence/>"
            ]
        );
        assert_eq!(rest, b"<iq type=\"get\"><q/></i");
        // What is left continues in the buffer; then nothing is borrowed.
        let mut f = StanzaFramer::new(1024);
        f.push(rest);
        let mut more: &[u8] = b"q><presence/>";
        assert_eq!(f.next_in(&mut more).unwrap(), None);
        f.push(more);
        assert_eq!(
            f.next_stanza().unwrap().unwrap(),
            b"<iq type=\"get\"><q/></iq>"
        );
        assert_eq!(f.next_stanza().unwrap().unwrap(), b"<presence/>");
        // The same refusals and bound.
        let f = StanzaFramer::new(16);
        assert_eq!(f.next_in(&mut &b"text"[..]), Err(XmlError::NotOneElement));
        assert_eq!(
            f.next_in(&mut &b"<message><body>0123456789"[..]),
            Err(XmlError::TooLarge)
        );
        assert_eq!(
            f.next_in(&mut &b"<m><body>0123456789</body></m>"[..]),
            Err(XmlError::TooLarge)
        );
        assert!(matches!(
            f.next_in(&mut &b"</a>"[..]),
            Err(XmlError::Malformed(_))
        ));
    }

    #[test]
    fn bounded_and_strict() {
        let mut f = StanzaFramer::new(16);
        f.push(b"<message><body>0123456789");
        assert_eq!(f.next_stanza(), Err(XmlError::TooLarge));
        let mut f = StanzaFramer::new(64);
        f.push(b"text");
        assert_eq!(f.next_stanza(), Err(XmlError::NotOneElement));
        let mut f = StanzaFramer::new(64);
        f.push(b"<a><!-- x --></a>");
        assert!(matches!(f.next_stanza(), Err(XmlError::Forbidden(_))));
        let mut f = StanzaFramer::new(64);
        f.push(b"</a>");
        assert!(matches!(f.next_stanza(), Err(XmlError::Malformed(_))));
    }
}
