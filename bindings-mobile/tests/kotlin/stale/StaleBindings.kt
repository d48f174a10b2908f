// Compiled by scripts/test-mobile.sh against a copy of the generated Kotlin
// whose recorded checksum of one function is changed, as if the bindings
// came from another version of the library: uniffi's integrity check (which
// uniffi 0.32's Kotlin runs only from uniffiEnsureInitialized) must fail.
import im.xmpptls.uniffiEnsureInitialized
import kotlin.system.exitProcess

fun main() {
    val failure = runCatching { uniffiEnsureInitialized() }.exceptionOrNull()
    var cause = failure
    while (cause != null && cause.message?.contains("checksum mismatch") != true) cause = cause.cause
    if (cause != null) {
        println("ok - kotlin stale bindings are refused: ${cause.message}")
        exitProcess(0)
    }
    println("not ok - kotlin stale bindings are refused: got ${failure ?: "no error"}")
    exitProcess(1)
}
