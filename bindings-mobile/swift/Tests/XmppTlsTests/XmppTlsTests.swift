// The Swift bindings, the scenarios of the Kotlin and Python suites: run
// with `swift test` in the package scripts/gen-mobile.sh assembles (see
// Package.swift). uniffi runs its contract and API checksum checks only from
// uniffiEnsureXmpptlsMobileInitialized(), so setUp calls it first (apps
// should too): stale bindings then stop the run.
import Foundation
import XCTest
@testable import XmppTls

let romeoJid = "romeo@montague.lit/orchard"
let julietJid = "juliet@capulet.lit/balcony"

/// The app's own storage: a dictionary here, the Keychain in an app.
final class DictStorage: PinStorage, @unchecked Sendable {
    var map: [String: [String]] = [:]
    func load(key: String) -> [String] { map[key] ?? [] }
    func save(key: String, pins: [String]) { map[key] = pins }
}

func endpoint(_ jid: String, trust: TrustMode = .trustOnFirstUse,
              pins: PinStore? = nil, identity: IdentityPem? = nil) throws -> Endpoint {
    try Endpoint(settings: EndpointSettings(jid: jid, trust: trust, identity: identity), pins: pins)
}

/// Moves stanzas until quiet, like a server; returns the errors thrown.
@discardableResult
func route(_ eps: Endpoint...) -> [XmppTlsError] {
    var byJid: [String: Endpoint] = [:]
    for ep in eps { byJid[ep.jid()] = ep }
    var errors: [XmppTlsError] = []
    var moved = true
    while moved {
        moved = false
        for ep in eps {
            while let s = ep.pollTransmit() {
                let to = s.components(separatedBy: "to=").dropFirst().first.map {
                    String($0.dropFirst().prefix { $0 != "'" && $0 != "\"" })
                } ?? ""
                do {
                    _ = try byJid[to]?.handleIncoming(stanza: s)
                } catch let e as XmppTlsError {
                    errors.append(e)
                } catch {
                    XCTFail("unexpected \(error)")
                }
                moved = true
            }
        }
    }
    return errors
}

func events(_ ep: Endpoint) -> [TunnelEvent] {
    var out: [TunnelEvent] = []
    while let e = ep.pollEvent() { out.append(e) }
    return out
}

func message(_ body: String) -> String { "<message type='chat'><body>\(body)</body></message>" }

final class XmppTlsTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        uniffiEnsureXmpptlsMobileInitialized()
    }

    func testTunnelHandshakeAndMessagesBothWays() throws {
        let romeo = try endpoint(romeoJid)
        let juliet = try endpoint(julietJid)
        try romeo.openTunnel(peer: julietJid)
        try romeo.send(peer: julietJid, stanza: message("But soft!"))
        route(romeo, juliet)
        try juliet.send(peer: romeoJid, stanza: message("Ay me!"))
        route(romeo, juliet)
        guard case let .established(peer, info) = events(romeo).first else {
            return XCTFail("not established")
        }
        XCTAssertEqual(peer, julietJid)
        XCTAssertEqual(info.role, .initiator)
        XCTAssertEqual(info.tlsVersion, "TLSv1.3")
        XCTAssertEqual(info.kxGroup, "X25519MLKEM768")
        XCTAssertEqual(info.report.keyExchange, "X25519MLKEM768")
        XCTAssertTrue(info.firstUse)
        XCTAssertEqual(info.peerSpkiSha256, juliet.localPin())
        let got = events(juliet).compactMap { e -> String? in
            if case let .stanza(_, stanza) = e { return stanza }
            return nil
        }
        XCTAssertEqual(got.count, 1)
        XCTAssertTrue(got[0].contains("But soft!"))
        XCTAssertTrue(got[0].contains(romeoJid))
        XCTAssertEqual(try romeo.tunnelState(peer: julietJid), .established)
    }

    func testTrustDefaultsToFirstUse() throws {
        // No trust given: trust on first use, as the core and every runtime document.
        let romeo = try Endpoint(settings: EndpointSettings(jid: romeoJid), pins: nil)
        let juliet = try Endpoint(settings: EndpointSettings(jid: julietJid), pins: nil)
        try romeo.openTunnel(peer: julietJid)
        route(romeo, juliet)
        guard case let .established(_, info) = events(romeo).first else {
            return XCTFail("not established")
        }
        XCTAssertTrue(info.firstUse)
    }

    func testPostQuantumSettings() throws {
        func ep(_ jid: String, _ kx: KeyExchange?) throws -> Endpoint {
            try Endpoint(settings: EndpointSettings(jid: jid, trust: .offer, keyExchange: kx), pins: nil)
        }
        // An older, classical peer still connects, graded with an info finding.
        var romeo = try ep(romeoJid, nil)
        var juliet = try ep(julietJid, .classical)
        try romeo.openTunnel(peer: julietJid)
        route(romeo, juliet)
        guard case let .established(_, info) = events(romeo).first else {
            return XCTFail("not established")
        }
        XCTAssertEqual(info.kxGroup, "X25519")
        let finding = info.report.findings.first { $0.code == "classical-key-exchange" }
        XCTAssertEqual(finding?.severity, .info)
        // Required refuses it.
        romeo = try ep(romeoJid, .postQuantumRequired)
        juliet = try ep(julietJid, .classical)
        try romeo.openTunnel(peer: julietJid)
        route(romeo, juliet)
        let evs = events(romeo)
        XCTAssertFalse(evs.contains { if case .established = $0 { return true }; return false })
        XCTAssertTrue(evs.contains { if case .closed(_, .error(_, _), _) = $0 { return true }; return false })
        let policy = Policy(preset: .strict)
        policy.setRequirePostQuantum(required: true)
        let n = Negotiation(tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256",
                            kxGroup: "X25519", authentication: .pkix)
        XCTAssertEqual(try policy.evaluate(peer: "x", negotiated: n).verdict, .fail)
    }

    /// Every EndpointSettings field reaches the core: a setting accepted and
    /// ignored fails here (issue 23). trust, identity, pinsJson, keyExchange
    /// and limits have their own tests.
    func testEverySettingReachesTheCore() throws {
        // versions: TLS 1.2 only on one side negotiates TLS 1.2.
        var romeo = try Endpoint(settings: EndpointSettings(jid: romeoJid, trust: .offer, versions: .tls12Only), pins: nil)
        var juliet = try Endpoint(settings: EndpointSettings(jid: julietJid, trust: .offer), pins: nil)
        try romeo.openTunnel(peer: julietJid)
        route(romeo, juliet)
        guard case let .established(_, info) = events(romeo).first else { return XCTFail("not established") }
        XCTAssertEqual(info.tlsVersion, "TLSv1.2")
        // sendOffer: the XEP-0250 offer is in the start only when asked for.
        for offer in [true, false] {
            let ep = try Endpoint(settings: EndpointSettings(jid: romeoJid, trust: .offer, sendOffer: offer), pins: nil)
            try ep.openTunnel(peer: julietJid)
            XCTAssertEqual(ep.pollTransmit()?.contains("<offer"), offer)
        }
        // enabled = false: a start is refused, and the opener learns it.
        romeo = try Endpoint(settings: EndpointSettings(jid: romeoJid, trust: .offer), pins: nil)
        juliet = try Endpoint(settings: EndpointSettings(jid: julietJid, trust: .offer, enabled: false), pins: nil)
        try romeo.openTunnel(peer: julietJid)
        XCTAssertFalse(route(romeo, juliet).isEmpty)
        XCTAssertTrue(events(romeo).contains { if case .closed = $0 { return true }; return false })
        XCTAssertEqual(juliet.tunnelCount(), 0)
        // rootsPem: PKIX without roots is a configuration error; with them, not.
        XCTAssertThrowsError(try Endpoint(settings: EndpointSettings(jid: romeoJid, trust: .pkix), pins: nil)) { e in
            XCTAssertEqual((e as? XmppTlsError)?.code, 500)
        }
        let root = try generateIdentity(jid: julietJid).chainPem
        XCTAssertNoThrow(try Endpoint(settings: EndpointSettings(jid: romeoJid, trust: .pkix, rootsPem: root), pins: nil))
    }

    func testCloseEndsTheTunnelOnBothSides() throws {
        let romeo = try endpoint(romeoJid)
        let juliet = try endpoint(julietJid)
        try romeo.openTunnel(peer: julietJid)
        route(romeo, juliet)
        try romeo.closeTunnel(peer: julietJid)
        route(romeo, juliet)
        guard case let .closed(_, reason, _) = events(romeo).last else { return XCTFail() }
        XCTAssertEqual(reason, .local)
        guard case let .closed(_, peerReason, _) = events(juliet).last else { return XCTFail() }
        XCTAssertEqual(peerReason, .peer)
        XCTAssertNil(try romeo.tunnelState(peer: julietJid))
        XCTAssertThrowsError(try romeo.send(peer: julietJid, stanza: message("late"))) { e in
            guard case let XmppTlsError.protocol(code, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(code, 201)
        }
    }

    func testDeadlinesKeepaliveAndStanzasHandedBack() throws {
        let romeo = try endpoint(romeoJid)
        let juliet = try endpoint(julietJid)
        XCTAssertNil(romeo.pollTimeout())
        try romeo.openTunnel(peer: julietJid)
        let left = Int64(romeo.pollTimeout()!) - Int64(Date().timeIntervalSince1970)
        XCTAssertTrue((25...31).contains(left), "deadline in \(left) s")
        romeo.handleTimeout()
        XCTAssertEqual(try romeo.tunnelState(peer: julietJid), .starting)
        route(romeo, juliet)
        XCTAssertNil(romeo.pollTimeout())
        _ = events(romeo)
        _ = events(juliet)
        try romeo.send(peer: julietJid, stanza: message("hello"))
        XCTAssertTrue(try juliet.handleIncoming(stanza: romeo.pollTransmit()!))
        XCTAssertTrue(try romeo.handleIncoming(stanza: juliet.pollTransmit()!))
        XCTAssertNil(romeo.pollTransmit())
        XCTAssertTrue(romeo.pollKeepalive())
        XCTAssertFalse(romeo.pollKeepalive())
        try romeo.send(peer: julietJid, stanza: message("are you there"))
        try romeo.peerUnavailable(jid: julietJid)
        guard case let .closed(_, reason, returned) = events(romeo).last else { return XCTFail() }
        XCTAssertEqual(reason, .peerUnavailable)
        XCTAssertEqual(returned.count, 1)
        XCTAssertTrue(returned[0].stanza.contains("are you there"))
        XCTAssertFalse(returned[0].maybeDelivered)
    }

    func testErrorsCarryStableCodes() throws {
        let romeo = try endpoint(romeoJid)
        XCTAssertThrowsError(try romeo.openTunnel(peer: "not a jid@@/")) { e in
            guard case let XmppTlsError.input(code, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(code, 101)
        }
        XCTAssertFalse(try romeo.handleIncoming(
            stanza: "<message from='\(julietJid)' to='\(romeoJid)'><body>hi</body></message>"))
        let pinned = try endpoint(romeoJid, trust: .pinned)
        XCTAssertThrowsError(try pinned.openTunnel(peer: julietJid)) { e in
            guard case let XmppTlsError.trust(code, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(code, 301)
        }
    }

    func testLimitsGatePinsJsonAndPollWrite() throws {
        // The generated defaults are the core's.
        XCTAssertEqual(defaultLimits(), LimitSettings())
        let romeo = try Endpoint(settings: EndpointSettings(
            jid: romeoJid, trust: .trustOnFirstUse, limits: LimitSettings(startTimeoutSecs: 5)), pins: nil)
        try romeo.openTunnel(peer: julietJid)
        let left = Int64(romeo.pollTimeout()!) - Int64(Date().timeIntervalSince1970)
        XCTAssert((4...6).contains(left), "deadline in \(left) s")
        XCTAssertThrowsError(try Endpoint(settings: EndpointSettings(
            jid: romeoJid, trust: .offer, limits: LimitSettings(maxHalfOpen: 0)), pins: nil))
        // pinsJson is honoured.
        let j0 = try endpoint(julietJid)
        let pins = "{\"version\":1,\"pins\":{\"juliet@capulet.lit\":[\"\(j0.localPin())\"]}}"
        let pinned = try Endpoint(settings: EndpointSettings(
            jid: "nurse@capulet.lit/chamber", trust: .pinned, pinsJson: pins), pins: nil)
        try pinned.openTunnel(peer: julietJid)
        route(pinned, j0)
        XCTAssertEqual(try pinned.tunnelState(peer: julietJid), .established)
        // The start gate.
        let juliet = try endpoint(julietJid)
        juliet.restrictStarts(restricted: true)
        try juliet.allowStartsFrom(jid: "romeo@montague.lit")
        let nurse = try endpoint("nurse@capulet.lit/chamber")
        try nurse.openTunnel(peer: julietJid)
        XCTAssertEqual(route(nurse, juliet).count, 1)
        XCTAssertEqual(juliet.halfOpenCount(), 0)
        let r2 = try endpoint(romeoJid)
        try r2.openTunnel(peer: julietJid)
        route(r2, juliet)
        XCTAssertEqual(juliet.tunnelCount(), 1)
        XCTAssertNotNil(try r2.pathRate(peer: julietJid))
        XCTAssertTrue(try juliet.revokeStartsFrom(jid: "romeo@montague.lit"))
        // pollWrite.
        _ = events(r2)
        try r2.send(peer: julietJid, stanza: message("one"))
        let w = r2.pollWrite()!
        XCTAssert(w.hasPrefix("<iq") && w.hasSuffix("</iq>"))
        _ = try juliet.handleIncoming(stanza: w)
        _ = try r2.handleIncoming(stanza: juliet.pollWrite()!)
        XCTAssertEqual(r2.pollWrite(), " ")
    }

    func testIdentityCheck() throws {
        let der = try certificatesFromPem(pem: try generateIdentity(jid: "capulet.lit").chainPem)[0]
        let m = try checkIdentity(certificate: der, domain: "capulet.lit", service: .xmppServer, cnFallback: false)
        XCTAssertEqual(m, IdentityMatch(kind: .xmppAddr, presented: "capulet.lit"))
        XCTAssertNil(try checkIdentity(certificate: der, domain: "montague.lit", service: .xmppServer, cnFallback: false))
    }

    func testPinsLiveInSwiftStorage() throws {
        let storage = DictStorage()
        let romeoId = try generateIdentity(jid: romeoJid)
        let first = try endpoint(romeoJid, identity: romeoId)
        let juliet = try endpoint(julietJid, pins: PinStore.withStorage(storage: storage))
        try first.openTunnel(peer: julietJid)
        route(first, juliet)
        XCTAssertEqual(storage.map["romeo@montague.lit"], [first.localPin()])
        let juliet2 = try endpoint(julietJid, pins: PinStore.withStorage(storage: storage))
        let other = try endpoint(romeoJid)
        try other.openTunnel(peer: julietJid)
        let refused = route(other, juliet2)
        XCTAssertEqual(refused.count, 1)
        guard case .trust = refused[0] else { return XCTFail("\(refused)") }
    }

    func testServerCheckAndReportFields() throws {
        let storage = DictStorage()
        let chain = try certificatesFromPem(pem: try generateIdentity(jid: "capulet.lit").chainPem)
        let session = Negotiation(tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256",
                                  kxGroup: "X25519", authentication: .pkix, peerChain: chain)
        let policy = Policy(preset: .strict)
        let r = try policy.checkServer(domain: "capulet.lit", service: .xmppClient,
                                       negotiated: session, pins: PinStore.withStorage(storage: storage))
        XCTAssertEqual(r.verdict, .pass, r.text)
        XCTAssertEqual(r.tlsVersion, "TLSv1.3")
        XCTAssertEqual(r.identity?.kind, .xmppAddr)
        XCTAssertEqual(r.pin, .new)
        XCTAssertEqual(storage.map[serverPinKey(domain: "capulet.lit", service: .xmppClient)],
                       [r.certificate!.spkiSha256])
        let weak = try policy.evaluate(peer: "legacy.example",
            negotiated: Negotiation(tlsVersion: "TLSv1.0", cipherSuite: "TLS_RSA_WITH_3DES_EDE_CBC_SHA"))
        XCTAssertEqual(weak.verdict, .fail)
        XCTAssertTrue(weak.findings.contains { $0.code == "suite-forbidden" && $0.severity == .error })
    }

    func testPolicyKnobsChangeVerdicts() throws {
        let dhe = Negotiation(tlsVersion: "TLSv1.2", cipherSuite: "DHE-RSA-AES128-GCM-SHA256",
                              authentication: .pkix)
        let policy = Policy(preset: .strict)
        func codes(_ n: Negotiation) throws -> [String] {
            try policy.evaluate(peer: "example.net", negotiated: n).findings.map { $0.code }
        }
        try policy.denySuite(name: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256")
        try policy.denySuite(name: "DHE-RSA-AES128-GCM-SHA256")
        XCTAssertTrue(try codes(dhe).contains("suite-denied"))
        try policy.allowSuite(name: "DHE-RSA-AES128-GCM-SHA256")
        XCTAssertFalse(try codes(dhe).contains("suite-denied"))
        let offered = Negotiation(tlsVersion: "TLSv1.2", cipherSuite: "DHE-RSA-AES128-GCM-SHA256",
                                  authentication: .offer)
        XCTAssertTrue(try codes(offered).contains("auth-method-not-allowed"))
        policy.setAllowedAuth(methods: [.offer, .pkix])
        XCTAssertFalse(try codes(offered).contains("auth-method-not-allowed"))
        XCTAssertThrowsError(try policy.denySuite(name: "TLS_NO_SUCH")) { e in
            guard case let XmppTlsError.config(code, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(code, 501)
        }
        XCTAssertEqual(Policy(preset: .xtls).name(), "xtls")
    }

    func testPoshReasons() throws {
        // Foundation on Linux has no SHA-256, so the matching case is the
        // Kotlin and Python suites'; here, the reasons.
        let der = try certificatesFromPem(pem: try generateIdentity(jid: "example.net").chainPem)[0]
        let doc = #"{"fingerprints":[{"sha-256":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}],"expires":3600}"#
        let now = UInt64(Date().timeIntervalSince1970)
        XCTAssertEqual(poshVerify(document: doc, followed: nil, certificate: der, fetchedAt: now, now: now).outcome, .noMatch)
        XCTAssertEqual(poshVerify(document: doc, followed: nil, certificate: der, fetchedAt: now - 7200, now: now).outcome, .expired)
        let redirect = #"{"url":"https://hosting.example/posh.json","expires":60}"#
        XCTAssertEqual(poshRedirectUrl(document: redirect), "https://hosting.example/posh.json")
        XCTAssertEqual(poshVerify(document: redirect, followed: nil, certificate: der, fetchedAt: now, now: now).outcome, .redirectNotFollowed)
        XCTAssertEqual(poshVerify(document: "not json", followed: nil, certificate: der, fetchedAt: now, now: now).outcome, .malformed)
    }
}
