//! The demo is README's main job: it must run and say what happened.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn demo(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_xmpptls"))
        .arg("demo")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn json_lines_end_with_the_summary() {
    let text = demo(&["--json"]);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.last().unwrap();
    assert_eq!(summary["tunnel"], "closed");
    assert_eq!(summary["messages_delivered"], 5);
    assert_eq!(summary["tls_version"], "TLSv1.3");
    assert!(summary["cipher_suite"]
        .as_str()
        .unwrap()
        .starts_with("TLS_"));
    assert_eq!(summary["resumed_on_reopen"], true);
    // The wire never carries the plaintext, and base64 is abbreviated.
    let wire: Vec<&serde_json::Value> = lines.iter().filter(|l| l["event"] == "wire").collect();
    assert!(wire.len() > 10);
    assert!(wire
        .iter()
        .all(|w| !w["stanza"].as_str().unwrap().contains("yonder")));
    assert!(wire
        .iter()
        .any(|w| w["stanza"].as_str().unwrap().contains("chars]</data>")));
    let messages: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["event"] == "message").collect();
    assert!(messages
        .iter()
        .any(|m| m["body"].as_str().unwrap().contains("yonder window")));
    let est: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["event"] == "established")
        .collect();
    assert_eq!(est.len(), 4);
    assert!(est.iter().all(|e| e["offer_verified"] == true));
    assert!(
        est.iter().all(|e| e["report"]["verdict"] == "pass"),
        "{est:?}"
    );
    assert_eq!(est[0]["report"]["pin"]["status"], "new");
}

#[test]
fn text_output_names_version_suite_and_authentication() {
    let text = demo(&[]);
    assert!(text.contains("TLSv1.3 TLS_"));
    assert!(text.contains("romeo authenticated juliet by trust on first use"));
    assert!(text.contains("juliet received from romeo: “But soft"));
    assert!(text.contains("resumed session"));
    assert!(text.contains("policy verdict: pass"));
    assert!(text.contains("tunnel closed."));
}
