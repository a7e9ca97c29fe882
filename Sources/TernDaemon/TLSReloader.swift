import Logging
import ServiceLifecycle
import TernConfig
import TernSMTPServer
import UnixSignals

/// Reloads the certificate and key on SIGHUP: new handshakes use the new context, sessions
/// already in TLS keep theirs. A file that doesn't load leaves the old context in place.
struct TLSReloader: Service {
    let tls: TernConfiguration.TLS
    let holder: TLSContextHolder
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    holder.replace(try tls.makeContext())
                    logger.info("tls certificate reloaded", metadata: ["certificate": "\(tls.certificatePath)"])
                } catch {
                    logger.error("tls certificate reload failed; keeping the old one", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
