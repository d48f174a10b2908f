//! End to end with a real XMPP server: `xmpptls check` grades a Prosody
//! (Debian package, installed by scripts/setup.sh) started here on
//! 127.0.0.1 with a throwaway config and a test CA, over STARTTLS and over
//! XEP-0368 direct TLS. The certificate names the domain only by SRV-ID
//! and XmppAddr, so those are the identifiers that must match.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DOMAIN: &str = "example.test";

struct Prosody {
    child: Child,
    dir: PathBuf,
}

impl Drop for Prosody {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA and a server certificate with SRV-ID and XmppAddr (IA5String
/// and UTF8String otherNames, as real deployments write them).
fn certificates(dir: &Path) {
    let ssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(dir));
    ssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Prosody Test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    ssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=xmpp server",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        format!(
            "subjectAltName = otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-client.{DOMAIN}, otherName:1.3.6.1.5.5.7.8.5;UTF8:{DOMAIN}\nextendedKeyUsage = serverAuth\nbasicConstraints = CA:FALSE\n"
        ),
    )
    .unwrap();
    ssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "server.pem",
    ]);
}

/// Held for a whole test: `free_port` releases the port it found before
/// Prosody binds it, so two tests running at once could be given the same
/// port and one would talk to the other's server.
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

fn start(starttls_port: u16, direct_port: u16) -> Prosody {
    let dir = std::env::temp_dir().join(format!(
        "xmpptls-prosody-{}-{starttls_port}",
        std::process::id()
    ));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    certificates(&dir);
    let d = dir.display();
    std::fs::write(
        dir.join("prosody.cfg.lua"),
        format!(
            r#"pidfile = "{d}/prosody.pid"
data_path = "{d}/data"
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {starttls_port} }}
c2s_direct_tls_ports = {{ {direct_port} }}
s2s_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
c2s_require_encryption = true
authentication = "internal_plain"
modules_enabled = {{ "tls", "saslauth", "disco", "ping" }}
log = {{ {{ levels = {{ min = "info" }}, to = "file", filename = "{d}/prosody.log" }} }}
ssl = {{ certificate = "{d}/server.pem", key = "{d}/server.key" }}
VirtualHost "{DOMAIN}"
    ssl = {{ certificate = "{d}/server.pem", key = "{d}/server.key" }}
"#
        ),
    )
    .unwrap();
    // Prosody runs as its own user: it reads the files and writes its log
    // and pid file in the directory.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        std::fs::set_permissions(
            &p,
            std::fs::Permissions::from_mode(if p.is_dir() { 0o777 } else { 0o644 }),
        )
        .unwrap();
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    for user in ["romeo", "juliet"] {
        run(Command::new("setpriv")
            .args([
                "--reuid=prosody",
                "--regid=prosody",
                "--init-groups",
                "prosodyctl",
                "--config",
            ])
            .arg(dir.join("prosody.cfg.lua"))
            .args(["register", user, DOMAIN, &format!("{user}-secret")]));
    }
    let child = Command::new("setpriv")
        .args([
            "--reuid=prosody",
            "--regid=prosody",
            "--init-groups",
            "prosody",
            "-F",
            "--config",
        ])
        .arg(dir.join("prosody.cfg.lua"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prosody is installed by scripts/setup.sh");
    let p = Prosody { child, dir };
    let deadline = Instant::now() + Duration::from_secs(20);
    for port in [starttls_port, direct_port] {
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let log = std::fs::read_to_string(p.dir.join("prosody.log")).unwrap_or_default();
            assert!(
                Instant::now() < deadline,
                "prosody did not listen on {port}:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    p
}

fn check(p: &Prosody, port: u16, direct: bool) -> serde_json::Value {
    let ca = p.dir.join("ca.pem");
    let target = format!("127.0.0.1:{port}");
    let mut args = vec![
        "check",
        target.as_str(),
        "--domain",
        DOMAIN,
        "--ca",
        ca.to_str().unwrap(),
        "--json",
    ];
    if direct {
        args.push("--direct-tls");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_xmpptls"))
        .args(&args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let log = std::fs::read_to_string(p.dir.join("prosody.log")).unwrap_or_default();
    assert_eq!(out.status.code(), Some(0), "{text}\nprosody log:\n{log}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn check_grades_a_real_prosody_over_starttls_and_direct_tls() {
    let _alone = one_at_a_time();
    let (starttls_port, direct_port) = (free_port(), free_port());
    let p = start(starttls_port, direct_port);
    for (port, direct) in [(starttls_port, false), (direct_port, true)] {
        let v = check(&p, port, direct);
        assert_eq!(v["verdict"], "pass", "direct={direct}: {v}");
        assert_eq!(v["encrypted"], true);
        assert_eq!(v["tls_version"], "TLSv1.3");
        assert!(
            v["cipher_suite"].as_str().unwrap().starts_with("TLS_"),
            "{v}"
        );
        assert_eq!(v["authentication"], "pkix");
        assert_eq!(v["identity"]["type"], "SRV-ID");
        assert_eq!(v["identity"]["presented"], format!("_xmpp-client.{DOMAIN}"));
        assert_eq!(v["certificate"]["san"]["xmpp_addr"][0], DOMAIN);
        assert_eq!(v["certificate"]["issuer"], "CN=Prosody Test CA");
    }
}

/// A line of `out` (read by a thread), waiting up to `within`.
fn wait_line(lines: &std::sync::mpsc::Receiver<String>, want: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(l) if l.contains(want) => return l,
            Ok(l) => seen.push(l),
            Err(_) => break,
        }
    }
    panic!("no line with {want:?}; got {seen:#?}");
}

fn lines_of(r: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(r).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    rx
}

/// Two `xmpptls tunnel` clients log in to a real Prosody over STARTTLS,
/// open an XTLS tunnel through it and exchange messages: the CLI as a real
/// host (keepalives, timers, one write per read).
#[test]
fn two_cli_clients_tunnel_through_a_real_prosody() {
    let _alone = one_at_a_time();
    let (port, direct) = (free_port(), free_port());
    let p = start(port, direct);
    let ca = p.dir.join("ca.pem");
    let server = format!("127.0.0.1:{port}");
    let bin = env!("CARGO_BIN_EXE_xmpptls");
    let client = |user: &str, resource: &str, extra: &[&str]| {
        Command::new(bin)
            .args(["tunnel", "--jid", &format!("{user}@{DOMAIN}/{resource}")])
            .args(["--server", &server, "--ca", ca.to_str().unwrap()])
            .args(extra)
            .env("XMPP_PASSWORD", format!("{user}-secret"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut juliet = client("juliet", "balcony", &["--echo", "--once"]);
    let j_err = lines_of(juliet.stderr.take().unwrap());
    let j_out = lines_of(juliet.stdout.take().unwrap());
    wait_line(&j_err, "online as juliet@", Duration::from_secs(20));
    let juliet_jid = format!("juliet@{DOMAIN}/balcony");
    let mut romeo = client("romeo", "orchard", &["--peer", &juliet_jid]);
    let r_out = lines_of(romeo.stdout.take().unwrap());
    let r_err = lines_of(romeo.stderr.take().unwrap());
    {
        use std::io::Write;
        let mut stdin = romeo.stdin.take().unwrap();
        stdin
            .write_all(b"But soft!\nWhat light through yonder <window> breaks?\n")
            .unwrap();
    }
    let within = Duration::from_secs(20);
    let est = wait_line(&r_out, "established", within);
    assert!(
        est.contains(&juliet_jid) && est.contains("TLSv1.3"),
        "{est}"
    );
    wait_line(
        &r_out,
        "message juliet@example.test/balcony echo: But soft!",
        within,
    );
    wait_line(
        &r_out,
        "echo: What light through yonder <window> breaks?",
        within,
    );
    wait_line(
        &j_out,
        "message romeo@example.test/orchard But soft!",
        within,
    );
    wait_line(
        &r_out,
        "closed juliet@example.test/balcony closed by us",
        within,
    );
    wait_line(
        &j_out,
        "closed romeo@example.test/orchard closed by the peer",
        within,
    );
    wait_line(&r_err, "whitespace keepalives written", within);
    for c in [&mut romeo, &mut juliet] {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(s) = c.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "the client did not exit");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{status}");
    }
    drop(p);
}
