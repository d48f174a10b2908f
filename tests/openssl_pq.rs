//! Post-quantum interop with an independent implementation: OpenSSL 3.5.9
//! (Debian trixie, in the chroot scripts/setup.sh keeps under
//! `.tools/swift-root`) against the rustls client and server of the
//! `CryptoProvider` our tunnels use, over TCP on 127.0.0.1. OpenSSL's own
//! output must name the hybrid (`Peer Temp Key: X25519MLKEM768`), rustls
//! must report it, and data must flow both ways. Negatives: a peer
//! restricted to X25519 is served classically, or refused under
//! `post-quantum-required`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{
    ClientConfig, ClientConnection, NamedGroup, ServerConfig, ServerConnection, StreamOwned,
};
use rustls_pki_types::ServerName;
use xmpptls::provider::crypto_provider;
use xmpptls::{Identity, KeyExchange};
use xmpptls_integration::*;

/// The trixie chroot with OpenSSL 3.5 (scripts/setup.sh installs it).
fn chroot() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/swift-root");
    assert!(
        root.join("usr/bin/openssl").exists(),
        "no OpenSSL 3.5 in {}: run scripts/setup.sh",
        root.display()
    );
    root
}

/// `openssl ARGS` in the chroot, with stdin, stdout and stderr piped.
fn openssl(args: &[&str]) -> Child {
    Command::new("chroot")
        .arg(chroot())
        .arg("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chroot openssl")
}

/// Everything a finished (or killed) OpenSSL printed.
fn output(mut child: Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A server certificate and key, written where the chroot's OpenSSL reads
/// them (`/tmp/<name>.pem` inside it).
fn server_files(name: &str) -> (Identity, String, String) {
    let id = Identity::self_signed(&jid("openssl.test")).unwrap();
    let (chain, key) = id.to_pem();
    let tmp = chroot().join("tmp");
    // Unique per call: the tests run in parallel, and each removes its
    // files once its s_server has read them.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let stem = format!("/tmp/xmpptls-{name}-{}-{n}", std::process::id());
    let (cert, keyf) = (format!("{stem}-cert.pem"), format!("{stem}-key.pem"));
    std::fs::write(tmp.join(cert.trim_start_matches("/tmp/")), chain).unwrap();
    std::fs::write(tmp.join(keyf.trim_start_matches("/tmp/")), key).unwrap();
    (id, cert, keyf)
}

/// Held while an OpenSSL peer runs. `free_port` releases the port it
/// found before s_server binds it, so two tests running at once could be
/// given the same one, and a client then reached the other test's server
/// (seen once: s_server found its key removed by the test whose client had
/// connected to the wrong server).
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn connect(port: u16) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => {
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                return s;
            }
            Err(e) if Instant::now() > deadline => panic!("openssl s_server: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn client_config(kx: KeyExchange) -> Arc<ClientConfig> {
    let provider = Arc::new(crypto_provider(kx));
    let any = Arc::new(AnyCert(crypto_provider(kx)));
    Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(any)
            .with_no_client_auth(),
    )
}

/// Our rustls client against `openssl s_server -groups GROUPS`: the group
/// rustls negotiated and what OpenSSL printed, or the handshake's error.
fn our_client(kx: KeyExchange, groups: &str) -> Result<(NamedGroup, String), (String, String)> {
    let _alone = one_at_a_time();
    let (_, cert, key) = server_files("server");
    let port = free_port();
    let accept = format!("127.0.0.1:{port}");
    let mut server = openssl(&[
        "s_server", "-accept", &accept, "-cert", &cert, "-key", &key, "-groups", groups, "-brief",
        "-naccept", "1",
    ]);
    let tcp = connect(port);
    // s_server has read its files once it accepts.
    for f in [&cert, &key] {
        let _ = std::fs::remove_file(chroot().join(f.trim_start_matches('/')));
    }
    let conn = ClientConnection::new(
        client_config(kx),
        ServerName::try_from("openssl.test").unwrap(),
    )
    .unwrap();
    let mut tls = StreamOwned::new(conn, tcp);
    if let Err(e) = tls
        .write_all(b"ping from rustls\n")
        .and_then(|_| tls.flush())
    {
        return Err((e.to_string(), output(server)));
    }
    // The handshake completes on the first read or write that needs it.
    while tls.conn.is_handshaking() {
        if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
            return Err((e.to_string(), output(server)));
        }
    }
    let group = tls.conn.negotiated_key_exchange_group().unwrap().name();
    let mut stdin = server.stdin.take().unwrap();
    stdin.write_all(b"pong from openssl\n").unwrap();
    stdin.flush().unwrap();
    let mut line = String::new();
    BufReader::new(&mut tls).read_line(&mut line).unwrap();
    assert_eq!(line, "pong from openssl\n");
    drop(stdin);
    tls.conn.send_close_notify();
    let _ = tls.flush();
    drop(tls);
    Ok((group, output(server)))
}

/// `openssl s_client -groups GROUPS` against our rustls server: the group
/// rustls negotiated and what OpenSSL printed, or the handshake's error.
fn our_server(kx: KeyExchange, groups: &str) -> Result<(NamedGroup, String), (String, String)> {
    let _alone = one_at_a_time();
    let id = Identity::self_signed(&jid("openssl.test")).unwrap();
    let config = Arc::new(
        ServerConfig::builder_with_provider(Arc::new(crypto_provider(kx)))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(id.chain().to_vec(), id.key().clone_key())
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let target = format!("127.0.0.1:{port}");
    let mut client = openssl(&[
        "s_client", "-connect", &target, "-groups", groups, "-brief", "-ign_eof",
    ]);
    let mut stdin = client.stdin.take().unwrap();
    stdin.write_all(b"ping from openssl\n").unwrap();
    stdin.flush().unwrap();
    let (tcp, _) = listener.accept().unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
    let mut line = String::new();
    if let Err(e) = BufReader::new(&mut tls).read_line(&mut line) {
        drop(stdin);
        return Err((e.to_string(), output(client)));
    }
    assert_eq!(line, "ping from openssl\n");
    let group = tls.conn.negotiated_key_exchange_group().unwrap().name();
    tls.write_all(b"pong from rustls\n").unwrap();
    tls.conn.send_close_notify();
    tls.flush().unwrap();
    let mut rest = Vec::new();
    let _ = tls.sock.read_to_end(&mut rest);
    drop(stdin);
    Ok((group, output(client)))
}

/// The group OpenSSL says it negotiated (`-brief`): `Negotiated TLS1.3
/// group: NAME` for a KEM group as client, `Peer Temp Key: NAME[, BITS]`
/// otherwise.
fn openssl_group(out: &str) -> &str {
    out.lines()
        .find_map(|l| {
            l.strip_prefix("Peer Temp Key: ")
                .or_else(|| l.strip_prefix("Negotiated TLS1.3 group: "))
        })
        .map(|g| g.split(',').next().unwrap_or(g))
        .unwrap_or_else(|| panic!("no group in OpenSSL's output:\n{out}"))
}

#[test]
fn our_client_negotiates_the_hybrid_with_openssl() {
    let (group, out) = our_client(KeyExchange::PostQuantum, "X25519MLKEM768").unwrap();
    assert_eq!(group, NamedGroup::X25519MLKEM768);
    assert_eq!(openssl_group(&out), "X25519MLKEM768", "{out}");
    assert!(out.contains("ping from rustls"), "{out}");
    // OpenSSL's default groups put the hybrid first too.
    let (group, out) =
        our_client(KeyExchange::PostQuantumRequired, "X25519MLKEM768:X25519").unwrap();
    assert_eq!(group, NamedGroup::X25519MLKEM768);
    assert_eq!(openssl_group(&out), "X25519MLKEM768", "{out}");
}

#[test]
fn our_server_negotiates_the_hybrid_with_openssl() {
    let (group, out) = our_server(KeyExchange::PostQuantum, "X25519MLKEM768").unwrap();
    assert_eq!(group, NamedGroup::X25519MLKEM768);
    assert_eq!(openssl_group(&out), "X25519MLKEM768", "{out}");
    assert!(out.contains("pong from rustls"), "{out}");
    let (group, _) = our_server(KeyExchange::PostQuantumRequired, "X25519MLKEM768:X25519").unwrap();
    assert_eq!(group, NamedGroup::X25519MLKEM768);
}

/// An OpenSSL restricted to X25519 is served classically by the default
/// and refused by `post-quantum-required`, in both roles.
#[test]
fn a_classical_openssl_is_served_classically_or_refused() {
    let (group, out) = our_client(KeyExchange::PostQuantum, "X25519").unwrap();
    assert_eq!(group, NamedGroup::X25519);
    assert_eq!(openssl_group(&out), "X25519", "{out}");
    let (group, out) = our_server(KeyExchange::PostQuantum, "X25519").unwrap();
    assert_eq!(group, NamedGroup::X25519);
    assert_eq!(openssl_group(&out), "X25519", "{out}");

    let (error, out) = our_client(KeyExchange::PostQuantumRequired, "X25519").unwrap_err();
    assert!(
        error.contains("HandshakeFailure") || error.contains("handshake"),
        "{error}\n{out}"
    );
    let (_, out) = our_server(KeyExchange::PostQuantumRequired, "X25519").unwrap_err();
    assert!(
        !out.contains("Peer Temp Key") && !out.contains("Negotiated TLS1.3 group"),
        "{out}"
    );
}
