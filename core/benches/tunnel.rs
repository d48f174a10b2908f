//! XTLS tunnel against raw rustls, measured in the same run with the same
//! suites, keys and mutual authentication: handshake cost, plaintext
//! throughput for 1 KiB and 16 KiB stanzas, and bytes held by an idle
//! established tunnel. Prints the ratios at the end.
//!
//! `cargo bench -p xmpptls --bench tunnel`

// A counting global allocator measures idle memory; it needs `unsafe impl`.
// The core itself denies unsafe code; this bench binary is not the core.
#![allow(
    unsafe_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, DistinguishedName, ServerConfig,
    ServerConnection, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use xmpptls::identity::cert_sha256;
use xmpptls::provider::crypto_provider;
use xmpptls::{Endpoint, EndpointConfig, Event, Identity, Jid, KeyExchange, TrustMode};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const ROMEO: &str = "romeo@montague.lit/orchard";
const JULIET: &str = "juliet@capulet.lit/balcony";

fn now() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(1_795_305_600))
}

// ---------- raw rustls, configured like a tunnel ----------

/// Accepts exactly one certificate (by SHA-256), as the tunnel's offer mode
/// does, and checks handshake signatures with the provider's algorithms.
#[derive(Debug)]
struct Pin(CryptoProvider, [u8; 32]);

impl Pin {
    fn ok(&self, c: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        if cert_sha256(c) == self.1 {
            Ok(())
        } else {
            Err(rustls::Error::General("pin".into()))
        }
    }
}

impl ServerCertVerifier for Pin {
    fn verify_server_cert(
        &self,
        c: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.ok(c).map(|()| ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl ClientCertVerifier for Pin {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        c: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.ok(c).map(|()| ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

struct Raw {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
}

/// Raw rustls with the tunnels' own provider and key exchange, so that
/// the ratios compare the tunnel with TLS alone, like with like.
fn raw_configs(romeo: &Identity, juliet: &Identity, kx: KeyExchange) -> Raw {
    let p = || crypto_provider(kx);
    let mut client = ClientConfig::builder_with_provider(Arc::new(p()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pin(p(), cert_sha256(juliet.leaf()))))
        .with_client_auth_cert(romeo.chain().to_vec(), romeo.key().clone_key())
        .unwrap();
    client.resumption = rustls::client::Resumption::disabled();
    let mut server = ServerConfig::builder_with_provider(Arc::new(p()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(Arc::new(Pin(p(), cert_sha256(romeo.leaf()))))
        .with_single_cert(juliet.chain().to_vec(), juliet.key().clone_key())
        .unwrap();
    server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    server.send_tls13_tickets = 0;
    Raw {
        client: Arc::new(client),
        server: Arc::new(server),
    }
}

fn transfer(from: &mut impl DerefConn, to: &mut impl DerefConn, buf: &mut Vec<u8>) -> bool {
    buf.clear();
    while from.conn().wants_write() {
        from.conn().write_tls(buf).unwrap();
    }
    if buf.is_empty() {
        return false;
    }
    let mut rest = &buf[..];
    while !rest.is_empty() {
        to.conn().read_tls(&mut rest).unwrap();
        to.conn().process_new_packets().unwrap();
    }
    true
}

trait DerefConn {
    fn conn(&mut self) -> &mut rustls::ConnectionCommon<Self::Data>;
    type Data;
}
impl DerefConn for ClientConnection {
    type Data = rustls::client::ClientConnectionData;
    fn conn(&mut self) -> &mut rustls::ConnectionCommon<Self::Data> {
        self
    }
}
impl DerefConn for ServerConnection {
    type Data = rustls::server::ServerConnectionData;
    fn conn(&mut self) -> &mut rustls::ConnectionCommon<Self::Data> {
        self
    }
}

fn raw_pair(raw: &Raw, buf: &mut Vec<u8>) -> (ClientConnection, ServerConnection) {
    let mut c = ClientConnection::new(
        raw.client.clone(),
        ServerName::try_from("capulet.lit").unwrap(),
    )
    .unwrap();
    let mut s = ServerConnection::new(raw.server.clone()).unwrap();
    while c.is_handshaking() || s.is_handshaking() {
        let a = transfer(&mut c, &mut s, buf);
        let b = transfer(&mut s, &mut c, buf);
        assert!(a || b, "raw handshake stalled");
    }
    (c, s)
}

fn raw_send(
    c: &mut ClientConnection,
    s: &mut ServerConnection,
    payload: &[u8],
    buf: &mut Vec<u8>,
    out: &mut [u8],
) {
    c.writer().write_all(payload).unwrap();
    transfer(c, s, buf);
    let mut got = 0;
    while got < payload.len() {
        got += s.reader().read(out).unwrap();
    }
}

// ---------- the XTLS tunnel ----------

fn endpoints(romeo: &Identity, juliet: &Identity) -> (Endpoint, Endpoint, Jid, Jid) {
    endpoints_with(romeo, juliet, KeyExchange::default())
}

fn endpoints_with(
    romeo: &Identity,
    juliet: &Identity,
    kx: KeyExchange,
) -> (Endpoint, Endpoint, Jid, Jid) {
    endpoints_tweaked(romeo, juliet, kx, None)
}

/// A change to an endpoint's configuration.
type Tweak = dyn Fn(&mut EndpointConfig);

/// Two endpoints, with `tweak` applied to both configurations.
fn endpoints_tweaked(
    romeo: &Identity,
    juliet: &Identity,
    kx: KeyExchange,
    tweak: Option<&Tweak>,
) -> (Endpoint, Endpoint, Jid, Jid) {
    let (rj, jj) = (Jid::parse(ROMEO).unwrap(), Jid::parse(JULIET).unwrap());
    let mk = |j: &Jid, id: &Identity| {
        let mut cfg = EndpointConfig::new(j.clone(), id.clone(), TrustMode::Offer);
        cfg.key_exchange = kx;
        cfg.limits.resumption_sessions = 0;
        if let Some(tweak) = tweak {
            tweak(&mut cfg);
        }
        Endpoint::new(cfg).unwrap()
    };
    (mk(&rj, romeo), mk(&jj, juliet), rj, jj)
}

/// Moves stanzas both ways until quiet; returns stanzas delivered to juliet.
fn pump(a: &mut Endpoint, b: &mut Endpoint) -> usize {
    let mut delivered = 0;
    loop {
        let mut moved = false;
        while let Some(s) = a.poll_transmit() {
            b.handle_incoming(s.as_bytes(), now()).unwrap();
            moved = true;
        }
        while let Some(s) = b.poll_transmit() {
            a.handle_incoming(s.as_bytes(), now()).unwrap();
            moved = true;
        }
        while let Some(ev) = b.poll_event() {
            if matches!(ev, Event::Stanza { .. }) {
                delivered += 1;
            }
        }
        while a.poll_event().is_some() {}
        if !moved {
            return delivered;
        }
    }
}

/// start/proceed and the full TLS handshake; both sides then drop the tunnel
/// without stanzas (as on an unavailable presence) for the next iteration.
fn xtls_handshake(r: &mut Endpoint, j: &mut Endpoint, jj: &Jid) {
    r.open(jj, now()).unwrap();
    pump(r, j);
    let rj = r.local_jid().clone();
    r.peer_unavailable(jj);
    j.peer_unavailable(&rj);
    while r.poll_event().is_some() {}
    while j.poll_event().is_some() {}
}

fn stanza(size: usize) -> Vec<u8> {
    let head = "<message type='chat'><body>";
    let tail = "</body></message>";
    let mut s = String::from(head);
    s.push_str(&"x".repeat(size - head.len() - tail.len()));
    s.push_str(tail);
    s.into_bytes()
}

/// [`time`] for two loops compared in a ratio, taken in turns (a, b, a,
/// b, …, five each): a machine that slows down or speeds up during the
/// measurement moves both sides, not only the one measured later. Raw
/// rustls moved by a fifth between runs measured one after the other.
fn time_pair<A: FnMut(), B: FnMut()>(iters: u32, mut a: A, mut b: B) -> (Duration, Duration) {
    let run = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        t.elapsed()
    };
    let (mut best_a, mut best_b) = (Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        best_a = best_a.min(run(&mut a));
        best_b = best_b.min(run(&mut b));
    }
    (best_a, best_b)
}

fn time<F: FnMut()>(iters: u32, mut f: F) -> Duration {
    // Best of five runs: the least disturbed by the other core's work.
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let romeo = Identity::self_signed(&Jid::parse(ROMEO).unwrap()).unwrap();
    let juliet = Identity::self_signed(&Jid::parse(JULIET).unwrap()).unwrap();
    let raw = raw_configs(&romeo, &juliet, KeyExchange::default());
    let mut buf = Vec::with_capacity(1 << 16);
    let mut out = vec![0u8; 1 << 16];

    // XMPPTLS_BENCH_PROFILE=<bytes> sends stanzas of that size through a
    // tunnel for ten seconds and exits: a steady loop for `perf record`.
    if let Some(size) = std::env::var("XMPPTLS_BENCH_PROFILE")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
    {
        profile_loop(&romeo, &juliet, size);
        return;
    }
    // XMPPTLS_BENCH_RATIOS_ONLY=1 skips criterion and prints the ratios only.
    let mut c = Criterion::default().configure_from_args();
    if std::env::var_os("XMPPTLS_BENCH_RATIOS_ONLY").is_none() {
        let mut g = c.benchmark_group("handshake");
        g.bench_function("raw_rustls", |b| {
            b.iter(|| black_box(raw_pair(&raw, &mut buf)))
        });
        let (mut r, mut j, _, jj) = endpoints(&romeo, &juliet);
        g.bench_function("xtls_tunnel", |b| {
            b.iter(|| xtls_handshake(&mut r, &mut j, &jj))
        });
        g.finish();
        criterion_throughput(&mut c, &raw, &romeo, &juliet, &mut buf, &mut out);
    }
    ratios(&raw, &romeo, &juliet, &mut buf, &mut out);
}

/// Sends `size`-byte stanzas from romeo to juliet for ten seconds.
fn profile_loop(romeo: &Identity, juliet: &Identity, size: usize) {
    let payload = stanza(size);
    let (mut r, mut j, _, jj) = endpoints(romeo, juliet);
    r.open(&jj, now()).unwrap();
    pump(&mut r, &mut j);
    let start = Instant::now();
    let mut sent = 0u64;
    while start.elapsed() < Duration::from_secs(10) {
        r.send(&jj, &payload, now()).unwrap();
        pump(&mut r, &mut j);
        sent += 1;
    }
    println!("{sent} stanzas of {size} B in ten seconds");
}

fn criterion_throughput(
    c: &mut Criterion,
    raw: &Raw,
    romeo: &Identity,
    juliet: &Identity,
    buf: &mut Vec<u8>,
    out: &mut [u8],
) {
    for size in [1024usize, 16 * 1024] {
        let payload = stanza(size);
        let mut g = c.benchmark_group(format!("throughput_{}k", size / 1024));
        g.throughput(Throughput::Bytes(size as u64));
        let (mut cc, mut sc) = raw_pair(raw, buf);
        g.bench_function("raw_rustls", |b| {
            b.iter(|| raw_send(&mut cc, &mut sc, &payload, buf, out))
        });
        let (mut r, mut j, _, jj) = endpoints(romeo, juliet);
        r.open(&jj, now()).unwrap();
        pump(&mut r, &mut j);
        g.bench_function("xtls_tunnel", |b| {
            b.iter(|| {
                r.send(&jj, &payload, now()).unwrap();
                assert_eq!(pump(&mut r, &mut j), 1);
            })
        });
        g.finish();
    }
    c.final_summary();
}

/// Ratios, measured again here in one process so they compare like with like.
fn ratios(raw: &Raw, romeo: &Identity, juliet: &Identity, buf: &mut Vec<u8>, out: &mut [u8]) {
    println!("\n== ratios (XTLS tunnel / raw rustls, same run) ==");
    let (mut r, mut j, _, jj) = endpoints(romeo, juliet);
    let (raw_hs, xtls_hs) = time_pair(
        200,
        || {
            black_box(raw_pair(raw, buf));
        },
        || xtls_handshake(&mut r, &mut j, &jj),
    );
    println!(
        "handshake: raw {:.0} µs, xtls {:.0} µs, ratio {:.3} (target <= 1.15)",
        raw_hs.as_secs_f64() * 1e6 / 200.0,
        xtls_hs.as_secs_f64() * 1e6 / 200.0,
        xtls_hs.as_secs_f64() / raw_hs.as_secs_f64()
    );
    // 16 KiB twice: with the default data IQs (one 6 KiB record each,
    // chosen for pipelining through a server: README, "Through a real
    // Prosody") and with IQs of two whole 16 KiB records, so that the cost
    // of that choice shows.
    let one_record = |cfg: &mut EndpointConfig| cfg.limits.max_data_bytes = 32_826;
    let cases: [(usize, Option<&Tweak>, &str); 3] = [
        (1024, None, " (target >= 0.2)"),
        (16 * 1024, None, " (target >= 0.45)"),
        (16 * 1024, Some(&one_record), ", data IQs of 16 KiB records"),
    ];
    for (size, tweak, note) in cases {
        let payload = stanza(size);
        let n = (64 * 1024 * 1024 / size) as u32;
        let (mut cc, mut sc) = raw_pair(raw, buf);
        let (mut r, mut j, _, jj) = endpoints_tweaked(romeo, juliet, KeyExchange::default(), tweak);
        r.open(&jj, now()).unwrap();
        pump(&mut r, &mut j);
        let (raw_t, x_t) = time_pair(
            n,
            || raw_send(&mut cc, &mut sc, &payload, buf, out),
            || {
                r.send(&jj, &payload, now()).unwrap();
                pump(&mut r, &mut j);
            },
        );
        let mb = |t: Duration| (size as f64 * f64::from(n)) / t.as_secs_f64() / 1e6;
        println!(
            "throughput {:>2} KiB stanzas: raw {:.0} MB/s, xtls {:.0} MB/s, ratio {:.3}{note}",
            size / 1024,
            mb(raw_t),
            mb(x_t),
            mb(x_t) / mb(raw_t),
        );
    }
    // The floor under any XTLS implementation: every TLS record is base64-
    // encoded and decoded, and both ends check every stanza as UTF-8 and
    // well-formed XML (the sender what the application hands over, the
    // receiver what it decrypted). Measured here with the crates the tunnel
    // uses, against raw rustls moving the same 16 KiB stanza.
    let record = vec![0x5au8; 16 * 1024 + 22];
    let payload = stanza(16 * 1024);
    let limits = xmpptls::xml::XmlLimits::default();
    let n = 4096u32;
    let b64 = time(n, || {
        let text = base64_simd::STANDARD.encode_to_string(black_box(&record));
        black_box(
            base64_simd::STANDARD
                .decode_to_vec(text.as_bytes())
                .unwrap(),
        );
    });
    let check = time(n, || {
        let text = simdutf8::basic::from_utf8(black_box(&payload)).unwrap();
        black_box(xmpptls::xml::check(text, &limits).unwrap());
    });
    let (mut cc, mut sc) = raw_pair(raw, buf);
    let raw16 = time(n, || raw_send(&mut cc, &mut sc, &payload, buf, out));
    let us = |t: Duration| t.as_secs_f64() * 1e6 / f64::from(n);
    let (b64_us, check_us, raw_us) = (us(b64), us(check), us(raw16));
    println!(
        "floor for 16 KiB stanzas: raw rustls {raw_us:.1} µs; base64 encode + decode {b64_us:.1} µs; UTF-8 + XML check {check_us:.1} µs, twice: best possible ratio {:.3} (base64 only: {:.3})",
        raw_us / (raw_us + b64_us + 2.0 * check_us),
        raw_us / (raw_us + b64_us)
    );
    post_quantum_costs(romeo, juliet, buf);
    // Idle memory: what an established tunnel holds, both sides together,
    // against an established raw client+server pair. The endpoints first
    // open and drop one tunnel, so capacity their queues and maps keep for
    // all tunnels is not billed to this one; the first, cold tunnel is
    // printed as well.
    let before = LIVE.load(Ordering::Relaxed);
    let pair = raw_pair(raw, buf);
    let raw_bytes = LIVE.load(Ordering::Relaxed) - before;
    let (mut r, mut j, rj, jj) = endpoints(romeo, juliet);
    let mut established = || {
        let before = LIVE.load(Ordering::Relaxed);
        r.open(&jj, now()).unwrap();
        pump(&mut r, &mut j);
        let held = LIVE.load(Ordering::Relaxed) - before;
        r.peer_unavailable(&jj);
        j.peer_unavailable(&rj);
        while r.poll_event().is_some() {}
        while j.poll_event().is_some() {}
        held
    };
    let cold = established();
    let xtls_bytes = established();
    println!(
        "idle established tunnel: raw pair {raw_bytes} B, xtls {xtls_bytes} B, ratio {:.3} (target <= 1.3); first tunnel of fresh endpoints {cold} B",
        xtls_bytes as f64 / raw_bytes as f64
    );
    drop(pair);
}

/// What the hybrid key exchange (X25519MLKEM768, the default) costs against
/// X25519 alone: handshake time of a tunnel and of raw rustls, and the
/// octets of the stanzas that open a tunnel (start, proceed, data IQs and
/// their answers, both directions).
fn post_quantum_costs(romeo: &Identity, juliet: &Identity, buf: &mut Vec<u8>) {
    let tunnel = |kx| {
        let (mut r, mut j, _, jj) = endpoints_with(romeo, juliet, kx);
        time(200, || xtls_handshake(&mut r, &mut j, &jj)).as_secs_f64() * 1e6 / 200.0
    };
    let mut raw = |kx| {
        let configs = raw_configs(romeo, juliet, kx);
        time(200, || {
            black_box(raw_pair(&configs, buf));
        })
        .as_secs_f64()
            * 1e6
            / 200.0
    };
    let octets = |kx| {
        let (mut r, mut j, _, jj) = endpoints_with(romeo, juliet, kx);
        r.open(&jj, now()).unwrap();
        let mut total = 0;
        loop {
            let mut moved = false;
            while let Some(s) = r.poll_transmit() {
                total += s.len();
                j.handle_incoming(s.as_bytes(), now()).unwrap();
                moved = true;
            }
            while let Some(s) = j.poll_transmit() {
                total += s.len();
                r.handle_incoming(s.as_bytes(), now()).unwrap();
                moved = true;
            }
            if !moved {
                return total;
            }
        }
    };
    let (pq, classical) = (KeyExchange::PostQuantum, KeyExchange::Classical);
    let (t_pq, t_cl) = (tunnel(pq), tunnel(classical));
    let (r_pq, r_cl) = (raw(pq), raw(classical));
    let (o_pq, o_cl) = (octets(pq), octets(classical));
    println!(
        "post-quantum handshake: tunnel X25519MLKEM768 {t_pq:.0} µs, X25519 {t_cl:.0} µs, ratio {:.3}; raw rustls {r_pq:.0} µs vs {r_cl:.0} µs, ratio {:.3}",
        t_pq / t_cl,
        r_pq / r_cl
    );
    println!(
        "octets to open a tunnel: X25519MLKEM768 {o_pq} B, X25519 {o_cl} B, ratio {:.3}",
        o_pq as f64 / o_cl as f64
    );
}
