//! A check as one self-contained HTML page (no scripts, no external
//! files): per place the grade, a score chart, the certificate, the
//! versions-by-suites matrix coloured by class and the findings.

use xmpptls::policy::Finding;

use super::TargetReport;
use crate::{group_name, version_name};

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Findings as list items, each coloured by its severity.
pub(crate) fn findings_list(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "<li class='{}'><b>{}</b> {} <small>({})</small></li>",
                f.severity.as_str(),
                esc(f.code),
                esc(&f.message),
                esc(f.rfc)
            )
        })
        .collect()
}

/// The colour of a grade's badge.
fn grade_colour(grade: &str) -> &'static str {
    match grade {
        "A" => "#2e7d32",
        "B" => "#689f38",
        "C" => "#f9a825",
        "D" | "E" => "#ef6c00",
        _ => "#c62828",
    }
}

/// One self-contained HTML page (no scripts, no external files) around
/// `body`: the one place a document starts, so a page of several reports
/// is one document (issue 22 #11).
pub fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>xmpptls check: {title}</title><style>\
body{{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}}\
section{{border-top:2px solid #ccc;margin-top:2em}}\
.grade{{font-size:4em;font-weight:bold;color:#fff;display:inline-block;padding:0 .4em;border-radius:.2em}}\
table{{border-collapse:collapse}}td,th{{padding:.1em .6em;border-bottom:1px solid #ddd;text-align:left}}\
tr.forbidden{{background:#ffcdd2}}tr.not-recommended{{background:#fff3c4}}tr.preferred,tr.recommended{{background:#e8f5e9}}\
li.error{{color:#b71c1c}}li.warning{{color:#8a6d00}}pre{{background:#f5f5f5;padding:1em;overflow:auto}}\
</style></head><body>{body}</body></html>\n",
        title = esc(title),
    )
}

/// One check as an HTML section: the server (domain, host and port), the
/// grade, the score as a bar chart, the certificate, the versions-by-suites
/// matrix coloured by class, the findings and the text report. The badge's
/// colour is its own, so sections of different grades can share a page.
pub fn target_html(o: &TargetReport) -> String {
    let g = &o.grade;
    let colour = grade_colour(g.grade.as_str());
    let bar = |label: &str, value: u32, y: u32| {
        format!(
            "<text x='0' y='{ty}' font-size='13'>{label}</text><rect x='110' y='{y}' width='{w}' height='16' fill='{colour}'/><rect x='110' y='{y}' width='300' height='16' fill='none' stroke='#999'/><text x='420' y='{ty}' font-size='13'>{value}</text>",
            ty = y + 13,
            w = value * 3,
        )
    };
    let chart = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='460' height='96' role='img' aria-label='score'>{}{}{}{}</svg>",
        bar("Protocol", g.score.protocol, 0),
        bar("Key exchange", g.score.key_exchange, 24),
        bar("Cipher", g.score.cipher, 48),
        bar("Total", g.score.total, 72),
    );
    let mut rows = String::new();
    if let Some(p) = &o.profile {
        for v in &p.versions {
            for &s in &v.suites {
                let (name, class) = xmpptls::policy::suites::by_code(s).map_or_else(
                    || (format!("0x{s:04x}"), "unknown"),
                    |x| {
                        (
                            x.name.to_owned(),
                            xmpptls::policy::suites::classify(&x).class.as_str(),
                        )
                    },
                );
                rows.push_str(&format!(
                    "<tr class='{class}'><td>{}</td><td>{}</td><td>{class}</td></tr>",
                    version_name(v.version),
                    esc(&name)
                ));
            }
        }
        for (v, how) in &p.refused {
            rows.push_str(&format!(
                "<tr><td>{}</td><td>refused ({})</td><td></td></tr>",
                version_name(*v),
                esc(how)
            ));
        }
    }
    let findings = findings_list(&o.report.evaluation.findings);
    let caps: String = g
        .caps
        .iter()
        .map(|(c, why)| format!("<li>capped at {c}: {}</li>", esc(why)))
        .collect();
    let e = &o.endpoint;
    let certificate = o.report.certificate.as_ref().map_or_else(String::new, |c| {
        let names = c.ids.labelled();
        format!(
            "<h3>Certificate</h3><table><tr><th>subject</th><td>{}</td></tr><tr><th>issuer</th><td>{}</td></tr>\
<tr><th>key</th><td>{} {} bits</td></tr><tr><th>valid</th><td>{} to {}</td></tr><tr><th>names</th><td>{}</td></tr></table>",
            esc(&c.subject),
            esc(&c.issuer),
            esc(&c.key_type),
            c.key_bits,
            esc(&c.not_before_text),
            esc(&c.not_after_text),
            esc(&names.join(", ")),
        )
    });
    format!(
        "<section><h2>{peer}: {host}:{port}</h2><p>{how}, checked in {secs:.1} s</p>\
<p><span style='background:{colour}' class='grade'>{grade}</span> score {score}</p>{chart}<ul>{caps}</ul>{pq}{certificate}\
<h3>Accepted versions and suites</h3><table><tr><th>version</th><th>suite</th><th>class</th></tr>{rows}</table>\
<h3>Findings</h3><ul>{findings}</ul><h3>Report</h3><pre>{text}</pre></section>\n",
        peer = esc(&o.report.peer),
        host = esc(&e.host),
        port = e.port,
        how = esc(&format!(
            "{} ({})",
            if e.direct_tls { "direct TLS" } else { "STARTTLS" },
            e.source
        )),
        secs = o.elapsed.as_secs_f64(),
        pq = o.profile.as_ref().filter(|p| !p.versions.is_empty()).map_or_else(String::new, |p| {
            let pq = p.post_quantum_groups();
            if pq.is_empty() {
                "<p class='pq no'>Post-quantum key exchange: <b>no</b></p>".to_owned()
            } else {
                let names: Vec<String> = pq.iter().map(|&g| group_name(g)).collect();
                format!(
                    "<p class='pq yes'>Post-quantum key exchange: <b>yes</b> ({})</p>",
                    esc(&names.join(", "))
                )
            }
        }),
        grade = g.grade,
        score = g.score.total,
        text = esc(&super::text::target_text(o)),
    )
}
