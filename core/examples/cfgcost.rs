#![allow(missing_docs, clippy::unwrap_used)]
use std::sync::Arc;
use std::time::Instant;
fn main() {
    let p = Arc::new(rustls::crypto::ring::default_provider());
    let jid = xmpptls::Jid::parse("a@b").unwrap();
    let id = xmpptls::Identity::self_signed(&jid).unwrap();
    let n = 20000;
    let t = Instant::now();
    for _ in 0..n {
        let c = rustls::ServerConfig::builder_with_provider(p.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(id.chain().to_vec(), id.key().clone_key())
            .unwrap();
        std::hint::black_box(Arc::new(c));
    }
    println!(
        "ServerConfig build incl. key load: {:.2} µs",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let key = p
        .key_provider
        .load_private_key(id.key().clone_key())
        .unwrap();
    let ck = Arc::new(rustls::sign::CertifiedKey::new(id.chain().to_vec(), key));
    #[derive(Debug)]
    struct R(Arc<rustls::sign::CertifiedKey>);
    impl rustls::server::ResolvesServerCert for R {
        fn resolve(
            &self,
            _: rustls::server::ClientHello<'_>,
        ) -> Option<Arc<rustls::sign::CertifiedKey>> {
            Some(self.0.clone())
        }
    }
    let r = Arc::new(R(ck));
    let t = Instant::now();
    for _ in 0..n {
        let c = rustls::ServerConfig::builder_with_provider(p.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(r.clone());
        std::hint::black_box(Arc::new(c));
    }
    println!(
        "ServerConfig build, key preloaded: {:.2} µs",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
