//! Certificate reading on arbitrary bytes: the details a report shows, the
//! presented identifiers, the pin and tls-server-end-point (our DER reader,
//! our DER helpers, and the RFC 4514 name strings). No panic, and where the
//! details parse, their identifiers are the ones read on their own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpptls::channel_binding::tls_server_end_point;
use xmpptls::identity::{
    match_identity, spki_sha256, CertificateInfo, PresentedIds, ReferenceIdentity, Service,
};
use xmpptls::CertificateDer;

fuzz_target!(|data: &[u8]| {
    let cert = CertificateDer::from(data);
    let ids = PresentedIds::from_der(&cert);
    if let Ok(info) = CertificateInfo::from_der(&cert) {
        assert_eq!(ids.as_ref().ok(), Some(&info.ids));
        assert!(info.not_before_text.ends_with('Z') && info.not_after_text.ends_with('Z'));
    }
    if let Ok(ids) = ids {
        for name in ids.dns.iter().chain(&ids.xmpp_addr) {
            if let Ok(reference) = ReferenceIdentity::new(name, Service::XmppServer) {
                let _ = match_identity(&ids, &reference, true);
            }
        }
    }
    let _ = spki_sha256(&cert);
    let _ = tls_server_end_point(&cert);
});
