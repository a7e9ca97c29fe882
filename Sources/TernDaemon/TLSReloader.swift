import Logging
import ServiceLifecycle
import TernConfig
import TernSMTPServer
import UnixSignals

/// Reloads the certificate and key on SIGHUP: new handshakes use the new contexts (one per
/// cipher policy), sessions already in TLS keep theirs. A file that doesn't load leaves the old
/// contexts in place.
struct TLSReloader: Service {
    let tls: TernConfiguration.TLS
    let holders: [TLSCipherPolicy: TLSContextHolder]
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    // Every context is built before any is replaced: all reload, or none.
                    let contexts = try holders.keys.map { policy in (policy, try tls.makeContext(policy)) }
                    for (policy, context) in contexts { holders[policy]?.replace(context) }
                    logger.info("tls certificate reloaded", metadata: ["certificate": "\(tls.certificatePath)"])
                } catch {
                    logger.error("tls certificate reload failed; keeping the old one", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
