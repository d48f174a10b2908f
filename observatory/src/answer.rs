//! What a server answered a probe: its first flight read record by record
//! (handshake messages may span records), parsed with tls-parser, until it
//! says enough — a ServerHello of TLS 1.3 (the rest is encrypted), a
//! HelloRetryRequest, ServerHelloDone, or an alert.

use tls_parser::{
    parse_dh_params, parse_ecdh_params, parse_tls_extensions, parse_tls_message_handshake,
    parse_tls_raw_record, ECParametersContent, TlsExtension, TlsMessage, TlsMessageHandshake,
    TlsRecordType,
};

use crate::hello::TLS13;

/// Most octets of a server's first flight read before giving up on it
/// (certificate chains of real servers are under 16 KiB; this leaves room
/// for long ones and bounds what a hostile server can make us hold).
pub const MAX_FLIGHT: usize = 256 * 1024;

/// SHA-256 of "HelloRetryRequest": the random of a HelloRetryRequest,
/// which is a ServerHello on the wire (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// What the server's ServerHello (and, up to TLS 1.2, the rest of its first
/// flight) says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerHelloFacts {
    /// The version the server chose (TLS 1.3 from supported_versions).
    pub version: u16,
    /// The suite the server chose.
    pub suite: u16,
    /// The compression method (0 null, 1 DEFLATE).
    pub compression: u8,
    /// The renegotiation_info extension came back (RFC 5746).
    pub secure_renegotiation: bool,
    /// The extended_master_secret extension came back (RFC 7627).
    pub extended_master_secret: bool,
    /// A HelloRetryRequest (TLS 1.3): the server wants another key share.
    pub hello_retry: bool,
    /// The key exchange group: TLS 1.3's key_share (or the group a
    /// HelloRetryRequest asks for), TLS 1.2's ECDHE curve.
    pub group: Option<u16>,
    /// Finite-field Diffie-Hellman modulus size in bits (TLS 1.2 DHE).
    pub dh_bits: Option<u32>,
    /// The certificate chain (DER, leaf first; up to TLS 1.2 only, where it
    /// is sent in the clear).
    pub chain: Vec<Vec<u8>>,
}

/// A server's answer to one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A ServerHello (or HelloRetryRequest): the probe was accepted.
    Hello(ServerHelloFacts),
    /// An alert (RFC 8446 §6): refused. `description` is the alert code,
    /// e.g. 40 handshake_failure, 70 protocol_version, 86 inappropriate_fallback.
    Alert {
        /// The alert's description code.
        description: u8,
    },
    /// The connection ended before any answer (EOF or reset): most often
    /// how servers refuse versions they do not speak at all.
    Closed,
    /// Nothing came before the caller's timeout.
    Silent,
    /// Bytes that are not TLS, or a flight over [`MAX_FLIGHT`].
    NotTls(String),
}

impl Answer {
    /// The ServerHello, if the probe was accepted.
    pub fn hello(&self) -> Option<&ServerHelloFacts> {
        match self {
            Answer::Hello(h) => Some(h),
            _ => None,
        }
    }
}

/// Reads a server's first flight as it arrives; see [`Answer`].
#[derive(Debug, Default)]
pub struct AnswerReader {
    seen: usize,
    buf: Vec<u8>,
    handshake: Vec<u8>,
    facts: Option<ServerHelloFacts>,
    done: Option<Answer>,
}

impl AnswerReader {
    /// A reader for one probe's answer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next octets from the server; returns the answer once the
    /// flight says enough (then the connection can be closed).
    pub fn feed(&mut self, data: &[u8]) -> Option<Answer> {
        if self.done.is_some() {
            return self.done.clone();
        }
        self.buf.extend_from_slice(data);
        self.seen += data.len();
        if self.seen > MAX_FLIGHT {
            return self.finish_with(Answer::NotTls(format!(
                "the first flight exceeds {MAX_FLIGHT} octets"
            )));
        }
        loop {
            // An SSL 2.0 or non-TLS first octet: not an answer we read.
            if let Some(&first) = self.buf.first() {
                if !(20..=24).contains(&first) {
                    let shown =
                        String::from_utf8_lossy(&self.buf[..self.buf.len().min(40)]).into_owned();
                    return self.finish_with(Answer::NotTls(format!("not TLS: {shown:?}")));
                }
            }
            let (consumed, rtype, payload) = match parse_tls_raw_record(&self.buf) {
                Ok((rest, rec)) => (
                    self.buf.len() - rest.len(),
                    rec.hdr.record_type,
                    rec.data.to_vec(),
                ),
                Err(tls_parser::Err::Incomplete(_)) => return None,
                Err(_) => {
                    if self.buf.len() < 5 {
                        return None;
                    }
                    return self.finish_with(Answer::NotTls("a malformed TLS record".into()));
                }
            };
            self.buf.drain(..consumed);
            match rtype {
                TlsRecordType::Alert => {
                    let description = payload.get(1).copied().unwrap_or(0);
                    // An alert after a ServerHello (e.g. over our dummy
                    // key share) does not undo what the hello said.
                    let answer = match self.facts.take() {
                        Some(f) => Answer::Hello(f),
                        None => Answer::Alert { description },
                    };
                    return self.finish_with(answer);
                }
                TlsRecordType::Handshake => {
                    self.handshake.extend_from_slice(&payload);
                    if let Some(a) = self.read_messages() {
                        return self.finish_with(a);
                    }
                }
                // ChangeCipherSpec or encrypted data: the clear part is over.
                _ => {
                    let answer = match self.facts.take() {
                        Some(f) => Answer::Hello(f),
                        None => Answer::NotTls("no ServerHello before encrypted data".into()),
                    };
                    return self.finish_with(answer);
                }
            }
        }
    }

    /// The connection ended (EOF, reset) or the caller's timeout struck:
    /// what was read so far is the answer.
    pub fn finish(&mut self, timed_out: bool) -> Answer {
        if let Some(a) = &self.done {
            return a.clone();
        }
        let answer = match self.facts.take() {
            Some(f) => Answer::Hello(f),
            None if timed_out => Answer::Silent,
            None => Answer::Closed,
        };
        self.finish_with(answer).unwrap_or(Answer::Closed)
    }

    fn finish_with(&mut self, a: Answer) -> Option<Answer> {
        self.done = Some(a.clone());
        Some(a)
    }

    /// Parses the complete handshake messages buffered so far; returns the
    /// answer when the flight has said enough.
    fn read_messages(&mut self) -> Option<Answer> {
        loop {
            let (consumed, msg) = match parse_tls_message_handshake(&self.handshake) {
                Ok((rest, TlsMessage::Handshake(m))) => (
                    self.handshake.len() - rest.len(),
                    Some(owned(&m, &self.facts)),
                ),
                Ok((rest, _)) => (self.handshake.len() - rest.len(), None),
                Err(tls_parser::Err::Incomplete(_)) => return None,
                Err(_) => {
                    // A message tls-parser cannot read (or an incomplete
                    // one it reports as an error): wait for more unless the
                    // length says it is all here.
                    let complete = self.handshake.len() >= 4
                        && self.handshake.len()
                            >= 4 + u32::from_be_bytes([
                                0,
                                self.handshake[1],
                                self.handshake[2],
                                self.handshake[3],
                            ]) as usize;
                    if !complete {
                        return None;
                    }
                    return Some(match self.facts.take() {
                        Some(f) => Answer::Hello(f),
                        None => Answer::NotTls("a malformed handshake message".into()),
                    });
                }
            };
            self.handshake.drain(..consumed);
            match msg {
                Some(Msg::Hello(f)) => {
                    let done = f.hello_retry || f.version >= TLS13;
                    self.facts = Some(f);
                    if done {
                        return self.facts.take().map(Answer::Hello);
                    }
                }
                Some(Msg::Chain(chain)) => {
                    if let Some(f) = &mut self.facts {
                        f.chain = chain;
                    }
                }
                Some(Msg::KeyExchange { group, dh_bits }) => {
                    if let Some(f) = &mut self.facts {
                        f.group = f.group.or(group);
                        f.dh_bits = f.dh_bits.or(dh_bits);
                    }
                }
                Some(Msg::Done) => return self.facts.take().map(Answer::Hello),
                Some(Msg::Other) | None => {}
            }
        }
    }
}

/// What one handshake message contributes, owned.
enum Msg {
    Hello(ServerHelloFacts),
    Chain(Vec<Vec<u8>>),
    KeyExchange {
        group: Option<u16>,
        dh_bits: Option<u32>,
    },
    Done,
    Other,
}

fn owned(m: &TlsMessageHandshake<'_>, facts: &Option<ServerHelloFacts>) -> Msg {
    match m {
        TlsMessageHandshake::ServerHello(h) => {
            let mut f = ServerHelloFacts {
                version: h.version.0,
                suite: h.cipher.0,
                compression: h.compression.0,
                hello_retry: h.random == HRR_RANDOM,
                ..ServerHelloFacts::default()
            };
            let exts = h
                .ext
                .and_then(|e| parse_tls_extensions(e).ok())
                .map(|(_, v)| v)
                .unwrap_or_default();
            for e in &exts {
                match e {
                    TlsExtension::RenegotiationInfo(_) => f.secure_renegotiation = true,
                    TlsExtension::ExtendedMasterSecret => f.extended_master_secret = true,
                    TlsExtension::SupportedVersions(v) => {
                        if let Some(v) = v.first() {
                            f.version = v.0;
                        }
                    }
                    // ServerHello: group (2) + key; HelloRetryRequest: group only.
                    TlsExtension::KeyShare(k) | TlsExtension::KeyShareOld(k) if k.len() >= 2 => {
                        f.group = Some(u16::from_be_bytes([k[0], k[1]]));
                    }
                    _ => {}
                }
            }
            Msg::Hello(f)
        }
        TlsMessageHandshake::HelloRetryRequest(h) => Msg::Hello(ServerHelloFacts {
            version: TLS13,
            suite: h.cipher.0,
            hello_retry: true,
            ..ServerHelloFacts::default()
        }),
        TlsMessageHandshake::Certificate(c) => {
            Msg::Chain(c.cert_chain.iter().map(|c| c.data.to_vec()).collect())
        }
        TlsMessageHandshake::ServerKeyExchange(kx) => {
            let suite = facts
                .as_ref()
                .and_then(|f| xmpptls::policy::suites::by_code(f.suite));
            match suite.map(|s| s.kx) {
                Some("DHE") => Msg::KeyExchange {
                    group: None,
                    dh_bits: parse_dh_params(kx.parameters).ok().map(|(_, p)| {
                        let p = p.dh_p;
                        let lead = p.iter().take_while(|&&b| b == 0).count();
                        let significant = &p[lead..];
                        significant.first().map_or(0, |b| {
                            (significant.len() as u32 - 1) * 8 + (8 - b.leading_zeros())
                        })
                    }),
                },
                Some("ECDHE") => Msg::KeyExchange {
                    group: parse_ecdh_params(kx.parameters).ok().and_then(|(_, p)| {
                        match p.curve_params.params_content {
                            ECParametersContent::NamedGroup(g) => Some(g.0),
                            ECParametersContent::ExplicitPrime(_) => None,
                        }
                    }),
                    dh_bits: None,
                },
                _ => Msg::Other,
            }
        }
        TlsMessageHandshake::ServerDone(_) => Msg::Done,
        _ => Msg::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![typ, 3, 3];
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    fn handshake(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut h = vec![typ];
        h.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        h.extend_from_slice(body);
        h
    }

    fn server_hello(version: u16, suite: u16, random: [u8; 32], ext: &[u8]) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec();
        b.extend_from_slice(&random);
        b.push(0); // session id
        b.extend_from_slice(&suite.to_be_bytes());
        b.push(0); // compression
        b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        b.extend_from_slice(ext);
        handshake(2, &b)
    }

    #[test]
    fn an_alert_is_a_refusal() {
        let mut r = AnswerReader::new();
        assert_eq!(
            r.feed(&record(21, &[2, 70])),
            Some(Answer::Alert { description: 70 })
        );
    }

    #[test]
    fn a_tls12_flight_split_across_records_and_reads() {
        // ServerHello with renegotiation_info and EMS, Certificate, ServerKeyExchange
        // (DHE, a 1024-bit p), ServerHelloDone; delivered one octet at a time.
        let ext = [0xff, 0x01, 0, 1, 0, 0x00, 0x17, 0, 0];
        let mut flight = server_hello(0x0303, 0x009e, [1; 32], &ext);
        let cert = vec![0x30, 0x03, 0x02, 0x01, 0x01];
        let mut certs = Vec::new();
        certs.extend_from_slice(&((cert.len() + 3) as u32).to_be_bytes()[1..]);
        certs.extend_from_slice(&(cert.len() as u32).to_be_bytes()[1..]);
        certs.extend_from_slice(&cert);
        flight.extend(handshake(11, &certs));
        let mut p = vec![0x80];
        p.extend(vec![0xff; 127]); // 1024 bits
        let mut dh = (p.len() as u16).to_be_bytes().to_vec();
        dh.extend(&p);
        dh.extend([0, 1, 2, 0, 1, 5]);
        flight.extend(handshake(12, &dh));
        flight.extend(handshake(14, &[]));
        let mut wire = Vec::new();
        for chunk in flight.chunks(50) {
            wire.extend(record(22, chunk));
        }
        let mut r = AnswerReader::new();
        let mut answer = None;
        for b in &wire {
            if let Some(a) = r.feed(&[*b]) {
                answer = Some(a);
                break;
            }
        }
        let Some(Answer::Hello(f)) = answer else {
            panic!("{answer:?}")
        };
        assert_eq!((f.version, f.suite), (0x0303, 0x009e));
        assert!(f.secure_renegotiation && f.extended_master_secret && !f.hello_retry);
        assert_eq!(f.chain, vec![cert]);
        assert_eq!(f.dh_bits, Some(1024));
    }

    #[test]
    fn tls13_and_hello_retry_requests_end_the_answer_at_the_hello() {
        // supported_versions 1.3 and a key_share for x25519.
        let mut ext = vec![
            0x00, 0x2b, 0, 2, 0x03, 0x04, 0x00, 0x33, 0, 6, 0x00, 0x1d, 0, 2, 9, 9,
        ];
        let mut r = AnswerReader::new();
        let Some(Answer::Hello(f)) =
            r.feed(&record(22, &server_hello(0x0303, 0x1302, [5; 32], &ext)))
        else {
            panic!()
        };
        assert_eq!(
            (f.version, f.suite, f.group, f.hello_retry),
            (TLS13, 0x1302, Some(0x1d), false)
        );
        // A HelloRetryRequest naming secp384r1.
        ext.truncate(6);
        ext.extend([0x00, 0x33, 0, 2, 0x00, 0x18]);
        let mut r = AnswerReader::new();
        let Some(Answer::Hello(f)) =
            r.feed(&record(22, &server_hello(0x0303, 0x1301, HRR_RANDOM, &ext)))
        else {
            panic!()
        };
        assert!(f.hello_retry);
        assert_eq!(f.group, Some(0x18));
    }

    #[test]
    fn eof_silence_and_non_tls_are_told_apart() {
        let mut r = AnswerReader::new();
        assert_eq!(r.feed(&[22, 3]), None);
        assert_eq!(r.finish(false), Answer::Closed);
        assert_eq!(AnswerReader::new().finish(true), Answer::Silent);
        let mut r = AnswerReader::new();
        assert!(matches!(r.feed(b"<stream:error>"), Some(Answer::NotTls(_))));
        // A record that claims more than MAX_FLIGHT never grows the buffer past it.
        let mut r = AnswerReader::new();
        let mut big = None;
        for _ in 0..(MAX_FLIGHT / 16_000 + 2) {
            big = big.or(r.feed(&record(22, &[0u8; 16_000])));
        }
        assert!(matches!(big, Some(Answer::NotTls(_))), "{big:?}");
    }
}
