// The shared conformance vectors (tests/vectors/*.json), as the Rust, C,
// Node, Swift and Python suites run them: outputs compared exactly. Run from
// the repository root (scripts/test-mobile.sh). The JDK has no JSON parser
// and the suite takes no dependency for one: a small reader of the JSON the
// vectors use follows.

import im.xmpptls.*
import im.xmpptls.core.*
import java.io.File
import kotlin.test.*

private class JsonReader(private val s: String) {
    private var i = 0
    private fun ws() { while (i < s.length && s[i].isWhitespace()) i++ }
    fun value(): Any? {
        ws()
        return when (s[i]) {
            '{' -> { i++; val m = LinkedHashMap<String, Any?>(); ws()
                if (s[i] == '}') { i++; return m }
                while (true) { ws(); val k = string(); ws(); check(s[i++] == ':'); m[k] = value(); ws()
                    if (s[i++] == '}') return m } ; @Suppress("UNREACHABLE_CODE") m }
            '[' -> { i++; val l = ArrayList<Any?>(); ws()
                if (s[i] == ']') { i++; return l }
                while (true) { l.add(value()); ws(); if (s[i++] == ']') return l } ; @Suppress("UNREACHABLE_CODE") l }
            '"' -> string()
            't' -> { i += 4; true }
            'f' -> { i += 5; false }
            'n' -> { i += 4; null }
            else -> { val start = i; while (i < s.length && (s[i] == '-' || s[i].isDigit())) i++; s.substring(start, i).toLong() }
        }
    }
    private fun string(): String {
        check(s[i++] == '"')
        val b = StringBuilder()
        while (s[i] != '"') {
            val c = s[i++]
            if (c != '\\') { b.append(c); continue }
            when (val e = s[i++]) {
                'n' -> b.append('\n'); 't' -> b.append('\t'); 'r' -> b.append('\r')
                'u' -> { b.append(s.substring(i, i + 4).toInt(16).toChar()); i += 4 }
                else -> b.append(e)
            }
        }
        i++
        return b.toString()
    }
}

@Suppress("UNCHECKED_CAST")
private fun vectors(name: String) = JsonReader(File("tests/vectors/$name.json").readText()).value() as Map<String, Any?>

@Suppress("UNCHECKED_CAST")
private fun cases(name: String) = vectors(name)["cases"] as List<Map<String, Any?>>

private fun fixture(file: String) = File("tests/fixtures/certs/$file").readBytes()

/** An enum value's stable name (README "Names and codes"). */
private fun stableName(e: Enum<*>) = e.name.lowercase().replace('_', '-')

private val services = mapOf("xmpp-client" to Service.XMPP_CLIENT, "xmpp-server" to Service.XMPP_SERVER)
private val presets = PolicyPreset.entries.associateBy { stableName(it) }
private val auth = AuthMethod.entries.associateBy { stableName(it) }

private fun errorOf(f: () -> Any?): Any? = try { f() } catch (e: XmppTlsException) {
    mapOf("error" to when (e) {
        is XmppTlsException.Input -> e.code; is XmppTlsException.Protocol -> e.code
        is XmppTlsException.Tls -> e.code; is XmppTlsException.Trust -> e.code
        is XmppTlsException.Limit -> e.code; is XmppTlsException.Config -> e.code
    }.toLong())  // the vectors' numbers are Longs
}

@Suppress("UNCHECKED_CAST")
fun identityVectors() {
    for (c in cases("identity")) {
        val der = (c["certificate"] as String?)?.let { fixture(it) }
            ?: (c["certificate_bytes"] as List<Long>).map { it.toByte() }.toByteArray()
        val service = services[c["service"]]
        if (service == null) { assertEquals(mapOf("error" to 501L), c["expect"], c["name"] as String); continue }
        val got = errorOf {
            checkIdentity(der, c["domain"] as String, service, c["cn_fallback"] as Boolean)?.let { stableName(it.kind) }
        }
        assertEquals(c["expect"], got, c["name"] as String)
    }
}

@Suppress("UNCHECKED_CAST")
fun policyVectors() {
    for (c in cases("policy")) {
        val preset = presets[c["preset"]]
        if (preset == null) { assertEquals(mapOf("error" to 501L), c["expect"], c["name"] as String); continue }
        val got = errorOf {
            val p = Policy(preset)
            for (knob in c["knobs"] as List<List<Any?>>) {
                val v = knob[1]
                when (knob[0]) {
                    "min_version" -> p.setMinVersion(v as String)
                    "require_authentication" -> p.setRequireAuthentication(v as Boolean)
                    "require_encryption" -> p.setRequireEncryption(v as Boolean)
                    "allowed_auth" -> p.setAllowedAuth((v as List<String>).map { auth.getValue(it) })
                    "cn_fallback" -> p.setCnFallback(v as Boolean)
                    "require_post_quantum" -> p.setRequirePostQuantum(v as Boolean)
                    "deny_suite" -> p.denySuite(v as String)
                    "allow_suite" -> p.allowSuite(v as String)
                    else -> fail("unknown knob ${knob[0]}")
                }
            }
            val n = c["negotiation"] as Map<String, Any?>
            val r = p.evaluate("example.net", Negotiation(
                encrypted = n["encrypted"] as Boolean? ?: true, tlsVersion = n["tls_version"] as String?,
                cipherSuite = n["cipher_suite"] as String?, kxGroup = n["kx_group"] as String?,
                kxBits = (n["kx_bits"] as Long?)?.toUInt(), peerKeyType = n["peer_key_type"] as String?,
                peerKeyBits = (n["peer_key_bits"] as Long?)?.toUInt(),
                compression = n["compression"] as Boolean? ?: false, resumed = n["resumed"] as Boolean? ?: false,
                ticket = n["ticket"] as Boolean? ?: false, extendedMasterSecret = n["extended_master_secret"] as Boolean?,
                authentication = (n["authentication"] as String?)?.let { auth.getValue(it) }))
            mapOf("findings" to r.findings.map { it.code }.sorted(),
                "severities" to r.findings.associate { it.code to stableName(it.severity) }, "verdict" to stableName(r.verdict))
        }
        assertEquals(c["expect"], got, c["name"] as String)
    }
}

@Suppress("UNCHECKED_CAST")
fun ctVectors() {
    val v = vectors("ct")
    val certificates = v["certificates"] as Map<String, String>
    val bytes = { b64: String -> java.util.Base64.getDecoder().decode(b64) }
    for (c in v["cases"] as List<Map<String, Any?>>) {
        val got = errorOf {
            val p = Policy(PolicyPreset.STRICT)
            (c["log_list"] as String?)?.let { p.setCtLogList(File(it).readText()) }
            val r = p.checkServer(c["domain"] as String? ?: "cryptography.io", Service.XMPP_CLIENT, Negotiation(
                tlsVersion = "TLSv1.3", cipherSuite = "TLS_AES_256_GCM_SHA384", kxGroup = "X25519MLKEM768",
                authentication = AuthMethod.PKIX,
                peerChain = (c["chain"] as List<String>).map { bytes(certificates.getValue(it)) },
                sctList = (c["sct_list"] as String?)?.let(bytes),
                ocspResponse = (c["ocsp_response"] as String?)?.let(bytes),
                time = (c["time"] as Long?)?.toULong()),
                (c["pins"] as Map<String, List<String>>?)?.let { given ->
                    PinStore().also { s -> given.forEach { (key, list) -> list.forEach { s.add(key, it) } } }
                })
            val pin = when (r.pin) { null -> null; is PinStatus.New -> "new"; is PinStatus.Match -> "match"
                is PinStatus.Changed -> "changed" }
            mapOf("findings" to r.findings.map { it.code }.sorted(), "verdict" to stableName(r.verdict), "pin" to pin,
                "ct" to r.ct?.let { ct -> mapOf("compliant" to ct.compliant,
                    "scts" to ct.scts.map { listOf(it.source, it.status) }) })
        }
        assertEquals(c["expect"], got, c["name"] as String)
    }
}

@Suppress("UNCHECKED_CAST")
fun poshVectors() {
    val v = vectors("posh")
    val der = fixture(v["certificate"] as String)
    for (c in v["cases"] as List<Map<String, Any?>>) {
        val r = poshVerify(c["document"] as String, c["followed"] as String?, der,
            (c["fetched_at"] as Long).toULong(), (c["now"] as Long).toULong())
        assertEquals(c["expect"], stableName(r.outcome), c["name"] as String)
    }
}

fun errorVectors() {
    for (c in cases("errors")) {
        val s = c["input"] as String
        val expect = mapOf("error" to c["expect"])
        val name = c["name"] as String
        when (c["call"]) {
            "endpoint_with_identity_pem" -> assertEquals(expect, errorOf {
                Endpoint(EndpointSettings(jid = "romeo@montague.lit/orchard", trust = TrustMode.OFFER,
                    identity = IdentityPem(s, s)), null) }, name)
            "open_tunnel" -> assertEquals(expect, errorOf {
                Endpoint(EndpointSettings(jid = "romeo@montague.lit/orchard", trust = TrustMode.OFFER), null)
                    .openTunnel(s) }, name)
            // Pins as JSON and unknown trust names are not expressible in
            // Kotlin's types (the parity table says so).
            else -> {}
        }
    }
}

private fun eventValue(e: TunnelEvent): List<Any?> = when (e) {
    is TunnelEvent.Established -> listOf("established", e.peer, e.info.report.authentication, e.info.firstUse,
        stableName(e.info.role), e.info.tlsVersion)
    is TunnelEvent.Stanza -> listOf("stanza", e.peer, e.stanza)
    is TunnelEvent.StanzaRejected -> listOf("stanza-rejected", e.peer, e.code.toLong())
    is TunnelEvent.Closed -> {
        val (reason, code) = when (val r = e.reason) {
            is CloseReason.Local -> "local" to 0L
            is CloseReason.Peer -> "peer" to 0L
            is CloseReason.PeerUnavailable -> "peer-unavailable" to 0L
            is CloseReason.PeerRestarted -> "peer-restarted" to 0L
            is CloseReason.Timeout -> "timeout" to 0L
            is CloseReason.Error -> "error" to r.code.toLong()
        }
        val waited = (e.reason as? CloseReason.Timeout)?.let { stableName(it.waited) }
        listOf("closed", e.peer, reason, e.returned.size.toLong(), code, waited)
    }
}

/** A name of the vectors as the enum value it names; uniffi writes
 * `tls12-and-13` as TLS12_AND13, so hyphens are not compared. */
private fun <E : Enum<E>> named(entries: List<E>, name: String?): E? =
    name?.let { n -> entries.first { stableName(it).replace("-", "") == n.replace("-", "") } }

@Suppress("UNCHECKED_CAST")
private fun tunnelEndpoint(v: Map<String, Any?>, c: Map<String, Any?>, who: String): Endpoint {
    val id = (v["identities"] as Map<String, Map<String, String>>).getValue(who)
    val s = (c["settings"] as Map<String, Map<String, String>>?)?.get(who) ?: emptyMap()
    return Endpoint(EndpointSettings(jid = id.getValue("jid"),
        trust = named(TrustMode.entries, (c["trust"] as Map<String, String>).getValue(who)),
        identity = IdentityPem(id.getValue("chain_pem"), id.getValue("key_pem")),
        versions = named(TlsVersions.entries, s["versions"]),
        keyExchange = named(KeyExchange.entries, s["key_exchange"])), null)
}

@Suppress("UNCHECKED_CAST")
fun tunnelVectors() {
    val v = vectors("tunnel")
    val ids = v["identities"] as Map<String, Map<String, String>>
    for (c in v["cases"] as List<Map<String, Any?>>) {
        val name = c["name"] as String
        val eps = listOf("romeo", "juliet").associateWith { who -> tunnelEndpoint(v, c, who) }.toMutableMap()
        val other = mapOf("romeo" to "juliet", "juliet" to "romeo")
        fun deliver(who: String): Boolean {
            var moved = false
            for (s in eps.getValue(who).pollTransmits()) {
                errorOf { eps.getValue(other.getValue(who)).handleIncoming(s) }
                moved = true
            }
            return moved
        }
        for (step in c["steps"] as List<List<Any?>>) {
            when (step[0]) {
                "route" -> { while (deliver("romeo") or deliver("juliet")) { }; continue }
                "deliver" -> { deliver(step[1] as String); continue }
                "lose" -> { eps.values.forEach { it.pollTransmits() }; continue }
                "restart" -> {
                    val who = step[1] as String
                    eps.getValue(who).close()
                    eps[who] = tunnelEndpoint(v, c, who)
                    continue
                }
                "state" -> {
                    val state = eps.getValue(step[1] as String).tunnelState(ids.getValue(step[2] as String).getValue("jid"))
                    assertEquals(step[3], state?.let { stableName(it) }, "$name: $step")
                    continue
                }
                "timeout" -> {
                    val ep = eps.getValue(step[1] as String)
                    ep.handleTimeout(nowSecs = assertNotNull(ep.pollTimeout(), "$name: a deadline"))
                    continue
                }
            }
            val ep = eps.getValue(step[1] as String)
            val peer = ids.getValue(step[2] as String).getValue("jid")
            val got = errorOf {
                when (step[0]) {
                    "open" -> ep.openTunnel(peer)
                    "send" -> ep.send(peer, step[3] as String)
                    "close" -> ep.closeTunnel(peer)
                    "peer_unavailable" -> ep.peerUnavailable(peer)
                    else -> fail("unknown step ${step[0]}")
                }
                null
            }
            assertEquals(step.getOrNull(4), got, "$name: ${step[0]}")
        }
        val got = listOf("romeo", "juliet").associateWith { who -> eps.getValue(who).pollEvents().map(::eventValue) }
        assertEquals(c["expect"], got, name)
        eps.values.forEach { it.close() }
    }
}
