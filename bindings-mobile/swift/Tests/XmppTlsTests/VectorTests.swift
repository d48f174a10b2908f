// The shared conformance vectors (tests/vectors/*.json, copied into the
// package by scripts/gen-mobile.sh), as the Rust, C, Node, Kotlin and Python
// suites run them: outputs compared exactly.
import Foundation
import XCTest
@testable import XmppTls

private let package = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func vectors(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: package.appendingPathComponent("vectors/\(name).json"))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}

private func cases(_ name: String) throws -> [[String: Any]] {
    try vectors(name)["cases"] as! [[String: Any]]
}

private func fixture(_ file: String) throws -> Data {
    try Data(contentsOf: package.appendingPathComponent("fixtures/\(file)"))
}

/// A name as the README's names table spells it: `xmppAddr` -> `xmpp-addr`.
private func stableName<T>(_ value: T) -> String {
    var out = ""
    for c in String(describing: value) {
        if c.isUppercase { out += "-" + c.lowercased() } else { out.append(c) }
    }
    return out
}

private func errorCode(_ e: Error) -> Int {
    guard let e = e as? XmppTlsError else { return -1 }
    return Int(e.code)
}

private let services: [String: Service] = ["xmpp-client": .xmppClient, "xmpp-server": .xmppServer]
private let presets: [String: PolicyPreset] = [
    "strict": .strict, "tls13-only": .tls13Only, "opportunistic-s2s": .opportunisticS2s, "xtls": .xtls,
]
private let auth: [String: AuthMethod] = [
    "pkix": .pkix, "dane": .dane, "posh": .posh, "pinned": .pinned, "dialback": .dialback, "offer": .offer,
]

final class VectorTests: XCTestCase {
    func testIdentityVectors() throws {
        for c in try cases("identity") {
            let name = c["name"] as! String
            let der: Data
            if let file = c["certificate"] as? String { der = try fixture(file) }
            else { der = Data((c["certificate_bytes"] as! [Int]).map { UInt8($0) }) }
            let expect = c["expect"]
            guard let service = services[c["service"] as! String] else {
                XCTAssertEqual((expect as? [String: Int])?["error"], 501, name)  // no such enum value
                continue
            }
            do {
                let m = try checkIdentity(certificate: der, domain: c["domain"] as! String,
                                          service: service, cnFallback: c["cn_fallback"] as! Bool)
                XCTAssertEqual(m.map { stableName($0.kind) }, expect as? String, name)
            } catch {
                XCTAssertEqual(errorCode(error), (expect as? [String: Int])?["error"], name)
            }
        }
    }

    func testPolicyVectors() throws {
        for c in try cases("policy") {
            let name = c["name"] as! String
            let expect = c["expect"] as! [String: Any]
            guard let preset = presets[c["preset"] as! String] else {
                XCTAssertEqual(expect["error"] as? Int, 501, name)
                continue
            }
            let policy = Policy(preset: preset)
            do {
                for knob in c["knobs"] as! [[Any]] {
                    let value = knob[1]
                    switch knob[0] as! String {
                    case "min_version": try policy.setMinVersion(version: value as! String)
                    case "require_authentication": policy.setRequireAuthentication(required: value as! Bool)
                    case "require_encryption": policy.setRequireEncryption(required: value as! Bool)
                    case "allowed_auth": policy.setAllowedAuth(methods: (value as! [String]).map { auth[$0]! })
                    case "cn_fallback": policy.setCnFallback(allow: value as! Bool)
                    case "require_post_quantum": policy.setRequirePostQuantum(required: value as! Bool)
                    case "deny_suite": try policy.denySuite(name: value as! String)
                    case "allow_suite": try policy.allowSuite(name: value as! String)
                    default: XCTFail("unknown knob \(knob[0])")
                    }
                }
                let n = c["negotiation"] as! [String: Any]
                let r = try policy.evaluate(peer: "example.net", negotiated: Negotiation(
                    encrypted: n["encrypted"] as? Bool ?? true, tlsVersion: n["tls_version"] as? String,
                    cipherSuite: n["cipher_suite"] as? String, kxGroup: n["kx_group"] as? String,
                    kxBits: (n["kx_bits"] as? Int).map { UInt32($0) }, peerKeyType: n["peer_key_type"] as? String,
                    peerKeyBits: (n["peer_key_bits"] as? Int).map { UInt32($0) },
                    compression: n["compression"] as? Bool ?? false, resumed: n["resumed"] as? Bool ?? false,
                    ticket: n["ticket"] as? Bool ?? false, extendedMasterSecret: n["extended_master_secret"] as? Bool,
                    authentication: (n["authentication"] as? String).map { auth[$0]! }))
                XCTAssertEqual(r.findings.map { $0.code }.sorted(), expect["findings"] as? [String], name)
                XCTAssertEqual(Dictionary(uniqueKeysWithValues: r.findings.map { ($0.code, stableName($0.severity)) }),
                               expect["severities"] as? [String: String], name)
                XCTAssertEqual(stableName(r.verdict), expect["verdict"] as? String, name)
            } catch {
                XCTAssertEqual(errorCode(error), expect["error"] as? Int, name)
            }
        }
    }

    func testCtVectors() throws {
        let v = try vectors("ct")
        let certificates = v["certificates"] as! [String: String]
        let bytes = { (b64: String) in Data(base64Encoded: b64)! }
        for c in v["cases"] as! [[String: Any]] {
            let name = c["name"] as! String
            let expect = c["expect"] as! [String: Any]
            let policy = Policy(preset: .strict)
            do {
                if let list = c["log_list"] as? String {
                    try policy.setCtLogList(json: String(contentsOf: package.appendingPathComponent("logs/\(list)"),
                                                         encoding: .utf8))
                }
                let r = try policy.checkServer(
                    domain: c["domain"] as? String ?? "cryptography.io", service: .xmppClient,
                    negotiated: Negotiation(
                        tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_256_GCM_SHA384", kxGroup: "X25519MLKEM768",
                        authentication: .pkix,
                        peerChain: (c["chain"] as! [String]).map { bytes(certificates[$0]!) },
                        sctList: (c["sct_list"] as? String).map(bytes),
                        ocspResponse: (c["ocsp_response"] as? String).map(bytes),
                        time: (c["time"] as? Int).map { UInt64($0) }),
                    pins: (c["pins"] as? [String: [String]]).map { given in
                        let store = PinStore()
                        for (key, list) in given { for pin in list { store.add(key: key, spkiSha256: pin) } }
                        return store
                    })
                XCTAssertEqual(r.findings.map { $0.code }.sorted(), expect["findings"] as? [String], name)
                let pin: String? = r.pin.map {
                    switch $0 {
                    case .new: return "new"
                    case .match: return "match"
                    case .changed: return "changed"
                    }
                }
                XCTAssertEqual(pin, expect["pin"] as? String, name)
                XCTAssertEqual(stableName(r.verdict), expect["verdict"] as? String, name)
                let ct = expect["ct"] as? [String: Any]
                XCTAssertEqual(r.ct?.compliant, ct?["compliant"] as? Bool, name)
                XCTAssertEqual(r.ct?.scts.map { [$0.source, $0.status] }, ct?["scts"] as? [[String]], name)
            } catch {
                XCTAssertEqual(errorCode(error), expect["error"] as? Int, name)
            }
        }
    }

    func testPoshVectors() throws {
        let v = try vectors("posh")
        let der = try fixture(v["certificate"] as! String)
        for c in v["cases"] as! [[String: Any]] {
            let r = poshVerify(document: c["document"] as! String, followed: c["followed"] as? String,
                               certificate: der, fetchedAt: (c["fetched_at"] as! NSNumber).uint64Value,
                               now: (c["now"] as! NSNumber).uint64Value)
            XCTAssertEqual(stableName(r.outcome), c["expect"] as? String, c["name"] as! String)
        }
    }

    func testErrorVectors() throws {
        for c in try cases("errors") {
            let s = c["input"] as! String
            let expect = c["expect"] as! Int
            switch c["call"] as! String {
            case "endpoint_with_identity_pem":
                XCTAssertThrowsError(try Endpoint(settings: EndpointSettings(
                    jid: "romeo@montague.lit/orchard", trust: .offer,
                    identity: IdentityPem(chainPem: s, keyPem: s)), pins: nil)) {
                    XCTAssertEqual(errorCode($0), expect)
                }
            case "open_tunnel":
                let ep = try Endpoint(settings: EndpointSettings(jid: "romeo@montague.lit/orchard", trust: .offer), pins: nil)
                XCTAssertThrowsError(try ep.openTunnel(peer: s)) { XCTAssertEqual(errorCode($0), expect) }
            default:
                continue  // pins as JSON and unknown trust names are not expressible in Swift's types
            }
        }
    }
}

private func eventValue(_ e: TunnelEvent) -> [Any] {
    switch e {
    case let .established(peer, info):
        return ["established", peer, info.report.authentication, info.firstUse,
                stableName(info.role), info.tlsVersion]
    case let .stanza(peer, stanza):
        return ["stanza", peer, stanza]
    case let .stanzaRejected(peer, code, _):
        return ["stanza-rejected", peer, Int(code)]
    case let .closed(peer, reason, returned):
        let (name, code, waited): (String, Int, Any) = {
            switch reason {
            case .local: return ("local", 0, NSNull())
            case .peer: return ("peer", 0, NSNull())
            case .peerUnavailable: return ("peer-unavailable", 0, NSNull())
            case .peerRestarted: return ("peer-restarted", 0, NSNull())
            case let .timeout(waited): return ("timeout", 0, stableName(waited))
            case let .error(code, _): return ("error", Int(code), NSNull())
            }
        }()
        return ["closed", peer, name, returned.count, code, waited]
    }
}

/// A JSON value as text, to compare what the vectors expect with what the
/// endpoint reported (both through the same encoder).
private func json(_ v: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: v), as: UTF8.self)
}

final class TunnelVectorTests: XCTestCase {
    /// One side: its identity, trust and the case's settings for it.
    private func endpoint(_ v: [String: Any], _ c: [String: Any], _ who: String) throws -> Endpoint {
        let trust: [String: TrustMode] = ["offer": .offer, "trust-on-first-use": .trustOnFirstUse,
                                          "pkix": .pkix, "pinned": .pinned]
        let versions: [String: TlsVersions] = ["tls12-and-13": .tls12And13, "tls13-only": .tls13Only,
                                               "tls12-only": .tls12Only]
        let keyExchange: [String: KeyExchange] = ["post-quantum": .postQuantum,
                                                  "post-quantum-required": .postQuantumRequired,
                                                  "classical": .classical]
        let id = (v["identities"] as! [String: [String: String]])[who]!
        let s = (c["settings"] as? [String: [String: String]])?[who] ?? [:]
        return try Endpoint(settings: EndpointSettings(
            jid: id["jid"]!, trust: trust[(c["trust"] as! [String: String])[who]!]!,
            identity: IdentityPem(chainPem: id["chain_pem"]!, keyPem: id["key_pem"]!),
            versions: s["versions"].map { versions[$0]! }, keyExchange: s["key_exchange"].map { keyExchange[$0]! }),
            pins: nil)
    }

    func testTunnelVectors() throws {
        let v = try vectors("tunnel")
        let ids = v["identities"] as! [String: [String: String]]
        for c in v["cases"] as! [[String: Any]] {
            let name = c["name"] as! String
            var eps: [String: Endpoint] = [:]
            for who in ["romeo", "juliet"] { eps[who] = try endpoint(v, c, who) }
            let other = ["romeo": "juliet", "juliet": "romeo"]
            func deliver(_ who: String) -> Bool {
                var moved = false
                for s in eps[who]!.pollTransmits() {
                    _ = try? eps[other[who]!]!.handleIncoming(stanza: s)
                    moved = true
                }
                return moved
            }
            for step in c["steps"] as! [[Any]] {
                let op = step[0] as! String
                switch op {
                case "route":
                    // Until both are quiet (|| tries juliet whenever romeo is).
                    while deliver("romeo") || deliver("juliet") {}
                    continue
                case "deliver":
                    _ = deliver(step[1] as! String)
                    continue
                case "lose":
                    for ep in eps.values { _ = ep.pollTransmits() }
                    continue
                case "restart":
                    eps[step[1] as! String] = try endpoint(v, c, step[1] as! String)
                    continue
                case "state":
                    let state = try eps[step[1] as! String]!.tunnelState(peer: ids[step[2] as! String]!["jid"]!)
                    XCTAssertEqual(state.map { stableName($0) }, step[3] as? String, "\(name): \(step)")
                    continue
                case "timeout":
                    let ep = eps[step[1] as! String]!
                    let at = ep.pollTimeout()
                    XCTAssertNotNil(at, "\(name): a deadline")
                    ep.handleTimeout(nowSecs: at)
                    continue
                default: break
                }
                let ep = eps[step[1] as! String]!
                let peer = ids[step[2] as! String]!["jid"]!
                var code: Int? = nil
                do {
                    switch op {
                    case "open": try ep.openTunnel(peer: peer)
                    case "send": try ep.send(peer: peer, stanza: step[3] as! String)
                    case "close": try ep.closeTunnel(peer: peer)
                    case "peer_unavailable": try ep.peerUnavailable(jid: peer)
                    default: XCTFail("unknown step \(op)")
                    }
                } catch {
                    code = errorCode(error)
                }
                let want = step.count > 4 ? (step[4] as! [String: Int])["error"] : nil
                XCTAssertEqual(code, want, "\(name): \(op)")
            }
            let expect = c["expect"] as! [String: [Any]]
            for who in ["romeo", "juliet"] {
                let got = eps[who]!.pollEvents().map(eventValue)
                XCTAssertEqual(try json(got), try json(expect[who]!), "\(name): \(who)")
            }
        }
    }
}
