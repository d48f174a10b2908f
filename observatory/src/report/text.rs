//! A check for people: the connection report, the stream, what the scan
//! found, POSH, DANE and the grade.

use super::TargetReport;
use crate::{group_name, version_name};

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "-",
    }
}

/// The check for people.
pub fn target_text(o: &TargetReport) -> String {
    let mut out = o.report.to_text();
    if let Some(f) = &o.features {
        out.push_str(&format!(
            "  STARTTLS        {}{}\n",
            if f.starttls { "offered" } else { "NOT offered" },
            if f.required {
                ", required"
            } else {
                ", NOT required"
            }
        ));
        if !f.mechanisms.is_empty() {
            out.push_str(&format!("  SASL before TLS {}\n", f.mechanisms.join(" ")));
        }
    }
    if let Some(f) = &o.features_tls {
        out.push_str(&format!(
            "  SASL after TLS  {}\n",
            if f.mechanisms.is_empty() {
                "-".to_owned()
            } else {
                f.mechanisms.join(" ")
            }
        ));
        if !f.channel_bindings.is_empty() {
            out.push_str(&format!(
                "  Channel binding {}\n",
                f.channel_bindings.join(" ")
            ));
        }
    }
    if o.features.iter().chain(&o.features_tls).any(|f| f.dialback) {
        out.push_str("  Dialback        offered\n");
    }
    if let Some(p) = &o.profile {
        out.push_str(&format!(
            "What {} accepts ({} probes):\n",
            o.report.peer, p.probes
        ));
        for v in &p.versions {
            out.push_str(&format!(
                "  {:<8} {} suites{}\n",
                version_name(v.version),
                v.suites.len(),
                match v.server_order {
                    Some(true) => ", server's order",
                    Some(false) => ", client's order",
                    None => "",
                }
            ));
            for &s in &v.suites {
                let (name, class) = xmpptls::policy::suites::by_code(s).map_or_else(
                    || (format!("0x{s:04x}"), "unknown".to_owned()),
                    |x| {
                        (
                            x.name.to_owned(),
                            xmpptls::policy::suites::classify(&x)
                                .class
                                .as_str()
                                .to_owned(),
                        )
                    },
                );
                out.push_str(&format!("             {name} ({class})\n"));
            }
        }
        for (v, how) in &p.refused {
            out.push_str(&format!("  {:<8} refused ({how})\n", version_name(*v)));
        }
        let groups = |g: &[u16]| {
            g.iter()
                .map(|&x| group_name(x))
                .collect::<Vec<_>>()
                .join(" ")
        };
        if !p.groups_tls13.is_empty() {
            out.push_str(&format!("  Groups 1.3      {}\n", groups(&p.groups_tls13)));
        }
        if !p.groups_tls12.is_empty() {
            out.push_str(&format!("  ECDHE curves    {}\n", groups(&p.groups_tls12)));
        }
        if !p.versions.is_empty() {
            let pq = p.post_quantum_groups();
            out.push_str(&format!(
                "  Post-quantum key exchange: {}\n",
                if pq.is_empty() {
                    "no".to_owned()
                } else {
                    format!("yes ({})", groups(&pq))
                }
            ));
        }
        if !p.dh_bits.is_empty() {
            let d: Vec<String> = p.dh_bits.iter().map(u32::to_string).collect();
            out.push_str(&format!("  DH bits         {}\n", d.join(" ")));
        }
        out.push_str(&format!(
            "  Secure renegotiation {}  Fallback SCSV {}  Compression {}\n",
            yes_no(p.secure_renegotiation),
            yes_no(p.fallback_scsv),
            match p.compression {
                Some(true) => "YES",
                Some(false) => "no",
                None => "-",
            }
        ));
        if let Some(why) = &p.incomplete {
            out.push_str(&format!("  Scan incomplete: {why}\n"));
        }
    }
    if let Some(p) = &o.posh {
        out.push_str(&format!("  POSH            {} ({})\n", p.outcome, p.url));
    }
    if let Some(d) = &o.dane {
        out.push_str(&format!(
            "  DANE            {} ({} TLSA record(s), {} DNSSEC-secure)\n",
            d.outcome, d.records, d.secure
        ));
    }
    let g = &o.grade;
    out.push_str(&format!(
        "Grade {}  (score {}: protocol {}, key exchange {}, cipher {})\n",
        g.grade, g.score.total, g.score.protocol, g.score.key_exchange, g.score.cipher
    ));
    for (cap, why) in &g.caps {
        out.push_str(&format!("  capped at {cap}: {why}\n"));
    }
    out.push_str(&format!("Checked in {:.1} s\n", o.elapsed.as_secs_f64()));
    out
}
