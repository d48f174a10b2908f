// The Kotlin bindings on the JVM (JNA), as an Android app uses them:
// tunnels, errors, identity, pins in app storage, reports.
// Run by scripts/test-mobile.sh against bindings generated from the fresh
// library. uniffi 0.32's Kotlin runs its contract and API checksum checks
// only from uniffiEnsureInitialized(), so main calls it first (apps should
// too, at start-up): stale bindings then fail before any test.
import im.xmpptls.*
import im.xmpptls.core.*
import kotlin.test.*
import kotlin.system.exitProcess

const val ROMEO = "romeo@montague.lit/orchard"
const val JULIET = "juliet@capulet.lit/balcony"

/** The app's own storage: here a map, in an app a database. */
class MapStorage : PinStorage {
    val map = HashMap<String, List<String>>()
    override fun load(key: String): List<String> = map[key] ?: emptyList()
    override fun save(key: String, pins: List<String>) { map[key] = pins }
}

fun endpoint(jid: String, trust: TrustMode = TrustMode.TRUST_ON_FIRST_USE, pins: PinStore? = null) =
    Endpoint(EndpointSettings(jid = jid, trust = trust), pins)

/**
 * Routes stanzas between the endpoints until quiet, like a server. A stanza
 * that fails a tunnel throws (the tunnel then closes with an event); the
 * errors are returned.
 */
fun route(vararg eps: Endpoint): List<XmppTlsException> {
    val errors = mutableListOf<XmppTlsException>()
    val byJid = eps.associateBy { it.jid() }
    do {
        var moved = false
        for (ep in eps) {
            while (true) {
                val s = ep.pollTransmit() ?: break
                val to = Regex("to=['\"]([^'\"]+)['\"]").find(s)!!.groupValues[1]
                try {
                    assertTrue(byJid.getValue(to).handleIncoming(s), "an XTLS stanza: $s")
                } catch (e: XmppTlsException) {
                    errors += e
                }
                moved = true
            }
        }
    } while (moved)
    return errors
}

fun events(ep: Endpoint): List<TunnelEvent> = generateSequence { ep.pollEvent() }.toList()

fun message(body: String) = "<message type='chat'><body>$body</body></message>"

fun tunnelPairHandshakeAndMessages() {
    endpoint(ROMEO).use { romeo -> endpoint(JULIET).use { juliet ->
        romeo.openTunnel(JULIET)
        romeo.send(JULIET, message("But soft!"))
        route(romeo, juliet)
        juliet.send(ROMEO, message("Ay me!"))
        route(romeo, juliet)
        val re = events(romeo)
        val je = events(juliet)
        val info = (re.first() as TunnelEvent.Established).info
        assertEquals(Role.INITIATOR, info.role)
        assertEquals("TLSv1.3", info.tlsVersion)
        assertEquals("X25519MLKEM768", info.kxGroup)
        assertEquals("X25519MLKEM768", info.report.keyExchange)
        assertTrue(info.firstUse)
        assertEquals(juliet.localPin(), info.peerSpkiSha256)
        assertEquals(Role.RESPONDER, (je.first() as TunnelEvent.Established).info.role)
        val atJuliet = je.filterIsInstance<TunnelEvent.Stanza>().single()
        assertEquals(ROMEO, atJuliet.peer)
        assertContains(atJuliet.stanza, "But soft!")
        assertTrue(Regex("from=['\"]$ROMEO['\"]").containsMatchIn(atJuliet.stanza), atJuliet.stanza)
        assertContains(re.filterIsInstance<TunnelEvent.Stanza>().single().stanza, "Ay me!")
        assertEquals(TunnelState.ESTABLISHED, romeo.tunnelState(JULIET))
        assertEquals(1, romeo.tunnelCount())
    } }
}

fun trustDefaultsToFirstUse() {
    // No trust given: trust on first use, as the core and every runtime document.
    Endpoint(EndpointSettings(jid = ROMEO), null).use { romeo -> Endpoint(EndpointSettings(jid = JULIET), null).use { juliet ->
        romeo.openTunnel(JULIET)
        route(romeo, juliet)
        val info = (events(romeo).first() as TunnelEvent.Established).info
        assertTrue(info.firstUse)
    } }
}

fun postQuantumSettings() {
    fun ep(jid: String, kx: KeyExchange?) =
        Endpoint(EndpointSettings(jid = jid, trust = TrustMode.OFFER, keyExchange = kx), null)
    // An older, classical peer still connects, graded with an info finding.
    ep(ROMEO, null).use { romeo -> ep(JULIET, KeyExchange.CLASSICAL).use { juliet ->
        romeo.openTunnel(JULIET)
        route(romeo, juliet)
        val info = (events(romeo).first() as TunnelEvent.Established).info
        assertEquals("X25519", info.kxGroup)
        val finding = info.report.findings.single { it.code == "classical-key-exchange" }
        assertEquals(Severity.INFO, finding.severity)
    } }
    // Required refuses it.
    ep(ROMEO, KeyExchange.POST_QUANTUM_REQUIRED).use { romeo -> ep(JULIET, KeyExchange.CLASSICAL).use { juliet ->
        romeo.openTunnel(JULIET)
        route(romeo, juliet)
        val evs = events(romeo)
        assertTrue(evs.none { it is TunnelEvent.Established })
        assertIs<CloseReason.Error>(evs.filterIsInstance<TunnelEvent.Closed>().single().reason)
    } }
    val policy = Policy(PolicyPreset.STRICT)
    policy.setRequirePostQuantum(true)
    val n = Negotiation(tlsVersion = "TLSv1.3", cipherSuite = "TLS_AES_128_GCM_SHA256",
        kxGroup = "X25519", authentication = AuthMethod.PKIX)
    assertEquals(Verdict.FAIL, policy.evaluate("x", n).verdict)
    policy.close()
}

/** Every EndpointSettings field reaches the core: a setting that were
 *  accepted and ignored fails here (issue 23). trust, identity, pinsJson,
 *  keyExchange and limits have their own tests. */
fun everySettingReachesTheCore() {
    fun settings(jid: String) = EndpointSettings(jid = jid, trust = TrustMode.OFFER)
    // versions: TLS 1.2 only on one side negotiates TLS 1.2.
    Endpoint(settings(ROMEO).copy(versions = TlsVersions.TLS12_ONLY), null).use { romeo ->
        Endpoint(settings(JULIET), null).use { juliet ->
            romeo.openTunnel(JULIET)
            route(romeo, juliet)
            assertEquals("TLSv1.2", (events(romeo).first() as TunnelEvent.Established).info.tlsVersion)
        } }
    // sendOffer: the XEP-0250 offer is in the start only when asked for.
    for (offer in listOf(true, false)) {
        Endpoint(settings(ROMEO).copy(sendOffer = offer), null).use { romeo ->
            romeo.openTunnel(JULIET)
            assertEquals(offer, romeo.pollTransmit()!!.contains("<offer"))
        }
    }
    // enabled = false: a start is refused, and the opener learns it.
    Endpoint(settings(ROMEO), null).use { romeo -> Endpoint(settings(JULIET).copy(enabled = false), null).use { juliet ->
        romeo.openTunnel(JULIET)
        assertTrue(route(romeo, juliet).isNotEmpty())
        assertTrue(events(romeo).any { it is TunnelEvent.Closed })
        assertEquals(0, juliet.tunnelCount())
    } }
    // rootsPem: PKIX without roots is a configuration error; with them, not.
    assertFailsWith<XmppTlsException.Config> { Endpoint(EndpointSettings(jid = ROMEO, trust = TrustMode.PKIX), null) }
    val root = generateIdentity(JULIET).chainPem
    Endpoint(EndpointSettings(jid = ROMEO, trust = TrustMode.PKIX, rootsPem = root), null).close()
}

fun closeEndsTheTunnelOnBothSides() {
    val romeo = endpoint(ROMEO)
    val juliet = endpoint(JULIET)
    romeo.openTunnel(JULIET)
    route(romeo, juliet)
    romeo.closeTunnel(JULIET)
    route(romeo, juliet)
    assertEquals(CloseReason.Local, (events(romeo).last() as TunnelEvent.Closed).reason)
    assertEquals(CloseReason.Peer, (events(juliet).last() as TunnelEvent.Closed).reason)
    // Readable in logs, not CloseReason$Local@5f341870.
    assertEquals("local", CloseReason.Local.toString())
    assertEquals("timeout (waiting for ack)", CloseReason.Timeout(Wait.ACK).toString())
    assertEquals("error 301: changed", CloseReason.Error(301, "changed").toString())
    assertEquals("new", im.xmpptls.core.PinStatus.New.toString())
    assertNull(romeo.tunnelState(JULIET))
    val e = assertFailsWith<XmppTlsException.Protocol> { romeo.send(JULIET, message("late")) }
    assertEquals(201, e.code)
    romeo.close(); juliet.close()
}

fun deadlinesKeepaliveAndStanzasHandedBack() {
    val romeo = endpoint(ROMEO)
    val juliet = endpoint(JULIET)
    assertNull(romeo.pollTimeout())
    romeo.openTunnel(JULIET)
    // The start waits for its answer: a deadline 30 s from now.
    val left = romeo.pollTimeout()!!.toLong() - System.currentTimeMillis() / 1000
    assertTrue(left in 25..31, "deadline in $left s")
    romeo.handleTimeout() // not due: nothing closes
    assertEquals(TunnelState.STARTING, romeo.tunnelState(JULIET))
    route(romeo, juliet)
    assertNull(romeo.pollTimeout())
    events(romeo); events(juliet)
    // Juliet acknowledges; romeo has nothing to answer: keepalive.
    romeo.send(JULIET, message("hello"))
    assertTrue(juliet.handleIncoming(romeo.pollTransmit()!!))
    assertTrue(romeo.handleIncoming(juliet.pollTransmit()!!))
    assertNull(romeo.pollTransmit())
    assertTrue(romeo.pollKeepalive())
    assertFalse(romeo.pollKeepalive())
    // What the peer never acknowledged comes back when the tunnel ends.
    romeo.send(JULIET, message("are you there"))
    romeo.peerUnavailable(JULIET)
    val closed = events(romeo).filterIsInstance<TunnelEvent.Closed>().single()
    assertEquals(CloseReason.PeerUnavailable, closed.reason)
    val back = closed.returned.single()
    assertContains(back.stanza, "are you there")
    assertFalse(back.maybeDelivered)
    romeo.close(); juliet.close()
}

fun errorsCarryStableCodes() {
    val romeo = endpoint(ROMEO)
    val bad = assertFailsWith<XmppTlsException.Input> { romeo.openTunnel("not a jid@@/") }
    assertEquals(101, bad.code)
    val xml = assertFailsWith<XmppTlsException.Input> {
        romeo.handleIncoming("<!DOCTYPE x [<!ENTITY a 'b'>]><iq type='set' from='$JULIET' to='$ROMEO'/>")
    }
    assertEquals(100, xml.code)
    // Not XTLS: handed back to the XMPP library.
    assertFalse(romeo.handleIncoming("<message from='$JULIET' to='$ROMEO'><body>hi</body></message>"))
    val pinned = endpoint(ROMEO, TrustMode.PINNED)
    val trust = assertFailsWith<XmppTlsException.Trust> { pinned.openTunnel(JULIET) }
    assertEquals(301, trust.code)
    val pem = assertFailsWith<XmppTlsException.Input> {
        Endpoint(EndpointSettings(jid = ROMEO, trust = TrustMode.OFFER,
            identity = IdentityPem("not pem", "not pem")), null)
    }
    assertEquals(106, pem.code)
    romeo.close(); pinned.close()
}

fun limitsGatePinsJsonAndPollWrite() {
    // The generated defaults are the core's.
    assertEquals(defaultLimits(), LimitSettings())
    assertEquals(30uL, LimitSettings().ackTimeoutSecs)
    // A limit reaches the core: the start deadline is 5 s.
    val romeo = Endpoint(EndpointSettings(jid = ROMEO, trust = TrustMode.TRUST_ON_FIRST_USE,
        limits = LimitSettings(startTimeoutSecs = 5uL)), null)
    romeo.openTunnel(JULIET)
    val left = romeo.pollTimeout()!!.toLong() - System.currentTimeMillis() / 1000
    assertTrue(left in 4..6, "deadline in $left s")
    val bad = assertFailsWith<XmppTlsException.Config> {
        Endpoint(EndpointSettings(jid = ROMEO, trust = TrustMode.OFFER, limits = LimitSettings(maxHalfOpen = 0uL)), null)
    }
    assertEquals(500, bad.code)
    // pinsJson is honoured (it was ignored before): a pinned peer connects.
    val juliet0 = endpoint(JULIET)
    val pinsJson = """{"version":1,"pins":{"juliet@capulet.lit":["${juliet0.localPin()}"]}}"""
    val pinned = Endpoint(EndpointSettings(jid = "nurse@capulet.lit/chamber", trust = TrustMode.PINNED, pinsJson = pinsJson), null)
    pinned.openTunnel(JULIET)
    route(pinned, juliet0)
    assertEquals(TunnelState.ESTABLISHED, pinned.tunnelState(JULIET))
    // The start gate: strangers are refused, listed JIDs admitted.
    val juliet = endpoint(JULIET)
    juliet.restrictStarts(true)
    juliet.allowStartsFrom("romeo@montague.lit")
    val nurse = endpoint("nurse@capulet.lit/chamber")
    nurse.openTunnel(JULIET)
    val refused = route(nurse, juliet)
    assertEquals(listOf(208), refused.map { (it as XmppTlsException.Protocol).code })
    assertEquals(0, juliet.halfOpenCount())
    val romeo2 = endpoint(ROMEO)
    romeo2.openTunnel(JULIET)
    route(romeo2, juliet)
    assertEquals(1, juliet.tunnelCount())
    assertNotNull(romeo2.pathRate(JULIET))
    assertTrue(juliet.revokeStartsFrom("romeo@montague.lit"))
    // pollWrite: the stanzas of a turn in one string, then the keepalive.
    events(romeo2)
    romeo2.send(JULIET, message("one"))
    val w = romeo2.pollWrite()!!
    assertTrue(w.startsWith("<iq") && w.endsWith("</iq>"))
    juliet.handleIncoming(w)
    romeo2.handleIncoming(juliet.pollWrite()!!)
    assertEquals(" ", romeo2.pollWrite())
    listOf(romeo, juliet0, pinned, juliet, nurse, romeo2).forEach { it.close() }
}

fun identityCheck() {
    val id = generateIdentity("capulet.lit")
    val der = certificatesFromPem(id.chainPem).single()
    val m = checkIdentity(der, "capulet.lit", Service.XMPP_SERVER, false)
    assertEquals(IdentityMatch(MatchKind.XMPP_ADDR, "capulet.lit"), m)
    assertNull(checkIdentity(der, "montague.lit", Service.XMPP_SERVER, false))
    val summary = certificateInfo(der)
    assertEquals(listOf("capulet.lit"), summary.san.xmppAddr)
    assertEquals(64, summary.spkiSha256.length)
    assertFailsWith<XmppTlsException> { checkIdentity(byteArrayOf(1, 2, 3), "capulet.lit", Service.XMPP_CLIENT, false) }
}

fun pinsLiveInKotlinStorage() {
    val storage = MapStorage()
    val pins = PinStore.withStorage(storage)
    val romeoId = generateIdentity(ROMEO)
    fun romeo(id: IdentityPem) = Endpoint(EndpointSettings(jid = ROMEO, trust = TrustMode.TRUST_ON_FIRST_USE, identity = id), null)
    val first = romeo(romeoId)
    val juliet = endpoint(JULIET, pins = pins)
    first.openTunnel(JULIET)
    route(first, juliet)
    val romeoPin = first.localPin()
    assertEquals(listOf(romeoPin), storage.map["romeo@montague.lit"])
    // Juliet restarts with the same storage; Romeo comes back with another key.
    first.close(); juliet.close()
    val juliet2 = endpoint(JULIET, pins = PinStore.withStorage(storage))
    val other = romeo(generateIdentity(ROMEO))
    other.openTunnel(JULIET)
    val refused = route(other, juliet2).single()
    assertIs<XmppTlsException.Trust>(refused)
    val closed = events(juliet2).filterIsInstance<TunnelEvent.Closed>().single()
    val reason = closed.reason as CloseReason.Error
    assertEquals(301, reason.code)
    assertContains(reason.detail, "changed")
    // The same key as before is still welcome.
    val back = romeo(romeoId)
    juliet2.peerUnavailable(ROMEO)
    back.openTunnel(JULIET)
    route(back, juliet2)
    assertIs<TunnelEvent.Established>(events(juliet2).last())
    // The store's own API over the same storage.
    assertEquals(PinStatus.Match, pins.check("romeo@montague.lit", romeoPin))
    assertIs<PinStatus.Changed>(pins.check("romeo@montague.lit", other.localPin()))
    assertTrue(pins.remove("romeo@montague.lit"))
    assertEquals(emptyList(), storage.map["romeo@montague.lit"])
    assertFalse(pins.remove("romeo@montague.lit"), "nothing left to forget")
    other.close(); back.close(); juliet2.close()
    // A closed object refuses use instead of touching freed memory.
    assertFailsWith<IllegalStateException> { juliet2.localPin() }
}

fun serverCheckFromThePlatformCallbackAndReportFields() {
    val storage = MapStorage()
    val pins = PinStore.withStorage(storage)
    val chain = certificatesFromPem(generateIdentity("capulet.lit").chainPem)
    // What SSLSession hands an X509TrustManager on Android.
    val session = Negotiation(tlsVersion = "TLSv1.3", cipherSuite = "TLS_AES_128_GCM_SHA256",
        kxGroup = "X25519", authentication = AuthMethod.PKIX, peerChain = chain)
    val policy = Policy(PolicyPreset.STRICT)
    val r = policy.checkServer("capulet.lit", Service.XMPP_CLIENT, session, pins)
    assertEquals(Verdict.PASS, r.verdict, r.text)
    assertEquals("capulet.lit", r.peer)
    assertTrue(r.encrypted)
    assertEquals("TLSv1.3", r.tlsVersion)
    assertEquals("TLS_AES_128_GCM_SHA256", r.cipherSuite)
    assertEquals("pkix", r.authentication)
    assertEquals(MatchKind.XMPP_ADDR, r.identity?.kind)
    assertEquals(PinStatus.New, r.pin)
    assertEquals("strict", r.policy)
    assertEquals(chain.size, 1)
    assertEquals(r.certificate?.spkiSha256, storage.map[serverPinKey("capulet.lit", Service.XMPP_CLIENT)]?.single())
    assertContains(r.json, "\"verdict\":\"pass\"")
    assertContains(r.text, "capulet.lit")
    assertEquals(PinStatus.Match, policy.checkServer("capulet.lit", Service.XMPP_CLIENT, session, pins).pin)
    // A weak legacy connection: every problem has a code, a severity and an RFC.
    val weak = policy.evaluate("legacy.example", Negotiation(tlsVersion = "TLSv1.0",
        cipherSuite = "TLS_RSA_WITH_3DES_EDE_CBC_SHA"))
    assertEquals(Verdict.FAIL, weak.verdict)
    val codes = weak.findings.map { it.code }
    assertTrue("version-deprecated" in codes && "suite-forbidden" in codes, codes.toString())
    assertTrue(weak.findings.all { it.rfc.startsWith("RFC") })
    assertEquals(Severity.ERROR, weak.findings.first { it.code == "suite-forbidden" }.severity)
    assertFailsWith<XmppTlsException.Config> { policy.evaluate("x", Negotiation(cipherSuite = "TLS_NO_SUCH_SUITE")) }
    policy.close()
}

fun policyKnobsChangeVerdicts() {
    val dhe = Negotiation(tlsVersion = "TLSv1.2", cipherSuite = "DHE-RSA-AES128-GCM-SHA256",
        authentication = AuthMethod.PKIX)
    val policy = Policy(PolicyPreset.STRICT)
    fun codes(n: Negotiation) = policy.evaluate("example.net", n).findings.map { it.code }
    policy.denySuite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256")
    policy.denySuite("DHE-RSA-AES128-GCM-SHA256")
    assertTrue("suite-denied" in codes(dhe))
    policy.allowSuite("DHE-RSA-AES128-GCM-SHA256")
    assertFalse("suite-denied" in codes(dhe))
    val offered = dhe.copy(authentication = AuthMethod.OFFER)
    assertTrue("auth-method-not-allowed" in codes(offered))
    policy.setAllowedAuth(listOf(AuthMethod.OFFER, AuthMethod.PKIX))
    assertFalse("auth-method-not-allowed" in codes(offered))
    val plain = Negotiation(encrypted = false)
    assertEquals(Verdict.FAIL, policy.evaluate("example.net", plain).verdict)
    policy.setRequireEncryption(false)
    policy.setRequireAuthentication(false)
    assertTrue(policy.evaluate("example.net", plain).verdict != Verdict.FAIL)
    policy.setMinKeyBits(4096u, 4096u, 384u)
    policy.setCnFallback(true)
    val unknown = assertFailsWith<XmppTlsException.Config> { policy.denySuite("TLS_NO_SUCH") }
    assertEquals(501, unknown.code)
    assertEquals("xtls", Policy(PolicyPreset.XTLS).name())
    policy.close()
}

fun poshFingerprintsRedirectAndReasons() {
    val der = certificatesFromPem(generateIdentity("example.net").chainPem)[0]
    val other = certificatesFromPem(generateIdentity("example.net").chainPem)[0]
    val sha256 = java.util.Base64.getEncoder().encodeToString(
        java.security.MessageDigest.getInstance("SHA-256").digest(der))
    val doc = "{\"fingerprints\":[{\"sha-256\":\"$sha256\"}],\"expires\":3600}"
    val now = System.currentTimeMillis().toULong() / 1000u
    val ok = poshVerify(doc, null, der, now, now)
    assertEquals(PoshOutcome.MATCH, ok.outcome)
    assertEquals("sha-256", ok.algorithm)
    assertEquals(PoshOutcome.NO_MATCH, poshVerify(doc, null, other, now, now).outcome)
    assertEquals(PoshOutcome.EXPIRED, poshVerify(doc, null, der, now - 7200u, now).outcome)
    val redirect = "{\"url\":\"https://hosting.example/posh.json\",\"expires\":60}"
    assertEquals("https://hosting.example/posh.json", poshRedirectUrl(redirect))
    assertEquals(PoshOutcome.MATCH, poshVerify(redirect, doc, der, now, now).outcome)
    assertEquals(PoshOutcome.REDIRECT_NOT_FOLLOWED, poshVerify(redirect, null, der, now, now).outcome)
    assertEquals(PoshOutcome.MALFORMED, poshVerify("not json", null, der, now, now).outcome)
    // tls-server-end-point of an ECDSA-SHA256 certificate: its SHA-256.
    assertContentEquals(java.security.MessageDigest.getInstance("SHA-256").digest(der), tlsServerEndPoint(der))
    assertEquals(106, assertFailsWith<XmppTlsException.Input> { tlsServerEndPoint(byteArrayOf(1, 2)) }.code)
}

fun main() {
    val tests = listOf(
        ::identityVectors,
        ::policyVectors,
        ::poshVectors,
        ::errorVectors,
        ::tunnelVectors,
        ::ctVectors,
        ::poshFingerprintsRedirectAndReasons,
        ::policyKnobsChangeVerdicts,
        ::tunnelPairHandshakeAndMessages,
        ::trustDefaultsToFirstUse,
        ::postQuantumSettings,
        ::everySettingReachesTheCore,
        ::closeEndsTheTunnelOnBothSides,
        ::deadlinesKeepaliveAndStanzasHandedBack,
        ::errorsCarryStableCodes,
        ::limitsGatePinsJsonAndPollWrite,
        ::identityCheck,
        ::pinsLiveInKotlinStorage,
        ::serverCheckFromThePlatformCallbackAndReportFields,
    )
    // Both namespaces (this crate's and the core facade's) check their
    // contract version and API checksums against the library.
    im.xmpptls.uniffiEnsureInitialized()
    im.xmpptls.core.uniffiEnsureInitialized()
    println("ok - kotlin bindings pass uniffi's contract and API checksum checks")
    assertEquals(version().isNotEmpty(), true)
    assertEquals("urn:xmpp:tmp:xtls", xtlsFeature())
    var failed = 0
    for (t in tests) {
        try {
            t()
            println("ok - kotlin ${t.name}")
        } catch (e: Throwable) {
            failed++
            println("not ok - kotlin ${t.name}: $e")
            e.printStackTrace()
        }
    }
    println("kotlin: ${tests.size - failed} passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
