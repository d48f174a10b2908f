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

    fn token_at(&self, i: usize) -> Result<Token, XmlError> {
        let rest = &self.buf[i..];
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
        loop {
            if self.depth == 0 {
                // Between stanzas: skip whitespace, then a '<' must follow.
                let skip = self
                    .buf
                    .iter()
                    .position(|b| !b.is_ascii_whitespace())
                    .unwrap_or(self.buf.len());
                if skip > 0 {
                    self.buf.drain(..skip);
                    self.scan = 0;
                }
                match self.buf.first() {
                    None => return Ok(None),
                    Some(b'<') => {}
                    Some(_) => return Err(XmlError::NotOneElement),
                }
            }
            let tok = self.token_at(self.scan)?;
            match tok {
                Token::Incomplete => {
                    if self.buf.len() > self.max {
                        return Err(XmlError::TooLarge);
                    }
                    return Ok(None);
                }
                Token::Text(end) => self.scan = end,
                Token::Open(end) => {
                    self.depth += 1;
                    self.scan = end;
                }
                Token::Close(end) => {
                    self.depth = self
                        .depth
                        .checked_sub(1)
                        .ok_or_else(|| XmlError::Malformed("unmatched end tag".into()))?;
                    self.scan = end;
                }
                Token::Empty(end) => self.scan = end,
            }
            if self.scan > self.max {
                return Err(XmlError::TooLarge);
            }
            if self.depth == 0 {
                let rest = self.buf.split_off(self.scan);
                let stanza = std::mem::replace(&mut self.buf, rest);
                self.scan = 0;
                return Ok(Some(stanza));
            }
        }
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
