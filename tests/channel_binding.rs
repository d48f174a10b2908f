//! Channel binding values on a real TLS connection (rustls client and server
//! in memory): both ends must compute the same value, and it must be unique
//! to the connection.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use rustls_pki_types::ServerName;
use xmpptls::channel_binding::{tls_exporter, tls_server_end_point, TLS_EXPORTER_LEN};
use xmpptls::{Identity, Jid};
use xmpptls_integration::AnyCert;

fn connect(server_id: &Identity, tls12: bool) -> (ClientConnection, ServerConnection) {
    let provider = || rustls::crypto::ring::default_provider();
    let versions: &[&rustls::SupportedProtocolVersion] = if tls12 {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13]
    };
    let client = ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_protocol_versions(versions)
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider())))
        .with_no_client_auth();
    let server = ServerConfig::builder_with_provider(Arc::new(provider()))
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(server_id.chain().to_vec(), server_id.key().clone_key())
        .unwrap();
    let mut c = ClientConnection::new(
        Arc::new(client),
        ServerName::try_from("example.net").unwrap(),
    )
    .unwrap();
    let mut s = ServerConnection::new(Arc::new(server)).unwrap();
    let mut buf = Vec::new();
    while c.is_handshaking() || s.is_handshaking() {
        buf.clear();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        s.read_tls(&mut &buf[..]).unwrap();
        s.process_new_packets().unwrap();
        buf.clear();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        c.read_tls(&mut &buf[..]).unwrap();
        c.process_new_packets().unwrap();
    }
    (c, s)
}

#[test]
fn tls_exporter_agrees_on_both_ends_and_is_unique() {
    let id = Identity::self_signed(&Jid::parse("example.net").unwrap()).unwrap();
    for tls12 in [false, true] {
        let (c, s) = connect(&id, tls12);
        let (cv, sv) = (tls_exporter(&c).unwrap(), tls_exporter(&s).unwrap());
        assert_eq!(cv, sv, "tls12={tls12}");
        assert_eq!(cv.len(), TLS_EXPORTER_LEN);
        let (c2, _) = connect(&id, tls12);
        assert_ne!(
            tls_exporter(&c2).unwrap(),
            cv,
            "each connection has its own binding"
        );
    }
}

#[test]
fn tls_exporter_needs_a_finished_handshake() {
    let provider = rustls::crypto::ring::default_provider();
    let client = ClientConfig::builder_with_provider(Arc::new(provider.clone()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
        .with_no_client_auth();
    let c = ClientConnection::new(
        Arc::new(client),
        ServerName::try_from("example.net").unwrap(),
    )
    .unwrap();
    assert!(tls_exporter(&c).is_err());
}

#[test]
fn tls_server_end_point_matches_what_the_client_saw() {
    let id = Identity::self_signed(&Jid::parse("example.net").unwrap()).unwrap();
    let (c, _) = connect(&id, false);
    let seen = &c.peer_certificates().unwrap()[0];
    assert_eq!(
        tls_server_end_point(seen).unwrap(),
        tls_server_end_point(id.leaf()).unwrap()
    );
    assert_eq!(
        tls_server_end_point(seen).unwrap().len(),
        32,
        "ECDSA P-256 SHA-256 certificate"
    );
}
