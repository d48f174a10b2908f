//! `xmpptls check --batch FILE`: many servers at once, the IM Observatory's
//! survey view. FILE has one target per line (`DOMAIN`, `HOST:PORT`, the
//! URI forms), optionally followed by the XMPP domain; `#` starts a
//! comment. `--jobs` checks run at a time, each with the full `--timeout`;
//! a progress bar on standard error when it is a terminal. Output: one JSON
//! object per target and line (`--json`), or a table; `--html` one page
//! with the table and every report.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::json;
use xmpptls::policy::Verdict;

use xmpptls_observatory::report::{esc, html_page, target_html, target_json, TargetReport};

use super::{run, CheckArgs};
use crate::certs::Usage;

/// Most targets one batch file may list.
pub const MAX_TARGETS: usize = 100_000;

/// One line of the batch file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The target as given.
    pub target: String,
    /// The XMPP domain, when given after the target.
    pub domain: Option<String>,
}

/// Reads the targets of a batch file's text.
pub fn parse(text: &str) -> Result<Vec<Line>, String> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let target = words.next().unwrap_or("").to_owned();
        let domain = words.next().map(str::to_owned);
        if words.next().is_some() {
            return Err(format!(
                "line {}: expected TARGET [DOMAIN], got {line:?}",
                n + 1
            ));
        }
        out.push(Line { target, domain });
        if out.len() > MAX_TARGETS {
            return Err(format!("more than {MAX_TARGETS} targets"));
        }
    }
    Ok(out)
}

/// The result of one line.
struct Done {
    line: Line,
    result: Result<(String, Vec<TargetReport>), String>,
}

fn bar(done: usize, total: usize, last: &str) {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    eprint!(
        "\r\x1b[K[{}{}] {done}/{total} {last}",
        "#".repeat(filled),
        "-".repeat(width - filled)
    );
    let _ = std::io::stderr().flush();
}

/// Runs every line of `file` with `jobs` checks at a time; prints as it
/// goes (JSON) or a table at the end. Ok(true) unless some check failed.
pub fn batch(a: &CheckArgs<'_>, file: &str, jobs: usize) -> Result<bool, Usage> {
    let text = std::fs::read_to_string(file).map_err(|e| Usage(format!("{file}: {e}")))?;
    let lines = parse(&text).map_err(|e| Usage(format!("{file}: {e}")))?;
    let total = lines.len();
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Done>>> = Mutex::new((0..total).map(|_| None).collect());
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let out = Mutex::new(std::io::stdout());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, 64).min(total.max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(line) = lines.get(i) else { break };
                let args = CheckArgs {
                    target: &line.target,
                    domain: line.domain.as_deref().or(a.domain),
                    html: None,
                    quiet: true,
                    // One line per target: the WebSocket endpoint is a
                    // domain's, checked by `check DOMAIN`.
                    websocket: Some(false),
                    ..a.clone()
                };
                let result = run(&args).map_err(|Usage(e)| e);
                if a.json {
                    let v = json_line(line, &result);
                    let mut o = out
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let _ = writeln!(o, "{v}");
                }
                let n = finished.fetch_add(1, Ordering::SeqCst) + 1;
                if show {
                    bar(n, total, &line.target);
                }
                let mut r = results
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                r[i] = Some(Done {
                    line: line.clone(),
                    result,
                });
            });
        }
    });
    if show {
        eprint!("\r\x1b[K");
    }
    let results: Vec<Done> = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect();
    if !a.json {
        print!("{}", table(&results));
    }
    if let Some(path) = a.html {
        std::fs::write(path, page(&results)).map_err(|e| Usage(format!("{path}: {e}")))?;
    }
    Ok(results.iter().all(|d| match &d.result {
        Ok((_, o)) => {
            !o.is_empty()
                && o.iter()
                    .all(|x| x.report.evaluation.verdict != Verdict::Fail)
        }
        Err(_) => false,
    }))
}

fn json_line(line: &Line, r: &Result<(String, Vec<TargetReport>), String>) -> serde_json::Value {
    match r {
        Ok((domain, outcomes)) => json!({
            "target": line.target,
            "domain": domain,
            "grade": worst(outcomes),
            "targets": outcomes.iter().map(target_json).collect::<Vec<_>>(),
        }),
        Err(e) => json!({"target": line.target, "error": e}),
    }
}

/// The worst grade of a domain's targets (a domain is as good as its
/// weakest server), or "-" when there were none.
fn worst(outcomes: &[TargetReport]) -> String {
    outcomes
        .iter()
        .map(|o| o.grade.grade)
        .max()
        .map_or_else(|| "-".to_owned(), |g| g.as_str().to_owned())
}

fn table(results: &[Done]) -> String {
    let mut out = format!(
        "{:<40} {:<5} {:<8} {}\n",
        "target", "grade", "verdict", "versions / error"
    );
    for d in results {
        match &d.result {
            Ok((_, outcomes)) => {
                let verdict = outcomes
                    .iter()
                    .map(|o| o.report.evaluation.verdict)
                    .max()
                    .map_or("-", |v| v.as_str());
                let mut versions: Vec<String> = outcomes
                    .iter()
                    .filter_map(|o| o.profile.as_ref())
                    .flat_map(|p| {
                        p.versions
                            .iter()
                            .map(|v| xmpptls_observatory::version_name(v.version))
                    })
                    .collect();
                versions.sort();
                versions.dedup();
                out.push_str(&format!(
                    "{:<40} {:<5} {:<8} {}\n",
                    d.line.target,
                    worst(outcomes),
                    verdict,
                    versions.join(" ")
                ));
            }
            Err(e) => out.push_str(&format!(
                "{:<40} {:<5} {:<8} {e}\n",
                d.line.target, "-", "error"
            )),
        }
    }
    out
}

/// Why a row is F or an error, in a few words: the error, or the grade's
/// first cap, or its first error finding.
fn reason(d: &Done) -> String {
    match &d.result {
        Err(e) => e.clone(),
        Ok((_, outcomes)) => outcomes
            .iter()
            .filter(|o| o.grade.grade.as_str() == "F")
            .find_map(|o| {
                o.grade
                    .caps
                    .first()
                    .map(|(_, why)| why.clone())
                    .or_else(|| {
                        o.report
                            .evaluation
                            .findings
                            .iter()
                            .find(|f| f.severity == xmpptls::policy::Severity::Error)
                            .map(|f| f.message.clone())
                    })
            })
            .unwrap_or_default(),
    }
}

/// The batch as one HTML page: a table of every line (grade, and why for
/// F and errors), then one section per server checked.
fn page(results: &[Done]) -> String {
    let mut body = String::from(
        "<h1>xmpptls check: batch</h1><table><tr><th>target</th><th>grade</th><th>why</th></tr>",
    );
    for d in results {
        let g = d
            .result
            .as_ref()
            .map_or_else(|_| "error".to_owned(), |(_, o)| worst(o));
        body.push_str(&format!(
            "<tr><td>{}</td><td>{g}</td><td>{}</td></tr>",
            esc(&d.line.target),
            esc(&reason(d))
        ));
    }
    body.push_str("</table>");
    for d in results {
        if let Ok((_, outcomes)) = &d.result {
            for o in outcomes {
                body.push_str(&target_html(o));
            }
        }
    }
    html_page("batch", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_files_have_targets_domains_and_comments() {
        let lines =
            parse("# servers\nexample.net\n\n127.0.0.1:5222 example.org  # local\n").unwrap();
        assert_eq!(
            lines,
            vec![
                Line {
                    target: "example.net".into(),
                    domain: None
                },
                Line {
                    target: "127.0.0.1:5222".into(),
                    domain: Some("example.org".into())
                },
            ]
        );
        assert!(parse("a b c\n").is_err());
    }
}
