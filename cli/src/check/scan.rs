//! Runs the observatory's scan over the network: one fresh connection per
//! probe (after STARTTLS unless direct TLS), the ClientHello written, the
//! answer read until it says enough, the connection dropped.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use xmpptls::identity::Service;
use xmpptls_observatory::{Answer, AnswerReader, Probe, Profile, Scan, ScanLimits};

use super::net::{connect_to, read_some, starttls, Deadline, StartTls};

/// Where and how to scan.
pub struct ScanTarget<'a> {
    /// Host name or address.
    pub host: &'a str,
    /// Port.
    pub port: u16,
    /// The XMPP domain (stream `to`, SNI).
    pub domain: &'a str,
    /// c2s or s2s.
    pub service: Service,
    /// TLS from the first octet (XEP-0368) instead of STARTTLS.
    pub direct_tls: bool,
}

/// Scans `t` until the scan ends or `deadline` passes; `progress` hears
/// the number of probes sent so far.
pub fn run(t: &ScanTarget<'_>, deadline: &Deadline, mut progress: impl FnMut(usize)) -> Profile {
    let mut scan = Scan::new(Some(t.domain), ScanLimits::default());
    let mut n = 0u64;
    while let Some(probe) = scan.next_probe() {
        if deadline.passed() {
            scan.stop("the deadline passed before the scan ended".into());
            break;
        }
        n += 1;
        match probe_once(t, &probe, n, deadline) {
            Ok(answer) => scan.record(&answer),
            Err(e) => {
                scan.stop(if deadline.passed() {
                    "the deadline passed before the scan ended".into()
                } else {
                    format!("a probe connection failed: {e}")
                });
                break;
            }
        }
        progress(scan.profile().probes);
    }
    scan.into_profile()
}

/// 32 octets that differ per probe (a ClientHello random needs no secrecy
/// here: no session is ever completed).
fn random(n: u64) -> [u8; 32] {
    let mut x = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        // splitmix64
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_be_bytes());
    }
    out
}

/// One probe on a fresh connection. Err only when the probe could not be
/// made (no connection, STARTTLS refused): the scan stops then.
fn probe_once(
    t: &ScanTarget<'_>,
    probe: &Probe,
    n: u64,
    deadline: &Deadline,
) -> Result<Answer, String> {
    let mut sock = connect_to(t.host, t.port, deadline)?;
    if !t.direct_tls {
        match starttls(&mut sock, t.domain, t.service, deadline)? {
            StartTls::Proceed(_) => {}
            StartTls::NotOffered(_) => return Err("STARTTLS is not offered".into()),
            StartTls::Refused(why) => return Err(why),
        }
    }
    sock.write_all(&probe.client_hello(&random(n)))
        .map_err(|e| e.to_string())?;
    let mut reader = AnswerReader::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match read_some(&mut sock, &mut buf, deadline) {
            Ok(0) => return Ok(reader.finish(false)),
            Ok(k) => {
                if let Some(a) = reader.feed(&buf[..k]) {
                    return Ok(a);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(reader.finish(true))
            }
            // A reset is how many servers refuse a version.
            Err(_) => return Ok(reader.finish(false)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn randoms_differ_per_probe() {
        assert_ne!(random(1), random(2));
    }
}
